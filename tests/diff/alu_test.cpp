// tests/diff/alu_test.cpp: differential tests of the integer ALU group (add adc sub sbb cmp and or
// xor test inc dec neg not) in every width and operand form, native vs each doppel engine.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;
namespace Inst = x86::Inst;

class DiffAlu : public testing::TestWithParam<Engine> {
 protected:
  void Binary(uint32_t id, unsigned forms = kAllForms) {
    DiffHarness h(GetParam());
    Rng rng(id);
    for (unsigned w : {8, 16, 32, 64}) CheckBinary(h, id, w, rng, forms);
    EXPECT_TRUE(h.ok()) << h.Summary();
  }
  void Unary(uint32_t id) {
    DiffHarness h(GetParam());
    Rng rng(id);
    for (unsigned w : {8, 16, 32, 64}) CheckUnary(h, id, w, rng);
    EXPECT_TRUE(h.ok()) << h.Summary();
  }
};

TEST_P(DiffAlu, AddAllWidths) { Binary(Inst::kIdAdd); }
TEST_P(DiffAlu, Adc) { Binary(Inst::kIdAdc); }
TEST_P(DiffAlu, Sub) { Binary(Inst::kIdSub); }
TEST_P(DiffAlu, Sbb) { Binary(Inst::kIdSbb); }
TEST_P(DiffAlu, Cmp) { Binary(Inst::kIdCmp); }
TEST_P(DiffAlu, And) { Binary(Inst::kIdAnd); }
TEST_P(DiffAlu, Or) { Binary(Inst::kIdOr); }
TEST_P(DiffAlu, Xor) { Binary(Inst::kIdXor); }
TEST_P(DiffAlu, Test) { Binary(Inst::kIdTest, kFormRR | kFormRI | kFormMR | kFormMI); }
TEST_P(DiffAlu, Inc) { Unary(Inst::kIdInc); }
TEST_P(DiffAlu, Dec) { Unary(Inst::kIdDec); }
TEST_P(DiffAlu, Neg) { Unary(Inst::kIdNeg); }
TEST_P(DiffAlu, Not) { Unary(Inst::kIdNot); }

TEST_P(DiffAlu, AccumulatorShortForms) {
  // add/sub/... al/ax/eax/rax, imm have their own opcodes (04, 05, 2C, ...).
  DiffHarness h(GetParam());
  Rng rng(77);
  for (uint32_t id : {Inst::kIdAdd, Inst::kIdOr, Inst::kIdAdc, Inst::kIdSbb, Inst::kIdAnd,
                      Inst::kIdSub, Inst::kIdXor, Inst::kIdCmp, Inst::kIdTest}) {
    for (unsigned w : {8, 16, 32, 64}) {
      std::vector<CaseInput> inputs;
      for (uint64_t v : EdgeValues(w, rng)) {
        CaseInput in = RandomInput(rng);
        SetReg(in, 0, w, v);
        inputs.push_back(in);
      }
      int64_t imm = w == 8 ? 0x5a : 0x12345a;
      if (w == 16) imm = 0x7ffa;
      RunAll(
          h,
          [&](Asm& a) {
            a.emit(id, Reg(0, w), asmjit::Imm(imm));
            a.emit(id, Reg(0, w), asmjit::Imm(-1));
          },
          inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffAlu, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
