// ir/opt/passes.h: the IR passes, each `void Name(Block&)`, and the one pipeline that orders them.
#pragma once
#include <string>

#include "ir/ir.h"

namespace doppel::ir::opt {

void ConstantFold(Block& b);         // constant_fold.cpp
void ForwardGuestState(Block& b);    // forward_guest_state.cpp: redundant get/set elimination
void DeadFlagElimination(Block& b);  // dead_flags.cpp
void DeadCodeElimination(Block& b);  // dead_code.cpp

// Runs the pipeline and ends with the verifier; returns its verdict ("" when valid).
std::string Optimize(Block& b);

// Shared by passes: rewrites every argument (and the terminal value) through `repl`, where
// repl[v] != kNoValue names v's replacement.
void ReplaceUses(Block& b, const std::vector<Value>& repl);

}  // namespace doppel::ir::opt
