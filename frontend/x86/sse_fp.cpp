// frontend/x86/sse_fp.cpp: SSE/SSE2 floating point: arithmetic, min/max, sqrt, compares (cmp*,
// comis*, ucomis*), conversions, and the ps/pd forms of logic, shuffles and unpacks. Vecops run
// under the guest MXCSR and raise #XM when an unmasked exception occurs (ir/opcodes.inc).
#include "frontend/x86/sse.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;
using ir::VecOp;

namespace {

// comiss/ucomiss/comisd/ucomisd: ZF PF CF from the compare, OF SF AF cleared.
template <VecOp kOp>
void CompareFlags(Context& c) {
  unsigned b = sse::Source(c, 1);
  Value image = c.ir.VFlags(kOp, sse::Slot(c.Op(0)), b);
  c.SetFlags(ir::kArithFlags, image);
}

// cvtsi2ss/cvtsi2sd xmm, r/m32 or r/m64.
template <VecOp kOp>
void FromInt(Context& c) {
  if (!sse::NoMmx(c)) return;
  c.ir.VFromGprOp(kOp, sse::Slot(c.Op(0)), c.Read(1));
}

// cvt(t)ss2si/cvt(t)sd2si r32/r64, xmm/m.
template <VecOp kOp>
void ToInt(Context& c) {
  if (!sse::NoMmx(c)) return;
  unsigned s = sse::Source(c, 1);
  c.Write(0, c.ir.VToGpr(c.OpType(0), kOp, s));
}

}  // namespace

void TranslateSseCmpsd(Context& c) { sse::Binary<VecOp::kCmpsd>(c); }

