// cli/run_command.cpp: `doppel run`: turns the parsed options into linux-user run options.
#include "cli/run_command.h"

#include <string>

#include "linux-user/run.h"

namespace doppel::cli {

int CommandRun(const Options& o) {
  if (o.positional.empty()) {
    fprintf(stderr, "doppel: run needs a PROGRAM (try 'doppel --help')\n");
    return 2;
  }
  linux_user::RunOptions r;
  r.config = o.config;
  r.program = o.positional[0];
  r.args.assign(o.positional.begin() + 1, o.positional.end());
  r.argv0 = o.argv0;
  r.env_ops = o.env_ops;
  r.prefix = o.prefix;
  r.strace = o.strace;
  r.stats = o.stats;
  r.max_insns = o.max_insns;
  // An execve'd program runs under the same engine, translation settings, -L and --strace.
  r.exec_args = {"run", "--engine", EngineName(o.config.engine)};
  if (o.prefix != "/") r.exec_args.insert(r.exec_args.end(), {"-L", o.prefix});
  if (o.strace) r.exec_args.push_back("--strace");
  if (!o.config.chaining) r.exec_args.push_back("--no-chain");
  if (!o.config.optimize) r.exec_args.push_back("--no-opt");
  if (o.config.code_cache_bytes != MachineConfig{}.code_cache_bytes) {
    r.exec_args.insert(r.exec_args.end(),
                       {"--code-cache", std::to_string(o.config.code_cache_bytes)});
  }
  return linux_user::RunProgram(r);
}

}  // namespace doppel::cli
