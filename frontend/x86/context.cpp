// frontend/x86/context.cpp: operand access for translators: registers by Zydis name, addressing
// forms, segments, the stack, and the translator table.
#include "frontend/x86/context.h"

#include <cassert>

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

// Index 0..15 of the 64-bit register enclosing r.
unsigned GprIndex(ZydisRegister r) {
  ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
  assert(full >= ZYDIS_REGISTER_RAX && full <= ZYDIS_REGISTER_R15);
  return full - ZYDIS_REGISTER_RAX;
}

bool IsHigh8(ZydisRegister r) { return r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH; }

unsigned SegIndex(ZydisRegister seg) {
  switch (seg) {
    case ZYDIS_REGISTER_ES: return 0;
    case ZYDIS_REGISTER_CS: return 1;
    case ZYDIS_REGISTER_SS: return 2;
    case ZYDIS_REGISTER_FS: return 4;
    case ZYDIS_REGISTER_GS: return 5;
    default: return 3;
  }
}

}  // namespace

static bool IsGpr(ZydisRegister r) {
  ZydisRegisterClass c = ZydisRegisterGetClass(r);
  return c == ZYDIS_REGCLASS_GPR8 || c == ZYDIS_REGCLASS_GPR16 || c == ZYDIS_REGCLASS_GPR32 ||
         c == ZYDIS_REGCLASS_GPR64;
}

static bool IsSegment(ZydisRegister r) {
  return ZydisRegisterGetClass(r) == ZYDIS_REGCLASS_SEGMENT;
}

Value Context::ReadReg(ZydisRegister r) {
  if (IsSegment(r)) {
    return ir.Trunc(Type::kI16,
                    System(ir::SystemOp::kReadSelector, ir::kNoValue, ir::kNoValue, SegIndex(r)));
  }
  if (!IsGpr(r)) {  // a register class doppel does not emulate: the instruction becomes #UD
    unsupported = true;
    return ir.Const(ir::Type::kI16, 0);
  }
  if (IsHigh8(r)) return ir.GetRegHi8(r - ZYDIS_REGISTER_AH);
  unsigned bits = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r);
  return ir.GetReg(ir::IntType(bits), GprIndex(r));
}

void Context::WriteReg(ZydisRegister r, Value v) {
  if (IsSegment(r)) {
    // MOV Sreg: the runtime loads the descriptor (and faults on a bad selector). A new SS can
    // change the stack size and inhibits interrupts for one instruction: the block ends.
    if (r == ZYDIS_REGISTER_CS) {
      unsupported = true;
      return;
    }
    System(ir::SystemOp::kLoadSegment, ir.ZExt(Type::kI64, ir.Trunc(Type::kI16, v)), ir::kNoValue,
           SegIndex(r));
    // In system mode any segment can change which accesses the block must check.
    if (r == ZYDIS_REGISTER_SS || IsSystem()) dispatch_after = true;
    return;
  }
  if (!IsGpr(r)) {
    unsupported = true;
    return;
  }
  if (IsHigh8(r)) {
    ir.SetRegHi8(r - ZYDIS_REGISTER_AH, v);
    return;
  }
  ir.SetReg(GprIndex(r), v);
}

Value Context::Linear(ZydisRegister seg, Value offset, unsigned bytes, unsigned access) {
  const unsigned index = SegIndex(seg);
  if (access && (insn.mode & (1u << (kModeSegCheckShift + index)))) {
    System(ir::SystemOp::kSegCheck, ir.ZExt(Type::kI64, offset), ir.Imm64(bytes), index | access);
  }
  // In 64-bit mode only FS and GS have a base; elsewhere every segment does.
  if (insn.code_bits == 64 && seg != ZYDIS_REGISTER_FS && seg != ZYDIS_REGISTER_GS) {
    return ir.ZExt(Type::kI64, offset);
  }
  Value base = ir.GetSegBase(SegIndex(seg));
  Value lin = ir.Add(base, ir.ZExt(Type::kI64, offset));
  return insn.code_bits == 64 ? lin : ir.ZExt(Type::kI64, ir.Trunc(Type::kI32, lin));
}

