// ir/opt/forward_guest_state.cpp: redundant guest-state access elimination. A register read after
// a read or write of the same register and width reuses that value; a register write overwritten
// by a later full write, with no read and no point where guest state must be exact in between,
// is removed; a condition evaluated on freshly read flags uses the image that set those flags.
#include <array>

#include "ir/opt/passes.h"

namespace doppel::ir::opt {

namespace {

constexpr unsigned kNumTypes = 6;
constexpr uint64_t kFlagBits[] = {kCF, kPF, kAF, kZF, kSF, kOF};

bool IsFullWrite(Type t) { return t == Type::kI64 || t == Type::kI32; }

}  // namespace

void ForwardGuestState(Block& b) {
  std::vector<Value> repl(b.insts.size(), kNoValue);
  std::array<std::array<Value, kNumTypes>, 16> known;
  for (auto& k : known) k.fill(kNoValue);
  std::array<Value, 16> pending_set;
  pending_set.fill(kNoValue);
  // For each arithmetic flag, the image that last set it (kNoValue if unknown).
  std::array<Value, 6> flag_writer;
  flag_writer.fill(kNoValue);
  // Snapshot of flag_writer taken at each GetFlags.
  std::vector<std::array<Value, 6>> flags_at;
  std::vector<Value> flags_snapshot_of(b.insts.size(), kNoValue);

  auto forget_reg = [&](unsigned r) { known[r].fill(kNoValue); };
  for (size_t i = 0; i < b.insts.size(); ++i) {
    Inst& in = b.insts[i];
    for (Value& a : in.args) {
      if (a != kNoValue && repl[a] != kNoValue) a = repl[a];
    }
    const unsigned ti = static_cast<unsigned>(in.type);
    switch (in.op) {
      case Opcode::kGetReg: {
        Value& k = known[in.imm][ti];
        if (k != kNoValue) {
          repl[i] = k;
          in = Inst{};
        } else {
          k = static_cast<Value>(i);
          pending_set[in.imm] = kNoValue;
        }
        break;
      }
      case Opcode::kSetReg: {
        unsigned r = in.imm;
        Type t = b.insts[in.args[0]].type;
        if (IsFullWrite(t) && pending_set[r] != kNoValue) b.insts[pending_set[r]] = Inst{};
        forget_reg(r);
        known[r][static_cast<unsigned>(t)] = in.args[0];
        pending_set[r] = IsFullWrite(t) ? static_cast<Value>(i) : kNoValue;
        break;
      }
      case Opcode::kGetRegHi8:
      case Opcode::kSetRegHi8:
        forget_reg(in.imm);
        pending_set[in.imm] = kNoValue;
        break;
      case Opcode::kSetFlags:
        for (unsigned f = 0; f < 6; ++f) {
          if (in.imm & kFlagBits[f]) flag_writer[f] = in.args[0];
        }
        break;
      case Opcode::kGetFlags:
        flags_snapshot_of[i] = static_cast<Value>(flags_at.size());
        flags_at.push_back(flag_writer);
        break;
      case Opcode::kCond: {
        Value g = in.args[0];
        if (b.insts[g].op != Opcode::kGetFlags) break;
        const auto& snap = flags_at[flags_snapshot_of[g]];
        uint64_t need = CondFlagsRead(static_cast<unsigned>(in.imm));
        Value src = kNoValue;
        bool same = true;
        for (unsigned f = 0; f < 6; ++f) {
          if (!(need & kFlagBits[f])) continue;
          if (src == kNoValue) src = snap[f];
          if (snap[f] == kNoValue || snap[f] != src) same = false;
        }
        if (same && src != kNoValue) in.args[0] = src;
        break;
      }
      default:
        if (HasProp(in.op, kMayFault | kBarrier | kCall)) pending_set.fill(kNoValue);
        if (HasProp(in.op, kWritesReg)) {
          for (auto& k : known) k.fill(kNoValue);
        }
        if (HasProp(in.op, kWritesFlags)) flag_writer.fill(kNoValue);
        break;
    }
  }
  ReplaceUses(b, repl);
}

}  // namespace doppel::ir::opt
