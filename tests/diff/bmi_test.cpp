// tests/diff/bmi_test.cpp: differential tests of BMI1, BMI2, ADX, MOVBE and CRC32 (frontend/x86/
// bmi.cpp) at 32 and 64 bits (MOVBE and CRC32 sources also at 8/16), register and memory
// sources, edge values and every interesting count/index/control, native vs each doppel engine.
#include <gtest/gtest.h>

#include "tests/support/engines.h"
#include "tests/support/insn_gen.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;
namespace Inst = x86::Inst;

class DiffBmi : public testing::TestWithParam<Engine> {};

constexpr unsigned kA = 3, kB = 6, kDst = 0;  // rbx, rsi: sources; rax: destination

// Pairs of edge values for A and B, with B drawn from `b_values` when given (counts, controls).
std::vector<CaseInput> Pairs(Rng& rng, unsigned w, const std::vector<uint64_t>& b_values,
                             uint64_t mem_ea) {
  std::vector<uint64_t> a_values = EdgeValues(w, rng);
  const std::vector<uint64_t>& bs = b_values.empty() ? a_values : b_values;
  std::vector<CaseInput> inputs;
  for (uint64_t a : a_values) {
    for (size_t k = 0; k < bs.size(); k += b_values.empty() ? 3 : 1) {
      CaseInput in = RandomInput(rng);
      SetReg(in, kA, w, a);
      SetReg(in, kB, w, bs[k]);
      in.mem.push_back({mem_ea, a & WidthMask(w), w / 8});
      inputs.push_back(in);
    }
  }
  return inputs;
}

// `id dst, a, b` with the r/m operand at position `rm` (1 or 2) as a register, then memory.
void Check3(DiffHarness& h, uint32_t id, unsigned rm, const std::vector<uint64_t>& b_values = {}) {
  Rng rng(id);
  for (unsigned w : {32, 64}) {
    const uint64_t ea = OperandAddress(4);
    std::vector<CaseInput> inputs = Pairs(rng, w, b_values, ea);
    for (bool mem : {false, true}) {
      RunAll(
          h,
          [&](Asm& a) {
            asmjit::Operand src_a = mem ? asmjit::Operand(MemAt(ea, w, 1)) : Reg(kA, w);
            if (rm == 1) {
              a.emit(id, Reg(kDst, w), src_a, Reg(kB, w));
            } else {
              a.emit(id, Reg(kDst, w), Reg(kB, w), src_a);
            }
          },
          inputs);
    }
    // Destination equal to a source.
    RunAll(
        h, [&](Asm& a) { a.emit(id, Reg(kA, w), Reg(kA, w), Reg(kB, w)); }, inputs);
  }
}

std::vector<uint64_t> Counts() {
  return {0,
          1,
          7,
          8,
          15,
          16,
          31,
          32,
          33,
          63,
          64,
          65,
          127,
          128,
          255,
          256,
          0x1ff,
          ~0ull,
          0x8000000000000020};
}

// bextr controls: start in bits 7:0, length in bits 15:8, garbage above.
std::vector<uint64_t> Controls() {
  std::vector<uint64_t> v;
  for (uint64_t start : {0, 1, 4, 31, 32, 63, 64, 200})
    for (uint64_t len : {0, 1, 5, 31, 32, 33, 64, 65, 255})
      v.push_back(start | len << 8 | (start == 4 ? 0xabcd0000ull : 0));
  return v;
}

