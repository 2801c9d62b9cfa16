// backend/x64/emit_memory.cpp: guest loads/stores (inline softmmu TLB fast path, out-of-line
// helper slow path) and the other helper calls (division, CPUID, RDTSC), System V ABI.
#include "backend/x64/codegen.h"

namespace doppel::x64 {

using ir::Opcode;

namespace {

constexpr int32_t kTlbOff = static_cast<int32_t>(offsetof(CpuState, tlb));
static_assert(sizeof(softmmu::TlbEntry) == 32);
static_assert(static_cast<int64_t>(softmmu::kPageMask) == -4096);

}  // namespace

void Codegen::SaveCallerSaved(uint32_t mask) {
  for (int r = 0; r < 16; ++r) {
    if (mask & (1u << r)) a_.mov(x86::qword_ptr(x86::rsp, kCallSaveOff + 8 * r), x86::gpq(r));
  }
}

void Codegen::RestoreCallerSaved(uint32_t mask) {
  for (int r = 0; r < 16; ++r) {
    if (mask & (1u << r)) a_.mov(x86::gpq(r), x86::qword_ptr(x86::rsp, kCallSaveOff + 8 * r));
  }
}

void Codegen::LoadFromSaved(x86::Gp dst, ir::Value v, uint32_t saved) {
  Loc l = ra_.Where(v);
  if (l.InReg() && (saved & (1u << l.reg))) {
    a_.mov(dst.r64(), x86::qword_ptr(x86::rsp, kCallSaveOff + 8 * l.reg));
  } else {
    LoadTo(dst, v);
  }
}

void Codegen::CallAbs(const void* fn) {
  // C++ code may raise flags in the host MXCSR that the guest's lacks: the next run of FP ops
  // must look (CpuState::mxcsr_kept).
  a_.mov(StateField(offsetof(CpuState, mxcsr_kept), 4), 0);
  // Helpers live anywhere in the address space: call through a register.
  a_.mov(x86::rax, reinterpret_cast<uint64_t>(fn));
  a_.call(x86::rax);
}

void Codegen::CheckFault() {
  fault_used_ = true;
  a_.cmp(StateField(offsetof(CpuState, exit_reason), 4), 0);
  a_.jne(fault_);
}

// The fast path: rax = guest address; rcx = TLB entry offset; rdx = probe tag. On a hit rax
// becomes the host address. Jumps to `miss` otherwise, with rax still the guest address.
void EmitTlbProbe(x86::Assembler& a, unsigned size, bool write, asmjit::Label miss) {
  a.mov(x86::ecx, x86::eax);  // (page index & (size - 1)) * 32 in two ops
  a.shr(x86::ecx, softmmu::kPageBits - 5);
  a.and_(x86::ecx, (softmmu::kTlbSize - 1) << 5);
  a.lea(x86::rdx, x86::ptr(x86::rax, static_cast<int32_t>(size - 1)));
  a.and_(x86::rdx, -4096);
  const int32_t tag = kTlbOff + static_cast<int32_t>(write ? offsetof(softmmu::TlbEntry, write_tag)
                                                           : offsetof(softmmu::TlbEntry, read_tag));
  a.cmp(x86::rdx, x86::qword_ptr(kState, x86::rcx, 0, tag));
  a.jne(miss);
  a.add(x86::rax,
        x86::qword_ptr(kState, x86::rcx, 0,
                       kTlbOff + static_cast<int32_t>(offsetof(softmmu::TlbEntry, addend))));
}

void Codegen::EmitLoad(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  const unsigned size = w / 8;
  asmjit::Label slow = a_.newLabel(), done = a_.newLabel();
  x86::Gp d = Out();
  LoadAddress(in.args[0]);
  EmitTlbProbe(a_, size, false, slow);
  switch (w) {
    case 8: a_.movzx(d.r32(), x86::byte_ptr(x86::rax)); break;
    case 16: a_.movzx(d.r32(), x86::word_ptr(x86::rax)); break;
    case 32: a_.mov(d.r32(), x86::dword_ptr(x86::rax)); break;
    default: a_.mov(d, x86::qword_ptr(x86::rax)); break;
  }
  a_.bind(done);
  Commit(d);

  const uint32_t saved = ra_.CallerSavedInUse();
  const uint64_t pc = in.guest_pc;
  deferred_.push_back(
      [this, slow, done, saved, size, w, pc, d, live = mxcsr_live_, vec = VecSnapshot()] {
        a_.bind(slow);
        SaveCallerSaved(saved);
        a_.mov(x86::rsi, x86::rax);
        if (live) EmitLeaveGuestMxcsr();
        EmitVecWriteBack(vec);  // the helper clobbers the host xmm registers (and may fault)
        a_.mov(x86::edx, size);
        MovImm(x86::rcx, pc);
        a_.mov(x86::rdi, kState);
        CallAbs(reinterpret_cast<const void*>(h_.load));
        CheckFault();
        if (live) {
          a_.mov(x86::rdx, x86::rax);
          EmitEnterGuestMxcsr();
          a_.mov(x86::rax, x86::rdx);
        }
        EmitVecReload(vec);
        ZeroExtendInPlace(x86::rax, w);
        RestoreCallerSaved(saved);  // may rewrite d with its stale copy; d is set next
        if (d.id() != x86::Gp::kIdAx) a_.mov(d, x86::rax);
        a_.jmp(done);
      });
}

void Codegen::EmitStore(const ir::Inst& in) {
  const unsigned w = ArgWidth(in, 1);
  const unsigned size = w / 8;
  asmjit::Label slow = a_.newLabel(), done = a_.newLabel();
  LoadAddress(in.args[0]);
  EmitTlbProbe(a_, size, true, slow);
  x86::Gp v = In(in.args[1], x86::rdx);
  switch (w) {
    case 8: a_.mov(x86::byte_ptr(x86::rax), v.r8()); break;
    case 16: a_.mov(x86::word_ptr(x86::rax), v.r16()); break;
    case 32: a_.mov(x86::dword_ptr(x86::rax), v.r32()); break;
    default: a_.mov(x86::qword_ptr(x86::rax), v); break;
  }
  a_.bind(done);

  const uint32_t saved = ra_.CallerSavedInUse();
  const uint64_t pc = in.guest_pc;
  // The slow path is emitted after the block body, when the allocator has moved on: capture
  // where the value lives now.
  const Loc value = ra_.Where(in.args[1]);
  deferred_.push_back(
      [this, slow, done, saved, size, pc, value, live = mxcsr_live_, vec = VecSnapshot()] {
        a_.bind(slow);
        SaveCallerSaved(saved);
        EmitVecWriteBack(vec);  // the helper clobbers the host xmm registers (and may fault)
        if (live) {
          a_.mov(x86::rdx, x86::rax);  // rdx is no pool register: the value is elsewhere
          EmitLeaveGuestMxcsr();
          a_.mov(x86::rax, x86::rdx);
        }
        // Before rsi/r8 are overwritten: the value may live there.
        if (value.konst) {
          MovImm(x86::rdx, value.imm);
        } else if (value.InReg()) {
          a_.mov(x86::rdx, x86::gpq(value.reg));
        } else {
          a_.mov(x86::rdx, Slot(value.slot));
        }
        a_.mov(x86::rsi, x86::rax);
        a_.mov(x86::ecx, size);
        MovImm(x86::r8, pc);
        a_.mov(x86::rdi, kState);
        CallAbs(reinterpret_cast<const void*>(h_.store));
        CheckFault();
        if (live) EmitEnterGuestMxcsr();
        EmitVecReload(vec);
        RestoreCallerSaved(saved);
        a_.jmp(done);
      });
}

void Codegen::EmitDiv(const ir::Inst& in) {
  const unsigned w = ir::BitWidth(in.type);
  backend::DivKind kind = in.op == Opcode::kUDiv   ? backend::DivKind::kUDiv
                          : in.op == Opcode::kURem ? backend::DivKind::kURem
                          : in.op == Opcode::kSDiv ? backend::DivKind::kSDiv
                                                   : backend::DivKind::kSRem;
  const uint32_t saved = ra_.CallerSavedInUse();
  SaveCallerSaved(saved);
  // Argument registers overlap the pool (rsi, rdi, r8, r9): sources come from the save area.
  LoadFromSaved(x86::rdx, in.args[0], saved);
  LoadFromSaved(x86::rcx, in.args[1], saved);
  LoadFromSaved(x86::r8, in.args[2], saved);
  MovImm(x86::r9, in.guest_pc);
  a_.mov(x86::esi, backend::PackDiv(kind, w));
  a_.mov(x86::rdi, kState);
  CallAbs(reinterpret_cast<const void*>(h_.div));
  CheckFault();
  ZeroExtendInPlace(x86::rax, w);
  RestoreCallerSaved(saved);
  Commit(x86::rax);
}

void Codegen::EmitCpuid(const ir::Inst&) {
  // Guest registers live in CpuState (never cached in host registers), so the helper sees and
  // updates them directly.
  const uint32_t saved = ra_.CallerSavedInUse();
  SaveCallerSaved(saved);
  a_.mov(x86::rdi, kState);
  CallAbs(reinterpret_cast<const void*>(h_.cpuid));
  RestoreCallerSaved(saved);
}

void Codegen::CallStateHelper(const void* fn, const ir::Inst& in) {
  const uint32_t saved = ra_.CallerSavedInUse();
  SaveCallerSaved(saved);
  // Argument registers overlap the pool: sources come from the save area.
  LoadFromSaved(x86::rdx, in.args[0], saved);
  LoadFromSaved(x86::rcx, in.args[1], saved);
  MovImm(x86::rsi, in.imm);
  MovImm(x86::r8, in.guest_pc);
  a_.mov(x86::rdi, kState);
  CallAbs(fn);
  CheckFault();
  RestoreCallerSaved(saved);  // rax (the result) survives
}

void Codegen::EmitSystem(const ir::Inst& in) {
  CallStateHelper(reinterpret_cast<const void*>(h_.system), in);
  Commit(x86::rax);
}

void Codegen::EmitRdtsc(const ir::Inst&) {
  const uint32_t saved = ra_.CallerSavedInUse();
  SaveCallerSaved(saved);
  a_.mov(x86::rdi, kState);
  CallAbs(reinterpret_cast<const void*>(h_.rdtsc));
  RestoreCallerSaved(saved);
  Commit(x86::rax);
}

}  // namespace doppel::x64
