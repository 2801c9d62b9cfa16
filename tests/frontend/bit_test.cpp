// tests/frontend/bit_test.cpp: bt/bts/btr/btc (register, immediate and memory bit strings),
// bsf/bsr, tzcnt/lzcnt/popcnt and bswap against the host CPU.
#include "tests/frontend/harness.h"

namespace doppel::test {
namespace {

using namespace asmjit::x86;

const Gp kA[4] = {al, ax, eax, rax};
const Gp kB[4] = {bl, bx, ebx, rbx};

enum class Bt { kBt, kBts, kBtr, kBtc };

template <typename D, typename S>
void EmitBt(Assembler& a, Bt op, const D& d, const S& s) {
  switch (op) {
    case Bt::kBt: a.bt(d, s); break;
    case Bt::kBts: a.bts(d, s); break;
    case Bt::kBtr: a.btr(d, s); break;
    case Bt::kBtc: a.btc(d, s); break;
  }
}

// BT* change only CF; the host leaves the other flags, and so must doppel: compare them all.
TEST(FrontendBit, BitTestRegisterAndImmediate) {
  Harness h;
  for (int op = 0; op < 4; ++op) {
    for (int w = 1; w < 4; ++w) {
      for (uint64_t off :
           {0ull, 1ull, 15ull, 31ull, 33ull, 63ull, 64ull + 5, 0xfffffffffffffff3ull}) {
        for (uint64_t flags : {0x2ull, 0x2ull | ir::kArithFlags}) {
          h.init.gpr[0] = 0x8000000080008081ull;
          h.init.gpr[3] = off;
          h.init.rflags = flags;
          h.ExpectSame([&](Assembler& a) { EmitBt(a, Bt(op), kA[w], kB[w]); }, ir::kArithFlags,
                       "bt reg");
          h.ExpectSame([&](Assembler& a) { EmitBt(a, Bt(op), kA[w], asmjit::imm(off & 0xff)); },
                       ir::kArithFlags, "bt imm");
        }
      }
    }
  }
}

TEST(FrontendBit, BitTestMemoryBitString) {
  Harness h;
  h.init.gpr[6] = h.data_addr() + 0x100;
  for (int op = 0; op < 4; ++op) {
    for (int w = 1; w < 4; ++w) {
      const uint32_t size = 1u << w;
      // Offsets reach words before and after the operand (signed, in units of the width).
      for (int64_t off : {0, 5, 17, 40, 100, 1000, -1, -17, -64, -1000}) {
        h.init.gpr[3] = static_cast<uint64_t>(off);
        Mem m = ptr(rsi, 0, size);
        h.ExpectSame([&](Assembler& a) { EmitBt(a, Bt(op), m, kB[w]); }, ir::kArithFlags,
                     "bt mem, reg off=" + std::to_string(off) + " size " + std::to_string(size));
        h.ExpectSame([&](Assembler& a) { EmitBt(a, Bt(op), m, asmjit::imm(off & 0xff)); },
                     ir::kArithFlags, "bt mem, imm off=" + std::to_string(off));
      }
    }
  }
}

// BSF/BSR: destination untouched (not even zero-extended) for a zero source; flags as the host.
TEST(FrontendBit, BitScan) {
  Harness h;
  for (int w = 1; w < 4; ++w) {
    for (uint64_t v : InterestingValues()) {
      for (uint64_t flags : {0x2ull, 0x2ull | ir::kArithFlags}) {
        h.init.gpr[0] = 0xfedcba9876543210ull;
        h.init.gpr[3] = v;
        h.init.rflags = flags;
        h.ExpectSame([&](Assembler& a) { a.bsf(kA[w], kB[w]); }, ir::kArithFlags, "bsf");
        h.ExpectSame([&](Assembler& a) { a.bsr(kA[w], kB[w]); }, ir::kArithFlags, "bsr");
        h.ExpectSame([&](Assembler& a) { a.tzcnt(kA[w], kB[w]); }, ir::kArithFlags, "tzcnt");
        h.ExpectSame([&](Assembler& a) { a.lzcnt(kA[w], kB[w]); }, ir::kArithFlags, "lzcnt");
        h.ExpectSame([&](Assembler& a) { a.popcnt(kA[w], kB[w]); }, ir::kArithFlags, "popcnt");
      }
    }
  }
  h.init.gpr[6] = h.data_addr() + 0x30;
  h.ExpectSame([&](Assembler& a) { a.bsf(eax, dword_ptr(rsi)); }, ir::kArithFlags, "bsf mem");
  h.ExpectSame([&](Assembler& a) { a.popcnt(rax, qword_ptr(rsi)); }, ir::kArithFlags, "popcnt mem");
}

TEST(FrontendBit, Bswap) {
  Harness h;
  h.init.gpr[0] = 0x1122334455667788ull;
  h.init.gpr[9] = 0x0102030405060708ull;
  h.ExpectSame([](Assembler& a) { a.bswap(eax); }, ir::kArithFlags, "bswap32");
  h.ExpectSame([](Assembler& a) { a.bswap(r9); }, ir::kArithFlags, "bswap64");
  // 66 0F C8: bswap ax, undefined in the SDM; the host zeroes the low 16 bits.
  h.ExpectSame(
      [](Assembler& a) {
        a.db(0x66);
        a.db(0x0f);
        a.db(0xc8);
      },
      ir::kArithFlags, "bswap16");
}

}  // namespace
}  // namespace doppel::test
