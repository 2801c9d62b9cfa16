// tests/frontend/translators_machine_test.cpp: the translators of this group through the whole
// runtime (doppel::Machine) on every engine, so the JIT's code for their IR is exercised too;
// compare mode diffs the interpreter and the JIT after every block.
#include <gtest/gtest.h>

#include "runtime/machine.h"
#include "tests/support/engines.h"
#include "tests/support/nasm.h"

namespace doppel {
namespace {

constexpr uint64_t kCode = 0x100000;
constexpr uint64_t kData = 0x200000;
constexpr uint64_t kStackTop = 0x300000;

class FrontendEngines : public testing::TestWithParam<Engine> {
 protected:
  std::unique_ptr<Machine> Make(const std::string& src) {
    MachineConfig cfg;
    cfg.engine = GetParam();
    auto m = std::make_unique<Machine>(cfg);
    std::string err;
    EXPECT_TRUE(m->Map(kCode, 0x10000, kProtRWX, &err)) << err;
    EXPECT_TRUE(m->Map(kData, 0x10000, kProtRead | kProtWrite, &err)) << err;
    EXPECT_TRUE(m->Map(kStackTop - 0x10000, 0x10000, kProtRead | kProtWrite, &err)) << err;
    std::vector<uint8_t> code = test::Assemble(src, kCode);
    m->WriteMemory(kCode, code.data(), code.size());
    m->cpu().rip = kCode;
    m->cpu().gpr[RSP] = kStackTop;
    return m;
  }
};

TEST_P(FrontendEngines, DivideByZeroRaisesDivideError) {
  auto m = Make("mov eax, 7\nxor ecx, ecx\ndiv ecx\nhlt");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kException) << r.divergence;
  EXPECT_EQ(r.vector, ir::kDivideError);
  EXPECT_EQ(m->cpu().rip, kCode + 7);  // at the div
  EXPECT_EQ(m->cpu().gpr[RAX], 7u);
}

TEST_P(FrontendEngines, StringLoopsAndShifts) {
  auto m = Make(R"(
    mov rdi, 0x200000
    mov ecx, 100
    mov al, 0x5a
    rep stosb               ; 100 bytes of 0x5a
    mov rsi, 0x200000
    mov rdi, 0x200100
    mov ecx, 50
    mov r8, 1
    rep movsw               ; copy them
    mov byte [0x200100 + 60], 0
    mov rsi, 0x200000
    mov rdi, 0x200100
    mov ecx, 100
    repe cmpsb              ; stops after the mismatch at 60
    mov r9, rcx
    mov rdi, 0x200000
    mov ecx, 200
    mov al, 0
    repne scasb             ; finds the first 0 at 100
    mov r10, rdi
    mov ecx, 37
    mov rax, 0x8000000080008081
    rol rax, cl
    mov rbx, rax
    shr ebx, cl
    rcr rbx, 3
    shld rax, rbx, cl
    bt qword [0x200000], rcx
    setc dl
    bts dword [0x200000], 65
    imul rax, rbx, 12345
    mul rbx
    cmovc r11, rax
    mov ecx, 10
    xor r12d, r12d
  again:
    add r12, rcx
    loop again
    mov rbp, 0x2ff000
    enter 32, 2
    push rax
    leave
    bsr r13, r12
    popcnt r14, r12
    hlt)");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kHalt)
      << r.divergence << " vector " << r.vector << " at " << std::hex << m->cpu().rip;
  EXPECT_EQ(m->cpu().gpr[R9], 39u);  // 100 - 61 compared
  EXPECT_EQ(m->cpu().gpr[R10], kData + 101);
  EXPECT_EQ(m->cpu().gpr[R12], 55u);
  EXPECT_EQ(m->cpu().gpr[R13], 5u);
  EXPECT_EQ(m->cpu().gpr[R14], 5u);  // popcount(55) = 5
  EXPECT_EQ(m->cpu().gpr[RSP], kStackTop);
  uint8_t b[4];
  m->ReadMemory(kData + 0x100, b, 4);
  EXPECT_EQ(b[0], 0x5a);
  EXPECT_EQ(b[3], 0x5a);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, FrontendEngines, testing::ValuesIn(test::AllEngines()),
                         test::EngineTestName);

}  // namespace
}  // namespace doppel
