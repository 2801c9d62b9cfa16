// tests/diff/shift_test.cpp: differential tests of shifts and rotates (shl sal shr sar rol ror rcl
// rcr shld shrd) with count 1, immediate and CL counts around the operand width.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace Inst = asmjit::x86::Inst;

class DiffShift : public testing::TestWithParam<Engine> {
 protected:
  void Shift(uint32_t id) {
    DiffHarness h(GetParam());
    Rng rng(id);
    for (unsigned w : {8, 16, 32, 64}) CheckShift(h, id, w, rng);
    EXPECT_TRUE(h.ok()) << h.Summary();
  }
  void DoubleShift(uint32_t id) {
    DiffHarness h(GetParam());
    Rng rng(id);
    for (unsigned w : {16, 32, 64}) CheckDoubleShift(h, id, w, rng);
    EXPECT_TRUE(h.ok()) << h.Summary();
  }
};

TEST_P(DiffShift, Shl) { Shift(Inst::kIdShl); }
TEST_P(DiffShift, Sal) { Shift(Inst::kIdSal); }
TEST_P(DiffShift, Shr) { Shift(Inst::kIdShr); }
TEST_P(DiffShift, Sar) { Shift(Inst::kIdSar); }
TEST_P(DiffShift, Rol) { Shift(Inst::kIdRol); }
TEST_P(DiffShift, Ror) { Shift(Inst::kIdRor); }
TEST_P(DiffShift, Rcl) { Shift(Inst::kIdRcl); }
TEST_P(DiffShift, Rcr) { Shift(Inst::kIdRcr); }
TEST_P(DiffShift, Shld) { DoubleShift(Inst::kIdShld); }
TEST_P(DiffShift, Shrd) { DoubleShift(Inst::kIdShrd); }

INSTANTIATE_TEST_SUITE_P(Engines, DiffShift, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
