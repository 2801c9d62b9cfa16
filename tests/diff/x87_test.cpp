// tests/diff/x87_test.cpp: differential tests of the x87 FPU: arithmetic on edge values under
// every rounding and precision control, integer/BCD conversions, compares and their flags, the
// register stack's wrap/overflow/underflow, transcendentals, control/status words, environment
// and state images and the deferred #MF, native vs each doppel engine, bit for bit.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;

struct F80 {
  uint64_t mant;
  uint16_t se;  // sign and exponent
};

// Edge values: zeros, ones, normal values, extremes, denormals, infinities, NaNs and an unnormal.
const std::vector<F80>& Edges() {
  static const std::vector<F80> v = {
      {0, 0},                           // +0
      {0, 0x8000},                      // -0
      {0x8000000000000000ull, 0x3fff},  // 1
      {0x8000000000000000ull, 0xbfff},  // -1
      {0xc000000000000000ull, 0x3fff},  // 1.5
      {0xc90fdaa22168c235ull, 0x4000},  // pi
      {0xaaaaaaaaaaaaaaabull, 0x3ffd},  // 1/3
      {0xe800000000000000ull, 0xc001},  // -7.25
      {0x9502f90000000000ull, 0x4020},  // 1e10
      {0xffffffffffffffffull, 0x7ffe},  // max finite
      {0x8000000000000000ull, 0x0001},  // min normal
      {0x0000000000000001ull, 0x0000},  // smallest denormal
      {0x4000000000000000ull, 0x8000},  // -denormal
      {0x8000000000000000ull, 0x7fff},  // +inf
      {0x8000000000000000ull, 0xffff},  // -inf
      {0xc000000000000000ull, 0x7fff},  // QNaN
      {0xa000000000000000ull, 0xffff},  // -SNaN
      {0x8000000000000001ull, 0x403e},  // 2^63 + 2: integer conversion boundary
      {0xfffffffffffffc00ull, 0x401d},  // 2^31 - 2^-22-ish
      {0x4000000000000000ull, 0x3fff},  // unnormal (integer bit clear)
      {0x8000000000000000ull, 0x43ff},  // huge (2^1024): overflows double
      {0x8000000000000000ull, 0x3bff},  // tiny (2^-1024): underflows double
  };
  return v;
}

// Data layout (offsets from R15 = kBaseValue).
constexpr int kA = 0x00, kB = 0x10, kCw = 0x30, kInt = 0x40, kOut = 0x100;

// Control words: 4 rounding modes x 3 precisions, all exceptions masked.
std::vector<uint16_t> ControlWords() {
  std::vector<uint16_t> cws;
  for (uint16_t rc = 0; rc < 4; ++rc) {
    for (uint16_t pc : {0, 2, 3})
      cws.push_back(static_cast<uint16_t>(0x3f | pc << 8 | rc << 10 | 0x40));
  }
  return cws;
}

CaseInput Input(F80 a, F80 b, uint16_t cw, uint64_t integer = 0) {
  CaseInput in;
  in.regs.gpr[kBaseReg] = kBaseValue;
  in.regs.gpr[4] = kStackInit;
  in.mem = {{kBaseValue + kA, a.mant, 8}, {kBaseValue + kA + 8, a.se, 2},
            {kBaseValue + kB, b.mant, 8}, {kBaseValue + kB + 8, b.se, 2},
            {kBaseValue + kCw, cw, 2},    {kBaseValue + kInt, integer, 8}};
  return in;
}

x86::Mem At(int off, unsigned bytes) { return x86::ptr(x86::r15, off, bytes); }

// fldcw [cw]; st0 = a, st1 = b.
void LoadAB(Asm& a) {
  a.fldcw(At(kCw, 2));
  a.fld(At(kB, 10));
  a.fld(At(kA, 10));
}

// All pairs of edge values under the default control word, plus every control word on a
// pseudo-random subset of pairs.
std::vector<CaseInput> PairInputs(Rng& rng, unsigned subset = 12) {
  std::vector<CaseInput> in;
  for (const F80& x : Edges()) {
    for (const F80& y : Edges()) in.push_back(Input(x, y, 0x037f));
  }
  for (uint16_t cw : ControlWords()) {
    for (unsigned k = 0; k < subset; ++k)
      in.push_back(Input(rng.Pick(Edges()), rng.Pick(Edges()), cw));
  }
  return in;
}

