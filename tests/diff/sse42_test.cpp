// tests/diff/sse42_test.cpp: differential tests of the SSE4.2 string compares pcmp[ei]str[im]
// (frontend/x86/sse4.cpp): every imm8 mode (bits 6:0; bit 7 is ignored), strings from a small
// alphabet with embedded zeros, explicit lengths in and out of range (negative, huge, with
// REX.W), register and unaligned memory operands; ECX/XMM0 and CF ZF SF OF AF PF compared.
#include "tests/diff/sse_cases.h"

namespace doppel::test::sse {
namespace {

namespace Inst = x86::Inst;

using DiffSse42 = SseTest;

// Bytes from a small alphabet so that equal elements, ranges and substrings occur often.
void StringXmm(Rng& rng, uint8_t* out) {
  static const std::vector<uint8_t> alphabet = {0, 'a', 'b', 'c', 'z', 0x80, 0xff, 0x7f, 1};
  const unsigned zero_at = static_cast<unsigned>(rng.Below(24));  // sometimes no terminator
  for (unsigned i = 0; i < 16; ++i) {
    out[i] = rng.Pick(alphabet);
    if (out[i] == 0 && rng.Chance(70)) out[i] = 'a';
    if (i == zero_at) out[i] = 0;
  }
}

std::vector<CaseInput> StringInputs(Rng& rng, unsigned n) {
  const uint64_t lengths[] = {0,
                              1,
                              3,
                              7,
                              8,
                              9,
                              15,
                              16,
                              17,
                              100,
                              ~0ull,
                              ~0ull - 15,
                              ~0ull - 16,
                              0x80000000,
                              0x7fffffff,
                              0x100000003ull,
                              0xffffffff00000005ull};
  std::vector<CaseInput> v;
  for (unsigned i = 0; i < n; ++i) {
    CaseInput in = Input(rng, Lanes::kInt, 0x1f80);
    for (auto& x : in.regs.xmm) StringXmm(rng, x);
    if (i % 3 == 1) memcpy(in.regs.xmm[2], in.regs.xmm[1], 16);  // equal strings
    uint8_t m[16];
    StringXmm(rng, m);
    in.mem.clear();
    for (unsigned q = 0; q < 2; ++q) {
      uint64_t w;
      memcpy(&w, m + 8 * q, 8);
      in.mem.push_back({kVecMem + 3 + 8 * q, w, 8});
    }
    in.regs.gpr[0] = lengths[rng.Below(17)];
    in.regs.gpr[2] = lengths[rng.Below(17)];
    v.push_back(in);
  }
  return v;
}

void CheckString(DiffHarness& h, uint32_t id, int imm_step) {
  Rng rng(id);
  for (int imm = 0; imm < 256; imm += imm < 128 ? imm_step : 61) {
    std::vector<CaseInput> inputs = StringInputs(rng, 8);
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm1, x86::xmm2, asmjit::Imm(imm)); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.emit(id, x86::xmm0, x86::ptr(x86::r15, 0x203, 16), asmjit::Imm(imm)); },
        inputs);
  }
}

TEST_P(DiffSse42, Pcmpistri) {
  DiffHarness h(GetParam());
  CheckString(h, Inst::kIdPcmpistri, 1);
  EXPECT_TRUE(h.ok()) << h.Summary();
}
TEST_P(DiffSse42, Pcmpistrm) {
  DiffHarness h(GetParam());
  CheckString(h, Inst::kIdPcmpistrm, 1);
  EXPECT_TRUE(h.ok()) << h.Summary();
}
TEST_P(DiffSse42, Pcmpestri) {
  DiffHarness h(GetParam());
  CheckString(h, Inst::kIdPcmpestri, 1);
  EXPECT_TRUE(h.ok()) << h.Summary();
}
TEST_P(DiffSse42, Pcmpestrm) {
  DiffHarness h(GetParam());
  CheckString(h, Inst::kIdPcmpestrm, 1);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse42, ExplicitLengthsWithRexW) {
  // 66 REX.W 0F 3A 61/60 /r ib: the lengths come from RAX/RDX (64-bit) instead of EAX/EDX.
  DiffHarness h(GetParam());
  Rng rng(90);
  for (uint8_t opcode : {0x61, 0x60}) {
    for (int imm : {0x00, 0x0c, 0x19, 0x44, 0x35, 0x08, 0x7a}) {
      std::vector<CaseInput> inputs = StringInputs(rng, 16);
      RunAll(
          h,
          [&](Asm& a) {
            const uint8_t bytes[] = {
                0x66, 0x48, 0x0f, 0x3a, opcode, 0xca, static_cast<uint8_t>(imm)};  // xmm1, xmm2
            a.embed(bytes, sizeof bytes);
          },
          inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffSse42, StrlenLoop) {
  // A strlen-style loop over memory as glibc's SSE4.2 string functions do it.
  DiffHarness h(GetParam());
  Rng rng(91);
  std::vector<CaseInput> inputs;
  for (unsigned i = 0; i < 12; ++i) {
    CaseInput in = RandomInput(rng);
    for (unsigned q = 0; q < 8; ++q) {
      uint8_t m[8];
      for (auto& b : m) b = static_cast<uint8_t>('a' + rng.Below(26));
      uint64_t w;
      memcpy(&w, m, 8);
      if (q == 1 + i % 7) w &= ~(0xffull << (8 * (i % 8)));
      in.mem.push_back({kVecMem + 8 * q, w, 8});
    }
    inputs.push_back(in);
  }
  RunAll(
      h,
      [&](Asm& a) {
        asmjit::Label loop = a.newLabel(), done = a.newLabel();
        a.lea(x86::rax, x86::ptr(x86::r15, 0x200));
        a.pxor(x86::xmm0, x86::xmm0);
        a.bind(loop);
        a.pcmpistri(x86::xmm0, x86::ptr(x86::rax), asmjit::Imm(0x08));
        a.jz(done);
        a.add(x86::rax, 16);
        a.jmp(loop);
        a.bind(done);
        a.add(x86::rax, x86::rcx);
      },
      inputs);
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffSse42, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test::sse
