// tests/diff/system_test.cpp: the system group (frontend/x86/system.cpp) as user code sees it on
// Linux: privileged instructions raise #GP (SIGSEGV natively), segment registers read the
// selectors a 64-bit process has, and data-segment loads of valid selectors work.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;

class DiffSystem : public testing::TestWithParam<Engine> {};

TEST_P(DiffSystem, PrivilegedInstructionsRaiseGp) {
  DiffHarness h(GetParam());
  Rng rng(7);
  std::vector<CaseInput> inputs{RandomInput(rng)};
  const std::vector<std::function<void(Asm&)>> bodies = {
      [](Asm& a) { a.cli(); },
      [](Asm& a) { a.sti(); },
      [](Asm& a) { a.mov(x86::rax, x86::cr0); },
      [](Asm& a) { a.mov(x86::cr3, x86::rax); },
      [](Asm& a) { a.in(x86::al, x86::dx); },
      [](Asm& a) { a.out(x86::dx, x86::eax); },
      [](Asm& a) { a.rdmsr(); },
      [](Asm& a) { a.wrmsr(); },
      [](Asm& a) { a.invlpg(x86::ptr(x86::r15)); },
      [](Asm& a) { a.lgdt(x86::ptr(x86::r15)); },
      [](Asm& a) { a.lidt(x86::ptr(x86::r15)); },
      [](Asm& a) { a.ltr(x86::ax); },
      [](Asm& a) { a.clts(); },
      [](Asm& a) { a.wbinvd(); },
      [](Asm& a) { a.swapgs(); },
  };
  for (const auto& body : bodies) {
    RunAll(
        h,
        [&](Asm& a) {
          a.mov(x86::ecx, 5);
          body(a);
          a.mov(x86::ecx, 6);  // never reached
        },
        inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

// RSM outside system-management mode is #UD, as on the host.
TEST_P(DiffSystem, RsmOutsideSmmIsUndefined) {
  DiffHarness h(GetParam());
  Rng rng(8);
  RunAll(h,
         [](Asm& a) {
           a.mov(x86::ecx, 5);
           a.rsm();
           a.mov(x86::ecx, 6);  // never reached
         },
         {RandomInput(rng)});
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSystem, SegmentRegisterReadsAndDataLoads) {
  DiffHarness h(GetParam());
  Rng rng(8);
  std::vector<CaseInput> inputs{RandomInput(rng), RandomInput(rng)};
  RunAll(
      h,
      [](Asm& a) {
        a.mov(x86::ax, x86::cs);
        a.mov(x86::bx, x86::ss);
        a.mov(x86::ecx, x86::ds);  // zero-extended into a 32-bit register
        a.mov(x86::dx, x86::es);
        a.mov(x86::edi, 0x2b);  // the user data selector: a valid load
        a.mov(x86::es, x86::di);
        a.mov(x86::r8w, x86::es);
        a.xor_(x86::edi, x86::edi);  // null selectors are fine for DS/ES in 64-bit mode
        a.mov(x86::ds, x86::di);
        a.mov(x86::r9w, x86::ds);
        a.mov(x86::es, x86::di);  // back to null: native segment state outlives the run
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffSystem, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
