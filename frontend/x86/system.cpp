// frontend/x86/system.cpp: sensitive and privileged instructions: port I/O, segment loads, far
// transfers, IRET, control/debug registers, descriptor tables, MSRs, SYSCALL/SYSENTER, HLT,
// CLI/STI. Each becomes a System op the runtime executes (trap-and-emulate in software);
// instructions that change state translated code depends on end the block with a return to the
// dispatcher.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::SystemOp;
using ir::Type;
using ir::Value;

namespace {

constexpr unsigned kRsp = 4;

bool IsSegmentOperand(const ZydisDecodedOperand& op) {
  return op.type == ZYDIS_OPERAND_TYPE_REGISTER &&
         ZydisRegisterGetClass(op.reg.value) == ZYDIS_REGCLASS_SEGMENT;
}

unsigned SegmentIndex(ZydisRegister r) {
  switch (r) {
    case ZYDIS_REGISTER_ES: return 0;
    case ZYDIS_REGISTER_CS: return 1;
    case ZYDIS_REGISTER_SS: return 2;
    case ZYDIS_REGISTER_FS: return 4;
    case ZYDIS_REGISTER_GS: return 5;
    default: return 3;
  }
}

// Ends the block at the RIP the System op returned (far transfers, IRET, SYSCALL...).
void DispatchTo(Context& c, Value rip) { c.ir.ExitTo(ir::ExitReason::kDispatch, rip); }

// --- port I/O ----------------------------------------------------------------------------------

Value PortOperand(Context& c, unsigned i) { return c.ir.ZExt(Type::kI64, c.Read(i)); }

void In(Context& c) {
  Value v = c.System(SystemOp::kIn, PortOperand(c, 1));
  c.Write(0, c.ir.Trunc(c.OpType(0), v));
}

// OUT can change interrupt state or stop the machine (debug exit): back to the dispatcher.
void Out(Context& c) {
  c.System(SystemOp::kOut, PortOperand(c, 0), c.ir.ZExt(Type::kI64, c.Read(1)));
  c.dispatch_after = true;
}

// INS/OUTS with or without REP: the runtime runs every iteration.
template <bool kOuts>
void InsOuts(Context& c) {
  ZydisRegister seg = ZYDIS_REGISTER_DS;
  for (unsigned i = 0; i < c.insn.d.operand_count; ++i) {
    if (c.Op(i).type == ZYDIS_OPERAND_TYPE_MEMORY && kOuts) seg = c.Op(i).mem.segment;
  }
  bool rep = c.insn.Has(ZYDIS_ATTRIB_HAS_REP);
  unsigned extra = (kOuts ? 1 : 0) | (rep ? 2 : 0) | SegmentIndex(seg) << 2;
  c.System(SystemOp::kInsOuts, ir::kNoValue, ir::kNoValue, extra);
  c.dispatch_after = true;
}

// --- segment registers ---------------------------------------------------------------------------

// PUSH Sreg moves SP by the operand size but, as recent Intel processors do (SDM PUSH; the
// host, measured), writes only the 16-bit selector, leaving the rest of the slot unchanged.
void PushSegment(Context& c) {
  Type st = c.StackType();
  Value selector = c.Read(0);
  Value sp = c.ir.GetReg(st, kRsp);
  Value new_sp = c.ir.Sub(sp, c.Const(st, ir::BitWidth(c.OperandType()) / 8));
  c.Store(
      c.Linear(ZYDIS_REGISTER_SS, new_sp, ir::BitWidth(c.OperandType()) / 8, Context::kSegWrite),
      selector);
  c.ir.SetReg(kRsp, new_sp);
}

// POP Sreg: the descriptor is loaded before RSP moves, so a faulting load leaves RSP unchanged.
void PopSegment(Context& c) {
  Type st = c.StackType();
  Type t = c.OperandType();
  Value sp = c.ir.GetReg(st, kRsp);
  Value v = c.Load(t, c.Linear(ZYDIS_REGISTER_SS, sp, ir::BitWidth(t) / 8, Context::kSegRead));
  c.Write(0, c.ir.Trunc(Type::kI16, v));
  c.ir.SetReg(kRsp, c.ir.Add(sp, c.Const(st, ir::BitWidth(t) / 8)));
}

// LDS/LES/LFS/LGS/LSS r, m16:16/32/64: offset then selector from memory.
template <ZydisRegister kSeg>
void LoadFarPointer(Context& c) {
  Type t = c.OperandType();
  Value addr = c.Address(1);
  Value offset = c.Load(t, addr);
  Value sel = c.Load(Type::kI16, c.ir.Add(addr, c.ir.Imm64(ir::BitWidth(t) / 8)));
  c.System(SystemOp::kLoadSegment, c.ir.ZExt(Type::kI64, sel), ir::kNoValue, SegmentIndex(kSeg));
  c.Write(0, offset);
  if (kSeg == ZYDIS_REGISTER_SS || c.IsSystem()) c.dispatch_after = true;
}

// --- far transfers -------------------------------------------------------------------------------

// The selector and offset of a far JMP/CALL: an immediate pointer or m16:16/32/64.
void FarTarget(Context& c, Value* selector, Value* offset) {
  const ZydisDecodedOperand& op = c.Op(0);
  if (op.type == ZYDIS_OPERAND_TYPE_POINTER) {
    *selector = c.ir.Imm64(op.ptr.segment);
    *offset = c.ir.Imm64(op.ptr.offset);
    return;
  }
  Type t = c.OperandType();
  Value addr = c.Address(0);
  *offset = c.ir.ZExt(Type::kI64, c.Load(t, addr));
  Value sel = c.Load(Type::kI16, c.ir.Add(addr, c.ir.Imm64(ir::BitWidth(t) / 8)));
  *selector = c.ir.ZExt(Type::kI64, sel);
}

}  // namespace

