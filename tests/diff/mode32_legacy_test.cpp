// tests/diff/mode32_legacy_test.cpp: differential tests of what only 32-bit code has (BCD
// adjustments, BOUND, ARPL, INTO, SALC, LES/LDS, segment register push/pop), x87 and SSE2 in
// 32-bit code, and a fixed-seed random 32-bit sequence test, native (compatibility mode) vs doppel.
#include <cpuid.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tests/diff/mode32_cases.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;

// doppel sets the BCD instructions' undefined flags as Intel hosts do; elsewhere only the
// defined ones are compared.
bool HostIsIntel() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
  char vendor[13] = {};
  memcpy(vendor, &ebx, 4);
  memcpy(vendor + 4, &edx, 4);
  memcpy(vendor + 8, &ecx, 4);
  return strcmp(vendor, "GenuineIntel") == 0;
}

class DiffMode32Legacy : public Mode32Fixture {
 protected:
  // Every AL with every AF/CF pair, and a few AH values.
  std::vector<CaseInput> AllAlInputs() {
    std::vector<CaseInput> v;
    for (unsigned al = 0; al < 256; al++) {
      for (unsigned flags = 0; flags < 4; flags++) {
        CaseInput in = Input32(rng);
        const unsigned ah = (al * 37 + flags) % 5 == 0 ? 0xff : (al >> 3) * 7 + flags;
        in.regs.gpr[0] = (in.regs.gpr[0] & 0xffff0000u) | (ah & 0xff) << 8 | al;
        in.regs.rflags =
            (in.regs.rflags & ~0x11ull) | (flags & 1 ? 0x1 : 0) | (flags & 2 ? 0x10 : 0);
        v.push_back(in);
      }
    }
    return v;
  }
};

TEST_P(DiffMode32Legacy, AsciiAndDecimalAdjustEveryInput) {
  h.compare_undefined_flags = HostIsIntel();
  std::vector<CaseInput> v = AllAlInputs();
  for (const char* op : {"aaa", "aas", "daa", "das"}) Run(op, v);
  // A BCD addition and subtraction the way compilers of the era emitted them.
  Run("add al, bl\ndaa\nmov cl, al\nmov al, bh\nadc al, dl\ndaa\nmov ch, al", Inputs(40));
  // (Zydis 4.0 calls SBB's AF undefined, so DAS follows a SUB here, not an SBB.)
  Run("sub al, bl\ndas\nmov cl, al\nmov al, ah\nsub al, dl\ndas", Inputs(40));
  Run("add al, bl\naaa\nsub al, cl\naas\nor ax, 0x3030", Inputs(40));
}

TEST_P(DiffMode32Legacy, AamAadWithEveryBaseKind) {
  h.compare_undefined_flags = HostIsIntel();
  std::vector<CaseInput> v = AllAlInputs();
  for (int base : {10, 7, 16, 1, 255}) {
    Run("aam " + std::to_string(base), v);
    Run("aad " + std::to_string(base), v);
  }
  Run("aad 0", v);
  Run("aam 0", Inputs(4));  // #DE on both sides
}

TEST_P(DiffMode32Legacy, SalcArplInto) {
  std::vector<CaseInput> v = Inputs(16);
  Run("db 0xd6", v);  // SALC
  Run("stc\ndb 0xd6\nmov bl, al\nclc\ndb 0xd6", v);
  Run("arpl ax, bx\nsetz cl\narpl [ebp+4], dx\nsetz ch\narpl si, si", v);
  Run("into", v);  // #OF (a trap: reported after INTO) when OF is set
  Run("mov eax, 0x7fffffff\nadd eax, 1\ninto\nmov ebx, 1", v);
}

