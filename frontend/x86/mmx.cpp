// frontend/x86/mmx.cpp: MMX (and the SSE/SSE2 MMX-register forms): MMn is the low quadword of x87
// physical register n. Each instruction computes in the scratch slots with the SSE2 vecop, then
// stores back with exponent 0xffff and marks the x87 stack all-valid with TOP = 0, as hardware
// does.
#include "frontend/x86/sse.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;
using ir::VecOp;

namespace {

constexpr unsigned kT0 = ir::kVecTemp0, kT1 = ir::kVecTemp1;

bool IsMm(const ZydisDecodedOperand& op) {
  return op.type == ZYDIS_OPERAND_TYPE_REGISTER && op.reg.value >= ZYDIS_REGISTER_MM0 &&
         op.reg.value <= ZYDIS_REGISTER_MM7;
}
unsigned MmSlot(const ZydisDecodedOperand& op) {
  return ir::kMmxSlot0 + (op.reg.value - ZYDIS_REGISTER_MM0);
}

// Operand i (mm, xmm or m64) into scratch `temp` with a zero high quadword; memory is read first.
void SourceTo(Context& c, unsigned i, unsigned temp) {
  const ZydisDecodedOperand& op = c.Op(i);
  if (IsMm(op)) {
    c.ir.VOp(VecOp::kMovq, temp, MmSlot(op));
  } else if (sse::IsXmm(op)) {
    c.ir.VOp(VecOp::kMovq, temp, sse::Slot(op));
  } else {
    c.ir.VLoad(c.Address(i), temp, op.size / 8, false);
  }
}

void Finish(Context& c, unsigned mm, unsigned from) {
  c.ir.VOp(VecOp::kMmxEnter, 0, 0);
  c.ir.VOp(VecOp::kMmxStore, mm, from);
}

// mm = op(mm, mm/m64[, imm8]) on the low quadwords (lane-wise ops, shifts by register).
template <VecOp kOp>
void Binary(Context& c) {
  SourceTo(c, 1, kT1);
  c.ir.VOp(VecOp::kMovq, kT0, MmSlot(c.Op(0)));
  c.ir.VOp(kOp, kT0, kT1, sse::Imm8(c));
  Finish(c, MmSlot(c.Op(0)), kT0);
}

// Packs: dst and src side by side in one register, packed onto itself.
template <VecOp kOp>
void Pack(Context& c) {
  SourceTo(c, 1, kT1);
  c.ir.VOp(VecOp::kMovq, kT0, MmSlot(c.Op(0)));
  c.ir.VOp(VecOp::kMovlhps, kT0, kT1);
  c.ir.VOp(kOp, kT0, kT0);
  Finish(c, MmSlot(c.Op(0)), kT0);
}

// punpckh*: the high half of the 128-bit low unpack of the two quadwords.
template <VecOp kLowOp>
void UnpackHigh(Context& c) {
  SourceTo(c, 1, kT1);
  c.ir.VOp(VecOp::kMovq, kT0, MmSlot(c.Op(0)));
  c.ir.VOp(kLowOp, kT0, kT1);
  c.ir.VOp(VecOp::kMovhlps, kT0, kT0);
  Finish(c, MmSlot(c.Op(0)), kT0);
}

template <VecOp kByVector, VecOp kByImm>
void Shift(Context& c) {
  if (c.Op(1).type != ZYDIS_OPERAND_TYPE_IMMEDIATE) return Binary<kByVector>(c);
  c.ir.VOp(VecOp::kMovq, kT0, MmSlot(c.Op(0)));
  c.ir.VOp(kByImm, kT0, kT0, sse::Imm8(c));
  Finish(c, MmSlot(c.Op(0)), kT0);
}

// --- MMX <-> XMM conversions: computed with the SSE2 packed conversion on a scratch copy whose
// upper half is zero (so only the two real lanes can set MXCSR flags). An MMX register source or
// destination switches the x87 unit to MMX mode; a memory source does not (SDM CVTPI2PS). ---

// cvtpi2ps xmm, mm/m64: two int32 to floats in the low half of xmm; the high half is kept.
void Cvtpi2ps(Context& c) {
  SourceTo(c, 1, kT1);
  c.ir.VOp(VecOp::kCvtdq2ps, kT1, kT1);
  if (IsMm(c.Op(1))) c.ir.VOp(VecOp::kMmxEnter, 0, 0);
  c.ir.VOp(VecOp::kMovsd, sse::Slot(c.Op(0)), kT1);
}

// cvtpi2pd xmm, mm/m64: two int32 to the two doubles of xmm (exact).
void Cvtpi2pd(Context& c) {
  SourceTo(c, 1, kT1);
  if (IsMm(c.Op(1))) c.ir.VOp(VecOp::kMmxEnter, 0, 0);
  c.ir.VOp(VecOp::kCvtdq2pd, sse::Slot(c.Op(0)), kT1);
}

// cvt(t)ps2pi mm, xmm/m64: the two low floats to int32 (rounded by MXCSR, or truncated).
template <VecOp kOp>
void PsToPi(Context& c) {
  SourceTo(c, 1, kT1);
  c.ir.VOp(kOp, kT1, kT1);
  Finish(c, MmSlot(c.Op(0)), kT1);
}

// cvt(t)pd2pi mm, xmm/m128: the two doubles to int32 (a 16-byte memory operand is aligned).
template <VecOp kOp>
void PdToPi(Context& c) {
  unsigned src = sse::Source(c, 1, false, kT1);
  c.ir.VOp(kOp, kT1, src);
  Finish(c, MmSlot(c.Op(0)), kT1);
}

// maskmovq mm, mm / maskmovdqu xmm, xmm: the data bytes whose mask byte has its top bit set go to
// DS:rDI. Done as a read-merge-write of the whole 8/16 bytes, so unlike hardware it also touches
// (reads and rewrites) the masked-out bytes: a fault there is raised, and an MMIO or concurrently
// written byte there is rewritten with its old value.
void MaskMove(Context& c) {
  const bool mmx = IsMm(c.Op(0));
  const unsigned data = mmx ? MmSlot(c.Op(0)) : sse::Slot(c.Op(0));
  const unsigned mask = mmx ? MmSlot(c.Op(1)) : sse::Slot(c.Op(1));
  const unsigned bytes = mmx ? 8 : 16;
  Value addr = c.Address(2);
  c.ir.VLoad(addr, kT0, bytes, false);  // old bytes
  c.ir.VOp(VecOp::kPxor, kT1, kT1);
  c.ir.VOp(VecOp::kPcmpgtb, kT1, mask);  // 0xff where the mask byte is negative
  c.ir.VOp(VecOp::kPandn, kT1, kT0);     // old & ~m
  c.ir.VOp(VecOp::kPxor, kT0, kT0);
  c.ir.VOp(VecOp::kPcmpgtb, kT0, mask);
  c.ir.VOp(VecOp::kPand, kT0, data);  // data & m
  c.ir.VOp(VecOp::kPor, kT0, kT1);
  c.ir.VStore(addr, kT0, bytes, false);
  if (mmx) c.ir.VOp(VecOp::kMmxEnter, 0, 0);
}

// movd/movq with an MMX operand (the XMM-only forms stay in sse_move.cpp).
void MoveDq(Context& c) {
  const ZydisDecodedOperand& d = c.Op(0);
  const ZydisDecodedOperand& s = c.Op(1);
  if (IsMm(d)) {
    if (s.type == ZYDIS_OPERAND_TYPE_REGISTER && !IsMm(s)) {
      c.ir.VFromGpr(kT0, c.ReadReg(s.reg.value));
    } else {
      SourceTo(c, 1, kT0);
    }
    Finish(c, MmSlot(d), kT0);
    return;
  }
  const unsigned bytes = d.size / 8;
  if (d.type == ZYDIS_OPERAND_TYPE_MEMORY) {
    c.ir.VStore(c.Address(0), MmSlot(s), bytes, false);
  } else {
    Type t = bytes == 8 ? Type::kI64 : Type::kI32;
    c.Write(0, c.ir.VToGpr(t, bytes == 8 ? VecOp::kMovqToGpr : VecOp::kMovdToGpr, MmSlot(s)));
  }
  c.ir.VOp(VecOp::kMmxEnter, 0, 0);
}

void Movntq(Context& c) {
  c.ir.VStore(c.Address(0), MmSlot(c.Op(1)), 8, false);
  c.ir.VOp(VecOp::kMmxEnter, 0, 0);
}

void Movq2dq(Context& c) {
  c.ir.VOp(VecOp::kMovq, sse::Slot(c.Op(0)), MmSlot(c.Op(1)));
  c.ir.VOp(VecOp::kMmxEnter, 0, 0);
}

void Movdq2q(Context& c) {
  SourceTo(c, 1, kT0);
  Finish(c, MmSlot(c.Op(0)), kT0);
}

void Pshufw(Context& c) {
  SourceTo(c, 1, kT1);
  c.ir.VOp(VecOp::kPshuflw, kT0, kT1, sse::Imm8(c));
  Finish(c, MmSlot(c.Op(0)), kT0);
}

// pextrw/pmovmskb r32, mm: only the low quadword (the scratch's high one is zero).
template <VecOp kOp>
void ToGpr(Context& c) {
  SourceTo(c, 1, kT0);
  c.Write(0, c.ir.VToGpr(c.OpType(0), kOp, kT0, sse::Imm8(c) & 3));
  c.ir.VOp(VecOp::kMmxEnter, 0, 0);
}

void Pinsrw(Context& c) {
  Value v = c.ir.ZExt(Type::kI32, c.ir.Trunc(Type::kI16, c.Read(1)));
  c.ir.VOp(VecOp::kMovq, kT0, MmSlot(c.Op(0)));
  c.ir.VFromGprOp(VecOp::kPinsrw, kT0, v, sse::Imm8(c) & 3);
  Finish(c, MmSlot(c.Op(0)), kT0);
}

// palignr mm: (dst:src) as 16 bytes in one scratch register, shifted right by imm bytes.
void Palignr(Context& c) {
  SourceTo(c, 1, kT1);
  c.ir.VOp(VecOp::kMovq, kT0, MmSlot(c.Op(0)));
  c.ir.VOp(VecOp::kMovlhps, kT1, kT0);
  c.ir.VOp(VecOp::kPsrldq, kT1, kT1, sse::Imm8(c));
  Finish(c, MmSlot(c.Op(0)), kT1);
}

// pshufb mm: the MMX form uses index bits 2:0; dst duplicated into both quadwords makes the
// 128-bit shuffle's bit 3 select the same byte.
void Pshufb(Context& c) {
  SourceTo(c, 1, kT1);
  c.ir.VOp(VecOp::kMovq, kT0, MmSlot(c.Op(0)));
  c.ir.VOp(VecOp::kPunpcklqdq, kT0, kT0);
  c.ir.VOp(VecOp::kPshufb, kT0, kT1);
  Finish(c, MmSlot(c.Op(0)), kT0);
}

void Emms(Context& c) { c.ir.VOp(VecOp::kEmms, 0, 0); }

// The MMX-register forms of mnemonics shared with SSE, reached through sse::NoMmx.
const TranslatorTable& MmxForms() {
  static const TranslatorTable table = [] {
    TranslatorTable t;
#define DOPPEL_ADD_BINARY(m, op) t.Add(ZYDIS_MNEMONIC_##m, Binary<VecOp::k##op>);
    DOPPEL_SHARED_INT_BINARY_OPS(DOPPEL_ADD_BINARY)
#undef DOPPEL_ADD_BINARY
#define DOPPEL_ADD_SHIFT(m, op) t.Add(ZYDIS_MNEMONIC_##m, Shift<VecOp::k##op, VecOp::k##op##Imm>);
    DOPPEL_SHARED_INT_SHIFT_OPS(DOPPEL_ADD_SHIFT)
#undef DOPPEL_ADD_SHIFT
    t.Add(ZYDIS_MNEMONIC_PACKSSWB, Pack<VecOp::kPacksswb>);
    t.Add(ZYDIS_MNEMONIC_PACKSSDW, Pack<VecOp::kPackssdw>);
    t.Add(ZYDIS_MNEMONIC_PACKUSWB, Pack<VecOp::kPackuswb>);
    t.Add(ZYDIS_MNEMONIC_PUNPCKLBW, Binary<VecOp::kPunpcklbw>);
    t.Add(ZYDIS_MNEMONIC_PUNPCKLWD, Binary<VecOp::kPunpcklwd>);
    t.Add(ZYDIS_MNEMONIC_PUNPCKLDQ, Binary<VecOp::kPunpckldq>);
    t.Add(ZYDIS_MNEMONIC_PUNPCKHBW, UnpackHigh<VecOp::kPunpcklbw>);
    t.Add(ZYDIS_MNEMONIC_PUNPCKHWD, UnpackHigh<VecOp::kPunpcklwd>);
    t.Add(ZYDIS_MNEMONIC_PUNPCKHDQ, UnpackHigh<VecOp::kPunpckldq>);
    t.Add(ZYDIS_MNEMONIC_MOVD, MoveDq);
    t.Add(ZYDIS_MNEMONIC_MOVQ, MoveDq);
    t.Add(ZYDIS_MNEMONIC_PEXTRW, ToGpr<VecOp::kPextrw>);
    t.Add(ZYDIS_MNEMONIC_PMOVMSKB, ToGpr<VecOp::kPmovmskb>);
    t.Add(ZYDIS_MNEMONIC_PINSRW, Pinsrw);
    // SSSE3: lane-wise ops on the low quadword; horizontal ops on dst:src packed in one register.
    t.Add(ZYDIS_MNEMONIC_PABSB, Binary<VecOp::kPabsb>);
    t.Add(ZYDIS_MNEMONIC_PABSW, Binary<VecOp::kPabsw>);
    t.Add(ZYDIS_MNEMONIC_PABSD, Binary<VecOp::kPabsd>);
    t.Add(ZYDIS_MNEMONIC_PSIGNB, Binary<VecOp::kPsignb>);
    t.Add(ZYDIS_MNEMONIC_PSIGNW, Binary<VecOp::kPsignw>);
    t.Add(ZYDIS_MNEMONIC_PSIGND, Binary<VecOp::kPsignd>);
    t.Add(ZYDIS_MNEMONIC_PMADDUBSW, Binary<VecOp::kPmaddubsw>);
    t.Add(ZYDIS_MNEMONIC_PMULHRSW, Binary<VecOp::kPmulhrsw>);
    t.Add(ZYDIS_MNEMONIC_PHADDW, Pack<VecOp::kPhaddw>);
    t.Add(ZYDIS_MNEMONIC_PHADDD, Pack<VecOp::kPhaddd>);
    t.Add(ZYDIS_MNEMONIC_PHADDSW, Pack<VecOp::kPhaddsw>);
    t.Add(ZYDIS_MNEMONIC_PHSUBW, Pack<VecOp::kPhsubw>);
    t.Add(ZYDIS_MNEMONIC_PHSUBD, Pack<VecOp::kPhsubd>);
    t.Add(ZYDIS_MNEMONIC_PHSUBSW, Pack<VecOp::kPhsubsw>);
    t.Add(ZYDIS_MNEMONIC_PALIGNR, Palignr);
    t.Add(ZYDIS_MNEMONIC_PSHUFB, Pshufb);
    return t;
  }();
  return table;
}

}  // namespace

