// ir/ir.cpp: the op table expanded into OpInfo, type names, condition-code flag sets.
#include "ir/ir.h"

namespace doppel::ir {

namespace {
constexpr unsigned CountArgs(TypeClass a, TypeClass b, TypeClass c) {
  return (a != kVoid) + (b != kVoid) + (c != kVoid);
}
const OpInfo kOpInfo[] = {
#define OP(name, res, a0, a1, a2, props) {#name, res, {a0, a1, a2}, props, CountArgs(a0, a1, a2)},
#include "ir/opcodes.inc"
#undef OP
};
}  // namespace

const OpInfo& Info(Opcode op) { return kOpInfo[static_cast<unsigned>(op)]; }

bool HasSideEffect(Opcode op) {
  return HasProp(op,
                 kWritesReg | kWritesFlags | kWritesVec | kMemWrite | kMayFault | kBarrier | kCall);
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kVoid: return "void";
    case Type::kI1: return "i1";
    case Type::kI8: return "i8";
    case Type::kI16: return "i16";
    case Type::kI32: return "i32";
    case Type::kI64: return "i64";
  }
  return "?";
}

uint64_t CondFlagsRead(unsigned cc) {
  switch (cc >> 1) {
    case 0: return kOF;
    case 1: return kCF;
    case 2: return kZF;
    case 3: return kCF | kZF;
    case 4: return kSF;
    case 5: return kPF;
    case 6: return kSF | kOF;
    default: return kSF | kOF | kZF;
  }
}

const char* ExitReasonName(ExitReason r) {
  switch (r) {
    case ExitReason::kNone: return "none";
    case ExitReason::kLink: return "link";
    case ExitReason::kIndirect: return "indirect";
    case ExitReason::kException: return "exception";
    case ExitReason::kHalt: return "halt";
    case ExitReason::kSyscall: return "syscall";
    case ExitReason::kBudget: return "budget";
    case ExitReason::kSmcRestart: return "smc-restart";
    case ExitReason::kDispatch: return "dispatch";
  }
  return "?";
}

}  // namespace doppel::ir
