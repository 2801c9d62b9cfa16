// ir/vector.h: the vector operations of ir/vecops.inc as an enum, and the packing of the static
// operands (op, slots, imm8) that the VOp-family IR ops carry in Inst::imm.
#pragma once
#include <cstdint>

namespace doppel::ir {

enum class VecKind : uint8_t {
  kInt,
  kIntImm,
  kFp,
  kToGpr,
  kToGprFp,
  kFromGpr,
  kFromGprFp,
  kFlags,
  kIntFlags,
  kStr
};

enum class VecOp : uint16_t {
#define VECOP(name, kind, has_imm, mnemonic) k##name,
#include "ir/vecops.inc"
#undef VECOP
  kCount
};

struct VecOpInfo {
  const char* name;
  VecKind kind;
  bool has_imm;
};
const VecOpInfo& Info(VecOp op);

// Vector state slots: XMM0..15 and two scratch slots for memory operands.
constexpr unsigned kNumXmm = 16;
constexpr unsigned kVecTemp0 = 16;
constexpr unsigned kVecTemp1 = 17;
constexpr unsigned kNumVecSlots = 18;
// MMX registers: MMn aliases the low 64 bits of x87 physical register n, whose 16-byte cells
// follow the scratch slots and MXCSR in CpuState (the backends assert the layout).
constexpr unsigned kMmxSlot0 = 19;

// MXCSR bits.
constexpr uint32_t kMxcsrFlags = 0x3f;  // IE DE ZE OE UE PE
constexpr uint32_t kMxcsrDaz = 1u << 6;
constexpr uint32_t kMxcsrMaskShift = 7;  // masks IM..PM at bits 7..12
constexpr uint32_t kMxcsrFtz = 1u << 15;
constexpr uint32_t kMxcsrDefault = 0x1f80;
constexpr uint32_t kMxcsrWritable = 0xffff;  // MXCSR_MASK reported by FXSAVE

// imm of VOp/VFromGprOp/VToGpr/VFlags.
constexpr uint64_t PackVec(VecOp op, unsigned dst, unsigned src, uint8_t imm8 = 0) {
  return static_cast<uint64_t>(op) | static_cast<uint64_t>(dst) << 16 |
         static_cast<uint64_t>(src) << 24 | static_cast<uint64_t>(imm8) << 32;
}
constexpr VecOp VecOpOf(uint64_t imm) { return static_cast<VecOp>(imm & 0xffff); }
constexpr unsigned VecDst(uint64_t imm) { return (imm >> 16) & 0xff; }
constexpr unsigned VecSrc(uint64_t imm) { return (imm >> 24) & 0xff; }
constexpr uint8_t VecImm8(uint64_t imm) { return static_cast<uint8_t>(imm >> 32); }

// imm of VLoad/VStore.
constexpr uint64_t PackVecMem(unsigned slot, unsigned bytes, bool align) {
  return slot | bytes << 8 | (align ? 1u : 0u) << 16;
}
constexpr unsigned VecMemSlot(uint64_t imm) { return imm & 0xff; }
constexpr unsigned VecMemBytes(uint64_t imm) { return (imm >> 8) & 0xff; }
constexpr bool VecMemAlign(uint64_t imm) { return (imm >> 16) & 1; }

}  // namespace doppel::ir
