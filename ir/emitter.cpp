// ir/emitter.cpp: appending instructions and terminals to a block.
#include "ir/emitter.h"

#include <cassert>

namespace doppel::ir {

Value Emitter::Emit(Opcode op, Type t, Value a, Value b, Value c, uint64_t imm) {
  assert(!HasTerminal());
  Inst inst;
  inst.op = op;
  inst.type = t;
  inst.args[0] = a;
  inst.args[1] = b;
  inst.args[2] = c;
  inst.imm = imm;
  inst.guest_pc = pc_;
  b_.insts.push_back(inst);
  return static_cast<Value>(b_.insts.size() - 1);
}

Value Emitter::GetFlag(uint64_t bit) {
  Value f = GetFlags();
  unsigned pos = __builtin_ctzll(bit);
  return Trunc(Type::kI1, Shr(f, Imm8(pos)));
}

void Emitter::SetFlag(uint64_t bit, Value v1) {
  unsigned pos = __builtin_ctzll(bit);
  SetFlags(bit, Shl(ZExt(Type::kI64, v1), Imm8(pos)));
}

Value Emitter::ZExt(Type t, Value a) {
  if (TypeOf(a) == t) return a;
  return Emit(Opcode::kZExt, t, a);
}
Value Emitter::SExt(Type t, Value a) {
  if (TypeOf(a) == t) return a;
  return Emit(Opcode::kSExt, t, a);
}
Value Emitter::Trunc(Type t, Value a) {
  if (TypeOf(a) == t) return a;
  return Emit(Opcode::kTrunc, t, a);
}

void Emitter::Link(uint64_t pc) {
  b_.term = Terminal{};
  b_.term.kind = Terminal::Kind::kLink;
  b_.term.pc = pc;
}
void Emitter::CondLink(Value cond, uint64_t pc_true, uint64_t pc_false) {
  b_.term = Terminal{};
  b_.term.kind = Terminal::Kind::kCondLink;
  b_.term.value = cond;
  b_.term.pc = pc_true;
  b_.term.pc_false = pc_false;
}
void Emitter::Indirect(Value target) {
  b_.term = Terminal{};
  b_.term.kind = Terminal::Kind::kIndirect;
  b_.term.value = target;
}
void Emitter::Exit(ExitReason reason, uint64_t pc, uint32_t vector, uint32_t error_code) {
  b_.term = Terminal{};
  b_.term.kind = Terminal::Kind::kExit;
  b_.term.pc = pc;
  b_.term.reason = reason;
  b_.term.vector = vector;
  b_.term.error_code = error_code;
}
void Emitter::ExitTo(ExitReason reason, Value rip) {
  Exit(reason, 0);
  b_.term.value = rip;
}

}  // namespace doppel::ir
