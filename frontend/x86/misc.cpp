// frontend/x86/misc.cpp: nop forms and HLT.
#include "frontend/x86/context.h"

namespace doppel::frontend {

namespace {

void Nop(Context&) {}

void Hlt(Context& c) { c.ir.Exit(ir::ExitReason::kHalt, c.insn.next_pc); }

}  // namespace

void RegisterMisc(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_NOP, Nop);
  t.Add(ZYDIS_MNEMONIC_HLT, Hlt);
}

}  // namespace doppel::frontend
