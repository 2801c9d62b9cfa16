// tests/frontend/control_test.cpp: loop/loope/loopne, jrcxz/jecxz, and indirect jmp/call through
// registers and memory, against the host CPU.
#include "tests/frontend/harness.h"

namespace doppel::test {
namespace {

using namespace asmjit::x86;

TEST(FrontendControl, LoopCountsDown) {
  Harness h;
  for (uint64_t n : {1ull, 5ull, 300ull}) {
    h.init.gpr[1] = n;
    h.init.gpr[0] = 0;
    h.ExpectSame(
        [](Assembler& a) {
          asmjit::Label top = a.newLabel();
          a.bind(top);
          a.add(eax, 3);
          a.loop(top);
        },
        ir::kArithFlags, "loop");
    // 67: ECX as the counter; the upper half of RCX is then cleared by the write.
    h.init.gpr[1] = 0xdead000000000000ull | n;
    h.ExpectSame(
        [](Assembler& a) {
          asmjit::Label top = a.newLabel();
          a.bind(top);
          a.add(eax, 3);
          a.db(0x67);
          a.loop(top);
        },
        ir::kArithFlags, "loop ecx");
  }
}

TEST(FrontendControl, LoopeLoopne) {
  Harness h;
  h.init.gpr[6] = h.data_addr();
  for (int i = 0; i < 16; ++i) h.data_init[i] = i < 6 ? 0 : 1;
  for (bool ne : {false, true}) {
    h.init.gpr[1] = 12;
    h.init.gpr[0] = 0;
    h.ExpectSame(
        [&](Assembler& a) {
          asmjit::Label top = a.newLabel();
          a.bind(top);
          a.add(rax, 1);
          a.cmp(byte_ptr(rsi, rax, 0, -1), ne ? 1 : 0);
          if (ne)
            a.loopne(top);
          else
            a.loope(top);
        },
        ir::kArithFlags, ne ? "loopne" : "loope");
  }
}

TEST(FrontendControl, Jrcxz) {
  Harness h;
  for (uint64_t n : {0ull, 1ull, 0x100000000ull}) {
    h.init.gpr[1] = n;
    auto body = [&](bool ecx) {
      return [ecx](Assembler& a) {
        asmjit::Label skip = a.newLabel();
        if (ecx) a.db(0x67);
        a.jecxz(rcx, skip);
        a.mov(eax, 7);
        a.bind(skip);
        a.add(eax, 1);
      };
    };
    h.ExpectSame(body(false), ir::kArithFlags, "jrcxz");
    h.ExpectSame(body(true), ir::kArithFlags, "jecxz");
  }
}

TEST(FrontendControl, IndirectJumpsAndCalls) {
  Harness h;
  h.init.gpr[6] = h.data_addr();
  // The targets are labels in the snippet; their addresses go through registers and memory.
  h.ExpectSame(
      [](Assembler& a) {
        asmjit::Label t1 = a.newLabel(), t2 = a.newLabel(), f = a.newLabel(), done = a.newLabel();
        a.lea(rax, ptr(t1));
        a.jmp(rax);
        a.ud2();
        a.bind(t1);
        a.lea(rbx, ptr(t2));
        a.mov(qword_ptr(rsi, 8), rbx);
        a.jmp(qword_ptr(rsi, 8));
        a.ud2();
        a.bind(t2);
        a.lea(rcx, ptr(f));
        a.call(rcx);
        a.mov(qword_ptr(rsi, 16), rcx);
        a.call(qword_ptr(rsi, 16));
        a.push(rcx);
        a.call(qword_ptr(rsp));  // the target is read before the push
        a.pop(rcx);
        a.jmp(done);
        a.bind(f);
        a.add(r8, 1);
        a.ret();
        a.bind(done);
      },
      ir::kArithFlags, "indirect");
}

}  // namespace
}  // namespace doppel::test
