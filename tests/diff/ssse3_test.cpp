// tests/diff/ssse3_test.cpp: differential tests of SSE3 and SSSE3 (frontend/x86/ssse3.cpp and the
// SSSE3 MMX forms in mmx.cpp) on edge lanes, register and memory forms, every MXCSR mode for the
// floating-point ones, native vs each doppel engine.
#include "tests/diff/sse_cases.h"

namespace doppel::test::sse {
namespace {

namespace Inst = x86::Inst;

using DiffSsse3 = SseTest;

TEST_P(DiffSsse3, Sse3Arithmetic) {
  DiffHarness h(GetParam());
  const std::pair<uint32_t, Lanes> forms[] = {
      {Inst::kIdAddsubps, Lanes::kF32}, {Inst::kIdAddsubpd, Lanes::kF64},
      {Inst::kIdHaddps, Lanes::kF32},   {Inst::kIdHaddpd, Lanes::kF64},
      {Inst::kIdHsubps, Lanes::kF32},   {Inst::kIdHsubpd, Lanes::kF64}};
  for (auto [id, lanes] : forms) {
    Rng rng(id);
    CheckVec(h, id, lanes, 16, rng, -1, 56);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSsse3, Sse3Moves) {
  DiffHarness h(GetParam());
  Rng rng(31);
  CheckVec(h, Inst::kIdMovddup, Lanes::kF64, 8, rng, -1, 12);
  CheckVec(h, Inst::kIdMovshdup, Lanes::kF32, 16, rng, -1, 12);
  CheckVec(h, Inst::kIdMovsldup, Lanes::kF32, 16, rng, -1, 12);
  // lddqu: memory only, any alignment.
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 8, false);
  for (int off : {0x200, 0x203, 0x1f9}) {
    RunAll(
        h, [&](Asm& a) { a.lddqu(x86::xmm5, x86::ptr(x86::r15, off, 16)); }, inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

const std::initializer_list<uint32_t> kSsse3Binary = {
    Inst::kIdPabsb,    Inst::kIdPabsw,  Inst::kIdPabsd,  Inst::kIdPhaddw,  Inst::kIdPhaddd,
    Inst::kIdPhaddsw,  Inst::kIdPhsubw, Inst::kIdPhsubd, Inst::kIdPhsubsw, Inst::kIdPmaddubsw,
    Inst::kIdPmulhrsw, Inst::kIdPshufb, Inst::kIdPsignb, Inst::kIdPsignw,  Inst::kIdPsignd};

TEST_P(DiffSsse3, Ssse3Xmm) {
  DiffHarness h(GetParam());
  for (uint32_t id : kSsse3Binary) {
    Rng rng(id);
    CheckVec(h, id, Lanes::kInt, 16, rng, -1, 30);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSsse3, PalignrEveryImmediate) {
  DiffHarness h(GetParam());
  Rng rng(32);
  for (int imm = 0; imm < 256; imm += imm < 40 ? 1 : 23) {
    CheckVec(h, Inst::kIdPalignr, Lanes::kInt, 16, rng, imm, 3);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSsse3, Ssse3Mmx) {
  DiffHarness h(GetParam());
  Rng rng(33);
  for (uint32_t id : kSsse3Binary) CheckMm(h, id, rng);
  for (int imm : {0, 1, 3, 7, 8, 9, 15, 16, 200}) CheckMm(h, Inst::kIdPalignr, rng, imm);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSsse3, MisalignedMemoryOperandFaults) {
  DiffHarness h(GetParam());
  Rng rng(34);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 4, false);
  for (uint32_t id : {Inst::kIdPshufb, Inst::kIdHaddps, Inst::kIdMovshdup}) {
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm0, x86::ptr(x86::r15, 0x208, 16)); }, inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffSsse3, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test::sse
