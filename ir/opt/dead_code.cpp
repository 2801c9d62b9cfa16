// ir/opt/dead_code.cpp: removes instructions without side effects whose values are never used.
#include "ir/opt/passes.h"

namespace doppel::ir::opt {

void DeadCodeElimination(Block& b) {
  std::vector<bool> used(b.insts.size(), false);
  if (b.term.value != kNoValue) used[b.term.value] = true;
  for (size_t i = b.insts.size(); i-- > 0;) {
    Inst& in = b.insts[i];
    if (in.op == Opcode::kNop) continue;
    if (!used[i] && !HasSideEffect(in.op)) {
      in = Inst{};
      continue;
    }
    for (Value a : in.args) {
      if (a != kNoValue) used[a] = true;
    }
  }
}

}  // namespace doppel::ir::opt
