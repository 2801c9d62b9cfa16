// tests/frontend/datamove_test.cpp: lea, movzx/movsx/movsxd, xchg, cbw..cqo, enter/leave,
// pushf/popf, lahf/sahf against the host CPU.
#include "tests/frontend/harness.h"

namespace doppel::test {
namespace {

using namespace asmjit::x86;

TEST(FrontendDataMove, Lea) {
  Harness h;
  h.init.gpr[3] = 0xfffffffffffffff0ull;
  h.init.gpr[6] = 0x0000000180000004ull;
  const AsmFn forms[] = {
      [](Assembler& a) { a.lea(rax, ptr(rbx, rsi, 2, 0x12345)); },
      [](Assembler& a) { a.lea(eax, ptr(rbx, rsi, 3, -8)); },
      [](Assembler& a) { a.lea(ax, ptr(rbx, rsi, 0, 0x7fff)); },
      [](Assembler& a) { a.lea(rax, ptr(ebx, esi, 1, 0x10)); },  // 32-bit address, zero-extended
      [](Assembler& a) { a.lea(ax, ptr(ebx, 0x10)); },
      [](Assembler& a) { a.lea(rcx, ptr(rsi)); },
      [](Assembler& a) { a.lea(rdx, ptr(rsi, rsi, 3)); },
      [](Assembler& a) { a.lea(r9, ptr(0x1234)); },
  };
  for (const AsmFn& f : forms) h.ExpectSame(f, ir::kArithFlags, "lea");
  // RIP-relative: the address of the next instruction plus the displacement.
  h.Assemble([](Assembler& a) { a.lea(rax, ptr(rip, 0x100)); });
  RunState s = h.RunDoppel();
  EXPECT_EQ(s.gpr[0], h.code_end() + 0x100);
}

TEST(FrontendDataMove, MovzxMovsx) {
  Harness h;
  h.init.gpr[6] = h.data_addr() + 0x81;
  for (uint64_t v : InterestingValues()) {
    h.init.gpr[3] = v;
    h.init.gpr[0] = 0xaaaaaaaaaaaaaaaaull;
    h.ExpectSame([](Assembler& a) { a.movzx(eax, bl); }, ir::kArithFlags, "movzx eax, bl");
    h.ExpectSame([](Assembler& a) { a.movzx(ax, bl); }, ir::kArithFlags, "movzx ax, bl");
    h.ExpectSame([](Assembler& a) { a.movzx(rax, bx); }, ir::kArithFlags, "movzx rax, bx");
    h.ExpectSame([](Assembler& a) { a.movzx(eax, bh); }, ir::kArithFlags, "movzx eax, bh");
    h.ExpectSame([](Assembler& a) { a.movsx(eax, bl); }, ir::kArithFlags, "movsx eax, bl");
    h.ExpectSame([](Assembler& a) { a.movsx(ax, bl); }, ir::kArithFlags, "movsx ax, bl");
    h.ExpectSame([](Assembler& a) { a.movsx(rax, bx); }, ir::kArithFlags, "movsx rax, bx");
    h.ExpectSame([](Assembler& a) { a.movsxd(rax, ebx); }, ir::kArithFlags, "movsxd rax, ebx");
    h.ExpectSame([](Assembler& a) { a.movsx(rax, byte_ptr(rsi)); }, ir::kArithFlags, "movsx mem");
    h.ExpectSame([](Assembler& a) { a.movzx(eax, word_ptr(rsi)); }, ir::kArithFlags, "movzx mem");
    // 63 /r without REX.W: a 32-bit move (zero-extends).
    h.ExpectSame(
        [](Assembler& a) {
          a.db(0x63);
          a.db(0xc3);
        },
        ir::kArithFlags, "movsxd eax, ebx");
  }
}

TEST(FrontendDataMove, Xchg) {
  Harness h;
  h.init.gpr[0] = 0x1111111111111111ull;
  h.init.gpr[3] = 0x2222222222222222ull;
  h.init.gpr[6] = h.data_addr() + 0x10;
  const AsmFn forms[] = {
      [](Assembler& a) { a.xchg(rax, rbx); },
      [](Assembler& a) { a.xchg(eax, ebx); },
      [](Assembler& a) { a.xchg(ax, bx); },
      [](Assembler& a) { a.xchg(al, bh); },
      [](Assembler& a) { a.xchg(ptr(rsi, 0, 8), rbx); },
      [](Assembler& a) { a.xchg(ebx, ptr(rsi, 0, 4)); },
      [](Assembler& a) { a.xchg(ptr(rsi, 0, 1), ah); },
      [](Assembler& a) {
        a.db(0x87);
        a.db(0xc0);
      },  // xchg eax, eax: zero-extends
      [](Assembler& a) {
        a.db(0x49);
        a.db(0x90);
      },  // xchg r8, rax
  };
  for (const AsmFn& f : forms) h.ExpectSame(f, ir::kArithFlags, "xchg");
}

TEST(FrontendDataMove, SignExtendAccumulator) {
  Harness h;
  for (uint64_t v : InterestingValues()) {
    h.init.gpr[0] = v;
    h.init.gpr[2] = 0x5555555555555555ull;
    h.ExpectSame([](Assembler& a) { a.cbw(); }, ir::kArithFlags, "cbw");
    h.ExpectSame([](Assembler& a) { a.cwde(); }, ir::kArithFlags, "cwde");
    h.ExpectSame([](Assembler& a) { a.cdqe(); }, ir::kArithFlags, "cdqe");
    h.ExpectSame([](Assembler& a) { a.cwd(); }, ir::kArithFlags, "cwd");
    h.ExpectSame([](Assembler& a) { a.cdq(); }, ir::kArithFlags, "cdq");
    h.ExpectSame([](Assembler& a) { a.cqo(); }, ir::kArithFlags, "cqo");
  }
}

TEST(FrontendDataMove, EnterLeave) {
  Harness h;
  h.init.gpr[5] = h.stack_top() + 0x40;  // an old frame pointer inside the stack area
  for (unsigned level : {0u, 1u, 2u, 5u}) {
    h.ExpectSame([&](Assembler& a) { a.enter(0x20, level); }, ir::kArithFlags,
                 "enter level " + std::to_string(level));
    h.ExpectSame(
        [&](Assembler& a) {
          a.enter(0x18, level);
          a.mov(qword_ptr(rbp, -8), rbx);
          a.leave();
        },
        ir::kArithFlags, "enter+leave level " + std::to_string(level));
  }
  h.ExpectSame([](Assembler& a) { a.leave(); }, ir::kArithFlags, "leave");
  h.ExpectSame(
      [](Assembler& a) {
        a.db(0x66);
        a.leave();
      },
      ir::kArithFlags, "leave16");
  h.ExpectSame(
      [](Assembler& a) {
        a.db(0x66);
        a.enter(8, 2);
      },
      ir::kArithFlags, "enter16");
}

TEST(FrontendDataMove, FlagsTransfer) {
  Harness h;
  for (uint64_t f :
       {0x202ull, 0x202ull | ir::kArithFlags, 0x202ull | ir::kCF | ir::kZF | ir::kDF}) {
    h.init.rflags = f;
    h.init.gpr[0] = 0xd5d5d5d5d5d5d5d5ull;
    const uint64_t mask = ir::kArithFlags | ir::kDF;
    h.ExpectSame(
        [](Assembler& a) {
          a.pushfq();
          a.pop(rbx);
        },
        mask, "pushfq");
    h.ExpectSame(
        [](Assembler& a) {
          a.pushf();
          a.pop(bx);
        },
        mask, "pushf16");
    h.ExpectSame([](Assembler& a) { a.lahf(); }, mask, "lahf");
    h.ExpectSame([](Assembler& a) { a.sahf(); }, mask, "sahf");
    h.ExpectSame(
        [](Assembler& a) {
          a.push(0x8d5);
          a.popfq();
          a.pushfq();
          a.pop(rcx);
        },
        mask, "popfq");
    h.ExpectSame(
        [](Assembler& a) {
          a.push(0x4c0);
          a.popfq();
          a.pushfq();
          a.pop(rcx);
        },
        mask, "popfq df");
    h.ExpectSame(
        [](Assembler& a) {
          a.push(0);
          a.db(0x66);
          a.popfq();
        },
        mask, "popf16");
  }
}

}  // namespace
}  // namespace doppel::test
