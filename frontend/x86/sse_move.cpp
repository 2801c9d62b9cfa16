// frontend/x86/sse_move.cpp: SSE/SSE2 data movement: full, scalar and half moves between XMM
// registers and memory, movd/movq, mask extraction, pinsrw/pextrw, non-temporal stores, MXCSR
// access, FXSAVE/FXRSTOR and the fences. Memory is read before any XMM register is written.
#include "frontend/x86/sse.h"
#include "ir/x87.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;
using ir::VecOp;
using sse::IsXmm;
using sse::Slot;

namespace {

bool IsMem(const ZydisDecodedOperand& op) { return op.type == ZYDIS_OPERAND_TYPE_MEMORY; }

// movaps/movups/movapd/movupd/movdqa/movdqu and the non-temporal stores.
template <bool kAligned>
void MoveFull(Context& c) {
  const ZydisDecodedOperand& d = c.Op(0);
  const ZydisDecodedOperand& s = c.Op(1);
  if (IsXmm(d) && IsXmm(s)) {
    c.ir.VOp(VecOp::kMovaps, Slot(d), Slot(s));
  } else if (IsXmm(d)) {
    c.ir.VLoad(c.Address(1), Slot(d), 16, kAligned);
  } else {
    c.ir.VStore(c.Address(0), Slot(s), 16, kAligned);
  }
}

// movss/movsd: register forms merge the low element; a load zeroes the rest.
template <unsigned kBytes>
void MoveScalar(Context& c) {
  const ZydisDecodedOperand& d = c.Op(0);
  const ZydisDecodedOperand& s = c.Op(1);
  if (IsXmm(d) && IsXmm(s)) {
    c.ir.VOp(kBytes == 4 ? VecOp::kMovss : VecOp::kMovsd, Slot(d), Slot(s));
  } else if (IsXmm(d)) {
    c.ir.VLoad(c.Address(1), Slot(d), kBytes, false);
  } else {
    c.ir.VStore(c.Address(0), Slot(s), kBytes, false);
  }
}

// movd/movq in all their forms (GPR, memory, XMM; F3 0F 7E and 66 0F D6 included).
void MoveDq(Context& c) {
  if (!sse::NoMmx(c)) return;
  const ZydisDecodedOperand& d = c.Op(0);
  const ZydisDecodedOperand& s = c.Op(1);
  const unsigned bytes = IsXmm(d) ? s.size / 8 : d.size / 8;
  if (IsXmm(d) && IsXmm(s)) {
    c.ir.VOp(VecOp::kMovq, Slot(d), Slot(s));
  } else if (IsXmm(d) && IsMem(s)) {
    c.ir.VLoad(c.Address(1), Slot(d), bytes, false);
  } else if (IsXmm(d)) {
    c.ir.VFromGpr(Slot(d), c.ReadReg(s.reg.value));
  } else if (IsMem(d)) {
    c.ir.VStore(c.Address(0), Slot(s), bytes, false);
  } else {
    Type t = bytes == 8 ? Type::kI64 : Type::kI32;
    c.Write(0, c.ir.VToGpr(t, bytes == 8 ? VecOp::kMovqToGpr : VecOp::kMovdToGpr, Slot(s)));
  }
}

// movhps/movhpd: the high quadword from/to memory.
void MoveHigh(Context& c) {
  if (IsXmm(c.Op(0))) {
    c.ir.VLoad(c.Address(1), ir::kVecTemp0, 8, false);
    c.ir.VOp(VecOp::kMovlhps, Slot(c.Op(0)), ir::kVecTemp0);
  } else {
    c.ir.VOp(VecOp::kMovhlps, ir::kVecTemp0, Slot(c.Op(1)));
    c.ir.VStore(c.Address(0), ir::kVecTemp0, 8, false);
  }
}

// movlps/movlpd: the low quadword from/to memory, the high one kept.
void MoveLow(Context& c) {
  if (IsXmm(c.Op(0))) {
    c.ir.VLoad(c.Address(1), ir::kVecTemp0, 8, false);
    c.ir.VOp(VecOp::kMovsd, Slot(c.Op(0)), ir::kVecTemp0);
  } else {
    c.ir.VStore(c.Address(0), Slot(c.Op(1)), 8, false);
  }
}

template <VecOp kOp>
void RegToReg(Context& c) {
  c.ir.VOp(kOp, Slot(c.Op(0)), Slot(c.Op(1)));
}

// pmovmskb/movmskps/movmskpd/pextrw: a GPR result zero-extended to the destination.
template <VecOp kOp>
void ToGpr(Context& c) {
  if (!sse::NoMmx(c)) return;
  if (!IsXmm(c.Op(1)) || c.Op(0).type != ZYDIS_OPERAND_TYPE_REGISTER) {
    c.RaiseException(ir::kInvalidOpcode);  // SSE4.1 pextrw m16 is not implemented
    return;
  }
  c.Write(0, c.ir.VToGpr(c.OpType(0), kOp, Slot(c.Op(1)), sse::Imm8(c)));
}

void Pinsrw(Context& c) {
  if (!sse::NoMmx(c)) return;
  Value v = c.ir.ZExt(Type::kI32, c.ir.Trunc(Type::kI16, c.Read(1)));
  c.ir.VFromGprOp(VecOp::kPinsrw, Slot(c.Op(0)), v, sse::Imm8(c));
}

void Movnti(Context& c) { c.Write(0, c.Read(1)); }

void Ldmxcsr(Context& c) { c.ir.SetMxcsr(c.Load(Type::kI32, c.Address(0))); }
void Stmxcsr(Context& c) { c.Store(c.Address(0), c.ir.GetMxcsr()); }

// FXSAVE image offsets (64-bit layout; the legacy one differs only in the x87 pointer fields).
constexpr uint64_t kFxMxcsr = 24, kFxMxcsrMask = 28, kFxSt0 = 32, kFxXmm0 = 160;

unsigned FxXmmCount(Context& c) {
  // Outside 64-bit mode only XMM0-7 exist.
  return c.insn.code_bits == 64 ? 16 : 8;
}

// The x87 part of FXSAVE/FXRSTOR moves through the FPU operand buffer (runtime/x87.cpp: opcode
// 0x0F packs the header and ST(0)..ST(7) at 10 bytes each); modrm bit 1 selects FXSAVE64.
uint8_t FxLayout(Context& c) { return c.insn.d.operand_width == 64 ? 2 : 0; }

void Fxsave(Context& c) {
  ir::Emitter& ir = c.ir;
  Value base = c.Address(0);
  auto at = [&](uint64_t off) { return ir.Add(base, ir.Imm64(off)); };
  // First the 16-byte alignment check (#GP, reading the first 16 bytes), then the last byte:
  // a page fault comes before anything is written and names that byte, as on the host.
  ir.VLoad(base, ir::kVecTemp0, 16, true);
  c.ProbeWrite(at(511));
  for (unsigned i = 0; i < FxXmmCount(c); ++i) ir.VStore(at(kFxXmm0 + 16 * i), i, 16, false);
  ir.X87Op(ir::PackX87(0x0f, FxLayout(c), 0, ir::kX87Control), ir.Imm64(0), ir.Imm64(0));
  for (uint64_t off = 0; off < kFxMxcsr; off += 8) ir.Store(at(off), ir.X87Store(off));
  ir.Store(at(kFxMxcsr), ir.GetMxcsr());
  ir.Store(at(kFxMxcsrMask), ir.Const(Type::kI32, ir::kMxcsrWritable));
  for (unsigned i = 0; i < 8; ++i) {
    ir.Store(at(kFxSt0 + 16 * i), ir.X87Store(32 + 10 * i));
    // The exponent word (the last two of eight bytes read at +2, to stay inside the buffer)
    // followed by six reserved zero bytes.
    ir.Store(at(kFxSt0 + 16 * i + 8), ir.Shr(ir.X87Store(34 + 10 * i), ir.Imm8(48)));
  }
}

// FXRSTOR/FXRSTOR64: checks alignment and that the image is readable, then MXCSR (#GP on
// reserved bits) before the x87 state or any XMM register changes.
void Fxrstor(Context& c) {
  ir::Emitter& ir = c.ir;
  Value base = c.Address(0);
  auto at = [&](uint64_t off) { return ir.Add(base, ir.Imm64(off)); };
  const unsigned n = FxXmmCount(c);
  ir.VLoad(at(kFxXmm0), ir::kVecTemp0, 16, true);
  ir.Load(Type::kI8, at(kFxXmm0 + 16 * n - 1));  // the image may cross into a second page
  for (uint64_t off = 0; off < 32; off += 8) ir.X87Load(off, ir.Load(Type::kI64, at(off)));
  for (unsigned i = 0; i < 8; ++i) {
    ir.X87Load(32 + 10 * i, ir.Load(Type::kI64, at(kFxSt0 + 16 * i)));
    ir.X87Load(34 + 10 * i, ir.Load(Type::kI64, at(kFxSt0 + 16 * i + 2)));
  }
  ir.SetMxcsr(ir.Load(Type::kI32, at(kFxMxcsr)));
  ir.X87Op(ir::PackX87(0x0f, 1 | FxLayout(c), 0, ir::kX87Control), ir.Imm64(0), ir.Imm64(0));
  for (unsigned i = 0; i < n; ++i) ir.VLoad(at(kFxXmm0 + 16 * i), i, 16, false);
}

void Fence(Context&) {}  // guest memory accesses are performed in program order already

}  // namespace

