// runtime/x87.h: the x87 FPU unit both engines call: executes one guest x87 instruction on the
// host FPU (bit-exact by construction) and converts the state to and from FXSAVE images.
#pragma once
#include <cstdint>

#include "runtime/cpu_state.h"

namespace doppel {

// Executes the x87 operation `imm` (ir/x87.h PackX87) on s->x87. `rflags` is the guest RFLAGS
// (read by FCMOVcc); the result is RFLAGS after the operation (written by FCOMI/FUCOMI: ZF PF CF
// set, OF SF AF cleared). `ea` is the memory operand's address (FDP). A waiting instruction with
// a pending unmasked exception raises #MF (vector 16) at `pc` instead and changes nothing.
uint64_t X87Execute(CpuState* s, uint64_t imm, uint64_t rflags, uint64_t ea, uint64_t pc);

// Reads guest memory without side effects on failure (runtime/helpers.cpp): the unit fills the
// operand buffer of a store with the destination's bytes, which the host instruction leaves
// alone when it raises an unmasked invalid, overflow or underflow exception.
bool PeekGuestMemory(CpuState* s, uint64_t addr, void* dst, unsigned n);

// For the JIT's inline x87 code (backend/x64/emit_x87.cpp). X87Enter loads the guest state into
// the host FPU and sets x87.live, but only while every exception is masked and none is pending,
// so no host instruction can trap and FOP/FDP never change (the rest goes through X87Execute).
// X87Leave saves the host FPU back into the state (undoing an unfinished store, see x87.undo),
// leaves the host FPU initialised and clears x87.live; both do nothing when already done.
void X87Enter(CpuState* s);
void X87Leave(CpuState* s);

// The x87 part of the 512-byte FXSAVE image (bytes 0..31 and the registers at 32..159), and
// back, for the FXSAVE/FXRSTOR translators. MXCSR and XMM fields are not touched.
void X87ToFxsave(const CpuState& s, uint8_t* image);
void X87FromFxsave(CpuState& s, const uint8_t* image);

}  // namespace doppel