class DiffX87 : public testing::TestWithParam<Engine> {
 protected:
  void Run(const std::function<void(Asm&)>& body, const std::vector<CaseInput>& inputs) {
    RunAll(h_, body, inputs);
  }
  void TearDown() override { EXPECT_TRUE(h_.ok()) << h_.Summary(); }
  DiffHarness h_{GetParam()};
  Rng rng_{87};
};

TEST_P(DiffX87, LoadStoreAllFormats) {
  std::vector<CaseInput> in = PairInputs(rng_);
  Run(
      [](Asm& a) {
        LoadAB(a);
        a.fst(At(kOut, 4));
        a.fst(At(kOut + 8, 8));
        a.fld(x86::st0);
        a.fstp(At(kOut + 0x10, 10));
        a.fld(At(kOut, 4));
        a.fld(At(kOut + 8, 8));
        a.fstp(x86::st3);
        a.fstp(At(kOut + 0x20, 8));
      },
      in);
}

TEST_P(DiffX87, ArithmeticRegisterForms) {
  std::vector<CaseInput> in = PairInputs(rng_);
  for (uint32_t id : {x86::Inst::kIdFadd, x86::Inst::kIdFsub, x86::Inst::kIdFsubr,
                      x86::Inst::kIdFmul, x86::Inst::kIdFdiv, x86::Inst::kIdFdivr}) {
    Run(
        [&](Asm& a) {
          LoadAB(a);
          a.emit(id, x86::st0, x86::st1);
          a.emit(id, x86::st1, x86::st0);
        },
        in);
  }
  for (uint32_t id : {x86::Inst::kIdFaddp, x86::Inst::kIdFsubp, x86::Inst::kIdFsubrp,
                      x86::Inst::kIdFmulp, x86::Inst::kIdFdivp, x86::Inst::kIdFdivrp}) {
    Run(
        [&](Asm& a) {
          LoadAB(a);
          a.emit(id, x86::st1);
        },
        in);
  }
}

TEST_P(DiffX87, ArithmeticMemoryForms) {
  std::vector<CaseInput> in;
  for (const F80& x : Edges()) {
    for (uint64_t v : {0ull, 1ull, 0x3f800000ull, 0x7f800000ull, 0xffc00000ull, 0x00000001ull,
                       0x3ff0000000000000ull, 0x7ff8000000000000ull, 0x000fffffffffffffull,
                       0x8000000000000000ull, 0xffffffffffff8000ull, 0x7fffffffull}) {
      in.push_back(Input(x, x, 0x037f, v));
    }
  }
  for (uint16_t cw : ControlWords()) {
    for (int k = 0; k < 8; ++k) in.push_back(Input(rng_.Pick(Edges()), {}, cw, rng_.Next()));
  }
  for (uint32_t id : {x86::Inst::kIdFadd, x86::Inst::kIdFsub, x86::Inst::kIdFsubr,
                      x86::Inst::kIdFmul, x86::Inst::kIdFdiv, x86::Inst::kIdFdivr}) {
    for (unsigned bytes : {4u, 8u}) {
      Run(
          [&](Asm& a) {
            a.fldcw(At(kCw, 2));
            a.fld(At(kA, 10));
            a.emit(id, At(kInt, bytes));
          },
          in);
    }
  }
  for (uint32_t id :
       {x86::Inst::kIdFiadd, x86::Inst::kIdFisub, x86::Inst::kIdFisubr, x86::Inst::kIdFimul,
        x86::Inst::kIdFidiv, x86::Inst::kIdFidivr, x86::Inst::kIdFicom, x86::Inst::kIdFicomp}) {
    for (unsigned bytes : {2u, 4u}) {
      Run(
          [&](Asm& a) {
            a.fldcw(At(kCw, 2));
            a.fld(At(kA, 10));
            a.emit(id, At(kInt, bytes));
          },
          in);
    }
  }
}

