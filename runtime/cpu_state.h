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

// A segment register's hidden part (the descriptor cache); the base lives in CpuState::seg_base
// where translated code reads it.
struct SegmentCache {
  uint16_t selector = 0;
  uint16_t attrs =
      0;  // descriptor bits 40..55: type(4) S DPL(2) P | limit 19:16 (ignored) AVL L D/B G
  uint32_t limit = 0xffff;
};
// Attribute bits of SegmentCache::attrs.
enum SegAttr : uint16_t {
  kSegAccessed = 1 << 0,
  kSegWritable = 1 << 1,    // data; readable for code
  kSegConforming = 1 << 2,  // code; expand-down for data
  kSegCode = 1 << 3,
  kSegS = 1 << 4,  // code/data (not system)
  kSegPresent = 1 << 7,
  kSegLong = 1 << 13,
  kSegDb = 1 << 14,  // D (code: 32-bit default) / B (stack: 32-bit SP)
  kSegGranularity = 1 << 15,
};
inline unsigned SegDpl(uint16_t attrs) { return (attrs >> 5) & 3; }

// Privileged state, used in system mode (`doppel boot`). Process mode leaves it at reset values.
struct SystemState {
  SegmentCache seg[6];  // ES CS SS DS FS GS
  SegmentCache ldtr, tr;
  uint64_t ldtr_base = 0, tr_base = 0;
  uint64_t gdtr_base = 0, idtr_base = 0;
  uint32_t gdtr_limit = 0xffff, idtr_limit = 0x3ff;
  uint64_t cr0 = 0x60000010;  // CD NW ET, as after reset
  uint64_t cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
  uint64_t efer = 0;
  uint64_t dr[8] = {0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400};
  uint32_t cpl = 0;
  uint32_t halted = 0;
  // Interrupts are inhibited until after the next instruction (STI, MOV SS, POP SS).
  uint32_t interrupt_shadow = 0;
  uint32_t pad = 0;
  uint64_t star = 0, lstar = 0, cstar = 0, sfmask = 0, kernel_gs_base = 0;
  uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  uint64_t pat = 0x0007040600070406ull, tsc_aux = 0, misc_enable = 1;
};

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
  // JIT scratch while a block keeps the guest MXCSR in the host's: the host MXCSR after the
  // last two FP operations (alternating) and the guest's unmasked exception flags.
  uint32_t mxcsr_after[2] = {};
  uint32_t mxcsr_unmasked = 0;
  // The JIT: the host MXCSR holds the guest's controls (every exception masked) and only flags
  // already merged into mxcsr, so a run of FP ops can start without LDMXCSR. Set when a run ends
  // that way; cleared when generated code exits or calls a helper and when the guest writes MXCSR.
  uint32_t mxcsr_kept = 0;
  alignas(64) softmmu::TlbEntry tlb[softmmu::kTlbSize];
  JumpCacheEntry jump_cache[kJumpCacheSize];
  // SSE state. vtmp holds memory operands of vector instructions (IR slots 16..17 follow xmm
  // directly, so slot n is at xmm + 16 * n).
  alignas(16) uint8_t xmm[16][16] = {};
  uint8_t vtmp[2][16] = {};
  uint32_t mxcsr = 0x1f80;
  uint32_t mxcsr_scratch = 0;  // the JIT's ldmxcsr/stmxcsr operand
  X87State x87;                // runtime/x87_state.h
  SystemState sys;
};
static_assert(offsetof(CpuState, vtmp) == offsetof(CpuState, xmm) + 16 * 16);

}  // namespace doppel
