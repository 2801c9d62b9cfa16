// frontend/x86/legacy.cpp: instructions only valid outside 64-bit mode: the BCD adjustments
// (AAA AAS DAA DAS AAM AAD), SALC and ARPL. Zydis decodes them only in 16/32-bit modes.
//
// The SDM leaves some of their flags undefined; doppel sets those as an Intel host does (measured
// over every AL, AH, AF and CF input on a Xeon): AAA/AAS and DAA/DAS clear OF and set SF ZF PF
// from the final AL, AAM clears OF AF CF, and AAD's flags are those of its 8-bit add
// AL + AH * imm8. The differential tests compare these flags against the host.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

constexpr unsigned kRax = 0;

// 1 in an I8 when `v` (an I1) is set.
Value Byte(ir::Emitter& ir, Value v) { return ir.ZExt(Type::kI8, v); }

// (AL & 0x0F) > 9 or AF: the low-nibble condition of the ASCII and decimal adjustments.
Value LowNibbleNeedsAdjust(ir::Emitter& ir, Value al) {
  Value above9 = ir.CmpULt(ir.Imm8(9), ir.And(al, ir.Imm8(0x0f)));
  Value af = ir.GetFlag(ir::kAF);
  return ir.CmpNe(ir.Or(Byte(ir, above9), Byte(ir, af)), ir.Imm8(0));
}

// Writes SF ZF PF from `al` with OF clear, and CF AF both set to `carry`.
void SetAdjustFlags(Context& c, Value al, Value carry_and_aux) {
  ir::Emitter& ir = c.ir;
  Value szp = ir.FlagsLogic(al);  // CF OF AF clear
  Value ca = ir.Mul(ir.ZExt(Type::kI64, carry_and_aux), ir.Imm64(ir::kCF | ir::kAF));
  c.SetFlags(ir::kArithFlags, ir.Or(szp, ca));
}

// AAA / AAS: AX +/- 0x106 when the low nibble needs adjusting (the SDM's current form, where a
// borrow out of AL reaches AH), then AL &= 0x0F.
template <bool kSubtract>
void AsciiAdjust(Context& c) {
  ir::Emitter& ir = c.ir;
  Value ax = ir.GetReg(Type::kI16, kRax);
  Value adjust = LowNibbleNeedsAdjust(ir, ir.Trunc(Type::kI8, ax));
  Value adjusted =
      kSubtract ? ir.Sub(ax, ir.Const(Type::kI16, 0x106)) : ir.Add(ax, ir.Const(Type::kI16, 0x106));
  Value result = ir.And(ir.Select(adjust, adjusted, ax), ir.Const(Type::kI16, 0xff0f));
  ir.SetReg(kRax, result);
  SetAdjustFlags(c, ir.Trunc(Type::kI8, result), adjust);
}

// DAA / DAS: +/-6 for the low nibble (AF), +/-0x60 when the original AL > 0x99 or CF. CF is the
// carry/borrow of the first step or the second condition.
template <bool kSubtract>
void DecimalAdjust(Context& c) {
  ir::Emitter& ir = c.ir;
  Value al = ir.GetReg(Type::kI8, kRax);
  Value cf = ir.GetFlag(ir::kCF);
  Value low = LowNibbleNeedsAdjust(ir, al);
  Value six = ir.Imm8(6), sixty = ir.Imm8(0x60);
  Value step1 = ir.Select(low, kSubtract ? ir.Sub(al, six) : ir.Add(al, six), al);
  // Carry out of AL + 6 when AL >= 0xFA; borrow out of AL - 6 when AL < 6.
  Value wraps = kSubtract ? ir.CmpULt(al, six) : ir.CmpULt(ir.Imm8(0xf9), al);
  Value high = ir.CmpNe(ir.Or(Byte(ir, ir.CmpULt(ir.Imm8(0x99), al)), Byte(ir, cf)), ir.Imm8(0));
  Value result = ir.Select(high, kSubtract ? ir.Sub(step1, sixty) : ir.Add(step1, sixty), step1);
  Value carry = ir.Or(Byte(ir, high), ir.And(Byte(ir, low), Byte(ir, wraps)));
  ir.SetReg(kRax, result);
  Value flags = ir.FlagsLogic(result);
  flags = ir.Or(flags, ir.ZExt(Type::kI64, carry));                              // CF
  flags = ir.Or(flags, ir.Shl(ir.ZExt(Type::kI64, Byte(ir, low)), ir.Imm8(4)));  // AF
  c.SetFlags(ir::kArithFlags, flags);
}

