// tests/support/diff_harness.cpp: the differential comparison: undefined-flag analysis with Zydis,
// the doppel side of a case, and the native-vs-doppel report.
#include "tests/support/diff_harness.h"

#include <Zydis/Zydis.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "frontend/x86/translate.h"

namespace doppel::test {

namespace {

std::string Hex(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

const ZydisDecoder& Decoder(unsigned bits) {
  static ZydisDecoder decoder64 = [] {
    ZydisDecoder d;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    return d;
  }();
  static ZydisDecoder decoder32 = [] {
    ZydisDecoder d;
    ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32);
    return d;
  }();
  return bits == 32 ? decoder32 : decoder64;
}

bool IsShiftOrRotate(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_SHL:
    case ZYDIS_MNEMONIC_SHR:
    case ZYDIS_MNEMONIC_SAR:
    case ZYDIS_MNEMONIC_ROL:
    case ZYDIS_MNEMONIC_ROR:
    case ZYDIS_MNEMONIC_RCL:
    case ZYDIS_MNEMONIC_RCR:
    case ZYDIS_MNEMONIC_SHLD:
    case ZYDIS_MNEMONIC_SHRD: return true;
    default: return false;
  }
}

FlagEffect EffectOf(const ZydisDecodedInstruction& d, const ZydisDecodedOperand* ops) {
  FlagEffect e;
  if (d.cpu_flags) {
    e.tested = d.cpu_flags->tested;
    e.defined = d.cpu_flags->modified | d.cpu_flags->set_0 | d.cpu_flags->set_1;
    e.undefined = d.cpu_flags->undefined;
    e.defined &= ~e.undefined;
  }
  if (IsShiftOrRotate(d.mnemonic) && d.operand_count_visible > 0) {
    const ZydisDecodedOperand& count = ops[d.operand_count_visible - 1];
    if (count.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
      unsigned w = d.operand_width;
      uint64_t c = count.imm.value.u & (w == 64 ? 63 : 31);
      bool rc = d.mnemonic == ZYDIS_MNEMONIC_RCL || d.mnemonic == ZYDIS_MNEMONIC_RCR;
      if (c == 0) {
        e.no_effect = true;
      } else if (rc && w < 32 && c % (w + 1) == 0) {
        e.conditional = true;
      }
    } else {
      e.conditional = true;  // count in CL: zero leaves the flags alone
    }
  }
  if (d.meta.category == ZYDIS_CATEGORY_STRINGOP &&
      (d.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE))) {
    e.conditional = true;  // rcx = 0 leaves the flags alone
    // repe/repne test the ZF the same iteration's compare produced, not the incoming one.
    e.tested &= ~static_cast<uint32_t>(ZYDIS_CPUFLAG_ZF);
  }
  return e;
}

}  // namespace

FlagEffect FlagEffectOf(const uint8_t* bytes, size_t size, unsigned bits) {
  ZydisDecodedInstruction d;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&Decoder(bits), bytes, size, &d, ops))) return {};
  FlagEffect e = EffectOf(d, ops);
  e.length = d.length;
  return e;
}

uint32_t ApplyFlagEffect(const FlagEffect& e, uint32_t undefined_before) {
  if (e.no_effect) return undefined_before;
  if (e.conditional) return undefined_before | e.undefined;
  return (undefined_before & ~e.defined) | e.undefined;
}

std::string DisassembleOne(const uint8_t* bytes, size_t size, uint64_t pc, unsigned bits) {
  ZydisDisassembledInstruction insn;
  ZydisMachineMode mode =
      bits == 32 ? ZYDIS_MACHINE_MODE_LONG_COMPAT_32 : ZYDIS_MACHINE_MODE_LONG_64;
  if (!ZYAN_SUCCESS(ZydisDisassembleIntel(mode, pc, bytes, size, &insn))) {
    return "(bad)";
  }
  return insn.text;
}

std::string SequenceInfo::Listing() const {
  std::string s;
  for (size_t i = 0; i < addrs.size(); i++) {
    s += "    " + Hex(addrs[i]) + ": " + text[i] + "\n";
  }
  return s;
}

uint32_t SequenceInfo::UndefinedAt(uint64_t pc) const {
  auto it = undefined_at.find(pc);
  if (it != undefined_at.end()) return it->second;
  uint32_t all = 0;  // not an analysed boundary: be conservative
  for (const auto& [addr, u] : undefined_at) all |= u;
  return all;
}

