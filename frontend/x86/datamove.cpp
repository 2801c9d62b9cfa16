// frontend/x86/datamove.cpp: data movement: mov, push, pop, lea, movzx/movsx/movsxd, xchg,
// cbw/cwde/cdqe, cwd/cdq/cqo, enter/leave, pushf/popf, pusha/popa, bound, xlat, lahf/sahf.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

constexpr unsigned kRax = 0, kRdx = 2, kRsp = 4, kRbp = 5;
// RFLAGS bits beyond ir::Flag that these instructions touch.
constexpr uint64_t kRF = 1ull << 16, kVM = 1ull << 17, kAC = 1ull << 18, kID = 1ull << 21;

// Zero-extends or truncates v to t.
Value ZResize(ir::Emitter& ir, Type t, Value v) {
  return ir::BitWidth(t) >= ir.Width(v) ? ir.ZExt(t, v) : ir.Trunc(t, v);
}

// A segment register source (16 bits) is zero-extended into a wider register.
void Mov(Context& c) {
  if (TranslateMovSpecial(c)) return;
  Value v = c.ReadAs(1, c.OpType(0));
  c.Write(0, ZResize(c.ir, c.OpType(0), v));
}

void Push(Context& c) {
  if (TranslateSegmentPushPop(c)) return;
  Type t = c.OperandType();
  Value v = c.Op(0).type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? c.ReadAs(0, t) : c.Read(0);
  c.Push(v);
}

// POP r/m: RSP is incremented before a memory destination's address is computed (SDM).
void Pop(Context& c) {
  if (TranslateSegmentPushPop(c)) return;
  Type t = c.OperandType();
  Value v = c.Pop(t);
  c.Write(0, v);
}

// LEA r, m: the offset only (no segment base), computed at the address size and then truncated
// or zero-extended to the operand size.
void Lea(Context& c) { c.Write(0, ZResize(c.ir, c.OpType(0), c.EffectiveAddress(1))); }

void Movzx(Context& c) { c.Write(0, ZResize(c.ir, c.OpType(0), c.Read(1))); }

// MOVSX/MOVSXD; MOVSXD with a 16- or 32-bit operand size is a plain (truncating) move.
void Movsx(Context& c) {
  Type t = c.OpType(0);
  Value v = c.Read(1);
  c.Write(0, ir::BitWidth(t) >= c.ir.Width(v) ? c.ir.SExt(t, v) : c.ir.Trunc(t, v));
}

// XCHG: both operands are read (a memory one is loaded) before either is written, and the
// memory operand is stored before the register changes.
void Xchg(Context& c) {
  Value a = c.Read(0);
  Value b = c.Read(1);
  if (c.Op(1).type == ZYDIS_OPERAND_TYPE_MEMORY) {
    c.Write(1, a);
    c.Write(0, b);
  } else {
    c.Write(0, b);
    c.Write(1, a);
  }
}

// CBW/CWDE/CDQE: rAX = sign-extended lower half of rAX.
void SignExtendAccumulator(Context& c) {
  Type t = c.OperandType();
  Type half = ir::IntType(ir::BitWidth(t) / 2);
  c.ir.SetReg(kRax, c.ir.SExt(t, c.ir.GetReg(half, kRax)));
}

// CWD/CDQ/CQO: rDX = the sign of rAX, replicated.
void SignExtendToDx(Context& c) {
  Type t = c.OperandType();
  Value sign = c.ir.Sar(c.ir.GetReg(t, kRax), c.ir.Imm8(ir::BitWidth(t) - 1));
  c.ir.SetReg(kRdx, sign);
}

// LEAVE: rSP = rBP, then rBP = pop. The load comes first so a fault changes nothing.
void Leave(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OperandType();
  Type st = c.StackType();
  Value bp = ir.GetReg(st, kRbp);
  Value v = ir.Load(t, c.Linear(ZYDIS_REGISTER_SS, bp, ir::BitWidth(t) / 8, Context::kSegRead));
  ir.SetReg(kRsp, ir.Add(bp, ir.Const(st, ir::BitWidth(t) / 8)));
  ir.SetReg(kRbp, v);
}

