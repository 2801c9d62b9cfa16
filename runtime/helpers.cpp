// runtime/helpers.cpp: the slow paths generated code and the interpreter call: memory accesses
// that miss the TLB (page faults, page crossings, writes to code pages), division, CPUID, RDTSC.
#include <x86intrin.h>

#include <algorithm>
#include <cstring>

#include "backend/interp/semantics.h"
#include "backend/interp/vector.h"
#include "ir/vector.h"
#include "runtime/machine_impl.h"
#include "runtime/system_cpu.h"
#include "runtime/x87.h"

namespace doppel {

namespace {

using softmmu::kPageMask;
using softmmu::kPageSize;

Machine::Impl* ImplOf(CpuState* s) { return static_cast<Machine::Impl*>(s->opaque); }

void RaisePageFault(CpuState* s, uint64_t addr, bool write, bool present, uint64_t pc) {
  s->exit_reason = static_cast<uint32_t>(ir::ExitReason::kException);
  s->exception_vector = ir::kPageFault;
  s->error_code = (present ? 1 : 0) | (write ? 2 : 0) | 4;
  s->fault_addr = addr;
  s->rip = pc;
}

// Little-endian accesses of 1, 2, 4 or 8 bytes with fixed-size copies (a variable-size memcpy
// is a libc call, which showed up in TLB-refill-heavy profiles).
uint64_t ReadSized(const uint8_t* p, uint32_t size) {
  uint64_t v = 0;
  switch (size) {
    case 1: v = *p; break;
    case 2: memcpy(&v, p, 2); break;
    case 4: memcpy(&v, p, 4); break;
    default: memcpy(&v, p, 8); break;
  }
  return v;
}

void WriteSized(uint8_t* p, uint64_t v, uint32_t size) {
  switch (size) {
    case 1: *p = static_cast<uint8_t>(v); break;
    case 2: memcpy(p, &v, 2); break;
    case 4: memcpy(p, &v, 4); break;
    default: memcpy(p, &v, 8); break;
  }
}

uint64_t Load(CpuState* s, uint64_t addr, uint32_t size, uint64_t pc) {
  Machine::Impl* m = ImplOf(s);
  if (m->config.system) return sys::SlowLoad(*m, addr, size, pc);
  uint64_t value = 0;
  if (softmmu::TlbProbe(addr, size) == (addr & kPageMask)) {  // one page: one lookup (a TLB refill)
    if (const uint8_t* host = m->mem.Translate(addr, softmmu::kRead)) {
      value = ReadSized(host, size);
      m->mem.FillTlb(s->tlb, addr, softmmu::kRead);
      return value;
    }
  }
  for (uint32_t i = 0; i < size; ++i) {
    uint64_t a = addr + i;
    if (i == 0 || (a & ~kPageMask) == 0) {
      if (!m->mem.Translate(a, softmmu::kRead)) {
        RaisePageFault(s, a, false, m->mem.Translate(a, 0) != nullptr, pc);
        return 0;
      }
    }
    value |= static_cast<uint64_t>(*m->mem.Translate(a, softmmu::kRead)) << (8 * i);
  }
  if (softmmu::TlbProbe(addr, size) == (addr & kPageMask))
    m->mem.FillTlb(s->tlb, addr, softmmu::kRead);
  return value;
}

void Store(CpuState* s, uint64_t addr, uint64_t value, uint32_t size, uint64_t pc) {
  Machine::Impl* m = ImplOf(s);
  if (m->config.system) return sys::SlowStore(*m, addr, value, size, pc);
  uint64_t first = addr & kPageMask, last = (addr + size - 1) & kPageMask;
  // Check every page before writing any byte, so a faulting store changes nothing.
  for (uint64_t page = first;; page += kPageSize) {
    uint64_t a = page == first ? addr : page;
    if (!m->mem.Translate(a, softmmu::kWrite)) {
      RaisePageFault(s, a, true, m->mem.Translate(a, 0) != nullptr, pc);
      return;
    }
    if (page == last) break;
  }
  for (uint64_t page = first;; page += kPageSize) {
    if (m->mem.IsCode(page)) {
      // A store into the running block's own page may rewrite instructions still to come in it:
      // abandon the block at this instruction and re-run it alone (the dispatcher does).
      uint64_t pc_page = pc & kPageMask;
      if (!s->smc_single_step && (page == pc_page || page == pc_page + kPageSize)) {
        s->exit_reason = static_cast<uint32_t>(ir::ExitReason::kSmcRestart);
        s->rip = pc;
        return;
      }
      m->InvalidateCodePage(page);
    }
    if (page == last) break;
  }
  if (m->mem.journaling()) {
    uint64_t old = 0;
    m->mem.Read(addr, &old, size);
    m->mem.journal().push_back({addr, static_cast<uint8_t>(size), old});
  }
  if (first == last) {
    WriteSized(m->mem.Translate(addr, softmmu::kWrite), value, size);
  } else {
    for (uint32_t i = 0; i < size; ++i) {
      *m->mem.Translate(addr + i, softmmu::kWrite) = static_cast<uint8_t>(value >> (8 * i));
    }
  }
  if (first == last) m->mem.FillTlb(s->tlb, addr, softmmu::kWrite);
}

uint64_t Div(CpuState* s, uint32_t kind_and_bits, uint64_t hi, uint64_t lo, uint64_t d,
             uint64_t pc) {
  uint64_t out = 0;
  auto kind = static_cast<backend::DivKind>(kind_and_bits >> 8);
  if (!interp::Divide(kind, kind_and_bits & 0xff, hi, lo, d, &out)) {
    s->exit_reason = static_cast<uint32_t>(ir::ExitReason::kException);
    s->exception_vector = ir::kDivideError;
    s->error_code = 0;
    s->rip = pc;
  }
  return out;
}

// CPUID reports what doppel implements: the general-purpose integer set in long mode with CMOV,
// TSC, POPCNT and LZCNT, CMPXCHG8B/16B, MOVBE, BMI1/BMI2/ADX, MMX, SSE..SSE4.2 (SSE3, SSSE3,
// SSE4.1, SSE4.2 with CRC32) with FXSAVE; nothing it cannot execute (no MONITOR, no XSAVE/AVX, no
// ERMS). Leaves 2..6 are zero: glibc then finds no cache descriptors and keeps its defaults.
void Cpuid(CpuState* s) {
  uint32_t leaf = static_cast<uint32_t>(s->gpr[RAX]);
  uint32_t a = 0, b = 0, c = 0, d = 0;
  switch (leaf) {
    case 0:
      a = 7;
      // A vendor glibc knows: for unknown vendors it never reads the leaf 1 feature bits and
      // then refuses to run x86-64 baseline binaries (QEMU reports a real vendor too).
      memcpy(&b, "Genu", 4);
      memcpy(&d, "ineI", 4);
      memcpy(&c, "ntel", 4);
      break;
    case 1:
      a = 0x000006f1;                            // family 6
      b = 8u << 8;                               // CLFLUSH line size: 8 quadwords
      d = (1u << 4) | (1u << 15) |               // TSC, CMOV
          (1u << 19) |                           // CLFSH
          (1u << 0) | (1u << 8) |                // FPU (x87), CX8
          (1u << 23) |                           // MMX
          (1u << 24) | (1u << 25) | (1u << 26);  // FXSR, SSE, SSE2
      c = (1u << 0) | (1u << 9) |                // SSE3, SSSE3
          (1u << 13) |                           // CX16
          (1u << 19) | (1u << 20) |              // SSE4.1, SSE4.2
          (1u << 22) | (1u << 23);               // MOVBE, POPCNT
      break;
    case 7:
      // Subleaf 0 (EAX = 0: the only subleaf): BMI1, BMI2, ADX.
      if (static_cast<uint32_t>(s->gpr[RCX]) == 0) b = (1u << 3) | (1u << 8) | (1u << 19);
      break;
    case 0x80000000: a = 0x80000001; break;
    case 0x80000001:
      d = (1u << 11) | (1u << 29);  // SYSCALL, LM
      c = (1u << 5) | (1u << 0);    // LZCNT, LAHF/SAHF
      break;
    default: break;
  }
  if (Machine::Impl* m = ImplOf(s); m && m->config.system)
    sys::AddSystemCpuid(leaf, static_cast<uint32_t>(s->gpr[RCX]), &a, &b, &c, &d);
  s->gpr[RAX] = a;
  s->gpr[RBX] = b;
  s->gpr[RCX] = c;
  s->gpr[RDX] = d;
}

// System mode: the board's TSC (which its timers and TSC-deadline mode share).
uint64_t Rdtsc(CpuState* s) {
  Machine::Impl* m = ImplOf(s);
  return m->config.system ? m->platform->Tsc() : __rdtsc();
}

// 16-byte accesses go as two 8-byte halves, low first. A load writes nothing until both halves
// are read. A store faulting on its second page leaves the first half written (real hardware
// writes nothing); only a page-crossing store to a writable-then-unwritable pair differs.
void VLoad(CpuState* s, uint64_t addr, uint32_t mem_imm, uint64_t pc) {
  unsigned bytes = ir::VecMemBytes(mem_imm);
  uint8_t buf[16] = {};
  for (unsigned off = 0; off < bytes; off += 8) {
    unsigned n = bytes - off < 8 ? bytes - off : 8;
    uint64_t v = Load(s, addr + off, n, pc);
    if (s->exit_reason) return;
    memcpy(buf + off, &v, n);
  }
  memcpy(s->xmm[0] + 16 * ir::VecMemSlot(mem_imm), buf, 16);
}

// Every page of a store is writable, or the page fault is raised before any byte changes (the
// host CPU writes nothing of a vector store that crosses into an unmapped page).
bool CanWrite(CpuState* s, uint64_t addr, uint32_t size, uint64_t pc) {
  Machine::Impl* m = ImplOf(s);
  if (m->config.system) return sys::ProbeWrite(*m, addr, size, pc);
  for (uint64_t page = addr & kPageMask; page <= ((addr + size - 1) & kPageMask);
       page += kPageSize) {
    uint64_t a = std::max(page, addr);
    if (!m->mem.Translate(a, softmmu::kWrite)) {
      RaisePageFault(s, a, true, m->mem.Translate(a, 0) != nullptr, pc);
      return false;
    }
  }
  return true;
}

void VStore(CpuState* s, uint64_t addr, uint32_t mem_imm, uint64_t pc) {
  unsigned bytes = ir::VecMemBytes(mem_imm);
  const uint8_t* src = s->xmm[0] + 16 * ir::VecMemSlot(mem_imm);
  if (!CanWrite(s, addr, bytes, pc)) return;
  for (unsigned off = 0; off < bytes; off += 8) {
    unsigned n = bytes - off < 8 ? bytes - off : 8;
    uint64_t v = 0;
    memcpy(&v, src + off, n);
    Store(s, addr + off, v, n, pc);
    if (s->exit_reason) return;
  }
}

}  // namespace

bool PeekGuestMemory(CpuState* s, uint64_t addr, void* dst, unsigned n) {
  Machine::Impl* m = ImplOf(s);
  if (!m->config.system) return m->mem.Read(addr, dst, n);
  if (sys::ReadLinear(*m, addr, dst, n, false, s->rip)) return true;
  s->exit_reason = 0;  // a peek: the store's own access reports the fault
  return false;
}

backend::Helpers MakeHelpers() {
  backend::Helpers h;
  h.load = Load;
  h.store = Store;
  h.div = Div;
  h.cpuid = Cpuid;
  h.rdtsc = Rdtsc;
  h.x87 = X87Execute;
  h.x87_enter = X87Enter;
  h.x87_leave = X87Leave;
  h.vload = VLoad;
  h.vstore = VStore;
  h.system = sys::SystemHelper;
  h.vec_op = [](CpuState* s, uint64_t imm, uint64_t pc) { interp::VecOp(*s, imm, pc); };
  return h;
}

}  // namespace doppel
