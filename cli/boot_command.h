// cli/boot_command.h: `doppel boot --kernel FILE ...`: system emulation of a PC.
#pragma once
#include "cli/options.h"

namespace doppel::cli {

// Returns the exit status: the guest's debug-exit status, 0 for power off, 1 for errors.
int CommandBoot(const Options& o);

}  // namespace doppel::cli