TEST_P(DiffBmi, Bmi1) {
  DiffHarness h(GetParam());
  Check3(h, Inst::kIdAndn, 2);
  Check3(h, Inst::kIdBextr, 1, Controls());
  for (uint32_t id : {Inst::kIdBlsi, Inst::kIdBlsmsk, Inst::kIdBlsr}) {
    Rng rng(id);
    for (unsigned w : {32, 64}) {
      const uint64_t ea = OperandAddress(2);
      std::vector<CaseInput> inputs = Pairs(rng, w, {0}, ea);
      RunAll(
          h, [&](Asm& a) { a.emit(id, Reg(kDst, w), Reg(kA, w)); }, inputs);
      RunAll(
          h, [&](Asm& a) { a.emit(id, Reg(kA, w), Reg(kA, w)); }, inputs);
      RunAll(
          h, [&](Asm& a) { a.emit(id, Reg(kDst, w), MemAt(ea, w, 3)); }, inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffBmi, Bmi2) {
  DiffHarness h(GetParam());
  Check3(h, Inst::kIdBzhi, 1, Counts());
  Check3(h, Inst::kIdShlx, 1, Counts());
  Check3(h, Inst::kIdShrx, 1, Counts());
  Check3(h, Inst::kIdSarx, 1, Counts());
  Check3(h, Inst::kIdPdep, 2);
  Check3(h, Inst::kIdPext, 2);
  // mulx hi, lo, r/m with the implicit EDX/RDX, including hi == lo.
  Rng rng(77);
  for (unsigned w : {32, 64}) {
    const uint64_t ea = OperandAddress(5);
    std::vector<CaseInput> inputs = Pairs(rng, w, {}, ea);
    for (CaseInput& in : inputs) SetReg(in, 2, w, in.regs.gpr[kB]);
    RunAll(
        h, [&](Asm& a) { a.mulx(Reg(kDst, w), Reg(1, w), Reg(kA, w)); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.mulx(Reg(kDst, w), Reg(kDst, w), MemAt(ea, w, 0)); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.mulx(Reg(2, w), Reg(kA, w), Reg(2, w)); }, inputs);
    // rorx: every immediate up to past the width.
    std::vector<CaseInput> few(inputs.begin(), inputs.begin() + 8);
    for (unsigned imm = 0; imm <= w + 2; ++imm) {
      RunAll(
          h, [&](Asm& a) { a.rorx(Reg(kDst, w), Reg(kA, w), asmjit::Imm(imm)); }, few);
    }
    RunAll(
        h, [&](Asm& a) { a.rorx(Reg(kDst, w), MemAt(ea, w, 2), asmjit::Imm(13)); }, few);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffBmi, AdxChains) {
  DiffHarness h(GetParam());
  Rng rng(78);
  for (unsigned w : {32, 64}) {
    const uint64_t ea = OperandAddress(3);
    std::vector<CaseInput> inputs = Pairs(rng, w, {}, ea);  // random CF and OF in each input
    for (uint32_t id : {Inst::kIdAdcx, Inst::kIdAdox}) {
      RunAll(
          h, [&](Asm& a) { a.emit(id, Reg(kA, w), Reg(kB, w)); }, inputs);
      RunAll(
          h, [&](Asm& a) { a.emit(id, Reg(kB, w), MemAt(ea, w, 4)); }, inputs);
    }
    // Two interleaved carry chains, as multi-precision multiplies use them.
    RunAll(
        h,
        [&](Asm& a) {
          a.adcx(Reg(kA, w), Reg(kB, w));
          a.adox(Reg(kB, w), Reg(kA, w));
          a.adcx(Reg(kDst, w), Reg(kA, w));
          a.adox(Reg(kDst, w), Reg(kB, w));
        },
        inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffBmi, Movbe) {
  DiffHarness h(GetParam());
  Rng rng(79);
  for (unsigned w : {16, 32, 64}) {
    const uint64_t ea = OperandAddress(1);
    std::vector<CaseInput> inputs = Pairs(rng, w, {0}, ea);
    RunAll(
        h, [&](Asm& a) { a.movbe(Reg(kB, w), MemAt(ea, w, 0)); }, inputs);
    RunAll(
        h, [&](Asm& a) { a.movbe(MemAt(ea, w, 5), Reg(kA, w)); }, inputs);
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

TEST_P(DiffBmi, Crc32) {
  DiffHarness h(GetParam());
  Rng rng(80);
  for (unsigned dst_w : {32, 64}) {
    for (unsigned src_w : {8, 16, 32, 64}) {
      if ((src_w == 64) != (dst_w == 64) && src_w != 8) continue;  // r64 takes r/m8 or r/m64
      const uint64_t ea = OperandAddress(6);
      std::vector<CaseInput> inputs = Pairs(rng, src_w, {}, ea);
      RunAll(
          h, [&](Asm& a) { a.crc32(Reg(kB, dst_w), Reg(kA, src_w)); }, inputs);
      RunAll(
          h, [&](Asm& a) { a.crc32(Reg(kB, dst_w), MemAt(ea, src_w, 2)); }, inputs);
    }
  }
  EXPECT_TRUE(h.ok()) << h.Summary();
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffBmi, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
