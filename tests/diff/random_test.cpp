// tests/diff/random_test.cpp: seeded random sequences of 5-20 integer instructions (ALU, shifts,
// mul/div, bit ops, moves, conditionals, branches, calls, loops, strings), native vs doppel.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

class DiffRandom : public testing::TestWithParam<Engine> {};

TEST_P(DiffRandom, Sequences) {
  DiffHarness h(GetParam());
  Rng rng(20240601);
  for (int i = 0; i < 400; i++) {
    RandomSequence seq = GenerateSequence(rng, 5, 20, 3);
    h.SetCode(seq.code);
    for (const CaseInput& in : seq.inputs) h.Check(in);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffRandom, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
