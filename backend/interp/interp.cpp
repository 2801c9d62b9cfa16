// backend/interp/interp.cpp: a switch over the op table, one value slot per IR instruction.
#include "backend/interp/interp.h"

#include <cstring>
#include <vector>

#include "backend/interp/semantics.h"
#include "backend/interp/vector.h"
#include "ir/vector.h"
#include "ir/x87.h"

namespace doppel::interp {

using ir::Opcode;
using ir::Type;

namespace {

uint64_t LoadMem(CpuState& s, const backend::Helpers& h, uint64_t addr, unsigned size,
                 uint64_t pc) {
  const softmmu::TlbEntry& e = s.tlb[softmmu::TlbIndex(addr)];
  if (e.read_tag == softmmu::TlbProbe(addr, size)) {
    uint64_t v = 0;
    memcpy(&v, reinterpret_cast<const void*>(addr + e.addend), size);
    return v;
  }
  return h.load(&s, addr, size, pc);
}

void StoreMem(CpuState& s, const backend::Helpers& h, uint64_t addr, uint64_t v, unsigned size,
              uint64_t pc) {
  const softmmu::TlbEntry& e = s.tlb[softmmu::TlbIndex(addr)];
  if (e.write_tag == softmmu::TlbProbe(addr, size)) {
    memcpy(reinterpret_cast<void*>(addr + e.addend), &v, size);
    return;
  }
  h.store(&s, addr, v, size, pc);
}

// VLoad/VStore: #GP on a misaligned aligned-form access, the TLB fast path, else the helper.
bool VecMem(CpuState& s, const backend::Helpers& h, const ir::Inst& in, uint64_t addr) {
  const unsigned bytes = ir::VecMemBytes(in.imm);
  uint8_t* slot = s.xmm[0] + 16 * ir::VecMemSlot(in.imm);
  if (ir::VecMemAlign(in.imm) && (addr & 15)) {
    RaiseGuestException(s, ir::kGeneralProtection, in.guest_pc);
    return false;
  }
  const softmmu::TlbEntry& e = s.tlb[softmmu::TlbIndex(addr)];
  if (in.op == Opcode::kVLoad) {
    if (e.read_tag == softmmu::TlbProbe(addr, bytes)) {
      memset(slot, 0, 16);
      memcpy(slot, reinterpret_cast<const void*>(addr + e.addend), bytes);
      return true;
    }
    h.vload(&s, addr, static_cast<uint32_t>(in.imm), in.guest_pc);
  } else {
    if (e.write_tag == softmmu::TlbProbe(addr, bytes)) {
      memcpy(reinterpret_cast<void*>(addr + e.addend), slot, bytes);
      return true;
    }
    h.vstore(&s, addr, static_cast<uint32_t>(in.imm), in.guest_pc);
  }
  return s.exit_reason == 0;
}

void WriteGpr(CpuState& s, unsigned reg, Type t, uint64_t v) {
  switch (t) {
    case Type::kI8: s.gpr[reg] = (s.gpr[reg] & ~0xffull) | (v & 0xff); break;
    case Type::kI16: s.gpr[reg] = (s.gpr[reg] & ~0xffffull) | (v & 0xffff); break;
    case Type::kI32: s.gpr[reg] = v & 0xffffffffull; break;
    default: s.gpr[reg] = v; break;
  }
}

}  // namespace

backend::BlockExit Run(const ir::Block& b, CpuState& s, const backend::Helpers& h) {
  backend::BlockExit exit;
  if (s.budget <= 0) {
    s.rip = b.guest_pc;
    exit.reason = static_cast<uint32_t>(ir::ExitReason::kBudget);
    return exit;
  }
  s.budget -= b.guest_insns;

  thread_local std::vector<uint64_t> vals;
  if (vals.size() < b.insts.size()) vals.resize(b.insts.size() * 2);
  uint32_t side_exits = 0;

  auto fault = [&]() {
    exit.reason = s.exit_reason;
    return exit;
  };

  for (size_t i = 0; i < b.insts.size(); ++i) {
    const ir::Inst& in = b.insts[i];
    const unsigned w = ir::BitWidth(in.type);
    const uint64_t m = ir::WidthMask(in.type);
    auto arg = [&](unsigned k) { return vals[in.args[k]]; };
    auto aw = [&](unsigned k) { return ir::BitWidth(b.insts[in.args[k]].type); };
    uint64_t r = 0;
    switch (in.op) {
      case Opcode::kNop: continue;
      case Opcode::kConst: r = in.imm; break;
      case Opcode::kGetReg: r = s.gpr[in.imm] & m; break;
      case Opcode::kSetReg: WriteGpr(s, in.imm, b.insts[in.args[0]].type, arg(0)); continue;
      case Opcode::kGetRegHi8: r = (s.gpr[in.imm] >> 8) & 0xff; break;
      case Opcode::kSetRegHi8:
        s.gpr[in.imm] = (s.gpr[in.imm] & ~0xff00ull) | ((arg(0) & 0xff) << 8);
        continue;
      case Opcode::kGetFlags: r = s.rflags; break;
      case Opcode::kSetFlags: s.rflags = (s.rflags & ~in.imm) | (arg(0) & in.imm); continue;
      case Opcode::kCond: r = EvalCond(in.imm, arg(0)); break;
      case Opcode::kGetSegBase: r = s.seg_base[in.imm]; break;
      case Opcode::kAdd: r = arg(0) + arg(1); break;
      case Opcode::kSub: r = arg(0) - arg(1); break;
      case Opcode::kAnd: r = arg(0) & arg(1); break;
      case Opcode::kOr: r = arg(0) | arg(1); break;
      case Opcode::kXor: r = arg(0) ^ arg(1); break;
      case Opcode::kMul: r = arg(0) * arg(1); break;
      case Opcode::kUMulHi: r = UMulHi(arg(0), arg(1), w); break;
      case Opcode::kSMulHi: r = SMulHi(arg(0), arg(1), w); break;
      case Opcode::kNot: r = ~arg(0); break;
      case Opcode::kNeg: r = 0 - arg(0); break;
      case Opcode::kShl: r = Shl(arg(0), arg(1), w); break;
      case Opcode::kShr: r = Shr(arg(0), arg(1), w); break;
      case Opcode::kSar: r = Sar(arg(0), arg(1), w); break;
      case Opcode::kRol: r = Rol(arg(0), arg(1), w); break;
      case Opcode::kRor: r = Ror(arg(0), arg(1), w); break;
      case Opcode::kRcl: r = Rcl(arg(0), arg(1), arg(2), w); break;
      case Opcode::kRcr: r = Rcr(arg(0), arg(1), arg(2), w); break;
      case Opcode::kShld: r = Shld(arg(0), arg(1), arg(2), w); break;
      case Opcode::kShrd: r = Shrd(arg(0), arg(1), arg(2), w); break;
      case Opcode::kUDiv:
      case Opcode::kURem:
      case Opcode::kSDiv:
      case Opcode::kSRem: {
        auto kind = in.op == Opcode::kUDiv   ? backend::DivKind::kUDiv
                    : in.op == Opcode::kURem ? backend::DivKind::kURem
                    : in.op == Opcode::kSDiv ? backend::DivKind::kSDiv
                                             : backend::DivKind::kSRem;
        r = h.div(&s, backend::PackDiv(kind, w), arg(0), arg(1), arg(2), in.guest_pc);
        if (s.exit_reason) return fault();
        break;
      }
      case Opcode::kBswap:
        r = w == 64 ? __builtin_bswap64(arg(0)) : __builtin_bswap32(arg(0));
        break;
      case Opcode::kPopcnt: r = __builtin_popcountll(arg(0)); break;
      case Opcode::kCtz: r = arg(0) ? __builtin_ctzll(arg(0)) : w; break;
      case Opcode::kPdep: r = Pdep(arg(0), arg(1)); break;
      case Opcode::kPext: r = Pext(arg(0), arg(1)); break;
      case Opcode::kCrc32: r = Crc32c(static_cast<uint32_t>(arg(0)), arg(1), aw(1)); break;
      case Opcode::kClz: r = arg(0) ? __builtin_clzll(arg(0)) - (64 - w) : w; break;
      case Opcode::kZExt: r = arg(0); break;
      case Opcode::kSExt: r = static_cast<uint64_t>(SignExtend(arg(0), aw(0))); break;
      case Opcode::kTrunc: r = arg(0); break;
      case Opcode::kSelect: r = arg(0) ? arg(1) : arg(2); break;
      case Opcode::kCmpEq: r = arg(0) == arg(1); break;
      case Opcode::kCmpNe: r = arg(0) != arg(1); break;
      case Opcode::kCmpULt: r = arg(0) < arg(1); break;
      case Opcode::kCmpSLt: r = SignExtend(arg(0), aw(0)) < SignExtend(arg(1), aw(1)); break;
      case Opcode::kFlagsAdd: r = FlagsAdd(arg(0), arg(1), 0, aw(0)); break;
      case Opcode::kFlagsSub: r = FlagsSub(arg(0), arg(1), 0, aw(0)); break;
      case Opcode::kFlagsAdc: r = FlagsAdd(arg(0), arg(1), arg(2), aw(0)); break;
      case Opcode::kFlagsSbb: r = FlagsSub(arg(0), arg(1), arg(2), aw(0)); break;
      case Opcode::kFlagsLogic: r = FlagsLogic(arg(0), aw(0)); break;
      case Opcode::kFlagsInc: r = FlagsInc(arg(0), aw(0)); break;
      case Opcode::kFlagsDec: r = FlagsDec(arg(0), aw(0)); break;
      case Opcode::kFlagsShl: r = FlagsShl(arg(0), arg(1), aw(0)); break;
      case Opcode::kFlagsShr: r = FlagsShr(arg(0), arg(1), aw(0)); break;
      case Opcode::kFlagsSar: r = FlagsSar(arg(0), arg(1), aw(0)); break;
      case Opcode::kFlagsRol: r = FlagsRol(arg(0), arg(1), aw(0)); break;
      case Opcode::kFlagsRor: r = FlagsRor(arg(0), arg(1), aw(0)); break;
      case Opcode::kFlagsRcl: r = FlagsRcl(arg(0), arg(1), arg(2), aw(0)); break;
      case Opcode::kFlagsRcr: r = FlagsRcr(arg(0), arg(1), arg(2), aw(0)); break;
      case Opcode::kFlagsShld: r = FlagsShld(arg(0), arg(1), arg(2), aw(0)); break;
      case Opcode::kFlagsShrd: r = FlagsShrd(arg(0), arg(1), arg(2), aw(0)); break;
      case Opcode::kFlagsUMul: r = FlagsUMul(arg(0), arg(1), aw(0)); break;
      case Opcode::kFlagsSMul: r = FlagsSMul(arg(0), arg(1), aw(0)); break;
      case Opcode::kLoad:
        r = LoadMem(s, h, arg(0), w / 8, in.guest_pc);
        if (s.exit_reason) return fault();
        break;
      case Opcode::kStore:
        StoreMem(s, h, arg(0), arg(1), aw(1) / 8, in.guest_pc);
        if (s.exit_reason) return fault();
        continue;
      case Opcode::kSideExit:
        if (arg(0)) {
          s.rip = in.imm;
          exit.reason = static_cast<uint32_t>(ir::ExitReason::kLink);
          exit.exit_index = side_exits;
          return exit;
        }
        ++side_exits;
        continue;
      case Opcode::kVLoad:
      case Opcode::kVStore:
        if (!VecMem(s, h, in, arg(0))) return fault();
        continue;
      case Opcode::kVOp:
        if (!VecOp(s, in.imm, in.guest_pc)) return fault();
        continue;
      case Opcode::kVFromGpr: {
        uint8_t* slot = s.xmm[0] + 16 * in.imm;
        uint64_t v = arg(0);
        memset(slot, 0, 16);
        memcpy(slot, &v, aw(0) / 8);
        continue;
      }
      case Opcode::kVFromGprOp:
        if (!VecFromGpr(s, in.imm, arg(0), aw(0), in.guest_pc)) return fault();
        continue;
      case Opcode::kVToGpr:
        if (!VecToGpr(s, in.imm, w, in.guest_pc, &r)) return fault();
        break;
      case Opcode::kVFlags:
        if (!VecFlags(s, in.imm, in.guest_pc, &r)) return fault();
        break;
      case Opcode::kVStrCmp: r = VecStrCmp(s, in.imm, arg(0)); break;
      case Opcode::kGetMxcsr: r = s.mxcsr; break;
      case Opcode::kSetMxcsr:
        if (!SetMxcsr(s, static_cast<uint32_t>(arg(0)), in.guest_pc)) return fault();
        continue;
      case Opcode::kX87Op:
        r = h.x87(&s, in.imm, arg(0), arg(1), in.guest_pc);
        if (s.exit_reason) return fault();
        break;
      case Opcode::kX87Load: memcpy(s.x87.opbuf + in.imm, &vals[in.args[0]], 8); continue;
      case Opcode::kX87Store: memcpy(&r, s.x87.opbuf + in.imm, 8); break;
      case Opcode::kX87ToGpr: r = in.imm == ir::kX87StatusWord ? s.x87.fsw : s.x87.fcw; break;
      case Opcode::kCpuid: h.cpuid(&s); continue;
      case Opcode::kSystem:
        r = h.system(&s, in.imm, arg(0), arg(1), in.guest_pc);
        if (s.exit_reason) return fault();
        break;
      case Opcode::kRdtsc: r = h.rdtsc(&s); break;
      case Opcode::kCount: break;
    }
    vals[i] = r & m;
  }

  const ir::Terminal& t = b.term;
  switch (t.kind) {
    case ir::Terminal::Kind::kLink:
      s.rip = t.pc;
      exit.reason = static_cast<uint32_t>(ir::ExitReason::kLink);
      exit.exit_index = side_exits;
      break;
    case ir::Terminal::Kind::kCondLink: {
      bool taken = vals[t.value];
      s.rip = taken ? t.pc : t.pc_false;
      exit.reason = static_cast<uint32_t>(ir::ExitReason::kLink);
      exit.exit_index = side_exits + (taken ? 0 : 1);
      break;
    }
    case ir::Terminal::Kind::kIndirect:
      s.rip = vals[t.value];
      exit.reason = static_cast<uint32_t>(ir::ExitReason::kIndirect);
      break;
    case ir::Terminal::Kind::kExit:
      s.rip = t.value != ir::kNoValue ? vals[t.value] : t.pc;
      if (t.reason == ir::ExitReason::kException) {
        s.exception_vector = t.vector;
        s.error_code = t.error_code;
      }
      s.exit_reason = static_cast<uint32_t>(t.reason);
      exit.reason = static_cast<uint32_t>(t.reason);
      break;
    case ir::Terminal::Kind::kNone: break;
  }
  return exit;
}

}  // namespace doppel::interp
