// ir/vector.cpp: the vector-operation table (ir/vecops.inc) expanded into VecOpInfo.
#include "ir/vector.h"

namespace doppel::ir {

const VecOpInfo& Info(VecOp op) {
  static const VecOpInfo kVecOpInfo[] = {
#define VECOP(name, kind, has_imm, mnemonic) {#name, VecKind::kind, has_imm != 0},
#include "ir/vecops.inc"
#undef VECOP
  };
  return kVecOpInfo[static_cast<unsigned>(op)];
}

}  // namespace doppel::ir
