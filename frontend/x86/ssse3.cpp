// frontend/x86/ssse3.cpp: SSE3 (addsub, horizontal add/sub, movddup/movs[hl]dup, lddqu) and SSSE3
// (pabs, palignr, phadd/phsub, pmaddubsw, pmulhrsw, pshufb, psign) on XMM registers; the SSSE3
// MMX-register forms are in mmx.cpp. MONITOR/MWAIT stay unregistered (#UD; CPUID does not report
// them). One vecop each (ir/vecops.inc).
#include "frontend/x86/sse.h"

namespace doppel::frontend {

using ir::VecOp;

namespace {

// lddqu xmm, m128: an unaligned 16-byte load.
void Lddqu(Context& c) { c.ir.VLoad(c.Address(1), sse::Slot(c.Op(0)), 16, false); }

}  // namespace

void RegisterSsse3(TranslatorTable& t) {
  using sse::Binary;
  // SSE3
  t.Add(ZYDIS_MNEMONIC_ADDSUBPS, Binary<VecOp::kAddsubps>);
  t.Add(ZYDIS_MNEMONIC_ADDSUBPD, Binary<VecOp::kAddsubpd>);
  t.Add(ZYDIS_MNEMONIC_HADDPS, Binary<VecOp::kHaddps>);
  t.Add(ZYDIS_MNEMONIC_HADDPD, Binary<VecOp::kHaddpd>);
  t.Add(ZYDIS_MNEMONIC_HSUBPS, Binary<VecOp::kHsubps>);
  t.Add(ZYDIS_MNEMONIC_HSUBPD, Binary<VecOp::kHsubpd>);
  t.Add(ZYDIS_MNEMONIC_MOVDDUP, Binary<VecOp::kMovddup>);  // m64 source
  t.Add(ZYDIS_MNEMONIC_MOVSHDUP, Binary<VecOp::kMovshdup>);
  t.Add(ZYDIS_MNEMONIC_MOVSLDUP, Binary<VecOp::kMovsldup>);
  t.Add(ZYDIS_MNEMONIC_LDDQU, Lddqu);
  // SSSE3 (Binary hands the MMX-register forms to mmx.cpp)
  t.Add(ZYDIS_MNEMONIC_PABSB, Binary<VecOp::kPabsb>);
  t.Add(ZYDIS_MNEMONIC_PABSW, Binary<VecOp::kPabsw>);
  t.Add(ZYDIS_MNEMONIC_PABSD, Binary<VecOp::kPabsd>);
  t.Add(ZYDIS_MNEMONIC_PALIGNR, Binary<VecOp::kPalignr>);
  t.Add(ZYDIS_MNEMONIC_PHADDW, Binary<VecOp::kPhaddw>);
  t.Add(ZYDIS_MNEMONIC_PHADDD, Binary<VecOp::kPhaddd>);
  t.Add(ZYDIS_MNEMONIC_PHADDSW, Binary<VecOp::kPhaddsw>);
  t.Add(ZYDIS_MNEMONIC_PHSUBW, Binary<VecOp::kPhsubw>);
  t.Add(ZYDIS_MNEMONIC_PHSUBD, Binary<VecOp::kPhsubd>);
  t.Add(ZYDIS_MNEMONIC_PHSUBSW, Binary<VecOp::kPhsubsw>);
  t.Add(ZYDIS_MNEMONIC_PMADDUBSW, Binary<VecOp::kPmaddubsw>);
  t.Add(ZYDIS_MNEMONIC_PMULHRSW, Binary<VecOp::kPmulhrsw>);
  t.Add(ZYDIS_MNEMONIC_PSHUFB, Binary<VecOp::kPshufb>);
  t.Add(ZYDIS_MNEMONIC_PSIGNB, Binary<VecOp::kPsignb>);
  t.Add(ZYDIS_MNEMONIC_PSIGNW, Binary<VecOp::kPsignw>);
  t.Add(ZYDIS_MNEMONIC_PSIGND, Binary<VecOp::kPsignd>);
}

}  // namespace doppel::frontend
