// backend/x64/emit_x87.cpp: x87 ops. While every guest exception is masked, the guest FPU state
// lives in the host FPU (X87State::live) and each x87 instruction runs inline as itself, with its
// memory operand in the operand buffer; otherwise it calls the FPU unit (runtime/x87.cpp), which
// runs it between FRSTOR/FNSAVE of the state. Both are the host FPU, so the two agree bit for bit.
// The state enters at a block's first x87 op and stays in the host FPU across chained blocks; it
// leaves in the epilogue, before MMX and system ops, and before the x87 ops that only the unit
// runs.
#include "backend/x64/codegen.h"
#include "ir/vector.h"
#include "ir/x87.h"

namespace doppel::x64 {

using ir::Opcode;

namespace {

constexpr size_t kX87 = offsetof(CpuState, x87);
constexpr int32_t kOpbuf = static_cast<int32_t>(kX87 + offsetof(X87State, opbuf));
constexpr uint32_t kStatusFlags = 0x8D5;  // CF PF AF ZF SF OF

bool IsFcomi(uint8_t opcode, uint8_t modrm) {
  return (opcode == 0xdb || opcode == 0xdf) && modrm >= 0xe8 && modrm <= 0xf7;
}
bool IsFcmov(uint8_t opcode, uint8_t modrm) {
  return (opcode == 0xda || opcode == 0xdb) && modrm >= 0xc0 && modrm <= 0xdf;
}

// A memory store form that pops: fstp, fistp, fisttp, fbstp.
bool StorePops(uint8_t opcode, unsigned reg) {
  switch (opcode) {
    case 0xd9: return reg == 3;
    case 0xdb: return reg == 1 || reg == 3 || reg == 7;
    case 0xdd: return reg == 1 || reg == 3;
    case 0xdf: return reg == 1 || reg == 3 || reg == 6 || reg == 7;
    default: return false;
  }
}

}  // namespace

bool Codegen::X87Inline(uint64_t imm) {
  const uint8_t opcode = ir::X87Opcode(imm), modrm = ir::X87Modrm(imm);
  const unsigned reg = (modrm >> 3) & 7;
  if (opcode == 0x0f) return false;                   // FXSAVE/FXRSTOR read the state
  if (opcode == 0xdb && modrm == 0xe3) return false;  // FNINIT also clears the pointers
  if (!(ir::X87Flags(imm) & ir::kX87Memory)) return true;
  // The environment loads and stores: FLDENV, FNSTENV, FRSTOR, FNSAVE.
  return !((opcode == 0xd9 || opcode == 0xdd) && (reg == 4 || reg == 6));
}

bool Codegen::TouchesX87State(const ir::Inst& in) {
  switch (in.op) {
    case Opcode::kX87Op: return !X87Inline(in.imm);
    case Opcode::kSystem: return true;
    case Opcode::kVLoad:
    case Opcode::kVStore: return ir::VecMemSlot(in.imm) >= ir::kMmxSlot0;
    case Opcode::kVFromGpr: return in.imm >= ir::kMmxSlot0;
    case Opcode::kVOp:
    case Opcode::kVFromGprOp:
    case Opcode::kVToGpr:
    case Opcode::kVFlags:
    case Opcode::kVStrCmp: {
      const ir::VecOp op = ir::VecOpOf(in.imm);
      return op == ir::VecOp::kMmxEnter || op == ir::VecOp::kEmms ||
             ir::VecDst(in.imm) >= ir::kMmxSlot0 || ir::VecSrc(in.imm) >= ir::kMmxSlot0;
    }
    default: return false;
  }
}

void Codegen::CallRel32(uint64_t target) {
  uint64_t end = base_ + a_.offset() + 5;
  a_.db(0xE8);
  a_.dd(static_cast<uint32_t>(static_cast<int32_t>(static_cast<int64_t>(target - end))));
}

x86::Mem Codegen::X87Field(size_t off, unsigned bytes) const {
  return StateField(kX87 + off, bytes);
}

// Calls an enter/leave stub unless the state already is where it would move it.
void Codegen::CallX87Stub(uint64_t stub, bool if_live) {
  asmjit::Label skip = a_.newLabel();
  a_.cmp(X87Field(offsetof(X87State, live), 1), 0);
  if (if_live) {
    a_.je(skip);
  } else {
    a_.jne(skip);
  }
  CallRel32(stub);
  a_.bind(skip);
}

void Codegen::EmitX87Leave() {
  CallX87Stub(x87_stubs_.leave, true);
  x87_entered_ = false;
}

void Codegen::EmitX87(const ir::Inst& in) {
  switch (in.op) {
    case Opcode::kX87Load: {
      x86::Gp v = In(in.args[0], x86::rax);
      a_.mov(StateField(kOpbuf + in.imm, 8), v);
      break;
    }
    case Opcode::kX87Store: {
      x86::Gp d = Out();
      a_.mov(d, StateField(kOpbuf + in.imm, 8));
      Commit(d);
      break;
    }
    case Opcode::kX87ToGpr: {
      x86::Gp d = Out();
      const bool status = in.imm == ir::kX87StatusWord;
      const x86::Mem field =
          X87Field(status ? offsetof(X87State, fsw) : offsetof(X87State, fcw), 2);
      asmjit::Label stored = a_.newLabel();
      a_.cmp(X87Field(offsetof(X87State, live), 1), 0);
      a_.je(stored);
      if (status) {
        a_.fnstsw(field);
      } else {
        a_.fnstcw(field);
      }
      a_.bind(stored);
      a_.movzx(d.r32(), field);
      Commit(d);
      break;
    }
    default: {
      if (!X87Inline(in.imm)) {  // Run() has left the host FPU
        EmitX87Call(in);
        Commit(x86::rax);
        break;
      }
      if (!x87_entered_) {
        CallX87Stub(x87_stubs_.enter, false);
        x87_entered_ = true;
      }
      asmjit::Label fast = a_.newLabel(), done = a_.newLabel();
      a_.cmp(X87Field(offsetof(X87State, live), 1), 0);
      a_.jne(fast);
      EmitX87Call(in);
      a_.jmp(done);
      a_.bind(fast);
      EmitX87Inline(in);
      a_.bind(done);
      Commit(x86::rax);
      break;
    }
  }
}

void Codegen::EmitX87Call(const ir::Inst& in) {
  CallStateHelper(reinterpret_cast<const void*>(h_.x87), in);
}

// The instruction on the host FPU; rax = the guest RFLAGS after it. No exception can trap (all
// are masked), so FOP and FDP keep their values and only FIP follows the instruction.
void Codegen::EmitX87Inline(const ir::Inst& in) {
  const uint32_t flags = ir::X87Flags(in.imm);
  const uint8_t opcode = ir::X87Opcode(in.imm), modrm = ir::X87Modrm(in.imm);
  const unsigned reg = (modrm >> 3) & 7;
  const bool memory = flags & ir::kX87Memory;
  const bool store = flags & ir::kX87StoreForm;
  const bool commit = flags & ir::kX87Commit;

  if (!(flags & ir::kX87Control) && (commit || !store)) {  // a store's at its commit
    if (static_cast<int64_t>(in.guest_pc) == static_cast<int32_t>(in.guest_pc)) {
      a_.mov(X87Field(offsetof(X87State, fip), 8), static_cast<int32_t>(in.guest_pc));
    } else {
      MovImm(x86::rcx, in.guest_pc);
      a_.mov(X87Field(offsetof(X87State, fip), 8), x86::rcx);
    }
  }
  if (IsFcmov(opcode, modrm)) {  // reads the guest's flags
    LoadTo(x86::rax, in.args[0]);
    a_.and_(x86::eax, kStatusFlags);
    a_.or_(x86::eax, 2);
    a_.push(x86::rax);
    a_.popfq();
  }

  if (store && commit) {
    // The store's result was computed by the first op and the guest store has completed.
    a_.mov(X87Field(offsetof(X87State, undo), 1), 0);
  } else if (opcode != 0x9b) {  // FWAIT: nothing can be pending
    if (store) {
      a_.fnstsw(X87Field(offsetof(X87State, undo_fsw), 2));
      a_.mov(X87Field(offsetof(X87State, undo), 1), StorePops(opcode, reg) ? 2 : 1);
    }
    if (memory) {  // the same instruction on the operand buffer: REX.B, [r15 + disp32]
      a_.db(0x41);
      a_.db(opcode);
      a_.db(static_cast<uint8_t>(0x80 | reg << 3 | 7));
      a_.dd(static_cast<uint32_t>(kOpbuf));
    } else {
      a_.db(opcode);
      a_.db(modrm);
    }
  }

  if (memory && opcode == 0xd9 && reg == 5) {
    // FLDCW: an unmasked exception moves the state back out, to the unit's #MF handling.
    asmjit::Label masked = a_.newLabel();
    a_.movzx(x86::eax, x86::byte_ptr(kState, kOpbuf));
    a_.not_(x86::eax);
    a_.test(x86::eax, 0x3f);
    a_.jz(masked);
    CallRel32(x87_stubs_.leave);
    a_.bind(masked);
  }

  if (IsFcomi(opcode, modrm)) {  // ZF PF CF from the compare, OF SF AF cleared
    a_.pushfq();
    a_.pop(x86::rcx);
    a_.and_(x86::ecx, kStatusFlags);
    LoadTo(x86::rax, in.args[0]);
    a_.and_(x86::rax, static_cast<int32_t>(~kStatusFlags));
    a_.or_(x86::rax, x86::rcx);
  } else {
    LoadTo(x86::rax, in.args[0]);
  }
}

}  // namespace doppel::x64
