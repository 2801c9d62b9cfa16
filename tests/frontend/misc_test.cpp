// tests/frontend/misc_test.cpp: nop forms, cpuid, rdtsc, clc/stc/cmc/cld/std, ud2, int3, syscall.
#include "tests/frontend/harness.h"

namespace doppel::test {
namespace {

using namespace asmjit::x86;

TEST(FrontendMisc, NopForms) {
  Harness h;
  h.init.gpr[0] = 0x10;  // nop [rax] must not access memory
  h.ExpectSame(
      [](Assembler& a) {
        for (uint8_t b : {0x90, 0x66, 0x90, 0x0f, 0x1f, 0x00, 0x0f, 0x1f, 0x44, 0x00, 0x00,
                          0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf3, 0x90,
                          0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x18, 0x00, 0x0f, 0x0d, 0x08}) {
          a.db(b);
        }
      },
      ir::kArithFlags | ir::kDF, "nops");
}

TEST(FrontendMisc, FlagInstructions) {
  Harness h;
  for (uint64_t f : {0x2ull, 0x2ull | ir::kArithFlags | ir::kDF}) {
    h.init.rflags = f;
    const uint64_t mask = ir::kArithFlags | ir::kDF;
    h.ExpectSame([](Assembler& a) { a.clc(); }, mask, "clc");
    h.ExpectSame([](Assembler& a) { a.stc(); }, mask, "stc");
    h.ExpectSame([](Assembler& a) { a.cmc(); }, mask, "cmc");
    h.ExpectSame([](Assembler& a) { a.cld(); }, mask, "cld");
    h.ExpectSame([](Assembler& a) { a.std(); }, mask, "std");
  }
}

TEST(FrontendMisc, CpuidAndRdtsc) {
  Harness h;
  h.init.gpr[0] = 0;
  h.init.gpr[1] = 0;
  h.ExpectSame([](Assembler& a) { a.cpuid(); }, ir::kArithFlags, "cpuid leaf 0");
  h.init.gpr[0] = 0xffffffff00000000ull;
  h.init.gpr[2] = 0xffffffffffffffffull;
  h.Assemble([](Assembler& a) { a.rdtsc(); });
  RunState s = h.RunDoppel();
  EXPECT_EQ(s.gpr[0] >> 32, 0u);
  EXPECT_EQ(s.gpr[2] >> 32, 0u);
  EXPECT_NE(s.gpr[0] | s.gpr[2], 0u);
}

TEST(FrontendMisc, ExceptionsAndExits) {
  Harness h;
  h.Assemble([](Assembler& a) {
    a.mov(eax, 1);
    a.ud2();
  });
  RunState s = h.RunDoppel();
  EXPECT_TRUE(s.exception);
  EXPECT_EQ(s.vector, ir::kInvalidOpcode);
  EXPECT_EQ(s.rip, h.code_addr() + 5);  // a fault: RIP at the ud2
  EXPECT_EQ(s.gpr[0], 1u);

  h.Assemble([](Assembler& a) { a.int3(); });
  s = h.RunDoppel();
  EXPECT_TRUE(s.exception);
  EXPECT_EQ(s.vector, ir::kBreakpoint);
  EXPECT_EQ(s.rip, h.code_addr() + 1);  // a trap: RIP after the int3

  h.Assemble([](Assembler& a) { a.syscall(); });
  s = h.RunDoppel();
  EXPECT_FALSE(s.exception);
  EXPECT_EQ(s.rip, h.code_addr() + 2);
}

}  // namespace
}  // namespace doppel::test