SequenceInfo AnalyzeSequence(const std::vector<uint8_t>& code, uint64_t base, unsigned bits) {
  SequenceInfo info;
  const uint64_t end = base + code.size();
  struct Node {
    FlagEffect effect;
    std::vector<uint64_t> succ;
  };
  std::vector<Node> nodes;
  std::vector<uint64_t> return_sites, lea_targets;
  std::vector<size_t> indirect;  // nodes whose successors are the return sites / lea targets
  std::vector<bool> is_ret;
  for (size_t off = 0; off < code.size();) {
    ZydisDecodedInstruction d;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    uint64_t pc = base + off;
    if (!ZYAN_SUCCESS(
            ZydisDecoderDecodeFull(&Decoder(bits), &code[off], code.size() - off, &d, ops))) {
      info.error = "undecodable bytes at " + Hex(pc);
      return info;
    }
    info.addrs.push_back(pc);
    info.text.push_back(DisassembleOne(&code[off], d.length, pc, bits));
    Node n;
    n.effect = EffectOf(d, ops);
    uint64_t next = pc + d.length;
    auto cat = d.meta.category;
    bool branch = cat == ZYDIS_CATEGORY_COND_BR || cat == ZYDIS_CATEGORY_UNCOND_BR ||
                  cat == ZYDIS_CATEGORY_CALL || cat == ZYDIS_CATEGORY_RET;
    bool falls_through = cat != ZYDIS_CATEGORY_UNCOND_BR && cat != ZYDIS_CATEGORY_RET;
    if (cat == ZYDIS_CATEGORY_CALL) {
      falls_through = false;
      return_sites.push_back(next);
    }
    if (falls_through) n.succ.push_back(next);
    if (branch && cat != ZYDIS_CATEGORY_RET) {
      uint64_t target = 0;
      if (ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
          ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&d, &ops[0], pc, &target))) {
        n.succ.push_back(target);
      } else {
        indirect.push_back(nodes.size());
      }
    }
    if (cat == ZYDIS_CATEGORY_RET) indirect.push_back(nodes.size());
    is_ret.push_back(cat == ZYDIS_CATEGORY_RET);
    if (d.mnemonic == ZYDIS_MNEMONIC_LEA && ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY &&
        ops[1].mem.base == ZYDIS_REGISTER_RIP) {
      uint64_t target = 0;
      if (ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&d, &ops[1], pc, &target))) {
        lea_targets.push_back(target);
      }
    }
    nodes.push_back(std::move(n));
    off += d.length;
  }
  for (size_t i : indirect) {
    // Indirect jumps and returns go to code addresses the sequence materialises with
    // `lea reg, [rip+x]` or to return sites of calls, or straight to END.
    for (uint64_t t : lea_targets) nodes[i].succ.push_back(t);
    for (uint64_t t : return_sites) nodes[i].succ.push_back(t);
    nodes[i].succ.push_back(end);
  }
  std::map<uint64_t, size_t> index;
  for (size_t i = 0; i < info.addrs.size(); i++) index[info.addrs[i]] = i;
  index[end] = nodes.size();
  std::vector<uint32_t> in(nodes.size() + 1, 0);
  std::vector<bool> reached(nodes.size() + 1, false);
  std::deque<size_t> work;
  reached[0] = true;
  work.push_back(0);
  while (!work.empty()) {
    size_t i = work.front();
    work.pop_front();
    if (i == nodes.size()) continue;
    uint32_t out = ApplyFlagEffect(nodes[i].effect, in[i]);
    for (uint64_t t : nodes[i].succ) {
      auto it = index.find(t);
      if (it == index.end()) continue;  // leaves the sequence (a fault case) or mid-instruction
      size_t j = it->second;
      if (!reached[j] || (in[j] | out) != in[j]) {
        reached[j] = true;
        in[j] |= out;
        work.push_back(j);
      }
    }
  }
  for (size_t i = 0; i <= nodes.size(); i++) {
    uint64_t pc = i < nodes.size() ? info.addrs[i] : end;
    info.undefined_at[pc] = in[i];
    if (i < nodes.size() && reached[i] && (nodes[i].effect.tested & in[i] & kStatusFlags)) {
      info.error += "instruction at " + Hex(pc) + " (" + info.text[i] + ") reads undefined flags " +
                    FlagNames(nodes[i].effect.tested & in[i]) + "\n";
    }
  }
  return info;
}

