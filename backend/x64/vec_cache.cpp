// backend/x64/vec_cache.cpp: the vector register cache. Within a block, guest vector slots (XMM,
// scratch and MMX registers) live in host xmm3..xmm15 from their first use, so a chain of SSE
// operations runs register to register instead of through CpuState; dirty registers go back to
// CpuState at the block's exits, before ops that use the slots in memory or call helpers, and
// around the out-of-line helper calls of memory ops (which then reload what is cached).
#include "backend/x64/codegen.h"
#include "ir/vector.h"

namespace doppel::x64 {

using ir::Opcode;

namespace {
constexpr int kFirstCacheReg = 3;  // xmm0..xmm2 stay scratch for the emitters
}  // namespace

x86::Mem Codegen::VecSlot(unsigned slot) const {
  return x86::xmmword_ptr(kState, static_cast<int32_t>(offsetof(CpuState, xmm) + 16 * slot));
}

x86::Xmm Codegen::VecReg(unsigned slot, bool load, int pinned) {
  ++vec_clock_;
  for (int r = kFirstCacheReg; r < 16; ++r) {
    if (vec_regs_[r].slot == static_cast<int>(slot)) {
      vec_regs_[r].stamp = vec_clock_;
      return x86::xmm(r);
    }
  }
  int pick = -1;
  for (int r = kFirstCacheReg; r < 16 && pick < 0; ++r) {
    if (vec_regs_[r].slot < 0) pick = r;
  }
  if (pick < 0) {  // the least recently used register that is not an operand of this op
    for (int r = kFirstCacheReg; r < 16; ++r) {
      if (r != pinned && (pick < 0 || vec_regs_[r].stamp < vec_regs_[pick].stamp)) pick = r;
    }
    VecCacheEntry& old = vec_regs_[pick];
    if (old.dirty) a_.movups(VecSlot(static_cast<unsigned>(old.slot)), x86::xmm(pick));
  }
  vec_regs_[pick] = VecCacheEntry{static_cast<int>(slot), false, vec_clock_};
  if (load) a_.movups(x86::xmm(pick), VecSlot(slot));
  return x86::xmm(pick);
}

void Codegen::VecDirty(const x86::Xmm& r) { vec_regs_[r.id()].dirty = true; }

Codegen::VecCacheState Codegen::VecSnapshot() const { return vec_regs_; }

void Codegen::EmitVecWriteBack(const VecCacheState& s) {
  for (int r = kFirstCacheReg; r < 16; ++r) {
    if (s[r].slot >= 0 && s[r].dirty)
      a_.movups(VecSlot(static_cast<unsigned>(s[r].slot)), x86::xmm(r));
  }
}

void Codegen::EmitVecReload(const VecCacheState& s) {
  for (int r = kFirstCacheReg; r < 16; ++r) {
    if (s[r].slot >= 0) a_.movups(x86::xmm(r), VecSlot(static_cast<unsigned>(s[r].slot)));
  }
}

void Codegen::VecFlush(bool forget) {
  EmitVecWriteBack(vec_regs_);
  for (int r = kFirstCacheReg; r < 16; ++r) {
    vec_regs_[r].dirty = false;
    if (forget) vec_regs_[r] = VecCacheEntry{};
  }
}

bool Codegen::KeepsVecCache(const ir::Inst& in) {
  // The vector ops that use the cache, and ops that neither call a helper inline nor read or
  // write vector slots in CpuState (out-of-line helper calls save and reload the cache).
  if (CallsHelperInline(in)) return false;
  switch (in.op) {
    case Opcode::kVOp: {
      const ir::VecOp op = ir::VecOpOf(in.imm);
      return op != ir::VecOp::kMmxStore && op != ir::VecOp::kBlendvps &&
             op != ir::VecOp::kBlendvpd && op != ir::VecOp::kPblendvb && op != ir::VecOp::kDpps &&
             op != ir::VecOp::kDppd;
    }
    case Opcode::kVStrCmp: return false;
    default: return true;
  }
}

}  // namespace doppel::x64
