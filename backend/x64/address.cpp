// backend/x64/address.cpp: address folding. The guest address of a memory op is usually a small
// tree of adds, constant shifts and constants (base + index * scale + displacement, plus the
// segment base); when that tree is used only as memory addresses, it becomes one host LEA at each
// memory op instead of an instruction per IR node.
#include <algorithm>

#include "backend/x64/codegen.h"

namespace doppel::x64 {

using ir::Opcode;
using ir::Value;

namespace {

bool IsAddressUse(const ir::Inst& in, unsigned k) {
  if (k != 0) return false;
  switch (in.op) {
    case Opcode::kLoad:
    case Opcode::kStore:
    case Opcode::kVLoad:
    case Opcode::kVStore: return true;
    default: return false;
  }
}

}  // namespace

// Collects the terms of `v` scaled by 1 << shift into f. In 32-bit mode every node is taken
// modulo 2^32 (ZExt and Trunc are then transparent); a 64-bit tree stops at them. Internal nodes
// must have no other use, so they can go unemitted.
bool Codegen::CollectAddress(Value v, unsigned shift, bool mod32, AddressForm* f,
                             std::vector<Value>* inner, bool root) const {
  const ir::Inst& in = b_->insts[v];
  const bool internal_ok = root || uses_[v] == 1;
  if (in.op == Opcode::kConst) {
    f->disp += static_cast<int64_t>(in.imm << shift);
    return true;
  }
  if (internal_ok) {
    switch (in.op) {
      case Opcode::kAdd:
        if (!mod32 && in.type != ir::Type::kI64) break;
        inner->push_back(v);
        return CollectAddress(in.args[0], shift, mod32, f, inner, false) &&
               CollectAddress(in.args[1], shift, mod32, f, inner, false);
      case Opcode::kShl: {
        const ir::Inst& count = b_->insts[in.args[1]];
        if (count.op != Opcode::kConst || shift + count.imm > 3) break;
        if (!mod32 && in.type != ir::Type::kI64) break;
        inner->push_back(v);
        return CollectAddress(in.args[0], shift + static_cast<unsigned>(count.imm), mod32, f, inner,
                              false);
      }
      case Opcode::kZExt:
      case Opcode::kTrunc:
        if (!mod32 || ir::BitWidth(in.type) < 32 || ir::BitWidth(b_->insts[in.args[0]].type) < 32) {
          break;
        }
        inner->push_back(v);
        return CollectAddress(in.args[0], shift, mod32, f, inner, false);
      default: break;
    }
  }
  // A leaf: the base (unscaled) or the index; a third register does not fit one LEA.
  if (shift == 0 && f->base == ir::kNoValue) {
    f->base = v;
    return true;
  }
  if (f->index != ir::kNoValue) return false;
  f->index = v;
  f->shift = shift;
  return true;
}

void Codegen::PlanAddresses() {
  const ir::Block& b = *b_;
  const size_t n = b.insts.size();
  uses_.assign(n, 0);
  std::vector<bool> non_address_use(n, false);
  std::vector<uint32_t> last_address_use(n, 0);
  for (uint32_t i = 0; i < n; ++i) {
    const ir::Inst& in = b.insts[i];
    if (in.op == Opcode::kNop) continue;
    for (unsigned k = 0; k < 3; ++k) {
      Value a = in.args[k];
      if (a == ir::kNoValue) continue;
      uses_[a]++;
      if (IsAddressUse(in, k)) {
        last_address_use[a] = i;
      } else {
        non_address_use[a] = true;
      }
    }
  }
  if (b.term.value != ir::kNoValue) non_address_use[b.term.value] = true;

  folded_.assign(n, false);
  address_form_.assign(n, -1);
  forms_.clear();
  for (uint32_t v = 0; v < n; ++v) {
    const ir::Inst& in = b.insts[v];
    if (non_address_use[v] || uses_[v] == 0 || in.type != ir::Type::kI64) continue;
    if (in.op != Opcode::kAdd && in.op != Opcode::kZExt) continue;
    // A 64-bit root computes in 64 bits; ZExt(32-bit tree) computes modulo 2^32 (i386 guests).
    const bool mod32 = in.op == Opcode::kZExt;
    AddressForm f;
    std::vector<Value> inner;
    if (!CollectAddress(v, 0, mod32, &f, &inner, true)) continue;
    if (!mod32 && f.disp != static_cast<int32_t>(f.disp)) continue;
    if (f.base == ir::kNoValue && f.index == ir::kNoValue) continue;  // a constant address
    f.mod32 = mod32;
    address_form_[v] = static_cast<int>(forms_.size());
    forms_.push_back(f);
    for (Value x : inner) folded_[x] = true;
    // The leaves now live until the last memory op that forms the address.
    for (Value leaf : {f.base, f.index}) {
      if (leaf != ir::kNoValue) ra_.ExtendUse(leaf, last_address_use[v]);
    }
  }
}

void Codegen::LoadAddress(Value v) {
  if (address_form_[v] < 0) {
    LoadTo(x86::rax, v);
    return;
  }
  const AddressForm& f = forms_[static_cast<size_t>(address_form_[v])];
  const int32_t disp = static_cast<int32_t>(f.disp);
  x86::Gp base = f.base != ir::kNoValue ? In(f.base, x86::rax) : x86::Gp();
  x86::Gp index = f.index != ir::kNoValue ? In(f.index, x86::rcx) : x86::Gp();
  x86::Mem m;
  if (!base.isValid()) {  // [index * scale + disp32]
    m = x86::ptr(static_cast<uint64_t>(static_cast<int64_t>(disp)), index, f.shift);
    m.setAddrType(x86::Mem::AddrType::kAbs);
  } else if (index.isValid()) {
    m = x86::ptr(base, index, f.shift, disp);
  } else {
    m = x86::ptr(base, disp);
  }
  if (f.mod32) {
    a_.lea(x86::eax, m);  // wraps at 4 GiB and zero-extends, as the folded 32-bit nodes did
  } else {
    a_.lea(x86::rax, m);
  }
}

}  // namespace doppel::x64