const std::vector<uint8_t>& DiffHarness::InitialData() {
  static std::vector<uint8_t> data = [] {
    std::vector<uint8_t> d(kDataSize);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (auto& b : d) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<uint8_t>(x);
    }
    return d;
  }();
  return data;
}

std::set<std::string>& DiffHarness::Untranslated() {
  static std::set<std::string> s;
  return s;
}

DiffHarness::DiffHarness(Engine engine, unsigned bits) : engine_(engine), bits_(bits) {
  NativeRunner::Get();
  MachineConfig cfg;
  cfg.engine = engine;
  // Process-style i386: flat CS 0x23 and data 0x2b, as the native side runs under Linux.
  if (bits == 32) cfg.mode = frontend::kMode32;
  cfg.code_cache_bytes = 8u << 20;
  machine_ = std::make_unique<Machine>(cfg);
  std::string err;
  if (!machine_->Map(kDataAddr, kDataSize, kProtRead | kProtWrite, &err) ||
      !machine_->Map(kCodeAddr, kCodeSize, kProtRWX, &err)) {
    fprintf(stderr, "diff_harness: Map failed: %s\n", err.c_str());
    abort();
  }
}

DiffHarness::~DiffHarness() {
  if (getenv("DOPPEL_DIFF_VERBOSE")) {
    fprintf(stderr, "[%s] %" PRIu64 " cases, %" PRIu64 " mismatched\n", EngineName(engine_), cases_,
            failures_);
  }
}

void DiffHarness::SetCode(const std::vector<uint8_t>& code) {
  code_ = code;
  end_ = NativeRunner::Get().SetCode(code, bits_);
  info_ = AnalyzeSequence(code, kCodeAddr, bits_);
  std::vector<uint8_t> image(kCodeSize, 0xCC);
  memcpy(image.data(), code.data(), code.size());
  std::vector<uint8_t> epi = NativeRunner::Epilogue(end_, bits_);
  memcpy(image.data() + code.size(), epi.data(), epi.size());
  machine_->WriteMemory(kCodeAddr, image.data(), image.size());
  machine_->FlushCodeCache();
}

