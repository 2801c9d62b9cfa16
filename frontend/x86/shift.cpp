// frontend/x86/shift.cpp: shifts and rotates: shl (Zydis decodes sal as shl), shr, sar, rol, ror,
// rcl, rcr, shld, shrd. The count is masked to 5 bits (6 for 64-bit operands); a masked count of 0
// changes no flags.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

enum class Kind { kShl, kShr, kSar, kRol, kRor, kRcl, kRcr, kShld, kShrd };

constexpr bool IsRotate(Kind k) {
  return k == Kind::kRol || k == Kind::kRor || k == Kind::kRcl || k == Kind::kRcr;
}

// The masked count: a known constant for immediate counts, otherwise an I8 value.
struct Count {
  Value value = ir::kNoValue;
  bool is_const = false;
  unsigned constant = 0;
};

Count ReadCount(Context& c, unsigned i, Type t) {
  const uint8_t mask = ir::BitWidth(t) == 64 ? 0x3f : 0x1f;
  Count n;
  if (c.Op(i).type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
    n.is_const = true;
    n.constant = c.Op(i).imm.value.u & mask;
    n.value = c.ir.Imm8(n.constant);
  } else {
    n.value = c.ir.And(c.ir.Trunc(Type::kI8, c.Read(i)), c.ir.Imm8(mask));
  }
  return n;
}

Value Result(Context& c, Kind k, Value a, Value b, Value n, Value cf) {
  ir::Emitter& ir = c.ir;
  switch (k) {
    case Kind::kShl: return ir.Shl(a, n);
    case Kind::kShr: return ir.Shr(a, n);
    case Kind::kSar: return ir.Sar(a, n);
    case Kind::kRol: return ir.Rol(a, n);
    case Kind::kRor: return ir.Ror(a, n);
    case Kind::kRcl: return ir.Rcl(a, n, cf);
    case Kind::kRcr: return ir.Rcr(a, n, cf);
    case Kind::kShld: return ir.Shld(a, b, n);
    case Kind::kShrd: return ir.Shrd(a, b, n);
  }
  return ir::kNoValue;
}

Value FlagImage(Context& c, Kind k, Value a, Value b, Value n, Value cf) {
  ir::Emitter& ir = c.ir;
  switch (k) {
    case Kind::kShl: return ir.FlagsShl(a, n);
    case Kind::kShr: return ir.FlagsShr(a, n);
    case Kind::kSar: return ir.FlagsSar(a, n);
    case Kind::kRol: return ir.FlagsRol(a, n);
    case Kind::kRor: return ir.FlagsRor(a, n);
    case Kind::kRcl: return ir.FlagsRcl(a, n, cf);
    case Kind::kRcr: return ir.FlagsRcr(a, n, cf);
    case Kind::kShld: return ir.FlagsShld(a, b, n);
    case Kind::kShrd: return ir.FlagsShrd(a, b, n);
  }
  return ir::kNoValue;
}

// dest = op(dest[, src], count). The destination is always written back, also for a count of 0:
// hardware does the read-modify-write (a read-only page faults) and a 32-bit register
// destination is zero-extended even then.
template <Kind kKind>
void Shift(Context& c) {
  constexpr bool kDouble = kKind == Kind::kShld || kKind == Kind::kShrd;
  ir::Emitter& ir = c.ir;
  Type t = c.OpType(0);
  Value a = c.Read(0);
  Value b = kDouble ? c.Read(1) : ir::kNoValue;
  Count n = ReadCount(c, kDouble ? 2 : 1, t);
  if (n.is_const && n.constant == 0) {
    c.Write(0, a);
    return;
  }
  constexpr bool kThroughCarry = kKind == Kind::kRcl || kKind == Kind::kRcr;
  Value cf = kThroughCarry ? ir.GetFlag(ir::kCF) : ir::kNoValue;
  Value r = Result(c, kKind, a, b, n.value, cf);
  Value flags;
  const unsigned w = ir::BitWidth(t);
  if (kThroughCarry && w <= 16) {
    // 8/16-bit RCL/RCR rotate by count mod 9/17: when that is 0 no flag changes (as on hardware).
    if (n.is_const) {
      flags = n.constant % (w + 1) == 0 ? ir.GetFlags() : FlagImage(c, kKind, a, b, n.value, cf);
    } else {
      Value idle = ir.ZExt(Type::kI8, ir.CmpEq(n.value, ir.Imm8(0)));
      for (unsigned m = w + 1; m < 32; m += w + 1) {
        idle = ir.Or(idle, ir.ZExt(Type::kI8, ir.CmpEq(n.value, ir.Imm8(m))));
      }
      Value is_idle = ir.CmpNe(idle, ir.Imm8(0));
      Value safe = ir.Select(is_idle, ir.Imm8(1), n.value);
      flags = ir.Select(is_idle, ir.GetFlags(), FlagImage(c, kKind, a, b, safe, cf));
    }
  } else if (n.is_const) {
    flags = FlagImage(c, kKind, a, b, n.value, cf);
  } else {
    // The Flags* ops require a non-zero count, so a zero count is replaced by 1 and its image
    // discarded in favour of the unchanged flags.
    Value zero = ir.CmpEq(n.value, ir.Imm8(0));
    Value safe = ir.Select(zero, ir.Imm8(1), n.value);
    flags = ir.Select(zero, ir.GetFlags(), FlagImage(c, kKind, a, b, safe, cf));
  }
  c.Write(0, r);
  c.SetFlags(IsRotate(kKind) ? ir::kCF | ir::kOF : ir::kArithFlags, flags);
}

}  // namespace

void RegisterShift(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_SHL, Shift<Kind::kShl>);
  t.Add(ZYDIS_MNEMONIC_SHR, Shift<Kind::kShr>);
  t.Add(ZYDIS_MNEMONIC_SAR, Shift<Kind::kSar>);
  t.Add(ZYDIS_MNEMONIC_ROL, Shift<Kind::kRol>);
  t.Add(ZYDIS_MNEMONIC_ROR, Shift<Kind::kRor>);
  t.Add(ZYDIS_MNEMONIC_RCL, Shift<Kind::kRcl>);
  t.Add(ZYDIS_MNEMONIC_RCR, Shift<Kind::kRcr>);
  t.Add(ZYDIS_MNEMONIC_SHLD, Shift<Kind::kShld>);
  t.Add(ZYDIS_MNEMONIC_SHRD, Shift<Kind::kShrd>);
}

}  // namespace doppel::frontend
