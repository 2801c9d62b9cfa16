// frontend/x86/bit.cpp: single-bit and bit-scan instructions: bt/bts/btr/btc, bsf/bsr,
// tzcnt/lzcnt/popcnt, bswap. Undefined flags follow what current Intel parts do (checked against
// the host in tests/frontend/bit_test.cpp).
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

// Sign-extends or truncates v to t.
Value SResize(ir::Emitter& ir, Type t, Value v) {
  return ir::BitWidth(t) >= ir.Width(v) ? ir.SExt(t, v) : ir.Trunc(t, v);
}

enum class BitOp { kTest, kSet, kReset, kComplement };

// BT* r/m, r/imm: CF = the selected bit; BTS/BTR/BTC then write it back changed. With a memory
// operand and a register offset, the offset is signed and may select a unit beyond the operand;
// immediate offsets are taken modulo the width. OF SF AF PF are undefined; Intel leaves them.
template <BitOp kOp>
void BitTest(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OpType(0);
  const unsigned w = ir::BitWidth(t);
  const bool mem = c.Op(0).type == ZYDIS_OPERAND_TYPE_MEMORY;
  Value offset = c.ReadAs(1, t);
  Value addr = ir::kNoValue;
  if (mem && c.Op(1).type == ZYDIS_OPERAND_TYPE_REGISTER) {
    // Byte displacement of the addressed unit: (offset >> log2(w)) * (w / 8), arithmetically.
    const unsigned log2w = __builtin_ctz(w);
    Value units = ir.Sar(offset, ir.Imm8(log2w));
    Value disp = ir.Shl(units, ir.Imm8(log2w - 3));
    Value ea = ir.Add(c.EffectiveAddress(0), SResize(ir, c.AddressType(), disp));
    unsigned access = Context::kSegRead;
    if (c.Op(0).actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) access |= Context::kSegWrite;
    addr = c.Linear(c.Op(0).mem.segment, ea, w / 8, access);
  } else if (mem) {
    addr = c.Address(0);
  }
  Value val = mem ? ir.Load(t, addr) : c.Read(0);
  Value bit = ir.Trunc(Type::kI8, ir.And(offset, ir.Const(t, w - 1)));
  Value cf = ir.CmpNe(ir.And(ir.Shr(val, bit), ir.Const(t, 1)), ir.Const(t, 0));
  if constexpr (kOp != BitOp::kTest) {
    Value mask = ir.Shl(ir.Const(t, 1), bit);
    Value r = kOp == BitOp::kSet     ? ir.Or(val, mask)
              : kOp == BitOp::kReset ? ir.And(val, ir.Not(mask))
                                     : ir.Xor(val, mask);
    if (mem) {
      ir.Store(addr, r);
    } else {
      c.Write(0, r);
    }
  }
  ir.SetFlag(ir::kCF, cf);
}

// BSF/BSR r, r/m: ZF = (source == 0), and then the destination keeps its whole old value (a
// 32-bit destination is not even zero-extended). CF OF SF AF are cleared and PF is the parity of
// the index, as Intel parts do.
template <bool kReverse>
void BitScan(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OpType(0);
  Value src = c.Read(1);
  Value zero = ir.CmpEq(src, ir.Const(t, 0));
  Value index = kReverse ? ir.Xor(ir.Clz(src), ir.Const(t, ir::BitWidth(t) - 1)) : ir.Ctz(src);
  if (t == Type::kI32) {
    ZydisRegister full =
        ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, c.Op(0).reg.value);
    c.WriteReg(full, ir.Select(zero, c.ReadReg(full), ir.ZExt(Type::kI64, index)));
  } else {
    c.Write(0, ir.Select(zero, c.Read(0), index));
  }
  Value pf = ir.And(ir.FlagsLogic(ir.Select(zero, ir.Const(t, 0), index)), ir.Imm64(ir::kPF));
  Value zf = ir.Shl(ir.ZExt(Type::kI64, zero), ir.Imm8(__builtin_ctzll(ir::kZF)));
  c.SetFlags(ir::kArithFlags, ir.Or(pf, zf));
}

// TZCNT/LZCNT r, r/m: the count (the width for a zero source); CF = (source == 0),
// ZF = (count == 0); OF SF AF PF are cleared as Intel parts do.
template <bool kLeading>
void CountZeros(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OpType(0);
  Value src = c.Read(1);
  Value n = kLeading ? ir.Clz(src) : ir.Ctz(src);
  Value cf = ir.ZExt(Type::kI64, ir.CmpEq(src, ir.Const(t, 0)));
  Value zf =
      ir.Shl(ir.ZExt(Type::kI64, ir.CmpEq(n, ir.Const(t, 0))), ir.Imm8(__builtin_ctzll(ir::kZF)));
  c.Write(0, n);
  c.SetFlags(ir::kArithFlags, ir.Or(cf, zf));
}

// POPCNT r, r/m: ZF = (source == 0), the other arithmetic flags cleared.
void Popcnt(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OpType(0);
  Value src = c.Read(1);
  Value zf =
      ir.Shl(ir.ZExt(Type::kI64, ir.CmpEq(src, ir.Const(t, 0))), ir.Imm8(__builtin_ctzll(ir::kZF)));
  c.Write(0, ir.Popcnt(src));
  c.SetFlags(ir::kArithFlags, zf);
}

// BSWAP r32/r64. The 16-bit form is undefined; hardware zeroes the low 16 bits.
void Bswap(Context& c) {
  if (c.OpType(0) == Type::kI16) {
    c.Write(0, c.Const(Type::kI16, 0));
    return;
  }
  c.Write(0, c.ir.Bswap(c.Read(0)));
}

}  // namespace

void RegisterBit(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_BT, BitTest<BitOp::kTest>);
  t.Add(ZYDIS_MNEMONIC_BTS, BitTest<BitOp::kSet>);
  t.Add(ZYDIS_MNEMONIC_BTR, BitTest<BitOp::kReset>);
  t.Add(ZYDIS_MNEMONIC_BTC, BitTest<BitOp::kComplement>);
  t.Add(ZYDIS_MNEMONIC_BSF, BitScan<false>);
  t.Add(ZYDIS_MNEMONIC_BSR, BitScan<true>);
  t.Add(ZYDIS_MNEMONIC_TZCNT, CountZeros<false>);
  t.Add(ZYDIS_MNEMONIC_LZCNT, CountZeros<true>);
  t.Add(ZYDIS_MNEMONIC_POPCNT, Popcnt);
  t.Add(ZYDIS_MNEMONIC_BSWAP, Bswap);
}

}  // namespace doppel::frontend
