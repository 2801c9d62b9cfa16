// runtime/interrupts.cpp: delivery of exceptions and interrupts in system mode: the real-mode
// IVT, protected-mode and long-mode IDT gates with privilege checks and stack switches (TSS
// stacks, IST), and escalation to double fault and triple fault (Intel SDM Vol. 3A ch. 6).
#include "runtime/system_cpu.h"

namespace doppel::sys {

namespace {

constexpr unsigned kDoubleFault = 8;
constexpr unsigned kGateTask = 0x5, kGateInt16 = 0x6, kGateTrap16 = 0x7, kGateInt32 = 0xe,
                   kGateTrap32 = 0xf;

bool HasErrorCode(uint32_t vector) {
  switch (vector) {
    case 8:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 17:
    case 21: return true;
    default: return false;
  }
}

// Exception classes for double-fault escalation (SDM Table 6-5).
enum class Class { kBenign, kContributory, kPageFault, kDoubleFault };
Class ClassOf(uint32_t vector) {
  switch (vector) {
    case 0:
    case 10:
    case 11:
    case 12:
    case 13: return Class::kContributory;
    case 14: return Class::kPageFault;
    case 8: return Class::kDoubleFault;
    default: return Class::kBenign;
  }
}

// Faults raised by delivery itself carry EXT (bit 0) when an external event or an exception
// was being delivered.
uint32_t IdtError(uint32_t vector, EventKind kind) {
  return vector * 8 + 2 + (kind == EventKind::kSoftware ? 0 : 1);
}

struct Delivery {
  Machine::Impl& m;
  CpuState& s;
  uint32_t vector;
  EventKind kind;
  uint32_t error_code;
  bool push_error;
  uint64_t insn_pc;

  // A fault while delivering a software interrupt belongs to the INT instruction.
  bool Fail(uint32_t fault_vector, uint32_t error) {
    Raise(s, fault_vector, error, kind == EventKind::kSoftware ? insn_pc : s.rip);
    return false;
  }

  bool Real() {
    uint32_t ivt[1] = {};
    if (vector * 4 + 3 > s.sys.idtr_limit) return Fail(ir::kGeneralProtection, 0);
    if (!ReadLinear(m, s.sys.idtr_base + vector * 4, ivt, 4, true, s.rip)) return false;
    uint64_t old_sp = s.gpr[RSP];
    if (!Push(m, s.rflags & 0xffff, 2, s.rip) || !Push(m, s.sys.seg[CS].selector, 2, s.rip) ||
        !Push(m, s.rip & 0xffff, 2, s.rip)) {
      s.gpr[RSP] = old_sp;
      return false;
    }
    s.rflags &= ~(ir::kIF | ir::kTF | kAC | kRF);
    SetRealSegment(s, CS, static_cast<uint16_t>(ivt[0] >> 16));
    s.rip = ivt[0] & 0xffff;
    return true;
  }

  // A task switch to the gate's TSS (how 32-bit Linux takes #DF); the error code goes on the new
  // task's stack.
  bool ThroughTaskGate(uint64_t raw) {
    Descriptor gate;
    gate.raw = raw;
    gate.attrs = static_cast<uint16_t>((raw >> 40) & 0xff);
    const bool external = kind != EventKind::kSoftware;
    const uint64_t pc = external ? s.rip : insn_pc;
    if (!TaskGate(m, gate, TaskSwitch::kInterrupt, s.rip, pc, external)) return false;
    return !push_error || Push(m, error_code, 4, s.rip);
  }

