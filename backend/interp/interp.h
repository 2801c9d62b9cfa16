// backend/interp/interp.h: the IR interpreter, the portable engine and the reference the JIT is
// compared against. It runs a block's IR directly on the CPU state.
#pragma once
#include "backend/helpers.h"
#include "ir/ir.h"

namespace doppel::interp {

// Runs one block (including its budget check and subtraction) and reports how it left. RIP is
// left at the next guest PC in every case.
backend::BlockExit Run(const ir::Block& b, CpuState& s, const backend::Helpers& h);

}  // namespace doppel::interp