void TranslateSseMovsd(Context& c) { MoveScalar<8>(c); }

void RegisterSseMove(TranslatorTable& t) {
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_MOVAPS, ZYDIS_MNEMONIC_MOVAPD, ZYDIS_MNEMONIC_MOVDQA,
                          ZYDIS_MNEMONIC_MOVNTPS, ZYDIS_MNEMONIC_MOVNTPD, ZYDIS_MNEMONIC_MOVNTDQ}) {
    t.Add(m, MoveFull<true>);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_MOVUPS, ZYDIS_MNEMONIC_MOVUPD, ZYDIS_MNEMONIC_MOVDQU}) {
    t.Add(m, MoveFull<false>);
  }
  t.Add(ZYDIS_MNEMONIC_MOVSS, MoveScalar<4>);
  // MOVSD is registered by string.cpp, which hands the 0F-map form to TranslateSseMovsd.
  t.Add(ZYDIS_MNEMONIC_MOVD, MoveDq);
  t.Add(ZYDIS_MNEMONIC_MOVQ, MoveDq);
  t.Add(ZYDIS_MNEMONIC_MOVHPS, MoveHigh);
  t.Add(ZYDIS_MNEMONIC_MOVHPD, MoveHigh);
  t.Add(ZYDIS_MNEMONIC_MOVLPS, MoveLow);
  t.Add(ZYDIS_MNEMONIC_MOVLPD, MoveLow);
  t.Add(ZYDIS_MNEMONIC_MOVHLPS, RegToReg<VecOp::kMovhlps>);
  t.Add(ZYDIS_MNEMONIC_MOVLHPS, RegToReg<VecOp::kMovlhps>);
  t.Add(ZYDIS_MNEMONIC_PMOVMSKB, ToGpr<VecOp::kPmovmskb>);
  t.Add(ZYDIS_MNEMONIC_MOVMSKPS, ToGpr<VecOp::kMovmskps>);
  t.Add(ZYDIS_MNEMONIC_MOVMSKPD, ToGpr<VecOp::kMovmskpd>);
  t.Add(ZYDIS_MNEMONIC_PEXTRW, ToGpr<VecOp::kPextrw>);
  t.Add(ZYDIS_MNEMONIC_PINSRW, Pinsrw);
  t.Add(ZYDIS_MNEMONIC_MOVNTI, Movnti);
  t.Add(ZYDIS_MNEMONIC_LDMXCSR, Ldmxcsr);
  t.Add(ZYDIS_MNEMONIC_STMXCSR, Stmxcsr);
  t.Add(ZYDIS_MNEMONIC_FXSAVE, Fxsave);
  t.Add(ZYDIS_MNEMONIC_FXSAVE64, Fxsave);
  t.Add(ZYDIS_MNEMONIC_FXRSTOR, Fxrstor);
  t.Add(ZYDIS_MNEMONIC_FXRSTOR64, Fxrstor);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_LFENCE, ZYDIS_MNEMONIC_SFENCE, ZYDIS_MNEMONIC_MFENCE}) {
    t.Add(m, Fence);
  }
}

}  // namespace doppel::frontend
