// tests/runtime/machine_test.cpp: the dispatcher: running code, stop conditions, faults, chaining,
// the jump cache, invalidation of self-modified code and the bounded code cache, on every engine.
#include "runtime/machine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/support/engines.h"
#include "tests/support/nasm.h"

namespace doppel {
namespace {

constexpr uint64_t kCode = 0x100000;
constexpr uint64_t kData = 0x200000;
constexpr uint64_t kStackTop = 0x300000;

class MachineTest : public testing::TestWithParam<Engine> {
 protected:
  std::unique_ptr<Machine> Make(const std::string& src, MachineConfig cfg = {}) {
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

TEST_P(MachineTest, RunsStraightLineCodeToHalt) {
  auto m = Make("mov rax, 40\nadd rax, 2\nhlt");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kHalt) << r.divergence;
  EXPECT_EQ(m->cpu().gpr[RAX], 42u);
}

TEST_P(MachineTest, LoopsCallsAndReturns) {
  auto m = Make(R"(
    xor eax, eax
    mov ecx, 1000
  again:
    call addone
    sub ecx, 1
    jnz again
    hlt
  addone:
    add rax, 3
    ret)");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kHalt) << r.divergence;
  EXPECT_EQ(m->cpu().gpr[RAX], 3000u);
  EXPECT_EQ(m->cpu().gpr[RSP], kStackTop);
  if (GetParam() == Engine::kJit) {
    EXPECT_GT(m->stats().chained_exits, 0u);
    EXPECT_GT(m->stats().jump_cache_fills, 0u);
    // Chained and jump-cache execution returns to the dispatcher far less than once per block.
    EXPECT_LT(m->stats().dispatcher_returns, 200u);
  }
}

TEST_P(MachineTest, StopsAtStopPcEvenInsideAChainedLoop) {
  auto m = Make(R"(
    xor eax, eax
  top:
    add eax, 1
  mid:
    cmp eax, 100
    jne top
    hlt)");
  // mid is at offset 4 (xor 2 bytes, add eax,1 = 3 bytes: 83 C0 01) -> kCode + 5.
  RunResult r = m->Run({.stop_pc = kCode + 5});
  ASSERT_EQ(r.reason, StopReason::kStopPc) << r.divergence;
  EXPECT_EQ(m->cpu().gpr[RAX], 1u);
  // Running again from the stop PC makes progress: one more iteration, then it stops again.
  r = m->Run({.stop_pc = kCode + 5});
  ASSERT_EQ(r.reason, StopReason::kStopPc);
  EXPECT_EQ(m->cpu().gpr[RAX], 2u);
}

TEST_P(MachineTest, InstructionLimitInterruptsAHotLoop) {
  auto m = Make("top: add rax, 1\njmp top");
  RunResult r = m->Run({.max_insns = 10000});
  ASSERT_EQ(r.reason, StopReason::kInsnLimit) << r.divergence;
  EXPECT_GE(m->cpu().gpr[RAX], 4900u);
  EXPECT_LE(m->cpu().gpr[RAX], 5100u);
}

TEST_P(MachineTest, PageFaultOnUnmappedLoadIsPrecise) {
  auto m = Make("mov rbx, 7\nmov rax, [0x5000000]\nmov rbx, 9\nhlt");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kException) << r.divergence;
  EXPECT_EQ(r.vector, 14u);
  EXPECT_EQ(r.fault_addr, 0x5000000u);
  EXPECT_EQ(r.error_code & 2, 0u);  // a read
  EXPECT_EQ(m->cpu().gpr[RBX], 7u);
  EXPECT_EQ(m->cpu().rip, kCode + 5);  // the faulting mov, after `mov ebx, 7` (5 bytes)
}

TEST_P(MachineTest, WriteToReadOnlyPageFaultsAndLeavesMemory) {
  auto m = Make("mov qword [0x200000], 5\nhlt");
  m->Protect(kData, 0x1000, kProtRead);
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kException);
  EXPECT_EQ(r.vector, 14u);
  EXPECT_EQ(r.error_code & 3, 3u);  // present + write
  uint64_t v = 1;
  m->ReadMemory(kData, &v, 8);
  EXPECT_EQ(v, 0u);
}

TEST_P(MachineTest, UndefinedOpcodeRaisesUD) {
  auto m = Make("mov eax, 1\ndb 0x0f, 0xff\n");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kException);
  EXPECT_EQ(r.vector, 6u);
  EXPECT_EQ(m->cpu().rip, kCode + 5);
  EXPECT_EQ(m->cpu().gpr[RAX], 1u);
}

