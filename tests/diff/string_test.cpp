// tests/diff/string_test.cpp: differential tests of movs/stos/lods/cmps/scas in b/w/d/q sizes,
// without and with rep/repe/repne, with rcx 0, 1 and small counts and DF clear or set.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;

class DiffString : public testing::TestWithParam<Engine> {
 protected:
  void Op(uint8_t opcode) {
    DiffHarness h(GetParam());
    Rng rng(opcode);
    bool compares = opcode == 0xA6 || opcode == 0xAE;
    for (unsigned size = 0; size < 4; size++) {                    // b w d q
      for (unsigned rep = 0; rep < (compares ? 3u : 2u); rep++) {  // none, rep(e), repne
        for (bool down : {false, true}) {
          std::vector<CaseInput> inputs;
          for (uint64_t count : {0ull, 1ull, 2ull, 7ull}) {
            for (int variant = 0; variant < 2; variant++) {
              CaseInput in = RandomInput(rng);
              in.regs.gpr[1] = count;
              in.regs.gpr[6] = kBaseValue + 0x200 + variant * 3;  // rsi
              in.regs.gpr[7] = kBaseValue + 0x400;                // rdi
              in.regs.gpr[0] = variant ? 0 : in.regs.gpr[0];
              // Make the compared strings equal for a while so repe/repne stop at different points.
              for (int i = 0; i < 4; i++) {
                uint64_t v = 0x0101010101010101ull * (i + 1);
                in.mem.push_back({in.regs.gpr[6] + 8 * i - (down ? 32 : 0), v, 8});
                in.mem.push_back({in.regs.gpr[7] + 8 * i - (down ? 32 : 0), i < 2 ? v : ~v, 8});
              }
              inputs.push_back(in);
            }
          }
          RunAll(
              h,
              [&](Asm& a) {
                if (down) a.std();
                if (rep == 1) a.db(0xF3);
                if (rep == 2) a.db(0xF2);
                if (size == 1) a.db(0x66);
                if (size == 3) a.db(0x48);
                a.db(static_cast<uint8_t>(opcode + (size ? 1 : 0)));
              },
              inputs);
        }
      }
    }
    EXPECT_TRUE(h.ok()) << h.Summary();
  }
};

TEST_P(DiffString, Movs) { Op(0xA4); }
TEST_P(DiffString, Stos) { Op(0xAA); }
TEST_P(DiffString, Lods) { Op(0xAC); }
TEST_P(DiffString, Cmps) { Op(0xA6); }
TEST_P(DiffString, Scas) { Op(0xAE); }

INSTANTIATE_TEST_SUITE_P(Engines, DiffString, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
