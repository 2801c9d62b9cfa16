// tests/diff/muldiv_test.cpp: differential tests of mul, imul (1, 2 and 3 operands), div and idiv,
// including divide errors (#DE on zero divisors and quotient overflow) that fault natively too.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;
namespace Inst = x86::Inst;

class DiffMulDiv : public testing::TestWithParam<Engine> {
 protected:
  // One-operand forms: rdx:rax (or ax) against a register or memory source.
  void OneOperand(uint32_t id, bool divide) {
    DiffHarness h(GetParam());
    Rng rng(id);
    for (unsigned w : {8, 16, 32, 64}) {
      std::vector<uint64_t> vals = EdgeValues(w, rng);
      const size_t n = vals.size();
      for (unsigned form = 0; form < 3; form++) {
        uint64_t ea = OperandAddress(form + 1);
        std::vector<CaseInput> inputs;
        for (size_t k = 0; k < n * n; k++) {
          CaseInput in = RandomInput(rng);
          SetReg(in, 0, w, vals[k / n]);  // rax (dividend low / multiplicand)
          if (divide) {
            // High half: zero, sign extension, something small, or the raw edge value.
            uint64_t hi[] = {0, (vals[k / n] >> (w - 1)) & 1 ? ~0ull : 0, 1, vals[(k * 5) % n]};
            uint64_t high = hi[k % 4];
            if (w == 8)
              SetReg(in, 0, 8, high, true);
            else
              SetReg(in, 2, w, high);
          }
          uint64_t src = vals[k % n];
          if (form == 0)
            SetReg(in, w == 8 ? 3 : 9, w, src, w == 8 && k % 2);
          else
            PatchOperand(in, ea, w, src);
          inputs.push_back(in);
        }
        // 8-bit register form alternates between BL and BH: two codes.
        for (int hi = 0; hi < (form == 0 && w == 8 ? 2 : 1); hi++) {
          std::vector<CaseInput> part;
          for (size_t k = 0; k < inputs.size(); k++) {
            if (form == 0 && w == 8 && static_cast<int>(k % 2) != hi) continue;
            part.push_back(inputs[k]);
          }
          RunAll(
              h,
              [&](Asm& a) {
                if (form == 0)
                  a.emit(id, Reg(w == 8 ? 3 : 9, w, hi == 1));
                else
                  a.emit(id, MemAt(ea, w, form * 2));
              },
              part);
        }
      }
    }
    EXPECT_TRUE(h.ok()) << h.Summary();
  }
  static void PatchOperand(CaseInput& in, uint64_t ea, unsigned w, uint64_t v) {
    in.mem.push_back({ea, v & WidthMask(w), w / 8});
  }
};

TEST_P(DiffMulDiv, Mul) { OneOperand(Inst::kIdMul, false); }
TEST_P(DiffMulDiv, ImulOneOperand) { OneOperand(Inst::kIdImul, false); }
TEST_P(DiffMulDiv, Div) { OneOperand(Inst::kIdDiv, true); }
TEST_P(DiffMulDiv, Idiv) { OneOperand(Inst::kIdIdiv, true); }

TEST_P(DiffMulDiv, ImulTwoOperand) {
  DiffHarness h(GetParam());
  Rng rng(31);
  for (unsigned w : {16, 32, 64}) CheckBinary(h, Inst::kIdImul, w, rng, kFormRR | kFormRM);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMulDiv, ImulThreeOperand) {
  DiffHarness h(GetParam());
  Rng rng(32);
  for (unsigned w : {16, 32, 64}) {
    std::vector<uint64_t> vals = EdgeValues(w, rng);
    for (int64_t imm :
         {0ll, 1ll, -1ll, 2ll, 0x7fll, -0x80ll, 0x7fffll, 0x12345678ll, -0x80000000ll}) {
      if (w == 16 && (imm > 0x7fff || imm < -0x8000)) continue;
      for (bool mem : {false, true}) {
        uint64_t ea = OperandAddress(3);
        std::vector<CaseInput> inputs;
        for (uint64_t v : vals) {
          CaseInput in = RandomInput(rng);
          if (mem)
            in.mem.push_back({ea, v & WidthMask(w), w / 8});
          else
            SetReg(in, 3, w, v);
          inputs.push_back(in);
        }
        RunAll(
            h,
            [&](Asm& a) {
              if (mem)
                a.imul(Reg(0, w), MemAt(ea, w, 3), imm);
              else
                a.imul(Reg(0, w), Reg(3, w), imm);
            },
            inputs);
      }
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMulDiv, DivideErrors) {
  DiffHarness h(GetParam());
  Rng rng(33);
  for (unsigned w : {8, 16, 32, 64}) {
    for (uint32_t id : {Inst::kIdDiv, Inst::kIdIdiv}) {
      std::vector<CaseInput> inputs;
      uint64_t smin = 1ull << (w - 1);
      for (int k = 0; k < 4; k++) {
        CaseInput in = RandomInput(rng);
        SetReg(in, 3, w, k == 0 ? 0 : (k == 1 ? 1 : WidthMask(w)));  // 0, 1, -1
        uint64_t hi = k == 3 ? ~0ull : (k == 0 ? 0 : 5);
        SetReg(in, 0, w, k == 3 ? smin : 7);
        if (w == 8)
          SetReg(in, 0, 8, hi, true);
        else
          SetReg(in, 2, w, hi);
        inputs.push_back(in);
      }
      RunAll(
          h,
          [&](Asm& a) {
            a.add(x86::esi, 1);  // state before the faulting instruction must be kept
            a.emit(id, Reg(3, w));
            a.add(x86::edi, 1);
          },
          inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffMulDiv, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
