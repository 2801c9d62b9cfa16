// frontend/x86/alu.cpp: integer arithmetic and logic: add/adc/sub/sbb/cmp/and/or/xor/test,
// inc/dec/neg/not, cmpxchg, xadd. Loads and stores come before register and flag writes, so a
// fault leaves the guest state of the instruction's start.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

enum class BinOp { kAdd, kAdc, kSub, kSbb, kAnd, kOr, kXor };

// Computes `a op b` and the flag image; `cf` is the carry in for adc/sbb.
Value Compute(Context& c, BinOp op, Value a, Value b, Value* flags) {
  ir::Emitter& ir = c.ir;
  switch (op) {
    case BinOp::kAdd: *flags = ir.FlagsAdd(a, b); return ir.Add(a, b);
    case BinOp::kSub: *flags = ir.FlagsSub(a, b); return ir.Sub(a, b);
    case BinOp::kAdc: {
      Value cf = ir.GetFlag(ir::kCF);
      *flags = ir.FlagsAdc(a, b, cf);
      return ir.Add(ir.Add(a, b), ir.ZExt(ir.TypeOf(a), cf));
    }
    case BinOp::kSbb: {
      Value cf = ir.GetFlag(ir::kCF);
      *flags = ir.FlagsSbb(a, b, cf);
      return ir.Sub(ir.Sub(a, b), ir.ZExt(ir.TypeOf(a), cf));
    }
    case BinOp::kAnd: {
      Value r = ir.And(a, b);
      *flags = ir.FlagsLogic(r);
      return r;
    }
    case BinOp::kOr: {
      Value r = ir.Or(a, b);
      *flags = ir.FlagsLogic(r);
      return r;
    }
    case BinOp::kXor: {
      Value r = ir.Xor(a, b);
      *flags = ir.FlagsLogic(r);
      return r;
    }
  }
  return ir::kNoValue;
}

template <BinOp kOp, bool kWriteBack>
void Binary(Context& c) {
  Type t = c.OpType(0);
  Value a = c.Read(0);
  Value b = c.ReadAs(1, t);
  Value flags;
  Value r = Compute(c, kOp, a, b, &flags);
  if (kWriteBack) c.Write(0, r);
  c.SetFlags(ir::kArithFlags, flags);
}

void Inc(Context& c) {
  Value a = c.Read(0);
  Value flags = c.ir.FlagsInc(a);
  c.Write(0, c.ir.Add(a, c.Const(c.OpType(0), 1)));
  c.SetFlags(ir::kArithFlags & ~ir::kCF, flags);
}

void Dec(Context& c) {
  Value a = c.Read(0);
  Value flags = c.ir.FlagsDec(a);
  c.Write(0, c.ir.Sub(a, c.Const(c.OpType(0), 1)));
  c.SetFlags(ir::kArithFlags & ~ir::kCF, flags);
}

void Neg(Context& c) {
  Value a = c.Read(0);
  Value flags = c.ir.FlagsSub(c.Const(c.OpType(0), 0), a);
  c.Write(0, c.ir.Neg(a));
  c.SetFlags(ir::kArithFlags, flags);
}

void Not(Context& c) { c.Write(0, c.ir.Not(c.Read(0))); }

void Test(Context& c) {
  Type t = c.OpType(0);
  Value r = c.ir.And(c.Read(0), c.ReadAs(1, t));
  c.SetFlags(ir::kArithFlags, c.ir.FlagsLogic(r));
}

// CMPXCHG r/m, r: compare the accumulator with the destination; equal: dest = src, otherwise the
// accumulator gets the destination. Memory is always written (as the processor does); a register
// destination and the accumulator are written only when they change, so their upper halves keep
// their values exactly as on hardware.
void Cmpxchg(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OpType(0);
  Value dest = c.Read(0);
  Value src = c.Read(1);
  Value acc = ir.GetReg(t, 0);
  Value flags = ir.FlagsSub(acc, dest);
  Value eq = ir.CmpEq(acc, dest);
  auto write_accumulator = [&] {
    if (t == Type::kI32) {
      Value rax = ir.GetReg(Type::kI64, 0);
      ir.SetReg(0, ir.Select(eq, rax, ir.ZExt(Type::kI64, dest)));
    } else {
      ir.SetReg(0, ir.Select(eq, acc, dest));
    }
  };
  if (c.Op(0).type == ZYDIS_OPERAND_TYPE_MEMORY) {
    c.Write(0, ir.Select(eq, src, dest));  // the store first: it may fault
    write_accumulator();
    c.SetFlags(ir::kArithFlags, flags);
    return;
  }
  // Register destination: the accumulator first, so that when the destination is the
  // accumulator itself the destination write wins.
  write_accumulator();
  if (t == Type::kI32) {
    ZydisRegister full =
        ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, c.Op(0).reg.value);
    Value old = c.ReadReg(full);
    c.WriteReg(full, ir.Select(eq, ir.ZExt(Type::kI64, src), old));
  } else {
    c.Write(0, ir.Select(eq, src, dest));
  }
  c.SetFlags(ir::kArithFlags, flags);
}

// XADD r/m, r: dest = dest + src, src = old dest.
void Xadd(Context& c) {
  Value dest = c.Read(0);
  Value src = c.Read(1);
  Value flags = c.ir.FlagsAdd(dest, src);
  Value sum = c.ir.Add(dest, src);
  if (c.Op(0).type == ZYDIS_OPERAND_TYPE_MEMORY) {
    c.Write(0, sum);
    c.Write(1, dest);
  } else {
    c.Write(1, dest);
    c.Write(0, sum);
  }
  c.SetFlags(ir::kArithFlags, flags);
}

}  // namespace

void RegisterAlu(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_ADD, Binary<BinOp::kAdd, true>);
  t.Add(ZYDIS_MNEMONIC_ADC, Binary<BinOp::kAdc, true>);
  t.Add(ZYDIS_MNEMONIC_SUB, Binary<BinOp::kSub, true>);
  t.Add(ZYDIS_MNEMONIC_SBB, Binary<BinOp::kSbb, true>);
  t.Add(ZYDIS_MNEMONIC_CMP, Binary<BinOp::kSub, false>);
  t.Add(ZYDIS_MNEMONIC_AND, Binary<BinOp::kAnd, true>);
  t.Add(ZYDIS_MNEMONIC_OR, Binary<BinOp::kOr, true>);
  t.Add(ZYDIS_MNEMONIC_XOR, Binary<BinOp::kXor, true>);
  t.Add(ZYDIS_MNEMONIC_TEST, Test);
  t.Add(ZYDIS_MNEMONIC_INC, Inc);
  t.Add(ZYDIS_MNEMONIC_DEC, Dec);
  t.Add(ZYDIS_MNEMONIC_NEG, Neg);
  t.Add(ZYDIS_MNEMONIC_NOT, Not);
  t.Add(ZYDIS_MNEMONIC_CMPXCHG, Cmpxchg);
  t.Add(ZYDIS_MNEMONIC_XADD, Xadd);
}

}  // namespace doppel::frontend
