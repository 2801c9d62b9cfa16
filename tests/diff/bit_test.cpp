// tests/diff/bit_test.cpp: differential tests of bt/bts/btr/btc (register and immediate offsets,
// register and memory bases) and of bsf/bsr/tzcnt/lzcnt/popcnt.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;
namespace Inst = x86::Inst;

class DiffBit : public testing::TestWithParam<Engine> {
 protected:
  void BitTest(uint32_t id) {
    DiffHarness h(GetParam());
    Rng rng(id);
    for (unsigned w : {16, 32, 64}) {
      std::vector<uint64_t> vals = EdgeValues(w, rng);
      // Register offsets: within the operand, beyond it (masked for registers; for memory they
      // address other bytes, signed), and negative.
      std::vector<uint64_t> offsets = {0, 1, w - 1u, w, w + 3u, 2 * w + 5u, 100, ~0ull, ~0ull - 40};
      uint64_t ea = kBaseValue + 0x100;
      for (int form = 0; form < 4; form++) {  // reg,reg  reg,imm  mem,reg  mem,imm
        std::vector<uint64_t> imms = {0, 1, w - 1u, w, w + 1u, 255};
        for (size_t i = 0; i < (form % 2 ? imms.size() : 1); i++) {
          std::vector<CaseInput> inputs;
          for (size_t k = 0; k < vals.size() * (form % 2 ? 1 : offsets.size()); k++) {
            CaseInput in = RandomInput(rng);
            uint64_t v = vals[k % vals.size()];
            if (form < 2) SetReg(in, 0, w, v);
            // Memory forms: the operand and its neighbours hold edge values.
            else
              for (int j = -2; j < 3; j++)
                in.mem.push_back({ea + 8 * j, vals[(k + j + 2) % vals.size()], 8});
            uint64_t off = offsets[k / vals.size() % offsets.size()];
            if (w == 16)
              off = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(off)));
            if (w == 32)
              off = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(off)));
            SetReg(in, 3, w, off);
            inputs.push_back(in);
          }
          RunAll(
              h,
              [&](Asm& a) {
                asmjit::Operand dst =
                    form < 2 ? asmjit::Operand(Reg(0, w)) : asmjit::Operand(MemAt(ea, w, i));
                if (form % 2)
                  a.emit(id, dst, asmjit::Imm(imms[i]));
                else
                  a.emit(id, dst, Reg(3, w));
              },
              inputs);
        }
      }
    }
    EXPECT_TRUE(h.ok()) << h.Summary();
  }
  void Scan(uint32_t id) {
    DiffHarness h(GetParam());
    Rng rng(id);
    for (unsigned w : {16, 32, 64}) {
      std::vector<uint64_t> vals = EdgeValues(w, rng);
      for (uint64_t extra : {0x100ull, 0x8000ull, 0x40ull}) vals.push_back(extra & WidthMask(w));
      for (bool mem : {false, true}) {
        uint64_t ea = OperandAddress(5);
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
                a.emit(id, Reg(0, w), MemAt(ea, w, 5));
              else
                a.emit(id, Reg(0, w), Reg(3, w));
            },
            inputs);
      }
    }
    EXPECT_TRUE(h.ok()) << h.Summary();
  }
};

TEST_P(DiffBit, Bt) { BitTest(Inst::kIdBt); }
TEST_P(DiffBit, Bts) { BitTest(Inst::kIdBts); }
TEST_P(DiffBit, Btr) { BitTest(Inst::kIdBtr); }
TEST_P(DiffBit, Btc) { BitTest(Inst::kIdBtc); }
TEST_P(DiffBit, Bsf) { Scan(Inst::kIdBsf); }
TEST_P(DiffBit, Bsr) { Scan(Inst::kIdBsr); }
TEST_P(DiffBit, Tzcnt) { Scan(Inst::kIdTzcnt); }
TEST_P(DiffBit, Lzcnt) { Scan(Inst::kIdLzcnt); }
TEST_P(DiffBit, Popcnt) { Scan(Inst::kIdPopcnt); }

INSTANTIATE_TEST_SUITE_P(Engines, DiffBit, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