TEST_P(DiffMode32Legacy, BoundInRangeAndOutOfRange) {
  std::vector<CaseInput> v;
  for (int64_t index : {-5, -4, 0, 9, 10, 11, 0x7fffffff}) {
    CaseInput in = Input32(rng);
    in.regs.gpr[0] = static_cast<uint32_t>(index);
    in.mem.push_back({kBaseValue + 0x10, static_cast<uint32_t>(-4), 4});  // lower
    in.mem.push_back({kBaseValue + 0x14, 10, 4});                         // upper
    in.mem.push_back({kBaseValue + 0x20, 0x000affff, 4});  // 16-bit: lower -1, upper 10
    v.push_back(in);
  }
  Run("bound eax, [ebp+0x10]\nmov ebx, 1", v);
  Run("bound ax, [ebp+0x20]\nmov ebx, 1", v);
  Run("bound eax, [ebp+0x10]\nbound ax, [ebp+0x20]\nmov ecx, 2", v);
  Run("bound eax, [0x30000000]", v);  // the bounds fault (#PF) before the compare
  Run("bound eax, [ebp+0x2ffc]", v);  // the upper bound is in the guard page
}

TEST_P(DiffMode32Legacy, FarPointerLoadsAndSegmentPushPop) {
  std::vector<CaseInput> v = Inputs(4);
  for (CaseInput& in : v) {
    in.mem.push_back({kBaseValue + 0x10, 0x12345678, 4});
    in.mem.push_back({kBaseValue + 0x14, 0x2b, 2});
    in.mem.push_back({kBaseValue + 0x20, 0x9abc, 2});
    in.mem.push_back({kBaseValue + 0x22, 0x23, 2});  // the 32-bit code selector: readable
    in.mem.push_back({kBaseValue + 0x30, 0, 6});     // a null selector: fine until used
  }
  Run("les eax, [ebp+0x10]\nlds ebx, [ebp+0x10]\nmov ecx, es\nmov edx, ds", v);
  Run("o16 les si, [ebp+0x20]\nmov edi, es\nmov eax, [es:ebp]\no16 lds dx, [ebp+0x14-4]", v);
  // A null selector loads fine (using it would be #GP natively; doppel's process mode does not
  // check segment usability, so the test stops short of that).
  Run("les ecx, [ebp+0x30]\nmov edx, es\npush ds\npop es", v);
  Run("push ds\npush es\npush ss\npush cs\no16 push ds\npop ax\npop ebx\npop ecx\npop edx\n"
      "pop esi",
      v);
  Run("push dword 0x2b\npop es\npush word 0x2b\no16 pop ds\npush 0\npop es\nmov eax, es", v);
  // DS may hold the readable code selector for reads; it goes back to 0x2b before the epilogue
  // (whose stores go through DS).
  Run("push 0x23\npop ds\nmov eax, [ebp]\npush ss\npop ds", v);
}

TEST_P(DiffMode32Legacy, X87Sequences) {
  std::vector<CaseInput> v = Inputs(6);
  for (size_t i = 0; i < v.size(); i++) {
    double d = 1.25 + static_cast<double>(i) * -3.5, e = 1e10 / (i + 1);
    uint64_t bits, bits2;
    memcpy(&bits, &d, 8);
    memcpy(&bits2, &e, 8);
    v[i].mem.push_back({kBaseValue + 0x40, bits, 8});
    v[i].mem.push_back({kBaseValue + 0x48, bits2, 8});
  }
  Run("fld qword [ebp+0x40]\nfadd qword [ebp+0x48]\nfld st0\nfmul st0, st1\nfsqrt\n"
      "fstp qword [ebp+0x50]\nfistp dword [ebp+0x58]",
      v);
  Run("fild dword [ebp+4]\nfild word [ebp+8]\nfdivp st1, st0\nfld1\nfcomip st0, st1\n"
      "setb al\nfnstsw ax\nfstp tword [ebp+0x60]",
      v);
  Run("fldpi\nfld qword [ebp+0x40]\nfprem\nfnstsw ax\nfxch\nfsin\nfnstenv [ebp+0x80]\n"
      "fnsave [ebp+0x100]",
      v);
}