TEST_P(DiffX87, IntegerAndBcdConversions) {
  std::vector<CaseInput> in = PairInputs(rng_, 20);
  for (uint64_t v :
       {0ull, 1ull, 0xffffffffffffffffull, 0x8000000000000000ull, 0x7fffffffffffffffull,
        0x12345678ull, 0x8000ull, 0x80000000ull, 0x99999999999999ull, 0x8000000000001234ull}) {
    in.push_back(Input(Edges()[2], Edges()[3], 0x037f, v));
  }
  Run(
      [](Asm& a) {
        LoadAB(a);
        a.fist(At(kOut, 2));
        a.fist(At(kOut + 4, 4));
        a.fld(x86::st0);
        a.fistp(At(kOut + 8, 8));
        a.fld(x86::st0);
        a.fisttp(At(kOut + 0x10, 2));
        a.fld(x86::st0);
        a.fisttp(At(kOut + 0x14, 4));
        a.fld(x86::st0);
        a.fisttp(At(kOut + 0x18, 8));
        a.fld(x86::st0);
        a.fbstp(At(kOut + 0x20, 10));
        a.fild(At(kInt, 2));
        a.fild(At(kInt, 4));
        a.fild(At(kInt, 8));
        a.fbld(At(kInt, 10));  // the integer and the next bytes: valid and invalid BCD digits
      },
      in);
}

TEST_P(DiffX87, ComparesAndFlags) {
  std::vector<CaseInput> in = PairInputs(rng_);
  for (uint32_t id :
       {x86::Inst::kIdFcom, x86::Inst::kIdFcomp, x86::Inst::kIdFucom, x86::Inst::kIdFucomp}) {
    Run(
        [&](Asm& a) {
          LoadAB(a);
          a.emit(id, x86::st1);
          a.fnstsw(x86::ax);
        },
        in);
  }
  for (uint32_t id :
       {x86::Inst::kIdFcompp, x86::Inst::kIdFucompp, x86::Inst::kIdFtst, x86::Inst::kIdFxam}) {
    Run(
        [&](Asm& a) {
          LoadAB(a);
          a.emit(id);
          a.fnstsw(x86::ax);
        },
        in);
  }
  for (uint32_t id :
       {x86::Inst::kIdFcomi, x86::Inst::kIdFcomip, x86::Inst::kIdFucomi, x86::Inst::kIdFucomip}) {
    Run(
        [&](Asm& a) {
          LoadAB(a);
          a.emit(id, x86::st1);
          a.fnstsw(At(kOut, 2));
        },
        in);
  }
  // FCMOVcc on the flags of a compare.
  Run(
      [](Asm& a) {
        LoadAB(a);
        a.fucomi(x86::st1);
        a.fldz();
        a.fcmovb(x86::st1);
        a.fld1();
        a.fcmove(x86::st2);
        a.fldz();
        a.fcmovbe(x86::st3);
        a.fldz();
        a.fcmovu(x86::st4);
        a.fldz();
        a.fcmovnb(x86::st5);
        a.fldz();
        a.fcmovne(x86::st6);
      },
      in);
}

TEST_P(DiffX87, StackWrapOverflowUnderflow) {
  std::vector<CaseInput> in;
  for (uint16_t cw : {uint16_t{0x037f}, uint16_t{0x0f7f}})
    in.push_back(Input(Edges()[5], Edges()[7], cw));
  Run(
      [](Asm& a) {
        LoadAB(a);
        for (int i = 0; i < 7; ++i) a.fld1();  // the 9th load overflows: IE, C1=1, QNaN indefinite
        a.fxch(x86::st3);
        a.fincstp();
        a.fincstp();
        a.fdecstp();
        a.ffree(x86::st2);
        a.fadd(x86::st0, x86::st2);  // an empty operand: underflow
        a.fnstsw(x86::ax);
      },
      in);
  Run(
      [](Asm& a) {
        a.fldcw(At(kCw, 2));
        a.fstp(At(kOut, 8));  // pop from an empty stack
        a.fxch(x86::st1);
        a.fld1();
        a.fstp(x86::st0);
        a.fldpi();
        a.fldl2e();
        a.fldl2t();
        a.fldlg2();
        a.fldln2();
        a.fldz();
        a.fchs();
        a.fabs();
        a.fnop();
        a.fcompp();
        a.fnstsw(x86::ax);
      },
      in);
}

