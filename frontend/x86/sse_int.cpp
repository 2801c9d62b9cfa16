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
#define DOPPEL_ADD_BINARY(m, op) t.Add(ZYDIS_MNEMONIC_##m, Binary<VecOp::k##op>);
  DOPPEL_SHARED_INT_BINARY_OPS(DOPPEL_ADD_BINARY)
#undef DOPPEL_ADD_BINARY
#define DOPPEL_ADD_SHIFT(m, op) t.Add(ZYDIS_MNEMONIC_##m, Shift<VecOp::k##op, VecOp::k##op##Imm>);
  DOPPEL_SHARED_INT_SHIFT_OPS(DOPPEL_ADD_SHIFT)
#undef DOPPEL_ADD_SHIFT
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
