// tests/diff/sse_fp_test.cpp: differential tests of SSE/SSE2 floating point (frontend/x86/
// sse_fp.cpp): arithmetic, min/max, sqrt, compares, comis/ucomis and conversions on NaNs,
// infinities, denormals, signed zeros and integer boundaries, under every rounding mode, FTZ,
// DAZ and unmasked exceptions (#XM), native vs each doppel engine.
#include "tests/diff/sse_cases.h"

namespace doppel::test::sse {
namespace {

namespace Inst = x86::Inst;

using DiffSseFp = SseTest;

struct Form {
  uint32_t id;
  Lanes lanes;
  unsigned mem;
};

void Check(DiffHarness& h, std::initializer_list<Form> forms, int imm = -1) {
  for (const Form& f : forms) {
    Rng rng(f.id * 31 + static_cast<uint32_t>(imm + 1));
    CheckVec(h, f.id, f.lanes, f.mem, rng, imm, 56);
  }
}

TEST_P(DiffSseFp, ScalarArithmetic) {
  DiffHarness h(GetParam());
  Check(h, {{Inst::kIdAddss, Lanes::kF32, 4},
            {Inst::kIdSubss, Lanes::kF32, 4},
            {Inst::kIdMulss, Lanes::kF32, 4},
            {Inst::kIdDivss, Lanes::kF32, 4},
            {Inst::kIdSqrtss, Lanes::kF32, 4},
            {Inst::kIdMinss, Lanes::kF32, 4},
            {Inst::kIdMaxss, Lanes::kF32, 4},
            {Inst::kIdAddsd, Lanes::kF64, 8},
            {Inst::kIdSubsd, Lanes::kF64, 8},
            {Inst::kIdMulsd, Lanes::kF64, 8},
            {Inst::kIdDivsd, Lanes::kF64, 8},
            {Inst::kIdSqrtsd, Lanes::kF64, 8},
            {Inst::kIdMinsd, Lanes::kF64, 8},
            {Inst::kIdMaxsd, Lanes::kF64, 8}});
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, PackedArithmetic) {
  DiffHarness h(GetParam());
  Check(h, {{Inst::kIdAddps, Lanes::kF32, 16},
            {Inst::kIdSubps, Lanes::kF32, 16},
            {Inst::kIdMulps, Lanes::kF32, 16},
            {Inst::kIdDivps, Lanes::kF32, 16},
            {Inst::kIdSqrtps, Lanes::kF32, 16},
            {Inst::kIdMinps, Lanes::kF32, 16},
            {Inst::kIdMaxps, Lanes::kF32, 16},
            {Inst::kIdAddpd, Lanes::kF64, 16},
            {Inst::kIdSubpd, Lanes::kF64, 16},
            {Inst::kIdMulpd, Lanes::kF64, 16},
            {Inst::kIdDivpd, Lanes::kF64, 16},
            {Inst::kIdSqrtpd, Lanes::kF64, 16},
            {Inst::kIdMinpd, Lanes::kF64, 16},
            {Inst::kIdMaxpd, Lanes::kF64, 16}});
  EXPECT_TRUE(h.ok()) << h.Summary();
}

// The reciprocal approximations (model-specific bits: the host is the reference), with the same
// edge-value inputs (zeros, denormals, infinities, NaNs, negatives) as the arithmetic.
TEST_P(DiffSseFp, ReciprocalApproximations) {
  DiffHarness h(GetParam());
  Check(h, {{Inst::kIdRcpps, Lanes::kF32, 16},
            {Inst::kIdRcpss, Lanes::kF32, 4},
            {Inst::kIdRsqrtps, Lanes::kF32, 16},
            {Inst::kIdRsqrtss, Lanes::kF32, 4}});
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, ComparePredicates) {
  DiffHarness h(GetParam());
  for (int pred = 0; pred < 8; ++pred) {
    Check(h,
          {{Inst::kIdCmpss, Lanes::kF32, 4},
           {Inst::kIdCmpsd, Lanes::kF64, 8},
           {Inst::kIdCmpps, Lanes::kF32, 16},
           {Inst::kIdCmppd, Lanes::kF64, 16}},
          pred);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, ComisUcomisFlags) {
  DiffHarness h(GetParam());
  Check(h, {{Inst::kIdComiss, Lanes::kF32, 4},
            {Inst::kIdUcomiss, Lanes::kF32, 4},
            {Inst::kIdComisd, Lanes::kF64, 8},
            {Inst::kIdUcomisd, Lanes::kF64, 8}});
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, VectorConversions) {
  DiffHarness h(GetParam());
  Check(h, {{Inst::kIdCvtss2sd, Lanes::kF32, 4},
            {Inst::kIdCvtsd2ss, Lanes::kF64, 8},
            {Inst::kIdCvtps2pd, Lanes::kF32, 8},
            {Inst::kIdCvtpd2ps, Lanes::kF64, 16},
            {Inst::kIdCvtdq2ps, Lanes::kInt, 16},
            {Inst::kIdCvtps2dq, Lanes::kF32, 16},
            {Inst::kIdCvttps2dq, Lanes::kF32, 16},
            {Inst::kIdCvtdq2pd, Lanes::kInt, 8},
            {Inst::kIdCvtpd2dq, Lanes::kF64, 16},
            {Inst::kIdCvttpd2dq, Lanes::kF64, 16}});
  // Integer inputs under the FP modes too (rounding of int -> float).
  for (uint32_t id : {Inst::kIdCvtdq2ps, Inst::kIdCvtdq2pd}) {
    Rng rng(id);
    std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 28, true);
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm1, x86::xmm2); }, inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, ScalarIntegerConversions) {
  DiffHarness h(GetParam());
  Rng rng(11);
  for (Lanes lanes : {Lanes::kF32, Lanes::kF64}) {
    bool f32 = lanes == Lanes::kF32;
    std::vector<CaseInput> inputs = Inputs(rng, lanes, 84, true);
    std::vector<uint32_t> ids = f32 ? std::vector<uint32_t>{Inst::kIdCvtss2si, Inst::kIdCvttss2si}
                                    : std::vector<uint32_t>{Inst::kIdCvtsd2si, Inst::kIdCvttsd2si};
    for (uint32_t id : ids) {
      for (unsigned w : {32, 64}) {
        RunAll(
            h, [&](Asm& a) { a.emit(id, Reg(0, w), x86::xmm2); }, inputs);
        RunAll(
            h, [&](Asm& a) { a.emit(id, Reg(3, w), x86::ptr(x86::r15, 0x200, f32 ? 4 : 8)); },
            inputs);
      }
    }
  }
  // cvtsi2ss/sd from registers and memory, with integer edge values under every rounding mode.
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kF32, 84, true);
  const uint64_t edges[] = {0,
                            1,
                            ~0ull,
                            0x7fffffff,
                            0x80000000,
                            0x7fffffffffffffff,
                            0x8000000000000000,
                            0x1000001,
                            0x20000000000001,
                            12345678901ull};
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i % 2) inputs[i].regs.gpr[0] = edges[(i / 2) % 10];
    inputs[i].mem[0].value = edges[i % 10];
  }
  for (uint32_t id : {Inst::kIdCvtsi2ss, Inst::kIdCvtsi2sd}) {
    for (unsigned w : {32, 64}) {
      RunAll(
          h, [&](Asm& a) { a.emit(id, x86::xmm1, Reg(0, w)); }, inputs);
      RunAll(
          h, [&](Asm& a) { a.emit(id, x86::xmm2, x86::ptr(x86::r15, 0x200, w / 8)); }, inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, MxcsrLoadStore) {
  DiffHarness h(GetParam());
  Rng rng(12);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kF32, 12, true);
  const uint32_t values[] = {0x1f80, 0x7fbf, 0xffff, 0x0000, 0x10000, 0x80001f80};
  for (size_t i = 0; i < inputs.size(); ++i) inputs[i].mem[0].value = values[i % 6];
  RunAll(
      h,
      [&](Asm& a) {
        a.stmxcsr(x86::ptr(x86::r15, 0x300, 4));
        a.ldmxcsr(x86::ptr(x86::r15, 0x200, 4));  // #GP for the values with reserved bits
        a.addss(x86::xmm1, x86::xmm2);
        a.stmxcsr(x86::ptr(x86::r15, 0x304, 4));
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, FpSequence) {
  // A small kernel: a dot product with a compare-and-branch, in every MXCSR mode.
  DiffHarness h(GetParam());
  Rng rng(13);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kF64, 56, true);
  RunAll(
      h,
      [&](Asm& a) {
        asmjit::Label skip = a.newLabel();
        a.movapd(x86::xmm0, x86::xmm1);
        a.mulpd(x86::xmm0, x86::xmm2);
        a.movapd(x86::xmm3, x86::xmm0);
        a.unpckhpd(x86::xmm3, x86::xmm3);
        a.addsd(x86::xmm0, x86::xmm3);
        a.ucomisd(x86::xmm0, x86::xmm4);
        a.jp(skip);
        a.cvttsd2si(x86::rax, x86::xmm0);
        a.bind(skip);
        a.cvtsd2ss(x86::xmm5, x86::xmm0);
        a.sqrtss(x86::xmm5, x86::xmm5);
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, FlagsAcrossFpRuns) {
  // The JIT keeps the guest MXCSR loaded over a run of FP ops and collects the flags once: a
  // fault in the middle of a run must report exactly the flags of the ops before it plus, for a
  // pre-computation exception (here DE or ZE), only that op's pre-computation flags.
  DiffHarness h(GetParam());
  Rng rng(14);
  auto set_f64 = [](CaseInput& in, unsigned reg, double v) { memcpy(in.regs.xmm[reg], &v, 8); };
  std::vector<CaseInput> inputs;
  for (uint32_t mxcsr : {0x1f80u, 0x1e80u, 0x1d80u, 0x0f80u, 0x1f00u, 0x1c80u}) {
    for (int variant = 0; variant < 4; ++variant) {
      CaseInput in = Input(rng, Lanes::kF64, mxcsr);
      set_f64(in, 1, 1.0);
      set_f64(in, 2, variant & 1 ? 1e-30 : 1.0);  // inexact sum or exact
      set_f64(in, 3, 4.9e-320);                   // denormal: DE, and inexact tiny products
      set_f64(in, 4, variant & 2 ? 1.5 : 0.5);
      set_f64(in, 5, 3.0);
      set_f64(in, 7, 0.0);
      inputs.push_back(in);
    }
  }
  RunAll(
      h,
      [&](Asm& a) {
        a.addsd(x86::xmm1, x86::xmm2);
        a.movsd(x86::xmm6, x86::ptr(x86::r15, 0x200));
        a.mulsd(x86::xmm3, x86::xmm4);
        a.add(x86::rax, x86::rbx);
        a.divsd(x86::xmm5, x86::xmm7);
        a.sqrtsd(x86::xmm6, x86::xmm6);
        a.stmxcsr(x86::ptr(x86::r15, 0x304, 4));
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, DependentChainsAcrossMemoryOps) {
  // The JIT forwards a vector op's result to the next op through a host register: chains that
  // read a result as source and as destination, interleaved with integer loads/stores (whose
  // slow paths call helpers), vector loads/stores, conversions and compares.
  DiffHarness h(GetParam());
  Rng rng(15);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kF64, 28, true);
  RunAll(
      h,
      [&](Asm& a) {
        a.movapd(x86::xmm0, x86::xmm1);
        a.addpd(x86::xmm0, x86::xmm2);
        a.mulpd(x86::xmm2, x86::xmm0);
        a.movq(x86::rax, x86::xmm2);
        a.mov(x86::ptr(x86::r15, 0x208), x86::rax);
        a.movsd(x86::xmm3, x86::ptr(x86::r15, 0x208));
        a.subsd(x86::xmm3, x86::xmm2);
        a.movaps(x86::xmm1, x86::xmm3);
        a.pxor(x86::xmm1, x86::xmm0);
        a.movd(x86::xmm4, x86::eax);
        a.paddd(x86::xmm4, x86::xmm1);
        a.mov(x86::rbx, x86::ptr(x86::r15, 0x200));
        a.cvttsd2si(x86::rcx, x86::xmm3);
        a.ucomisd(x86::xmm3, x86::xmm0);
        a.movdqa(x86::ptr(x86::r15, 0x200), x86::xmm4);
        a.pshufd(x86::xmm4, x86::xmm4, 0x1b);
        a.addsd(x86::xmm4, x86::xmm4);
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, RegisterCacheEvictionFaultsAndSlowPaths) {
  // The JIT caches guest vector registers in 13 host registers within a block: every XMM and
  // the memory scratch slots in one block force evictions; loads and stores on pages not yet in
  // the TLB take the helper path with dirty registers; the block ends in a page fault (all the
  // results before it must be in the state) or, with exceptions unmasked, in #XM midway.
  DiffHarness h(GetParam());
  Rng rng(16);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kF64, 28, true);
  for (bool fault : {false, true}) {
    RunAll(
        h,
        [&](Asm& a) {
          for (int i = 0; i < 16; ++i) {
            a.addpd(x86::xmm(i), x86::xmm((i + 1) % 16));
            a.mulsd(x86::xmm((i + 5) % 16), x86::xmm(i));
          }
          a.movups(x86::xmm3, x86::ptr(x86::r15, 0x1200));  // another page: a TLB fill
          a.mov(x86::qword_ptr(x86::r15, 0x2100), x86::rax);
          a.addpd(x86::xmm3, x86::ptr(x86::r15, 0x200));
          a.movups(x86::ptr(x86::r15, 0x1300), x86::xmm7);
          for (int i = 15; i >= 0; --i) a.subpd(x86::xmm(i), x86::xmm((i + 7) % 16));
          a.mov(x86::rbx, x86::qword_ptr(x86::r15, 0x1308));
          if (fault) {
            a.mov(x86::eax, kUnmappedAddr);
            a.movups(x86::xmm9, x86::ptr(x86::rax));
          }
          a.cvtsd2si(x86::rcx, x86::xmm2);
          a.ucomisd(x86::xmm4, x86::xmm11);
        },
        inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, MxcsrFlagsAcrossBlocksAndLdmxcsr) {
  // The JIT may leave merged flags in the host MXCSR between runs of FP ops: flags the guest
  // clears with LDMXCSR must not come back, and a later block's flags must still be its own.
  DiffHarness h(GetParam());
  Rng rng(17);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kF64, 14, true);
  for (CaseInput& in : inputs) in.mem.push_back({kBaseValue + 0x310, 0x1f80, 4});
  RunAll(
      h,
      [&](Asm& a) {
        asmjit::Label next = a.newLabel(), last = a.newLabel();
        a.divsd(x86::xmm1, x86::xmm2);  // flags, maybe #XM
        a.jmp(next);
        a.bind(next);
        a.stmxcsr(x86::ptr(x86::r15, 0x300, 4));
        a.ldmxcsr(x86::ptr(x86::r15, 0x310, 4));  // every flag cleared, every exception masked
        a.jmp(last);
        a.bind(last);
        a.movsd(x86::xmm3, x86::xmm4);
        a.addpd(x86::xmm5, x86::xmm5);
        a.stmxcsr(x86::ptr(x86::r15, 0x304, 4));
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSseFp, UnmaskedOverflowAndUnderflow) {
  // With OE or UE unmasked, an operation whose result (rounded with an unbounded exponent) is
  // huge or tiny raises #XM and writes nothing: UE even for an exact tiny result, PE only if
  // that result is inexact. Products, quotients, sums and conversions, scalar and packed.
  DiffHarness h(GetParam());
  Rng rng(18);
  auto set_f64 = [](CaseInput& in, unsigned reg, unsigned lane, double v) {
    memcpy(in.regs.xmm[reg] + 8 * lane, &v, 8);
  };
  std::vector<CaseInput> inputs;
  for (uint32_t mxcsr :
       {0x1b80u, 0x1780u, 0x1380u, 0x1b80u | 0x6000u, 0x1780u | 0x8000u, 0x1780u | 0x2000u}) {
    for (double a :
         {1e308, 1.7976931348623157e308, 3e-308, 1.5, -2.2250738585072014e-308, 1e-320, 4e38}) {
      for (double b : {1e10, 1e-10, 0.5, 3.0, -1e308, 1e-300}) {
        CaseInput in = Input(rng, Lanes::kF64, mxcsr);
        set_f64(in, 1, 0, a);
        set_f64(in, 2, 0, b);
        set_f64(in, 1, 1, b * 0.75);
        set_f64(in, 2, 1, a);
        inputs.push_back(in);
      }
    }
  }
  for (uint32_t id :
       {x86::Inst::kIdMulsd, x86::Inst::kIdDivsd, x86::Inst::kIdAddsd, x86::Inst::kIdSubsd,
        x86::Inst::kIdMulpd, x86::Inst::kIdAddpd, x86::Inst::kIdCvtsd2ss, x86::Inst::kIdCvtpd2ps}) {
    for (bool swap : {false, true}) {
      RunAll(
          h,
          [&](Asm& a) {
            a.emit(id, swap ? x86::xmm2 : x86::xmm1, swap ? x86::xmm1 : x86::xmm2);
            a.stmxcsr(x86::ptr(x86::r15, 0x300, 4));
          },
          inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffSseFp, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test::sse
