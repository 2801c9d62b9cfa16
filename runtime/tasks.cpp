// runtime/tasks.cpp: hardware task switches for system mode (Intel SDM Vol. 3A 7.3): JMP and
// CALL to a TSS or a task gate, interrupts and exceptions through a task gate (how 32-bit kernels
// take #DF on a known-good stack), and IRET with NT back to the previous task. 32-bit TSSes;
// there are no task switches in IA-32e mode (#GP), and a 16-bit TSS is refused with #TS.
#include <cstring>

#include "runtime/system_cpu.h"

namespace doppel::sys {

namespace {

constexpr unsigned kTss32Available = 0x9, kTss32Busy = 0xb, kTaskGate = 0x5;
constexpr unsigned kTssMinLimit = 0x67;
// 32-bit TSS fields.
constexpr unsigned kLink = 0x00, kCr3 = 0x1c, kEip = 0x20, kEflags = 0x24, kEax = 0x28, kEs = 0x48,
                   kLdt = 0x60, kTssBytes = 0x68;

uint32_t Get32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
void Put32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }

uint32_t SelectorError(uint16_t selector) { return selector & 0xfffc; }

bool Fault(CpuState& s, uint32_t vector, uint32_t error, uint64_t pc) {
  Raise(s, vector, error, pc);
  return false;
}

// Rewrites the type of the TSS descriptor `selector` in the GDT (the busy bit).
bool SetTssType(Machine::Impl& m, uint16_t selector, unsigned type, uint64_t pc) {
  CpuState& s = m.state;
  const uint64_t at = s.sys.gdtr_base + (selector & ~7u) + 5;
  uint8_t access = 0;
  if (!ReadLinear(m, at, &access, 1, true, pc)) return false;
  access = static_cast<uint8_t>((access & 0xf0) | type);
  return WriteLinear(m, at, &access, 1, true, pc);
}

// Loads a segment register of the incoming task; descriptor problems are #TS (not present:
// #NP, or #SS for SS), reported in the new task's context.
bool LoadTaskSegment(Machine::Impl& m, unsigned seg, uint16_t selector, uint64_t pc) {
  CpuState& s = m.state;
  if (s.rflags & kVM) {
    SetRealSegment(s, seg, selector);
    return true;
  }
  if (!LoadSegment(m, seg, selector, pc)) {
    if (s.exception_vector == ir::kGeneralProtection) {
      s.exception_vector = 10;
      if (s.error_code == 0) s.error_code = SelectorError(selector);
    }
    return false;
  }
  return true;
}

bool LoadTaskCode(Machine::Impl& m, uint16_t selector, uint64_t pc) {
  CpuState& s = m.state;
  if (s.rflags & kVM) {
    SetRealSegment(s, CS, selector);
    s.sys.cpl = 3;
    return true;
  }
  Descriptor d;
  DescFetch f = FetchDescriptor(m, selector, &d, pc);
  if (f == DescFetch::kPageFault) return false;
  const unsigned rpl = selector & 3;
  const bool conforming = d.attrs & kSegConforming;
  if ((selector & 0xfffc) == 0 || f != DescFetch::kOk || !d.code() ||
      (conforming ? d.dpl() > rpl : d.dpl() != rpl)) {
    return Fault(s, 10, SelectorError(selector), pc);
  }
  if (!d.present()) return Fault(s, 11, SelectorError(selector), pc);
  SetSegment(s, CS, selector, d);
  s.sys.cpl = rpl;
  return true;
}

}  // namespace

