// tests/diff/cond_test.cpp: differential tests of setcc, cmovcc and jcc for all 16 conditions over
// every combination of CF PF ZF SF OF.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;

class DiffCond : public testing::TestWithParam<Engine> {
 protected:
  // All 32 combinations of the five condition flags (AF set on odd ones).
  static std::vector<CaseInput> FlagCombos(Rng& rng) {
    static const uint64_t kBits[] = {0x1, 0x4, 0x40, 0x80, 0x800};
    std::vector<CaseInput> inputs;
    for (unsigned c = 0; c < 32; c++) {
      CaseInput in = RandomInput(rng);
      in.regs.rflags = (c & 1) ? 0x10 : 0;
      for (int b = 0; b < 5; b++) {
        if (c & (1u << b)) in.regs.rflags |= kBits[b];
      }
      inputs.push_back(in);
    }
    return inputs;
  }
};

TEST_P(DiffCond, Setcc) {
  DiffHarness h(GetParam());
  Rng rng(41);
  for (unsigned cc = 0; cc < 16; cc++) {
    RunAll(
        h,
        [&](Asm& a) {
          a.set(static_cast<x86::CondCode>(cc), x86::al);
          a.set(static_cast<x86::CondCode>(cc), x86::bh);
          a.set(static_cast<x86::CondCode>(cc), x86::sil);
          a.set(static_cast<x86::CondCode>(cc), x86::r9b);
          a.set(static_cast<x86::CondCode>(cc), MemAt(OperandAddress(cc % kMemForms), 8, cc));
        },
        FlagCombos(rng));
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffCond, Cmovcc) {
  DiffHarness h(GetParam());
  Rng rng(42);
  for (unsigned cc = 0; cc < 16; cc++) {
    RunAll(
        h,
        [&](Asm& a) {
          auto c = static_cast<x86::CondCode>(cc);
          a.cmov(c, x86::ax, x86::bx);
          a.cmov(c, x86::ecx, x86::edx);  // a 32-bit cmov zero-extends even when not moving
          a.cmov(c, x86::rsi, x86::r9);
          a.cmov(c, x86::edi, MemAt(OperandAddress(cc % kMemForms), 32, cc));
          a.cmov(c, x86::r10, MemAt(OperandAddress((cc + 3) % kMemForms), 64, cc + 3));
        },
        FlagCombos(rng));
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffCond, Jcc) {
  DiffHarness h(GetParam());
  Rng rng(43);
  for (unsigned cc = 0; cc < 16; cc++) {
    for (bool near : {false, true}) {
      RunAll(
          h,
          [&](Asm& a) {
            asmjit::Label taken = a.newLabel(), done = a.newLabel();
            if (near)
              a.j(static_cast<x86::CondCode>(cc), taken);
            else
              a.short_().j(static_cast<x86::CondCode>(cc), taken);
            a.mov(x86::eax, 1);
            a.jmp(done);
            a.bind(taken);
            a.mov(x86::eax, 2);
            if (near) a.embed(std::vector<uint8_t>(200, 0x90).data(), 200);
            a.bind(done);
          },
          FlagCombos(rng));
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffCond, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
