// tests/diff/sse_cases.h: shared drivers of the SSE differential tests: XMM inputs built from
// edge lanes (NaNs, infinities, denormals, signed zeros, boundary integers), MXCSR settings, and
// the register / memory operand forms of one instruction.
#pragma once
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test::sse {

namespace x86 = asmjit::x86;

enum class Lanes { kInt, kF32, kF64 };

inline const std::vector<uint32_t>& EdgeF32() {
  static const std::vector<uint32_t> v = {
      0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000, 0xc0200000,
      0x3f000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00001, 0xff812345,
      0x00000001, 0x807fffff, 0x00400000, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x4f000000,
      0xcf000000, 0x4effffff, 0x5f000000, 0xdf000001, 0x3eaaaaab, 0x40400000, 0x501502f9,
      0x0c000000, 0x8c000001, 0x72000000, 0x4b800001};
  return v;
}
inline const std::vector<uint64_t>& EdgeF64() {
  static const std::vector<uint64_t> v = {
      0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
      0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000, 0x3fe0000000000000,
      0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0xfff8000000000000,
      0x7ff4000000000001, 0xfff0000000012345, 0x0000000000000001, 0x800fffffffffffff,
      0x0008000000000000, 0x7fefffffffffffff, 0xffefffffffffffff, 0x0010000000000000,
      0x41e0000000000000, 0xc1e0000000000000, 0x41dfffffffc00000, 0x43e0000000000000,
      0xc3e0000000000001, 0x3fd5555555555555, 0x4008000000000000, 0x36a0000000000000,
      0x47efffffe0000000, 0x3810000000000000, 0xc7f0000000000000, 0x41dfffffffffffff};
  return v;
}
inline const std::vector<uint16_t>& EdgeI16() {
  static const std::vector<uint16_t> v = {0,      1,      0x7f,   0x80,   0xff,   0x100,  0x7fff,
                                          0x8000, 0x8001, 0xffff, 0xff80, 0x00ff, 0x5555, 0xaaaa};
  return v;
}

inline void RandomXmm(Rng& rng, uint8_t* out, Lanes lanes) {
  for (unsigned i = 0; i < 16;) {
    bool edge = rng.Chance(75);
    if (lanes == Lanes::kF32) {
      uint32_t v = edge ? rng.Pick(EdgeF32()) : static_cast<uint32_t>(rng.Next());
      memcpy(out + i, &v, 4);
      i += 4;
    } else if (lanes == Lanes::kF64) {
      uint64_t v = edge ? rng.Pick(EdgeF64()) : rng.Next();
      memcpy(out + i, &v, 8);
      i += 8;
    } else {
      uint16_t v = edge ? rng.Pick(EdgeI16()) : static_cast<uint16_t>(rng.Next());
      memcpy(out + i, &v, 2);
      i += 2;
    }
  }
}

// MXCSR settings: every rounding mode, FTZ, DAZ, sticky flags, unmasked exceptions (#XM),
// unmasked overflow (0x1b80) and underflow (0x1780).
inline const std::vector<uint32_t>& FpMxcsrs() {
  static const std::vector<uint32_t> v = {0x1f80, 0x3f80,        0x5f80, 0x7f80, 0x9f80, 0x1fc0,
                                          0xffc0, 0x1f80 | 0x3f, 0x1f00, 0x1d80, 0x0f80, 0x1e80,
                                          0x7fc0, 0xbf80,        0x1b80, 0x1780};
  return v;
}

constexpr uint64_t kVecMem = kBaseValue + 0x200;  // 16-byte aligned operand in the data area

// An input with random XMM registers (and the memory operand at kVecMem) of the given lanes.
inline CaseInput Input(Rng& rng, Lanes lanes, uint32_t mxcsr) {
  CaseInput in = RandomInput(rng);
  for (auto& x : in.regs.xmm) RandomXmm(rng, x, lanes);
  in.regs.mxcsr = mxcsr;
  uint8_t m[16];
  RandomXmm(rng, m, lanes);
  for (unsigned q = 0; q < 2; ++q) {
    uint64_t v;
    memcpy(&v, m + 8 * q, 8);
    in.mem.push_back({kVecMem + 8 * q, v, 8});
  }
  return in;
}

inline std::vector<CaseInput> Inputs(Rng& rng, Lanes lanes, unsigned n, bool fp_modes) {
  std::vector<CaseInput> v;
  for (unsigned i = 0; i < n; ++i) {
    uint32_t mxcsr = fp_modes ? FpMxcsrs()[i % FpMxcsrs().size()] : 0x1f80;
    v.push_back(Input(rng, lanes, mxcsr));
  }
  return v;
}

// `id xmm1, xmm2`, `id xmm3, xmm3` and `id xmm4, [mem]` (mem_bytes wide; 0 = no memory form),
// each with imm8 when `imm` >= 0.
inline void CheckVec(DiffHarness& h, uint32_t id, Lanes lanes, unsigned mem_bytes, Rng& rng,
                     int imm = -1, unsigned n = 60) {
  bool fp = lanes != Lanes::kInt;
  std::vector<CaseInput> inputs = Inputs(rng, lanes, n, fp);
  auto emit = [&](Asm& a, const asmjit::Operand& d, const asmjit::Operand& s) {
    if (imm >= 0) {
      a.emit(id, d, s, asmjit::Imm(imm));
    } else {
      a.emit(id, d, s);
    }
  };
  RunAll(
      h, [&](Asm& a) { emit(a, x86::xmm1, x86::xmm2); }, inputs);
  RunAll(
      h, [&](Asm& a) { emit(a, x86::xmm3, x86::xmm3); }, inputs);
  RunAll(
      h, [&](Asm& a) { emit(a, x86::xmm9, x86::xmm14); }, inputs);
  if (mem_bytes) {
    RunAll(
        h, [&](Asm& a) { emit(a, x86::xmm4, x86::ptr(x86::r15, 0x200, mem_bytes)); }, inputs);
  }
}

// FNINIT (the runs' start) keeps the physical registers' contents, which MMX then exposes as
// valid: every sequence first gives all eight a known value, leaving the stack empty.
inline void ClearMm(Asm& a) {
  for (unsigned i = 0; i < 8; ++i) a.pxor(x86::mm(i), x86::mm(i));
  a.emms();
}

// MM1/MM2/MM4 from XMM1/XMM2/XMM4 and MM3 from memory, then `id` in three forms.
inline void CheckMm(DiffHarness& h, uint32_t id, Rng& rng, int imm = -1) {
  std::vector<CaseInput> inputs = Inputs(rng, Lanes::kInt, 24, false);
  auto emit = [&](Asm& a, const asmjit::Operand& d, const asmjit::Operand& s) {
    if (imm >= 0) {
      a.emit(id, d, s, asmjit::Imm(imm));
    } else {
      a.emit(id, d, s);
    }
  };
  RunAll(
      h,
      [&](Asm& a) {
        ClearMm(a);
        a.movdq2q(x86::mm1, x86::xmm1);
        a.movdq2q(x86::mm2, x86::xmm2);
        a.movdq2q(x86::mm4, x86::xmm4);
        a.movq(x86::mm3, x86::ptr(x86::r15, 0x200, 8));
        emit(a, x86::mm1, x86::mm2);
        emit(a, x86::mm3, x86::ptr(x86::r15, 0x208, 8));
        emit(a, x86::mm4, x86::mm4);
      },
      inputs);
}

class SseTest : public testing::TestWithParam<Engine> {};

}  // namespace doppel::test::sse
