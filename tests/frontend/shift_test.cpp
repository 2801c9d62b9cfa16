// tests/frontend/shift_test.cpp: shl/shr/sar/rol/ror/rcl/rcr/shld/shrd against the host CPU, in
// every width, with immediate and CL counts (including counts of 0 and counts masked to 0).
#include "tests/frontend/harness.h"

namespace doppel::test {
namespace {

using namespace asmjit::x86;

const Gp kA[4] = {al, ax, eax, rax};
const Gp kB[4] = {bl, bx, ebx, rbx};

enum class Op { kShl, kShr, kSar, kRol, kRor, kRcl, kRcr };
const char* kNames[] = {"shl", "shr", "sar", "rol", "ror", "rcl", "rcr"};

template <typename Dst, typename Cnt>
void EmitShift(Assembler& a, Op op, const Dst& d, const Cnt& n) {
  switch (op) {
    case Op::kShl: a.shl(d, n); break;
    case Op::kShr: a.shr(d, n); break;
    case Op::kSar: a.sar(d, n); break;
    case Op::kRol: a.rol(d, n); break;
    case Op::kRor: a.ror(d, n); break;
    case Op::kRcl: a.rcl(d, n); break;
    case Op::kRcr: a.rcr(d, n); break;
  }
}

// Flags the SDM leaves undefined: AF for shifts, OF for counts other than 1.
uint64_t DefinedFlags(Op op, unsigned masked_count) {
  bool rotate = op >= Op::kRol;
  uint64_t m = rotate ? ir::kCF | ir::kOF : ir::kArithFlags & ~ir::kAF;
  if (masked_count != 1) m &= ~ir::kOF;
  return m;
}

TEST(FrontendShift, RegisterFormsAgainstHost) {
  Harness h;
  const uint64_t values[] = {0x8000000080008081ull, 0x123456789abcdef0ull, 0xffffffffffffffffull,
                             0x40, 1};
  const unsigned counts[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
  for (int op = 0; op < 7; ++op) {
    for (int w = 0; w < 4; ++w) {
      for (uint64_t v : values) {
        for (unsigned n : counts) {
          for (uint64_t cf : {0ull, 1ull}) {
            h.init.gpr[0] = v;
            h.init.gpr[1] = 0xabcdef00 | n;  // CL = n
            h.init.rflags = 0x2 | cf | ir::kOF | ir::kZF;
            unsigned masked = n & (w == 3 ? 63 : 31);
            std::string what = std::string(kNames[op]) + " w" + std::to_string(8 << w) +
                               " v=" + std::to_string(v) + " n=" + std::to_string(n);
            // A masked count of 0 leaves every flag unchanged: compare them all then.
            uint64_t mask = masked == 0 ? ir::kArithFlags : DefinedFlags(Op(op), masked);
            h.ExpectSame([&](Assembler& a) { EmitShift(a, Op(op), kA[w], cl); }, mask,
                         what + " cl");
            h.ExpectSame([&](Assembler& a) { EmitShift(a, Op(op), kA[w], asmjit::imm(n & 0xff)); },
                         mask, what + " imm");
          }
        }
      }
    }
  }
}

TEST(FrontendShift, MemoryForms) {
  Harness h;
  for (int op = 0; op < 7; ++op) {
    for (unsigned n : {0u, 1u, 5u, 33u}) {
      h.init.gpr[3] = h.data_addr() + 0x10;
      h.init.gpr[1] = n;
      h.init.rflags = 0x2 | ir::kCF;
      for (int size : {1, 2, 4, 8}) {
        unsigned masked = n & (size == 8 ? 63 : 31);
        uint64_t mask = masked == 0 ? ir::kArithFlags : DefinedFlags(Op(op), masked);
        Mem m = ptr(rbx, 3, size);
        h.ExpectSame([&](Assembler& a) { EmitShift(a, Op(op), m, cl); }, mask,
                     std::string(kNames[op]) + " mem size " + std::to_string(size));
      }
    }
  }
}

TEST(FrontendShift, ShldShrdAgainstHost) {
  Harness h;
  const unsigned counts[] = {0, 1, 4, 15, 16, 17, 31, 32, 40, 63, 64};
  for (int w = 1; w < 4; ++w) {
    for (unsigned n : counts) {
      unsigned masked = n & (w == 3 ? 63 : 31);
      // 16-bit counts above 16 give an undefined result; only the 32/64-bit forms are compared.
      if (w == 1 && masked > 16) continue;
      for (bool left : {true, false}) {
        h.init.gpr[0] = 0x8000000080008081ull;
        h.init.gpr[3] = 0x123456789abcdef0ull;
        h.init.gpr[1] = n;
        h.init.rflags = 0x2 | ir::kCF | ir::kOF;
        uint64_t mask = ir::kArithFlags & ~ir::kAF;
        if (masked != 1) mask &= ~ir::kOF;
        if (masked == 0) mask = ir::kArithFlags;
        if (w == 1 && masked == 16) mask &= ~ir::kCF;  // CF undefined when the count equals 16
        std::string what = std::string(left ? "shld" : "shrd") + " w" + std::to_string(8 << w) +
                           " n=" + std::to_string(n);
        auto emit = [&](Assembler& a, const auto& cnt) {
          if (left)
            a.shld(kA[w], kB[w], cnt);
          else
            a.shrd(kA[w], kB[w], cnt);
        };
        h.ExpectSame([&](Assembler& a) { emit(a, cl); }, mask, what + " cl");
        h.ExpectSame([&](Assembler& a) { emit(a, asmjit::imm(n)); }, mask, what + " imm");
        h.init.gpr[6] = h.data_addr() + 0x20;
        Mem m = ptr(rsi, 0, 2 << (w - 1));
        h.ExpectSame(
            [&](Assembler& a) {
              if (left)
                a.shld(m, kB[w], cl);
              else
                a.shrd(m, kB[w], cl);
            },
            mask, what + " mem");
      }
    }
  }
}

TEST(FrontendShift, FaultLeavesStateUnchanged) {
  Harness h;
  h.init.gpr[3] = 0x10;  // unmapped
  h.init.gpr[0] = 0x1234;
  h.Assemble([](Assembler& a) { a.shl(dword_ptr(rbx), 3); });
  RunState s = h.RunDoppel();
  EXPECT_TRUE(s.exception);
  EXPECT_EQ(s.vector, ir::kPageFault);
  EXPECT_EQ(s.rip, h.code_addr());
  EXPECT_EQ(s.rflags, h.init.rflags);
}

}  // namespace
}  // namespace doppel::test