TEST_P(DiffX87, Transcendentals) {
  std::vector<CaseInput> in = PairInputs(rng_, 6);
  for (uint32_t id :
       {x86::Inst::kIdFsin, x86::Inst::kIdFcos, x86::Inst::kIdFsincos, x86::Inst::kIdFptan,
        x86::Inst::kIdFpatan, x86::Inst::kIdF2xm1, x86::Inst::kIdFyl2x, x86::Inst::kIdFyl2xp1,
        x86::Inst::kIdFscale, x86::Inst::kIdFprem, x86::Inst::kIdFprem1, x86::Inst::kIdFrndint,
        x86::Inst::kIdFsqrt, x86::Inst::kIdFxtract}) {
    Run(
        [&](Asm& a) {
          LoadAB(a);
          a.emit(id);
          a.fnstsw(x86::ax);
        },
        in);
  }
}

TEST_P(DiffX87, ControlStatusAndEnvironment) {
  std::vector<CaseInput> in;
  for (uint16_t cw : ControlWords()) in.push_back(Input(Edges()[5], Edges()[6], cw));
  Run(
      [](Asm& a) {
        LoadAB(a);
        a.fdiv(x86::st0, x86::st1);
        a.fnstcw(At(kOut, 2));
        a.fnstsw(At(kOut + 2, 2));
        a.fnclex();
        a.fnstsw(x86::ax);
        a.fnstenv(At(kOut + 0x10, 28));
        // The instruction/operand pointers are the host's choice (FCS/FOP policies): clear them.
        a.mov(x86::qword_ptr(x86::r15, kOut + 0x10 + 12), 0);
        a.mov(x86::qword_ptr(x86::r15, kOut + 0x10 + 20), 0);
        a.fldenv(At(kOut + 0x10, 28));
        a.fld1();
        a.fnsave(At(kOut + 0x40, 108));
        a.mov(x86::qword_ptr(x86::r15, kOut + 0x40 + 12), 0);
        a.mov(x86::qword_ptr(x86::r15, kOut + 0x40 + 20), 0);
        a.fldz();
        a.frstor(At(kOut + 0x40, 108));
        a.fninit();
        a.fldpi();
      },
      in);
}

// An unmasked exception is deferred: #MF (vector 16) at the next waiting x87 instruction.
TEST_P(DiffX87, UnmaskedExceptionRaisesMathFault) {
  std::vector<CaseInput> in;
  for (uint16_t cw : {uint16_t{0x037b}, uint16_t{0x0372}, uint16_t{0x0360}, uint16_t{0x037e}}) {
    for (const F80& x : Edges()) in.push_back(Input(x, Edges()[0], cw));
  }
  Run(
      [](Asm& a) {
        LoadAB(a);
        a.fdiv(x86::st0, x86::st1);  // x / 0
        a.fnstsw(x86::ax);
        a.mov(x86::ebx, 1);
        a.fwait();
        a.mov(x86::ebx, 2);
      },
      in);
}

