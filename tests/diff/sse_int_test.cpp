// tests/diff/sse_int_test.cpp: differential tests of the SSE2 integer instructions (frontend/x86/
// sse_int.cpp) on edge lanes, register and memory forms, native vs each doppel engine.
#include "tests/diff/sse_cases.h"

namespace doppel::test::sse {
namespace {

namespace Inst = x86::Inst;

using DiffSseInt = SseTest;

void All(DiffHarness& h, std::initializer_list<uint32_t> ids, int imm = -1) {
  for (uint32_t id : ids) {
    Rng rng(id);
    CheckVec(h, id, Lanes::kInt, 16, rng, imm, 30);
  }
}

TEST_P(DiffSseInt, AddSub) {
  DiffHarness h(GetParam());
  All(h, {Inst::kIdPaddb, Inst::kIdPaddw, Inst::kIdPaddd, Inst::kIdPaddq, Inst::kIdPsubb,
          Inst::kIdPsubw, Inst::kIdPsubd, Inst::kIdPsubq, Inst::kIdPaddsb, Inst::kIdPaddsw,
          Inst::kIdPaddusb, Inst::kIdPaddusw, Inst::kIdPsubsb, Inst::kIdPsubsw, Inst::kIdPsubusb,
          Inst::kIdPsubusw});
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseInt, MultiplyAverageMinMax) {
  DiffHarness h(GetParam());
  All(h, {Inst::kIdPmullw, Inst::kIdPmulhw, Inst::kIdPmulhuw, Inst::kIdPmuludq, Inst::kIdPmaddwd,
          Inst::kIdPavgb, Inst::kIdPavgw, Inst::kIdPsadbw, Inst::kIdPminub, Inst::kIdPmaxub,
          Inst::kIdPminsw, Inst::kIdPmaxsw});
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseInt, CompareAndLogic) {
  DiffHarness h(GetParam());
  All(h, {Inst::kIdPcmpeqb, Inst::kIdPcmpeqw, Inst::kIdPcmpeqd, Inst::kIdPcmpgtb, Inst::kIdPcmpgtw,
          Inst::kIdPcmpgtd, Inst::kIdPand, Inst::kIdPandn, Inst::kIdPor, Inst::kIdPxor,
          Inst::kIdAndps, Inst::kIdAndnpd, Inst::kIdOrps, Inst::kIdXorpd});
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseInt, PacksUnpacksShuffles) {
  DiffHarness h(GetParam());
  All(h, {Inst::kIdPacksswb, Inst::kIdPackssdw, Inst::kIdPackuswb, Inst::kIdPunpcklbw,
          Inst::kIdPunpcklwd, Inst::kIdPunpckldq, Inst::kIdPunpcklqdq, Inst::kIdPunpckhbw,
          Inst::kIdPunpckhwd, Inst::kIdPunpckhdq, Inst::kIdPunpckhqdq, Inst::kIdUnpcklps,
          Inst::kIdUnpckhps, Inst::kIdUnpcklpd, Inst::kIdUnpckhpd});
  for (int imm : {0x00, 0x1b, 0xe4, 0x4e, 0xff, 0x93}) {
    All(h, {Inst::kIdPshufd, Inst::kIdPshuflw, Inst::kIdPshufhw, Inst::kIdShufps, Inst::kIdShufpd},
        imm);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseInt, Shifts) {
  DiffHarness h(GetParam());
  Rng rng(7);
  const uint32_t ids[] = {Inst::kIdPsllw, Inst::kIdPslld, Inst::kIdPsllq, Inst::kIdPsrlw,
                          Inst::kIdPsrld, Inst::kIdPsrlq, Inst::kIdPsraw, Inst::kIdPsrad};
  for (uint32_t id : ids) {
    // By register: counts small, at the lane width and huge.
    std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 24, false);
    const uint64_t counts[] = {0, 1, 7, 15, 16, 31, 32, 63, 64, 65, 0x100000000ull, ~0ull};
    for (size_t i = 0; i < inputs.size(); ++i) {
      uint64_t c = counts[i % 12];
      memcpy(inputs[i].regs.xmm[2], &c, 8);
      inputs[i].mem[0].value = c;
    }
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm1, x86::xmm2); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm4, x86::ptr(x86::r15, 0x200, 16)); }, inputs);
    for (int imm : {0, 1, 5, 15, 16, 31, 32, 63, 64, 200}) {
      RunAll(
          h, [&](Asm& a) { a.emit(id, x86::xmm5, asmjit::Imm(imm)); }, inputs);
    }
  }
  for (uint32_t id : {Inst::kIdPslldq, Inst::kIdPsrldq}) {
    std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 4, false);
    for (int imm : {0, 1, 3, 8, 15, 16, 255}) {
      RunAll(
          h, [&](Asm& a) { a.emit(id, x86::xmm6, asmjit::Imm(imm)); }, inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseInt, MisalignedMemoryOperandFaults) {
  // Legacy SSE m128 operands must be 16-byte aligned: #GP, with no register changed.
  DiffHarness h(GetParam());
  Rng rng(9);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 4, false);
  for (uint32_t id : {Inst::kIdPaddb, Inst::kIdPxor, Inst::kIdPcmpeqb, Inst::kIdPunpcklbw}) {
    RunAll(
        h,
        [&](Asm& a) {
          a.mov(x86::eax, 1);
          a.emit(id, x86::xmm0, x86::ptr(x86::r15, 0x208, 16));
        },
        inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffSseInt, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test::sse