void TranslateFarJump(Context& c) {
  Value sel, off;
  FarTarget(c, &sel, &off);
  DispatchTo(c, c.System(SystemOp::kFarJump, sel, off));
}

void TranslateFarCall(Context& c) {
  Value sel, off;
  FarTarget(c, &sel, &off);
  DispatchTo(c, c.System(SystemOp::kFarCall, sel, off));
}

void TranslateFarReturn(Context& c) {
  uint64_t release = 0;
  if (c.insn.d.operand_count_visible > 0 && c.Op(0).type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
    release = c.Op(0).imm.value.u & 0xffff;
  DispatchTo(c, c.System(SystemOp::kFarReturn, c.ir.Imm64(release)));
}

bool TranslateSegmentPushPop(Context& c) {
  if (!IsSegmentOperand(c.Op(0))) return false;
  if (c.insn.d.mnemonic == ZYDIS_MNEMONIC_PUSH) {
    PushSegment(c);
  } else {
    PopSegment(c);
  }
  return true;
}

namespace {

void Iret(Context& c) { DispatchTo(c, c.System(SystemOp::kIret)); }

// --- control, debug and descriptor-table registers -----------------------------------------------

unsigned ControlRegister(ZydisRegister r) {
  if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) return r - ZYDIS_REGISTER_CR0;
  return r - ZYDIS_REGISTER_DR0;
}

template <bool kIdt>
void LoadTableRegister(Context& c) {
  if (!c.RequireCpl0()) return;
  c.System(SystemOp::kLgdt, c.Address(0), ir::kNoValue, kIdt ? 1 : 0);
}

// SGDT/SIDT are not privileged (UMIP is not emulated).
template <bool kIdt>
void StoreTableRegister(Context& c) {
  c.System(SystemOp::kSgdt, c.Address(0), ir::kNoValue, kIdt ? 1 : 0);
}

template <SystemOp kOp>
void LoadSystemSegment(Context& c) {
  if (!c.RequireCpl0()) return;
  c.System(kOp, c.ir.ZExt(Type::kI64, c.Read(0)));
}

// SLDT/STR: the selector, zero-extended into a register operand.
template <unsigned kWhich>
void StoreSystemSelector(Context& c) {
  Value sel = c.System(SystemOp::kReadSelector, ir::kNoValue, ir::kNoValue, kWhich);
  c.Write(0, c.ir.Trunc(c.OpType(0), sel));
}

void Lmsw(Context& c) {
  if (!c.RequireCpl0()) return;
  c.System(SystemOp::kLmsw, c.ir.ZExt(Type::kI64, c.Read(0)));
  c.dispatch_after = true;
}

// SMSW: the low bits of CR0 (not privileged).
void Smsw(Context& c) {
  Value cr0 = c.System(SystemOp::kMovFromCr, ir::kNoValue, ir::kNoValue, 0);
  c.Write(0, c.ir.Trunc(c.OpType(0), cr0));
}

void Clts(Context& c) {
  if (!c.RequireCpl0()) return;
  c.System(SystemOp::kClts);
  c.dispatch_after = true;
}

void Invlpg(Context& c) {
  if (!c.RequireCpl0()) return;
  c.System(SystemOp::kInvlpg, c.Address(0));
  c.dispatch_after = true;
}

// WBINVD/INVD: caches are not modelled.
void CacheFlush(Context& c) { c.RequireCpl0(); }

// --- flags and interrupts -----------------------------------------------------------------------

// CLI/STI check IOPL at run time; STI opens an interrupt window after the next instruction.
void Cli(Context& c) {
  if (!c.IsSystem()) return c.RaiseException(ir::kGeneralProtection, 0);
  c.System(SystemOp::kCli);
}

void Sti(Context& c) {
  if (!c.IsSystem()) return c.RaiseException(ir::kGeneralProtection, 0);
  c.System(SystemOp::kSti);
  c.dispatch_after = true;
}

// RSM returns from system-management mode; doppel's CPU never enters SMM, and outside SMM the
// instruction is #UD (SDM RSM), in every mode and at every privilege level.
void Rsm(Context& c) { c.RaiseException(ir::kInvalidOpcode); }

// Outside system mode HLT stops the machine (the embedding API's "done"; process mode turns the
// stop into the SIGSEGV Linux gives).
void Hlt(Context& c) {
  if (c.IsSystem() && !c.RequireCpl0()) return;
  c.ir.Exit(ir::ExitReason::kHalt, c.insn.next_pc);
}

// CLAC/STAC: RFLAGS.AC (SMAP) at CPL 0.
template <bool kSet>
void SetAc(Context& c) {
  if (!c.RequireCpl0()) return;
  constexpr uint64_t kAC = 1ull << 18;
  c.SetFlags(kAC, c.ir.Imm64(kSet ? kAC : 0));
}

void Into(Context& c) {
  c.System(SystemOp::kInto);
  c.dispatch_after = true;
}

// --- MSRs and fast system calls ----------------------------------------------------------------

void Rdmsr(Context& c) {
  if (!c.RequireCpl0()) return;
  c.System(SystemOp::kRdmsr);
}

void Wrmsr(Context& c) {
  if (!c.RequireCpl0()) return;
  c.System(SystemOp::kWrmsr);
  c.dispatch_after = true;
}

void Rdtscp(Context& c) { c.System(SystemOp::kRdtscp); }

template <SystemOp kOp>
void FastSystemCall(Context& c) {
  DispatchTo(c, c.System(kOp));
}

void Swapgs(Context& c) {
  if (!c.RequireCpl0()) return;
  c.System(SystemOp::kSwapgs);
}

// LAR/LSL: ZF says whether the selector was valid; the destination changes only then.
template <SystemOp kOp>
void LoadAccess(Context& c) {
  Value old = c.ir.ZExt(Type::kI64, c.Read(0));
  Value v = c.System(kOp, c.ir.ZExt(Type::kI64, c.ir.Trunc(Type::kI16, c.Read(1))), old);
  c.Write(0, c.ir.Trunc(c.OpType(0), v));
}

template <SystemOp kOp>
void Verify(Context& c) {
  c.System(kOp, c.ir.ZExt(Type::kI64, c.Read(0)));
}

}  // namespace

