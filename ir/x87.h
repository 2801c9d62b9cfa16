// ir/x87.h: the static operand (imm) of the X87Op IR op. An x87 operation is named by its
// hardware encoding: the opcode byte and a ModRM byte whose memory form addresses the FPU's
// operand buffer, so every engine executes exactly the instruction the guest did.
#pragma once
#include <cstdint>

namespace doppel::ir {

enum X87OpFlag : uint32_t {
  kX87Waiting = 1u << 0,    // a waiting instruction: a pending unmasked exception raises #MF first
  kX87Commit = 1u << 1,     // write the resulting FPU state (0: only compute the memory result)
  kX87Memory = 1u << 2,     // has a memory operand (in the operand buffer)
  kX87Control = 1u << 3,    // a control instruction: keeps FIP/FDP/FOP
  kX87StoreForm = 1u << 4,  // both ops of a memory store (result first, commit after the store)
};

// opcode: 0xD8..0xDF, or 0x9B (FWAIT). modrm: register forms as encoded; memory forms carry the
// reg field only (the operand is the buffer). guest_modrm is recorded in FOP.
constexpr uint64_t PackX87(uint8_t opcode, uint8_t modrm, uint8_t guest_modrm, uint32_t flags) {
  return uint64_t{opcode} | uint64_t{modrm} << 8 | uint64_t{guest_modrm} << 16 |
         uint64_t{flags} << 24;
}
constexpr uint8_t X87Opcode(uint64_t imm) { return static_cast<uint8_t>(imm); }
constexpr uint8_t X87Modrm(uint64_t imm) { return static_cast<uint8_t>(imm >> 8); }
constexpr uint8_t X87GuestModrm(uint64_t imm) { return static_cast<uint8_t>(imm >> 16); }
constexpr uint32_t X87Flags(uint64_t imm) { return static_cast<uint32_t>(imm >> 24); }

// X87ToGpr imm: which word.
enum X87Word : uint32_t { kX87StatusWord = 0, kX87ControlWord = 1 };

}  // namespace doppel::ir
