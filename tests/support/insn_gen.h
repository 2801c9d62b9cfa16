// tests/support/insn_gen.h: generates guest instruction sequences and inputs for the differential
// tests: operand helpers with edge values, and seeded random sequences of integer instructions.
#pragma once
#include <asmjit/x86.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/diff_harness.h"

namespace doppel::test {

using Asm = asmjit::x86::Assembler;

// Register conventions of generated code: R15 and R14 are data bases, R13 a small index; the
// generator never writes them (nor RSP other than by push/pop/call/ret).
constexpr unsigned kBaseReg = 15, kBase2Reg = 14, kIndexReg = 13;
constexpr uint64_t kBaseValue = kDataAddr + 0x1000;
constexpr uint64_t kBase2Value = kDataAddr + 0x3000;
constexpr uint64_t kIndexValue = 5;

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Chance(unsigned percent) { return Below(100) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  uint64_t s_;
};

uint64_t WidthMask(unsigned width);
// 0, 1, 2, -1, signed min/max, min+1, max-1, powers of two, alternating bits and two random
// values, all truncated to `width` bits.
std::vector<uint64_t> EdgeValues(unsigned width, Rng& rng);
// Shift/rotate counts: 0, 1, width-1, width, width+1, 31, 32, 63, 64 and a random byte.
std::vector<uint64_t> CountValues(unsigned width, Rng& rng);

// Random registers (with the conventions above), RSP at kStackInit and random status flags
// (DF clear).
CaseInput RandomInput(Rng& rng);

// A general-purpose register operand of `width` bits; `high` selects AH/CH/DH/BH (idx 0..3).
asmjit::x86::Gp Reg(unsigned idx, unsigned width, bool high = false);
// Writes `value` into the low `width` bits of register idx (or its high byte), keeping the
// random upper bits already in `in`.
void SetReg(CaseInput& in, unsigned idx, unsigned width, uint64_t value, bool high = false);

// A memory operand of `width` bits addressing data at `ea` through one of the addressing forms
// (base+disp8/disp32, base+index*scale+disp, second base, RIP-relative, absolute disp32).
constexpr unsigned kMemForms = 7;
asmjit::x86::Mem MemAt(uint64_t ea, unsigned width, unsigned form);

// Assembles a sequence at kCodeAddr.
std::vector<uint8_t> Build(const std::function<void(Asm&)>& body);

// Runs `inputs` against the code built by `body`; returns nothing, results collect in `h`.
void RunAll(DiffHarness& h, const std::function<void(Asm&)>& body,
            const std::vector<CaseInput>& inputs);

// A seeded random sequence of n instructions drawn from the whole integer set, with control flow
// that always reaches END, plus its inputs.
struct RandomSequence {
  std::vector<uint8_t> code;
  std::vector<CaseInput> inputs;
};
RandomSequence GenerateSequence(Rng& rng, unsigned min_insns, unsigned max_insns,
                                unsigned n_inputs);

}  // namespace doppel::test

namespace doppel::test {

// Single-instruction drivers: build each operand form of one instruction, run it over edge values
// (pairs for two operands) with random status flags, and collect the results in `h`.
enum FormBits : unsigned {
  kFormRR = 1,
  kFormRI = 2,
  kFormRM = 4,
  kFormMR = 8,
  kFormMI = 16,
  kAllForms = 31
};
// `id dst, src` for register, immediate and memory forms (8-bit pairs include AH..BH).
void CheckBinary(DiffHarness& h, uint32_t id, unsigned width, Rng& rng, unsigned forms = kAllForms);
// `id dst` on registers (and AH) and memory.
void CheckUnary(DiffHarness& h, uint32_t id, unsigned width, Rng& rng);
// `id dst, count` with count 1 (D1 form), every count of CountValues as imm8, and in CL.
void CheckShift(DiffHarness& h, uint32_t id, unsigned width, Rng& rng);
// `id dst, src, count` (shld/shrd) with immediate and CL counts, register and memory dst.
void CheckDoubleShift(DiffHarness& h, uint32_t id, unsigned width, Rng& rng);

// Where single-instruction drivers put memory operands: a few bytes apart per addressing form,
// some of them misaligned.
uint64_t OperandAddress(unsigned form);

}  // namespace doppel::test
