// tests/frontend/muldiv_test.cpp: mul/imul/div/idiv against the host CPU in every width and form,
// and #DE on division by zero and quotient overflow.
#include "tests/frontend/harness.h"

namespace doppel::test {
namespace {

using namespace asmjit::x86;

const Gp kB[4] = {bl, bx, ebx, rbx};
const Gp kA[4] = {al, ax, eax, rax};
const Gp kC[4] = {cl, cx, ecx, rcx};
// SF ZF AF PF are undefined after a multiply (doppel writes them from the flag op's image).
constexpr uint64_t kMulFlags = ir::kCF | ir::kOF;

TEST(FrontendMulDiv, MulImulOneOperand) {
  Harness h;
  for (int w = 0; w < 4; ++w) {
    for (uint64_t a : InterestingValues()) {
      for (uint64_t b : {0x0ull, 0x3ull, 0x80ull, 0xffffffffffffffffull, 0x8000000000000001ull}) {
        h.init.gpr[0] = a;
        h.init.gpr[2] = 0x5555555555555555ull;
        h.init.gpr[3] = b;
        h.ExpectSame([&](Assembler& a) { a.mul(kB[w]); }, kMulFlags, "mul w" + std::to_string(w));
        h.ExpectSame([&](Assembler& a) { a.imul(kB[w]); }, kMulFlags,
                     "imul1 w" + std::to_string(w));
        if (w > 0) {
          h.ExpectSame([&](Assembler& a) { a.imul(kA[w], kB[w]); }, kMulFlags, "imul2");
          h.ExpectSame([&](Assembler& a) { a.imul(kA[w], kB[w], -3); }, kMulFlags, "imul3 imm8");
          h.ExpectSame([&](Assembler& a) { a.imul(kA[w], kB[w], 0x1234); }, kMulFlags, "imul3 imm");
        }
      }
    }
  }
}

TEST(FrontendMulDiv, MemoryOperands) {
  Harness h;
  h.init.gpr[0] = 0xfedcba9876543210ull;
  h.init.gpr[6] = h.data_addr() + 8;
  for (int size : {1, 2, 4, 8}) {
    Mem m = ptr(rsi, 0, size);
    h.ExpectSame([&](Assembler& a) { a.mul(m); }, kMulFlags, "mul mem");
    h.ExpectSame([&](Assembler& a) { a.imul(m); }, kMulFlags, "imul mem");
    if (size > 1) {
      int w = __builtin_ctz(size);
      h.ExpectSame([&](Assembler& a) { a.imul(kC[w], m); }, kMulFlags, "imul2 mem");
      h.ExpectSame([&](Assembler& a) { a.imul(kC[w], m, 7); }, kMulFlags, "imul3 mem");
    }
  }
}

TEST(FrontendMulDiv, DivIdiv) {
  Harness h;
  struct Case {
    uint64_t dx, ax, d;
  };
  const Case cases[] = {{0, 100, 7},
                        {0, 7, 100},
                        {0, 0xffff, 0xff},
                        {0, 0x1234, 0x13},
                        {1, 0, 3},
                        {0, 0xffffffffffffffffull, 3},
                        {0xffffffffffffffffull, 0xfffffffffffffff0ull, 3},
                        {0xffffffffffffffffull, 0xffffffffffffff9cull, 0xfffffffffffffff9ull}};
  for (int w = 0; w < 4; ++w) {
    const unsigned bits = 8 << w;
    for (const Case& k : cases) {
      for (bool is_signed : {false, true}) {
        uint64_t m = interp::Mask(bits);
        // Skip the cases that fault at this width (they are checked below).
        uint64_t hi = w == 0 ? (k.ax >> 8) & 0xff : k.dx & m;
        uint64_t lo = k.ax & (w == 0 ? 0xff : m);
        uint64_t out;
        auto kind = is_signed ? backend::DivKind::kSDiv : backend::DivKind::kUDiv;
        if (!interp::Divide(kind, bits, hi, lo, k.d, &out)) continue;
        h.init.gpr[0] = k.ax;
        h.init.gpr[2] = k.dx;
        h.init.gpr[3] = k.d;
        h.ExpectSame([&](Assembler& a) { is_signed ? a.idiv(kB[w]) : a.div(kB[w]); }, 0,
                     std::string(is_signed ? "idiv" : "div") + " w" + std::to_string(bits));
      }
    }
  }
  // Memory divisor.
  h.init.gpr[0] = 1000;
  h.init.gpr[2] = 0;
  h.init.gpr[6] = h.data_addr();
  h.data_init[0] = 9;
  h.ExpectSame([&](Assembler& a) { a.div(dword_ptr(rsi)); }, 0, "div mem");
  h.ExpectSame([&](Assembler& a) { a.idiv(word_ptr(rsi)); }, 0, "idiv mem");
}

// Division faults leave every register and flag of the instruction's start.
TEST(FrontendMulDiv, DivideErrorFaults) {
  Harness h;
  struct Case {
    AsmFn fn;
    uint64_t ax, dx, b;
  };
  const Case cases[] = {
      {[](Assembler& a) { a.div(bl); }, 5, 0, 0},
      {[](Assembler& a) { a.div(bl); }, 0x1000, 0, 2},      // quotient 0x800 overflows AL
      {[](Assembler& a) { a.idiv(bl); }, 0xff80, 0, 0xff},  // -128 / -1
      {[](Assembler& a) { a.div(bx); }, 1, 0, 0},
      {[](Assembler& a) { a.div(ebx); }, 1, 2, 1},
      {[](Assembler& a) { a.idiv(ebx); }, 0x80000000, 0xffffffff, 0xffffffff},
      {[](Assembler& a) { a.div(rbx); }, 1, 0, 0},
      {[](Assembler& a) { a.idiv(rbx); }, 0x8000000000000000ull, ~0ull, ~0ull},
  };
  for (const Case& k : cases) {
    h.init.gpr[0] = k.ax;
    h.init.gpr[2] = k.dx;
    h.init.gpr[3] = k.b;
    h.init.rflags = 0x2 | ir::kCF;
    h.Assemble(k.fn);
    RunState s = h.RunDoppel();
    EXPECT_TRUE(s.exception);
    EXPECT_EQ(s.vector, ir::kDivideError);
    EXPECT_EQ(s.rip, h.code_addr());
    EXPECT_EQ(s.rflags, h.init.rflags);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(s.gpr[i], h.init.gpr[i]) << i;
  }
}

}  // namespace
}  // namespace doppel::test
