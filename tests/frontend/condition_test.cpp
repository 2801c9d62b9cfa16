// tests/frontend/condition_test.cpp: setcc and cmovcc for all 16 conditions against the host CPU.
#include "tests/frontend/harness.h"

namespace doppel::test {
namespace {

using namespace asmjit::x86;

TEST(FrontendCondition, SetccAndCmovccAllConditions) {
  Harness h;
  h.init.gpr[6] = h.data_addr() + 0x40;
  // Every combination of CF PF ZF SF OF over a few images.
  const uint64_t images[] = {
      0,       ir::kCF,           ir::kZF,           ir::kSF,           ir::kOF,
      ir::kPF, ir::kSF | ir::kOF, ir::kCF | ir::kZF, ir::kZF | ir::kSF, ir::kArithFlags};
  for (unsigned cc = 0; cc < 16; ++cc) {
    auto cond = static_cast<CondCode>(cc);
    for (uint64_t f : images) {
      h.init.rflags = 0x2 | f;
      h.init.gpr[0] = 0xffffffffffffffffull;
      h.init.gpr[3] = 0x1111222233334444ull;
      std::string what = "cc " + std::to_string(cc) + " flags " + std::to_string(f);
      h.ExpectSame([&](Assembler& a) { a.set(cond, al); }, ir::kArithFlags, what + " setcc al");
      h.ExpectSame([&](Assembler& a) { a.set(cond, ah); }, ir::kArithFlags, what + " setcc ah");
      h.ExpectSame([&](Assembler& a) { a.set(cond, byte_ptr(rsi)); }, ir::kArithFlags,
                   what + " mem");
      h.ExpectSame([&](Assembler& a) { a.cmov(cond, ax, bx); }, ir::kArithFlags, what + " cmov16");
      // The 32-bit form zero-extends even when the condition is false.
      h.ExpectSame([&](Assembler& a) { a.cmov(cond, eax, ebx); }, ir::kArithFlags,
                   what + " cmov32");
      h.ExpectSame([&](Assembler& a) { a.cmov(cond, rax, rbx); }, ir::kArithFlags,
                   what + " cmov64");
      h.ExpectSame([&](Assembler& a) { a.cmov(cond, eax, dword_ptr(rsi)); }, ir::kArithFlags,
                   what + " cmov mem");
    }
  }
}

// A memory source is read even when the condition is false, so it faults.
TEST(FrontendCondition, CmovReadsMemoryAlways) {
  Harness h;
  h.init.gpr[6] = 0x40;  // unmapped
  h.init.rflags = 0x2;   // ZF = 0: cmovz is false
  h.Assemble([](Assembler& a) { a.cmovz(eax, dword_ptr(rsi)); });
  RunState s = h.RunDoppel();
  EXPECT_TRUE(s.exception);
  EXPECT_EQ(s.vector, ir::kPageFault);
}

}  // namespace
}  // namespace doppel::test
