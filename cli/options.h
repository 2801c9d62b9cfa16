// cli/options.h: command-line parsing shared by the doppel subcommands.
#pragma once
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "runtime/machine.h"

namespace doppel::cli {

struct Options {
  std::string command;
  MachineConfig config;
  bool stats = false;
  std::string log_file;  // -D FILE
  uint64_t max_insns = ~0ull;
  std::vector<std::string> positional;
  // run: -E VAR=VAL ('E') / -U VAR ('U') in order, -0 ARGV0, -L PREFIX, --strace
  std::vector<std::pair<char, std::string>> env_ops;
  std::string argv0;
  std::string prefix = "/";
  bool strace = false;
  // boot: --kernel, --append, --initrd (repeatable: multiboot modules), -m, --serial,
  // --no-reboot, --icount
  std::string kernel;
  std::string append;
  std::vector<std::string> initrd;
  uint64_t ram_bytes = 128ull << 20;
  std::string serial = "stdio";
  bool no_reboot = false;
  bool icount = false;
};

// Parses argv; on error prints one line to stderr and returns false.
bool ParseOptions(int argc, char** argv, Options* out);
void PrintUsage(FILE* out);

}  // namespace doppel::cli
