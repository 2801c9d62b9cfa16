// runtime/compare.cpp: --engine compare: every block runs under the interpreter and the JIT from
// the same guest state (memory rolled back through the write journal in between); the first
// difference in registers, flags, RIP, exit or written memory stops the run with a readable diff.
#include <cinttypes>
#include <cstring>
#include <map>

#include "runtime/machine_impl.h"

namespace doppel {

#if DOPPEL_HAVE_JIT
namespace {

struct ArchState {
  uint64_t gpr[16];
  uint64_t rip, rflags, budget;
  uint32_t exit_reason, vector, error_code;
  uint64_t fault_addr;
  uint8_t xmm[16][16];
  uint32_t mxcsr;
  X87State x87;
};

ArchState Capture(const CpuState& s) {
  ArchState a;
  for (int i = 0; i < 16; ++i) a.gpr[i] = s.gpr[i];
  a.rip = s.rip;
  a.rflags = s.rflags;
  a.budget = s.budget;
  a.exit_reason = s.exit_reason;
  a.vector = s.exception_vector;
  a.error_code = s.error_code;
  a.fault_addr = s.fault_addr;
  memcpy(a.xmm, s.xmm, sizeof a.xmm);
  a.mxcsr = s.mxcsr;
  a.x87 = s.x87;
  return a;
}

void Restore(CpuState& s, const ArchState& a) {
  for (int i = 0; i < 16; ++i) s.gpr[i] = a.gpr[i];
  s.rip = a.rip;
  s.rflags = a.rflags;
  s.budget = static_cast<int64_t>(a.budget);
  s.exit_reason = a.exit_reason;
  s.exception_vector = a.vector;
  s.error_code = a.error_code;
  s.fault_addr = a.fault_addr;
  memcpy(s.xmm, a.xmm, sizeof a.xmm);
  s.mxcsr = a.mxcsr;
  s.x87 = a.x87;
}

// Final bytes of every address the journal says was written.
std::map<uint64_t, uint8_t> WrittenBytes(
    const softmmu::AddressSpace& mem, const std::vector<softmmu::AddressSpace::JournalEntry>& j) {
  std::map<uint64_t, uint8_t> out;
  for (const auto& e : j) {
    for (unsigned i = 0; i < e.size; ++i) {
      uint8_t v = 0;
      mem.Read(e.addr + i, &v, 1);
      out[e.addr + i] = v;
    }
  }
  return out;
}

const char* kRegNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                             "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

void Line(std::string* s, const char* what, uint64_t interp, uint64_t jit) {
  char buf[160];
  snprintf(buf, sizeof buf, "  %-12s interp=0x%016" PRIx64 "  jit=0x%016" PRIx64 "\n", what, interp,
           jit);
  *s += buf;
}

// The x87 state, except the operand buffer (scratch).
void X87Diff(std::string* d, const X87State& i, const X87State& j) {
  if (i.fcw != j.fcw) Line(d, "fcw", i.fcw, j.fcw);
  if (i.fsw != j.fsw) Line(d, "fsw", i.fsw, j.fsw);
  if (i.ftw != j.ftw) Line(d, "ftw", i.ftw, j.ftw);
  if (i.fip != j.fip) Line(d, "fip", i.fip, j.fip);
  if (i.fdp != j.fdp) Line(d, "fdp", i.fdp, j.fdp);
  if (i.fop != j.fop) Line(d, "fop", i.fop, j.fop);
  for (int r = 0; r < 8; ++r) {
    uint64_t mi, mj;
    memcpy(&mi, i.fpr[r], 8);
    memcpy(&mj, j.fpr[r], 8);
    uint16_t ei, ej;
    memcpy(&ei, i.fpr[r] + 8, 2);
    memcpy(&ej, j.fpr[r] + 8, 2);
    char what[24];
    snprintf(what, sizeof what, "r%d.mant", r);
    if (mi != mj) Line(d, what, mi, mj);
    snprintf(what, sizeof what, "r%d.exp", r);
    if (ei != ej) Line(d, what, ei, ej);
  }
}

}  // namespace

bool Machine::Impl::ExecuteCompared(runtime::TranslatedBlock* tb, backend::BlockExit* exit,
                                    std::string* diff) {
  ArchState before = Capture(state);
  mem.journal().clear();
  backend::BlockExit ie;
  Execute(tb, Engine::kInterp, &ie);
  ArchState after_interp = Capture(state);
  auto interp_journal = mem.journal();
  auto interp_mem = WrittenBytes(mem, interp_journal);
  mem.RollBack();

  Restore(state, before);
  backend::BlockExit je;
  Execute(tb, Engine::kJit, &je);
  ArchState after_jit = Capture(state);
  auto jit_mem = WrittenBytes(mem, mem.journal());
  mem.journal().clear();
  *exit = je;

  std::string d;
  for (int i = 0; i < 16; ++i) {
    if (after_interp.gpr[i] != after_jit.gpr[i])
      Line(&d, kRegNames[i], after_interp.gpr[i], after_jit.gpr[i]);
  }
  for (int i = 0; i < 16; ++i) {
    for (int half = 0; half < 2; ++half) {
      uint64_t iv, jv;
      memcpy(&iv, after_interp.xmm[i] + 8 * half, 8);
      memcpy(&jv, after_jit.xmm[i] + 8 * half, 8);
      char what[16];
      snprintf(what, sizeof what, "xmm%d.q%d", i, half);
      if (iv != jv) Line(&d, what, iv, jv);
    }
  }
  if (after_interp.mxcsr != after_jit.mxcsr) Line(&d, "mxcsr", after_interp.mxcsr, after_jit.mxcsr);
  if (after_interp.rip != after_jit.rip) Line(&d, "rip", after_interp.rip, after_jit.rip);
  if (after_interp.rflags != after_jit.rflags)
    Line(&d, "rflags", after_interp.rflags, after_jit.rflags);
  X87Diff(&d, after_interp.x87, after_jit.x87);
  if (after_interp.budget != after_jit.budget)
    Line(&d, "budget", after_interp.budget, after_jit.budget);
  if (ie.reason != je.reason)
    Line(&d, "exit", ie.reason, je.reason);
  else if (ie.reason == static_cast<uint32_t>(ir::ExitReason::kLink) &&
           ie.exit_index != je.exit_index)
    Line(&d, "exit index", ie.exit_index, je.exit_index);
  if (after_interp.exit_reason == static_cast<uint32_t>(ir::ExitReason::kException)) {
    if (after_interp.vector != after_jit.vector)
      Line(&d, "vector", after_interp.vector, after_jit.vector);
    if (after_interp.error_code != after_jit.error_code)
      Line(&d, "error code", after_interp.error_code, after_jit.error_code);
  }
  for (const auto& [addr, v] : interp_mem) {
    auto it = jit_mem.find(addr);
    uint64_t jv = it == jit_mem.end() ? 0x100 : it->second;  // 0x100: not written
    if (jv != v) {
      char what[40];
      snprintf(what, sizeof what, "[0x%" PRIx64 "]", addr);
      Line(&d, what, v, jv);
    }
  }
  for (const auto& [addr, v] : jit_mem) {
    if (!interp_mem.count(addr)) {
      char what[40];
      snprintf(what, sizeof what, "[0x%" PRIx64 "]", addr);
      Line(&d, what, 0x100, v);
    }
  }
  if (d.empty()) return true;
  char head[160];
  snprintf(head, sizeof head, "interpreter and JIT diverge in the block at guest 0x%" PRIx64 ":\n",
           tb->guest_pc);
  *diff = head + d + ir::Print(tb->ir);
  return false;
}
#else
bool Machine::Impl::ExecuteCompared(runtime::TranslatedBlock*, backend::BlockExit*,
                                    std::string* diff) {
  *diff = "compare mode needs the JIT, which this build does not have\n";
  return false;
}
#endif

}  // namespace doppel
