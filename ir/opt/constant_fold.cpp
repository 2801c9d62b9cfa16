// ir/opt/constant_fold.cpp: folds ops whose arguments are constants and selects with a constant
// condition. Only ops whose semantics are width-trivial are folded here; the rest are left alone.
#include <optional>

#include "ir/opt/passes.h"

namespace doppel::ir::opt {

namespace {

int64_t SignExtend(uint64_t v, unsigned w) {
  return w >= 64 ? static_cast<int64_t>(v) : static_cast<int64_t>(v << (64 - w)) >> (64 - w);
}

std::optional<uint64_t> Fold(const Block& b, const Inst& in) {
  const OpInfo& info = Info(in.op);
  uint64_t a[3] = {};
  for (unsigned i = 0; i < info.num_args; ++i) {
    const Inst& def = b.insts[in.args[i]];
    if (def.op != Opcode::kConst) return std::nullopt;
    a[i] = def.imm;
  }
  auto w = [&](unsigned i) { return BitWidth(b.insts[in.args[i]].type); };
  unsigned rw = BitWidth(in.type);
  switch (in.op) {
    case Opcode::kAdd: return a[0] + a[1];
    case Opcode::kSub: return a[0] - a[1];
    case Opcode::kAnd: return a[0] & a[1];
    case Opcode::kOr: return a[0] | a[1];
    case Opcode::kXor: return a[0] ^ a[1];
    case Opcode::kMul: return a[0] * a[1];
    case Opcode::kNot: return ~a[0];
    case Opcode::kNeg: return 0 - a[0];
    case Opcode::kShl: return a[1] >= rw ? 0 : a[0] << a[1];
    case Opcode::kShr: return a[1] >= rw ? 0 : a[0] >> a[1];
    case Opcode::kZExt:
    case Opcode::kTrunc: return a[0];
    case Opcode::kSExt: return static_cast<uint64_t>(SignExtend(a[0], w(0)));
    case Opcode::kCmpEq: return a[0] == a[1];
    case Opcode::kCmpNe: return a[0] != a[1];
    case Opcode::kCmpULt: return a[0] < a[1];
    case Opcode::kCmpSLt: return SignExtend(a[0], w(0)) < SignExtend(a[1], w(1));
    default: return std::nullopt;
  }
}

// x + 0, x - 0, x | 0, x ^ 0 and shifts by 0 are x (the segment base of a flat segment is
// a constant 0 added to every address); kNoValue otherwise.
Value Identity(const Block& b, const Inst& in) {
  auto zero = [&](Value v) { return b.insts[v].op == Opcode::kConst && b.insts[v].imm == 0; };
  auto same_type = [&](Value v) { return b.insts[v].type == in.type; };
  switch (in.op) {
    case Opcode::kAdd:
    case Opcode::kOr:
    case Opcode::kXor:
      if (zero(in.args[0]) && same_type(in.args[1])) return in.args[1];
      [[fallthrough]];
    case Opcode::kSub:
    case Opcode::kShl:
    case Opcode::kShr:
    case Opcode::kSar:
      if (zero(in.args[1]) && same_type(in.args[0])) return in.args[0];
      return kNoValue;
    default: return kNoValue;
  }
}

}  // namespace

void ConstantFold(Block& b) {
  std::vector<Value> repl(b.insts.size(), kNoValue);
  bool changed = false;
  for (size_t i = 0; i < b.insts.size(); ++i) {
    Inst& in = b.insts[i];
    if (in.op == Opcode::kNop || in.op == Opcode::kConst) continue;
    for (Value& a : in.args) {
      if (a != kNoValue && repl[a] != kNoValue) a = repl[a];
    }
    if (in.op == Opcode::kSelect && b.insts[in.args[0]].op == Opcode::kConst) {
      repl[i] = b.insts[in.args[0]].imm ? in.args[1] : in.args[2];
      in = Inst{};
      changed = true;
      continue;
    }
    if ((in.op == Opcode::kXor || in.op == Opcode::kSub) && in.args[0] == in.args[1]) {
      const Type t = in.type;  // xor eax, eax / sub eax, eax: 0 (the flags use their own op)
      const uint64_t pc = in.guest_pc;
      in = Inst{};
      in.op = Opcode::kConst;
      in.type = t;
      in.guest_pc = pc;
      continue;
    }
    if (Value same = Identity(b, in); same != kNoValue) {
      repl[i] = same;
      in = Inst{};
      changed = true;
      continue;
    }
    if (std::optional<uint64_t> v = Fold(b, in)) {
      Type t = in.type;
      uint64_t pc = in.guest_pc;
      in = Inst{};
      in.op = Opcode::kConst;
      in.type = t;
      in.imm = *v & WidthMask(t);
      in.guest_pc = pc;
    }
  }
  if (changed) ReplaceUses(b, repl);
}

}  // namespace doppel::ir::opt
