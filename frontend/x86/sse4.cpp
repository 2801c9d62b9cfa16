// frontend/x86/sse4.cpp: SSE4.1 (blends, dot products, rounding, insert/extract, min/max,
// pmovsx/zx, pmuldq/pmulld, packusdw, pcmpeqq, ptest, mpsadbw, phminposuw, movntdqa) and SSE4.2
// (pcmpgtq and the string compares pcmp[ei]str[im]; crc32 is in bmi.cpp with the other GPR ops).
#include "frontend/x86/sse.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;
using ir::VecOp;

namespace {

// pmovsx/pmovzx xmm, xmm/m: the memory operand is only as wide as the lanes it widens (m64, m32
// or m16); m16 goes through a GPR load since vector loads are 4, 8 or 16 bytes.
template <VecOp kOp>
void Extend(Context& c) {
  const ZydisDecodedOperand& src = c.Op(1);
  unsigned s;
  if (sse::IsXmm(src)) {
    s = sse::Slot(src);
  } else if (src.size == 16) {
    Value v = c.Load(Type::kI16, c.Address(1));
    c.ir.VFromGpr(ir::kVecTemp0, c.ir.ZExt(Type::kI32, v));
    s = ir::kVecTemp0;
  } else {
    s = sse::Source(c, 1);
  }
  c.ir.VOp(kOp, sse::Slot(c.Op(0)), s);
}

// insertps xmm, xmm/m32, imm8: a memory source is the element itself (imm[7:6] ignored).
void Insertps(Context& c) {
  uint8_t imm = sse::Imm8(c);
  if (!sse::IsXmm(c.Op(1))) imm &= 0x3f;
  unsigned s = sse::Source(c, 1);
  c.ir.VOp(VecOp::kInsertps, sse::Slot(c.Op(0)), s, imm);
}

// pextrb/pextrw/pextrd/pextrq/extractps r/m, xmm, imm8: the register forms zero-extend, the
// memory forms store the element's own width.
template <VecOp kOp>
void Extract(Context& c) {
  if (!sse::NoMmx(c)) return;
  const ZydisDecodedOperand& dst = c.Op(0);
  const unsigned src = sse::Slot(c.Op(1));
  if (dst.type == ZYDIS_OPERAND_TYPE_REGISTER) {
    c.Write(0, c.ir.VToGpr(c.OpType(0), kOp, src, sse::Imm8(c)));
    return;
  }
  const Type t = c.OpType(0);
  Value v = c.ir.VToGpr(t == Type::kI64 ? Type::kI64 : Type::kI32, kOp, src, sse::Imm8(c));
  c.Write(0, c.ir.Trunc(t, v));
}

// pinsrb/pinsrd/pinsrq xmm, r/m, imm8.
template <VecOp kOp>
void Insert(Context& c) {
  Value v = c.Read(1);
  c.ir.VFromGprOp(kOp, sse::Slot(c.Op(0)), v, sse::Imm8(c));
}

// ptest: ZF = (dst AND src) == 0, CF = (NOT dst AND src) == 0; AF OF PF SF cleared.
void Ptest(Context& c) {
  unsigned s = sse::Source(c, 1);
  c.SetFlags(ir::kArithFlags, c.ir.VFlags(VecOp::kPtest, sse::Slot(c.Op(0)), s));
}

// movntdqa xmm, m128: an aligned load (the non-temporal hint has no visible effect).
void Movntdqa(Context& c) { c.ir.VLoad(c.Address(1), sse::Slot(c.Op(0)), 16, true); }

// |length| saturated to the element count, as pcmpestr* reads EAX/EDX (RAX/RDX with REX.W).
Value SaturatedLength(Context& c, unsigned reg, Type t, unsigned elements) {
  Value x = c.ReadGpr(reg, t);
  Value zero = c.Const(t, 0);
  Value abs = c.ir.Select(c.ir.CmpSLt(x, zero), c.ir.Neg(x), x);  // |MIN| stays huge: saturates
  Value n = c.Const(t, elements);
  return c.ir.ZExt(Type::kI64, c.ir.Select(c.ir.CmpULt(abs, n), abs, n));
}

// pcmp[ei]str[im] xmm1, xmm2/m128 (no alignment requirement), imm8: the index forms write ECX
// (zero-extended), the mask forms XMM0; CF ZF SF OF from the result, AF PF cleared.
template <VecOp kOp>
void StringCompare(Context& c) {
  const uint8_t imm = sse::Imm8(c);
  const unsigned b = sse::Source(c, 1, /*unaligned=*/true);
  Value lengths = c.Const(Type::kI64, 0);
  if (kOp == VecOp::kPcmpestri || kOp == VecOp::kPcmpestrm) {
    const Type t = c.insn.d.operand_width == 64 ? Type::kI64 : Type::kI32;
    const unsigned n = imm & 1 ? 8 : 16;
    Value la = SaturatedLength(c, 0, t, n);
    Value lb = SaturatedLength(c, 2, t, n);
    lengths = c.ir.Or(la, c.ir.Shl(lb, c.Const(Type::kI8, 32)));
  }
  Value r = c.ir.VStrCmp(kOp, sse::Slot(c.Op(0)), b, imm, lengths);
  if (kOp == VecOp::kPcmpestri || kOp == VecOp::kPcmpistri) {
    c.WriteGpr(1, c.ir.Trunc(Type::kI32, c.ir.Shr(r, c.Const(Type::kI8, 32))));
  }
  c.SetFlags(ir::kArithFlags, r);
}

}  // namespace

