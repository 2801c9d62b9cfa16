// backend/x64/codegen.h: JIT internals shared by the backend/x64 emitter files (private header):
// the frame layout, the IR-value register allocator and the per-block code generator.
#pragma once
#include <asmjit/x86.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "backend/helpers.h"
#include "backend/x64/jit.h"
#include "ir/ir.h"
#include "ir/vector.h"
#include "runtime/cpu_state.h"

namespace doppel::x64 {

namespace x86 = asmjit::x86;

// Frame built by the Enter trampoline and shared by every block (blocks chain with plain jumps):
//   [rsp + 8*slot]                 spill slots, slot < kSpillSlots
//   [rsp + kCallSaveOff + 8*id]    save area for caller-saved pool registers around helper calls
// kFrameSize keeps rsp 16-byte aligned after the trampoline's six pushes, so helper calls made
// from block bodies (which never leave anything pushed) see an aligned stack.
constexpr int kSpillSlots = 1024;
constexpr int kCallSaveOff = kSpillSlots * 8;
constexpr int kFrameSize = kCallSaveOff + 16 * 8 + 8;
static_assert(kFrameSize % 16 == 8);

// Host registers with a fixed role. r15 holds the CpuState*. rax, rcx, rdx and r11 are never
// given to IR values: instruction sequences use them freely (shift counts in cl, mul/div and
// pushfq results in rax/rdx, 64-bit immediates and TLB probes).
inline const x86::Gp kState = x86::r15;

// Where an IR value lives: a host register (asmjit register id), a spill slot, or nowhere for a
// constant, which every use materialises (or encodes as an immediate) itself.
struct Loc {
  int reg = -1;
  int slot = -1;
  bool konst = false;
  uint64_t imm = 0;  // the constant, zero-extended from its width
  bool InReg() const { return reg >= 0; }
};

// A register allocator for the values of one block, run in instruction order (linear scan over
// a straight-line block). API:
//   Init(b)             computes the last use of every value (the terminal counts as a use at
//                       index b.insts.size()); clears all assignments.
//   Define(v, at)       picks the location of the result of instruction `at` (= v); a Const gets
//                       no register (Loc::konst). Arguments of
//                       `at` still hold their locations, so the result never aliases an argument.
//                       When the pool is empty, the register value that dies last is evicted to
//                       a stack slot if it outlives v (the caller emits the store described by
//                       the returned Eviction), otherwise v itself gets a slot.
//   Release(at, in)     frees the locations of arguments whose last use is `at`, and of the result
//                       if it is never used.
//   Where(v)            current location of v.
//   CallerSavedInUse()  bitmask (by register id) of caller-saved pool registers holding values;
//                       the code generator saves these around helper calls.
// A value's location never changes after Define except by eviction (register -> slot), which
// happens only inside Define, before the defining instruction's code is emitted.
class RegAlloc {
 public:
  struct Eviction {
    bool happened = false;
    int reg = -1;
    int slot = -1;
  };
  void Init(const ir::Block& b);
  Loc Define(ir::Value v, uint32_t at, Eviction* ev);
  void Release(uint32_t at, const ir::Inst& in);
  Loc Where(ir::Value v) const { return loc_[v]; }
  void ExtendUse(ir::Value v, uint32_t at) { last_use_[v] = std::max(last_use_[v], at); }
  uint32_t last_use(ir::Value v) const { return last_use_[v]; }
  uint32_t CallerSavedInUse() const;
  bool overflow() const { return overflow_; }

  static constexpr uint32_t kNoUse = 0xffffffffu;

 private:
  int NewSlot();
  void Free(ir::Value v);