  bool Protected() {
    const bool long_mode = LongMode(s);
    const unsigned gate_bytes = long_mode ? 16 : 8;
    if (vector * gate_bytes + gate_bytes - 1 > s.sys.idtr_limit)
      return Fail(ir::kGeneralProtection, IdtError(vector, kind));
    uint64_t gate[2] = {};
    if (!ReadLinear(m, s.sys.idtr_base + vector * gate_bytes, gate, gate_bytes, true, s.rip))
      return false;
    const unsigned type = (gate[0] >> 40) & 0xf, dpl = (gate[0] >> 45) & 3;
    const bool present = (gate[0] >> 47) & 1;
    bool valid = long_mode ? (type == kGateInt32 || type == kGateTrap32)
                           : (type == kGateInt16 || type == kGateTrap16 || type == kGateInt32 ||
                              type == kGateTrap32);
    const bool task_gate = !long_mode && type == kGateTask;
    if (!valid && !task_gate) return Fail(ir::kGeneralProtection, IdtError(vector, kind));
    const unsigned cpl = s.sys.cpl;
    if (kind == EventKind::kSoftware && dpl < cpl)
      return Fail(ir::kGeneralProtection, IdtError(vector, kind));
    if (!present) return Fail(11, IdtError(vector, kind));
    if (task_gate) return ThroughTaskGate(gate[0]);
    const uint16_t target_sel = static_cast<uint16_t>(gate[0] >> 16);
    uint64_t target = (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000);
    if (long_mode) target |= (gate[1] & 0xffffffff) << 32;
    const unsigned ist = long_mode ? (gate[0] >> 32) & 7 : 0;
    const bool interrupt_gate = type == kGateInt16 || type == kGateInt32;
    const unsigned push_bytes = long_mode ? 8 : (type == kGateInt32 || type == kGateTrap32) ? 4 : 2;

    const uint32_t ext = kind == EventKind::kSoftware ? 0 : 1;
    if ((target_sel & 0xfffc) == 0) return Fail(ir::kGeneralProtection, ext);
    Descriptor code;
    DescFetch f = FetchDescriptor(m, target_sel, &code, s.rip);
    if (f == DescFetch::kPageFault) return false;
    if (f != DescFetch::kOk || !code.code() || code.dpl() > cpl)
      return Fail(ir::kGeneralProtection, (target_sel & 0xfffc) | ext);
    if (!code.present()) return Fail(11, (target_sel & 0xfffc) | ext);
    if (long_mode && (!(code.attrs & kSegLong) || (code.attrs & kSegDb)))
      return Fail(ir::kGeneralProtection, (target_sel & 0xfffc) | ext);

    const bool inner = !(code.attrs & kSegConforming) && code.dpl() < cpl;
    const unsigned new_cpl = inner ? code.dpl() : cpl;
    const uint64_t old_ss = s.sys.seg[SS].selector, old_sp = s.gpr[RSP];
    const uint64_t old_flags = s.rflags, old_cs = s.sys.seg[CS].selector, old_ip = s.rip;
    const SegmentCache saved_ss = s.sys.seg[SS];
    const uint64_t saved_ss_base = s.seg_base[SS];
    auto restore_stack = [&] {
      s.sys.seg[SS] = saved_ss;
      s.seg_base[SS] = saved_ss_base;
      s.gpr[RSP] = old_sp;
      s.sys.cpl = cpl;
    };

    if (inner || ist) {
      uint16_t new_ss = 0;
      uint64_t new_sp = 0;
      if (ist) {
        if (!ReadLinear(m, s.sys.tr_base + 36 + 8 * (ist - 1), &new_sp, 8, true, s.rip))
          return false;
      } else if (!TssStack(m, new_cpl, &new_ss, &new_sp, s.rip)) {
        return false;
      }
      if (inner) {
        s.sys.cpl = new_cpl;
        if (!LoadInnerStack(m, new_ss, new_cpl, s.rip)) {
          restore_stack();
          return false;
        }
      }
      s.gpr[RSP] = new_sp;
    }
    if (long_mode) s.gpr[RSP] &= ~0xfull;
    // The CPL checks of the pushes are those of the new level.
    s.sys.cpl = new_cpl;
    bool ok = true;
    if (long_mode || inner) {
      ok = Push(m, old_ss, push_bytes, old_ip) && Push(m, old_sp, push_bytes, old_ip);
    }
    ok = ok && Push(m, old_flags, push_bytes, old_ip) && Push(m, old_cs, push_bytes, old_ip) &&
         Push(m, old_ip, push_bytes, old_ip);
    if (ok && push_error) ok = Push(m, error_code, push_bytes, old_ip);
    if (!ok) {
      restore_stack();
      return false;
    }
    SetSegment(s, CS, static_cast<uint16_t>((target_sel & ~3) | new_cpl), code);
    s.rip = push_bytes == 2 ? target & 0xffff : long_mode ? target : target & 0xffffffff;
    s.rflags &= ~(ir::kTF | kNT | kRF | kVM);
    if (interrupt_gate) s.rflags &= ~ir::kIF;
    return true;
  }
};

}  // namespace

bool DeliverEvent(Machine::Impl& m, uint32_t vector, EventKind kind, uint32_t error_code,
                  uint64_t insn_pc) {
  CpuState& s = m.state;
  bool push_error = kind == EventKind::kException && HasErrorCode(vector);
  for (int attempt = 0; attempt < 3; ++attempt) {
    s.exit_reason = 0;
    if (vector == ir::kPageFault && kind == EventKind::kException) s.sys.cr2 = s.fault_addr;
    Delivery d{m, s, vector, kind, error_code, push_error, insn_pc};
    bool ok = ProtectedMode(s) ? d.Protected() : d.Real();
    if (ok) {
      s.exit_reason = 0;
      s.sys.halted = 0;
      return true;
    }
    // Delivery raised a new exception: combine per SDM Table 6-5.
    uint32_t second = s.exception_vector;
    // CR2 takes the address of every page fault when it is detected, also of one that turns
    // into a double fault (QEMU and Bochs alike).
    if (second == ir::kPageFault) s.sys.cr2 = s.fault_addr;
    if (vector == kDoubleFault) return false;  // triple fault
    Class a = ClassOf(vector), b = ClassOf(second);
    bool to_double = (a == Class::kContributory && b == Class::kContributory) ||
                     (a == Class::kPageFault && b != Class::kBenign);
    if (to_double) {
      vector = kDoubleFault;
      error_code = 0;
      push_error = true;
    } else {
      vector = second;
      error_code = s.error_code;
      push_error = HasErrorCode(vector);
    }
    kind = EventKind::kException;
  }
  return false;
}

}  // namespace doppel::sys
