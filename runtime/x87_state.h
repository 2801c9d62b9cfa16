// runtime/x87_state.h: the guest x87 FPU state inside CpuState: physical registers, control,
// status and abridged tag words, last instruction/operand pointers, and the operand buffer.
#pragma once
#include <cstdint>

namespace doppel {

struct X87State {
  // Physical registers R0..R7 (not stack order): an 80-bit value in bytes 0..9 of each.
  alignas(16) uint8_t fpr[8][16] = {};
  uint16_t fcw = 0x037F;
  uint16_t fsw = 0;  // TOP in bits 13..11
  // Abridged tag word (FXSAVE's form): bit i set = physical register i is not empty. The full
  // two-bit tags of FNSTENV/FNSAVE are derived from the register contents, as hardware does.
  uint8_t ftw = 0;
  uint8_t pad0 = 0;
  uint16_t fop = 0;  // 11-bit opcode of the last non-control instruction
  uint64_t fip = 0;  // its address
  uint64_t fdp = 0;  // the address of its memory operand
  uint16_t fcs = 0, fds = 0;
  // JIT bookkeeping, zero whenever the JIT is not running (backend/x64/emit_x87.cpp): `live` = the
  // host FPU holds this state (the fields above are stale); `undo` = a store's result was computed
  // (1, or 2 when it popped) and its guest store has not completed: leaving restores `undo_fsw`
  // (and the popped register's tag), so a faulting store leaves the state of the instruction start.
  uint8_t live = 0;
  uint8_t undo = 0;
  uint16_t undo_fsw = 0;
  // The memory operand of the running x87 instruction (up to the 108-byte FNSAVE image): guest
  // loads are copied here before the operation, stores are copied out of it afterwards.
  alignas(16) uint8_t opbuf[112] = {};
};

}  // namespace doppel