  std::vector<uint32_t> last_use_;
  std::vector<Loc> loc_;
  const ir::Block* block_ = nullptr;
  ir::Value reg_owner_[16];  // value held by each host register, or kNoValue
  std::vector<int> free_slots_;
  int next_slot_ = 0;
  bool overflow_ = false;
};

// The inline TLB fast path (emit_memory.cpp): rax = guest address; on a hit rax becomes the host
// address, otherwise jumps to `miss` with rax unchanged. Clobbers rcx and rdx.
void EmitTlbProbe(x86::Assembler& a, unsigned size, bool write, asmjit::Label miss);

// Offsets (from the block start) of one link exit, converted to ExitSite pointers by the driver.
struct ExitOffsets {
  size_t jump = 0;
  size_t stub = 0;
  uint64_t target_pc = 0;
};

// The x87 enter/leave stubs of the trampoline page (jit.cpp): each calls Helpers::x87_enter /
// x87_leave with every register preserved.
struct X87Stubs {
  uint64_t enter = 0;
  uint64_t leave = 0;
};

// Generates the host code of one block into an Assembler whose CodeHolder base is the block's
// final address. Defined across jit.cpp (driver, exits), emit_alu.cpp, emit_flags.cpp and
// emit_memory.cpp.
class Codegen {
 public:
  Codegen(x86::Assembler& a, const backend::Helpers& h, uint64_t base, uint64_t epilogue,
          X87Stubs x87_stubs)
      : a_(a), h_(h), base_(base), epilogue_(epilogue), x87_stubs_(x87_stubs) {}
  // Emits the block; false when the block needs more spill slots than the frame has.
  bool Run(const ir::Block& b, void* block_id, const CompileOptions& o);
  const std::vector<ExitOffsets>& exits() const { return exits_; }
  // Offsets of the hand-emitted `E9 rel32` jumps from each exit site to its stub, to patch once
  // the stubs are placed (jump offset, stub label).
  struct PendingLink {
    size_t jump;
    asmjit::Label stub;
  };
  const std::vector<PendingLink>& pending_links() const { return pending_; }

 private:
  // --- jit.cpp: block structure ---
  void EmitInst(const ir::Inst& in);
  void EmitTerminal(const ir::Terminal& t);
  void EmitLinkSite(uint32_t index);  // aligned `E9 rel32` to the stub of exit `index`
  void EmitStubs();
  void JmpAbs(uint64_t target);    // hand-emitted rel32 jump to an address in the code region
  void ExitWith(uint32_t reason);  // eax = reason; jump to the epilogue

  // --- address.cpp: address trees folded into one LEA at each memory op ---
  struct AddressForm {
    ir::Value base = ir::kNoValue, index = ir::kNoValue;
    unsigned shift = 0;
    int64_t disp = 0;
    bool mod32 = false;  // computed modulo 2^32 (a ZExt root): LEA into eax
  };
  void PlanAddresses();  // after ra_.Init: fills folded_ and the forms, extends leaf lifetimes
  bool CollectAddress(ir::Value v, unsigned shift, bool mod32, AddressForm* f,
                      std::vector<ir::Value>* inner, bool root) const;
  void LoadAddress(ir::Value v);  // rax = the address v (a LEA when v's tree is folded)

  // --- emit_alu.cpp: values, guest state, integer ops ---
  void EmitConst(const ir::Inst& in);
  void EmitState(const ir::Inst& in);
  void EmitCond(const ir::Inst& in);
  void EmitBinary(const ir::Inst& in);
  bool EmitBinaryImm(const ir::Inst& in, x86::Gp d);
  void EmitUnary(const ir::Inst& in);
  void EmitShift(const ir::Inst& in);
  void EmitRotate(const ir::Inst& in);
  void EmitRotateCarry(const ir::Inst& in);
  void EmitDoubleShift(const ir::Inst& in);
  void EmitMulHi(const ir::Inst& in);
  void EmitBitCount(const ir::Inst& in);
  void EmitBitGather(const ir::Inst& in);  // pdep, pext, crc32
  void EmitCast(const ir::Inst& in);
  void EmitSelect(const ir::Inst& in);
  void EmitCompare(const ir::Inst& in);
  void EmitCompareRegs(const ir::Inst& in, x86::Gp x);  // cmp x, args[1] (sign-extended for SLt)

  // --- emit_flags.cpp ---
  void EmitFlags(const ir::Inst& in);
  void EmitFlagsDoubleShift8(const ir::Inst& in);
  bool IsFlagsImage(ir::Value v) const;  // v holds only arithmetic-flag bits (a Flags* result)