Value Context::EffectiveAddress(unsigned i) {
  const ZydisDecodedOperandMem& m = insn.ops[i].mem;
  Type at = AddressType();
  Value ea = ir::kNoValue;
  auto add = [&](Value v) { ea = ea == ir::kNoValue ? v : ir.Add(ea, v); };
  if (m.base == ZYDIS_REGISTER_RIP || m.base == ZYDIS_REGISTER_EIP) {
    add(ir.Const(at, insn.next_pc));
  } else if (m.base != ZYDIS_REGISTER_NONE) {
    add(ir.GetReg(at, GprIndex(m.base)));
  }
  if (m.index != ZYDIS_REGISTER_NONE) {
    Value idx = ir.GetReg(at, GprIndex(m.index));
    if (m.scale > 1) idx = ir.Shl(idx, ir.Imm8(__builtin_ctz(m.scale)));
    add(idx);
  }
  if (m.disp.has_displacement || ea == ir::kNoValue) {
    add(ir.Const(at, static_cast<uint64_t>(m.disp.value)));
  }
  return ea;
}

Value Context::Address(unsigned i) {
  if (addr_cache_[i] == ir::kNoValue) {
    const ZydisDecodedOperand& op = insn.ops[i];
    unsigned access = 0;
    if (op.actions & ZYDIS_OPERAND_ACTION_MASK_READ) access |= kSegRead;
    if (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) access |= kSegWrite;
    addr_cache_[i] = Linear(op.mem.segment, EffectiveAddress(i), (op.size + 7) / 8, access);
  }
  return addr_cache_[i];
}

Value Context::Read(unsigned i) {
  const ZydisDecodedOperand& op = insn.ops[i];
  switch (op.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER: return ReadReg(op.reg.value);
    case ZYDIS_OPERAND_TYPE_MEMORY: return ir.Load(OpType(i), Address(i));
    case ZYDIS_OPERAND_TYPE_IMMEDIATE: return ir.Const(OpType(i), op.imm.value.u);
    default: assert(false && "unsupported operand"); return ir::kNoValue;
  }
}

Value Context::ReadAs(unsigned i, Type t) {
  if (insn.ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) return ir.Const(t, insn.ops[i].imm.value.u);
  return Read(i);
}

void Context::Write(unsigned i, Value v) {
  const ZydisDecodedOperand& op = insn.ops[i];
  v = ir.Trunc(OpType(i), v);
  if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
    WriteReg(op.reg.value, v);
  } else {
    assert(op.type == ZYDIS_OPERAND_TYPE_MEMORY);
    ir.Store(Address(i), v);
  }
}

void Context::Push(Value v) {
  Type st = StackType();
  Value sp = ir.GetReg(st, 4);
  Value new_sp = ir.Sub(sp, ir.Const(st, ir::BitWidth(ir.TypeOf(v)) / 8));
  ir.Store(Linear(ZYDIS_REGISTER_SS, new_sp, ir::BitWidth(ir.TypeOf(v)) / 8, kSegWrite), v);
  ir.SetReg(4, new_sp);
}

Value Context::Pop(Type t) {
  Type st = StackType();
  Value sp = ir.GetReg(st, 4);
  Value v = ir.Load(t, Linear(ZYDIS_REGISTER_SS, sp, ir::BitWidth(t) / 8, kSegRead));
  ir.SetReg(4, ir.Add(sp, ir.Const(st, ir::BitWidth(t) / 8)));
  return v;
}

size_t TranslatorTable::Count() const {
  size_t n = 0;
  for (Translator f : fns_) n += f != nullptr;
  return n;
}

const TranslatorTable& Translators() {
  static const TranslatorTable table = [] {
    TranslatorTable t;
    RegisterDataMove(t);
    RegisterAlu(t);
    RegisterShift(t);
    RegisterMulDiv(t);
    RegisterBit(t);
    RegisterControl(t);
    RegisterCondition(t);
    RegisterString(t);
    RegisterMisc(t);
    RegisterSseMove(t);
    RegisterSseInt(t);
    RegisterSseFp(t);
    RegisterX87(t);
    RegisterMmx(t);
    RegisterCmpxchgWide(t);
    RegisterSystem(t);
    RegisterSsse3(t);
    RegisterSse4(t);  // after sse_move.cpp: replaces PEXTRW with the form that also stores
    RegisterBmi(t);
    RegisterLegacy(t);
    return t;
  }();
  return table;
}

int ConditionCode(ZydisMnemonic m) {
  static const ZydisMnemonic kJcc[16] = {
      ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,  ZYDIS_MNEMONIC_JNB,
      ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
      ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,  ZYDIS_MNEMONIC_JNP,
      ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE};
  static const ZydisMnemonic kSet[16] = {
      ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETNB,
      ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
      ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETNP,
      ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};
  static const ZydisMnemonic kCmov[16] = {
      ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
      ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
      ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
      ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};
  for (int cc = 0; cc < 16; ++cc) {
    if (m == kJcc[cc] || m == kSet[cc] || m == kCmov[cc]) return cc;
  }
  return -1;
}

}  // namespace doppel::frontend
