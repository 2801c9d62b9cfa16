// tests/frontend/string_test.cpp: movs/stos/lods/cmps/scas in every width, both directions,
// with and without REP/REPE/REPNE, against the host CPU; plus faults mid-loop.
#include "tests/frontend/harness.h"

namespace doppel::test {
namespace {

using namespace asmjit::x86;

void Emit(Assembler& a, int op, int size) {
  switch (op * 4 + __builtin_ctz(size)) {
    case 0: a.movsb(); break;
    case 1: a.movsw(); break;
    case 2: a.movsd(); break;
    case 3: a.movsq(); break;
    case 4: a.stosb(); break;
    case 5: a.stosw(); break;
    case 6: a.stosd(); break;
    case 7: a.stosq(); break;
    case 8: a.lodsb(); break;
    case 9: a.lodsw(); break;
    case 10: a.lodsd(); break;
    case 11: a.lodsq(); break;
    case 12: a.cmpsb(); break;
    case 13: a.cmpsw(); break;
    case 14: a.cmpsd(); break;
    case 15: a.cmpsq(); break;
    case 16: a.scasb(); break;
    case 17: a.scasw(); break;
    case 18: a.scasd(); break;
    case 19: a.scasq(); break;
  }
}

const char* kNames[] = {"movs", "stos", "lods", "cmps", "scas"};

TEST(FrontendString, SingleAndRepeated) {
  Harness h;
  // Source and destination data that match for a while, then differ.
  for (size_t i = 0; i < 0x100; ++i) {
    h.data_init[0x400 + i] = static_cast<uint8_t>(i < 0x30 ? 0x41 : i);
    h.data_init[0x800 + i] = static_cast<uint8_t>(i < 0x30 ? 0x41 : i + 1);
  }
  for (int op = 0; op < 5; ++op) {
    for (int size : {1, 2, 4, 8}) {
      for (bool down : {false, true}) {
        for (int prefix = 0; prefix < 3; ++prefix) {  // none, rep/repe, repne
          for (uint64_t count : {0ull, 1ull, 7ull, 0x40ull}) {
            if (prefix == 0 && count != 1) continue;
            h.init.gpr[0] = 0x4141414141414141ull;
            h.init.gpr[1] = count;
            h.init.gpr[6] = h.data_addr() + 0x400 + (down ? 0xf8 : 0);
            h.init.gpr[7] = h.data_addr() + 0x800 + (down ? 0xf8 : 0);
            h.init.rflags = 0x2 | (down ? uint64_t{ir::kDF} : 0);
            std::string what = std::string(kNames[op]) + " size " + std::to_string(size) +
                               (down ? " down" : " up") + " prefix " + std::to_string(prefix) +
                               " count " + std::to_string(count);
            h.ExpectSame(
                [&](Assembler& a) {
                  a.mov(r8, 1);  // an instruction before the string op in the same block
                  if (prefix == 1) a.db(0xf3);
                  if (prefix == 2) a.db(0xf2);
                  Emit(a, op, size);
                  a.add(r8, 1);
                },
                ir::kArithFlags | ir::kDF, what);
          }
        }
      }
    }
  }
}

// 67 prefix: 32-bit pointers and count, zero-extended on update; FS override on the source.
TEST(FrontendString, AddressSize32) {
  Harness h;
  ASSERT_EQ(h.data_addr() >> 32, 0u);
  for (int op = 0; op < 5; ++op) {
    h.init.gpr[1] = 0xffffffff00000005ull;  // ECX = 5
    h.init.gpr[6] = 0xdead000000000000ull | (h.data_addr() + 0x10);
    h.init.gpr[7] = 0xbeef000000000000ull | (h.data_addr() + 0x100);
    h.ExpectSame(
        [&](Assembler& a) {
          a.db(0x67);
          a.db(op >= 3 ? 0xf2 : 0xf3);
          Emit(a, op, 4);
        },
        ir::kArithFlags | ir::kDF, std::string("addr32 ") + kNames[op]);
  }
  // FS override on the source (FS base is 0 in the test and natively unknown, so doppel only).
  h.init.gpr[1] = 3;
  h.init.gpr[6] = h.data_addr();
  h.init.gpr[7] = h.data_addr() + 0x100;
  h.Assemble([](Assembler& a) {
    a.db(0x64);
    a.db(0xf3);
    a.movsb();
  });
  RunState s = h.RunDoppel();
  EXPECT_FALSE(s.exception);
  EXPECT_EQ(s.gpr[1], 0u);
  EXPECT_EQ(s.data[0x100], h.data_init[0]);
  EXPECT_EQ(s.data[0x102], h.data_init[2]);
}

// A fault in iteration k leaves the state after k-1 iterations with RIP at the instruction.
TEST(FrontendString, RepFaultMidway) {
  Harness h;
  h.init.gpr[1] = 100;
  h.init.gpr[6] = h.data_addr();
  h.init.gpr[7] = h.data_addr() + Harness::kDataSize - 16;  // runs off the data area after 4 dwords
  h.Assemble([](Assembler& a) { a.rep().movsd(); });
  RunState s = h.RunDoppel();
  EXPECT_TRUE(s.exception);
  EXPECT_EQ(s.vector, ir::kPageFault);
  EXPECT_EQ(s.rip, h.code_addr());
  EXPECT_EQ(s.gpr[1], 96u);
  EXPECT_EQ(s.gpr[7], h.data_addr() + Harness::kDataSize);
  EXPECT_EQ(s.gpr[6], h.data_addr() + 16);
}

}  // namespace
}  // namespace doppel::test
