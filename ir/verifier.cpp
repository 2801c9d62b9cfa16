// ir/verifier.cpp: structural and type checks of a block; the last step of every pass pipeline.
#include <string>

#include "ir/ir.h"

namespace doppel::ir {

namespace {
bool IsInt(Type t) { return t != Type::kVoid; }
bool IsWordInt(Type t) {
  return t == Type::kI8 || t == Type::kI16 || t == Type::kI32 || t == Type::kI64;
}

bool Matches(TypeClass c, Type own, Type actual) {
  switch (c) {
    case kVoid: return false;
    case kT: return actual == own;
    case kI1: return actual == Type::kI1;
    case kI8: return actual == Type::kI8;
    case kI64: return actual == Type::kI64;
    case kAnyInt: return IsInt(actual);
  }
  return false;
}
}  // namespace

std::string Verify(const Block& b) {
  auto fail = [](size_t i, const char* what) {
    std::string s = "v";
    s += std::to_string(i);
    s += ": ";
    s += what;
    return s;
  };
  for (size_t i = 0; i < b.insts.size(); ++i) {
    const Inst& in = b.insts[i];
    if (in.op >= Opcode::kCount) return fail(i, "bad opcode");
    if (in.op == Opcode::kNop) continue;
    const OpInfo& info = Info(in.op);
    switch (info.result) {
      case kVoid:
        if (in.type != Type::kVoid) return fail(i, "void op has a type");
        break;
      case kT:
        if (!IsWordInt(in.type)) return fail(i, "op needs an i8..i64 type");
        break;
      case kI1:
      case kI8:
      case kI64:
        if (!Matches(info.result, in.type, in.type)) return fail(i, "wrong result type");
        break;
      case kAnyInt:
        if (!IsInt(in.type)) return fail(i, "op needs an integer type");
        break;
    }
    // Ops without a typed result (SetReg, Store) take their operand type from the first kT arg.
    Type own = in.type;
    if (info.result != kT) {
      for (unsigned a = 0; a < info.num_args; ++a) {
        if (info.args[a] == kT && in.args[a] < i) {
          own = b.insts[in.args[a]].type;
          break;
        }
      }
    }
    for (unsigned a = 0; a < 3; ++a) {
      Value v = in.args[a];
      if (a >= info.num_args) {
        if (v != kNoValue) return fail(i, "extra argument");
        continue;
      }
      if (v >= i) return fail(i, "argument is not defined before use");
      const Inst& def = b.insts[v];
      if (def.op == Opcode::kNop) return fail(i, "argument refers to a removed instruction");
      if (def.type == Type::kVoid) return fail(i, "argument has no value");
      if (!Matches(info.args[a], own, def.type)) return fail(i, "argument type mismatch");
    }
    if ((in.op == Opcode::kGetReg || in.op == Opcode::kSetReg) && in.imm > 15)
      return fail(i, "bad register");
    if ((in.op == Opcode::kGetRegHi8 || in.op == Opcode::kSetRegHi8) && in.imm > 3)
      return fail(i, "bad high-byte register");
    if (in.op == Opcode::kCond && in.imm > 15) return fail(i, "bad condition code");
    if ((in.op == Opcode::kStore || in.op == Opcode::kSetReg) && !IsWordInt(own)) {
      return fail(i, "store of a non-word value");
    }
  }
  const Terminal& t = b.term;
  auto check_value = [&](Type want) -> std::string {
    if (t.value >= b.insts.size()) return "terminal value out of range";
    if (b.insts[t.value].op == Opcode::kNop) return "terminal uses a removed instruction";
    if (b.insts[t.value].type != want) return "terminal value has the wrong type";
    return "";
  };
  switch (t.kind) {
    case Terminal::Kind::kNone: return "block has no terminal";
    case Terminal::Kind::kCondLink: return check_value(Type::kI1);
    case Terminal::Kind::kIndirect: return check_value(Type::kI64);
    case Terminal::Kind::kExit:
      if (t.reason == ExitReason::kNone || t.reason == ExitReason::kLink)
        return "exit without a reason";
      if (t.value != kNoValue) return check_value(Type::kI64);
      break;
    default: break;
  }
  return "";
}

}  // namespace doppel::ir
