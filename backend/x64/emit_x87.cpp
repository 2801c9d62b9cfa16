// backend/x64/emit_x87.cpp: x87 ops. X87Op calls the FPU unit (runtime/x87.cpp), which runs the
// guest instruction on the host FPU between FRSTOR/FNSAVE of the guest state, so the JIT and
// the interpreter share one bit-exact implementation; the operand buffer is accessed inline.
#include "backend/x64/codegen.h"
#include "ir/x87.h"

namespace doppel::x64 {

using ir::Opcode;

void Codegen::EmitX87(const ir::Inst& in) {
  const size_t opbuf = offsetof(CpuState, x87) + offsetof(X87State, opbuf);
  switch (in.op) {
    case Opcode::kX87Load: {
      x86::Gp v = In(in.args[0], x86::rax);
      a_.mov(StateField(opbuf + in.imm, 8), v);
      break;
    }
    case Opcode::kX87Store: {
      x86::Gp d = Out();
      a_.mov(d, StateField(opbuf + in.imm, 8));
      Commit(d);
      break;
    }
    case Opcode::kX87ToGpr: {
      x86::Gp d = Out();
      size_t field =
          in.imm == ir::kX87StatusWord ? offsetof(X87State, fsw) : offsetof(X87State, fcw);
      a_.movzx(d.r32(), StateField(offsetof(CpuState, x87) + field, 2));
      Commit(d);
      break;
    }
    default: {
      const uint32_t saved = ra_.CallerSavedInUse();
      SaveCallerSaved(saved);
      // Argument registers overlap the pool: sources come from the save area.
      LoadFromSaved(x86::rdx, in.args[0], saved);
      LoadFromSaved(x86::rcx, in.args[1], saved);
      MovImm(x86::rsi, in.imm);
      MovImm(x86::r8, in.guest_pc);
      a_.mov(x86::rdi, kState);
      CallAbs(reinterpret_cast<const void*>(h_.x87));
      CheckFault();
      RestoreCallerSaved(saved);
      Commit(x86::rax);
      break;
    }
  }
}

}  // namespace doppel::x64
