// frontend/x86/string.cpp: string instructions movs, stos, lods, cmps, scas (byte..qword), with
// the direction flag and REP/REPE/REPNE. A repeated instruction runs one iteration per block
// execution: it exits early when the count is already 0, and its terminal loops back to itself
// while the count (and, for cmps/scas, ZF) says so, so every iteration ends in exact guest state.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

constexpr unsigned kRax = 0, kRcx = 1, kRsi = 6, kRdi = 7;
constexpr unsigned kCondZ = 4, kCondNZ = 5;

enum class Str { kMovs, kStos, kLods, kCmps, kScas };

// The source segment: DS unless overridden; Zydis folds the override into the rSI operand.
ZydisRegister SourceSegment(Context& c) {
  for (unsigned i = 0; i < c.insn.d.operand_count; ++i) {
    const ZydisDecodedOperand& op = c.Op(i);
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
    ZydisRegister base = op.mem.base;
    if (base == ZYDIS_REGISTER_RSI || base == ZYDIS_REGISTER_ESI || base == ZYDIS_REGISTER_SI) {
      return op.mem.segment;
    }
  }
  return ZYDIS_REGISTER_DS;
}

template <Str kStr>
void StringOp(Context& c) {
  // MOVSD and CMPSD share their mnemonics with SSE2 instructions in map 0F (sse_move.cpp,
  // sse_fp.cpp): one translator per mnemonic, dispatching on the opcode map.
  if (c.insn.d.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT) {
    if (kStr == Str::kMovs) {
      TranslateSseMovsd(c);
    } else if (kStr == Str::kCmps) {
      TranslateSseCmpsd(c);
    } else {
      c.RaiseException(ir::kInvalidOpcode);
    }
    return;
  }
  ir::Emitter& ir = c.ir;
  const Type t = ir::IntType(c.insn.d.operand_width);
  const Type at = c.AddressType();
  const bool repne = c.insn.Has(ZYDIS_ATTRIB_HAS_REPNE);
  const bool rep = repne || c.insn.Has(ZYDIS_ATTRIB_HAS_REP) || c.insn.Has(ZYDIS_ATTRIB_HAS_REPE);
  constexpr bool kCompares = kStr == Str::kCmps || kStr == Str::kScas;
  constexpr bool kUsesSource = kStr == Str::kMovs || kStr == Str::kLods || kStr == Str::kCmps;
  constexpr bool kUsesDest = kStr != Str::kLods;

  Value count = ir::kNoValue;
  if (rep) {
    count = ir.GetReg(at, kRcx);
    ir.SideExit(ir.CmpEq(count, ir.Const(at, 0)), c.insn.next_pc);
  }
  const uint64_t size = ir::BitWidth(t) / 8;
  const unsigned bytes = static_cast<unsigned>(size);
  Value step = ir.Select(ir.GetFlag(ir::kDF), ir.Const(at, 0 - size), ir.Const(at, size));
  Value si = kUsesSource ? ir.GetReg(at, kRsi) : ir::kNoValue;
  Value di = kUsesDest ? ir.GetReg(at, kRdi) : ir::kNoValue;

  // Memory first, so a fault leaves the registers of the instruction's start.
  Value flags = ir::kNoValue;
  switch (kStr) {
    case Str::kMovs: {
      Value v = ir.Load(t, c.Linear(SourceSegment(c), si, bytes, Context::kSegRead));
      ir.Store(c.Linear(ZYDIS_REGISTER_ES, di, bytes, Context::kSegWrite), v);
      break;
    }
    case Str::kStos:
      ir.Store(c.Linear(ZYDIS_REGISTER_ES, di, bytes, Context::kSegWrite), ir.GetReg(t, kRax));
      break;
    case Str::kLods:
      ir.SetReg(kRax, ir.Load(t, c.Linear(SourceSegment(c), si, bytes, Context::kSegRead)));
      break;
    case Str::kCmps: {
      Value a = ir.Load(t, c.Linear(SourceSegment(c), si, bytes, Context::kSegRead));
      Value b = ir.Load(t, c.Linear(ZYDIS_REGISTER_ES, di, bytes, Context::kSegRead));
      flags = ir.FlagsSub(a, b);
      break;
    }
    case Str::kScas: {
      Value b = ir.Load(t, c.Linear(ZYDIS_REGISTER_ES, di, bytes, Context::kSegRead));
      flags = ir.FlagsSub(ir.GetReg(t, kRax), b);
      break;
    }
  }
  if (kUsesSource) ir.SetReg(kRsi, ir.Add(si, step));
  if (kUsesDest) ir.SetReg(kRdi, ir.Add(di, step));
  if (kCompares) c.SetFlags(ir::kArithFlags, flags);
  if (!rep) return;

  Value left = ir.Sub(count, ir.Const(at, 1));
  ir.SetReg(kRcx, left);
  Value again = ir.CmpNe(left, ir.Const(at, 0));
  if (kCompares) {
    // REPE continues while ZF = 1, REPNE while ZF = 0 (I1 values have no And: combine as bytes).
    Value zf_ok = ir.Cond(repne ? kCondNZ : kCondZ, flags);
    Value both = ir.And(ir.ZExt(Type::kI8, again), ir.ZExt(Type::kI8, zf_ok));
    again = ir.CmpNe(both, ir.Imm8(0));
  }
  ir.CondLink(again, c.insn.pc, c.insn.next_pc);
}

}  // namespace

void RegisterString(TranslatorTable& t) {
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSD, ZYDIS_MNEMONIC_MOVSQ}) {
    t.Add(m, StringOp<Str::kMovs>);
  }
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD, ZYDIS_MNEMONIC_STOSQ}) {
    t.Add(m, StringOp<Str::kStos>);
  }
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW, ZYDIS_MNEMONIC_LODSD, ZYDIS_MNEMONIC_LODSQ}) {
    t.Add(m, StringOp<Str::kLods>);
  }
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_CMPSB, ZYDIS_MNEMONIC_CMPSW, ZYDIS_MNEMONIC_CMPSD, ZYDIS_MNEMONIC_CMPSQ}) {
    t.Add(m, StringOp<Str::kCmps>);
  }
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_SCASB, ZYDIS_MNEMONIC_SCASW, ZYDIS_MNEMONIC_SCASD, ZYDIS_MNEMONIC_SCASQ}) {
    t.Add(m, StringOp<Str::kScas>);
  }
}

}  // namespace doppel::frontend
