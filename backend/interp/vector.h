// backend/interp/vector.h: reference semantics of the SSE/SSE2 vector operations (ir/vecops.inc)
// on the guest XMM/MXCSR state, for the interpreter.
#pragma once
#include <cstdint>

#include "runtime/cpu_state.h"

namespace doppel::interp {

// Each returns false when it raised a guest exception (#XM, #GP): CpuState::exit_reason,
// exception_vector and rip are set, and no vector state but MXCSR flags has changed.
bool VecOp(CpuState& s, uint64_t imm, uint64_t pc);  // VOp
bool VecFromGpr(CpuState& s, uint64_t imm, uint64_t value, unsigned bits,
                uint64_t pc);  // VFromGprOp
bool VecToGpr(CpuState& s, uint64_t imm, unsigned bits, uint64_t pc, uint64_t* out);
bool VecFlags(CpuState& s, uint64_t imm, uint64_t pc, uint64_t* out);
// VStrCmp: the RFLAGS image | index << 32 (the mask forms write XMM0).
uint64_t VecStrCmp(CpuState& s, uint64_t imm, uint64_t lengths);
bool SetMxcsr(CpuState& s, uint32_t value, uint64_t pc);
void RaiseGuestException(CpuState& s, uint32_t vector, uint64_t pc);

}  // namespace doppel::interp
