// frontend/x86/context.h: what a translator sees: the decoded instruction, the IR emitter and
// operand helpers that hide register widths, addressing forms and segments.
#pragma once
#include <Zydis/Zydis.h>

#include "frontend/x86/translate.h"
#include "ir/emitter.h"
#include "ir/system.h"

namespace doppel::frontend {

struct Insn {
  ZydisDecodedInstruction d;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  uint64_t pc = 0;
  uint64_t next_pc = 0;
  uint32_t mode = 0;        // ModeBits (translate.h)
  unsigned code_bits = 64;  // 16, 32 or 64
  unsigned stack_bits = 64;

  bool Has(uint64_t attribute) const { return (d.attributes & attribute) != 0; }
};

class Context {
 public:
  Context(ir::Emitter& emitter, const Insn& insn) : ir(emitter), insn(insn) {}

  ir::Emitter& ir;
  const Insn& insn;
  // Set by operand helpers for operands doppel does not emulate (e.g. segment registers): the
  // translation loop then drops the instruction's IR and raises #UD in its place.
  bool unsupported = false;
  // Set by translators whose instruction changes state translated code depends on (SS, control
  // registers, IF, ...): the block ends after it with a return to the dispatcher.
  bool dispatch_after = false;

  bool IsSystem() const { return (insn.mode & kModeSystem) != 0; }
  unsigned Cpl() const { return ModeCpl(insn.mode); }
  // True when the running code may execute a CPL-0 instruction; otherwise raises #GP(0) (which
  // process mode reports as SIGSEGV, as Linux does) and the translator must stop.
  bool RequireCpl0() {
    if (IsSystem() && Cpl() == 0) return true;
    RaiseException(ir::kGeneralProtection, 0);
    return false;
  }
  // A System op (ir/system.h) for this instruction.
  ir::Value System(ir::SystemOp op, ir::Value a = ir::kNoValue, ir::Value b = ir::kNoValue,
                   unsigned extra = 0) {
    if (a == ir::kNoValue) a = ir.Imm64(0);
    if (b == ir::kNoValue) b = ir.Imm64(0);
    return ir.System(ir::PackSystem(op, insn.d.length, insn.d.operand_width / 8, extra,
                                    insn.d.address_width / 8),
                     a, b);
  }

  const ZydisDecodedOperand& Op(unsigned i) const { return insn.ops[i]; }
  ir::Type OpType(unsigned i) const { return ir::IntType(insn.ops[i].size); }
  // Operand-size type of the instruction (16/32/64).
  ir::Type OperandType() const { return ir::IntType(insn.d.operand_width); }
  ir::Type AddressType() const { return ir::IntType(insn.d.address_width); }
  ir::Type StackType() const { return ir::IntType(insn.stack_bits); }

  // Reads operand i (register, memory or immediate) at its own size.
  ir::Value Read(unsigned i);
  // Reads operand i as type t: immediates are taken at t (Zydis has sign-extended them already),
  // registers and memory must already be of type t.
  ir::Value ReadAs(unsigned i, ir::Type t);
  // Writes operand i (register or memory); 32-bit register writes zero-extend.
  void Write(unsigned i, ir::Value v);
  // Effective address of memory operand i at the address size, without the segment base (LEA).
  ir::Value EffectiveAddress(unsigned i);
  // Linear address of memory operand i (segment base included), cached per operand.
  ir::Value Address(unsigned i);
  // Linear address of `offset` in segment `seg` (a Zydis segment register) for an access of
  // `bytes` (kSegRead / kSegWrite; 0: no access, an address only). In protected mode an access
  // through a segment that is not flat is checked against its limit and type first (#GP/#SS).
  static constexpr unsigned kSegRead = 0x10, kSegWrite = 0x20;
  ir::Value Linear(ZydisRegister seg, ir::Value offset, unsigned bytes, unsigned access);

  ir::Value ReadReg(ZydisRegister r);
  void WriteReg(ZydisRegister r, ir::Value v);
  // Full-width GPR access by index at a given type (RAX=0 .. R15=15).
  ir::Value ReadGpr(unsigned index, ir::Type t) { return ir.GetReg(t, index); }
  void WriteGpr(unsigned index, ir::Value v) { ir.SetReg(index, v); }

  ir::Value Load(ir::Type t, ir::Value linear) { return ir.Load(t, linear); }
  void Store(ir::Value linear, ir::Value v) { ir.Store(linear, v); }

  // Stack: stores before RSP is updated, so a faulting push leaves RSP unchanged.
  void Push(ir::Value v);
  ir::Value Pop(ir::Type t);

  // Writes the arithmetic flags in `mask` from an RFLAGS image.
  void SetFlags(uint64_t mask, ir::Value image) { ir.SetFlags(mask, image); }

  // Constant of operand i's type / of type t.
  ir::Value Const(ir::Type t, uint64_t v) { return ir.Const(t, v); }

