// frontend/x86/control.cpp: control transfers: jmp, jcc, call, ret, loop/loope/loopne,
// jrcxz/jecxz/jcxz (each ends the block with an explicit terminal).
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

// Target of a relative branch, wrapped to the operand size (16-bit code wraps IP at 64 KiB).
uint64_t RelativeTarget(Context& c) {
  uint64_t t = c.insn.next_pc + c.Op(0).imm.value.u;
  unsigned w = c.insn.d.operand_width;
  return w >= 64 ? t : t & ((1ull << w) - 1);
}

bool IsRelative(Context& c) { return c.Op(0).type == ZYDIS_OPERAND_TYPE_IMMEDIATE; }

// Far transfers load CS: the system group (system.cpp) translates them.
bool IsFar(Context& c) { return c.insn.d.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR; }

constexpr unsigned kRcx = 1;
constexpr unsigned kCondZ = 4, kCondNZ = 5;

void Jmp(Context& c) {
  if (IsFar(c)) {
    TranslateFarJump(c);
  } else if (IsRelative(c)) {
    c.ir.Link(RelativeTarget(c));
  } else {
    c.ir.Indirect(c.ir.ZExt(Type::kI64, c.Read(0)));
  }
}

void Jcc(Context& c) {
  Value cond = c.ir.Cond(ConditionCode(c.insn.d.mnemonic));
  c.ir.CondLink(cond, RelativeTarget(c), c.insn.next_pc);
}

void Call(Context& c) {
  Type t = c.OperandType();
  if (IsFar(c)) {
    TranslateFarCall(c);
  } else if (IsRelative(c)) {
    c.Push(c.Const(t, c.insn.next_pc));
    c.ir.Link(RelativeTarget(c));
  } else {
    Value target = c.Read(0);  // read before the push: the operand may use RSP
    c.Push(c.Const(t, c.insn.next_pc));
    c.ir.Indirect(c.ir.ZExt(Type::kI64, target));
  }
}

void Ret(Context& c) {
  if (IsFar(c)) {
    TranslateFarReturn(c);
    return;
  }
  Type t = c.OperandType();
  Value target = c.Pop(t);
  if (c.insn.d.operand_count_visible > 0 && c.Op(0).type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
    Type st = c.StackType();
    Value sp = c.ir.GetReg(st, 4);
    c.ir.SetReg(4, c.ir.Add(sp, c.Const(st, c.Op(0).imm.value.u & 0xffff)));
  }
  c.ir.Indirect(c.ir.ZExt(Type::kI64, target));
}

// LOOP/LOOPE/LOOPNE rel8: decrement the count register (at the address size, without touching
// the flags) and branch while it is non-zero (and ZF is 1 / 0).
template <int kZfCond>
void Loop(Context& c) {
  ir::Emitter& ir = c.ir;
  Type at = c.AddressType();
  Value left = ir.Sub(ir.GetReg(at, kRcx), ir.Const(at, 1));
  ir.SetReg(kRcx, left);
  Value again = ir.CmpNe(left, ir.Const(at, 0));
  if (kZfCond >= 0) {
    // I1 values have no And: combine as bytes.
    Value both = ir.And(ir.ZExt(Type::kI8, again), ir.ZExt(Type::kI8, ir.Cond(kZfCond)));
    again = ir.CmpNe(both, ir.Imm8(0));
  }
  ir.CondLink(again, RelativeTarget(c), c.insn.next_pc);
}

// JRCXZ/JECXZ/JCXZ rel8: branch if the count register at the address size is zero.
void Jcxz(Context& c) {
  Type at = c.AddressType();
  Value zero = c.ir.CmpEq(c.ir.GetReg(at, kRcx), c.ir.Const(at, 0));
  c.ir.CondLink(zero, RelativeTarget(c), c.insn.next_pc);
}

}  // namespace

void RegisterControl(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_JMP, Jmp);
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB,
        ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
        ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
        ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE}) {
    t.Add(m, Jcc);
  }
  t.Add(ZYDIS_MNEMONIC_CALL, Call);
  t.Add(ZYDIS_MNEMONIC_RET, Ret);
  t.Add(ZYDIS_MNEMONIC_LOOP, Loop<-1>);
  t.Add(ZYDIS_MNEMONIC_LOOPE, Loop<kCondZ>);
  t.Add(ZYDIS_MNEMONIC_LOOPNE, Loop<kCondNZ>);
  t.Add(ZYDIS_MNEMONIC_JRCXZ, Jcxz);
  t.Add(ZYDIS_MNEMONIC_JECXZ, Jcxz);
  t.Add(ZYDIS_MNEMONIC_JCXZ, Jcxz);
}

}  // namespace doppel::frontend
