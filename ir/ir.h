// ir/ir.h: the IR data model: typed values, instructions generated from opcodes.inc, explicit
// block terminals. A value is the index of the instruction that defines it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace doppel::ir {

enum class Type : uint8_t { kVoid, kI1, kI8, kI16, kI32, kI64 };

constexpr unsigned BitWidth(Type t) {
  switch (t) {
    case Type::kI1: return 1;
    case Type::kI8: return 8;
    case Type::kI16: return 16;
    case Type::kI32: return 32;
    case Type::kI64: return 64;
    default: return 0;
  }
}
constexpr Type IntType(unsigned bits) {
  return bits == 8 ? Type::kI8 : bits == 16 ? Type::kI16 : bits == 32 ? Type::kI32 : Type::kI64;
}
constexpr uint64_t WidthMask(Type t) {
  unsigned w = BitWidth(t);
  return w >= 64 ? ~0ull : (1ull << w) - 1;
}
const char* TypeName(Type t);

// Type classes used by the op table for argument and result checking.
enum TypeClass : uint8_t { kVoid, kT, kI1, kI8, kI64, kAnyInt };

enum Prop : uint32_t {
  kReadsReg = 1 << 0,
  kWritesReg = 1 << 1,
  kReadsFlags = 1 << 2,
  kWritesFlags = 1 << 3,
  kMemRead = 1 << 4,
  kMemWrite = 1 << 5,
  kMayFault = 1 << 6,  // guest state must be exact here: the op can raise a guest exception
  kBarrier = 1 << 7,   // leaves the block conditionally: guest state must be exact here
  kCall = 1 << 8,      // calls a helper that reads and writes guest state
  kReadsVec = 1 << 9,  // reads guest XMM/MXCSR state (a vector "slot", see ir/vector.h)
  kWritesVec = 1 << 10,
};

enum class Opcode : uint8_t {
#define OP(name, res, a0, a1, a2, props) k##name,
#include "ir/opcodes.inc"
#undef OP
  kCount
};

struct OpInfo {
  const char* name;
  TypeClass result;
  TypeClass args[3];
  uint32_t props;
  unsigned num_args;
};
const OpInfo& Info(Opcode op);
inline bool HasProp(Opcode op, uint32_t p) { return (Info(op).props & p) != 0; }
// True if the op has an effect beyond its result (must not be removed when unused).
bool HasSideEffect(Opcode op);

using Value = uint32_t;
constexpr Value kNoValue = 0xffffffffu;

struct Inst {
  Opcode op = Opcode::kNop;
  Type type = Type::kVoid;
  Value args[3] = {kNoValue, kNoValue, kNoValue};
  uint64_t imm = 0;
  uint64_t guest_pc = 0;  // address of the guest instruction this op belongs to
};

// RFLAGS bits.
enum Flag : uint64_t {
  kCF = 1 << 0,
  kPF = 1 << 2,
  kAF = 1 << 4,
  kZF = 1 << 6,
  kSF = 1 << 7,
  kTF = 1 << 8,
  kIF = 1 << 9,
  kDF = 1 << 10,
  kOF = 1 << 11,
};
constexpr uint64_t kArithFlags = kCF | kPF | kAF | kZF | kSF | kOF;
// x86 exception vectors.
enum Vector : uint32_t {
  kDivideError = 0,
  kDebug = 1,
  kBreakpoint = 3,
  kOverflow = 4,
  kBoundRange = 5,
  kInvalidOpcode = 6,
  kDeviceNotAvailable = 7,
  kGeneralProtection = 13,
  kPageFault = 14,
  kSimdFloatingPoint = 19,
};
// Set in a kException exit's error code when INT n raised the vector (a trap: RIP is after the
// instruction, no hardware error code; system mode applies the gate's DPL check to it).
constexpr uint32_t kSoftwareInterrupt = 1u << 31;
// Bits 8..11 of that error code: the instruction's length (a fault during delivery reports the
// INT instruction's own address).
constexpr unsigned kSoftwareInterruptLengthShift = 8;

// Flag bits each condition code reads.
uint64_t CondFlagsRead(unsigned cc);

enum class ExitReason : uint32_t {
  kNone = 0,
  kLink,        // chained/linked exit to a constant PC
  kIndirect,    // computed target
  kException,   // guest exception: vector/error code in CPU state
  kHalt,        // HLT
  kSyscall,     // SYSCALL (process mode hands it to the OS layer)
  kBudget,      // instruction budget exhausted at block entry
  kSmcRestart,  // a store hit the running block's own code: re-run that instruction alone
  kDispatch,  // state translated code depends on changed (mode, CS, paging, IF): look RIP up again
};
const char* ExitReasonName(ExitReason r);

struct Terminal {
  enum class Kind : uint8_t { kNone, kLink, kCondLink, kIndirect, kExit };
  Kind kind = Kind::kNone;
  // kCondLink: I1 condition; kIndirect: I64 target; kExit: I64 RIP replacing pc when present
  Value value = kNoValue;
  uint64_t pc = 0;                        // kLink target, kCondLink target if true, kExit RIP
  uint64_t pc_false = 0;                  // kCondLink target if false
  ExitReason reason = ExitReason::kNone;  // kExit
  uint32_t vector = 0;                    // kExit with kException
  uint32_t error_code = 0;
};

struct Block {
  uint64_t guest_pc = 0;
  uint32_t mode = 0;
  uint32_t guest_insns = 0;
  uint32_t guest_bytes = 0;
  std::vector<Inst> insts;
  Terminal term;

  const Inst& operator[](Value v) const { return insts[v]; }
  Inst& operator[](Value v) { return insts[v]; }
};

std::string Print(const Block& b);
// Returns an empty string when the block is well formed, otherwise the first problem found.
std::string Verify(const Block& b);

}  // namespace doppel::ir
