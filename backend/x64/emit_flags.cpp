// backend/x64/emit_flags.cpp: the Flags* ops. The host is x86-64, so each runs the real host
// instruction on the operands at the operand width and captures RFLAGS (pushfq; pop), masked to
// the bits the op defines; every flag, including the SDM's "undefined" ones, is then exactly what
// this host's hardware produces for the guest instruction.
#include "backend/x64/codegen.h"

namespace doppel::x64 {

using ir::Opcode;

namespace {
constexpr uint32_t kAll = ir::kCF | ir::kPF | ir::kAF | ir::kZF | ir::kSF | ir::kOF;  // 0x8D5
constexpr uint32_t kCfOf = ir::kCF | ir::kOF;
}  // namespace

void Codegen::EmitFlags(const ir::Inst& in) {
  // I1 operands have no host width; they are treated as 8-bit (the frontend never emits them).
  unsigned w = ArgWidth(in, 0);
  if (w < 8) w = 8;
  const x86::Gp ax = W(x86::rax, w);
  uint32_t mask = kAll;
  switch (in.op) {
    case Opcode::kFlagsAdd:
    case Opcode::kFlagsSub:
    case Opcode::kFlagsAdc:
    case Opcode::kFlagsSbb: {
      LoadTo(x86::rax, in.args[0]);
      int64_t imm;
      if ((in.op == Opcode::kFlagsAdd || in.op == Opcode::kFlagsSub) &&
          ConstImm(in.args[1], w, &imm)) {
        if (in.op == Opcode::kFlagsAdd) {
          a_.add(ax, asmjit::imm(imm));
        } else {
          a_.sub(ax, asmjit::imm(imm));
        }
        break;
      }
      x86::Gp b = W(In(in.args[1], x86::rdx), w);
      if (in.op == Opcode::kFlagsAdc || in.op == Opcode::kFlagsSbb) {
        a_.bt(In(in.args[2], x86::r11), 0);  // host CF = carry in
      }
      switch (in.op) {
        case Opcode::kFlagsAdd: a_.add(ax, b); break;
        case Opcode::kFlagsSub: a_.sub(ax, b); break;
        case Opcode::kFlagsAdc: a_.adc(ax, b); break;
        default: a_.sbb(ax, b); break;
      }
      break;
    }
    case Opcode::kFlagsLogic:
      // CF=OF=0 from TEST; AF is undefined for logic ops on the host, the IR defines it 0.
      LoadTo(x86::rax, in.args[0]);
      a_.test(ax, ax);
      mask = kAll & ~ir::kAF;
      break;
    case Opcode::kFlagsInc:
    case Opcode::kFlagsDec:
      // INC/DEC keep the host CF; the image has CF = 0 (the translator keeps the guest CF).
      LoadTo(x86::rax, in.args[0]);
      if (in.op == Opcode::kFlagsInc) {
        a_.inc(ax);
      } else {
        a_.dec(ax);
      }
      mask = kAll & ~ir::kCF;
      break;
    case Opcode::kFlagsShl:
    case Opcode::kFlagsShr:
    case Opcode::kFlagsSar:
    case Opcode::kFlagsRol:
    case Opcode::kFlagsRor:
      LoadTo(x86::rax, in.args[0]);
      LoadTo(x86::rcx, in.args[1]);
      // A (masked) count of 0 leaves host flags untouched; start from a known state so the image
      // is deterministic even then.
      a_.xor_(x86::r11d, x86::r11d);
      switch (in.op) {
        case Opcode::kFlagsShl: a_.shl(ax, x86::cl); break;
        case Opcode::kFlagsShr: a_.shr(ax, x86::cl); break;
        case Opcode::kFlagsSar: a_.sar(ax, x86::cl); break;
        case Opcode::kFlagsRol:
          a_.rol(ax, x86::cl);
          mask = kCfOf;
          break;
        default:
          a_.ror(ax, x86::cl);
          mask = kCfOf;
          break;
      }
      break;
    case Opcode::kFlagsRcl:
    case Opcode::kFlagsRcr: {
      LoadTo(x86::rax, in.args[0]);
      LoadTo(x86::rcx, in.args[1]);
      x86::Gp cf = In(in.args[2], x86::rdx);
      a_.xor_(x86::r11d, x86::r11d);
      a_.bt(cf, 0);
      if (in.op == Opcode::kFlagsRcl) {
        a_.rcl(ax, x86::cl);
      } else {
        a_.rcr(ax, x86::cl);
      }
      mask = kCfOf;
      break;
    }
    case Opcode::kFlagsShld:
    case Opcode::kFlagsShrd: {
      if (w == 8) {
        EmitFlagsDoubleShift8(in);
        return;
      }
      LoadTo(x86::rax, in.args[0]);
      x86::Gp b = W(In(in.args[1], x86::rdx), w);
      LoadTo(x86::rcx, in.args[2]);
      a_.xor_(x86::r11d, x86::r11d);
      if (in.op == Opcode::kFlagsShld) {
        a_.shld(ax, b, x86::cl);
      } else {
        a_.shrd(ax, b, x86::cl);
      }
      break;
    }
    case Opcode::kFlagsUMul:
    case Opcode::kFlagsSMul:
      // The one-operand forms (MUL r/m, IMUL r/m), whose SF/ZF/AF/PF this host defines its way.
      LoadTo(x86::rax, in.args[0]);
      LoadTo(x86::r11, in.args[1]);
      if (in.op == Opcode::kFlagsUMul) {
        a_.mul(W(x86::r11, w));
      } else {
        a_.imul(W(x86::r11, w));
      }
      break;
    default: return;
  }
  const x86::Gp d = Out();  // never an argument: the operands are consumed already
  a_.pushfq();
  a_.pop(d);
  a_.and_(d.r32(), mask);
  Commit(d);
}

bool Codegen::IsFlagsImage(ir::Value v) const {
  // Results of EmitFlags: masked to the arithmetic flags.
  switch (b_->insts[v].op) {
    case Opcode::kFlagsAdd:
    case Opcode::kFlagsSub:
    case Opcode::kFlagsAdc:
    case Opcode::kFlagsSbb:
    case Opcode::kFlagsLogic:
    case Opcode::kFlagsInc:
    case Opcode::kFlagsDec:
    case Opcode::kFlagsShl:
    case Opcode::kFlagsShr:
    case Opcode::kFlagsSar:
    case Opcode::kFlagsRol:
    case Opcode::kFlagsRor:
    case Opcode::kFlagsRcl:
    case Opcode::kFlagsRcr:
    case Opcode::kFlagsShld:
    case Opcode::kFlagsShrd:
    case Opcode::kFlagsUMul:
    case Opcode::kFlagsSMul: return true;
    default: return false;
  }
}

// 8-bit SHLD/SHRD do not exist on x86, so there is no host behaviour to copy: compute the
// reference definition (SZP of the result, CF = last bit shifted out of a, OF = MSB changed).
void Codegen::EmitFlagsDoubleShift8(const ir::Inst& in) {
  const bool left = in.op == Opcode::kFlagsShld;
  // r11b = result, computed as in EmitDoubleShift.
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
  a_.movzx(x86::r11d, x86::r11b);
  a_.test(x86::r11b, x86::r11b);
  a_.pushfq();
  a_.pop(x86::rax);
  a_.and_(x86::eax, ir::kZF | ir::kSF | ir::kPF);
  // CF: shld (a >> (8 - c)) & 1, shrd (a >> (c - 1)) & 1.
  LoadTo(x86::rdx, in.args[0]);
  if (left) {
    a_.neg(x86::ecx);
    a_.add(x86::ecx, 8);
  } else {
    a_.dec(x86::ecx);
  }
  a_.shr(x86::edx, x86::cl);
  a_.and_(x86::edx, 1);
  a_.or_(x86::eax, x86::edx);
  // OF: MSB(result) ^ MSB(a).
  LoadTo(x86::rdx, in.args[0]);
  a_.xor_(x86::edx, x86::r11d);
  a_.shr(x86::edx, 7);
  a_.and_(x86::edx, 1);
  a_.shl(x86::edx, 11);
  a_.or_(x86::eax, x86::edx);
  Commit(x86::rax);
}

}  // namespace doppel::x64