// The JIT keeps the x87 state in the host FPU over runs of x87 instructions and across chained
// blocks: the state must be exact after a loop of blocks, across an MMX instruction, around a
// control word that unmasks an exception, and after a store to an unmapped page, which leaves
// the state of the store's start (fstp/fistp/fbstp pop only when the store completes).
TEST_P(DiffX87, StateAcrossBlocksMmxAndFaultingStores) {
  std::vector<CaseInput> in;
  for (const F80& x : Edges()) in.push_back(Input(x, Edges()[5], 0x037f));
  Run(
      [](Asm& a) {  // a loop of chained blocks; the status word read inside the run
        asmjit::Label loop = a.newLabel();
        LoadAB(a);
        a.mov(x86::ecx, 5);
        a.bind(loop);
        a.fadd(x86::st0, x86::st1);
        a.fst(At(kOut, 8));
        a.fnstsw(x86::ax);
        a.add(x86::ebx, x86::eax);
        a.fucomi(x86::st1);
        a.fcmovb(x86::st1);
        a.dec(x86::ecx);
        a.jnz(loop);
        a.fistp(At(kOut + 8, 4));
      },
      in);
  Run(
      [](Asm& a) {  // MMX after x87 in one block, then x87 again
        LoadAB(a);
        a.fmul(x86::st0, x86::st1);
        a.movq(x86::mm0, At(kA, 8));
        a.paddd(x86::mm0, At(kB, 8));
        a.movq(At(kOut, 8), x86::mm0);
        a.emms();
        a.fld1();
        a.fadd(At(kA, 8));
      },
      in);
  for (uint32_t reg : {2u, 3u, 4u}) {  // fstp m64, fistp m32, fbstp m80 to an unmapped page
    Run(
        [reg](Asm& a) {
          LoadAB(a);
          a.fdiv(x86::st0, x86::st1);
          a.mov(x86::eax, kUnmappedAddr);
          if (reg == 2) a.fstp(x86::qword_ptr(x86::rax));
          if (reg == 3) a.fistp(x86::dword_ptr(x86::rax));
          if (reg == 4) a.fbstp(x86::tword_ptr(x86::rax));
        },
        in);
  }
  std::vector<CaseInput> unmask;
  for (const F80& x : Edges()) {
    CaseInput c = Input(x, Edges()[0], 0x037f);
    c.mem.push_back({kBaseValue + kCw + 2, 0x037b, 2});  // ZE unmasked
    unmask.push_back(c);
  }
  Run(
      [](Asm& a) {  // an inline run, then FLDCW unmasks ZE: x / 0 takes #MF at the FWAIT
        LoadAB(a);
        a.fadd(x86::st0, x86::st0);
        a.fldcw(At(kCw + 2, 2));
        a.fdiv(x86::st0, x86::st1);
        a.mov(x86::ebx, 1);
        a.fwait();
        a.mov(x86::ebx, 2);
      },
      unmask);
}

// A store with an unmasked exception: for invalid, overflow and underflow the host writes
// nothing (the destination keeps its bytes) and pops nothing; for precision it stores.
TEST_P(DiffX87, StoresWithUnmaskedExceptions) {
  std::vector<CaseInput> in;
  for (uint16_t cw :
       {uint16_t{0x037e}, uint16_t{0x0377}, uint16_t{0x036f}, uint16_t{0x035f}, uint16_t{0x0340}}) {
    for (const F80& x : Edges()) {
      CaseInput c = Input(x, Edges()[2], cw);
      c.mem.push_back({kBaseValue + kOut, 0x1122334455667788ull, 8});
      c.mem.push_back({kBaseValue + kOut + 8, 0x99aabbccddeeff00ull, 8});
      in.push_back(c);
    }
  }
  for (int form = 0; form < 5; ++form) {
    Run(
        [form](Asm& a) {
          LoadAB(a);
          if (form == 0) a.fstp(At(kOut, 8));
          if (form == 1) a.fstp(At(kOut, 4));
          if (form == 2) a.fistp(At(kOut, 4));
          if (form == 3) a.fist(At(kOut, 2));
          if (form == 4) a.fbstp(At(kOut, 10));
          a.fnstsw(x86::ax);
          a.mov(x86::ebx, 1);
          a.fwait();
          a.mov(x86::ebx, 2);
        },
        in);
  }
}

// The harness itself: an x87 register difference is reported, and the native side really takes
// the deferred #MF (vector 16) the test above expects.
TEST_P(DiffX87, HarnessSeesX87StateAndMathFault) {
  DiffHarness h(GetParam());
  h.SetCode(Build([](Asm& a) {
    LoadAB(a);
    a.fdiv(x86::st0, x86::st1);
    a.fwait();
  }));
  h.corrupt_native = [](NativeResult& n, std::vector<uint8_t>&) { n.x87.st[1][0] ^= 1; };
  std::string report = h.RunCase(Input(Edges()[5], Edges()[2], 0x037f));
  EXPECT_NE(report.find("st1 native"), std::string::npos) << report;
  bool math_fault = false;
  h.corrupt_native = [&](NativeResult& n, std::vector<uint8_t>&) {
    math_fault = n.faulted && n.vector == 16;
  };
  EXPECT_EQ(h.RunCase(Input(Edges()[5], Edges()[0], 0x037b)), "");
  EXPECT_TRUE(math_fault);
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffX87, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