void RegisterSse4(TranslatorTable& t) {
  using sse::Binary;
  // SSE4.1
  t.Add(ZYDIS_MNEMONIC_BLENDPS, Binary<VecOp::kBlendps>);
  t.Add(ZYDIS_MNEMONIC_BLENDPD, Binary<VecOp::kBlendpd>);
  t.Add(ZYDIS_MNEMONIC_PBLENDW, Binary<VecOp::kPblendw>);
  t.Add(ZYDIS_MNEMONIC_BLENDVPS, Binary<VecOp::kBlendvps>);
  t.Add(ZYDIS_MNEMONIC_BLENDVPD, Binary<VecOp::kBlendvpd>);
  t.Add(ZYDIS_MNEMONIC_PBLENDVB, Binary<VecOp::kPblendvb>);
  t.Add(ZYDIS_MNEMONIC_DPPS, Binary<VecOp::kDpps>);
  t.Add(ZYDIS_MNEMONIC_DPPD, Binary<VecOp::kDppd>);
  t.Add(ZYDIS_MNEMONIC_ROUNDPS, Binary<VecOp::kRoundps>);
  t.Add(ZYDIS_MNEMONIC_ROUNDPD, Binary<VecOp::kRoundpd>);
  t.Add(ZYDIS_MNEMONIC_ROUNDSS, Binary<VecOp::kRoundss>);  // m32 source
  t.Add(ZYDIS_MNEMONIC_ROUNDSD, Binary<VecOp::kRoundsd>);  // m64 source
  t.Add(ZYDIS_MNEMONIC_INSERTPS, Insertps);
  t.Add(ZYDIS_MNEMONIC_EXTRACTPS, Extract<VecOp::kExtractps>);
  t.Add(ZYDIS_MNEMONIC_PEXTRB, Extract<VecOp::kPextrb>);
  t.Add(ZYDIS_MNEMONIC_PEXTRW, Extract<VecOp::kPextrw>);  // adds the SSE4.1 m16 form
  t.Add(ZYDIS_MNEMONIC_PEXTRD, Extract<VecOp::kPextrd>);
  t.Add(ZYDIS_MNEMONIC_PEXTRQ, Extract<VecOp::kPextrq>);
  t.Add(ZYDIS_MNEMONIC_PINSRB, Insert<VecOp::kPinsrb>);
  t.Add(ZYDIS_MNEMONIC_PINSRD, Insert<VecOp::kPinsrd>);
  t.Add(ZYDIS_MNEMONIC_PINSRQ, Insert<VecOp::kPinsrq>);
  t.Add(ZYDIS_MNEMONIC_PMAXSB, Binary<VecOp::kPmaxsb>);
  t.Add(ZYDIS_MNEMONIC_PMAXSD, Binary<VecOp::kPmaxsd>);
  t.Add(ZYDIS_MNEMONIC_PMAXUD, Binary<VecOp::kPmaxud>);
  t.Add(ZYDIS_MNEMONIC_PMAXUW, Binary<VecOp::kPmaxuw>);
  t.Add(ZYDIS_MNEMONIC_PMINSB, Binary<VecOp::kPminsb>);
  t.Add(ZYDIS_MNEMONIC_PMINSD, Binary<VecOp::kPminsd>);
  t.Add(ZYDIS_MNEMONIC_PMINUD, Binary<VecOp::kPminud>);
  t.Add(ZYDIS_MNEMONIC_PMINUW, Binary<VecOp::kPminuw>);
  t.Add(ZYDIS_MNEMONIC_PMOVSXBW, Extend<VecOp::kPmovsxbw>);
  t.Add(ZYDIS_MNEMONIC_PMOVSXBD, Extend<VecOp::kPmovsxbd>);
  t.Add(ZYDIS_MNEMONIC_PMOVSXBQ, Extend<VecOp::kPmovsxbq>);
  t.Add(ZYDIS_MNEMONIC_PMOVSXWD, Extend<VecOp::kPmovsxwd>);
  t.Add(ZYDIS_MNEMONIC_PMOVSXWQ, Extend<VecOp::kPmovsxwq>);
  t.Add(ZYDIS_MNEMONIC_PMOVSXDQ, Extend<VecOp::kPmovsxdq>);
  t.Add(ZYDIS_MNEMONIC_PMOVZXBW, Extend<VecOp::kPmovzxbw>);
  t.Add(ZYDIS_MNEMONIC_PMOVZXBD, Extend<VecOp::kPmovzxbd>);
  t.Add(ZYDIS_MNEMONIC_PMOVZXBQ, Extend<VecOp::kPmovzxbq>);
  t.Add(ZYDIS_MNEMONIC_PMOVZXWD, Extend<VecOp::kPmovzxwd>);
  t.Add(ZYDIS_MNEMONIC_PMOVZXWQ, Extend<VecOp::kPmovzxwq>);
  t.Add(ZYDIS_MNEMONIC_PMOVZXDQ, Extend<VecOp::kPmovzxdq>);
  t.Add(ZYDIS_MNEMONIC_PMULDQ, Binary<VecOp::kPmuldq>);
  t.Add(ZYDIS_MNEMONIC_PMULLD, Binary<VecOp::kPmulld>);
  t.Add(ZYDIS_MNEMONIC_PACKUSDW, Binary<VecOp::kPackusdw>);
  t.Add(ZYDIS_MNEMONIC_PCMPEQQ, Binary<VecOp::kPcmpeqq>);
  t.Add(ZYDIS_MNEMONIC_PTEST, Ptest);
  t.Add(ZYDIS_MNEMONIC_MPSADBW, Binary<VecOp::kMpsadbw>);
  t.Add(ZYDIS_MNEMONIC_PHMINPOSUW, Binary<VecOp::kPhminposuw>);
  t.Add(ZYDIS_MNEMONIC_MOVNTDQA, Movntdqa);
  // SSE4.2
  t.Add(ZYDIS_MNEMONIC_PCMPGTQ, Binary<VecOp::kPcmpgtq>);
  t.Add(ZYDIS_MNEMONIC_PCMPESTRI, StringCompare<VecOp::kPcmpestri>);
  t.Add(ZYDIS_MNEMONIC_PCMPESTRM, StringCompare<VecOp::kPcmpestrm>);
  t.Add(ZYDIS_MNEMONIC_PCMPISTRI, StringCompare<VecOp::kPcmpistri>);
  t.Add(ZYDIS_MNEMONIC_PCMPISTRM, StringCompare<VecOp::kPcmpistrm>);
}

}  // namespace doppel::frontend