namespace {

void ApplyPatches(const std::vector<MemPatch>& patches, std::vector<uint8_t>& data) {
  for (const MemPatch& p : patches) {
    for (unsigned i = 0; i < p.size; i++) {
      data[p.addr - kDataAddr + i] = static_cast<uint8_t>(p.value >> (8 * i));
    }
  }
}

const char* kRegNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                             "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
const char* kRegNames32[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

// The x87 words, tags and the registers in use; "" when equal.
std::string X87Differences(const X87Snapshot& n, const X87State& d) {
  std::string s;
  auto word = [&](const char* what, uint64_t a, uint64_t b) {
    if (a != b) s += std::string("  ") + what + " native " + Hex(a) + "  doppel " + Hex(b) + "\n";
  };
  word("fcw", n.fcw, d.fcw);
  word("fsw", n.fsw, d.fsw);
  word("ftw", n.ftw, d.ftw);
  unsigned top = (d.fsw >> 11) & 7;
  for (unsigned i = 0; i < 8; i++) {
    unsigned phys = (top + i) & 7;
    if (!((n.ftw | d.ftw) >> phys & 1)) continue;
    if (memcmp(n.st[i], d.fpr[phys], 10) == 0) continue;
    uint64_t nm, dm;
    uint16_t ne, de;
    memcpy(&nm, n.st[i], 8);
    memcpy(&ne, n.st[i] + 8, 2);
    memcpy(&dm, d.fpr[phys], 8);
    memcpy(&de, d.fpr[phys] + 8, 2);
    char line[160];
    snprintf(line, sizeof line, "  st%u native %04x:%016" PRIx64 "  doppel %04x:%016" PRIx64 "\n",
             i, ne, nm, de, dm);
    s += line;
  }
  return s;
}

std::string DescribeNative(const NativeResult& n) {
  if (!n.faulted) return "completed at " + Hex(n.regs.rip);
  return "signal " + std::to_string(n.signo) + " (vector " + std::to_string(n.vector) + ") at " +
         Hex(n.regs.rip) + (n.vector == 14 ? " addr " + Hex(n.fault_addr) : "");
}

std::string DescribeDoppel(const RunResult& r, uint64_t rip) {
  std::string s = StopReasonName(r.reason);
  if (r.reason == StopReason::kException) {
    s += " vector " + std::to_string(r.vector) +
         (r.vector == 14 ? " addr " + Hex(r.fault_addr) : "");
  }
  return s + " at " + Hex(rip);
}

}  // namespace

std::string DiffHarness::RunCase(const CaseInput& case_in) {
  const std::vector<uint8_t>& initial = InitialData();
  // 32-bit code: EAX..EDI zero-extended on both sides (R8..R15 only exist for the 64-bit side).
  const unsigned n_gprs = bits_ == 32 ? 8 : 16, n_xmms = bits_ == 32 ? 8 : 16;
  const uint64_t gpr_mask = bits_ == 32 ? 0xffffffffull : ~0ull;
  CaseInput in = case_in;
  for (unsigned i = 0; i < n_gprs; i++) in.regs.gpr[i] &= gpr_mask;
  // Native side.
  std::vector<uint8_t> native_data = initial;
  ApplyPatches(in.mem, native_data);
  NativeResult nat = NativeRunner::Get().Run(in.regs, native_data.data());
  if (corrupt_native) corrupt_native(nat, native_data);

  // doppel side.
  Machine& m = *machine_;
  if (doppel_data_dirty_) m.WriteMemory(kDataAddr, initial.data(), initial.size());
  for (const MemPatch& p : in.mem) {
    uint8_t bytes[8];
    for (unsigned i = 0; i < p.size; i++) bytes[i] = static_cast<uint8_t>(p.value >> (8 * i));
    m.WriteMemory(p.addr, bytes, p.size);
  }
  CpuState& cpu = m.cpu();
  for (int i = 0; i < 16; i++) cpu.gpr[i] = in.regs.gpr[i];
  cpu.rip = kCodeAddr;
  cpu.rflags = (in.regs.rflags & kComparedFlags) | 0x202;
  memcpy(cpu.xmm, in.regs.xmm, sizeof cpu.xmm);
  cpu.mxcsr = in.regs.mxcsr;
  cpu.x87 = X87State{};  // FNINIT state, as the native runner starts
  RunResult r = m.Run({.max_insns = 1000000, .stop_pc = end_});
  std::vector<uint8_t> dop_data(kDataSize);
  m.ReadMemory(kDataAddr, dop_data.data(), dop_data.size());
  doppel_data_dirty_ = memcmp(dop_data.data(), initial.data(), kDataSize) != 0;

  // Compare.
  std::string diff;
  bool end_ok;
  uint64_t stop_pc = nat.regs.rip;
  if (r.reason == StopReason::kDivergence) {
    diff += "  compare mode divergence (interpreter vs JIT):\n" + r.divergence + "\n";
    end_ok = false;
  } else if (!nat.faulted) {
    end_ok = r.reason == StopReason::kStopPc && cpu.rip == end_;
  } else {
    end_ok =
        r.reason == StopReason::kException && r.vector == nat.vector && cpu.rip == nat.regs.rip;
    if (end_ok && nat.vector == 14 && r.fault_addr != nat.fault_addr) end_ok = false;
  }
  if (!end_ok) {
    diff +=
        "  end: native " + DescribeNative(nat) + ", doppel " + DescribeDoppel(r, cpu.rip) + "\n";
    if (r.reason == StopReason::kException && r.vector == 6 && cpu.rip >= kCodeAddr &&
        cpu.rip < end_) {
      std::string text =
          DisassembleOne(&code_[cpu.rip - kCodeAddr], end_ - cpu.rip, cpu.rip, bits_);
      diff += "  doppel raised #UD on `" + text + "` (untranslated?)\n";
      if (!nat.faulted || nat.regs.rip != cpu.rip) Untranslated().insert(text);
    }
  }
  for (unsigned i = 0; i < n_gprs; i++) {
    if ((nat.regs.gpr[i] ^ cpu.gpr[i]) & gpr_mask) {
      char line[128];
      snprintf(line, sizeof line, "  %-4s native 0x%016" PRIx64 "  doppel 0x%016" PRIx64 "\n",
               bits_ == 32 ? kRegNames32[i] : kRegNames[i], nat.regs.gpr[i] & gpr_mask,
               cpu.gpr[i] & gpr_mask);
      diff += line;
    }
  }
  for (unsigned i = 0; i < n_xmms; i++) {
    if (memcmp(nat.regs.xmm[i], cpu.xmm[i], 16) == 0) continue;
    uint64_t n[2], d[2];
    memcpy(n, nat.regs.xmm[i], 16);
    memcpy(d, cpu.xmm[i], 16);
    char line[160];
    snprintf(line, sizeof line,
             "  xmm%-2d native %016" PRIx64 ":%016" PRIx64 "  doppel %016" PRIx64 ":%016" PRIx64
             "\n",
             i, n[1], n[0], d[1], d[0]);
    diff += line;
  }
  if (nat.regs.mxcsr != cpu.mxcsr) {
    diff += "  mxcsr native " + Hex(nat.regs.mxcsr) + "  doppel " + Hex(cpu.mxcsr) + "\n";
  }
  uint64_t mask = kComparedFlags;
  if (!compare_undefined_flags) mask &= ~static_cast<uint64_t>(info_.UndefinedAt(stop_pc));
  if ((nat.regs.rflags ^ cpu.rflags) & mask) {
    diff += "  rflags native " + Hex(nat.regs.rflags & kComparedFlags) + " (" +
            FlagNames(nat.regs.rflags) + ")  doppel " + Hex(cpu.rflags & kComparedFlags) + " (" +
            FlagNames(cpu.rflags) + "); compared " + FlagNames(mask) + "; differ in " +
            FlagNames((nat.regs.rflags ^ cpu.rflags) & mask) + "\n";
  }
  diff += X87Differences(nat.x87, cpu.x87);
  unsigned shown = 0;
  for (size_t i = 0; i < kDataSize; i++) {
    if (native_data[i] == dop_data[i]) continue;
    if (++shown > 16) {
      diff += "  (more memory differences)\n";
      break;
    }
    char line[128];
    snprintf(line, sizeof line, "  mem[0x%" PRIx64 "] native %02x doppel %02x (initial %02x)\n",
             kDataAddr + i, native_data[i], dop_data[i], initial[i]);
    diff += line;
  }
  if (diff.empty() && info_.error.empty()) return "";

  std::string report =
      std::string("[") + EngineName(engine_) + "] mismatch\n  code:\n" + info_.Listing();
  if (!info_.error.empty()) report += "  HARNESS/GENERATOR ERROR: " + info_.error;
  report += "  inputs:";
  for (unsigned i = 0; i < n_gprs; i++) {
    report += (i % 4 == 0 ? "\n    " : "  ") +
              std::string(bits_ == 32 ? kRegNames32[i] : kRegNames[i]) + "=" + Hex(in.regs.gpr[i]);
  }
  report += "\n    rflags=" + Hex(in.regs.rflags & kComparedFlags) + " (" +
            FlagNames(in.regs.rflags & kComparedFlags) + ")\n";
  for (unsigned i = 0; i < n_xmms; i++) {
    uint64_t x[2];
    memcpy(x, in.regs.xmm[i], 16);
    if (x[0] || x[1])
      report += "    xmm" + std::to_string(i) + "=" + Hex(x[1]) + ":" + Hex(x[0]) + "\n";
  }
  if (in.regs.mxcsr != 0x1f80) report += "    mxcsr=" + Hex(in.regs.mxcsr) + "\n";
  for (const MemPatch& p : in.mem) {
    report += "    mem[" + Hex(p.addr) + "] = " + Hex(p.value) + " (" + std::to_string(p.size) +
              " bytes)\n";
  }
  return report + diff;
}

void DiffHarness::Check(const CaseInput& in) {
  cases_++;
  std::string report = RunCase(in);
  if (report.empty()) return;
  failures_++;
  if (reports_.size() < 3) reports_.push_back(report);
}

std::string DiffHarness::Summary() const {
  std::string s = std::to_string(failures_) + " of " + std::to_string(cases_) +
                  " cases mismatched; the first ones:\n";
  for (const std::string& r : reports_) s += r + "\n";
  return s;
}

}  // namespace doppel::test
