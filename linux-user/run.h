// linux-user/run.h: running a Linux program under process emulation from start to exit: load,
// build the initial state, loop over the machine's stops (system calls, faults).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "runtime/machine.h"

namespace doppel::linux_user {

struct RunOptions {
  MachineConfig config;
  std::string program;            // as given on the command line (searched in PATH without a '/')
  std::vector<std::string> args;  // argv[1..]
  std::string argv0;              // -0: argv[0] if not empty, else the program as given
  // -E VAR=VAL ('E') and -U VAR ('U') applied in order to doppel's own environment.
  std::vector<std::pair<char, std::string>> env_ops;
  std::string prefix = "/";  // -L
  bool strace = false;
  bool stats = false;
  uint64_t max_insns = ~0ull;
  // doppel options (after "run") that an execve'd guest program is run with again.
  std::vector<std::string> exec_args;
};

// Runs the program to its end and returns its exit status (126/127 with a one-line message when
// it cannot be executed). A guest killed by a signal ends doppel with that same signal.
int RunProgram(const RunOptions& options);

}  // namespace doppel::linux_user
