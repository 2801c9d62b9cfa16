// ir/opt/pipeline.cpp: the order of the passes, ending with the verifier.
#include "ir/opt/passes.h"

namespace doppel::ir::opt {

std::string Optimize(Block& b) {
  ConstantFold(b);
  ForwardGuestState(b);
  DeadFlagElimination(b);
  ConstantFold(b);
  DeadCodeElimination(b);
  return Verify(b);
}

void ReplaceUses(Block& b, const std::vector<Value>& repl) {
  auto resolve = [&](Value v) {
    while (v != kNoValue && v < repl.size() && repl[v] != kNoValue) v = repl[v];
    return v;
  };
  for (Inst& in : b.insts) {
    for (Value& a : in.args) a = resolve(a);
  }
  if (b.term.value != kNoValue) b.term.value = resolve(b.term.value);
}

}  // namespace doppel::ir::opt