// MOV to/from a control or debug register (Zydis decodes them as MOV).
bool TranslateMovSpecial(Context& c) {
  auto cls = [&](unsigned i) { return ZydisRegisterGetClass(c.Op(i).reg.value); };
  bool control = cls(0) == ZYDIS_REGCLASS_CONTROL || cls(1) == ZYDIS_REGCLASS_CONTROL;
  bool debug = cls(0) == ZYDIS_REGCLASS_DEBUG || cls(1) == ZYDIS_REGCLASS_DEBUG;
  if (c.Op(0).type != ZYDIS_OPERAND_TYPE_REGISTER || c.Op(1).type != ZYDIS_OPERAND_TYPE_REGISTER ||
      (!control && !debug)) {
    return false;
  }
  if (!c.RequireCpl0()) return true;
  bool to_special = cls(0) == ZYDIS_REGCLASS_CONTROL || cls(0) == ZYDIS_REGCLASS_DEBUG;
  if (to_special) {
    c.System(control ? SystemOp::kMovToCr : SystemOp::kMovToDr,
             c.ir.ZExt(Type::kI64, c.ReadReg(c.Op(1).reg.value)), ir::kNoValue,
             ControlRegister(c.Op(0).reg.value));
    if (control) c.dispatch_after = true;
  } else {
    Value v = c.System(control ? SystemOp::kMovFromCr : SystemOp::kMovFromDr, ir::kNoValue,
                       ir::kNoValue, ControlRegister(c.Op(1).reg.value));
    c.WriteReg(c.Op(0).reg.value, c.ir.Trunc(c.OpType(0), v));
  }
  return true;
}

