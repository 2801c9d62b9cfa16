// backend/x64/emit_alu.cpp: code generation for constants, guest-state access, conditions and the
// integer ops. Invariant: every IR value sits in its 64-bit home zero-extended from its width, so
// wide compares and stores of narrow values need no fix-ups; narrow results are re-zero-extended.
#include "backend/x64/codegen.h"

namespace doppel::x64 {

using ir::Opcode;

// --- shared helpers ---------------------------------------------------------------------------

x86::Gp Codegen::W(x86::Gp r, unsigned bits) {
  switch (bits) {
    case 1:
    case 8: return r.r8();
    case 16: return r.r16();
    case 32: return r.r32();
    default: return r.r64();
  }
}

x86::Mem Codegen::StateField(size_t off, unsigned bytes) const {
  return x86::ptr(kState, static_cast<int32_t>(off), bytes);
}

unsigned Codegen::ArgWidth(const ir::Inst& in, unsigned k) const {
  return ir::BitWidth(b_->insts[in.args[k]].type);
}

void Codegen::LoadTo(x86::Gp dst, ir::Value v) {
  Loc l = ra_.Where(v);
  if (l.konst) {
    MovImm(dst, l.imm);
  } else if (l.InReg()) {
    if (l.reg != static_cast<int>(dst.id())) a_.mov(dst.r64(), x86::gpq(l.reg));
  } else {
    a_.mov(dst.r64(), Slot(l.slot));
  }
}

x86::Gp Codegen::In(ir::Value v, x86::Gp scratch) {
  Loc l = ra_.Where(v);
  if (l.InReg()) return x86::gpq(l.reg);
  if (l.konst) {
    MovImm(scratch, l.imm);
  } else {
    a_.mov(scratch.r64(), Slot(l.slot));
  }
  return scratch.r64();
}

bool Codegen::ConstImm(ir::Value v, unsigned bits, int64_t* imm) const {
  const Loc l = ra_.Where(v);
  if (!l.konst) return false;
  if (bits >= 64) {
    *imm = static_cast<int64_t>(l.imm);
    return *imm == static_cast<int32_t>(*imm);
  }
  const unsigned shift = 64 - (bits < 8 ? 8 : bits);
  *imm = static_cast<int64_t>(l.imm << shift) >> shift;  // sign-extended from the width
  return true;
}

x86::Gp Codegen::Out() { return dst_.InReg() ? x86::gpq(dst_.reg) : x86::rax; }

void Codegen::Commit(x86::Gp r) {
  if (dst_.InReg()) {
    if (static_cast<int>(r.id()) != dst_.reg) a_.mov(x86::gpq(dst_.reg), r.r64());
  } else {
    a_.mov(Slot(dst_.slot), r.r64());
  }
}

void Codegen::ZeroExtendInPlace(x86::Gp r, unsigned bits) {
  switch (bits) {
    case 1: a_.and_(r.r32(), 1); break;
    case 8: a_.movzx(r.r32(), r.r8()); break;
    case 16: a_.movzx(r.r32(), r.r16()); break;
    case 32: a_.mov(r.r32(), r.r32()); break;
    default: break;
  }
}

void Codegen::SignExtendTo64(x86::Gp dst, x86::Gp src, unsigned bits) {
  switch (bits) {
    case 1:
      if (dst.id() != src.id()) a_.mov(dst.r64(), src.r64());
      a_.neg(dst.r64());
      break;
    case 8: a_.movsx(dst.r64(), src.r8()); break;
    case 16: a_.movsx(dst.r64(), src.r16()); break;
    case 32: a_.movsxd(dst.r64(), src.r32()); break;
    default:
      if (dst.id() != src.id()) a_.mov(dst.r64(), src.r64());
      break;
  }
}

void Codegen::MovImm(x86::Gp r, uint64_t v) {
  // Plain movs only (no xor-zeroing): callers may have host flags live across this.
  if (v <= 0xffffffffull) {
    a_.mov(r.r32(), static_cast<uint32_t>(v));
  } else if (static_cast<int64_t>(v) == static_cast<int32_t>(v)) {
    a_.mov(r.r64(), asmjit::imm(static_cast<int64_t>(v)));
  } else {
    a_.movabs(r.r64(), v);
  }
}

void Codegen::AndImm(x86::Gp r, uint64_t v) {
  if (static_cast<int64_t>(v) == static_cast<int32_t>(v)) {
    a_.and_(r.r64(), asmjit::imm(static_cast<int64_t>(v)));
  } else {
    MovImm(x86::r11, v);
    a_.and_(r.r64(), x86::r11);
  }
}

// --- constants and guest state ----------------------------------------------------------------

void Codegen::EmitConst(const ir::Inst& in) {
  if (dst_.konst) return;  // materialised by its uses
  x86::Gp d = Out();
  MovImm(d, in.imm & ir::WidthMask(in.type));
  Commit(d);
}

void Codegen::EmitState(const ir::Inst& in) {
  const size_t gpr = offsetof(CpuState, gpr) + 8 * (in.imm & 15);
  switch (in.op) {
    case Opcode::kGetReg: {
      x86::Gp d = Out();
      switch (ir::BitWidth(in.type)) {
        case 8: a_.movzx(d.r32(), StateField(gpr, 1)); break;
        case 16: a_.movzx(d.r32(), StateField(gpr, 2)); break;
        case 32: a_.mov(d.r32(), StateField(gpr, 4)); break;
        default: a_.mov(d, StateField(gpr, 8)); break;
      }
      Commit(d);
      break;
    }
    case Opcode::kSetReg: {
      int64_t imm;
      const unsigned sw = ArgWidth(in, 0) == 32 ? 64 : ArgWidth(in, 0);  // I32 stores 64 bits
      if (sw >= 8 && ConstImm(in.args[0], sw, &imm)) {
        a_.mov(StateField(gpr, sw / 8), asmjit::imm(imm));
        break;
      }
      x86::Gp v = In(in.args[0], x86::rax);
      switch (ArgWidth(in, 0)) {
        case 8: a_.mov(StateField(gpr, 1), v.r8()); break;
        case 16: a_.mov(StateField(gpr, 2), v.r16()); break;
        default: a_.mov(StateField(gpr, 8), v); break;  // I32 values are zero-extended already
      }
      break;
    }
    case Opcode::kGetRegHi8: {
      x86::Gp d = Out();
      a_.movzx(d.r32(), StateField(offsetof(CpuState, gpr) + 8 * (in.imm & 3) + 1, 1));
      Commit(d);
      break;
    }
    case Opcode::kSetRegHi8: {
      x86::Gp v = In(in.args[0], x86::rax);
      a_.mov(StateField(offsetof(CpuState, gpr) + 8 * (in.imm & 3) + 1, 1), v.r8());
      break;
    }
    case Opcode::kGetFlags: {
      x86::Gp d = Out();
      a_.mov(d, StateField(offsetof(CpuState, rflags), 8));
      Commit(d);
      break;
    }
    case Opcode::kSetFlags: {
      x86::Gp v = In(in.args[0], x86::rdx);
      if (in.imm == ~0ull) {
        a_.mov(StateField(offsetof(CpuState, rflags), 8), v);
        break;
      }
      x86::Gp bits = v;
      if ((in.imm & ir::kArithFlags) != ir::kArithFlags || !IsFlagsImage(in.args[0])) {
        a_.mov(x86::rcx, v);
        AndImm(x86::rcx, in.imm);
        bits = x86::rcx;
      }
      a_.mov(x86::rax, StateField(offsetof(CpuState, rflags), 8));
      AndImm(x86::rax, ~in.imm);
      a_.or_(x86::rax, bits);
      a_.mov(StateField(offsetof(CpuState, rflags), 8), x86::rax);
      break;
    }
    case Opcode::kGetSegBase: {
      x86::Gp d = Out();
      a_.mov(d, StateField(offsetof(CpuState, seg_base) + 8 * (in.imm % 6), 8));
      Commit(d);
      break;
    }
    default: break;
  }
}

// x86 condition codes on an RFLAGS image with bit tests; host RFLAGS are never loaded from guest
// data, so TF/DF/IF in the image cannot leak into the host.
void Codegen::EmitCond(const ir::Inst& in) {
  x86::Gp f = In(in.args[0], x86::rdx);
  x86::Gp d = Out();
  const bool negate = in.imm & 1;
  auto set = [&](bool on_carry) {  // d8 = CF (or !CF) of the preceding bt
    if (on_carry != negate) {
      a_.setc(d.r8());
    } else {
      a_.setnc(d.r8());
    }
  };
  switch ((in.imm >> 1) & 7) {
    case 0:
      a_.bt(f, 11);
      set(true);
      break;  // O
    case 1:
      a_.bt(f, 0);
      set(true);
      break;  // B
    case 2:
      a_.bt(f, 6);
      set(true);
      break;  // Z
    case 3:   // BE: CF | ZF
      a_.test(f.r32(), 0x41);
      if (negate) {
        a_.setz(d.r8());
      } else {
        a_.setnz(d.r8());
      }
      break;
    case 4:
      a_.bt(f, 7);
      set(true);
      break;  // S
    case 5:
      a_.bt(f, 2);
      set(true);
      break;  // P
    case 6:   // L: SF != OF (OF is bit 11 = bit 7 + 4)
      a_.mov(x86::r11, f);
      a_.shr(x86::r11, 4);
      a_.xor_(x86::r11, f);
      a_.bt(x86::r11, 7);
      set(true);
      break;
    case 7:  // LE: ZF | SF != OF
      a_.mov(x86::r11, f);
      a_.shr(x86::r11, 4);
      a_.xor_(x86::r11, f);
      a_.and_(x86::r11d, 0x80);
      a_.mov(x86::ecx, f.r32());
      a_.and_(x86::ecx, 0x40);
      a_.or_(x86::r11d, x86::ecx);
      if (negate) {
        a_.setz(d.r8());
      } else {
        a_.setnz(d.r8());
      }
      break;
  }
  a_.movzx(d.r32(), d.r8());
  Commit(d);
}

// --- arithmetic -------------------------------------------------------------------------------

void Codegen::EmitBinary(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  x86::Gp d = Out();
  if (EmitBinaryImm(in, d)) return;
  x86::Gp b = In(in.args[1], x86::rdx);
  LoadTo(d, in.args[0]);
  // 32-bit forms for narrow types (they zero-extend); 8/16-bit results are re-zero-extended.
  x86::Gp dd = w == 64 ? d : d.r32();
  x86::Gp bb = w == 64 ? b : b.r32();
  bool narrow_fixup = w < 32;
  switch (in.op) {
    case Opcode::kAdd: a_.add(dd, bb); break;
    case Opcode::kSub: a_.sub(dd, bb); break;
    case Opcode::kAnd:
      a_.and_(dd, bb);
      narrow_fixup = false;
      break;
    case Opcode::kOr:
      a_.or_(dd, bb);
      narrow_fixup = false;
      break;
    case Opcode::kXor:
      a_.xor_(dd, bb);
      narrow_fixup = false;
      break;
    case Opcode::kMul: a_.imul(dd, bb); break;
    default: break;
  }
  if (narrow_fixup) ZeroExtendInPlace(d, w);
  Commit(d);
}

// A binary op with a constant operand as an immediate (Add/Sub through lea where the operand
// sits in a register); false when neither operand qualifies.
bool Codegen::EmitBinaryImm(const ir::Inst& in, x86::Gp d) {
  const unsigned w = ir::BitWidth(in.type);
  const unsigned iw = w < 32 ? 32 : w;  // narrow ops run in 32 bits
  const bool commutative = in.op != Opcode::kSub;
  ir::Value x = in.args[0], y = in.args[1];
  int64_t imm;
  if (!ConstImm(y, iw, &imm)) {
    if (!commutative || !ConstImm(x, iw, &imm)) return false;
    std::swap(x, y);
  }
  if (w < 32) imm = static_cast<int64_t>(ra_.Where(y).imm);  // < 2^16: any form takes it
  x86::Gp dd = w == 64 ? d : d.r32();
  bool narrow_fixup = w < 32;
  const Loc lx = ra_.Where(x);
  const bool lea = (in.op == Opcode::kAdd || (in.op == Opcode::kSub && imm != INT32_MIN)) &&
                   lx.InReg() && w >= 32;
  if (lea) {
    const int32_t disp = static_cast<int32_t>(in.op == Opcode::kAdd ? imm : -imm);
    a_.lea(dd, x86::ptr(x86::gpq(lx.reg), disp));
    Commit(d);
    return true;
  }
  if (in.op == Opcode::kMul) {
    a_.imul(dd, w == 64 ? In(x, x86::rdx) : In(x, x86::rdx).r32(), asmjit::imm(imm));
  } else {
    LoadTo(d, x);
    switch (in.op) {
      case Opcode::kAdd: a_.add(dd, asmjit::imm(imm)); break;
      case Opcode::kSub: a_.sub(dd, asmjit::imm(imm)); break;
      case Opcode::kAnd:
        a_.and_(dd, asmjit::imm(imm));
        narrow_fixup = false;
        break;
      case Opcode::kOr:
        a_.or_(dd, asmjit::imm(imm));
        narrow_fixup = false;
        break;
      default:
        a_.xor_(dd, asmjit::imm(imm));
        narrow_fixup = false;
        break;
    }
  }
  if (narrow_fixup) ZeroExtendInPlace(d, w);
  Commit(d);
  return true;
}

void Codegen::EmitMulHi(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  if (w == 64) {
    LoadTo(x86::rax, in.args[0]);
    x86::Gp b = In(in.args[1], x86::rdx);  // read by mul/imul before rdx is written
    if (in.op == Opcode::kUMulHi) {
      a_.mul(b);
    } else {
      a_.imul(b);
    }
    Commit(x86::rdx);
    return;
  }
  // Narrow: the full product fits in 64 bits.
  x86::Gp d = Out();
  if (in.op == Opcode::kUMulHi) {
    x86::Gp b = In(in.args[1], x86::rdx);
    LoadTo(d, in.args[0]);
    a_.imul(d, b);
    a_.shr(d, w);
  } else {
    x86::Gp a = In(in.args[0], x86::rdx);
    SignExtendTo64(d, a, w);
    x86::Gp b = In(in.args[1], x86::rdx);
    SignExtendTo64(x86::r11, b, w);
    a_.imul(d, x86::r11);
    a_.sar(d, w);
    ZeroExtendInPlace(d, w);
  }
  Commit(d);
}

void Codegen::EmitUnary(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  x86::Gp d = Out();
  LoadTo(d, in.args[0]);
  switch (in.op) {
    case Opcode::kNot:
      if (w == 64) {
        a_.not_(d);
      } else if (w == 32) {
        a_.not_(d.r32());
      } else {
        a_.xor_(d.r32(), static_cast<uint32_t>(ir::WidthMask(in.type)));
      }
      break;
    case Opcode::kNeg:
      if (w == 64) {
        a_.neg(d);
      } else {
        a_.neg(d.r32());
        ZeroExtendInPlace(d, w);
      }
      break;
    case Opcode::kBswap:
      if (w == 64) {
        a_.bswap(d);
      } else {
        a_.bswap(d.r32());  // narrower than 32: the low bytes of the 32-bit swap, as the reference
        ZeroExtendInPlace(d, w);
      }
      break;
    default: break;
  }
  Commit(d);
}

// Shl/Shr/Sar with the IR's total definition for any 8-bit count: computed in 64 bits on the
// zero- (or sign-) extended value, where counts 32..63 already give 0 / the sign fill for narrow
// widths; counts >= 64 give 0 (Shl/Shr) or are clamped to 63 (Sar).
void Codegen::EmitShift(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  x86::Gp d = Out();
  if (ra_.Where(in.args[1]).konst) {
    const uint64_t count = ra_.Where(in.args[1]).imm;
    if (in.op != Opcode::kSar && count >= 64) {
      MovImm(d, 0);
      Commit(d);
      return;
    }
    LoadTo(d, in.args[0]);
    const uint32_t c = static_cast<uint32_t>(count > 63 ? 63 : count);
    switch (in.op) {
      case Opcode::kShl: a_.shl(d, c); break;
      case Opcode::kShr: a_.shr(d, c); break;
      default:
        SignExtendTo64(d, d, w);
        a_.sar(d, c);
        break;
    }
    ZeroExtendInPlace(d, w);
    Commit(d);
    return;
  }
  LoadTo(x86::rcx, in.args[1]);
  LoadTo(d, in.args[0]);
  if (in.op == Opcode::kSar) {
    SignExtendTo64(d, d, w);
    a_.mov(x86::r11d, 63);
    a_.cmp(x86::ecx, 63);
    a_.cmova(x86::ecx, x86::r11d);
    a_.sar(d, x86::cl);
  } else {
    if (in.op == Opcode::kShl) {
      a_.shl(d, x86::cl);
    } else {
      a_.shr(d, x86::cl);
    }
    a_.mov(x86::r11d, 0);
    a_.cmp(x86::ecx, 64);
    a_.cmovae(d, x86::r11);
  }
  ZeroExtendInPlace(d, w);
  Commit(d);
}

// Rotates are periodic in the width, and the host's count masking (5 bits, 6 for 64-bit) keeps
// the count's residue mod 8/16/32/64, so the host instruction at the width is exact.
void Codegen::EmitRotate(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  x86::Gp d = Out();
  LoadTo(x86::rcx, in.args[1]);
  LoadTo(d, in.args[0]);
  if (in.op == Opcode::kRol) {
    a_.rol(W(d, w), x86::cl);
  } else {
    a_.ror(W(d, w), x86::cl);
  }
  Commit(d);
}

// Rcl/Rcr rotate through a (w+1)-bit ring: the count is reduced mod w+1 (a short loop: counts are
// at most 255), then the host instruction runs with CF = the carry argument. A reduced count of
// exactly w (only possible for 32/64, where the host masks it to 0) equals a 1-step rotation the
// other way.
void Codegen::EmitRotateCarry(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  const bool left = in.op == Opcode::kRcl;
  x86::Gp d = Out();
  LoadTo(x86::rcx, in.args[1]);
  LoadTo(d, in.args[0]);
  x86::Gp cf = In(in.args[2], x86::rdx);
  asmjit::Label reduce = a_.newLabel(), reduced = a_.newLabel(), done = a_.newLabel();
  a_.bind(reduce);
  a_.cmp(x86::ecx, w + 1);
  a_.jb(reduced);
  a_.sub(x86::ecx, w + 1);
  a_.jmp(reduce);
  a_.bind(reduced);
  if (w >= 32) {
    asmjit::Label normal = a_.newLabel();
    a_.cmp(x86::ecx, w);
    a_.jne(normal);
    a_.bt(cf, 0);
    if (left) {
      a_.rcr(W(d, w), 1);
    } else {
      a_.rcl(W(d, w), 1);
    }
    a_.jmp(done);
    a_.bind(normal);
  }
  a_.bt(cf, 0);
  if (left) {
    a_.rcl(W(d, w), x86::cl);
  } else {
    a_.rcr(W(d, w), x86::cl);
  }
  a_.bind(done);
  Commit(d);
}

// Shld/Shrd: the host instruction for 16/32/64 (16-bit counts above 16 shift the destination in
// again, as the reference defines). There is no 8-bit form: shift the 16-bit concatenation.
void Codegen::EmitDoubleShift(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  const bool left = in.op == Opcode::kShld;
  x86::Gp d = Out();
  if (w == 8) {
    // shld: ((a:b) << c) >> 8; shrd: (b:a) >> c; low byte of either.
    LoadTo(x86::r11, in.args[left ? 0 : 1]);
    a_.shl(x86::r11d, 8);
    x86::Gp lo = In(in.args[left ? 1 : 0], x86::rdx);
    a_.or_(x86::r11d, lo.r32());
    LoadTo(x86::rcx, in.args[2]);
    if (left) {
      a_.shl(x86::r11d, x86::cl);
      a_.shr(x86::r11d, 8);
    } else {
      a_.shr(x86::r11d, x86::cl);
    }
    a_.movzx(d.r32(), x86::r11b);
    Commit(d);
    return;
  }
  LoadTo(x86::rcx, in.args[2]);
  x86::Gp b = In(in.args[1], x86::rdx);
  LoadTo(d, in.args[0]);
  if (left) {
    a_.shld(W(d, w), W(b, w), x86::cl);
  } else {
    a_.shrd(W(d, w), W(b, w), x86::cl);
  }
  Commit(d);
}

void Codegen::EmitBitCount(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  x86::Gp d = Out();
  switch (in.op) {
    case Opcode::kPopcnt: a_.popcnt(d, In(in.args[0], x86::rdx)); break;
    case Opcode::kCtz:
      if (w == 64) {
        a_.tzcnt(d, In(in.args[0], x86::rdx));
      } else {
        LoadTo(d, in.args[0]);
        a_.bts(d, w);  // a zero input then counts up to bit w
        a_.tzcnt(d, d);
      }
      break;
    case Opcode::kClz:
      a_.lzcnt(d, In(in.args[0], x86::rdx));
      if (w < 64) a_.sub(d.r32(), 64 - w);  // lzcnt(0) = 64 becomes w
      break;
    default: break;
  }
  Commit(d);
}

void Codegen::EmitBitGather(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  x86::Gp d = Out();
  if (in.op == Opcode::kCrc32) {
    const unsigned from = ArgWidth(in, 1);
    x86::Gp v = In(in.args[1], x86::rdx);
    LoadTo(d, in.args[0]);
    switch (from) {
      case 8: a_.crc32(d.r32(), v.r8()); break;
      case 16: a_.crc32(d.r32(), v.r16()); break;
      case 32: a_.crc32(d.r32(), v.r32()); break;
      default: a_.crc32(d.r64(), v.r64()); break;  // the CRC is 32 bits: the upper half is zero
    }
    Commit(d);
    return;
  }
  x86::Gp a = In(in.args[0], x86::rdx);
  x86::Gp m = In(in.args[1], x86::rcx);
  if (w == 64) {
    if (in.op == Opcode::kPdep) {
      a_.pdep(d, a, m);
    } else {
      a_.pext(d, a, m);
    }
  } else {
    // Narrower values are zero-extended, so the 32-bit form computes them exactly.
    if (in.op == Opcode::kPdep) {
      a_.pdep(d.r32(), a.r32(), m.r32());
    } else {
      a_.pext(d.r32(), a.r32(), m.r32());
    }
  }
  Commit(d);
}

void Codegen::EmitCast(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  const unsigned from = ArgWidth(in, 0);
  x86::Gp d = Out();
  if (in.op == Opcode::kSExt) {
    SignExtendTo64(d, In(in.args[0], x86::rdx), from);
    ZeroExtendInPlace(d, w);
  } else {
    LoadTo(d, in.args[0]);
    if (from > w) ZeroExtendInPlace(d, w);  // widening a zero-extended value is a copy
  }
  Commit(d);
}

void Codegen::EmitSelect(const ir::Inst& in) {
  x86::Gp d = Out();
  LoadTo(d, in.args[2]);
  x86::Gp t = In(in.args[1], x86::rdx);
  x86::Gp c = In(in.args[0], x86::rcx);
  a_.test(c.r32(), c.r32());
  a_.cmovnz(d, t);
  Commit(d);
}

void Codegen::EmitCompare(const ir::Inst& in) {
  x86::Gp d = Out();
  x86::Gp x = In(in.args[0], x86::rdx);
  const Loc ly = ra_.Where(in.args[1]);
  if (in.op != Opcode::kCmpSLt && ly.konst && ly.imm <= 0x7fffffffu) {
    // Zero-extended operands: a non-negative imm32 compares the same.
    a_.cmp(x, asmjit::imm(static_cast<int64_t>(ly.imm)));
  } else {
    EmitCompareRegs(in, x);
  }
  switch (in.op) {
    case Opcode::kCmpEq: a_.sete(d.r8()); break;
    case Opcode::kCmpNe: a_.setne(d.r8()); break;
    case Opcode::kCmpULt: a_.setb(d.r8()); break;
    default: a_.setl(d.r8()); break;
  }
  a_.movzx(d.r32(), d.r8());
  Commit(d);
}

void Codegen::EmitCompareRegs(const ir::Inst& in, x86::Gp x) {
  x86::Gp y = In(in.args[1], x86::rcx);
  if (in.op == Opcode::kCmpSLt) {
    SignExtendTo64(x86::rdx, x, ArgWidth(in, 0));
    SignExtendTo64(x86::rcx, y, ArgWidth(in, 1));
    x = x86::rdx;
    y = x86::rcx;
  }
  a_.cmp(x, y);
}

}  // namespace doppel::x64
