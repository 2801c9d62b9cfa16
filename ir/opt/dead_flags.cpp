// ir/opt/dead_flags.cpp: narrows each SetFlags to the bits read before they are written again,
// and removes it when none are. Flags are live at the block end and wherever guest state must be
// exact (possible faults, side exits, helper calls).
#include "ir/opt/passes.h"

namespace doppel::ir::opt {

void DeadFlagElimination(Block& b) {
  const uint64_t kAll = ~0ull;
  uint64_t live = kAll;
  for (size_t i = b.insts.size(); i-- > 0;) {
    Inst& in = b.insts[i];
    if (in.op == Opcode::kSetFlags) {
      uint64_t mask = in.imm & live;
      live &= ~in.imm;
      if (mask == 0) {
        in = Inst{};
      } else {
        in.imm = mask;
      }
    } else if (in.op == Opcode::kGetFlags ||
               HasProp(in.op, kMayFault | kBarrier | kCall | kReadsFlags)) {
      live = kAll;
    }
  }
}

}  // namespace doppel::ir::opt