uint8_t Base(const Context& c) { return static_cast<uint8_t>(c.insn.d.raw.imm[0].value.u); }

// AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE for a zero base.
void Aam(Context& c) {
  ir::Emitter& ir = c.ir;
  uint8_t base = Base(c);
  if (base == 0) {
    c.RaiseException(ir::kDivideError);
    return;
  }
  Value al = ir.GetReg(Type::kI8, kRax);
  Value zero = ir.Imm8(0), divisor = ir.Imm8(base);
  Value q = ir.UDiv(zero, al, divisor), r = ir.URem(zero, al, divisor);
  ir.SetReg(kRax, ir.Or(ir.Shl(ir.ZExt(Type::kI16, q), ir.Imm8(8)), ir.ZExt(Type::kI16, r)));
  c.SetFlags(ir::kArithFlags, ir.FlagsLogic(r));
}

// AAD imm8: AL = AL + AH * imm8 (8 bits), AH = 0.
void Aad(Context& c) {
  ir::Emitter& ir = c.ir;
  Value al = ir.GetReg(Type::kI8, kRax);
  Value product = ir.Mul(ir.GetRegHi8(kRax), ir.Imm8(Base(c)));
  Value result = ir.Add(al, product);
  ir.SetReg(kRax, ir.ZExt(Type::kI16, result));
  c.SetFlags(ir::kArithFlags, ir.FlagsAdd(al, product));
}

// SALC: AL = CF ? 0xFF : 0; flags unchanged.
void Salc(Context& c) {
  ir::Emitter& ir = c.ir;
  ir.SetReg(kRax, ir.Select(ir.GetFlag(ir::kCF), ir.Imm8(0xff), ir.Imm8(0)));
}

// ARPL r/m16, r16: raises the destination's RPL (bits 1:0) to the source's; ZF tells whether it
// did. The destination is written back either way (a read-modify-write).
void Arpl(Context& c) {
  ir::Emitter& ir = c.ir;
  Value dest = c.Read(0);
  Value src = c.ReadAs(1, Type::kI16);
  Value three = ir.Const(Type::kI16, 3);
  Value raise = ir.CmpULt(ir.And(dest, three), ir.And(src, three));
  Value raised = ir.Or(ir.And(dest, ir.Const(Type::kI16, 0xfffc)), ir.And(src, three));
  c.Write(0, ir.Select(raise, raised, dest));
  c.SetFlags(ir::kZF, ir.Shl(ir.ZExt(Type::kI64, raise), ir.Imm8(6)));
}

}  // namespace

void RegisterLegacy(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_AAA, AsciiAdjust<false>);
  t.Add(ZYDIS_MNEMONIC_AAS, AsciiAdjust<true>);
  t.Add(ZYDIS_MNEMONIC_DAA, DecimalAdjust<false>);
  t.Add(ZYDIS_MNEMONIC_DAS, DecimalAdjust<true>);
  t.Add(ZYDIS_MNEMONIC_AAM, Aam);
  t.Add(ZYDIS_MNEMONIC_AAD, Aad);
  t.Add(ZYDIS_MNEMONIC_SALC, Salc);
  t.Add(ZYDIS_MNEMONIC_ARPL, Arpl);
}

}  // namespace doppel::frontend
