// frontend/x86/x87.cpp: the x87 FPU instructions. Each becomes one state-to-state X87Op named by
// its own encoding (ir/x87.h); memory operands travel through the FPU operand buffer: guest loads
// fill it before the operation, and a store's bytes are computed first, written to guest memory,
// then the operation commits, so a faulting store leaves the FPU state of the instruction's start.
#include "ir/x87.h"

#include <vector>

#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

struct MemForm {
  unsigned bytes = 0;  // 0: no memory form known
  bool store = false;  // writes memory (else reads it)
};

// Operand size and direction of the memory form of opcode D8..DF with ModRM.reg `reg`.
MemForm MemFormOf(uint8_t opcode, unsigned reg) {
  switch (opcode) {
    case 0xd8: return {4, false};  // arithmetic with m32fp
    case 0xda: return {4, false};  // with m32int
    case 0xdc: return {8, false};  // with m64fp
    case 0xde: return {2, false};  // with m16int
    case 0xd9: {
      static constexpr MemForm k[8] = {{4, false},  {},         {4, true},  {4, true},
                                       {28, false}, {2, false}, {28, true}, {2, true}};
      return k[reg];  // fld, -, fst, fstp, fldenv, fldcw, fnstenv, fnstcw
    }
    case 0xdb: {
      static constexpr MemForm k[8] = {{4, false}, {4, true},   {4, true}, {4, true},
                                       {},         {10, false}, {},        {10, true}};
      return k[reg];  // fild, fisttp, fist, fistp, -, fld m80, -, fstp m80
    }
    case 0xdd: {
      static constexpr MemForm k[8] = {{8, false},   {8, true}, {8, true},   {8, true},
                                       {108, false}, {},        {108, true}, {2, true}};
      return k[reg];  // fld, fisttp, fst, fstp, frstor, -, fnsave, fnstsw
    }
    default: {
      static constexpr MemForm k[8] = {{2, false},  {2, true},  {2, true},  {2, true},
                                       {10, false}, {8, false}, {10, true}, {8, true}};
      return k[reg];  // fild, fisttp, fist, fistp, fbld, fild m64, fbstp, fistp m64
    }
  }
}

// The chunks (offset, type) a memory operand of `bytes` bytes moves in.
template <typename F>
void ForEachChunk(unsigned bytes, F f) {
  for (unsigned off = 0; off < bytes;) {
    unsigned n = bytes - off >= 8 ? 8 : bytes - off >= 4 ? 4 : 2;
    f(off, ir::IntType(8 * n));
    off += n;
  }
}

bool IsNonWaiting(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_FNINIT:
    case ZYDIS_MNEMONIC_FNCLEX:
    case ZYDIS_MNEMONIC_FNSTCW:
    case ZYDIS_MNEMONIC_FNSTSW:
    case ZYDIS_MNEMONIC_FNSTENV:
    case ZYDIS_MNEMONIC_FNSAVE: return true;
    default: return false;
  }
}

// Control instructions keep the last instruction/operand pointers.
bool IsControl(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_FNINIT:
    case ZYDIS_MNEMONIC_FNCLEX:
    case ZYDIS_MNEMONIC_FLDCW:
    case ZYDIS_MNEMONIC_FNSTCW:
    case ZYDIS_MNEMONIC_FNSTSW:
    case ZYDIS_MNEMONIC_FNSTENV:
    case ZYDIS_MNEMONIC_FLDENV:
    case ZYDIS_MNEMONIC_FNSAVE:
    case ZYDIS_MNEMONIC_FRSTOR:
    case ZYDIS_MNEMONIC_FWAIT: return true;
    default: return false;
  }
}

int MemOperand(const Context& c) {
  for (unsigned i = 0; i < c.insn.d.operand_count; ++i) {
    if (c.Op(i).type == ZYDIS_OPERAND_TYPE_MEMORY) return static_cast<int>(i);
  }
  return -1;
}

uint32_t BaseFlags(const Context& c) {
  ZydisMnemonic m = c.insn.d.mnemonic;
  uint32_t flags = IsNonWaiting(m) ? 0u : uint32_t{ir::kX87Waiting};
  if (IsControl(m)) flags |= ir::kX87Control;
  return flags;
}

