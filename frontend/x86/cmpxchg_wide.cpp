// frontend/x86/cmpxchg_wide.cpp: CMPXCHG8B and CMPXCHG16B: compare EDX:EAX (RDX:RAX) with m64
// (m128) and store ECX:EBX (RCX:RBX) or, as hardware does, write the old value back.
#include "frontend/x86/context.h"
#include "ir/vector.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

void CmpxchgWide(Context& c) {
  const bool wide = c.insn.d.mnemonic == ZYDIS_MNEMONIC_CMPXCHG16B;
  const Type t = wide ? Type::kI64 : Type::kI32;
  const uint64_t half = wide ? 8 : 4;
  ir::Emitter& ir = c.ir;
  Value lo_addr = c.Address(0);
  // m128 must be 16-byte aligned (#GP(0)): the vector load checks it and that it is readable.
  if (wide) ir.VLoad(lo_addr, ir::kVecTemp0, 16, true);
  Value hi_addr = ir.Add(lo_addr, ir.Imm64(half));
  Value lo = c.Load(t, lo_addr);
  Value hi = c.Load(t, hi_addr);
  Value diff = ir.Or(ir.Xor(lo, c.ReadGpr(0, t)), ir.Xor(hi, c.ReadGpr(2, t)));
  Value eq = ir.CmpEq(diff, c.Const(t, 0));
  c.Store(lo_addr, ir.Select(eq, c.ReadGpr(3, t), lo));
  c.Store(hi_addr, ir.Select(eq, c.ReadGpr(1, t), hi));
  // On a mismatch EDX:EAX receives the memory (32-bit writes zero-extend); on a match the
  // registers are not written at all, so their upper halves survive.
  Value rax = c.ReadGpr(0, Type::kI64), rdx = c.ReadGpr(2, Type::kI64);
  c.WriteGpr(0, ir.Select(eq, rax, ir.ZExt(Type::kI64, lo)));
  c.WriteGpr(2, ir.Select(eq, rdx, ir.ZExt(Type::kI64, hi)));
  c.SetFlags(ir::kZF, ir.Select(eq, ir.Imm64(ir::kZF), ir.Imm64(0)));
}

}  // namespace

void RegisterCmpxchgWide(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_CMPXCHG8B, CmpxchgWide);
  t.Add(ZYDIS_MNEMONIC_CMPXCHG16B, CmpxchgWide);
}

}  // namespace doppel::frontend
