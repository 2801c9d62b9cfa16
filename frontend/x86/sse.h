// frontend/x86/sse.h: operand helpers shared by the SSE/SSE2 translators (sse_move.cpp,
// sse_int.cpp, sse_fp.cpp): XMM registers as vector slots, memory operands through scratch slots.
#pragma once
#include "frontend/x86/context.h"

// Integer operations whose MMX and SSE2 forms run the same vector op (on 64 or 128 bits), as
// X(MNEMONIC, VecOp) lists for the two register tables (sse_int.cpp, mmx.cpp).
#define DOPPEL_SHARED_INT_BINARY_OPS(X) \
  X(PADDB, Paddb)                       \
  X(PADDW, Paddw)                       \
  X(PADDD, Paddd)                       \
  X(PADDQ, Paddq)                       \
  X(PSUBB, Psubb)                       \
  X(PSUBW, Psubw)                       \
  X(PSUBD, Psubd)                       \
  X(PSUBQ, Psubq)                       \
  X(PADDSB, Paddsb)                     \
  X(PADDSW, Paddsw)                     \
  X(PADDUSB, Paddusb)                   \
  X(PADDUSW, Paddusw)                   \
  X(PSUBSB, Psubsb)                     \
  X(PSUBSW, Psubsw)                     \
  X(PSUBUSB, Psubusb)                   \
  X(PSUBUSW, Psubusw)                   \
  X(PMULLW, Pmullw)                     \
  X(PMULHW, Pmulhw)                     \
  X(PMULHUW, Pmulhuw)                   \
  X(PMULUDQ, Pmuludq)                   \
  X(PMADDWD, Pmaddwd)                   \
  X(PAVGB, Pavgb)                       \
  X(PAVGW, Pavgw)                       \
  X(PSADBW, Psadbw)                     \
  X(PMINUB, Pminub)                     \
  X(PMAXUB, Pmaxub)                     \
  X(PMINSW, Pminsw)                     \
  X(PMAXSW, Pmaxsw)                     \
  X(PCMPEQB, Pcmpeqb)                   \
  X(PCMPEQW, Pcmpeqw)                   \
  X(PCMPEQD, Pcmpeqd)                   \
  X(PCMPGTB, Pcmpgtb)                   \
  X(PCMPGTW, Pcmpgtw)                   \
  X(PCMPGTD, Pcmpgtd)                   \
  X(PAND, Pand)                         \
  X(PANDN, Pandn)                       \
  X(POR, Por)                           \
  X(PXOR, Pxor)

// Shifts by register or immediate: X(MNEMONIC, VecOp) uses VecOp and VecOp##Imm.
#define DOPPEL_SHARED_INT_SHIFT_OPS(X) \
  X(PSLLW, Psllw)                      \
  X(PSLLD, Pslld)                      \
  X(PSLLQ, Psllq)                      \
  X(PSRLW, Psrlw)                      \
  X(PSRLD, Psrld)                      \
  X(PSRLQ, Psrlq)                      \
  X(PSRAW, Psraw)                      \
  X(PSRAD, Psrad)

namespace doppel::frontend::sse {

inline bool IsXmm(const ZydisDecodedOperand& op) {
  return op.type == ZYDIS_OPERAND_TYPE_REGISTER && op.reg.value >= ZYDIS_REGISTER_XMM0 &&
         op.reg.value <= ZYDIS_REGISTER_XMM15;
}
inline unsigned Slot(const ZydisDecodedOperand& op) { return op.reg.value - ZYDIS_REGISTER_XMM0; }

}  // namespace doppel::frontend::sse

namespace doppel::frontend {
// mmx.cpp: the MMX-register form of a mnemonic shared with SSE (#UD when it has none).
void TranslateMmx(Context& c);
}  // namespace doppel::frontend

namespace doppel::frontend::sse {

// MMX forms share mnemonics with the SSE2 ones: hands them to mmx.cpp and returns false.
inline bool NoMmx(Context& c) {
  for (unsigned i = 0; i < c.insn.d.operand_count_visible; ++i) {
    const ZydisDecodedOperand& op = c.Op(i);
    if (op.type == ZYDIS_OPERAND_TYPE_REGISTER && op.reg.value >= ZYDIS_REGISTER_MM0 &&
        op.reg.value <= ZYDIS_REGISTER_MM7) {
      TranslateMmx(c);
      return false;
    }
  }
  return true;
}

// Operand i as a vector slot: an XMM register's own, or a memory operand loaded into `temp`
// (legacy-SSE 16-byte memory operands must be 16-byte aligned unless `unaligned`).
inline unsigned Source(Context& c, unsigned i, bool unaligned = false,
                       unsigned temp = ir::kVecTemp0) {
  const ZydisDecodedOperand& op = c.Op(i);
  if (IsXmm(op)) return Slot(op);
  unsigned bytes = op.size / 8;
  c.ir.VLoad(c.Address(i), temp, bytes, bytes == 16 && !unaligned);
  return temp;
}

// The imm8 operand, if the instruction has one.
inline uint8_t Imm8(Context& c) {
  for (unsigned i = 0; i < c.insn.d.operand_count_visible; ++i) {
    if (c.Op(i).type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
      return static_cast<uint8_t>(c.Op(i).imm.value.u);
  }
  return 0;
}

// dst = op(dst, src[, imm8]) with dst operand 0 and src operand 1.
template <ir::VecOp kOp>
void Binary(Context& c) {
  if (!NoMmx(c)) return;
  unsigned src = Source(c, 1);
  c.ir.VOp(kOp, Slot(c.Op(0)), src, Imm8(c));
}

}  // namespace doppel::frontend::sse
