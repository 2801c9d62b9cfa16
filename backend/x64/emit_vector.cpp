// backend/x64/emit_vector.cpp: the SSE state ops. Guest vector slots are cached in host registers
// (vec_cache.cpp); each vector operation runs the very host instruction the vecop names on them.
// FP operations compute into xmm0 under the guest MXCSR with every exception masked, then merge
// the raised flags into the guest MXCSR and raise #XM (without writing the result) when the guest
// has that exception unmasked.
#include "backend/x64/codegen.h"
#include "ir/vector.h"

namespace doppel::x64 {

using ir::Opcode;
using ir::VecKind;

namespace {

// The host instruction of each vecop; a vecop without one fails to compile here.
x86::Inst::Id HostInst(ir::VecOp op) {
  switch (op) {
#define VECOP(name, kind, has_imm, mnemonic) \
  case ir::VecOp::k##name:                   \
    return x86::Inst::kId##mnemonic;
#include "ir/vecops.inc"
#undef VECOP
    case ir::VecOp::kCount: break;
  }
  return x86::Inst::kIdNone;
}

bool IsFp(VecKind k) {
  return k == VecKind::kFp || k == VecKind::kToGprFp || k == VecKind::kFromGprFp ||
         k == VecKind::kFlags;
}

}  // namespace

void Codegen::RaiseInline(uint32_t vector, uint64_t pc) {
  // Called while emitting deferred code: sets the exception and leaves through the fault exit.
  a_.mov(StateField(offsetof(CpuState, exit_reason), 4),
         static_cast<uint32_t>(ir::ExitReason::kException));
  a_.mov(StateField(offsetof(CpuState, exception_vector), 4), vector);
  a_.mov(StateField(offsetof(CpuState, error_code), 4), 0);
  MovImm(x86::rax, pc);
  a_.mov(StateField(offsetof(CpuState, rip), 8), x86::rax);
  fault_used_ = true;
  a_.jmp(fault_);
}

void Codegen::EmitEnterGuestMxcsr() {
  // Host MXCSR = the guest's with every exception masked; mxcsr_unmasked = the flags whose
  // exceptions the guest has unmasked. The LDMXCSR (which stalls the FP ops after it) is skipped
  // when the host already has those controls and, with every exception masked, holds no flag
  // the guest lacks: flags an earlier run merged may stay in the host (mxcsr_kept: known so).
  // Clobbers eax, ecx, r11.
  const x86::Mem scratch = StateField(offsetof(CpuState, mxcsr_scratch), 4);
  const x86::Mem guest = StateField(offsetof(CpuState, mxcsr), 4);
  asmjit::Label load = a_.newLabel(), done = a_.newLabel();
  a_.cmp(StateField(offsetof(CpuState, mxcsr_kept), 4), 0);
  a_.jne(done);
  a_.mov(x86::eax, guest);
  a_.mov(x86::ecx, x86::eax);
  a_.shr(x86::ecx, ir::kMxcsrMaskShift);
  a_.not_(x86::ecx);
  a_.and_(x86::ecx, ir::kMxcsrFlags);
  a_.mov(StateField(offsetof(CpuState, mxcsr_unmasked), 4), x86::ecx);
  a_.or_(x86::eax, 0x3f << ir::kMxcsrMaskShift);
  a_.and_(x86::eax, ~ir::kMxcsrFlags);  // wanted: the guest's controls, no flags
  a_.test(x86::ecx, x86::ecx);
  a_.jnz(load);  // #XM checks need the flags of this run only
  a_.stmxcsr(scratch);
  a_.mov(x86::r11d, scratch);
  a_.mov(x86::ecx, x86::r11d);
  a_.and_(x86::ecx, ~ir::kMxcsrFlags);
  a_.cmp(x86::ecx, x86::eax);
  a_.jne(load);
  a_.mov(x86::ecx, guest);
  a_.not_(x86::ecx);
  a_.test(x86::r11d, x86::ecx);
  a_.jz(done);  // (the host's flags are all in the guest's: merging them again changes nothing)
  a_.bind(load);
  a_.mov(scratch, x86::eax);
  a_.ldmxcsr(scratch);
  a_.bind(done);
}

void Codegen::EmitLeaveGuestMxcsr() {
  // Every flag raised since the entry is masked (CheckFpOp left otherwise): merge them all. The
  // host keeps them, and the guest's controls, when those are doppel's own (and with every
  // exception masked says so in mxcsr_kept: the next run starts without any check). Clobbers eax.
  const x86::Mem scratch = StateField(offsetof(CpuState, mxcsr_scratch), 4);
  asmjit::Label done = a_.newLabel(), reload = a_.newLabel();
  a_.stmxcsr(scratch);
  a_.mov(x86::eax, scratch);
  a_.and_(x86::eax, ir::kMxcsrFlags);
  a_.or_(StateField(offsetof(CpuState, mxcsr), 4), x86::eax);
  a_.mov(x86::eax, scratch);
  a_.and_(x86::eax, ~ir::kMxcsrFlags);
  a_.cmp(x86::eax, ir::kMxcsrDefault);
  a_.jne(reload);
  a_.cmp(StateField(offsetof(CpuState, mxcsr_unmasked), 4), 0);
  a_.jne(done);
  a_.mov(StateField(offsetof(CpuState, mxcsr_kept), 4), 1);
  a_.jmp(done);
  a_.bind(reload);
  a_.mov(scratch, ir::kMxcsrDefault);
  a_.ldmxcsr(scratch);
  a_.bind(done);
}

void Codegen::EnterGuestMxcsr() {
  if (mxcsr_live_) return;
  EmitEnterGuestMxcsr();
  mxcsr_live_ = true;
  fp_run_ops_ = 0;
}

void Codegen::LeaveGuestMxcsr() {
  if (!mxcsr_live_) return;
  EmitLeaveGuestMxcsr();
  mxcsr_live_ = false;
}

void Codegen::CallVecReference(uint64_t imm, uint64_t pc, uint32_t saved) {
  SaveCallerSaved(saved);
  MovImm(x86::rsi, imm);
  MovImm(x86::rdx, pc);
  a_.mov(x86::rdi, kState);
  CallAbs(reinterpret_cast<const void*>(h_.vec_op));
  CheckFault();
  RestoreCallerSaved(saved);
}

void Codegen::CheckFpOp(uint64_t pc, const ir::Inst* vop, asmjit::Label ref_done) {
  // The host flags accumulate over the run; every earlier op raised masked flags only, so an
  // unmasked one among them belongs to this op. The flags after each op go to alternating
  // slots, so the out-of-line path knows the flags from before this op as well (when any
  // exception is unmasked every op of the run takes the check, so the previous slot is fresh).
  const uint32_t n = fp_run_ops_++;
  const auto after = [this](uint32_t k) {
    return StateField(offsetof(CpuState, mxcsr_after) + 4 * (k & 1), 4);
  };
  // With every exception masked (the unmasked set is fixed for the run) nothing can trap: one
  // predictable branch skips the check.
  const x86::Mem unmasked = StateField(offsetof(CpuState, mxcsr_unmasked), 4);
  asmjit::Label check = a_.newLabel(), back = a_.newLabel(), xm = a_.newLabel();
  a_.cmp(unmasked, 0);
  a_.jne(check);
  a_.bind(back);
  const uint64_t vop_imm = vop ? vop->imm : 0;
  const uint32_t saved = ra_.CallerSavedInUse();
  deferred_.push_back([this, check, back, xm, pc, n, after, unmasked, vec = VecSnapshot(), vop,
                       vop_imm, saved, ref_done] {
    a_.bind(check);
    if (vop) {
      // With overflow or underflow unmasked the host's masked run cannot tell what the hardware
      // reports (UE on exact tiny results, PE of the unbounded result): the interpreter's
      // reference computes the op instead. Earlier ops' flags go to the guest first.
      asmjit::Label masked = a_.newLabel();
      a_.test(unmasked, 0x18);
      a_.jz(masked);
      const x86::Mem guest = StateField(offsetof(CpuState, mxcsr), 4);
      const x86::Mem scratch = StateField(offsetof(CpuState, mxcsr_scratch), 4);
      if (n > 0) {
        a_.mov(x86::eax, after(n - 1));
        a_.and_(x86::eax, ir::kMxcsrFlags);
        a_.or_(guest, x86::eax);
      }
      a_.mov(scratch, ir::kMxcsrDefault);
      a_.ldmxcsr(scratch);
      EmitVecWriteBack(vec);
      CallVecReference(vop_imm, pc, saved);
      EmitEnterGuestMxcsr();
      a_.mov(after(n), 0);  // the flags before the next op of the run: none since the reload
      EmitVecReload(vec);   // with the destination the reference wrote
      a_.jmp(ref_done);
      a_.bind(masked);
    }
    a_.stmxcsr(after(n));
    a_.mov(x86::eax, after(n));
    a_.test(unmasked, x86::eax);
    a_.jnz(xm);
    a_.jmp(back);
    a_.bind(xm);
    const x86::Mem guest = StateField(offsetof(CpuState, mxcsr), 4);
    const x86::Mem scratch = StateField(offsetof(CpuState, mxcsr_scratch), 4);
    a_.mov(x86::eax, after(n));
    a_.and_(x86::eax, ir::kMxcsrFlags);
    a_.mov(x86::ecx, unmasked);
    a_.and_(x86::ecx, x86::eax);
    // An unmasked pre-computation exception (IE DE ZE) means no result was computed: the
    // post-computation flags the host's masked run raised for this op are dropped (those of
    // earlier ops stay).
    asmjit::Label merge = a_.newLabel();
    a_.test(x86::ecx, 7);
    a_.jz(merge);
    a_.and_(x86::eax, 7);
    if (n > 0) {
      a_.mov(x86::ecx, after(n - 1));
      a_.and_(x86::ecx, ir::kMxcsrFlags);
      a_.or_(x86::eax, x86::ecx);
    }
    a_.bind(merge);
    a_.or_(guest, x86::eax);
    a_.mov(scratch, ir::kMxcsrDefault);
    a_.ldmxcsr(scratch);
    EmitVecWriteBack(vec);
    RaiseInline(ir::kSimdFloatingPoint, pc);
  });
}

bool Codegen::CallsHelperInline(const ir::Inst& in) {
  switch (in.op) {
    case Opcode::kUDiv:
    case Opcode::kURem:
    case Opcode::kSDiv:
    case Opcode::kSRem:
    case Opcode::kCpuid:
    case Opcode::kSystem:
    case Opcode::kRdtsc:
    case Opcode::kX87Op: return true;
    default: return false;
  }
}

bool Codegen::KeepsGuestMxcsr(const ir::Inst& in) {
  // Ops whose inline code neither calls a helper nor touches MXCSR nor leaves the block.
  if (CallsHelperInline(in)) return false;
  switch (in.op) {
    case Opcode::kGetMxcsr:
    case Opcode::kSetMxcsr: return false;
    case Opcode::kVOp: {
      const ir::VecOp op = ir::VecOpOf(in.imm);
      return op != ir::VecOp::kDpps && op != ir::VecOp::kDppd;
    }
    default: return true;
  }
}

void Codegen::EmitVecMem(const ir::Inst& in) {
  const bool load = in.op == Opcode::kVLoad;
  const unsigned bytes = ir::VecMemBytes(in.imm);
  const uint64_t pc = in.guest_pc;
  asmjit::Label slow = a_.newLabel(), done = a_.newLabel();
  LoadAddress(in.args[0]);
  // The slot's register; a load replaces the whole slot (movd/movq zero the rest).
  const x86::Xmm x = VecReg(ir::VecMemSlot(in.imm), !load);
  // Out-of-line paths see the cache as it is before this op (x not yet written by a load).
  const VecCacheState before = VecSnapshot();
  if (ir::VecMemAlign(in.imm)) {
    asmjit::Label misaligned = a_.newLabel();
    a_.test(x86::al, 15);
    a_.jnz(misaligned);
    deferred_.push_back([this, misaligned, pc, before, live = mxcsr_live_] {
      a_.bind(misaligned);
      if (live) EmitLeaveGuestMxcsr();
      EmitVecWriteBack(before);
      RaiseInline(ir::kGeneralProtection, pc);
    });
  }
  EmitTlbProbe(a_, bytes, !load, slow);
  if (load) {
    switch (bytes) {
      case 4: a_.movd(x, x86::dword_ptr(x86::rax)); break;
      case 8: a_.movq(x, x86::qword_ptr(x86::rax)); break;
      default: a_.movups(x, x86::xmmword_ptr(x86::rax)); break;
    }
    VecDirty(x);
  } else {
    switch (bytes) {
      case 4: a_.movd(x86::dword_ptr(x86::rax), x); break;
      case 8: a_.movq(x86::qword_ptr(x86::rax), x); break;
      default: a_.movups(x86::xmmword_ptr(x86::rax), x); break;
    }
  }
  a_.bind(done);
  const uint32_t saved = ra_.CallerSavedInUse();
  const uint32_t imm = static_cast<uint32_t>(in.imm);
  const void* fn =
      load ? reinterpret_cast<const void*>(h_.vload) : reinterpret_cast<const void*>(h_.vstore);
  deferred_.push_back([this, slow, done, saved, imm, pc, fn, before, live = mxcsr_live_] {
    a_.bind(slow);
    SaveCallerSaved(saved);
    a_.mov(x86::rsi, x86::rax);
    if (live) EmitLeaveGuestMxcsr();
    EmitVecWriteBack(before);  // the helper reads and writes slots in CpuState
    a_.mov(x86::edx, imm);
    MovImm(x86::rcx, pc);
    a_.mov(x86::rdi, kState);
    CallAbs(fn);
    CheckFault();
    if (live) EmitEnterGuestMxcsr();
    EmitVecReload(before);  // with the loaded slot, as the fast path leaves it
    RestoreCallerSaved(saved);
    a_.jmp(done);
  });
}

// pcmp[ei]str[im] on the host: lengths in eax/edx (already saturated, so the 32-bit form is exact
// for the REX.W one too), the index from ecx, the mask from xmm0, the flags from RFLAGS.
void Codegen::EmitVecStrCmp(const ir::Inst& in) {
  const ir::VecOp op = ir::VecOpOf(in.imm);
  const bool mask = op == ir::VecOp::kPcmpestrm || op == ir::VecOp::kPcmpistrm;
  LoadTo(x86::rax, in.args[0]);
  a_.mov(x86::rdx, x86::rax);
  a_.shr(x86::rdx, 32);
  a_.mov(x86::eax, x86::eax);
  a_.movups(x86::xmm0, VecSlot(ir::VecDst(in.imm)));
  a_.movups(x86::xmm1, VecSlot(ir::VecSrc(in.imm)));
  a_.emit(HostInst(op), x86::xmm0, x86::xmm1, asmjit::Imm(ir::VecImm8(in.imm)));
  a_.pushfq();
  a_.pop(x86::rdx);
  a_.and_(x86::edx, static_cast<uint32_t>(ir::kArithFlags));
  if (mask) {
    a_.movups(VecSlot(0), x86::xmm0);
  } else {
    a_.shl(x86::rcx, 32);
    a_.or_(x86::rdx, x86::rcx);
  }
  Commit(x86::rdx);
}

// dst = op(dst, src[, imm8]) with the host instruction on the cached registers; an FP op
// computes into xmm0 first, so an #XM leaves the destination as it was.
void Codegen::EmitHostVecOp(x86::Inst::Id id, unsigned dst, unsigned src, const asmjit::Imm& imm8,
                            bool fp, const ir::VecOpInfo& info, const ir::Inst& vop) {
  const uint64_t pc = vop.guest_pc;
  if (id == x86::Inst::kIdMovaps && info.kind == VecKind::kInt) {
    // A full copy: the destination is not read.
    const x86::Xmm xs = VecReg(src, true);
    const x86::Xmm xd = VecReg(dst, false, xs.id());
    if (xd != xs) a_.movaps(xd, xs);
    VecDirty(xd);
    return;
  }
  if (info.kind == VecKind::kIntImm) {
    const x86::Xmm xd = VecReg(dst, true);
    a_.emit(id, xd, imm8);
    VecDirty(xd);
    return;
  }
  const x86::Xmm xs = VecReg(src, true);
  const x86::Xmm xd = VecReg(dst, true, xs.id());
  const x86::Xmm out = fp ? x86::xmm0 : xd;
  if (fp) {
    EnterGuestMxcsr();
    a_.movaps(x86::xmm0, xd);
  }
  if (info.has_imm) {
    a_.emit(id, out, xs, imm8);
  } else {
    a_.emit(id, out, xs);
  }
  if (fp) {
    asmjit::Label ref_done = a_.newLabel();
    CheckFpOp(pc, &vop, ref_done);
    a_.movaps(xd, x86::xmm0);
    a_.bind(ref_done);
  }
  VecDirty(xd);
}

void Codegen::EmitVector(const ir::Inst& in) {
  const x86::Mem mxcsr = StateField(offsetof(CpuState, mxcsr), 4);
  switch (in.op) {
    case Opcode::kVLoad:
    case Opcode::kVStore: EmitVecMem(in); return;
    case Opcode::kVStrCmp: EmitVecStrCmp(in); return;  // the cache is flushed (KeepsVecCache)
    case Opcode::kVFromGpr: {
      x86::Gp v = In(in.args[0], x86::rax);
      const x86::Xmm xd = VecReg(static_cast<unsigned>(in.imm), false);
      if (ArgWidth(in, 0) == 64) {
        a_.movq(xd, v);
      } else {
        a_.movd(xd, v.r32());
      }
      VecDirty(xd);
      return;
    }
    case Opcode::kGetMxcsr: {
      x86::Gp d = Out();
      a_.mov(d.r32(), mxcsr);
      Commit(d);
      return;
    }
    case Opcode::kSetMxcsr: {
      x86::Gp v = In(in.args[0], x86::rax);
      asmjit::Label bad = a_.newLabel();
      const uint64_t pc = in.guest_pc;
      a_.test(v.r32(), ~ir::kMxcsrWritable);
      a_.jnz(bad);
      a_.mov(mxcsr, v.r32());
      a_.mov(StateField(offsetof(CpuState, mxcsr_kept), 4), 0);
      deferred_.push_back([this, bad, pc, vec = VecSnapshot()] {
        a_.bind(bad);
        EmitVecWriteBack(vec);
        RaiseInline(ir::kGeneralProtection, pc);
      });
      return;
    }
    default: break;
  }

  const ir::VecOp op = ir::VecOpOf(in.imm);
  const ir::VecOpInfo& info = ir::Info(op);
  const x86::Inst::Id id = HostInst(op);
  const bool fp = IsFp(info.kind);
  const asmjit::Imm imm8(ir::VecImm8(in.imm));
  const unsigned dst = ir::VecDst(in.imm), src = ir::VecSrc(in.imm);
  const size_t x87 = offsetof(CpuState, x87);
  static_assert(offsetof(CpuState, x87) + offsetof(X87State, fpr) ==
                offsetof(CpuState, xmm) + 16 * ir::kMmxSlot0);
  switch (in.op) {
    case Opcode::kVOp:
      // The MMX bookkeeping ops have no single host instruction. MmxStore, the blends and the
      // dot products work on the slots in CpuState (Run() flushed the cache before them).
      if (op == ir::VecOp::kMmxEnter) {
        a_.mov(StateField(x87 + offsetof(X87State, ftw), 1), 0xff);
        a_.and_(StateField(x87 + offsetof(X87State, fsw), 2), ~0x3800);
        return;
      }
      if (op == ir::VecOp::kEmms) {
        a_.mov(StateField(x87 + offsetof(X87State, ftw), 1), 0);
        return;
      }
      if (op == ir::VecOp::kMmxStore) {
        a_.mov(x86::rax,
               x86::qword_ptr(kState, static_cast<int32_t>(offsetof(CpuState, xmm) + 16 * src)));
        a_.mov(x86::qword_ptr(kState, static_cast<int32_t>(offsetof(CpuState, xmm) + 16 * dst)),
               x86::rax);
        a_.mov(x86::qword_ptr(kState, static_cast<int32_t>(offsetof(CpuState, xmm) + 16 * dst + 8)),
               0xffff);
        return;
      }
      if (op == ir::VecOp::kBlendvps || op == ir::VecOp::kBlendvpd || op == ir::VecOp::kPblendvb) {
        // The mask is the host's implicit xmm0: guest XMM0 goes there, dst into xmm2.
        a_.movups(x86::xmm2, VecSlot(dst));
        a_.movups(x86::xmm1, VecSlot(src));
        a_.movups(x86::xmm0, VecSlot(0));
        a_.emit(id, x86::xmm2, x86::xmm1, x86::xmm0);
        a_.movups(VecSlot(dst), x86::xmm2);
        return;
      }
      if (op == ir::VecOp::kDpps || op == ir::VecOp::kDppd) {
        // With every exception masked the host instruction is exact; otherwise the staged
        // reference decides where it stops (backend/helpers.h vec_op).
        asmjit::Label staged = a_.newLabel(), done = a_.newLabel();
        a_.mov(x86::eax, mxcsr);
        a_.not_(x86::eax);
        a_.test(x86::eax, 0x3f << ir::kMxcsrMaskShift);
        a_.jnz(staged);
        const uint32_t saved = ra_.CallerSavedInUse();
        const uint64_t imm = in.imm, pc = in.guest_pc;
        deferred_.push_back([this, staged, done, saved, imm, pc] {
          a_.bind(staged);
          CallVecReference(imm, pc, saved);
          a_.jmp(done);
        });
        EmitHostVecOp(id, dst, src, imm8, fp, info, in);
        LeaveGuestMxcsr();  // the staged path joins here under doppel's MXCSR
        VecFlush(true);     // and with the host registers clobbered by the helper
        a_.bind(done);
        return;
      }
      EmitHostVecOp(id, dst, src, imm8, fp, info, in);
      return;
    case Opcode::kVFromGprOp: {
      const unsigned w = ArgWidth(in, 0);
      LoadTo(x86::rdx, in.args[0]);  // out of eax/ecx, which the MXCSR sequences use
      const x86::Xmm xd = VecReg(dst, true);
      const x86::Xmm out = fp ? x86::xmm0 : xd;
      if (fp) {
        EnterGuestMxcsr();
        a_.movaps(x86::xmm0, xd);
      }
      if (info.has_imm) {
        a_.emit(id, out, w == 64 ? x86::Gp(x86::rdx) : x86::Gp(x86::edx), imm8);
      } else {
        a_.emit(id, out, w == 64 ? x86::Gp(x86::rdx) : x86::Gp(x86::edx));
      }
      if (fp) {
        CheckFpOp(in.guest_pc);
        a_.movaps(xd, x86::xmm0);
      }
      VecDirty(xd);
      return;
    }
    case Opcode::kVToGpr: {
      const unsigned w = ir::BitWidth(in.type);
      // Only movq and the cvt*2si forms have a 64-bit destination.
      const bool wide = w == 64 && (op == ir::VecOp::kMovqToGpr || op == ir::VecOp::kPextrq ||
                                    info.kind == VecKind::kToGprFp);
      const x86::Gp d = wide ? x86::Gp(x86::rdx) : x86::Gp(x86::edx);
      const x86::Xmm xs = VecReg(src, true);
      if (fp) EnterGuestMxcsr();
      if (info.has_imm) {
        a_.emit(id, d, xs, imm8);
      } else {
        a_.emit(id, d, xs);
      }
      if (fp) CheckFpOp(in.guest_pc);
      Commit(x86::rdx);
      return;
    }
    case Opcode::kVFlags: {
      const x86::Xmm xs = VecReg(src, true);
      const x86::Xmm xd = VecReg(dst, true, xs.id());
      if (fp) EnterGuestMxcsr();
      a_.emit(id, xd, xs);  // compares: writes no register
      a_.pushfq();
      a_.pop(x86::rdx);
      if (fp) CheckFpOp(in.guest_pc);
      a_.and_(x86::edx, static_cast<uint32_t>(ir::kZF | ir::kPF | ir::kCF));
      Commit(x86::rdx);
      return;
    }
    default: return;
  }
}

}  // namespace doppel::x64
