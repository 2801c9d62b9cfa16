// runtime/segments.cpp: segmentation for system mode (and the i386 TLS descriptors of process
// mode): descriptor fetch, MOV/POP Sreg checks, far JMP/CALL/RET through code segments and call
// gates, IRET, LTR/LLDT and LAR/LSL/VERR/VERW (Intel SDM Vol. 3A ch. 5 and the instruction pages).
#include <cstring>

#include "runtime/system_cpu.h"

namespace doppel::sys {

namespace {

constexpr unsigned kGateCall32 = 0xc, kGateCall16 = 0x4;
constexpr unsigned kTss32Available = 0x9, kTss16Available = 0x1, kTssBusyBit = 0x2, kLdtType = 0x2;

uint32_t SelectorError(uint16_t selector) { return selector & 0xfffc; }

Descriptor Decode(uint64_t raw) {
  Descriptor d;
  d.raw = raw;
  uint32_t lo = static_cast<uint32_t>(raw), hi = static_cast<uint32_t>(raw >> 32);
  d.base = (lo >> 16) | (hi & 0xff) << 16 | (hi & 0xff000000u);
  d.limit = (lo & 0xffff) | (hi & 0xf0000);
  d.attrs = static_cast<uint16_t>((hi >> 8) & 0xf0ff);
  if (d.attrs & kSegGranularity) d.limit = d.limit << 12 | 0xfff;
  return d;
}

// Sets the accessed bit in the descriptor in memory, as the processor does on a load.
void MarkAccessed(Machine::Impl& m, uint16_t selector, Descriptor* d, uint64_t pc) {
  if (d->attrs & kSegAccessed || !m.config.system) return;
  d->attrs |= kSegAccessed;
  uint64_t table = (selector & 4) ? m.state.sys.ldtr_base : m.state.sys.gdtr_base;
  uint8_t byte = static_cast<uint8_t>(d->raw >> 40) | 1;
  WriteLinear(m, table + (selector & ~7u) + 5, &byte, 1, true, pc);
}

bool GpFault(CpuState& s, uint32_t error, uint64_t pc) {
  Raise(s, ir::kGeneralProtection, error, pc);
  return false;
}

unsigned StackBytes(const CpuState& s) {
  if (Mode64(s)) return 8;
  return (s.sys.seg[SS].attrs & kSegDb) ? 4 : 2;
}

uint64_t StackMask(const CpuState& s) {
  unsigned b = StackBytes(s);
  return b == 8 ? ~0ull : b == 4 ? 0xffffffffull : 0xffff;
}

void SetSp(CpuState& s, uint64_t sp) {
  uint64_t mask = StackMask(s);
  s.gpr[RSP] = (s.gpr[RSP] & ~mask) | (sp & mask);
}

// Checks a code segment as the target of a far JMP/CALL (no gate) and loads CS.
bool LoadCodeSegment(Machine::Impl& m, uint16_t selector, Descriptor& d, uint64_t pc) {
  CpuState& s = m.state;
  unsigned cpl = s.sys.cpl, rpl = selector & 3;
  if (d.attrs & kSegConforming) {
    if (d.dpl() > cpl) return GpFault(s, SelectorError(selector), pc);
  } else if (rpl > cpl || d.dpl() != cpl) {
    return GpFault(s, SelectorError(selector), pc);
  }
  if (!d.present()) {
    Raise(s, 11, SelectorError(selector), pc);  // #NP
    return false;
  }
  MarkAccessed(m, selector, &d, pc);
  SetSegment(s, CS, static_cast<uint16_t>((selector & ~3) | cpl), d);
  return true;
}

uint64_t TruncateIp(const CpuState& s, uint64_t ip, unsigned op_bytes) {
  if (Mode64(s) && op_bytes == 8) return ip;
  return op_bytes == 2 ? ip & 0xffff : ip & 0xffffffff;
}

// After a return to an outer level: data segments the new CPL may not use become null.
void NullInaccessibleSegments(CpuState& s) {
  for (unsigned seg : {ES, DS, FS, GS}) {
    const SegmentCache& c = s.sys.seg[seg];
    bool data_or_nonconforming = !(c.attrs & kSegCode) || !(c.attrs & kSegConforming);
    if ((c.attrs & kSegS) && data_or_nonconforming && SegDpl(c.attrs) < s.sys.cpl) {
      s.sys.seg[seg] = SegmentCache{0, 0, 0};
      s.seg_base[seg] = 0;
    }
  }
}

}  // namespace

// The stack pointer for privilege level `dpl` from the TSS (32-bit TSS: ESP0 at 4, SS0 at 8).
bool TssStack(Machine::Impl& m, unsigned dpl, uint16_t* ss, uint64_t* sp, uint64_t pc) {
  CpuState& s = m.state;
  if (LongMode(s)) {
    *ss = 0;
    return ReadLinear(m, s.sys.tr_base + 4 + 8 * dpl, sp, 8, true, pc);
  }
  bool tss32 = (s.sys.tr.attrs & 0x8) != 0;
  unsigned off = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
  if (off + (tss32 ? 5 : 3) > s.sys.tr.limit) {
    Raise(s, 10, SelectorError(s.sys.tr.selector), pc);  // #TS
    return false;
  }
  uint64_t v = 0;
  if (!ReadLinear(m, s.sys.tr_base + off, &v, tss32 ? 8 : 4, true, pc)) return false;
  *sp = tss32 ? (v & 0xffffffff) : (v & 0xffff);
  *ss = static_cast<uint16_t>(tss32 ? v >> 32 : v >> 16);
  return true;
}

// Loads SS for a privilege change to `cpl`, with the #TS checks of the SDM.
bool LoadInnerStack(Machine::Impl& m, uint16_t ss, unsigned cpl, uint64_t pc) {
  CpuState& s = m.state;
  if ((ss & 0xfffc) == 0) {
    if (LongMode(s)) {  // long mode: a null SS with RPL = CPL
      s.sys.seg[SS] = SegmentCache{static_cast<uint16_t>(cpl), 0, 0};
      s.seg_base[SS] = 0;
      return true;
    }
    Raise(s, 10, 0, pc);
    return false;
  }
  Descriptor d;
  if (FetchDescriptor(m, ss, &d, pc) != DescFetch::kOk) {
    if (!Faulted(s)) Raise(s, 10, SelectorError(ss), pc);
    return false;
  }
  if ((ss & 3) != cpl || d.dpl() != cpl || d.system() || d.code() || !(d.attrs & kSegWritable)) {
    Raise(s, 10, SelectorError(ss), pc);
    return false;
  }
  if (!d.present()) {
    Raise(s, 12, SelectorError(ss), pc);  // #SS
    return false;
  }
  MarkAccessed(m, ss, &d, pc);
  SetSegment(s, SS, ss, d);
  return true;
}

DescFetch FetchDescriptor(Machine::Impl& m, uint16_t selector, Descriptor* d, uint64_t pc,
                          uint64_t* high) {
  CpuState& s = m.state;
  unsigned index = selector & ~7u;
  uint64_t raw = 0;
  if (!m.config.system) {
    // Process mode: the GDT entries Linux gives user space (flat code/data and TLS slots).
    if ((selector & 4) || index / 8 >= m.user_gdt.size()) return DescFetch::kOutOfLimit;
    *d = Decode(m.user_gdt[index / 8]);
    if (high) *high = 0;
    return DescFetch::kOk;
  }
  bool ldt = selector & 4;
  uint64_t base = ldt ? s.sys.ldtr_base : s.sys.gdtr_base;
  uint32_t limit = ldt ? s.sys.ldtr.limit : s.sys.gdtr_limit;
  if (ldt && (s.sys.ldtr.selector & 0xfffc) == 0) return DescFetch::kOutOfLimit;
  unsigned bytes = high ? 16 : 8;
  if (index + bytes - 1 > limit) return DescFetch::kOutOfLimit;
  if (!ReadLinear(m, base + index, &raw, 8, true, pc)) return DescFetch::kPageFault;
  if (high && !ReadLinear(m, base + index + 8, high, 8, true, pc)) return DescFetch::kPageFault;
  *d = Decode(raw);
  if (high && d->system()) d->base |= (*high & 0xffffffff) << 32;
  return DescFetch::kOk;
}

void SetSegment(CpuState& s, unsigned seg, uint16_t selector, const Descriptor& d) {
  s.sys.seg[seg] = SegmentCache{selector, d.attrs, d.limit};
  s.seg_base[seg] = d.base;
  if (seg == CS) s.sys.cpl = selector & 3;
}

void SetRealSegment(CpuState& s, unsigned seg, uint16_t selector) {
  s.sys.seg[seg].selector = selector;
  s.seg_base[seg] = static_cast<uint64_t>(selector) << 4;
}

bool LoadSegment(Machine::Impl& m, unsigned seg, uint16_t selector, uint64_t pc) {
  CpuState& s = m.state;
  if (!ProtectedMode(s) || (s.rflags & kVM)) {
    SetRealSegment(s, seg, selector);
    return true;
  }
  unsigned cpl = s.sys.cpl, rpl = selector & 3;
  if ((selector & 0xfffc) == 0) {
    // A null selector: allowed for data segments, and for SS in 64-bit mode below CPL 3.
    if (seg == SS && !(Mode64(s) && cpl != 3 && rpl == cpl)) return GpFault(s, 0, pc);
    s.sys.seg[seg] = SegmentCache{selector, 0, 0};
    s.seg_base[seg] = 0;
    return true;
  }
  Descriptor d;
  DescFetch f = FetchDescriptor(m, selector, &d, pc);
  if (f == DescFetch::kPageFault) return false;
  if (f == DescFetch::kOutOfLimit) return GpFault(s, SelectorError(selector), pc);
  if (seg == SS) {
    if (rpl != cpl || d.dpl() != cpl || d.system() || d.code() || !(d.attrs & kSegWritable))
      return GpFault(s, SelectorError(selector), pc);
    if (!d.present()) {
      Raise(s, 12, SelectorError(selector), pc);
      return false;
    }
  } else {
    bool readable = !d.code() || (d.attrs & kSegWritable);
    if (d.system() || !readable) return GpFault(s, SelectorError(selector), pc);
    bool conforming_code = d.code() && (d.attrs & kSegConforming);
    if (!conforming_code && (rpl > d.dpl() || cpl > d.dpl()))
      return GpFault(s, SelectorError(selector), pc);
    if (!d.present()) {
      Raise(s, 11, SelectorError(selector), pc);
      return false;
    }
  }
  MarkAccessed(m, selector, &d, pc);
  // In 64-bit mode a selector load sets only a 32-bit base (FS/GS: the MSRs hold more).
  SetSegment(s, seg, selector, d);
  return true;
}

bool Push(Machine::Impl& m, uint64_t value, unsigned bytes, uint64_t pc) {
  CpuState& s = m.state;
  uint64_t sp = (s.gpr[RSP] - bytes) & StackMask(s);
  uint64_t linear = s.seg_base[SS] + sp;
  if (!Mode64(s)) linear &= 0xffffffff;
  if (!WriteLinear(m, linear, &value, bytes, false, pc)) return false;
  SetSp(s, sp);
  return true;
}

bool Pop(Machine::Impl& m, uint64_t* value, unsigned bytes, uint64_t pc) {
  CpuState& s = m.state;
  uint64_t sp = s.gpr[RSP] & StackMask(s);
  uint64_t linear = s.seg_base[SS] + sp;
  if (!Mode64(s)) linear &= 0xffffffff;
  *value = 0;
  if (!ReadLinear(m, linear, value, bytes, false, pc)) return false;
  SetSp(s, sp + bytes);
  return true;
}

// JMP/CALL to a TSS or a task gate: DPL >= CPL and DPL >= RPL of the TSS descriptor or gate.
uint64_t TaskTransfer(Machine::Impl& m, uint16_t selector, const Descriptor& d, TaskSwitch how,
                      uint64_t pc, uint64_t next_pc) {
  CpuState& s = m.state;
  if (d.dpl() < s.sys.cpl || d.dpl() < (selector & 3u))
    return GpFault(s, SelectorError(selector), pc), 0;
  bool ok = d.type() == 0x5 ? TaskGate(m, d, how, next_pc, pc, false)
                            : SwitchTask(m, selector, how, next_pc, pc, false);
  return ok ? s.rip : 0;
}

uint64_t FarJump(Machine::Impl& m, uint16_t selector, uint64_t offset, unsigned op_bytes,
                 uint64_t pc, uint64_t next_pc) {
  CpuState& s = m.state;
  if (!ProtectedMode(s) || (s.rflags & kVM)) {
    SetRealSegment(s, CS, selector);
    return TruncateIp(s, offset, op_bytes);
  }
  if ((selector & 0xfffc) == 0) return GpFault(s, 0, pc), 0;
  Descriptor d;
  uint64_t high = 0;
  DescFetch f = FetchDescriptor(m, selector, &d, pc, LongMode(s) ? &high : nullptr);
  if (f == DescFetch::kPageFault) return 0;
  if (f == DescFetch::kOutOfLimit) return GpFault(s, SelectorError(selector), pc), 0;
  if (d.code()) {
    if (!LoadCodeSegment(m, selector, d, pc)) return 0;
    return TruncateIp(s, offset, op_bytes);
  }
  // A call gate to a code segment at the same privilege (JMP never changes CPL).
  unsigned type = d.type();
  if (d.system() && (type == kGateCall32 || type == kGateCall16)) {
    unsigned cpl = s.sys.cpl;
    if (d.dpl() < cpl || (selector & 3) > d.dpl())
      return GpFault(s, SelectorError(selector), pc), 0;
    if (!d.present()) return Raise(s, 11, SelectorError(selector), pc), 0;
    uint16_t target_sel = static_cast<uint16_t>(d.raw >> 16);
    uint64_t target = (d.raw & 0xffff) | ((d.raw >> 32) & 0xffff0000);
    if (LongMode(s)) target |= (high & 0xffffffff) << 32;
    Descriptor code;
    f = FetchDescriptor(m, target_sel, &code, pc);
    if (f == DescFetch::kPageFault) return 0;
    if (f != DescFetch::kOk || !code.code()) return GpFault(s, SelectorError(target_sel), pc), 0;
    if (!LoadCodeSegment(m, static_cast<uint16_t>(target_sel & ~3), code, pc)) return 0;
    return type == kGateCall16 ? target & 0xffff : target;
  }
  if (IsTaskDescriptor(d)) return TaskTransfer(m, selector, d, TaskSwitch::kJump, pc, next_pc);
  return GpFault(s, SelectorError(selector), pc), 0;
}

uint64_t FarCall(Machine::Impl& m, uint16_t selector, uint64_t offset, unsigned op_bytes,
                 uint64_t pc, uint64_t next_pc) {
  CpuState& s = m.state;
  const uint64_t old_cs = s.sys.seg[CS].selector;
  const uint64_t old_sp = s.gpr[RSP];
  if (!ProtectedMode(s) || (s.rflags & kVM)) {
    if (!Push(m, old_cs, op_bytes, pc) || !Push(m, next_pc, op_bytes, pc)) {
      s.gpr[RSP] = old_sp;
      return 0;
    }
    SetRealSegment(s, CS, selector);
    return TruncateIp(s, offset, op_bytes);
  }
  if ((selector & 0xfffc) == 0) return GpFault(s, 0, pc), 0;
  Descriptor d;
  uint64_t high = 0;
  DescFetch f = FetchDescriptor(m, selector, &d, pc, LongMode(s) ? &high : nullptr);
  if (f == DescFetch::kPageFault) return 0;
  if (f == DescFetch::kOutOfLimit) return GpFault(s, SelectorError(selector), pc), 0;
  const SegmentCache saved_cs = s.sys.seg[CS];
  const uint64_t saved_cs_base = s.seg_base[CS];
  auto undo = [&] {
    s.gpr[RSP] = old_sp;
    s.sys.seg[CS] = saved_cs;
    s.seg_base[CS] = saved_cs_base;
    s.sys.cpl = saved_cs.selector & 3;
    return uint64_t{0};
  };
  if (d.code()) {
    if (!Push(m, old_cs, op_bytes, pc) || !Push(m, next_pc, op_bytes, pc)) return undo();
    if (!LoadCodeSegment(m, selector, d, pc)) return undo();
    return TruncateIp(s, offset, op_bytes);
  }
  unsigned type = d.type();
  if (IsTaskDescriptor(d)) return TaskTransfer(m, selector, d, TaskSwitch::kCall, pc, next_pc);
  if (!d.system() || (type != kGateCall32 && type != kGateCall16))
    return GpFault(s, SelectorError(selector), pc), 0;
  unsigned cpl = s.sys.cpl;
  if (d.dpl() < cpl || (selector & 3) > d.dpl()) return GpFault(s, SelectorError(selector), pc), 0;
  if (!d.present()) return Raise(s, 11, SelectorError(selector), pc), 0;
  uint16_t target_sel = static_cast<uint16_t>(d.raw >> 16);
  uint64_t target = (d.raw & 0xffff) | ((d.raw >> 32) & 0xffff0000);
  if (LongMode(s)) target |= (high & 0xffffffff) << 32;
  unsigned gate_bytes = LongMode(s) ? 8 : type == kGateCall32 ? 4 : 2;
  unsigned params = static_cast<unsigned>(d.raw >> 32) & 0x1f;
  Descriptor code;
  f = FetchDescriptor(m, target_sel, &code, pc);
  if (f == DescFetch::kPageFault) return 0;
  if (f != DescFetch::kOk || !code.code() || code.dpl() > cpl)
    return GpFault(s, SelectorError(target_sel), pc), 0;
  if (!code.present()) return Raise(s, 11, SelectorError(target_sel), pc), 0;
  const uint64_t ret_cs = old_cs, ret_ip = next_pc;
  if (!(code.attrs & kSegConforming) && code.dpl() < cpl) {
    // To an inner level: switch to the TSS stack, then push the caller's SS:SP, its parameters
    // and the return address.
    unsigned new_cpl = code.dpl();
    uint16_t new_ss = 0;
    uint64_t new_sp = 0;
    if (!TssStack(m, new_cpl, &new_ss, &new_sp, pc)) return 0;
    const uint64_t old_ss = s.sys.seg[SS].selector, old_ss_base = s.seg_base[SS];
    const unsigned old_stack_bytes = StackBytes(s);
    const SegmentCache saved_ss = s.sys.seg[SS];
    uint64_t param_values[32] = {};
    for (unsigned i = 0; i < params && !LongMode(s); ++i) {
      uint64_t a =
          old_ss_base + ((old_sp + i * gate_bytes) & (old_stack_bytes == 2 ? 0xffff : 0xffffffff));
      if (!ReadLinear(m, a & 0xffffffff, &param_values[i], gate_bytes, false, pc)) return 0;
    }
    s.sys.cpl = new_cpl;
    if (!LoadInnerStack(m, new_ss, new_cpl, pc)) {
      s.sys.cpl = cpl;
      return 0;
    }
    s.gpr[RSP] = new_sp;
    bool ok = Push(m, old_ss, gate_bytes, pc) && Push(m, old_sp, gate_bytes, pc);
    for (unsigned i = params; ok && i > 0 && !LongMode(s); --i)
      ok = Push(m, param_values[i - 1], gate_bytes, pc);
    ok = ok && Push(m, ret_cs, gate_bytes, pc) && Push(m, ret_ip, gate_bytes, pc);
    if (!ok) {
      s.sys.cpl = cpl;
      s.sys.seg[SS] = saved_ss;
      s.seg_base[SS] = old_ss_base;
      return undo();
    }
    MarkAccessed(m, target_sel, &code, pc);
    SetSegment(s, CS, static_cast<uint16_t>((target_sel & ~3) | new_cpl), code);
  } else {
    if (!Push(m, ret_cs, gate_bytes, pc) || !Push(m, ret_ip, gate_bytes, pc)) return undo();
    MarkAccessed(m, target_sel, &code, pc);
    SetSegment(s, CS, static_cast<uint16_t>((target_sel & ~3) | cpl), code);
  }
  return gate_bytes == 2 ? target & 0xffff : target;
}

uint64_t FarReturn(Machine::Impl& m, unsigned op_bytes, uint64_t release, uint64_t pc) {
  CpuState& s = m.state;
  const uint64_t old_sp = s.gpr[RSP];
  uint64_t ip = 0, cs = 0;
  if (!Pop(m, &ip, op_bytes, pc) || !Pop(m, &cs, op_bytes, pc)) {
    s.gpr[RSP] = old_sp;
    return 0;
  }
  uint16_t sel = static_cast<uint16_t>(cs);
  if (!ProtectedMode(s) || (s.rflags & kVM)) {
    SetRealSegment(s, CS, sel);
    SetSp(s, s.gpr[RSP] + release);
    return TruncateIp(s, ip, op_bytes);
  }
  auto fail = [&](uint32_t error) {
    s.gpr[RSP] = old_sp;
    return GpFault(s, error, pc), uint64_t{0};
  };
  if ((sel & 0xfffc) == 0) return fail(0);
  Descriptor d;
  DescFetch f = FetchDescriptor(m, sel, &d, pc);
  if (f == DescFetch::kPageFault) return s.gpr[RSP] = old_sp, 0;
  unsigned cpl = s.sys.cpl, rpl = sel & 3;
  if (f != DescFetch::kOk || !d.code() || rpl < cpl) return fail(SelectorError(sel));
  if ((d.attrs & kSegConforming) ? d.dpl() > rpl : d.dpl() != rpl) return fail(SelectorError(sel));
  if (!d.present()) {
    s.gpr[RSP] = old_sp;
    return Raise(s, 11, SelectorError(sel), pc), 0;
  }
  SetSp(s, s.gpr[RSP] + release);
  if (rpl > cpl) {
    uint64_t sp = 0, ss = 0;
    if (!Pop(m, &sp, op_bytes, pc) || !Pop(m, &ss, op_bytes, pc)) return s.gpr[RSP] = old_sp, 0;
    SetSegment(s, CS, sel, d);
    if (!LoadInnerStack(m, static_cast<uint16_t>(ss), rpl, pc)) return s.gpr[RSP] = old_sp, 0;
    s.gpr[RSP] = sp;
    SetSp(s, sp + release);
    NullInaccessibleSegments(s);
  } else {
    SetSegment(s, CS, sel, d);
  }
  return TruncateIp(s, ip, op_bytes);
}

uint64_t Iret(Machine::Impl& m, unsigned op_bytes, uint64_t pc, uint64_t next_pc) {
  CpuState& s = m.state;
  // A nested task returns to the previous task (no stack frame); IA-32e mode has none (#GP).
  if (ProtectedMode(s) && !(s.rflags & kVM) && (s.rflags & kNT)) {
    if (LongMode(s)) return GpFault(s, 0, pc), 0;
    return NestedTaskReturn(m, next_pc, pc) ? s.rip : 0;
  }
  const uint64_t old_sp = s.gpr[RSP];
  const bool from64 = Mode64(s);
  uint64_t ip = 0, cs = 0, flags = 0;
  if (!Pop(m, &ip, op_bytes, pc) || !Pop(m, &cs, op_bytes, pc) || !Pop(m, &flags, op_bytes, pc)) {
    s.gpr[RSP] = old_sp;
    return 0;
  }
  const unsigned cpl = s.sys.cpl;
  // Which RFLAGS bits IRET may change: IOPL only at CPL 0, IF only when CPL <= IOPL.
  auto apply_flags = [&](unsigned old_cpl) {
    uint64_t mask = ir::kArithFlags | ir::kTF | ir::kDF | kNT | kRF | kAC | kID | kVIF | kVIP;
    if (old_cpl == 0) mask |= kIopl;
    if (old_cpl <= Iopl(s)) mask |= ir::kIF;
    if (op_bytes == 2) mask &= 0xffff;
    s.rflags = (s.rflags & ~mask) | (flags & mask) | 2;
  };
  uint16_t sel = static_cast<uint16_t>(cs);
  if (!ProtectedMode(s)) {
    SetRealSegment(s, CS, sel);
    uint64_t mask = op_bytes == 2 ? 0xffff : 0x257fd5;
    s.rflags = (s.rflags & ~mask) | (flags & mask) | 2;
    return TruncateIp(s, ip, op_bytes);
  }
  auto fail = [&](uint32_t error) {
    s.gpr[RSP] = old_sp;
    return GpFault(s, error, pc), uint64_t{0};
  };
  if ((sel & 0xfffc) == 0) return fail(0);
  Descriptor d;
  DescFetch f = FetchDescriptor(m, sel, &d, pc);
  if (f == DescFetch::kPageFault) return s.gpr[RSP] = old_sp, 0;
  unsigned rpl = sel & 3;
  if (f != DescFetch::kOk || !d.code() || rpl < cpl) return fail(SelectorError(sel));
  if ((d.attrs & kSegConforming) ? d.dpl() > rpl : d.dpl() != rpl) return fail(SelectorError(sel));
  if (!d.present()) {
    s.gpr[RSP] = old_sp;
    return Raise(s, 11, SelectorError(sel), pc), 0;
  }
  // IRETQ always pops SS:RSP; elsewhere only on a return to an outer level.
  bool pop_stack = rpl > cpl || from64;
  if (pop_stack) {
    uint64_t sp = 0, ss = 0;
    if (!Pop(m, &sp, op_bytes, pc) || !Pop(m, &ss, op_bytes, pc)) return s.gpr[RSP] = old_sp, 0;
    const SegmentCache saved_cs = s.sys.seg[CS];
    const uint64_t saved_base = s.seg_base[CS];
    SetSegment(s, CS, sel, d);
    if (!LoadInnerStack(m, static_cast<uint16_t>(ss), rpl, pc)) {
      s.sys.seg[CS] = saved_cs;
      s.seg_base[CS] = saved_base;
      s.sys.cpl = cpl;
      s.gpr[RSP] = old_sp;
      return 0;
    }
    apply_flags(cpl);
    s.gpr[RSP] = op_bytes == 8 ? sp : (op_bytes == 4 ? sp & 0xffffffff : sp & 0xffff);
    if (rpl > cpl) NullInaccessibleSegments(s);
  } else {
    SetSegment(s, CS, sel, d);
    apply_flags(cpl);
  }
  return TruncateIp(s, ip, op_bytes);
}

bool CheckSegmentAccess(Machine::Impl& m, unsigned extra, uint64_t offset, uint64_t bytes,
                        uint64_t pc) {
  CpuState& s = m.state;
  const unsigned seg = extra & 7;
  const bool read = extra & 0x10, write = extra & 0x20;
  const SegmentCache& c = s.sys.seg[seg];
  const uint32_t vector = seg == SS ? 12u : static_cast<uint32_t>(ir::kGeneralProtection);
  const bool code = c.attrs & kSegCode;
  const uint64_t last = offset + (bytes ? bytes - 1 : 0);
  if (!ProtectedMode(s) || (s.rflags & kVM)) {  // real mode: the limit only, expand-up
    if (last > c.limit) Raise(s, vector, 0, pc);
    return last <= c.limit;
  }
  bool ok = (c.attrs & kSegPresent) && (c.attrs & kSegS);  // else a null (unusable) segment
  if (ok && write && (code || !(c.attrs & kSegWritable))) ok = false;
  if (ok && read && code && !(c.attrs & kSegWritable)) ok = false;  // execute-only
  if (ok && !code && (c.attrs & kSegConforming)) {  // expand-down: (limit, 64 KiB or 4 GiB)
    const uint64_t upper = (c.attrs & kSegDb) ? 0xffffffffull : 0xffffull;
    ok = offset > c.limit && last <= upper;
  } else if (ok) {
    ok = last <= c.limit;
  }
  if (!ok) Raise(s, vector, 0, pc);
  return ok;
}

bool LoadTaskRegister(Machine::Impl& m, uint16_t selector, uint64_t pc) {
  CpuState& s = m.state;
  if ((selector & 0xfffc) == 0 || (selector & 4)) return GpFault(s, SelectorError(selector), pc);
  Descriptor d;
  uint64_t high = 0;
  DescFetch f = FetchDescriptor(m, selector, &d, pc, LongMode(s) ? &high : nullptr);
  if (f == DescFetch::kPageFault) return false;
  bool available = d.type() == kTss32Available || (!LongMode(s) && d.type() == kTss16Available);
  if (f != DescFetch::kOk || !d.system() || !available)
    return GpFault(s, SelectorError(selector), pc);
  if (!d.present()) {
    Raise(s, 11, SelectorError(selector), pc);
    return false;
  }
  // Mark the TSS busy in the GDT.
  uint8_t access = static_cast<uint8_t>(d.raw >> 40) | kTssBusyBit;
  if (!WriteLinear(m, s.sys.gdtr_base + (selector & ~7u) + 5, &access, 1, true, pc)) return false;
  d.attrs |= kTssBusyBit;
  s.sys.tr = SegmentCache{selector, d.attrs, d.limit};
  s.sys.tr_base = d.base;
  return true;
}

bool LoadLdt(Machine::Impl& m, uint16_t selector, uint64_t pc) {
  CpuState& s = m.state;
  if ((selector & 0xfffc) == 0) {
    s.sys.ldtr = SegmentCache{selector, 0, 0};
    s.sys.ldtr_base = 0;
    return true;
  }
  if (selector & 4) return GpFault(s, SelectorError(selector), pc);
  Descriptor d;
  uint64_t high = 0;
  DescFetch f = FetchDescriptor(m, selector, &d, pc, LongMode(s) ? &high : nullptr);
  if (f == DescFetch::kPageFault) return false;
  if (f != DescFetch::kOk || !d.system() || d.type() != kLdtType)
    return GpFault(s, SelectorError(selector), pc);
  if (!d.present()) {
    Raise(s, 11, SelectorError(selector), pc);
    return false;
  }
  s.sys.ldtr = SegmentCache{selector, d.attrs, d.limit};
  s.sys.ldtr_base = d.base;
  return true;
}

bool CheckSelector(Machine::Impl& m, ir::SystemOp op, uint16_t selector, uint64_t* out,
                   uint64_t pc) {
  CpuState& s = m.state;
  if ((selector & 0xfffc) == 0) return false;
  Descriptor d;
  if (FetchDescriptor(m, selector, &d, pc) != DescFetch::kOk) return false;
  unsigned cpl = s.sys.cpl, rpl = selector & 3;
  bool conforming_code = d.code() && (d.attrs & kSegConforming);
  bool visible = conforming_code || (d.dpl() >= cpl && d.dpl() >= rpl);
  if (!visible) return false;
  switch (op) {
    case ir::SystemOp::kLar:
    case ir::SystemOp::kLsl: {
      if (d.system()) {
        // LAR accepts TSS, LDT and gate types; LSL only the ones with a limit.
        static constexpr bool kLar[16] = {0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0};
        static constexpr bool kLsl[16] = {0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0};
        if (!(op == ir::SystemOp::kLar ? kLar : kLsl)[d.type()]) return false;
      }
      *out = op == ir::SystemOp::kLar ? (d.raw >> 32) & 0x00f0ff00 : d.limit;
      return true;
    }
    case ir::SystemOp::kVerr: return !d.system() && (!d.code() || (d.attrs & kSegWritable));
    case ir::SystemOp::kVerw: return !d.system() && !d.code() && (d.attrs & kSegWritable);
    default: return false;
  }
}

}  // namespace doppel::sys