bool SwitchTask(Machine::Impl& m, uint16_t selector, TaskSwitch how, uint64_t next_eip, uint64_t pc,
                bool external) {
  CpuState& s = m.state;
  const uint32_t ext = external ? 1 : 0;
  const uint32_t sel_error = SelectorError(selector) | ext;
  if (LongMode(s)) return Fault(s, ir::kGeneralProtection, sel_error, pc);
  // The incoming TSS: in the GDT, a 32-bit TSS, available (busy for IRET), present, big enough.
  const uint32_t bad_tss_vector =
      how == TaskSwitch::kIret ? 10u : static_cast<uint32_t>(ir::kGeneralProtection);
  if (selector & 4) return Fault(s, bad_tss_vector, sel_error, pc);
  Descriptor nd;
  DescFetch f = FetchDescriptor(m, selector, &nd, pc);
  if (f == DescFetch::kPageFault) return false;
  const unsigned want = how == TaskSwitch::kIret ? kTss32Busy : kTss32Available;
  if (f != DescFetch::kOk || !nd.system() || nd.type() != want)
    return Fault(s, bad_tss_vector, sel_error, pc);
  if (!nd.present()) return Fault(s, 11, sel_error, pc);
  if (nd.limit < kTssMinLimit) return Fault(s, 10, sel_error, pc);
  if (s.sys.tr.limit < kTssMinLimit) return Fault(s, 10, SelectorError(s.sys.tr.selector), pc);

  // Everything that can fault before the switch: read the new TSS, then save the outgoing task.
  uint8_t in[kTssBytes];
  if (!ReadLinear(m, nd.base, in, kTssBytes, true, pc)) return false;
  uint64_t out_flags = s.rflags;
  if (how == TaskSwitch::kIret) out_flags &= ~kNT;
  uint8_t out[kLdt - kEip] = {};
  Put32(out + kEip - kEip, static_cast<uint32_t>(next_eip));
  Put32(out + kEflags - kEip, static_cast<uint32_t>(out_flags));
  for (unsigned r = 0; r < 8; ++r)
    Put32(out + kEax - kEip + 4 * r, static_cast<uint32_t>(s.gpr[r]));
  for (unsigned seg = 0; seg < 6; ++seg) Put32(out + kEs - kEip + 4 * seg, s.sys.seg[seg].selector);
  const uint16_t old_tr = s.sys.tr.selector;
  if (!WriteLinear(m, s.sys.tr_base + kEip, out, sizeof out, true, pc)) return false;
  if (how == TaskSwitch::kJump || how == TaskSwitch::kIret) {
    if (!SetTssType(m, old_tr, kTss32Available, pc)) return false;
  }
  uint32_t new_flags = Get32(in + kEflags) | 2;
  if (how == TaskSwitch::kCall || how == TaskSwitch::kInterrupt) {
    uint8_t link[2] = {static_cast<uint8_t>(old_tr), static_cast<uint8_t>(old_tr >> 8)};
    if (!WriteLinear(m, nd.base + kLink, link, 2, true, pc)) return false;
    new_flags |= kNT;
  }
  if (how != TaskSwitch::kIret && !SetTssType(m, selector, kTss32Busy, pc)) return false;

  // The switch: TR, CR0.TS, then the new task's state. Faults from here on belong to it.
  s.sys.tr =
      SegmentCache{selector, static_cast<uint16_t>((nd.attrs & ~0xf) | kTss32Busy), nd.limit};
  s.sys.tr_base = nd.base;
  s.sys.cr0 |= kCr0Ts;
  s.sys.dr[7] &= ~0x55ull;  // local breakpoints are per task
  if (s.sys.cr0 & kCr0Pg) {
    s.sys.cr3 = Get32(in + kCr3);
    PagingChanged(m, true);
  }
  const uint32_t eip = Get32(in + kEip);
  s.rip = eip;
  s.rflags = new_flags;
  for (unsigned r = 0; r < 8; ++r) s.gpr[r] = Get32(in + kEax + 4 * r);
  auto sel_at = [&](unsigned off) { return static_cast<uint16_t>(Get32(in + off)); };
  // Selectors first, so that a fault leaves them as the new task has them (SDM 7.3 step 12).
  for (unsigned seg = 0; seg < 6; ++seg) s.sys.seg[seg].selector = sel_at(kEs + 4 * seg);
  const uint16_t ldt = sel_at(kLdt);
  if (!LoadLdt(m, ldt, eip)) {
    if (s.exception_vector == ir::kGeneralProtection) {
      s.exception_vector = 10;
      s.error_code = SelectorError(ldt) | ext;
    }
    return false;
  }
  if (!LoadTaskCode(m, sel_at(kEs + 4 * CS), eip)) return false;
  for (unsigned seg : {SS, DS, ES, FS, GS}) {
    if (!LoadTaskSegment(m, seg, sel_at(kEs + 4 * seg), eip)) return false;
  }
  return true;
}

bool TaskGate(Machine::Impl& m, const Descriptor& gate, TaskSwitch how, uint64_t next_eip,
              uint64_t pc, bool external) {
  CpuState& s = m.state;
  const uint16_t tss = static_cast<uint16_t>(gate.raw >> 16);
  if (!gate.present()) return Fault(s, 11, SelectorError(tss) | (external ? 1 : 0), pc);
  return SwitchTask(m, tss, how, next_eip, pc, external);
}

bool IsTaskDescriptor(const Descriptor& d) {
  return d.system() && (d.type() == kTss32Available || d.type() == kTss32Busy || d.type() == 0x1 ||
                        d.type() == 0x3 || d.type() == kTaskGate);
}

bool NestedTaskReturn(Machine::Impl& m, uint64_t next_eip, uint64_t pc) {
  CpuState& s = m.state;
  uint8_t link[2];
  if (!ReadLinear(m, s.sys.tr_base + kLink, link, 2, true, pc)) return false;
  const uint16_t selector = static_cast<uint16_t>(link[0] | link[1] << 8);
  return SwitchTask(m, selector, TaskSwitch::kIret, next_eip, pc, false);
}

}  // namespace doppel::sys
