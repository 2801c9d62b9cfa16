// cli/run_command.h: `doppel run PROGRAM ARGS...`: process emulation of a Linux ELF program.
#pragma once
#include "cli/options.h"

namespace doppel::cli {

// Returns the guest's exit status (or ends doppel with the guest's fatal signal).
int CommandRun(const Options& o);

}  // namespace doppel::cli
