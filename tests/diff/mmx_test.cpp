// tests/diff/mmx_test.cpp: differential tests of MMX (frontend/x86/mmx.cpp), CMPXCHG8B/16B
// (cmpxchg_wide.cpp) and FXSAVE/FXRSTOR carrying the x87 state, native vs each doppel engine.
// MMX results are compared through the x87 snapshot: MMn is physical register n, TOP is 0.
#include "tests/diff/sse_cases.h"

namespace doppel::test::sse {
namespace {

namespace Inst = x86::Inst;

using DiffMmx = SseTest;

TEST_P(DiffMmx, Arithmetic) {
  DiffHarness h(GetParam());
  Rng rng(41);
  for (uint32_t id :
       {Inst::kIdPaddb,   Inst::kIdPaddw,   Inst::kIdPaddd,   Inst::kIdPaddq,   Inst::kIdPsubb,
        Inst::kIdPsubw,   Inst::kIdPsubd,   Inst::kIdPsubq,   Inst::kIdPaddsb,  Inst::kIdPaddsw,
        Inst::kIdPaddusb, Inst::kIdPaddusw, Inst::kIdPsubsb,  Inst::kIdPsubsw,  Inst::kIdPsubusb,
        Inst::kIdPsubusw, Inst::kIdPmullw,  Inst::kIdPmulhw,  Inst::kIdPmulhuw, Inst::kIdPmuludq,
        Inst::kIdPmaddwd, Inst::kIdPavgb,   Inst::kIdPavgw,   Inst::kIdPsadbw,  Inst::kIdPminub,
        Inst::kIdPmaxub,  Inst::kIdPminsw,  Inst::kIdPmaxsw,  Inst::kIdPcmpeqb, Inst::kIdPcmpeqw,
        Inst::kIdPcmpeqd, Inst::kIdPcmpgtb, Inst::kIdPcmpgtw, Inst::kIdPcmpgtd, Inst::kIdPand,
        Inst::kIdPandn,   Inst::kIdPor,     Inst::kIdPxor,    Inst::kIdPsllw,   Inst::kIdPslld,
        Inst::kIdPsllq,   Inst::kIdPsrlw,   Inst::kIdPsrld,   Inst::kIdPsrlq,   Inst::kIdPsraw,
        Inst::kIdPsrad}) {
    CheckMm(h, id, rng);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMmx, PacksUnpacksShuffles) {
  DiffHarness h(GetParam());
  Rng rng(42);
  for (uint32_t id : {Inst::kIdPacksswb, Inst::kIdPackssdw, Inst::kIdPackuswb, Inst::kIdPunpcklbw,
                      Inst::kIdPunpcklwd, Inst::kIdPunpckldq, Inst::kIdPunpckhbw,
                      Inst::kIdPunpckhwd, Inst::kIdPunpckhdq}) {
    CheckMm(h, id, rng);
  }
  for (int imm : {0x00, 0x1b, 0xe4, 0x93}) CheckMm(h, Inst::kIdPshufw, rng, imm);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMmx, ShiftByImmediateAndMoves) {
  DiffHarness h(GetParam());
  Rng rng(43);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 16, false);
  for (uint32_t id : {Inst::kIdPsllw, Inst::kIdPslld, Inst::kIdPsllq, Inst::kIdPsrlw,
                      Inst::kIdPsrld, Inst::kIdPsrlq, Inst::kIdPsraw, Inst::kIdPsrad}) {
    for (int imm : {0, 1, 15, 16, 31, 33, 63, 64, 200}) {
      RunAll(
          h,
          [&](Asm& a) {
            ClearMm(a);
            a.movdq2q(x86::mm5, x86::xmm5);
            a.emit(id, x86::mm5, asmjit::Imm(imm));
          },
          inputs);
    }
  }
  RunAll(
      h,
      [&](Asm& a) {
        ClearMm(a);
        a.movq(x86::mm0, x86::rax);
        a.movd(x86::mm1, x86::ebx);
        a.movd(x86::mm2, x86::ptr(x86::r15, 0x200, 4));
        a.movq(x86::mm7, x86::mm0);
        a.movq(x86::ptr(x86::r15, 0x210, 8), x86::mm1);
        a.movd(x86::ptr(x86::r15, 0x218, 4), x86::mm7);
        a.movntq(x86::ptr(x86::r15, 0x220, 8), x86::mm2);
        a.movd(x86::ecx, x86::mm0);
        a.movq(x86::rdx, x86::mm2);
        a.movq2dq(x86::xmm3, x86::mm0);
        a.movdq2q(x86::mm6, x86::xmm6);
        a.pextrw(x86::esi, x86::mm6, 2);
        a.pextrw(x86::edi, x86::mm6, 7);
        a.pinsrw(x86::mm6, x86::eax, 5);
        a.pinsrw(x86::mm0, x86::ptr(x86::r15, 0x204, 2), 0);
        a.pmovmskb(x86::r8d, x86::mm6);
      },
      inputs);
  // EMMS empties the stack again; a following x87 load sees an empty stack.
  RunAll(
      h,
      [&](Asm& a) {
        ClearMm(a);
        a.movq(x86::mm3, x86::rax);
        a.emms();
        a.fld1();
      },
      inputs);
  // A faulting memory operand leaves the x87 state untouched.
  RunAll(
      h,
      [&](Asm& a) {
        ClearMm(a);
        a.fld1();
        a.mov(x86::eax, kUnmappedAddr);
        a.paddb(x86::mm1, x86::ptr(x86::rax, 0, 8));
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

// cvtpi2ps/cvtpi2pd/cvt(t)ps2pi/cvt(t)pd2pi between MMX and XMM, from registers and memory, with
// edge values under every MXCSR mode (rounding, DAZ/FTZ, masked and unmasked exceptions).
TEST_P(DiffMmx, ConversionsWithXmm) {
  DiffHarness h(GetParam());
  Rng rng(47);
  for (Lanes lanes : {Lanes::kInt, Lanes::kF32, Lanes::kF64}) {
    std::vector<CaseInput> inputs = Inputs(rng, lanes, 16, true);
    RunAll(
        h,
        [](Asm& a) {
          ClearMm(a);
          a.movdq2q(x86::mm5, x86::xmm5);
          a.cvtpi2ps(x86::xmm1, x86::mm5);
          a.cvtpi2pd(x86::xmm2, x86::mm5);
          a.cvtpi2ps(x86::xmm3, x86::qword_ptr(x86::r15, 0x40));
          a.cvtpi2pd(x86::xmm4, x86::qword_ptr(x86::r15, 0x48));
          a.cvtps2pi(x86::mm0, x86::xmm6);
          a.cvttps2pi(x86::mm1, x86::xmm7);
          a.cvtps2pi(x86::mm2, x86::qword_ptr(x86::r15, 0x50));
          a.cvtpd2pi(x86::mm3, x86::xmm8);
          a.cvttpd2pi(x86::mm4, x86::xmm9);
          a.cvttpd2pi(x86::mm6, x86::xmmword_ptr(x86::r15, 0x60));
        },
        inputs);
    // From memory only: the x87 unit stays in x87 mode (no MMX transition).
    RunAll(
        h,
        [](Asm& a) {
          ClearMm(a);
          a.cvtpi2ps(x86::xmm3, x86::qword_ptr(x86::r15, 0x40));
          a.cvtpi2pd(x86::xmm4, x86::qword_ptr(x86::r15, 0x48));
        },
        inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

// maskmovq / maskmovdqu: byte-masked stores to [rdi] (inside the data area), also 32-bit addressed.
TEST_P(DiffMmx, MaskedMoves) {
  DiffHarness h(GetParam());
  Rng rng(48);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 16, false);
  RunAll(
      h,
      [](Asm& a) {
        ClearMm(a);
        a.lea(x86::rdi, x86::ptr(x86::r15, 0x83));  // unaligned
        a.maskmovdqu(x86::xmm1, x86::xmm2);
        a.lea(x86::rdi, x86::ptr(x86::r15, 0x105));
        a.movdq2q(x86::mm3, x86::xmm3);
        a.movdq2q(x86::mm4, x86::xmm4);
        a.maskmovq(x86::mm3, x86::mm4);
        a.lea(x86::edi, x86::ptr(x86::r15, 0x131));
        a.db(0x67);  // addr32: [edi]
        a.maskmovdqu(x86::xmm5, x86::xmm6);
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMmx, CmpxchgWide) {
  DiffHarness h(GetParam());
  Rng rng(44);
  for (bool wide : {false, true}) {
    for (int disp : {0x200, 0x208}) {
      std::vector<CaseInput> inputs;
      for (unsigned i = 0; i < 24; ++i) {
        CaseInput in = RandomInput(rng);
        uint64_t m0 = rng.Next(), m1 = rng.Next(), m2 = rng.Next();
        in.mem = {{kVecMem, m0, 8}, {kVecMem + 8, m1, 8}, {kVecMem + 16, m2, 8}};
        const uint64_t at = disp == 0x200 ? m0 : m1;
        const uint64_t next = disp == 0x200 ? m1 : m2;
        if (i % 2 == 0) {
          if (wide) {
            in.regs.gpr[0] = at;
            in.regs.gpr[2] = next;
          } else {
            in.regs.gpr[0] = (in.regs.gpr[0] & ~0xffffffffull) | (at & 0xffffffff);
            in.regs.gpr[2] = (in.regs.gpr[2] & ~0xffffffffull) | (at >> 32);
          }
        }
        if (i % 4 == 1) in.regs.gpr[0] = (in.regs.gpr[0] & ~0xffffffffull) | (at & 0xffffffff);
        inputs.push_back(in);
      }
      RunAll(
          h,
          [&](Asm& a) {
            if (wide) {
              a.cmpxchg16b(x86::ptr(x86::r15, disp, 16));
            } else {
              a.cmpxchg8b(x86::ptr(x86::r15, disp, 8));
            }
          },
          inputs);
      RunAll(
          h,
          [&](Asm& a) {
            a.lock();
            if (wide) {
              a.cmpxchg16b(x86::ptr(x86::r15, disp, 16));
            } else {
              a.cmpxchg8b(x86::ptr(x86::r15, disp, 8));
            }
          },
          inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffMmx, FxsaveCarriesX87) {
  DiffHarness h(GetParam());
  Rng rng(45);
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 8, false);
  RunAll(
      h,
      [&](Asm& a) {
        ClearMm(a);
        a.fldpi();
        a.fld1();
        a.fdiv(x86::st0, x86::st1);
        a.fxsave64(x86::ptr(x86::r15, 0x400));
        a.fninit();
        a.fxrstor64(x86::ptr(x86::r15, 0x400));
        a.fadd(x86::st0, x86::st1);
      },
      inputs);
  RunAll(
      h,
      [&](Asm& a) {
        ClearMm(a);
        a.movdq2q(x86::mm2, x86::xmm2);
        a.fxsave64(x86::ptr(x86::r15, 0x400));
        a.emms();
        a.fxrstor64(x86::ptr(x86::r15, 0x400));
      },
      inputs);
  RunAll(
      h,
      [&](Asm& a) {
        ClearMm(a);
        a.fld1();
        a.fxsave(x86::ptr(x86::r15, 0x400));
        a.fninit();
        a.fxrstor(x86::ptr(x86::r15, 0x400));
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffMmx, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test::sse