  // --- emit_memory.cpp: memory and helper calls ---
  void EmitLoad(const ir::Inst& in);
  void EmitStore(const ir::Inst& in);
  void EmitDiv(const ir::Inst& in);
  void EmitCpuid(const ir::Inst& in);
  void EmitSystem(const ir::Inst& in);
  // fn(CpuState*, imm, args[0], args[1], guest_pc) with the caller-saved registers kept; rax =
  // its result; leaves the block if it raised.
  void CallStateHelper(const void* fn, const ir::Inst& in);
  void EmitRdtsc(const ir::Inst& in);

  // --- emit_vector.cpp: SSE state ops, run as host SSE instructions on xmm0/xmm1 ---
  void EmitVector(const ir::Inst& in);
  void EmitVecMem(const ir::Inst& in);
  void EmitVecStrCmp(const ir::Inst& in);
  void EmitHostVecOp(x86::Inst::Id id, unsigned dst, unsigned src, const asmjit::Imm& imm8, bool fp,
                     const ir::VecOpInfo& info, const ir::Inst& vop);
  // The host MXCSR holds the guest's (every exception masked, flags accumulating) from the first
  // FP op of a run of ops until LeaveGuestMxcsr, which merges the flags into CpuState::mxcsr and
  // restores doppel's own MXCSR. Runs end before any op that calls a helper inline, reads or
  // writes MXCSR, and before every exit; out-of-line paths of ops inside a run leave and
  // re-enter around their helper calls (mxcsr_live_ at emit time, captured by the lambdas).
  void EnterGuestMxcsr();
  void LeaveGuestMxcsr();
  void EmitEnterGuestMxcsr();  // the code only (no state change): out-of-line re-entry
  void EmitLeaveGuestMxcsr();
  // After an FP op: #XM if it raised an unmasked exception. With `vop` (a VOp), overflow or
  // underflow unmasked makes the out-of-line path run the interpreter's reference for it and
  // continue at `ref_done`, after the op's write-back.
  void CheckFpOp(uint64_t pc, const ir::Inst* vop = nullptr, asmjit::Label ref_done = {});
  static bool KeepsGuestMxcsr(const ir::Inst& in);
  static bool CallsHelperInline(const ir::Inst& in);  // div, cpuid, system, rdtsc, x87 ops
  void RaiseInline(uint32_t vector, uint64_t pc);     // out of line: raise and leave the block
  // The interpreter's reference for the VOp `imm` (backend/helpers.h vec_op), caller-saved
  // registers in `saved` kept; leaves the block if it raised.
  void CallVecReference(uint64_t imm, uint64_t pc, uint32_t saved);
  // --- vec_cache.cpp: guest vector slots cached in host xmm3..xmm15 within a block ---
  struct VecCacheEntry {
    int slot = -1;  // the vector slot this host register holds, or -1
    bool dirty = false;
    uint32_t stamp = 0;  // last use, for LRU eviction
  };
  using VecCacheState = std::array<VecCacheEntry, 16>;  // by host xmm number
  x86::Mem VecSlot(unsigned slot) const;
  // The host register holding `slot` (loaded from CpuState when `load`); may evict (writing
  // back) the least recently used register other than `pinned`.
  x86::Xmm VecReg(unsigned slot, bool load, int pinned = -1);
  void VecDirty(const x86::Xmm& r);
  VecCacheState VecSnapshot() const;              // for out-of-line paths
  void EmitVecWriteBack(const VecCacheState& s);  // dirty registers of s to CpuState
  void EmitVecReload(const VecCacheState& s);     // every cached register of s from CpuState
  void VecFlush(bool forget);  // writes back now; `forget` also empties the cache
  static bool KeepsVecCache(const ir::Inst& in);