  // Faults (#PF) unless the byte at addr is readable and writable, changing nothing: for
  // multi-part stores that must not write their first part when a later page faults.
  void ProbeWrite(ir::Value addr) { Store(addr, Load(ir::Type::kI8, addr)); }

  // Raises a guest exception at this instruction and ends the block.
  void RaiseException(uint32_t vector, uint32_t error_code = 0) {
    ir.Exit(ir::ExitReason::kException, insn.pc, vector, error_code);
  }

 private:
  ir::Value addr_cache_[ZYDIS_MAX_OPERAND_COUNT] = {
      ir::kNoValue, ir::kNoValue, ir::kNoValue, ir::kNoValue, ir::kNoValue,
      ir::kNoValue, ir::kNoValue, ir::kNoValue, ir::kNoValue, ir::kNoValue};
};

using Translator = void (*)(Context&);

// The one table from Zydis mnemonic to translator; each group file registers its own.
class TranslatorTable {
 public:
  void Add(ZydisMnemonic m, Translator t) { fns_[m] = t; }
  Translator Find(ZydisMnemonic m) const {
    return m <= ZYDIS_MNEMONIC_MAX_VALUE ? fns_[m] : nullptr;
  }
  size_t Count() const;

 private:
  Translator fns_[ZYDIS_MNEMONIC_MAX_VALUE + 1] = {};
};
const TranslatorTable& Translators();

// Group registration functions (one per frontend/x86/<group>.cpp).
void RegisterDataMove(TranslatorTable& t);  // datamove.cpp: mov, lea, movzx/sx, xchg, push/pop, ...
void RegisterAlu(TranslatorTable& t);     // alu.cpp: add..cmp, inc/dec/neg/not, test, cmpxchg, xadd
void RegisterShift(TranslatorTable& t);   // shift.cpp: shl/shr/sar/rol/ror/rcl/rcr/shld/shrd
void RegisterMulDiv(TranslatorTable& t);  // muldiv.cpp: mul, imul, div, idiv
void RegisterBit(TranslatorTable& t);     // bit.cpp: bt*, bsf/bsr, tzcnt/lzcnt/popcnt, bswap
void RegisterControl(TranslatorTable& t);    // control.cpp: jmp, jcc, call, ret, loop, jrcxz
void RegisterCondition(TranslatorTable& t);  // condition.cpp: setcc, cmovcc
void RegisterString(TranslatorTable& t);     // string.cpp: movs, stos, lods, cmps, scas (+rep)
void RegisterX87(TranslatorTable& t);        // x87.cpp: the x87 FPU
void RegisterMisc(TranslatorTable& t);       // misc.cpp: nop, cpuid, rdtsc, hlt, flags ops, ...
void RegisterSseMove(TranslatorTable& t);    // sse_move.cpp: movaps..movq, movmsk, mxcsr, fxsave
void RegisterSseInt(TranslatorTable& t);     // sse_int.cpp: padd..pshufd (SSE2 integer)
void RegisterSseFp(TranslatorTable& t);      // sse_fp.cpp: addps..cvt*, comis*, ps/pd logic
void RegisterMmx(
    TranslatorTable& t);  // mmx.cpp: emms, movntq, pshufw, movq2dq, maskmov, cvt*pi (+ MMX forms)
void RegisterCmpxchgWide(TranslatorTable& t);  // cmpxchg_wide.cpp: cmpxchg8b, cmpxchg16b
void RegisterSystem(TranslatorTable& t);  // system.cpp: port I/O, segments, CRs, MSRs, IRET, ...
// Far forms of JMP/CALL/RET and PUSH/POP of segment registers, dispatched to from control.cpp and
// datamove.cpp (TranslateSegmentPushPop returns false for other operands).
void TranslateFarJump(Context& c);
void TranslateFarCall(Context& c);
void TranslateFarReturn(Context& c);
bool TranslateSegmentPushPop(Context& c);
// MOV to/from CRn/DRn; false for other MOV forms.
bool TranslateMovSpecial(Context& c);
void RegisterSsse3(TranslatorTable& t);   // ssse3.cpp: SSE3 and SSSE3 (XMM forms)
void RegisterSse4(TranslatorTable& t);    // sse4.cpp: SSE4.1, SSE4.2 vector and string ops
void RegisterBmi(TranslatorTable& t);     // bmi.cpp: BMI1, BMI2, ADX, MOVBE, CRC32
void RegisterLegacy(TranslatorTable& t);  // legacy.cpp: AAA..AAD (BCD), SALC, ARPL (not 64-bit)
// The SSE2 forms (map 0F) of the MOVSD/CMPSD mnemonics, which string.cpp dispatches to.
void TranslateSseMovsd(Context& c);
void TranslateSseCmpsd(Context& c);

// Condition code (x86 encoding 0..15) of a Jcc/SETcc/CMOVcc mnemonic, or -1.
int ConditionCode(ZydisMnemonic m);

}  // namespace doppel::frontend
