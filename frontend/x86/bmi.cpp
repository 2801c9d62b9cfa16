// frontend/x86/bmi.cpp: the VEX-encoded GPR extensions BMI1 (andn, bextr, blsi, blsmsk, blsr;
// tzcnt is in bit.cpp) and BMI2 (bzhi, mulx, pdep, pext, rorx, sarx, shlx, shrx), ADX (adcx,
// adox), MOVBE, and the SSE4.2 CRC32. Flags the SDM leaves undefined (AF PF) are kept.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

constexpr uint64_t kLogicMask = ir::kZF | ir::kSF | ir::kCF | ir::kOF;

unsigned Width(Type t) { return ir::BitWidth(t); }

// ZF SF from the result, CF from `cf`, OF cleared.
void SetResultFlags(Context& c, Value result, Value cf) {
  Value image = c.ir.Or(c.ir.FlagsLogic(result), c.ir.ZExt(Type::kI64, cf));
  c.SetFlags(kLogicMask, image);
}

// andn r, r, r/m: ~src1 & src2.
void Andn(Context& c) {
  Value b = c.Read(2);
  Value r = c.ir.And(c.ir.Not(c.Read(1)), b);
  c.Write(0, r);
  c.SetFlags(kLogicMask, c.ir.FlagsLogic(r));
}

// bextr r, r/m, r: the field at start ctrl[7:0] of length ctrl[15:8] (each saturating).
void Bextr(Context& c) {
  const Type t = c.OpType(0);
  Value src = c.Read(1);
  Value ctrl = c.Read(2);
  Value start = c.ir.Trunc(Type::kI8, ctrl);
  Value len = c.ir.Trunc(Type::kI8, c.ir.Shr(ctrl, c.ir.Imm8(8)));
  // 1 << len is 0 for len >= width: the mask then is all ones.
  Value mask = c.ir.Sub(c.ir.Shl(c.Const(t, 1), len), c.Const(t, 1));
  Value r = c.ir.And(c.ir.Shr(src, start), mask);
  c.Write(0, r);
  c.SetFlags(ir::kZF | ir::kCF | ir::kOF, c.ir.FlagsLogic(r));  // SF undefined
}

// blsi / blsmsk / blsr r(vvvv), r/m.
enum class Bls { kIsolate, kMask, kReset };
template <Bls kKind>
void LowestSetBit(Context& c) {
  const Type t = c.OpType(0);
  Value src = c.Read(1);
  Value zero = c.Const(t, 0);
  Value r, cf;
  if (kKind == Bls::kIsolate) {
    r = c.ir.And(c.ir.Neg(src), src);
    cf = c.ir.CmpNe(src, zero);
  } else {
    Value minus1 = c.ir.Sub(src, c.Const(t, 1));
    r = kKind == Bls::kMask ? c.ir.Xor(minus1, src) : c.ir.And(minus1, src);
    cf = c.ir.CmpEq(src, zero);
  }
  c.Write(0, r);
  SetResultFlags(c, r, cf);
}

// bzhi r, r/m, r: src with the bits from index idx[7:0] up cleared; CF when idx >= width.
void Bzhi(Context& c) {
  const Type t = c.OpType(0);
  Value src = c.Read(1);
  Value n = c.ir.Trunc(Type::kI8, c.Read(2));
  Value r = c.ir.And(src, c.ir.Sub(c.ir.Shl(c.Const(t, 1), n), c.Const(t, 1)));
  Value cf = c.ir.CmpULt(c.ir.Imm8(static_cast<uint8_t>(Width(t) - 1)), n);
  c.Write(0, r);
  SetResultFlags(c, r, cf);
}

// mulx r_hi, r_lo, r/m: EDX/RDX times the source, unsigned; no flags. When both destinations are
// the same register it gets the high half.
void Mulx(Context& c) {
  const Type t = c.OpType(0);
  Value src = c.Read(2);
  Value d = c.ReadGpr(2, t);
  Value lo = c.ir.Mul(d, src);
  Value hi = c.ir.UMulHi(d, src);
  c.Write(1, lo);
  c.Write(0, hi);
}

template <bool kDeposit>
void Pdep(Context& c) {
  Value mask = c.Read(2);
  Value src = c.Read(1);
  c.Write(0, kDeposit ? c.ir.Pdep(src, mask) : c.ir.Pext(src, mask));
}