// Emits the instruction; returns the RFLAGS image after it. `rflags` feeds FCMOVcc.
Value EmitX87(Context& c, Value rflags) {
  const ZydisDecodedInstruction& d = c.insn.d;
  const uint8_t opcode = d.opcode;
  const unsigned reg = d.raw.modrm.reg;
  const uint8_t guest_modrm =
      static_cast<uint8_t>(d.raw.modrm.mod << 6 | reg << 3 | d.raw.modrm.rm);
  uint32_t flags = BaseFlags(c) | ir::kX87Commit;
  if (rflags == ir::kNoValue) rflags = c.ir.Imm64(0);
  int mi = MemOperand(c);
  if (mi < 0) {
    return c.ir.X87Op(ir::PackX87(opcode, guest_modrm, guest_modrm, flags), rflags, c.ir.Imm64(0));
  }
  MemForm form = MemFormOf(opcode, reg);
  // The FPU unit speaks the 32-bit environment formats; the 16-bit ones (operand size 16 with
  // FNSTENV/FLDENV/FNSAVE/FRSTOR) are not implemented.
  if (form.bytes == 0 || (form.bytes >= 28 && d.operand_width == 16)) {
    c.RaiseException(ir::kInvalidOpcode);
    return rflags;
  }
  flags |= ir::kX87Memory | (form.store ? uint32_t{ir::kX87StoreForm} : 0u);
  const uint64_t imm = ir::PackX87(opcode, static_cast<uint8_t>(reg << 3 | 2), guest_modrm, flags);
  Value addr = c.Address(static_cast<unsigned>(mi));
  auto at = [&](unsigned off) { return off ? c.ir.Add(addr, c.ir.Imm64(off)) : addr; };
  if (!form.store) {
    std::vector<Value> parts;
    ForEachChunk(form.bytes, [&](unsigned off, Type t) { parts.push_back(c.Load(t, at(off))); });
    unsigned k = 0;
    ForEachChunk(form.bytes,
                 [&](unsigned off, Type) { c.ir.X87Load(off, c.ir.ZExt(Type::kI64, parts[k++])); });
    return c.ir.X87Op(imm, rflags, addr);
  }
  c.ir.X87Op(imm & ~(uint64_t{ir::kX87Commit} << 24), rflags, addr);
  // An environment or state image is written entirely or not at all; the host checks its last
  // byte first (that is the address a fault reports).
  if (form.bytes > 10) c.ProbeWrite(at(form.bytes - 1));
  ForEachChunk(form.bytes,
               [&](unsigned off, Type t) { c.Store(at(off), c.ir.Trunc(t, c.ir.X87Store(off))); });
  return c.ir.X87Op(imm, rflags, addr);
}

// Every x87 instruction whose only effect is on the FPU state and its memory operand.
void X87(Context& c) { EmitX87(c, ir::kNoValue); }

// FCOMI/FCOMIP/FUCOMI/FUCOMIP: ZF PF CF from the compare, OF SF AF cleared.
void X87Comi(Context& c) { c.SetFlags(ir::kArithFlags, EmitX87(c, ir::kNoValue)); }

// FCMOVcc reads the guest flags.
void X87Cmov(Context& c) { EmitX87(c, c.ir.GetFlags()); }

// FNSTSW AX reads the status word directly (non-waiting, no FPU operation); the memory form is
// an ordinary store-type x87 instruction.
void Fnstsw(Context& c) {
  if (c.Op(0).type == ZYDIS_OPERAND_TYPE_REGISTER) {
    c.WriteReg(ZYDIS_REGISTER_AX, c.ir.Trunc(Type::kI16, c.ir.X87ToGpr(ir::kX87StatusWord)));
    return;
  }
  X87(c);
}

// FWAIT: only the pending-exception check.
void Fwait(Context& c) {
  c.ir.X87Op(ir::PackX87(0x9b, 0, 0, ir::kX87Waiting | ir::kX87Control), c.ir.Imm64(0),
             c.ir.Imm64(0));
}

}  // namespace

