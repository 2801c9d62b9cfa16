// tests/diff/harness_test.cpp: self-tests of the differential harness: the native runner gives the
// architecturally expected results and faults, and deliberately wrong results are reported.
#include <gtest/gtest.h>

#include "tests/support/diff_harness.h"
#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;

CaseInput Input(uint64_t rax, uint64_t rbx, uint64_t flags = 0) {
  Rng rng(1);
  CaseInput in = RandomInput(rng);
  in.regs.gpr[RAX] = rax;
  in.regs.gpr[RBX] = rbx;
  in.regs.rflags = flags;
  return in;
}

TEST(DiffNative, AddGivesTheArchitecturalResultAndFlags) {
  NativeRunner& n = NativeRunner::Get();
  n.SetCode(Build([](Asm& a) { a.add(x86::eax, x86::ebx); }));
  std::vector<uint8_t> data = DiffHarness::InitialData();
  NativeResult r = n.Run(Input(0xffffffff'7fffffff, 1).regs, data.data());
  ASSERT_FALSE(r.faulted);
  EXPECT_EQ(r.regs.gpr[RAX], 0x80000000u);
  EXPECT_EQ(r.regs.rflags & kComparedFlags, 0x800u | 0x80u | 0x10u | 0x4u);  // OF SF AF PF
  EXPECT_EQ(r.regs.gpr[RSP], kStackInit);
  EXPECT_EQ(r.regs.rip, kCodeAddr + 2);
}

TEST(DiffNative, FlagsAndDirectionFlagRoundTrip) {
  NativeRunner& n = NativeRunner::Get();
  n.SetCode(Build([](Asm& a) { a.nop(); }));
  std::vector<uint8_t> data = DiffHarness::InitialData();
  NativeResult r = n.Run(Input(0, 0, kComparedFlags).regs, data.data());
  EXPECT_EQ(r.regs.rflags & kComparedFlags, kComparedFlags);
  n.SetCode(Build([](Asm& a) { a.std(); }));
  r = n.Run(Input(0, 0, 0).regs, data.data());
  EXPECT_EQ(r.regs.rflags & kComparedFlags, kFlagDF);
}

TEST(DiffNative, StackAndMemoryWritesLandInTheDataRegion) {
  NativeRunner& n = NativeRunner::Get();
  n.SetCode(Build([](Asm& a) {
    a.push(x86::rax);
    a.mov(x86::qword_ptr(x86::r15, 8), x86::rbx);
  }));
  std::vector<uint8_t> data = DiffHarness::InitialData();
  n.Run(Input(0x1122334455667788, 0xabcdef).regs, data.data());
  uint64_t pushed, stored;
  memcpy(&pushed, &data[kStackInit - 8 - kDataAddr], 8);
  memcpy(&stored, &data[kBaseValue + 8 - kDataAddr], 8);
  EXPECT_EQ(pushed, 0x1122334455667788u);
  EXPECT_EQ(stored, 0xabcdefu);
}

TEST(DiffNative, FaultsAreCaughtWithTheFaultingState) {
  NativeRunner& n = NativeRunner::Get();
  std::vector<uint8_t> data = DiffHarness::InitialData();
  n.SetCode(Build([](Asm& a) {
    a.mov(x86::ecx, 7);
    a.div(x86::ebx);
  }));
  CaseInput in = Input(100, 0);
  NativeResult r = n.Run(in.regs, data.data());
  ASSERT_TRUE(r.faulted);
  EXPECT_EQ(r.vector, 0u);
  EXPECT_EQ(r.regs.rip, kCodeAddr + 5);
  EXPECT_EQ(r.regs.gpr[RCX], 7u);
  EXPECT_EQ(r.regs.gpr[RAX], 100u);

  n.SetCode(Build([](Asm& a) { a.mov(x86::eax, x86::dword_ptr_abs(kUnmappedAddr + 16)); }));
  r = n.Run(in.regs, data.data());
  ASSERT_TRUE(r.faulted);
  EXPECT_EQ(r.vector, 14u);
  EXPECT_EQ(r.fault_addr, kUnmappedAddr + 16);
  EXPECT_EQ(r.regs.rip, kCodeAddr);

  n.SetCode(Build([](Asm& a) { a.ud2(); }));
  r = n.Run(in.regs, data.data());
  ASSERT_TRUE(r.faulted);
  EXPECT_EQ(r.vector, 6u);

  // The runner is still usable after a fault.
  n.SetCode(Build([](Asm& a) { a.add(x86::eax, x86::ebx); }));
  r = n.Run(Input(2, 3).regs, data.data());
  ASSERT_FALSE(r.faulted);
  EXPECT_EQ(r.regs.gpr[RAX], 5u);
}

TEST(DiffAnalysis, UndefinedFlagsFollowTheSequence) {
  // imul leaves SF ZF AF PF undefined; a following add defines them all again.
  SequenceInfo info = AnalyzeSequence(Build([](Asm& a) { a.imul(x86::eax, x86::ebx); }), kCodeAddr);
  EXPECT_EQ(info.UndefinedAt(kCodeAddr + 3), 0xD4u);
  info = AnalyzeSequence(Build([](Asm& a) {
                           a.imul(x86::eax, x86::ebx);
                           a.add(x86::eax, 1);
                         }),
                         kCodeAddr);
  EXPECT_EQ(info.UndefinedAt(kCodeAddr + 6), 0u);
  // A shift by CL may leave flags alone, so it does not make them defined again.
  info = AnalyzeSequence(Build([](Asm& a) {
                           a.bsf(x86::eax, x86::ebx);
                           a.shl(x86::eax, x86::cl);
                         }),
                         kCodeAddr);
  EXPECT_EQ(info.UndefinedAt(kCodeAddr + 5) & 0x1u, 0x1u);
  // Reading an undefined flag is reported as a generator error.
  info = AnalyzeSequence(Build([](Asm& a) {
                           a.bsf(x86::eax, x86::ebx);
                           a.adc(x86::eax, 0);
                         }),
                         kCodeAddr);
  EXPECT_NE(info.error, "");
}

class DiffHarnessSelfTest : public testing::TestWithParam<Engine> {};

TEST_P(DiffHarnessSelfTest, AgreesOnSimpleCode) {
  DiffHarness h(GetParam());
  Rng rng(7);
  for (auto body : std::vector<std::function<void(Asm&)>>{
           [](Asm& a) { a.add(x86::eax, x86::ebx); },
           [](Asm& a) { a.sub(x86::rax, x86::rbx); },
           [](Asm& a) { a.mov(x86::rcx, x86::rax); },
           [](Asm& a) { a.mov(x86::qword_ptr(x86::r15, 16), x86::rax); },
       }) {
    h.SetCode(Build(body));
    for (int i = 0; i < 20; i++) {
      std::string report = h.RunCase(RandomInput(rng));
      EXPECT_EQ(report, "");
    }
  }
}

TEST_P(DiffHarnessSelfTest, ReportsACorruptedNativeResult) {
  DiffHarness h(GetParam());
  Rng rng(8);
  h.SetCode(Build([](Asm& a) {
    a.add(x86::eax, x86::ebx);
    a.mov(x86::qword_ptr(x86::r15, 16), x86::rax);
  }));
  CaseInput in = RandomInput(rng);
  ASSERT_EQ(h.RunCase(in), "");
  h.corrupt_native = [](NativeResult& r, std::vector<uint8_t>&) { r.regs.gpr[RDX] ^= 4; };
  std::string report = h.RunCase(in);
  EXPECT_NE(report.find("rdx"), std::string::npos) << report;
  EXPECT_NE(report.find("add eax, ebx"), std::string::npos) << report;
  h.corrupt_native = [](NativeResult& r, std::vector<uint8_t>&) { r.regs.rflags ^= 0x1; };
  report = h.RunCase(in);
  EXPECT_NE(report.find("differ in CF"), std::string::npos) << report;
  h.corrupt_native = [](NativeResult&, std::vector<uint8_t>& d) {
    d[kBaseValue + 17 - kDataAddr] ^= 1;
  };
  report = h.RunCase(in);
  EXPECT_NE(report.find("mem[0x10001011]"), std::string::npos) << report;
  h.corrupt_native = [](NativeResult& r, std::vector<uint8_t>&) {
    r.faulted = true;
    r.vector = 0;
  };
  report = h.RunCase(in);
  EXPECT_NE(report.find("end: native"), std::string::npos) << report;
}

TEST_P(DiffHarnessSelfTest, IgnoresUndefinedFlagsOnly) {
  DiffHarness h(GetParam());
  Rng rng(9);
  h.SetCode(Build([](Asm& a) { a.imul(x86::eax, x86::ebx); }));
  CaseInput in = RandomInput(rng);
  // AF is undefined after imul: a different AF is not a mismatch, a different CF is.
  h.corrupt_native = [](NativeResult& r, std::vector<uint8_t>&) { r.regs.rflags ^= 0x10; };
  EXPECT_EQ(h.RunCase(in), "");
  h.corrupt_native = [](NativeResult& r, std::vector<uint8_t>&) { r.regs.rflags ^= 0x1; };
  EXPECT_NE(h.RunCase(in), "");
}

TEST_P(DiffHarnessSelfTest, ComparesFaults) {
  DiffHarness h(GetParam());
  Rng rng(10);
  CaseInput in = RandomInput(rng);
  in.regs.gpr[RBX] = 0;
  h.SetCode(Build([](Asm& a) {
    a.add(x86::ecx, 1);
    a.div(x86::ebx);
  }));
  EXPECT_EQ(h.RunCase(in), "");
  h.SetCode(Build([](Asm& a) {
    a.mov(x86::rax, kUnmappedAddr + 8);
    a.mov(x86::qword_ptr(x86::rax), x86::rcx);
  }));
  EXPECT_EQ(h.RunCase(in), "");
  h.SetCode(Build([](Asm& a) {
    a.add(x86::ecx, 1);
    a.ud2();
  }));
  EXPECT_EQ(h.RunCase(in), "");
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffHarnessSelfTest, testing::ValuesIn(AllEngines()),
                         EngineTestName);

}  // namespace
}  // namespace doppel::test
