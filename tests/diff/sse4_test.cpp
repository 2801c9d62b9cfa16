// tests/diff/sse4_test.cpp: differential tests of SSE4.1 and the SSE4.2 pcmpgtq (frontend/x86/
// sse4.cpp): blends (immediate and XMM0), dot products and rounding under every MXCSR mode,
// insert/extract to registers and memory, min/max, pmovsx/zx from registers and narrow memory,
// ptest flags, mpsadbw/phminposuw, movntdqa; native vs each doppel engine.
#include "tests/diff/sse_cases.h"

namespace doppel::test::sse {
namespace {

namespace Inst = x86::Inst;

using DiffSse4 = SseTest;

TEST_P(DiffSse4, IntegerBinary) {
  DiffHarness h(GetParam());
  for (uint32_t id :
       {Inst::kIdPmaxsb, Inst::kIdPmaxsd, Inst::kIdPmaxud, Inst::kIdPmaxuw, Inst::kIdPminsb,
        Inst::kIdPminsd, Inst::kIdPminud, Inst::kIdPminuw, Inst::kIdPmuldq, Inst::kIdPmulld,
        Inst::kIdPackusdw, Inst::kIdPcmpeqq, Inst::kIdPcmpgtq, Inst::kIdPhminposuw}) {
    Rng rng(id);
    CheckVec(h, id, Lanes::kInt, 16, rng, -1, 30);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse4, ImmediateBlendsAndShuffles) {
  DiffHarness h(GetParam());
  Rng rng(40);
  for (int imm = 0; imm < 16; ++imm) CheckVec(h, Inst::kIdBlendps, Lanes::kInt, 16, rng, imm, 2);
  for (int imm : {0, 1, 2, 3, 0xfc}) CheckVec(h, Inst::kIdBlendpd, Lanes::kInt, 16, rng, imm, 2);
  for (int imm : {0x00, 0xff, 0xa5, 0x5a, 0x01, 0x80, 0x3c})
    CheckVec(h, Inst::kIdPblendw, Lanes::kInt, 16, rng, imm, 3);
  for (int imm = 0; imm < 8; ++imm) CheckVec(h, Inst::kIdMpsadbw, Lanes::kInt, 16, rng, imm, 4);
  CheckVec(h, Inst::kIdMpsadbw, Lanes::kInt, 16, rng, 0xf8 | 5, 4);
  // insertps: every immediate, register and m32 (imm[7:6] ignored) forms.
  for (int imm = 0; imm < 256; ++imm) CheckVec(h, Inst::kIdInsertps, Lanes::kF32, 4, rng, imm, 1);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse4, VariableBlendsUseXmm0) {
  DiffHarness h(GetParam());
  Rng rng(41);
  for (uint32_t id : {Inst::kIdBlendvps, Inst::kIdBlendvpd, Inst::kIdPblendvb}) {
    std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 24, false);
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm1, x86::xmm2, x86::xmm0); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm0, x86::xmm5, x86::xmm0); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm9, x86::ptr(x86::r15, 0x200, 16), x86::xmm0); },
        inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse4, DotProducts) {
  DiffHarness h(GetParam());
  Rng rng(42);
  for (int imm : {0xff, 0xf1, 0x31, 0xc2, 0x7f, 0x1f, 0x0f, 0xf0, 0x55, 0xaa, 0x93, 0xe8})
    CheckVec(h, Inst::kIdDpps, Lanes::kF32, 16, rng, imm, 28);
  for (int imm : {0x33, 0x31, 0x12, 0x23, 0x30, 0x03, 0x11, 0x22, 0xff})
    CheckVec(h, Inst::kIdDppd, Lanes::kF64, 16, rng, imm, 28);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse4, RoundEveryMode) {
  DiffHarness h(GetParam());
  Rng rng(43);
  for (int imm = 0; imm < 16; ++imm) {
    CheckVec(h, Inst::kIdRoundps, Lanes::kF32, 16, rng, imm, 14);
    CheckVec(h, Inst::kIdRoundpd, Lanes::kF64, 16, rng, imm, 14);
    CheckVec(h, Inst::kIdRoundss, Lanes::kF32, 4, rng, imm, 14);
    CheckVec(h, Inst::kIdRoundsd, Lanes::kF64, 8, rng, imm, 14);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse4, ExtractAndInsert) {
  DiffHarness h(GetParam());
  Rng rng(44);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 6, false);
  struct Form {
    uint32_t id;
    unsigned bits;      // element width (memory form)
    unsigned reg_bits;  // register form width
    unsigned lanes;
  };
  const Form extracts[] = {{Inst::kIdPextrb, 8, 32, 16},
                           {Inst::kIdPextrw, 16, 32, 8},
                           {Inst::kIdPextrd, 32, 32, 4},
                           {Inst::kIdPextrq, 64, 64, 2},
                           {Inst::kIdExtractps, 32, 32, 4}};
  for (const Form& f : extracts) {
    for (unsigned imm = 0; imm < f.lanes + 2; ++imm) {
      RunAll(
          h, [&](Asm& a) { a.emit(f.id, Reg(0, f.reg_bits), x86::xmm3, asmjit::Imm(imm)); },
          inputs);
      RunAll(
          h,
          [&](Asm& a) {
            a.emit(f.id, x86::ptr(x86::r15, 0x203, f.bits / 8), x86::xmm12, asmjit::Imm(imm));
          },
          inputs);
    }
  }
  // pextrb/pextrw/extractps with a 64-bit register (zero-extended).
  for (uint32_t id : {Inst::kIdPextrb, Inst::kIdPextrw, Inst::kIdExtractps}) {
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::rbx, x86::xmm7, asmjit::Imm(3)); }, inputs);
  }
  const Form inserts[] = {{Inst::kIdPinsrb, 8, 32, 16},
                          {Inst::kIdPinsrd, 32, 32, 4},
                          {Inst::kIdPinsrq, 64, 64, 2},
                          {Inst::kIdPinsrw, 16, 32, 8}};
  for (const Form& f : inserts) {
    for (unsigned imm = 0; imm < f.lanes + 2; ++imm) {
      RunAll(
          h, [&](Asm& a) { a.emit(f.id, x86::xmm3, Reg(3, f.reg_bits), asmjit::Imm(imm)); },
          inputs);
      RunAll(
          h,
          [&](Asm& a) {
            a.emit(f.id, x86::xmm11, x86::ptr(x86::r15, 0x205, f.bits / 8), asmjit::Imm(imm));
          },
          inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse4, SignAndZeroExtension) {
  DiffHarness h(GetParam());
  Rng rng(45);
  const std::pair<uint32_t, unsigned> forms[] = {
      {Inst::kIdPmovsxbw, 8}, {Inst::kIdPmovsxbd, 4}, {Inst::kIdPmovsxbq, 2},
      {Inst::kIdPmovsxwd, 8}, {Inst::kIdPmovsxwq, 4}, {Inst::kIdPmovsxdq, 8},
      {Inst::kIdPmovzxbw, 8}, {Inst::kIdPmovzxbd, 4}, {Inst::kIdPmovzxbq, 2},
      {Inst::kIdPmovzxwd, 8}, {Inst::kIdPmovzxwq, 4}, {Inst::kIdPmovzxdq, 8}};
  for (auto [id, mem_bytes] : forms) {
    CheckVec(h, id, Lanes::kInt, 0, rng, -1, 20);
    std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 10, false);
    // Unaligned, narrow memory operands.
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm6, x86::ptr(x86::r15, 0x201, mem_bytes)); }, inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse4, PtestFlags) {
  DiffHarness h(GetParam());
  Rng rng(46);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 40, false);
  // Make some operands zero, equal, complementary or subsets so ZF and CF both vary.
  for (size_t i = 0; i < inputs.size(); ++i) {
    uint8_t* a = inputs[i].regs.xmm[1];
    uint8_t* b = inputs[i].regs.xmm[2];
    switch (i % 5) {
      case 0: memset(b, 0, 16); break;
      case 1: memcpy(b, a, 16); break;
      case 2:
        for (int k = 0; k < 16; ++k) b[k] = static_cast<uint8_t>(~a[k]);
        break;
      case 3:
        for (int k = 0; k < 16; ++k) b[k] &= a[k];
        break;
      default: break;
    }
  }
  RunAll(
      h, [&](Asm& a) { a.ptest(x86::xmm1, x86::xmm2); }, inputs);
  RunAll(
      h, [&](Asm& a) { a.ptest(x86::xmm1, x86::xmm1); }, inputs);
  RunAll(
      h, [&](Asm& a) { a.ptest(x86::xmm2, x86::ptr(x86::r15, 0x200, 16)); }, inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse4, AlignedLoadsFault) {
  DiffHarness h(GetParam());
  Rng rng(47);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 4, false);
  for (int off : {0x200, 0x208}) {
    RunAll(
        h, [&](Asm& a) { a.movntdqa(x86::xmm4, x86::ptr(x86::r15, off, 16)); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.ptest(x86::xmm4, x86::ptr(x86::r15, off, 16)); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.pmulld(x86::xmm4, x86::ptr(x86::r15, off, 16)); }, inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffSse4, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test::sse