TEST_P(DiffMode32Legacy, Sse2Sequences) {
  std::vector<CaseInput> v = Inputs(6);
  for (CaseInput& in : v) {
    for (auto& x : in.regs.xmm) {
      for (auto& b : x) b = static_cast<uint8_t>(rng.Next());
    }
    double d = static_cast<double>(static_cast<int32_t>(rng.Next())) / 7;
    memcpy(in.regs.xmm[3], &d, 8);
  }
  Run("movdqu xmm0, [ebp+0x10]\npaddd xmm1, xmm0\npshufd xmm2, xmm1, 0x1b\nmovd eax, xmm2\n"
      "pmuludq xmm7, xmm0\nmovdqu [ebp+0x40], xmm7\npsrlq xmm5, 3\npunpcklbw xmm6, xmm5",
      v);
  Run("cvtsi2sd xmm2, eax\ncvttsd2si ecx, xmm3\naddsd xmm2, xmm3\nsqrtpd xmm4, xmm2\n"
      "comisd xmm2, xmm3\nsetb dl\ncvtsd2ss xmm5, xmm3\nmovq [ebp+0x30], xmm5\nmovmskpd ebx, xmm2",
      v);
  Run("addps xmm0, xmm1\nmulps xmm0, [ebp+0x20]\nmaxps xmm6, xmm0\nstmxcsr [ebp+0x50]\n"
      "andnps xmm1, xmm2\nmovaps xmm7, xmm1",
      v);
}

// A seeded random 32-bit sequence generator: integer instructions at every operand size on EAX,
// ECX, EDX, EBX, ESI, EDI (EBP stays the data base), memory at [EBP+disp], forward branches and
// the BCD group. Flag readers are preceded by a CMP, so no undefined flag is read.
class Random32 {
 public:
  Random32(Rng& rng, Asm& a) : rng_(rng), a_(a) {}