void RegisterSystem(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_IN, In);
  t.Add(ZYDIS_MNEMONIC_OUT, Out);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_INSB, ZYDIS_MNEMONIC_INSW, ZYDIS_MNEMONIC_INSD})
    t.Add(m, InsOuts<false>);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_OUTSB, ZYDIS_MNEMONIC_OUTSW, ZYDIS_MNEMONIC_OUTSD})
    t.Add(m, InsOuts<true>);
  t.Add(ZYDIS_MNEMONIC_LDS, LoadFarPointer<ZYDIS_REGISTER_DS>);
  t.Add(ZYDIS_MNEMONIC_LES, LoadFarPointer<ZYDIS_REGISTER_ES>);
  t.Add(ZYDIS_MNEMONIC_LFS, LoadFarPointer<ZYDIS_REGISTER_FS>);
  t.Add(ZYDIS_MNEMONIC_LGS, LoadFarPointer<ZYDIS_REGISTER_GS>);
  t.Add(ZYDIS_MNEMONIC_LSS, LoadFarPointer<ZYDIS_REGISTER_SS>);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_IRET, ZYDIS_MNEMONIC_IRETD, ZYDIS_MNEMONIC_IRETQ})
    t.Add(m, Iret);
  t.Add(ZYDIS_MNEMONIC_LGDT, LoadTableRegister<false>);
  t.Add(ZYDIS_MNEMONIC_LIDT, LoadTableRegister<true>);
  t.Add(ZYDIS_MNEMONIC_SGDT, StoreTableRegister<false>);
  t.Add(ZYDIS_MNEMONIC_SIDT, StoreTableRegister<true>);
  t.Add(ZYDIS_MNEMONIC_LLDT, LoadSystemSegment<SystemOp::kLldt>);
  t.Add(ZYDIS_MNEMONIC_LTR, LoadSystemSegment<SystemOp::kLtr>);
  t.Add(ZYDIS_MNEMONIC_SLDT, StoreSystemSelector<6>);
  t.Add(ZYDIS_MNEMONIC_STR, StoreSystemSelector<7>);
  t.Add(ZYDIS_MNEMONIC_LMSW, Lmsw);
  t.Add(ZYDIS_MNEMONIC_SMSW, Smsw);
  t.Add(ZYDIS_MNEMONIC_CLTS, Clts);
  t.Add(ZYDIS_MNEMONIC_INVLPG, Invlpg);
  t.Add(ZYDIS_MNEMONIC_WBINVD, CacheFlush);
  t.Add(ZYDIS_MNEMONIC_INVD, CacheFlush);
  t.Add(ZYDIS_MNEMONIC_CLI, Cli);
  t.Add(ZYDIS_MNEMONIC_STI, Sti);
  t.Add(ZYDIS_MNEMONIC_HLT, Hlt);
  t.Add(ZYDIS_MNEMONIC_RSM, Rsm);
  t.Add(ZYDIS_MNEMONIC_CLAC, SetAc<false>);
  t.Add(ZYDIS_MNEMONIC_STAC, SetAc<true>);
  t.Add(ZYDIS_MNEMONIC_INTO, Into);
  t.Add(ZYDIS_MNEMONIC_RDMSR, Rdmsr);
  t.Add(ZYDIS_MNEMONIC_WRMSR, Wrmsr);
  t.Add(ZYDIS_MNEMONIC_RDTSCP, Rdtscp);
  t.Add(ZYDIS_MNEMONIC_SYSENTER, FastSystemCall<SystemOp::kSysenter>);
  t.Add(ZYDIS_MNEMONIC_SYSEXIT, FastSystemCall<SystemOp::kSysexit>);
  t.Add(ZYDIS_MNEMONIC_SYSRET, FastSystemCall<SystemOp::kSysret>);
  t.Add(ZYDIS_MNEMONIC_SWAPGS, Swapgs);
  t.Add(ZYDIS_MNEMONIC_LAR, LoadAccess<SystemOp::kLar>);
  t.Add(ZYDIS_MNEMONIC_LSL, LoadAccess<SystemOp::kLsl>);
  t.Add(ZYDIS_MNEMONIC_VERR, Verify<SystemOp::kVerr>);
  t.Add(ZYDIS_MNEMONIC_VERW, Verify<SystemOp::kVerw>);
}

}  // namespace doppel::frontend
