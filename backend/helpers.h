// backend/helpers.h: the calls generated code and the interpreter make into the runtime for the
// slow path of memory accesses and for complex or sensitive operations. A helper that raises a
// guest exception sets CpuState::exit_reason (and rip = pc); the caller then leaves the block.
#pragma once
#include <cstdint>

#include "runtime/cpu_state.h"

namespace doppel::backend {

enum class DivKind : uint32_t { kUDiv, kURem, kSDiv, kSRem };

struct Helpers {
  // Memory slow path (TLB miss, page crossing, code page, fault). size is 1, 2, 4 or 8.
  uint64_t (*load)(CpuState*, uint64_t addr, uint32_t size, uint64_t pc);
  void (*store)(CpuState*, uint64_t addr, uint64_t value, uint32_t size, uint64_t pc);
  // (hi:lo) / d for operands of `bits` width; raises #DE.
  uint64_t (*div)(CpuState*, uint32_t kind_and_bits, uint64_t hi, uint64_t lo, uint64_t d,
                  uint64_t pc);
  void (*cpuid)(CpuState*);
  uint64_t (*rdtsc)(CpuState*);
  // One x87 instruction (runtime/x87.h X87Execute); raises #MF.
  uint64_t (*x87)(CpuState*, uint64_t imm, uint64_t rflags, uint64_t ea, uint64_t pc);
  // The guest x87 state into and out of the host FPU (runtime/x87.h X87Enter, X87Leave): the JIT
  // runs x87 instructions inline while it is there.
  void (*x87_enter)(CpuState*);
  void (*x87_leave)(CpuState*);
  // Vector memory slow path: `mem_imm` is the VLoad/VStore imm (slot, bytes, align; ir/vector.h).
  // A load writes the slot (zero-extended) only when every byte was read.
  void (*vload)(CpuState*, uint64_t addr, uint32_t mem_imm, uint64_t pc);
  void (*vstore)(CpuState*, uint64_t addr, uint32_t mem_imm, uint64_t pc);
  // A sensitive instruction (ir::SystemOp in imm, see ir/system.h); raises guest exceptions.
  uint64_t (*system)(CpuState*, uint64_t imm, uint64_t a, uint64_t b, uint64_t pc);
  // One VOp computed by the portable reference (backend/interp/vector.cpp), for the few vecops
  // whose host instruction cannot report the guest's exception behaviour (dpps/dppd with an
  // unmasked exception stop between stages); raises #XM.
  void (*vec_op)(CpuState*, uint64_t imm, uint64_t pc);
};
inline uint32_t PackDiv(DivKind k, unsigned bits) { return static_cast<uint32_t>(k) << 8 | bits; }

// How a block left: the exit taken (numbered side exits first, in order, then the terminal's
// link exits: kLink has one, kCondLink two (true, then false)), or a reason with no exit.
struct BlockExit {
  uint32_t reason = 0;      // ir::ExitReason
  uint32_t exit_index = 0;  // valid when reason is kLink
};

}  // namespace doppel::backend
