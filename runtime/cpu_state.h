// runtime/cpu_state.h: the guest CPU state as generated code and the interpreter see it. Plain
// data with a fixed layout: the JIT addresses fields by offsetof from a fixed host register.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ir/ir.h"  // x86 exception vectors
#include "runtime/x87_state.h"
#include "softmmu/tlb.h"

namespace doppel {

enum Gpr : unsigned {
  RAX,
  RCX,
  RDX,
  RBX,
  RSP,
  RBP,
  RSI,
  RDI,
  R8,
  R9,
  R10,
  R11,
  R12,
  R13,
  R14,
  R15
};
enum SegIndex : unsigned { ES, CS, SS, DS, FS, GS };

constexpr unsigned kJumpCacheBits = 12;
constexpr unsigned kJumpCacheSize = 1u << kJumpCacheBits;
struct JumpCacheEntry {
  uint64_t pc = ~0ull;    // guest PC, ~0 when empty
  void* block = nullptr;  // runtime::TranslatedBlock*, whose first field is the host entry
};
inline unsigned JumpCacheIndex(uint64_t pc) {
  return (pc ^ (pc >> kJumpCacheBits)) & (kJumpCacheSize - 1);
}

struct CpuState {
  uint64_t gpr[16] = {};
  uint64_t rip = 0;
  uint64_t rflags = 0x2;
  uint64_t seg_base[6] = {};
  // Instructions left before the dispatcher regains control; each block entry checks it and
  // subtracts its length, so hot chained loops still return for interrupts and stop conditions.
  int64_t budget = 0;
  uint32_t exit_reason = 0;  // ir::ExitReason set by helpers and exits
  uint32_t exception_vector = 0;
  uint32_t error_code = 0;
  uint32_t smc_single_step = 0;     // the running block is a one-instruction re-run after SMC
  uint64_t fault_addr = 0;          // CR2-like address of the last page fault
  void* last_exit_block = nullptr;  // block whose exit stub returned to the dispatcher
  uint32_t last_exit_index = 0;     // which of its exits
  uint32_t pad0 = 0;
  void* opaque = nullptr;  // the runtime's Cpu, for helpers
  alignas(64) softmmu::TlbEntry tlb[softmmu::kTlbSize];
  JumpCacheEntry jump_cache[kJumpCacheSize];
  // SSE state. vtmp holds memory operands of vector instructions (IR slots 16..17 follow xmm
  // directly, so slot n is at xmm + 16 * n).
  alignas(16) uint8_t xmm[16][16] = {};
  uint8_t vtmp[2][16] = {};
  uint32_t mxcsr = 0x1f80;
  uint32_t mxcsr_scratch = 0;  // the JIT's ldmxcsr/stmxcsr operand
  X87State x87;                // runtime/x87_state.h
};
static_assert(offsetof(CpuState, vtmp) == offsetof(CpuState, xmm) + 16 * 16);

}  // namespace doppel