  void Emit(unsigned n) {
    std::vector<asmjit::Label> pending;
    for (unsigned i = 0; i < n; i++) {
      if (!pending.empty() && rng_.Chance(30)) {
        a_.bind(pending.back());
        pending.pop_back();
      }
      switch (rng_.Below(10)) {
        case 0: {  // forward conditional branch
          DefineFlags();
          asmjit::Label l = a_.newLabel();
          a_.j(static_cast<x86::CondCode>(rng_.Below(16)), l);
          pending.push_back(l);
          break;
        }
        case 1: {  // flag readers
          DefineFlags();
          unsigned pick = static_cast<unsigned>(rng_.Below(6));
          if (pick == 0) a_.adc(RandReg(32), RandReg(32));
          if (pick == 1) a_.sbb(RandReg(16), Mem(16));
          if (pick == 2) a_.set(static_cast<x86::CondCode>(rng_.Below(16)), RandReg(8));
          if (pick == 3) a_.cmov(static_cast<x86::CondCode>(rng_.Below(16)), RandReg(32), Mem(32));
          if (pick == 4) a_.db(rng_.Pick(kBcd));
          if (pick == 5) a_.rcl(RandReg(16), 1);
          break;
        }
        case 2: Shift(); break;
        case 3: {
          unsigned w = Width();
          a_.emit(rng_.Pick(kUnary), RegOrMem(w));
          break;
        }
        case 4: {  // data movement
          unsigned pick = static_cast<unsigned>(rng_.Below(6));
          if (pick == 0) a_.movzx(RandReg(32), Mem(rng_.Chance(50) ? 8 : 16));
          if (pick == 1) a_.movsx(RandReg(16), RandReg(8));
          if (pick == 2) a_.xchg(RandReg(16), Mem(16));
          if (pick == 3) a_.bswap(RandReg(32));
          if (pick == 4) {
            unsigned w = rng_.Chance(50) ? 16 : 32;
            a_.push(RandReg(w));
            a_.pop(RandReg(w));
          }
          if (pick == 5) a_.lea(RandReg(32), x86::ptr(GpIndex32(), GpIndex32(), 2, 0x1234));
          break;
        }
        case 5: MulDiv(); break;
        default: Alu(); break;
      }
    }
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) a_.bind(*it);
  }

 private:
  static constexpr unsigned kRegs[6] = {0, 1, 2, 3, 6, 7};
  inline static const std::vector<uint32_t> kAlu = {
      x86::Inst::kIdAdd, x86::Inst::kIdSub, x86::Inst::kIdAnd,  x86::Inst::kIdOr,
      x86::Inst::kIdXor, x86::Inst::kIdCmp, x86::Inst::kIdTest, x86::Inst::kIdMov};
  inline static const std::vector<uint32_t> kUnary = {x86::Inst::kIdInc, x86::Inst::kIdDec,
                                                      x86::Inst::kIdNeg, x86::Inst::kIdNot};
  inline static const std::vector<uint32_t> kShifts = {x86::Inst::kIdShl, x86::Inst::kIdShr,
                                                       x86::Inst::kIdSar, x86::Inst::kIdRol,
                                                       x86::Inst::kIdRor};
  inline static const std::vector<uint8_t> kBcd = {0x37, 0x3F, 0x27, 0x2F};  // AAA AAS DAA DAS

  unsigned Width() { return 8u << rng_.Below(3); }
  x86::Gp GpIndex32() { return x86::gpd(rng_.Pick(std::vector<unsigned>(kRegs, kRegs + 6))); }
  x86::Gp RandReg(unsigned w) {
    if (w == 8) {
      if (rng_.Chance(50)) return x86::gpb_lo(static_cast<unsigned>(rng_.Below(4)));
      return x86::gpb_hi(static_cast<unsigned>(rng_.Below(4)));
    }
    unsigned r = kRegs[rng_.Below(6)];
    if (w == 16) return x86::gpw(r);
    return x86::gpd(r);
  }
  asmjit::Operand RegOrMem(unsigned w) {
    if (rng_.Chance(50)) return RandReg(w);
    return Mem(w);
  }
  asmjit::Imm RandImm(unsigned w) {
    int64_t v = static_cast<int32_t>(rng_.Next()) >> rng_.Below(32);
    if (w == 8) v = static_cast<int8_t>(v);
    if (w == 16) v = static_cast<int16_t>(v);
    return asmjit::Imm(v);
  }
  x86::Mem Mem(unsigned w) {
    return x86::ptr(x86::ebp, static_cast<int32_t>(rng_.Below(0x400)), w / 8);
  }
  void DefineFlags() { a_.cmp(RandReg(32), RandReg(32)); }
  void Alu() {
    uint32_t id = rng_.Pick(kAlu);
    unsigned w = Width();
    switch (rng_.Below(4)) {
      case 0: a_.emit(id, RandReg(w), RandReg(w)); break;
      case 1: a_.emit(id, RandReg(w), RandImm(w)); break;
      case 2: a_.emit(id, Mem(w), RandReg(w)); break;
      default:
        if (id == x86::Inst::kIdTest)
          a_.emit(id, Mem(w), RandReg(w));
        else
          a_.emit(id, RandReg(w), Mem(w));
        break;
    }
  }
  void Shift() {
    unsigned w = Width();
    a_.emit(rng_.Pick(kShifts), RegOrMem(w), asmjit::Imm(1 + rng_.Below(w - 1)));
  }
  void MulDiv() {
    // Divisions get a nonzero divisor and a zero high half, so they never fault.
    if (rng_.Chance(50)) {
      a_.imul(RandReg(32), Mem(32), asmjit::Imm(static_cast<int8_t>(rng_.Next())));
      return;
    }
    a_.mov(x86::edx, 0);
    a_.mov(x86::ebx, static_cast<int32_t>(1 + rng_.Below(1000)));
    a_.div(x86::ebx);
  }

  Rng& rng_;
  Asm& a_;
};

TEST_P(DiffMode32Legacy, RandomSequencesFixedSeed) {
  Rng gen(0x32);
  for (int seq = 0; seq < 60; seq++) {
    std::vector<uint8_t> code = AssembleAt(
        kCodeAddr, [&](Asm& a) { Random32(gen, a).Emit(20 + gen.Below(40)); }, 32);
    h.SetCode(code);
    ASSERT_TRUE(h.info().error.empty()) << h.info().error << h.info().Listing();
    for (const CaseInput& in : Inputs(6)) h.Check(in);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffMode32Legacy, testing::ValuesIn(AllEngines()),
                         EngineTestName);

}  // namespace
}  // namespace doppel::test
