// tests/diff/mode32_cases.h: the fixture of the 32-bit differential tests: nasm-assembled 32-bit
// sequences run natively in compatibility mode and in doppel's kMode32, with random inputs whose
// EBP points into the data region (the base register of the sequences' memory operands).
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"
#include "tests/support/nasm.h"

namespace doppel::test {

// EBP is the data base of the 32-bit sequences; ESP starts at kStackInit as in 64-bit runs.
constexpr unsigned kBase32 = 5;

inline CaseInput Input32(Rng& rng) {
  CaseInput in = RandomInput(rng);
  for (unsigned i = 0; i < 8; i++) in.regs.gpr[i] &= 0xffffffffu;
  in.regs.gpr[kBase32] = kBaseValue;
  in.regs.gpr[4] = kStackInit;
  return in;
}

class Mode32Fixture : public testing::TestWithParam<Engine> {
 protected:
  Mode32Fixture() : h(GetParam(), 32), rng(32) {}
  void TearDown() override { EXPECT_TRUE(h.ok()) << h.Summary(); }

  std::vector<CaseInput> Inputs(unsigned n) {
    std::vector<CaseInput> v;
    for (unsigned i = 0; i < n; i++) v.push_back(Input32(rng));
    return v;
  }
  // Assembles `source` as 32-bit code at kCodeAddr and checks every input against it.
  void Run(const std::string& source, const std::vector<CaseInput>& inputs) {
    h.SetCode(Assemble(source, kCodeAddr, 32));
    for (const CaseInput& in : inputs) h.Check(in);
  }
  // The same with the sequence built by asmjit in 32-bit mode.
  void RunAsm(const std::function<void(Asm&)>& body, const std::vector<CaseInput>& inputs) {
    h.SetCode(AssembleAt(kCodeAddr, body, 32));
    for (const CaseInput& in : inputs) h.Check(in);
  }

  DiffHarness h;
  Rng rng;
};

}  // namespace doppel::test
