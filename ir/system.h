// ir/system.h: the operations of the IR's System op: sensitive and privileged instructions the
// runtime executes (trap-and-emulate in software), with the packing of their static operands.
#pragma once
#include <cstdint>

namespace doppel::ir {

enum class SystemOp : uint8_t {
  kIn,           // a = port; result = value (size bytes)
  kOut,          // a = port, b = value
  kInsOuts,      // one INS/OUTS iteration: extra = kind | rep | address size (runtime)
  kLoadSegment,  // extra = segment (ES..GS), a = selector (MOV/POP Sreg, LDS..LSS)
  kFarJump,      // a = selector, b = offset; result = new RIP
  kFarCall,      // a = selector, b = offset; result = new RIP
  kFarReturn,    // a = bytes to release after the return address (RETF imm16); result = RIP
  kIret,         // result = new RIP
  kMovToCr,      // extra = CR number, a = value
  kMovFromCr,    // extra = CR number; result = value
  kMovToDr,      // extra = DR number, a = value
  kMovFromDr,    // extra = DR number; result = value
  kLgdt,         // a = linear address of the pseudo-descriptor (extra bit 0: LIDT)
  kSgdt,         // a = linear address (extra bit 0: SIDT)
  kLldt,         // a = selector
  kLtr,          // a = selector
  kCli,
  kSti,
  kPopf,  // a = the popped image (operand size bits)
  kRdmsr,
  kWrmsr,
  kInvlpg,    // a = linear address
  kSyscall,   // result = new RIP
  kSysret,    // result = new RIP
  kSysenter,  // result = new RIP
  kSysexit,   // result = new RIP
  kSwapgs,
  kClts,
  kLmsw,  // a = new low 16 bits of CR0
  kLar,   // a = selector; result = access rights (ZF set on success)
  kLsl,   // a = selector; result = limit (ZF set on success)
  kVerr,  // a = selector (ZF)
  kVerw,
  kInto,  // raises #OF when OF is set
  kRdtscp,
  kReadSelector,  // extra = ES..GS (0..5), 6 = LDTR, 7 = TR; result = selector
  kBound,         // a = index (sign-extended), b = linear address of the bounds pair
  // An access of b bytes at offset a in segment extra & 7 (extra bit 4: read, bit 5: write):
  // #GP(0) (#SS(0) for SS) when the segment's limit or type forbids it.
  kSegCheck,
};

// imm = op | insn length << 8 | operand bytes << 16 | extra << 24 | address bytes << 32.
constexpr uint64_t PackSystem(SystemOp op, unsigned insn_length, unsigned operand_bytes,
                              unsigned extra = 0, unsigned address_bytes = 0) {
  return static_cast<uint64_t>(op) | static_cast<uint64_t>(insn_length) << 8 |
         static_cast<uint64_t>(operand_bytes) << 16 | static_cast<uint64_t>(extra & 0xff) << 24 |
         static_cast<uint64_t>(address_bytes) << 32;
}
struct SystemImm {
  SystemOp op;
  unsigned insn_length, operand_bytes, extra, address_bytes;
};
constexpr SystemImm UnpackSystem(uint64_t imm) {
  return {static_cast<SystemOp>(imm & 0xff), static_cast<unsigned>((imm >> 8) & 0xff),
          static_cast<unsigned>((imm >> 16) & 0xff), static_cast<unsigned>((imm >> 24) & 0xff),
          static_cast<unsigned>((imm >> 32) & 0xff)};
}

}  // namespace doppel::ir