void RegisterX87(TranslatorTable& t) {
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_FLD,          ZYDIS_MNEMONIC_FST,           ZYDIS_MNEMONIC_FSTP,
        ZYDIS_MNEMONIC_FSTPNCE,      ZYDIS_MNEMONIC_FILD,          ZYDIS_MNEMONIC_FIST,
        ZYDIS_MNEMONIC_FISTP,        ZYDIS_MNEMONIC_FISTTP,        ZYDIS_MNEMONIC_FBLD,
        ZYDIS_MNEMONIC_FBSTP,        ZYDIS_MNEMONIC_FXCH,          ZYDIS_MNEMONIC_FLD1,
        ZYDIS_MNEMONIC_FLDZ,         ZYDIS_MNEMONIC_FLDPI,         ZYDIS_MNEMONIC_FLDL2E,
        ZYDIS_MNEMONIC_FLDL2T,       ZYDIS_MNEMONIC_FLDLG2,        ZYDIS_MNEMONIC_FLDLN2,
        ZYDIS_MNEMONIC_FADD,         ZYDIS_MNEMONIC_FADDP,         ZYDIS_MNEMONIC_FIADD,
        ZYDIS_MNEMONIC_FSUB,         ZYDIS_MNEMONIC_FSUBP,         ZYDIS_MNEMONIC_FISUB,
        ZYDIS_MNEMONIC_FSUBR,        ZYDIS_MNEMONIC_FSUBRP,        ZYDIS_MNEMONIC_FISUBR,
        ZYDIS_MNEMONIC_FMUL,         ZYDIS_MNEMONIC_FMULP,         ZYDIS_MNEMONIC_FIMUL,
        ZYDIS_MNEMONIC_FDIV,         ZYDIS_MNEMONIC_FDIVP,         ZYDIS_MNEMONIC_FIDIV,
        ZYDIS_MNEMONIC_FDIVR,        ZYDIS_MNEMONIC_FDIVRP,        ZYDIS_MNEMONIC_FIDIVR,
        ZYDIS_MNEMONIC_FCHS,         ZYDIS_MNEMONIC_FABS,          ZYDIS_MNEMONIC_FSQRT,
        ZYDIS_MNEMONIC_FRNDINT,      ZYDIS_MNEMONIC_FSCALE,        ZYDIS_MNEMONIC_FXTRACT,
        ZYDIS_MNEMONIC_FPREM,        ZYDIS_MNEMONIC_FPREM1,        ZYDIS_MNEMONIC_FCOM,
        ZYDIS_MNEMONIC_FCOMP,        ZYDIS_MNEMONIC_FCOMPP,        ZYDIS_MNEMONIC_FUCOM,
        ZYDIS_MNEMONIC_FUCOMP,       ZYDIS_MNEMONIC_FUCOMPP,       ZYDIS_MNEMONIC_FICOM,
        ZYDIS_MNEMONIC_FICOMP,       ZYDIS_MNEMONIC_FTST,          ZYDIS_MNEMONIC_FXAM,
        ZYDIS_MNEMONIC_FNINIT,       ZYDIS_MNEMONIC_FLDCW,         ZYDIS_MNEMONIC_FNSTCW,
        ZYDIS_MNEMONIC_FNCLEX,       ZYDIS_MNEMONIC_FNSTENV,       ZYDIS_MNEMONIC_FLDENV,
        ZYDIS_MNEMONIC_FNSAVE,       ZYDIS_MNEMONIC_FRSTOR,        ZYDIS_MNEMONIC_FFREE,
        ZYDIS_MNEMONIC_FFREEP,       ZYDIS_MNEMONIC_FINCSTP,       ZYDIS_MNEMONIC_FDECSTP,
        ZYDIS_MNEMONIC_FNOP,         ZYDIS_MNEMONIC_FSIN,          ZYDIS_MNEMONIC_FCOS,
        ZYDIS_MNEMONIC_FSINCOS,      ZYDIS_MNEMONIC_FPTAN,         ZYDIS_MNEMONIC_FPATAN,
        ZYDIS_MNEMONIC_F2XM1,        ZYDIS_MNEMONIC_FYL2X,         ZYDIS_MNEMONIC_FYL2XP1,
        ZYDIS_MNEMONIC_FENI8087_NOP, ZYDIS_MNEMONIC_FDISI8087_NOP, ZYDIS_MNEMONIC_FSETPM287_NOP}) {
    t.Add(m, X87);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FCOMI, ZYDIS_MNEMONIC_FCOMIP, ZYDIS_MNEMONIC_FUCOMI,
                          ZYDIS_MNEMONIC_FUCOMIP}) {
    t.Add(m, X87Comi);
  }
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FCMOVB, ZYDIS_MNEMONIC_FCMOVE, ZYDIS_MNEMONIC_FCMOVBE,
                          ZYDIS_MNEMONIC_FCMOVU, ZYDIS_MNEMONIC_FCMOVNB, ZYDIS_MNEMONIC_FCMOVNE,
                          ZYDIS_MNEMONIC_FCMOVNBE, ZYDIS_MNEMONIC_FCMOVNU}) {
    t.Add(m, X87Cmov);
  }
  t.Add(ZYDIS_MNEMONIC_FNSTSW, Fnstsw);
  t.Add(ZYDIS_MNEMONIC_FWAIT, Fwait);
}

}  // namespace doppel::frontend