TEST_P(MachineTest, ExecutingUnmappedMemoryFaults) {
  auto m = Make("mov rax, 0x7000000\njmp rax");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kException);
  EXPECT_EQ(r.vector, 14u);
  EXPECT_EQ(m->cpu().rip, 0x7000000u);
}

// Self-modifying code: the guest rewrites the immediate of an instruction it already ran (in a
// block that is cached and chained to), then runs it again.
TEST_P(MachineTest, SelfModifyingCodeInvalidatesTranslation) {
  auto m = Make(R"(
    xor ebx, ebx
    mov ecx, 2
  again:
    call patched
    add rbx, rax
    mov byte [rel patched + 1], 5    ; mov eax, imm32 -> imm becomes 5
    sub ecx, 1
    jnz again
    hlt
  align 64
  patched:
    mov eax, 1
    ret)");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kHalt) << r.divergence;
  EXPECT_EQ(m->cpu().gpr[RBX], 1u + 5u);
  EXPECT_GT(m->stats().blocks_invalidated, 0u);
}

// A store that rewrites the next instruction of the block it is running in.
TEST_P(MachineTest, StoreIntoTheRunningBlockTakesEffectImmediately) {
  auto m = Make(R"(
    mov byte [rel target + 1], 9
  target:
    mov eax, 1
    hlt)");
  RunResult r = m->Run();
  ASSERT_EQ(r.reason, StopReason::kHalt) << r.divergence;
  EXPECT_EQ(m->cpu().gpr[RAX], 9u);
}

TEST_P(MachineTest, HostWriteInvalidatesChainedBlock) {
  auto m = Make(R"(
  top:
    mov eax, 1
    jmp next
  next:
    hlt)");
  ASSERT_EQ(m->Run().reason, StopReason::kHalt);
  EXPECT_EQ(m->cpu().gpr[RAX], 1u);
  // Rewrite the immediate of `mov eax, 1` through the API and run again from the top.
  uint8_t two = 2;
  m->WriteMemory(kCode + 1, &two, 1);
  m->cpu().rip = kCode;
  ASSERT_EQ(m->Run().reason, StopReason::kHalt);
  EXPECT_EQ(m->cpu().gpr[RAX], 2u);
}

TEST_P(MachineTest, SmallCodeCacheFlushesAndKeepsRunning) {
  std::string src = "xor eax, eax\n";
  for (int i = 0; i < 300; ++i)
    src += "add eax, " + std::to_string(i) + "\njmp l" + std::to_string(i) + "\nl" +
           std::to_string(i) + ":\n";
  src += "hlt\n";
  MachineConfig cfg;
  cfg.code_cache_bytes = 16 * 1024;
  auto m = Make("top:\n" + src, cfg);
  ASSERT_EQ(m->Run().reason, StopReason::kHalt);
  EXPECT_EQ(m->cpu().gpr[RAX], 299u * 300u / 2);
  if (GetParam() != Engine::kInterp) {
    EXPECT_GT(m->stats().code_cache_flushes, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, MachineTest, testing::ValuesIn(test::AllEngines()),
                         test::EngineTestName);

#if DOPPEL_HAVE_JIT
// -d perfmap: each compiled block is named in /tmp/perf-PID.map (address, size, guest PC) so
// `perf report` can attribute samples in JIT code.
TEST(MachinePerfMap, NamesCompiledBlocks) {
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  std::remove(path.c_str());
  MachineConfig cfg;
  cfg.engine = Engine::kJit;
  cfg.log.perfmap = true;
  auto m = std::make_unique<Machine>(cfg);
  std::string err;
  ASSERT_TRUE(m->Map(kCode, 0x10000, kProtRWX, &err)) << err;
  std::vector<uint8_t> code = test::Assemble("mov eax, 1\njmp next\nnext:\nhlt", kCode);
  m->WriteMemory(kCode, code.data(), code.size());
  m->cpu().rip = kCode;
  ASSERT_EQ(m->Run().reason, StopReason::kHalt);
  m.reset();
  std::string all;
  if (std::FILE* f = std::fopen(path.c_str(), "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) all += line;
    std::fclose(f);
  }
  std::remove(path.c_str());
  char guest[32];
  snprintf(guest, sizeof guest, " guest_%llx\n", static_cast<unsigned long long>(kCode));
  EXPECT_NE(all.find(guest), std::string::npos) << all;
}
#endif

}  // namespace
}  // namespace doppel