// ENTER imm16, imm8 (SDM pseudocode): push rBP, copy level-1 frame pointers from the old frame,
// push the new frame pointer, then rBP = frame and rSP = frame - copies - alloc. All stack memory
// is accessed before rSP/rBP change.
void Enter(Context& c) {
  ir::Emitter& ir = c.ir;
  Type t = c.OperandType();
  Type st = c.StackType();
  const uint64_t size = ir::BitWidth(t) / 8;
  const uint64_t alloc = c.Op(0).imm.value.u & 0xffff;
  const unsigned level = c.Op(1).imm.value.u & 31;
  Value sp = ir.GetReg(st, kRsp);
  Value bp = ir.GetReg(st, kRbp);
  auto at = [&](Value base, uint64_t back) {
    return c.Linear(ZYDIS_REGISTER_SS, ir.Sub(base, ir.Const(st, back)), size,
                    Context::kSegRead | Context::kSegWrite);
  };
  Value frame = ir.Sub(sp, ir.Const(st, size));
  ir.Store(c.Linear(ZYDIS_REGISTER_SS, frame, size, Context::kSegWrite), ir.GetReg(t, kRbp));
  Value new_sp = frame;
  if (level > 0) {
    for (unsigned i = 1; i < level; ++i) {
      Value saved = ir.Load(t, at(bp, i * size));
      ir.Store(at(frame, i * size), saved);
    }
    ir.Store(at(frame, level * size), ZResize(ir, t, frame));
    new_sp = ir.Sub(frame, ir.Const(st, level * size));
  }
  ir.SetReg(kRbp, ir::BitWidth(t) < ir::BitWidth(st) ? ir.Trunc(t, frame) : frame);
  ir.SetReg(kRsp, ir.Sub(new_sp, ir.Const(st, alloc)));
}

// PUSHF/PUSHFD/PUSHFQ: the image with VM and RF cleared.
void Pushf(Context& c) {
  Value f = c.ir.And(c.ir.GetFlags(), c.ir.Imm64(~(kVM | kRF)));
  c.Push(c.ir.Trunc(c.OperandType(), f));
}

// POPF/POPFD/POPFQ at user level: only the arithmetic flags, DF, AC and ID change; IF, IOPL, TF
// and the system bits keep their values. The 16-bit form affects the low 16 bits only.
// In system mode the runtime applies the CPL/IOPL rules for IF and IOPL.
void Popf(Context& c) {
  Type t = c.OperandType();
  Value v = c.Pop(t);
  if (c.IsSystem()) {
    c.System(ir::SystemOp::kPopf, c.ir.ZExt(Type::kI64, v));
    c.dispatch_after = true;
    return;
  }
  uint64_t mask = ir::kArithFlags | ir::kDF | kAC | kID;
  if (t == Type::kI16) mask &= 0xffff;
  c.SetFlags(mask, c.ir.ZExt(Type::kI64, v));
}

// PUSHA/PUSHAD (16/32-bit code): AX CX DX BX, the original SP, BP SI DI. Every store happens
// before SP moves, so a faulting push leaves SP unchanged.
void Pusha(Context& c) {
  Type t = c.OperandType(), st = c.StackType();
  const unsigned bytes = ir::BitWidth(t) / 8;
  Value sp = c.ir.GetReg(st, kRsp);
  for (unsigned i = 0; i < 8; ++i) {
    Value slot = c.ir.Sub(sp, c.Const(st, bytes * (i + 1)));
    c.Store(c.Linear(ZYDIS_REGISTER_SS, slot, ir::BitWidth(t) / 8, Context::kSegWrite),
            c.ir.GetReg(t, i));
  }
  c.ir.SetReg(kRsp, c.ir.Sub(sp, c.Const(st, bytes * 8)));
}

// POPA/POPAD: DI SI BP, (SP skipped), BX DX CX AX.
void Popa(Context& c) {
  Type t = c.OperandType(), st = c.StackType();
  const unsigned bytes = ir::BitWidth(t) / 8;
  Value sp = c.ir.GetReg(st, kRsp);
  Value vals[8];
  for (unsigned i = 0; i < 8; ++i) {
    Value slot = c.ir.Add(sp, c.Const(st, bytes * (7 - i)));
    vals[i] = c.Load(t, c.Linear(ZYDIS_REGISTER_SS, slot, ir::BitWidth(t) / 8, Context::kSegRead));
  }
  for (unsigned i = 0; i < 8; ++i) {
    if (i != kRsp) c.ir.SetReg(i, vals[i]);
  }
  c.ir.SetReg(kRsp, c.ir.Add(sp, c.Const(st, bytes * 8)));
}

