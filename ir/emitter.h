// ir/emitter.h: the typed builder translators use to append IR to a block. Result types follow
// from argument types, so translators never spell a type except for constants, loads and casts.
#pragma once
#include "ir/ir.h"
#include "ir/vector.h"

namespace doppel::ir {

class Emitter {
 public:
  explicit Emitter(Block& block) : b_(block) {}

  Block& block() { return b_; }
  void SetGuestPc(uint64_t pc) { pc_ = pc; }
  uint64_t guest_pc() const { return pc_; }
  Type TypeOf(Value v) const { return b_.insts[v].type; }
  unsigned Width(Value v) const { return BitWidth(TypeOf(v)); }

  Value Emit(Opcode op, Type t, Value a = kNoValue, Value b = kNoValue, Value c = kNoValue,
             uint64_t imm = 0);

  Value Const(Type t, uint64_t v) {
    return Emit(Opcode::kConst, t, kNoValue, kNoValue, kNoValue, v & WidthMask(t));
  }
  Value Imm8(uint64_t v) { return Const(Type::kI8, v); }
  Value Imm64(uint64_t v) { return Const(Type::kI64, v); }
  Value True() { return Const(Type::kI1, 1); }
  Value False() { return Const(Type::kI1, 0); }

  Value GetReg(Type t, unsigned reg) {
    return Emit(Opcode::kGetReg, t, kNoValue, kNoValue, kNoValue, reg);
  }
  void SetReg(unsigned reg, Value v) {
    Emit(Opcode::kSetReg, Type::kVoid, v, kNoValue, kNoValue, reg);
  }
  Value GetRegHi8(unsigned r) {
    return Emit(Opcode::kGetRegHi8, Type::kI8, kNoValue, kNoValue, kNoValue, r);
  }
  void SetRegHi8(unsigned r, Value v) {
    Emit(Opcode::kSetRegHi8, Type::kVoid, v, kNoValue, kNoValue, r);
  }
  Value GetFlags() { return Emit(Opcode::kGetFlags, Type::kI64); }
  void SetFlags(uint64_t mask, Value image) {
    Emit(Opcode::kSetFlags, Type::kVoid, image, kNoValue, kNoValue, mask);
  }
  Value Cond(unsigned cc, Value flags) {
    return Emit(Opcode::kCond, Type::kI1, flags, kNoValue, kNoValue, cc);
  }
  Value Cond(unsigned cc) { return Cond(cc, GetFlags()); }
  // One flag as I1 / set one flag from an I1.
  Value GetFlag(uint64_t bit);
  void SetFlag(uint64_t bit, Value v1);
  Value GetSegBase(unsigned seg) {
    return Emit(Opcode::kGetSegBase, Type::kI64, kNoValue, kNoValue, kNoValue, seg);
  }

#define DOPPEL_BINOP(name) \
  Value name(Value a, Value b) { return Emit(Opcode::k##name, TypeOf(a), a, b); }
  DOPPEL_BINOP(Add)
  DOPPEL_BINOP(Sub)
  DOPPEL_BINOP(And) DOPPEL_BINOP(Or) DOPPEL_BINOP(Xor) DOPPEL_BINOP(Mul) DOPPEL_BINOP(UMulHi)
      DOPPEL_BINOP(SMulHi) DOPPEL_BINOP(Shl) DOPPEL_BINOP(Shr) DOPPEL_BINOP(Sar) DOPPEL_BINOP(Rol)
          DOPPEL_BINOP(Ror)
#undef DOPPEL_BINOP
              Value Not(Value a) {
    return Emit(Opcode::kNot, TypeOf(a), a);
  }
  Value Neg(Value a) { return Emit(Opcode::kNeg, TypeOf(a), a); }
  Value Rcl(Value a, Value count, Value cf) { return Emit(Opcode::kRcl, TypeOf(a), a, count, cf); }
  Value Rcr(Value a, Value count, Value cf) { return Emit(Opcode::kRcr, TypeOf(a), a, count, cf); }
  Value Shld(Value a, Value b, Value count) { return Emit(Opcode::kShld, TypeOf(a), a, b, count); }
  Value Shrd(Value a, Value b, Value count) { return Emit(Opcode::kShrd, TypeOf(a), a, b, count); }
  Value UDiv(Value hi, Value lo, Value d) { return Emit(Opcode::kUDiv, TypeOf(lo), hi, lo, d); }
  Value URem(Value hi, Value lo, Value d) { return Emit(Opcode::kURem, TypeOf(lo), hi, lo, d); }
  Value SDiv(Value hi, Value lo, Value d) { return Emit(Opcode::kSDiv, TypeOf(lo), hi, lo, d); }
  Value SRem(Value hi, Value lo, Value d) { return Emit(Opcode::kSRem, TypeOf(lo), hi, lo, d); }
  Value Bswap(Value a) { return Emit(Opcode::kBswap, TypeOf(a), a); }
  Value Popcnt(Value a) { return Emit(Opcode::kPopcnt, TypeOf(a), a); }
  Value Ctz(Value a) { return Emit(Opcode::kCtz, TypeOf(a), a); }
  Value Pdep(Value a, Value mask) { return Emit(Opcode::kPdep, TypeOf(a), a, mask); }
  Value Pext(Value a, Value mask) { return Emit(Opcode::kPext, TypeOf(a), a, mask); }
  Value Crc32(Value acc, Value data) { return Emit(Opcode::kCrc32, TypeOf(acc), acc, data); }
  Value Clz(Value a) { return Emit(Opcode::kClz, TypeOf(a), a); }
  // Casts; a cast to the value's own type returns it unchanged.
  Value ZExt(Type t, Value a);
  Value SExt(Type t, Value a);
  Value Trunc(Type t, Value a);
  Value Select(Value c, Value a, Value b) { return Emit(Opcode::kSelect, TypeOf(a), c, a, b); }
  Value CmpEq(Value a, Value b) { return Emit(Opcode::kCmpEq, Type::kI1, a, b); }
  Value CmpNe(Value a, Value b) { return Emit(Opcode::kCmpNe, Type::kI1, a, b); }
  Value CmpULt(Value a, Value b) { return Emit(Opcode::kCmpULt, Type::kI1, a, b); }
  Value CmpSLt(Value a, Value b) { return Emit(Opcode::kCmpSLt, Type::kI1, a, b); }

#define DOPPEL_FLAGS1(name) \
  Value name(Value a) { return Emit(Opcode::k##name, Type::kI64, a); }
#define DOPPEL_FLAGS2(name) \
  Value name(Value a, Value b) { return Emit(Opcode::k##name, Type::kI64, a, b); }
#define DOPPEL_FLAGS3(name) \
  Value name(Value a, Value b, Value c) { return Emit(Opcode::k##name, Type::kI64, a, b, c); }
  DOPPEL_FLAGS2(FlagsAdd)
  DOPPEL_FLAGS2(FlagsSub)
  DOPPEL_FLAGS3(FlagsAdc) DOPPEL_FLAGS3(FlagsSbb) DOPPEL_FLAGS1(FlagsLogic) DOPPEL_FLAGS1(FlagsInc)
      DOPPEL_FLAGS1(FlagsDec) DOPPEL_FLAGS2(FlagsShl) DOPPEL_FLAGS2(FlagsShr)
          DOPPEL_FLAGS2(FlagsSar) DOPPEL_FLAGS2(FlagsRol) DOPPEL_FLAGS2(FlagsRor)
              DOPPEL_FLAGS3(FlagsRcl) DOPPEL_FLAGS3(FlagsRcr) DOPPEL_FLAGS3(FlagsShld)
                  DOPPEL_FLAGS3(FlagsShrd) DOPPEL_FLAGS2(FlagsUMul) DOPPEL_FLAGS2(FlagsSMul)
#undef DOPPEL_FLAGS1
#undef DOPPEL_FLAGS2
#undef DOPPEL_FLAGS3

                      Value Load(Type t, Value addr) {
    return Emit(Opcode::kLoad, t, addr);
  }
  void Store(Value addr, Value v) { Emit(Opcode::kStore, Type::kVoid, addr, v); }
  void SideExit(Value cond, uint64_t pc) {
    Emit(Opcode::kSideExit, Type::kVoid, cond, kNoValue, kNoValue, pc);
  }
  void Cpuid() { Emit(Opcode::kCpuid, Type::kVoid); }
  Value System(uint64_t imm, Value a, Value b) {
    return Emit(Opcode::kSystem, Type::kI64, a, b, kNoValue, imm);
  }
  Value Rdtsc() { return Emit(Opcode::kRdtsc, Type::kI64); }

  // SSE state (ir/vector.h: slots, vecops and the imm packing).
  void VLoad(Value addr, unsigned slot, unsigned bytes, bool align) {
    Emit(Opcode::kVLoad, Type::kVoid, addr, kNoValue, kNoValue, PackVecMem(slot, bytes, align));
  }
  void VStore(Value addr, unsigned slot, unsigned bytes, bool align) {
    Emit(Opcode::kVStore, Type::kVoid, addr, kNoValue, kNoValue, PackVecMem(slot, bytes, align));
  }
  void VOp(VecOp op, unsigned dst, unsigned src, uint8_t imm8 = 0) {
    Emit(Opcode::kVOp, Type::kVoid, kNoValue, kNoValue, kNoValue, PackVec(op, dst, src, imm8));
  }
  void VFromGpr(unsigned slot, Value v) {
    Emit(Opcode::kVFromGpr, Type::kVoid, v, kNoValue, kNoValue, slot);
  }
  void VFromGprOp(VecOp op, unsigned dst, Value v, uint8_t imm8 = 0) {
    Emit(Opcode::kVFromGprOp, Type::kVoid, v, kNoValue, kNoValue, PackVec(op, dst, 0, imm8));
  }
  Value VToGpr(Type t, VecOp op, unsigned src, uint8_t imm8 = 0) {
    return Emit(Opcode::kVToGpr, t, kNoValue, kNoValue, kNoValue, PackVec(op, 0, src, imm8));
  }
  Value VStrCmp(VecOp op, unsigned a, unsigned b, uint8_t imm8, Value lengths) {
    return Emit(Opcode::kVStrCmp, Type::kI64, lengths, kNoValue, kNoValue, PackVec(op, a, b, imm8));
  }
  Value VFlags(VecOp op, unsigned a, unsigned b) {
    return Emit(Opcode::kVFlags, Type::kI64, kNoValue, kNoValue, kNoValue, PackVec(op, a, b));
  }
  Value GetMxcsr() { return Emit(Opcode::kGetMxcsr, Type::kI32); }
  void SetMxcsr(Value v) { Emit(Opcode::kSetMxcsr, Type::kVoid, v); }

  // x87 (ir/x87.h).
  Value X87Op(uint64_t imm, Value rflags, Value addr) {
    return Emit(Opcode::kX87Op, Type::kI64, rflags, addr, kNoValue, imm);
  }
  void X87Load(unsigned offset, Value v) {
    Emit(Opcode::kX87Load, Type::kVoid, v, kNoValue, kNoValue, offset);
  }
  Value X87Store(unsigned offset) {
    return Emit(Opcode::kX87Store, Type::kI64, kNoValue, kNoValue, kNoValue, offset);
  }
  Value X87ToGpr(unsigned word) {
    return Emit(Opcode::kX87ToGpr, Type::kI64, kNoValue, kNoValue, kNoValue, word);
  }

  // Terminals: exactly one ends every block.
  void Link(uint64_t pc);
  void CondLink(Value cond, uint64_t pc_true, uint64_t pc_false);
  void Indirect(Value target);
  void Exit(ExitReason reason, uint64_t pc, uint32_t vector = 0, uint32_t error_code = 0);
  // Leaves the block with RIP = rip (an I64 value computed in the block).
  void ExitTo(ExitReason reason, Value rip);
  bool HasTerminal() const { return b_.term.kind != Terminal::Kind::kNone; }

 private:
  Block& b_;
  uint64_t pc_ = 0;
};

}  // namespace doppel::ir
