// ir/printer.cpp: text form of a block for -d ir / ir_opt and for test failure messages.
#include <cinttypes>
#include <cstdio>

#include "ir/ir.h"

namespace doppel::ir {

namespace {
void Append(std::string& s, const char* fmt, auto... args) {
  char buf[160];
  snprintf(buf, sizeof buf, fmt, args...);
  s += buf;
}
}  // namespace

std::string Print(const Block& b) {
  std::string s;
  Append(s, "block pc=0x%" PRIx64 " mode=%u insns=%u bytes=%u\n", b.guest_pc, b.mode, b.guest_insns,
         b.guest_bytes);
  uint64_t last_pc = ~0ull;
  for (size_t i = 0; i < b.insts.size(); ++i) {
    const Inst& in = b.insts[i];
    if (in.op == Opcode::kNop) continue;
    if (in.guest_pc != last_pc) {
      Append(s, "  ; guest 0x%" PRIx64 "\n", in.guest_pc);
      last_pc = in.guest_pc;
    }
    const OpInfo& info = Info(in.op);
    if (in.type != Type::kVoid) {
      Append(s, "  v%zu:%s = %s", i, TypeName(in.type), info.name);
    } else {
      Append(s, "  %s", info.name);
    }
    for (unsigned a = 0; a < info.num_args; ++a) Append(s, "%s v%u", a ? "," : "", in.args[a]);
    bool has_imm =
        in.op == Opcode::kConst || in.op == Opcode::kGetReg || in.op == Opcode::kSetReg ||
        in.op == Opcode::kGetRegHi8 || in.op == Opcode::kSetRegHi8 || in.op == Opcode::kSetFlags ||
        in.op == Opcode::kCond || in.op == Opcode::kGetSegBase || in.op == Opcode::kSideExit ||
        HasProp(in.op, kReadsVec | kWritesVec) || in.op == Opcode::kX87Op ||
        in.op == Opcode::kX87Load || in.op == Opcode::kX87Store || in.op == Opcode::kX87ToGpr ||
        in.op == Opcode::kSystem;
    if (has_imm) Append(s, "%s #0x%" PRIx64, info.num_args ? "," : "", in.imm);
    s += "\n";
  }
  const Terminal& t = b.term;
  switch (t.kind) {
    case Terminal::Kind::kNone: s += "  <no terminal>\n"; break;
    case Terminal::Kind::kLink: Append(s, "  -> link 0x%" PRIx64 "\n", t.pc); break;
    case Terminal::Kind::kCondLink:
      Append(s, "  -> if v%u link 0x%" PRIx64 " else 0x%" PRIx64 "\n", t.value, t.pc, t.pc_false);
      break;
    case Terminal::Kind::kIndirect: Append(s, "  -> indirect v%u\n", t.value); break;
    case Terminal::Kind::kExit:
      if (t.value != kNoValue)
        Append(s, "  -> exit %s pc=v%u\n", ExitReasonName(t.reason), t.value);
      else
        Append(s, "  -> exit %s pc=0x%" PRIx64 " vector=%u error=%u\n", ExitReasonName(t.reason),
               t.pc, t.vector, t.error_code);
      break;
  }
  return s;
}

}  // namespace doppel::ir
