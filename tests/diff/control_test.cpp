// tests/diff/control_test.cpp: differential tests of push/pop, call/ret (incl. ret imm16), direct
// and indirect jmp/call through registers and memory, loop/loope/loopne and jrcxz/jecxz.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;

class DiffControl : public testing::TestWithParam<Engine> {
 protected:
  static std::vector<CaseInput> Inputs(Rng& rng, unsigned n) {
    std::vector<CaseInput> inputs;
    for (unsigned i = 0; i < n; i++) inputs.push_back(RandomInput(rng));
    return inputs;
  }
};

TEST_P(DiffControl, PushPop) {
  DiffHarness h(GetParam());
  Rng rng(61);
  RunAll(
      h,
      [](Asm& a) {
        a.push(x86::rax);
        a.push(x86::r9);
        a.push(x86::bx);  // 16-bit push
        a.push(-5);
        a.push(0x12345678);
        a.push(x86::qword_ptr(x86::r15, 0x20));
        a.pop(x86::qword_ptr(x86::r15, 0x80));
        a.pop(x86::rcx);
        a.pop(x86::dx);  // 16-bit pop
        a.pop(x86::r10);
        a.pop(x86::rsi);
        a.push(x86::rsp);  // pushes the value before the decrement
        a.pop(x86::rdi);
        a.pop(x86::r11);  // reads below the initial stack pointer's frame
      },
      Inputs(rng, 8));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffControl, CallRet) {
  DiffHarness h(GetParam());
  Rng rng(62);
  RunAll(
      h,
      [](Asm& a) {
        asmjit::Label sub = a.newLabel(), sub8 = a.newLabel(), next = a.newLabel(),
                      done = a.newLabel();
        a.call(sub);
        a.push(x86::rbx);
        a.call(sub8);
        a.call(next);  // call next; pop: reads the return address
        a.bind(next);
        a.pop(x86::r9);
        a.jmp(done);
        a.bind(sub);
        a.add(x86::eax, 3);
        a.ret();
        a.bind(sub8);
        a.sub(x86::ecx, 1);
        a.ret(8);
        a.bind(done);
      },
      Inputs(rng, 8));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffControl, IndirectJmpAndCall) {
  DiffHarness h(GetParam());
  Rng rng(63);
  RunAll(
      h,
      [](Asm& a) {
        asmjit::Label t1 = a.newLabel(), t2 = a.newLabel(), t3 = a.newLabel(), sub = a.newLabel(),
                      done = a.newLabel();
        a.lea(x86::rax, x86::ptr(t1));
        a.jmp(x86::rax);
        a.ud2();
        a.bind(t1);
        a.lea(x86::rcx, x86::ptr(t2));
        a.mov(x86::qword_ptr(x86::r15, 0x40), x86::rcx);
        a.jmp(x86::qword_ptr(x86::r15, 0x40));
        a.ud2();
        a.bind(t2);
        a.lea(x86::rdx, x86::ptr(sub));
        a.call(x86::rdx);
        a.lea(x86::rsi, x86::ptr(sub));
        a.mov(x86::qword_ptr(x86::r15, x86::r13, 3, 0), x86::rsi);
        a.call(x86::qword_ptr(x86::r15, x86::r13, 3, 0));
        a.lea(x86::rdi, x86::ptr(t3));
        a.push(x86::rdi);
        a.ret();  // ret as an indirect jump
        a.bind(sub);
        a.add(x86::r9, 1);
        a.ret();
        a.bind(t3);
        a.jmp(done);
        a.bind(done);
      },
      Inputs(rng, 8));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffControl, Loops) {
  DiffHarness h(GetParam());
  Rng rng(64);
  for (unsigned kind = 0; kind < 3; kind++) {
    for (bool ecx : {false, true}) {
      std::vector<CaseInput> inputs;
      for (uint64_t count : {1ull, 2ull, 5ull, 17ull, 0x100000003ull}) {
        CaseInput in = RandomInput(rng);
        in.regs.gpr[1] = count;  // with ecx, 0x100000003 loops 3 times
        in.regs.gpr[0] = 0;
        inputs.push_back(in);
      }
      if (!ecx) inputs.pop_back();
      RunAll(
          h,
          [&](Asm& a) {
            asmjit::Label top = a.newLabel();
            a.bind(top);
            a.add(x86::eax, 1);
            a.cmp(x86::eax, 3);  // loope/loopne also stop on the third iteration's ZF
            x86::Gp c = ecx ? x86::Gp(x86::ecx) : x86::Gp(x86::rcx);
            if (kind == 0)
              a.loop(c, top);
            else if (kind == 1)
              a.loopne(c, top);
            else
              a.loope(c, top);
          },
          inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffControl, Jrcxz) {
  DiffHarness h(GetParam());
  Rng rng(65);
  for (bool ecx : {false, true}) {
    std::vector<CaseInput> inputs;
    for (uint64_t count : {0ull, 1ull, 0x100000000ull, ~0ull}) {
      CaseInput in = RandomInput(rng);
      in.regs.gpr[1] = count;
      inputs.push_back(in);
    }
    RunAll(
        h,
        [&](Asm& a) {
          asmjit::Label skip = a.newLabel();
          a.jecxz(ecx ? x86::Gp(x86::ecx) : x86::Gp(x86::rcx), skip);
          a.mov(x86::eax, 1);
          a.bind(skip);
        },
        inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffControl, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
