// tests/diff/page_cross_test.cpp: stores that cross from a writable page into an unmapped one
// fault (#PF) without writing their first part, as the host CPU does: integer, SSE, x87 and
// environment stores, native vs each doppel engine.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;

// rbx = the end of the data area; the page after it is never mapped.
constexpr uint64_t kEnd = kDataAddr + kDataSize;

class DiffPageCross : public testing::TestWithParam<Engine> {
 protected:
  void Check(const std::function<void(Asm&)>& store) {
    Rng rng(7);
    std::vector<CaseInput> inputs;
    for (int i = 0; i < 4; ++i) {
      CaseInput in = RandomInput(rng);
      for (unsigned q = 1; q <= 16; ++q) in.mem.push_back({kEnd - 8 * q, rng.Next(), 8});
      inputs.push_back(in);
    }
    RunAll(
        h_,
        [&](Asm& a) {
          a.mov(x86::ebx, static_cast<uint32_t>(kEnd));
          a.fldpi();
          a.fld1();
          store(a);
        },
        inputs);
  }
  void TearDown() override { EXPECT_TRUE(h_.ok()) << h_.Summary(); }
  DiffHarness h_{GetParam()};
};

TEST_P(DiffPageCross, IntegerStores) {
  Check([](Asm& a) { a.mov(x86::qword_ptr(x86::rbx, -4), x86::rcx); });
  Check([](Asm& a) { a.mov(x86::dword_ptr(x86::rbx, -2), x86::ecx); });
  Check([](Asm& a) { a.add(x86::qword_ptr(x86::rbx, -6), x86::rcx); });
}

TEST_P(DiffPageCross, VectorStores) {
  Check([](Asm& a) { a.movups(x86::ptr(x86::rbx, -8), x86::xmm1); });
  Check([](Asm& a) { a.movdqu(x86::ptr(x86::rbx, -1), x86::xmm2); });
  Check([](Asm& a) { a.movq(x86::ptr(x86::rbx, -4), x86::xmm3); });
  Check([](Asm& a) { a.movhps(x86::ptr(x86::rbx, -3), x86::xmm3); });
}

TEST_P(DiffPageCross, X87Stores) {
  Check([](Asm& a) { a.fstp(x86::tword_ptr(x86::rbx, -6)); });
  Check([](Asm& a) { a.fstp(x86::tword_ptr(x86::rbx, -9)); });
  Check([](Asm& a) { a.fst(x86::qword_ptr(x86::rbx, -4)); });
  Check([](Asm& a) { a.fistp(x86::qword_ptr(x86::rbx, -2)); });
  Check([](Asm& a) { a.fbstp(x86::tword_ptr(x86::rbx, -8)); });
}

TEST_P(DiffPageCross, EnvironmentStores) {
  Check([](Asm& a) { a.fnstenv(x86::ptr(x86::rbx, -20)); });
  Check([](Asm& a) { a.fnsave(x86::ptr(x86::rbx, -64)); });
  Check([](Asm& a) { a.fxsave(x86::ptr(x86::rbx, -0x100)); });
  Check([](Asm& a) { a.fxsave64(x86::ptr(x86::rbx, -0x20)); });
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffPageCross, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