// BOUND r, m: #BR unless lower <= r <= upper (signed); the runtime compares and raises.
void Bound(Context& c) {
  Value index = c.ir.SExt(Type::kI64, c.Read(0));
  c.System(ir::SystemOp::kBound, index, c.Address(1));
}

// XLAT: AL = [seg:rBX + zero-extended AL] at the address size (Zydis gives the [rBX] operand).
void Xlat(Context& c) {
  Type at = c.AddressType();
  constexpr unsigned kRbx = 3;
  Value al = c.ir.Trunc(Type::kI8, c.ir.GetReg(Type::kI64, kRax));
  Value ea = c.ir.Add(c.ir.GetReg(at, kRbx), c.ir.ZExt(at, al));
  c.ir.SetReg(kRax, c.Load(Type::kI8, c.Linear(c.Op(0).mem.segment, ea, 1, Context::kSegRead)));
}

// LAHF: AH = SF:ZF:0:AF:0:PF:1:CF.
void Lahf(Context& c) {
  ir::Emitter& ir = c.ir;
  Value low = ir.Trunc(Type::kI8, ir.GetFlags());
  Value ah =
      ir.Or(ir.And(low, ir.Imm8(ir::kSF | ir::kZF | ir::kAF | ir::kPF | ir::kCF)), ir.Imm8(0x02));
  ir.SetRegHi8(kRax, ah);
}

// SAHF: SF ZF AF PF CF = the bits of AH.
void Sahf(Context& c) {
  Value ah = c.ir.ZExt(Type::kI64, c.ir.GetRegHi8(kRax));
  c.SetFlags(ir::kSF | ir::kZF | ir::kAF | ir::kPF | ir::kCF, ah);
}

}  // namespace

void RegisterDataMove(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_MOV, Mov);
  t.Add(ZYDIS_MNEMONIC_PUSH, Push);
  t.Add(ZYDIS_MNEMONIC_POP, Pop);
  t.Add(ZYDIS_MNEMONIC_LEA, Lea);
  t.Add(ZYDIS_MNEMONIC_MOVZX, Movzx);
  t.Add(ZYDIS_MNEMONIC_MOVSX, Movsx);
  t.Add(ZYDIS_MNEMONIC_MOVSXD, Movsx);
  t.Add(ZYDIS_MNEMONIC_XCHG, Xchg);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_CBW, ZYDIS_MNEMONIC_CWDE, ZYDIS_MNEMONIC_CDQE}) {
    t.Add(m, SignExtendAccumulator);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_CWD, ZYDIS_MNEMONIC_CDQ, ZYDIS_MNEMONIC_CQO}) {
    t.Add(m, SignExtendToDx);
  }
  t.Add(ZYDIS_MNEMONIC_LEAVE, Leave);
  t.Add(ZYDIS_MNEMONIC_ENTER, Enter);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_PUSHF, ZYDIS_MNEMONIC_PUSHFD, ZYDIS_MNEMONIC_PUSHFQ}) {
    t.Add(m, Pushf);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_POPF, ZYDIS_MNEMONIC_POPFD, ZYDIS_MNEMONIC_POPFQ}) {
    t.Add(m, Popf);
  }
  t.Add(ZYDIS_MNEMONIC_PUSHA, Pusha);
  t.Add(ZYDIS_MNEMONIC_PUSHAD, Pusha);
  t.Add(ZYDIS_MNEMONIC_POPA, Popa);
  t.Add(ZYDIS_MNEMONIC_POPAD, Popa);
  t.Add(ZYDIS_MNEMONIC_BOUND, Bound);
  t.Add(ZYDIS_MNEMONIC_XLAT, Xlat);
  t.Add(ZYDIS_MNEMONIC_LAHF, Lahf);
  t.Add(ZYDIS_MNEMONIC_SAHF, Sahf);
}

}  // namespace doppel::frontend
