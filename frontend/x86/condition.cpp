// frontend/x86/condition.cpp: flag-conditional data movement: setcc and cmovcc (all 16 codes).
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Value;

namespace {

// SETcc r/m8: 1 or 0.
void Setcc(Context& c) {
  Value cond = c.ir.Cond(ConditionCode(c.insn.d.mnemonic));
  c.Write(0, c.ir.ZExt(ir::Type::kI8, cond));
}

// CMOVcc r, r/m: the source is read (and a memory source may fault) whatever the condition, and
// the destination is always written, so a 32-bit destination is zero-extended even when the
// condition is false.
void Cmovcc(Context& c) {
  Value src = c.Read(1);
  Value dest = c.Read(0);
  Value cond = c.ir.Cond(ConditionCode(c.insn.d.mnemonic));
  c.Write(0, c.ir.Select(cond, src, dest));
}

}  // namespace

void RegisterCondition(TranslatorTable& t) {
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB,
        ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
        ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
        ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE}) {
    t.Add(m, Setcc);
  }
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
        ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
        ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
        ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE,
        ZYDIS_MNEMONIC_CMOVNLE}) {
    t.Add(m, Cmovcc);
  }
}

}  // namespace doppel::frontend
