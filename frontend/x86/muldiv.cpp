// frontend/x86/muldiv.cpp: multiply and divide: mul, imul (one, two and three operands), div, idiv.
// The 8-bit forms use AX (AH:AL), the others rDX:rAX. Division ops raise #DE by themselves, so
// quotient and remainder are both computed before any register is written.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

constexpr unsigned kRax = 0;
constexpr unsigned kRdx = 2;

// MUL/IMUL r/m: rDX:rAX = rAX * src (AX = AL * src for bytes). CF/OF come from the flag op; SF ZF
// AF PF are undefined and taken from the same image.
template <bool kSigned>
void MulWide(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OpType(0);
  Value src = c.Read(0);
  Value acc = ir.GetReg(t, kRax);
  Value flags = kSigned ? ir.FlagsSMul(acc, src) : ir.FlagsUMul(acc, src);
  if (t == Type::kI8) {
    auto widen = [&](Value v) { return kSigned ? ir.SExt(Type::kI16, v) : ir.ZExt(Type::kI16, v); };
    ir.SetReg(kRax, ir.Mul(widen(acc), widen(src)));
  } else {
    Value hi = kSigned ? ir.SMulHi(acc, src) : ir.UMulHi(acc, src);
    ir.SetReg(kRax, ir.Mul(acc, src));
    ir.SetReg(kRdx, hi);
  }
  c.SetFlags(ir::kArithFlags, flags);
}

// IMUL r, r/m and IMUL r, r/m, imm: dest = truncated signed product.
void Imul(Context& c) {
  if (c.insn.d.operand_count_visible == 1) {
    MulWide<true>(c);
    return;
  }
  Type t = c.OpType(0);
  Value a, b;
  if (c.insn.d.operand_count_visible >= 3) {
    a = c.Read(1);
    b = c.ReadAs(2, t);
  } else {
    a = c.Read(0);
    b = c.Read(1);
  }
  Value flags = c.ir.FlagsSMul(a, b);
  c.Write(0, c.ir.Mul(a, b));
  c.SetFlags(ir::kArithFlags, flags);
}

// DIV/IDIV r/m: quotient to rAX (AL), remainder to rDX (AH). Flags are undefined and left as
// they were.
template <bool kSigned>
void Divide(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OpType(0);
  Value d = c.Read(0);
  Value hi = t == Type::kI8 ? ir.GetRegHi8(kRax) : ir.GetReg(t, kRdx);
  Value lo = ir.GetReg(t, kRax);
  Value q = kSigned ? ir.SDiv(hi, lo, d) : ir.UDiv(hi, lo, d);
  Value r = kSigned ? ir.SRem(hi, lo, d) : ir.URem(hi, lo, d);
  if (t == Type::kI8) {
    ir.SetReg(kRax, q);
    ir.SetRegHi8(kRax, r);
  } else {
    ir.SetReg(kRax, q);
    ir.SetReg(kRdx, r);
  }
}

}  // namespace

void RegisterMulDiv(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_MUL, MulWide<false>);
  t.Add(ZYDIS_MNEMONIC_IMUL, Imul);
  t.Add(ZYDIS_MNEMONIC_DIV, Divide<false>);
  t.Add(ZYDIS_MNEMONIC_IDIV, Divide<true>);
}

}  // namespace doppel::frontend