  // --- emit_x87.cpp: x87 operations (inline on the host FPU, or the FPU unit helper) ---
  void EmitX87(const ir::Inst& in);
  void EmitX87Call(const ir::Inst& in);    // the unit: rax = RFLAGS after
  void EmitX87Inline(const ir::Inst& in);  // the host FPU holds the state: rax = RFLAGS after
  void EmitX87Leave();                     // the state back into CpuState, if it is in the FPU
  void CallX87Stub(uint64_t stub, bool if_live);
  static bool X87Inline(uint64_t imm);  // an X87Op imm the inline path can run
  // Ops that read or write the x87 state in CpuState (MMX registers, the unit's own forms,
  // system ops): Run() emits EmitX87Leave before them.
  static bool TouchesX87State(const ir::Inst& in);
  void CallRel32(uint64_t target);  // hand-emitted rel32 call into the code region
  x86::Mem X87Field(size_t off, unsigned bytes) const;
  // Saves the caller-saved registers in `mask`, calls fn, restores them (rax survives).
  void SaveCallerSaved(uint32_t mask);
  void RestoreCallerSaved(uint32_t mask);
  void CallAbs(const void* fn);
  // Loads v into `dst` while the caller-saved registers in `saved` may already be clobbered
  // (reads their save slots instead).
  void LoadFromSaved(x86::Gp dst, ir::Value v, uint32_t saved);
  void CheckFault();  // after a helper that can raise: leave if exit_reason != 0

  // --- helpers shared by the emitters (emit_alu.cpp) ---
  static x86::Gp W(x86::Gp r, unsigned bits);  // the 8/16/32/64-bit view of r
  x86::Mem Slot(int slot) const { return x86::qword_ptr(x86::rsp, slot * 8); }
  x86::Mem StateField(size_t off, unsigned bytes) const;
  void LoadTo(x86::Gp dst, ir::Value v);     // dst (64-bit) = v
  x86::Gp In(ir::Value v, x86::Gp scratch);  // register holding v (scratch if spilled)
  x86::Gp Out();                             // register to compute the result in
  void Commit(x86::Gp r);                    // result computed in r: move it home
  void ZeroExtendInPlace(x86::Gp r, unsigned bits);
  void SignExtendTo64(x86::Gp dst, x86::Gp src, unsigned bits);
  void MovImm(x86::Gp r, uint64_t v);
  void AndImm(x86::Gp r, uint64_t v);  // may use r11
  // True when v is a constant encodable as the immediate of a `bits`-wide instruction (for 64
  // bits: a sign-extended imm32); *imm is then that immediate, in range for asmjit.
  bool ConstImm(ir::Value v, unsigned bits, int64_t* imm) const;
  unsigned ArgWidth(const ir::Inst& in, unsigned k) const;

  x86::Assembler& a_;
  const backend::Helpers& h_;
  uint64_t base_;
  uint64_t epilogue_;
  const ir::Block* b_ = nullptr;
  void* block_id_ = nullptr;
  CompileOptions opts_;
  RegAlloc ra_;
  Loc dst_;              // its result location
  asmjit::Label fault_;  // shared "leave with CpuState::exit_reason" path
  bool fault_used_ = false;
  std::vector<std::function<void()>> deferred_;  // out-of-line code emitted after the body
  struct StubRequest {
    asmjit::Label label;
    uint64_t target_pc;
    uint32_t index;
  };
  std::vector<StubRequest> stubs_;
  std::vector<ExitOffsets> exits_;
  std::vector<PendingLink> pending_;
  uint32_t side_exits_ = 0;              // SideExit ops seen so far: their exit numbers
  ir::Value fused_cond_ = ir::kNoValue;  // a Cond folded into the CondLink terminal
  bool mxcsr_live_ = false;  // the host MXCSR holds the guest's at this point of the body
  VecCacheState vec_regs_{};
  uint32_t vec_clock_ = 0;
  X87Stubs x87_stubs_;
  std::vector<uint32_t> uses_;     // per value: how many op arguments read it
  std::vector<bool> folded_;       // per op: part of a folded address tree, not emitted
  std::vector<int> address_form_;  // per value: index into forms_, or -1
  std::vector<AddressForm> forms_;
  bool x87_entered_ = false;  // an enter was emitted since the block start or the last leave
  uint32_t fp_run_ops_ = 0;   // FP ops since EnterGuestMxcsr: picks CpuState::mxcsr_after[]
};

}  // namespace doppel::x64
