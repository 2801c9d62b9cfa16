// tests/diff/datamove_test.cpp: differential tests of mov (all forms, movabs, moffs), lea address
// forms, movzx/movsx/movsxd, xchg, cmpxchg, xadd, bswap, xlat, cbw..cqo and nop forms.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;
namespace Inst = x86::Inst;

class DiffMove : public testing::TestWithParam<Engine> {
 protected:
  std::vector<CaseInput> Inputs(Rng& rng, unsigned n, unsigned width = 64) {
    std::vector<CaseInput> inputs;
    std::vector<uint64_t> vals = EdgeValues(width, rng);
    for (unsigned i = 0; i < n; i++) {
      CaseInput in = RandomInput(rng);
      for (unsigned r : {0u, 3u, 6u, 9u}) SetReg(in, r, width, vals[(i + r) % vals.size()]);
      for (unsigned f = 0; f < kMemForms; f++) {
        in.mem.push_back({OperandAddress(f), vals[(i + f) % vals.size()], 8});
      }
      inputs.push_back(in);
    }
    return inputs;
  }
};

TEST_P(DiffMove, Mov) {
  DiffHarness h(GetParam());
  Rng rng(51);
  for (unsigned w : {8, 16, 32, 64}) CheckBinary(h, Inst::kIdMov, w, rng);
  RunAll(
      h,
      [](Asm& a) {
        a.mov(x86::rax, 0x123456789abcdef0ll);  // movabs
        a.mov(x86::r9, -2);
        a.mov(x86::ecx, -1);
        // moffs forms: mov rax, [abs64]; mov [abs64], rax; mov al, [abs64]
        for (auto [opcode, addr] : {std::pair<uint8_t, uint64_t>{0xA1, OperandAddress(0)},
                                    {0xA3, OperandAddress(4)},
                                    {0xA0, OperandAddress(5)}}) {
          if (opcode != 0xA0) a.db(0x48);
          a.db(opcode);
          a.embedUInt64(addr);
        }
      },
      Inputs(rng, 8));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMove, Lea) {
  DiffHarness h(GetParam());
  Rng rng(52);
  for (unsigned w : {16, 32, 64}) {
    RunAll(
        h,
        [&](Asm& a) {
          a.lea(Reg(0, w), x86::ptr(x86::rbx, x86::rsi, 3, -0x80));
          a.lea(Reg(1, w), x86::ptr(x86::r9, 0x7fffffff));
          a.lea(Reg(2, w), x86::ptr(x86::rbx, x86::rbx, 0));
          a.lea(Reg(5, w), x86::ptr(0, x86::rsi, 2, 0x1000));  // no base
          a.lea(Reg(7, w), x86::ptr(x86::rip, 0x10));
          a.lea(Reg(8, w), x86::ptr(x86::rbp, 0));
          a.lea(Reg(10, w), x86::ptr(x86::r12, x86::r9, 1, -1));
          a.lea(Reg(11, w), x86::ptr(x86::ebx, x86::esi, 2, 0x40));  // 32-bit address size
        },
        Inputs(rng, 13));
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

// Memory operands through base + index * scale + disp forms (the JIT folds each address into one
// LEA): no base, negative displacements, a read-modify-write and vector accesses.
TEST_P(DiffMove, MemoryOperandAddressForms) {
  DiffHarness h(GetParam());
  Rng rng(53);
  RunAll(
      h,
      [](Asm& a) {
        a.mov(x86::esi, 5);
        a.mov(x86::eax, x86::dword_ptr(kDataAddr + 0x100, x86::rsi, 3));  // [rsi*8 + disp32]
        a.mov(x86::rbx, x86::qword_ptr(x86::r15, x86::rsi, 2, -0x10));
        a.mov(x86::ecx, x86::dword_ptr(x86::r15, x86::rsi, 0, 0x20));
        a.add(x86::dword_ptr(x86::r15, x86::rsi, 1, 0x30), x86::ecx);
        a.mov(x86::edx, x86::dword_ptr(x86::rsi, x86::r15, 2));
        a.movups(x86::xmm0, x86::ptr(x86::r15, x86::rsi, 3));
        a.movups(x86::ptr(x86::r15, x86::rsi, 3, 0x40), x86::xmm0);
        a.mov(x86::r8, x86::qword_ptr(x86::r15, x86::rsi, 3, 0x40));
      },
      Inputs(rng, 6));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMove, MovzxMovsxMovsxd) {
  DiffHarness h(GetParam());
  Rng rng(53);
  for (uint32_t id : {Inst::kIdMovzx, Inst::kIdMovsx}) {
    for (unsigned dw : {16, 32, 64}) {
      for (unsigned sw : {8, 16}) {
        if (sw >= dw) continue;
        RunAll(
            h,
            [&](Asm& a) {
              a.emit(id, Reg(0, dw), Reg(3, sw));
              a.emit(id, Reg(9, dw), Reg(6, sw));
              if (sw == 8) a.emit(id, Reg(1, dw == 64 ? 32 : dw), x86::bh);
              a.emit(id, Reg(10, dw), MemAt(OperandAddress(2), sw, 2));
              a.emit(id, Reg(11, dw), MemAt(OperandAddress(3), sw, 3));
            },
            Inputs(rng, 13, sw));
      }
    }
  }
  RunAll(
      h,
      [](Asm& a) {
        a.movsxd(x86::rax, x86::ebx);
        a.movsxd(x86::r9, x86::esi);
        a.movsxd(x86::r10, MemAt(OperandAddress(6), 32, 6));
      },
      Inputs(rng, 13, 32));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMove, Xchg) {
  DiffHarness h(GetParam());
  Rng rng(54);
  for (unsigned w : {8, 16, 32, 64}) {
    RunAll(
        h,
        [&](Asm& a) {
          a.xchg(Reg(3, w), Reg(6, w));
          a.xchg(Reg(0, w), Reg(9, w));  // 90+r short form for 16/32/64
          a.xchg(MemAt(OperandAddress(1), w, 1), Reg(2, w));
          if (w == 8) a.xchg(x86::ah, x86::bl);
          if (w == 32) a.xchg(x86::eax, x86::eax);  // 87 C0: zero-extends rax (not a nop)
        },
        Inputs(rng, 13, w));
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMove, CmpxchgXadd) {
  DiffHarness h(GetParam());
  Rng rng(55);
  for (unsigned w : {8, 16, 32, 64}) {
    std::vector<CaseInput> inputs = Inputs(rng, 13, w);
    for (size_t i = 0; i < inputs.size(); i += 2) {  // make the compare succeed half the time
      inputs[i].regs.gpr[0] = inputs[i].regs.gpr[3];
      inputs[i].mem[2].value = inputs[i].regs.gpr[0];
    }
    RunAll(
        h, [&](Asm& a) { a.cmpxchg(Reg(3, w), Reg(6, w), Reg(0, w)); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.cmpxchg(MemAt(OperandAddress(2), w, 2), Reg(9, w), Reg(0, w)); },
        inputs);
    RunAll(
        h,
        [&](Asm& a) {
          a.xadd(Reg(3, w), Reg(6, w));
          a.xadd(MemAt(OperandAddress(4), w, 4), Reg(9, w));
        },
        inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMove, Bswap) {
  DiffHarness h(GetParam());
  Rng rng(56);
  RunAll(
      h,
      [](Asm& a) {
        a.bswap(x86::eax);
        a.bswap(x86::rbx);
        a.bswap(x86::r9d);
        a.bswap(x86::r10);
      },
      Inputs(rng, 13));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

// XLAT: AL = [rBX + AL] (the table at r15, the data area), also with the 32-bit address size.
TEST_P(DiffMove, Xlat) {
  DiffHarness h(GetParam());
  Rng rng(57);
  RunAll(
      h,
      [](Asm& a) {
        a.mov(x86::rbx, x86::r15);
        a.xlatb();
        a.mov(x86::ecx, x86::eax);
        a.add(x86::al, 3);
        a.db(0x67);  // addr32: [ebx + al]
        a.xlatb();
      },
      Inputs(rng, 13));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

// CLFLUSH: no architectural effect, but the line is checked like a read (#PF when unmapped).
TEST_P(DiffMove, Clflush) {
  DiffHarness h(GetParam());
  Rng rng(58);
  RunAll(
      h,
      [](Asm& a) {
        a.clflush(x86::byte_ptr(x86::r15, 0x40));
        a.mov(x86::eax, 1);
        a.mov(x86::rbx, kUnmappedAddr);
        a.clflush(x86::byte_ptr(x86::rbx));
        a.mov(x86::eax, 2);  // not reached
      },
      Inputs(rng, 3));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMove, SignExtensions) {
  // cbw cwde cdqe cwd cdq cqo
  DiffHarness h(GetParam());
  Rng rng(57);
  const std::vector<std::vector<uint8_t>> kForms = {{0x66, 0x98}, {0x98}, {0x48, 0x98},
                                                    {0x66, 0x99}, {0x99}, {0x48, 0x99}};
  for (const auto& bytes : kForms) {
    for (unsigned w : {8, 16, 32, 64}) {
      RunAll(
          h, [&](Asm& a) { a.embed(bytes.data(), bytes.size()); }, Inputs(rng, 13, w));
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMove, NopForms) {
  DiffHarness h(GetParam());
  Rng rng(58);
  RunAll(
      h,
      [](Asm& a) {
        a.nop();
        a.nop(x86::dword_ptr(x86::rax, x86::rax, 0, 0));
        a.nop(x86::word_ptr(x86::rax, x86::rax, 0, 0x100));
        a.db(0x66);  // xchg ax, ax
        a.db(0x90);
        a.db(0xF3);  // pause
        a.db(0x90);
        static const std::vector<std::vector<uint8_t>> kLongNops = {
            // the recommended multi-byte nops
            {0x0F, 0x1F, 0x00},
            {0x0F, 0x1F, 0x40, 0x00},
            {0x0F, 0x1F, 0x44, 0x00, 0x00},
            {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00},
            {0x0F, 0x1F, 0x80, 0, 0, 0, 0},
            {0x0F, 0x1F, 0x84, 0, 0, 0, 0, 0},
            {0x66, 0x2E, 0x0F, 0x1F, 0x84, 0, 0, 0, 0, 0}};
        for (const auto& n : kLongNops) a.embed(n.data(), n.size());
      },
      Inputs(rng, 4));
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffMove, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