void RegisterSseFp(TranslatorTable& t) {
  using sse::Binary;
  t.Add(ZYDIS_MNEMONIC_ADDSS, Binary<VecOp::kAddss>);
  t.Add(ZYDIS_MNEMONIC_ADDSD, Binary<VecOp::kAddsd>);
  t.Add(ZYDIS_MNEMONIC_ADDPS, Binary<VecOp::kAddps>);
  t.Add(ZYDIS_MNEMONIC_ADDPD, Binary<VecOp::kAddpd>);
  t.Add(ZYDIS_MNEMONIC_SUBSS, Binary<VecOp::kSubss>);
  t.Add(ZYDIS_MNEMONIC_SUBSD, Binary<VecOp::kSubsd>);
  t.Add(ZYDIS_MNEMONIC_SUBPS, Binary<VecOp::kSubps>);
  t.Add(ZYDIS_MNEMONIC_SUBPD, Binary<VecOp::kSubpd>);
  t.Add(ZYDIS_MNEMONIC_MULSS, Binary<VecOp::kMulss>);
  t.Add(ZYDIS_MNEMONIC_MULSD, Binary<VecOp::kMulsd>);
  t.Add(ZYDIS_MNEMONIC_MULPS, Binary<VecOp::kMulps>);
  t.Add(ZYDIS_MNEMONIC_MULPD, Binary<VecOp::kMulpd>);
  t.Add(ZYDIS_MNEMONIC_DIVSS, Binary<VecOp::kDivss>);
  t.Add(ZYDIS_MNEMONIC_DIVSD, Binary<VecOp::kDivsd>);
  t.Add(ZYDIS_MNEMONIC_DIVPS, Binary<VecOp::kDivps>);
  t.Add(ZYDIS_MNEMONIC_DIVPD, Binary<VecOp::kDivpd>);
  t.Add(ZYDIS_MNEMONIC_MINSS, Binary<VecOp::kMinss>);
  t.Add(ZYDIS_MNEMONIC_MINSD, Binary<VecOp::kMinsd>);
  t.Add(ZYDIS_MNEMONIC_MINPS, Binary<VecOp::kMinps>);
  t.Add(ZYDIS_MNEMONIC_MINPD, Binary<VecOp::kMinpd>);
  t.Add(ZYDIS_MNEMONIC_MAXSS, Binary<VecOp::kMaxss>);
  t.Add(ZYDIS_MNEMONIC_MAXSD, Binary<VecOp::kMaxsd>);
  t.Add(ZYDIS_MNEMONIC_MAXPS, Binary<VecOp::kMaxps>);
  t.Add(ZYDIS_MNEMONIC_MAXPD, Binary<VecOp::kMaxpd>);
  t.Add(ZYDIS_MNEMONIC_SQRTSS, Binary<VecOp::kSqrtss>);
  t.Add(ZYDIS_MNEMONIC_SQRTSD, Binary<VecOp::kSqrtsd>);
  t.Add(ZYDIS_MNEMONIC_SQRTPS, Binary<VecOp::kSqrtps>);
  t.Add(ZYDIS_MNEMONIC_RCPPS, Binary<VecOp::kRcpps>);
  t.Add(ZYDIS_MNEMONIC_RCPSS, Binary<VecOp::kRcpss>);
  t.Add(ZYDIS_MNEMONIC_RSQRTPS, Binary<VecOp::kRsqrtps>);
  t.Add(ZYDIS_MNEMONIC_RSQRTSS, Binary<VecOp::kRsqrtss>);
  t.Add(ZYDIS_MNEMONIC_SQRTPD, Binary<VecOp::kSqrtpd>);
  t.Add(ZYDIS_MNEMONIC_CMPSS, Binary<VecOp::kCmpss>);
  // CMPSD is registered by string.cpp, which hands the 0F-map form to TranslateSseCmpsd.
  t.Add(ZYDIS_MNEMONIC_CMPPS, Binary<VecOp::kCmpps>);
  t.Add(ZYDIS_MNEMONIC_CMPPD, Binary<VecOp::kCmppd>);
  t.Add(ZYDIS_MNEMONIC_COMISS, CompareFlags<VecOp::kComiss>);
  t.Add(ZYDIS_MNEMONIC_UCOMISS, CompareFlags<VecOp::kUcomiss>);
  t.Add(ZYDIS_MNEMONIC_COMISD, CompareFlags<VecOp::kComisd>);
  t.Add(ZYDIS_MNEMONIC_UCOMISD, CompareFlags<VecOp::kUcomisd>);
  t.Add(ZYDIS_MNEMONIC_CVTSS2SD, Binary<VecOp::kCvtss2sd>);
  t.Add(ZYDIS_MNEMONIC_CVTSD2SS, Binary<VecOp::kCvtsd2ss>);
  t.Add(ZYDIS_MNEMONIC_CVTPS2PD, Binary<VecOp::kCvtps2pd>);
  t.Add(ZYDIS_MNEMONIC_CVTPD2PS, Binary<VecOp::kCvtpd2ps>);
  t.Add(ZYDIS_MNEMONIC_CVTDQ2PS, Binary<VecOp::kCvtdq2ps>);
  t.Add(ZYDIS_MNEMONIC_CVTPS2DQ, Binary<VecOp::kCvtps2dq>);
  t.Add(ZYDIS_MNEMONIC_CVTTPS2DQ, Binary<VecOp::kCvttps2dq>);
  t.Add(ZYDIS_MNEMONIC_CVTDQ2PD, Binary<VecOp::kCvtdq2pd>);
  t.Add(ZYDIS_MNEMONIC_CVTPD2DQ, Binary<VecOp::kCvtpd2dq>);
  t.Add(ZYDIS_MNEMONIC_CVTTPD2DQ, Binary<VecOp::kCvttpd2dq>);
  t.Add(ZYDIS_MNEMONIC_CVTSI2SS, FromInt<VecOp::kCvtsi2ss>);
  t.Add(ZYDIS_MNEMONIC_CVTSI2SD, FromInt<VecOp::kCvtsi2sd>);
  t.Add(ZYDIS_MNEMONIC_CVTSS2SI, ToInt<VecOp::kCvtss2si>);
  t.Add(ZYDIS_MNEMONIC_CVTTSS2SI, ToInt<VecOp::kCvttss2si>);
  t.Add(ZYDIS_MNEMONIC_CVTSD2SI, ToInt<VecOp::kCvtsd2si>);
  t.Add(ZYDIS_MNEMONIC_CVTTSD2SI, ToInt<VecOp::kCvttsd2si>);
  // The ps/pd logic, shuffles and unpacks are bit operations, exactly the integer ones.
  t.Add(ZYDIS_MNEMONIC_ANDPS, Binary<VecOp::kPand>);
  t.Add(ZYDIS_MNEMONIC_ANDPD, Binary<VecOp::kPand>);
  t.Add(ZYDIS_MNEMONIC_ANDNPS, Binary<VecOp::kPandn>);
  t.Add(ZYDIS_MNEMONIC_ANDNPD, Binary<VecOp::kPandn>);
  t.Add(ZYDIS_MNEMONIC_ORPS, Binary<VecOp::kPor>);
  t.Add(ZYDIS_MNEMONIC_ORPD, Binary<VecOp::kPor>);
  t.Add(ZYDIS_MNEMONIC_XORPS, Binary<VecOp::kPxor>);
  t.Add(ZYDIS_MNEMONIC_XORPD, Binary<VecOp::kPxor>);
  t.Add(ZYDIS_MNEMONIC_SHUFPS, Binary<VecOp::kShufps>);
  t.Add(ZYDIS_MNEMONIC_SHUFPD, Binary<VecOp::kShufpd>);
  t.Add(ZYDIS_MNEMONIC_UNPCKLPS, Binary<VecOp::kUnpcklps>);
  t.Add(ZYDIS_MNEMONIC_UNPCKHPS, Binary<VecOp::kUnpckhps>);
  t.Add(ZYDIS_MNEMONIC_UNPCKLPD, Binary<VecOp::kUnpcklpd>);
  t.Add(ZYDIS_MNEMONIC_UNPCKHPD, Binary<VecOp::kUnpckhpd>);
}

}  // namespace doppel::frontend