void TranslateMmx(Context& c) {
  Translator f = MmxForms().Find(c.insn.d.mnemonic);
  if (f == nullptr) {
    c.RaiseException(ir::kInvalidOpcode);  // e.g. cvtpi2ps: MMX-operand SSE conversions
    return;
  }
  f(c);
}

void RegisterMmx(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_EMMS, Emms);
  t.Add(ZYDIS_MNEMONIC_MOVNTQ, Movntq);
  t.Add(ZYDIS_MNEMONIC_MOVQ2DQ, Movq2dq);
  t.Add(ZYDIS_MNEMONIC_MOVDQ2Q, Movdq2q);
  t.Add(ZYDIS_MNEMONIC_PSHUFW, Pshufw);
  t.Add(ZYDIS_MNEMONIC_MASKMOVQ, MaskMove);
  t.Add(ZYDIS_MNEMONIC_MASKMOVDQU, MaskMove);
  t.Add(ZYDIS_MNEMONIC_CVTPI2PS, Cvtpi2ps);
  t.Add(ZYDIS_MNEMONIC_CVTPI2PD, Cvtpi2pd);
  t.Add(ZYDIS_MNEMONIC_CVTPS2PI, PsToPi<VecOp::kCvtps2dq>);
  t.Add(ZYDIS_MNEMONIC_CVTTPS2PI, PsToPi<VecOp::kCvttps2dq>);
  t.Add(ZYDIS_MNEMONIC_CVTPD2PI, PdToPi<VecOp::kCvtpd2dq>);
  t.Add(ZYDIS_MNEMONIC_CVTTPD2PI, PdToPi<VecOp::kCvttpd2dq>);
}

}  // namespace doppel::frontend