void Rorx(Context& c) {
  const Type t = c.OpType(0);
  Value src = c.Read(1);
  const uint8_t n = static_cast<uint8_t>(c.Op(2).imm.value.u & (Width(t) - 1));
  c.Write(0, c.ir.Ror(src, c.ir.Imm8(n)));
}

// shlx/shrx/sarx r, r/m, r: the count masked to the width; no flags.
enum class ShiftX { kShl, kShr, kSar };
template <ShiftX kKind>
void ShiftNoFlags(Context& c) {
  const Type t = c.OpType(0);
  Value src = c.Read(1);
  Value count =
      c.ir.And(c.ir.Trunc(Type::kI8, c.Read(2)), c.ir.Imm8(static_cast<uint8_t>(Width(t) - 1)));
  Value r = kKind == ShiftX::kShl   ? c.ir.Shl(src, count)
            : kKind == ShiftX::kShr ? c.ir.Shr(src, count)
                                    : c.ir.Sar(src, count);
  c.Write(0, r);
}

// adcx/adox r, r/m: an add with carry through CF (adcx) or OF (adox) only.
template <bool kOverflow>
void AddCarry(Context& c) {
  const Type t = c.OpType(0);
  Value b = c.Read(1);
  Value a = c.Read(0);
  const uint64_t flag = kOverflow ? ir::kOF : ir::kCF;
  Value cin = c.ir.GetFlag(flag);
  Value r = c.ir.Add(c.ir.Add(a, b), c.ir.ZExt(t, cin));
  Value carry = c.ir.And(c.ir.FlagsAdc(a, b, cin), c.ir.Imm64(ir::kCF));
  c.Write(0, r);
  c.SetFlags(flag, kOverflow ? c.ir.Shl(carry, c.ir.Imm8(__builtin_ctzll(ir::kOF))) : carry);
}

// movbe r, m / m, r: a byte-reversed move.
void Movbe(Context& c) {
  Value v = c.Read(1);
  Value swapped = ir::BitWidth(c.ir.TypeOf(v)) == 16 ? c.ir.Rol(v, c.ir.Imm8(8)) : c.ir.Bswap(v);
  c.Write(0, swapped);
}

// crc32 r32/r64, r/m8..64: CRC-32C accumulated onto the low 32 bits, zero-extended.
void Crc32(Context& c) {
  Value data = c.Read(1);
  Value acc = c.ir.Trunc(Type::kI32, c.Read(0));
  Value r = c.ir.Crc32(acc, data);
  c.Write(0, c.ir.ZExt(c.OpType(0), r));
}

}  // namespace

void RegisterBmi(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_ANDN, Andn);
  t.Add(ZYDIS_MNEMONIC_BEXTR, Bextr);
  t.Add(ZYDIS_MNEMONIC_BLSI, LowestSetBit<Bls::kIsolate>);
  t.Add(ZYDIS_MNEMONIC_BLSMSK, LowestSetBit<Bls::kMask>);
  t.Add(ZYDIS_MNEMONIC_BLSR, LowestSetBit<Bls::kReset>);
  t.Add(ZYDIS_MNEMONIC_BZHI, Bzhi);
  t.Add(ZYDIS_MNEMONIC_MULX, Mulx);
  t.Add(ZYDIS_MNEMONIC_PDEP, Pdep<true>);
  t.Add(ZYDIS_MNEMONIC_PEXT, Pdep<false>);
  t.Add(ZYDIS_MNEMONIC_RORX, Rorx);
  t.Add(ZYDIS_MNEMONIC_SHLX, ShiftNoFlags<ShiftX::kShl>);
  t.Add(ZYDIS_MNEMONIC_SHRX, ShiftNoFlags<ShiftX::kShr>);
  t.Add(ZYDIS_MNEMONIC_SARX, ShiftNoFlags<ShiftX::kSar>);
  t.Add(ZYDIS_MNEMONIC_ADCX, AddCarry<false>);
  t.Add(ZYDIS_MNEMONIC_ADOX, AddCarry<true>);
  t.Add(ZYDIS_MNEMONIC_MOVBE, Movbe);
  t.Add(ZYDIS_MNEMONIC_CRC32, Crc32);
}

}  // namespace doppel::frontend
