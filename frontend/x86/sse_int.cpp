// frontend/x86/sse_int.cpp: SSE2 integer instructions on XMM registers: arithmetic (wrapping and
// saturating), multiplies, averages, min/max, compares, logic, shifts (by XMM/memory and by
// immediate), packs, unpacks and shuffles. One vecop each (ir/vecops.inc).
#include "frontend/x86/sse.h"

namespace doppel::frontend {

using ir::VecOp;

namespace {

// psll/psrl/psra: the count is an XMM register, m128 or an imm8 (a different vecop).
template <VecOp kByVector, VecOp kByImm>
void Shift(Context& c) {
  if (!sse::NoMmx(c)) return;
  if (c.Op(1).type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
    unsigned dst = sse::Slot(c.Op(0));
    c.ir.VOp(kByImm, dst, dst, sse::Imm8(c));
    return;
  }
  sse::Binary<kByVector>(c);
}

// pslldq/psrldq: byte shifts, immediate only.
template <VecOp kOp>
void ByteShift(Context& c) {
  unsigned dst = sse::Slot(c.Op(0));
  c.ir.VOp(kOp, dst, dst, sse::Imm8(c));
}

}  // namespace

void RegisterSseInt(TranslatorTable& t) {
  using sse::Binary;
  t.Add(ZYDIS_MNEMONIC_PADDB, Binary<VecOp::kPaddb>);
  t.Add(ZYDIS_MNEMONIC_PADDW, Binary<VecOp::kPaddw>);
  t.Add(ZYDIS_MNEMONIC_PADDD, Binary<VecOp::kPaddd>);
  t.Add(ZYDIS_MNEMONIC_PADDQ, Binary<VecOp::kPaddq>);
  t.Add(ZYDIS_MNEMONIC_PSUBB, Binary<VecOp::kPsubb>);
  t.Add(ZYDIS_MNEMONIC_PSUBW, Binary<VecOp::kPsubw>);
  t.Add(ZYDIS_MNEMONIC_PSUBD, Binary<VecOp::kPsubd>);
  t.Add(ZYDIS_MNEMONIC_PSUBQ, Binary<VecOp::kPsubq>);
  t.Add(ZYDIS_MNEMONIC_PADDSB, Binary<VecOp::kPaddsb>);
  t.Add(ZYDIS_MNEMONIC_PADDSW, Binary<VecOp::kPaddsw>);
  t.Add(ZYDIS_MNEMONIC_PADDUSB, Binary<VecOp::kPaddusb>);
  t.Add(ZYDIS_MNEMONIC_PADDUSW, Binary<VecOp::kPaddusw>);
  t.Add(ZYDIS_MNEMONIC_PSUBSB, Binary<VecOp::kPsubsb>);
  t.Add(ZYDIS_MNEMONIC_PSUBSW, Binary<VecOp::kPsubsw>);
  t.Add(ZYDIS_MNEMONIC_PSUBUSB, Binary<VecOp::kPsubusb>);
  t.Add(ZYDIS_MNEMONIC_PSUBUSW, Binary<VecOp::kPsubusw>);
  t.Add(ZYDIS_MNEMONIC_PMULLW, Binary<VecOp::kPmullw>);
  t.Add(ZYDIS_MNEMONIC_PMULHW, Binary<VecOp::kPmulhw>);
  t.Add(ZYDIS_MNEMONIC_PMULHUW, Binary<VecOp::kPmulhuw>);
  t.Add(ZYDIS_MNEMONIC_PMULUDQ, Binary<VecOp::kPmuludq>);
  t.Add(ZYDIS_MNEMONIC_PMADDWD, Binary<VecOp::kPmaddwd>);
  t.Add(ZYDIS_MNEMONIC_PAVGB, Binary<VecOp::kPavgb>);
  t.Add(ZYDIS_MNEMONIC_PAVGW, Binary<VecOp::kPavgw>);
  t.Add(ZYDIS_MNEMONIC_PSADBW, Binary<VecOp::kPsadbw>);
  t.Add(ZYDIS_MNEMONIC_PMINUB, Binary<VecOp::kPminub>);
  t.Add(ZYDIS_MNEMONIC_PMAXUB, Binary<VecOp::kPmaxub>);
  t.Add(ZYDIS_MNEMONIC_PMINSW, Binary<VecOp::kPminsw>);
  t.Add(ZYDIS_MNEMONIC_PMAXSW, Binary<VecOp::kPmaxsw>);
  t.Add(ZYDIS_MNEMONIC_PCMPEQB, Binary<VecOp::kPcmpeqb>);
  t.Add(ZYDIS_MNEMONIC_PCMPEQW, Binary<VecOp::kPcmpeqw>);
  t.Add(ZYDIS_MNEMONIC_PCMPEQD, Binary<VecOp::kPcmpeqd>);
  t.Add(ZYDIS_MNEMONIC_PCMPGTB, Binary<VecOp::kPcmpgtb>);
  t.Add(ZYDIS_MNEMONIC_PCMPGTW, Binary<VecOp::kPcmpgtw>);
  t.Add(ZYDIS_MNEMONIC_PCMPGTD, Binary<VecOp::kPcmpgtd>);
  t.Add(ZYDIS_MNEMONIC_PAND, Binary<VecOp::kPand>);
  t.Add(ZYDIS_MNEMONIC_PANDN, Binary<VecOp::kPandn>);
  t.Add(ZYDIS_MNEMONIC_POR, Binary<VecOp::kPor>);
  t.Add(ZYDIS_MNEMONIC_PXOR, Binary<VecOp::kPxor>);
  t.Add(ZYDIS_MNEMONIC_PSLLW, Shift<VecOp::kPsllw, VecOp::kPsllwImm>);
  t.Add(ZYDIS_MNEMONIC_PSLLD, Shift<VecOp::kPslld, VecOp::kPslldImm>);
  t.Add(ZYDIS_MNEMONIC_PSLLQ, Shift<VecOp::kPsllq, VecOp::kPsllqImm>);
  t.Add(ZYDIS_MNEMONIC_PSRLW, Shift<VecOp::kPsrlw, VecOp::kPsrlwImm>);
  t.Add(ZYDIS_MNEMONIC_PSRLD, Shift<VecOp::kPsrld, VecOp::kPsrldImm>);
  t.Add(ZYDIS_MNEMONIC_PSRLQ, Shift<VecOp::kPsrlq, VecOp::kPsrlqImm>);
  t.Add(ZYDIS_MNEMONIC_PSRAW, Shift<VecOp::kPsraw, VecOp::kPsrawImm>);
  t.Add(ZYDIS_MNEMONIC_PSRAD, Shift<VecOp::kPsrad, VecOp::kPsradImm>);
  t.Add(ZYDIS_MNEMONIC_PSLLDQ, ByteShift<VecOp::kPslldq>);
  t.Add(ZYDIS_MNEMONIC_PSRLDQ, ByteShift<VecOp::kPsrldq>);
  t.Add(ZYDIS_MNEMONIC_PACKSSWB, Binary<VecOp::kPacksswb>);
  t.Add(ZYDIS_MNEMONIC_PACKSSDW, Binary<VecOp::kPackssdw>);
  t.Add(ZYDIS_MNEMONIC_PACKUSWB, Binary<VecOp::kPackuswb>);
  t.Add(ZYDIS_MNEMONIC_PUNPCKLBW, Binary<VecOp::kPunpcklbw>);
  t.Add(ZYDIS_MNEMONIC_PUNPCKLWD, Binary<VecOp::kPunpcklwd>);
  t.Add(ZYDIS_MNEMONIC_PUNPCKLDQ, Binary<VecOp::kPunpckldq>);
  t.Add(ZYDIS_MNEMONIC_PUNPCKLQDQ, Binary<VecOp::kPunpcklqdq>);
  t.Add(ZYDIS_MNEMONIC_PUNPCKHBW, Binary<VecOp::kPunpckhbw>);
  t.Add(ZYDIS_MNEMONIC_PUNPCKHWD, Binary<VecOp::kPunpckhwd>);
  t.Add(ZYDIS_MNEMONIC_PUNPCKHDQ, Binary<VecOp::kPunpckhdq>);
  t.Add(ZYDIS_MNEMONIC_PUNPCKHQDQ, Binary<VecOp::kPunpckhqdq>);
  t.Add(ZYDIS_MNEMONIC_PSHUFD, Binary<VecOp::kPshufd>);
  t.Add(ZYDIS_MNEMONIC_PSHUFLW, Binary<VecOp::kPshuflw>);
  t.Add(ZYDIS_MNEMONIC_PSHUFHW, Binary<VecOp::kPshufhw>);
}

}  // namespace doppel::frontend
