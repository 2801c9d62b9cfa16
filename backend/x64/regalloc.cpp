// backend/x64/regalloc.cpp: linear-scan assignment of IR values to host registers and spill slots
// for one straight-line block (API documented on RegAlloc in codegen.h).
#include <algorithm>

#include "backend/x64/codegen.h"

namespace doppel::x64 {

namespace {

// Callee-saved registers first: values in them survive helper calls without being saved.
constexpr int kPool[] = {
    x86::Gp::kIdBx, x86::Gp::kIdBp, x86::Gp::kIdR12, x86::Gp::kIdR13, x86::Gp::kIdR14,
    x86::Gp::kIdSi, x86::Gp::kIdDi, x86::Gp::kIdR8,  x86::Gp::kIdR9,  x86::Gp::kIdR10,
};
constexpr uint32_t kCallerSavedMask = 1u << x86::Gp::kIdSi | 1u << x86::Gp::kIdDi |
                                      1u << x86::Gp::kIdR8 | 1u << x86::Gp::kIdR9 |
                                      1u << x86::Gp::kIdR10;

}  // namespace

void RegAlloc::Init(const ir::Block& b) {
  const size_t n = b.insts.size();
  block_ = &b;
  last_use_.assign(n, kNoUse);
  loc_.assign(n, Loc{});
  for (auto& r : reg_owner_) r = ir::kNoValue;
  free_slots_.clear();
  next_slot_ = 0;
  overflow_ = false;
  for (uint32_t i = 0; i < n; ++i) {
    const ir::Inst& in = b.insts[i];
    if (in.op == ir::Opcode::kNop) continue;
    for (ir::Value a : in.args) {
      if (a != ir::kNoValue && a < n) last_use_[a] = i;
    }
  }
  const ir::Terminal& t = b.term;
  if (t.kind != ir::Terminal::Kind::kNone && t.value != ir::kNoValue && t.value < n) {
    last_use_[t.value] = static_cast<uint32_t>(n);
  }
}

int RegAlloc::NewSlot() {
  if (!free_slots_.empty()) {
    int s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  if (next_slot_ >= kSpillSlots) {
    overflow_ = true;  // the block is rejected; any slot keeps the emitters well defined
    return 0;
  }
  return next_slot_++;
}

Loc RegAlloc::Define(ir::Value v, uint32_t at, Eviction* ev) {
  *ev = Eviction{};
  Loc l;
  const ir::Inst& in = block_->insts[at];
  if (in.op == ir::Opcode::kConst) {
    l.konst = true;
    l.imm = in.imm & ir::WidthMask(in.type);
    loc_[v] = l;
    return l;
  }
  for (int r : kPool) {
    if (reg_owner_[r] == ir::kNoValue) {
      reg_owner_[r] = v;
      l.reg = r;
      loc_[v] = l;
      return l;
    }
  }
  // Pool exhausted: the register value that dies last gives way if it outlives v.
  const uint32_t mine = last_use_[v] == kNoUse ? at : last_use_[v];
  int victim = -1;
  uint32_t victim_use = mine;
  for (int r : kPool) {
    uint32_t u = last_use_[reg_owner_[r]];
    if (u != kNoUse && u > victim_use) {
      victim = r;
      victim_use = u;
    }
  }
  if (victim >= 0) {
    ir::Value old = reg_owner_[victim];
    Loc spilled;
    spilled.slot = NewSlot();
    loc_[old] = spilled;
    ev->happened = true;
    ev->reg = victim;
    ev->slot = spilled.slot;
    reg_owner_[victim] = v;
    l.reg = victim;
  } else {
    l.slot = NewSlot();
  }
  loc_[v] = l;
  return l;
}

void RegAlloc::Free(ir::Value v) {
  Loc& l = loc_[v];
  if (l.InReg()) {
    if (reg_owner_[l.reg] == v) reg_owner_[l.reg] = ir::kNoValue;
  } else if (l.slot >= 0) {
    free_slots_.push_back(l.slot);
  }
  l = Loc{};
}

void RegAlloc::Release(uint32_t at, const ir::Inst& in) {
  for (unsigned k = 0; k < 3; ++k) {
    ir::Value a = in.args[k];
    if (a == ir::kNoValue || last_use_[a] != at) continue;
    if (std::find(in.args, in.args + k, a) != in.args + k) continue;  // already freed
    Free(a);
  }
  if (in.type != ir::Type::kVoid && last_use_[at] == kNoUse) Free(at);
}

uint32_t RegAlloc::CallerSavedInUse() const {
  uint32_t m = 0;
  for (int r : kPool) {
    if (reg_owner_[r] != ir::kNoValue) m |= 1u << r;
  }
  return m & kCallerSavedMask;
}

}  // namespace doppel::x64
