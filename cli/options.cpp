// cli/options.cpp: parsing of the common options (--engine, -d, -D, --stats, ...).
#include "cli/options.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace doppel::cli {

namespace {

bool ParseSize(const char* text, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 0);
  if (errno || end == text) return false;
  uint64_t mult = 1;
  if (*end == 'k' || *end == 'K')
    mult = 1ull << 10, ++end;
  else if (*end == 'm' || *end == 'M')
    mult = 1ull << 20, ++end;
  else if (*end == 'g' || *end == 'G')
    mult = 1ull << 30, ++end;
  if (*end != '\0') return false;
  *out = v * mult;
  return true;
}

}  // namespace

void PrintUsage(FILE* out) {
  fprintf(
      out,
      "usage: doppel COMMAND [OPTIONS] [ARGS]\n"
      "commands:\n"
      "  demo [FILE]        run the bundled workload (or FILE) under the interpreter and the JIT\n"
      "  raw FILE           run a flat 64-bit binary loaded at 0x400000 until HLT\n"
      "  run PROGRAM ...    run a Linux x86-64 ELF program (options before PROGRAM)\n"
      "  boot --kernel FILE boot a multiboot or ELF32 kernel on an emulated PC\n"
      "options:\n"
      "  --engine interp|jit|compare   execution engine (default jit)\n"
      "  -d ITEMS          log in_asm,ir,ir_opt,out_asm,exec,perfmap (JIT symbols for perf)\n"
      "  -D FILE           write the log to FILE instead of stderr\n"
      "  --stats           print translation and dispatch statistics at exit\n"
      "  --max-insns N     stop after about N guest instructions\n"
      "  --code-cache SIZE JIT code cache size (e.g. 64M; flushed when full)\n"
      "  --no-chain        do not chain blocks\n"
      "  --no-opt          do not run the IR passes\n"
      "  -h, --help        this text\n"
      "run options:\n"
      "  -E VAR=VALUE      set VAR in the guest environment (default: doppel's environment)\n"
      "  -U VAR            remove VAR from the guest environment\n"
      "  -0 ARGV0          pass ARGV0 as argv[0] instead of PROGRAM\n"
      "  -L PREFIX         look up the interpreter and absolute guest paths under PREFIX first\n"
      "  --strace          print each guest system call to stderr\n"
      "boot options:\n"
      "  --kernel FILE     the kernel (multiboot v1: ELF32 or a.out kludge; or a plain ELF32)\n"
      "  --append STRING   the kernel command line\n"
      "  --initrd FILE     a multiboot module (repeatable; \"FILE ARGS\" gives the module a "
      "command line)\n"
      "  -m SIZE           RAM size (default 128M; 2M to 3G)\n"
      "  --serial stdio|file:PATH  where COM1 goes (default stdio; Ctrl-A X quits)\n"
      "  --no-reboot       exit instead of resetting (reset and triple fault end the run)\n"
      "  --icount          timers follow executed instructions (1 ns each), not host time\n");
}

bool ParseOptions(int argc, char** argv, Options* o) {
  auto fail = [](const std::string& msg) {
    fprintf(stderr, "doppel: %s\n", msg.c_str());
    return false;
  };
  o->config.engine = JitAvailable() ? Engine::kJit : Engine::kInterp;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (!o->positional.empty() && o->command == "run") {
      o->positional.push_back(a);  // guest program arguments are not ours
      continue;
    }
    if (a == "-h" || a == "--help") {
      o->command = "help";
      return true;
    } else if (a == "--engine") {
      const char* v = value("--engine");
      if (!v) return fail("--engine needs a value (interp, jit or compare)");
      auto e = ParseEngine(v);
      if (!e)
        return fail(std::string("invalid engine '") + v + "' (expected interp, jit or compare)");
      if (*e != Engine::kInterp && !JitAvailable()) {
        return fail(std::string("engine '") + v +
                    "' needs the JIT, which this build does not include");
      }
      o->config.engine = *e;
    } else if (a == "-d") {
      const char* v = value("-d");
      if (!v) return fail("-d needs a list of log items");
      std::string err;
      if (!ParseLogItems(v, &o->config.log, &err)) return fail(err);
    } else if (a == "-D") {
      const char* v = value("-D");
      if (!v) return fail("-D needs a file name");
      o->log_file = v;
    } else if (a == "--stats") {
      o->stats = true;
    } else if (a == "--max-insns") {
      const char* v = value("--max-insns");
      if (!v || !ParseSize(v, &o->max_insns)) return fail("--max-insns needs a number");
    } else if (a == "--code-cache") {
      const char* v = value("--code-cache");
      uint64_t size = 0;
      if (!v || !ParseSize(v, &size) || size < 4096)
        return fail("--code-cache needs a size of at least 4K");
      o->config.code_cache_bytes = size;
    } else if (a == "--no-chain") {
      o->config.chaining = false;
    } else if (a == "--no-opt") {
      o->config.optimize = false;
    } else if (a == "-E" || a == "-U") {
      const char* v = value(a.c_str());
      if (!v || !*v) return fail(a + " needs a variable");
      if (a == "-E" && !strchr(v, '='))
        return fail(std::string("-E needs VAR=VALUE, not '") + v + "'");
      o->env_ops.emplace_back(a[1], v);
    } else if (a == "-0") {
      const char* v = value("-0");
      if (!v) return fail("-0 needs an argv[0]");
      o->argv0 = v;
    } else if (a == "-L") {
      const char* v = value("-L");
      if (!v || !*v) return fail("-L needs a directory");
      o->prefix = v;
    } else if (a == "--strace") {
      o->strace = true;
    } else if (a == "--kernel" || a == "--append" || a == "--initrd" || a == "--serial") {
      const char* v = value(a.c_str());
      if (!v) return fail(a + " needs a value");
      if (a == "--kernel") o->kernel = v;
      if (a == "--append") o->append = v;
      if (a == "--initrd") o->initrd.push_back(v);
      if (a == "--serial") {
        std::string s = v;
        if (s != "stdio" && (s.rfind("file:", 0) != 0 || s.size() == 5))
          return fail("--serial needs stdio or file:PATH, not '" + s + "'");
        o->serial = s;
      }
    } else if (a == "-m") {
      const char* v = value("-m");
      uint64_t size = 0;
      // A bare number is MiB, as in QEMU.
      std::string text = v ? v : "";
      if (!text.empty() && isdigit(static_cast<unsigned char>(text.back()))) text += "M";
      if (!v || !ParseSize(text.c_str(), &size) || size < (2ull << 20) || size > (3ull << 30) ||
          size % 4096 != 0) {
        return fail(std::string("invalid RAM size '") + (v ? v : "") +
                    "' (expected 2M to 3G, e.g. -m 64 or -m 512M)");
      }
      o->ram_bytes = size;
    } else if (a == "--no-reboot") {
      o->no_reboot = true;
    } else if (a == "--icount") {
      o->icount = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return fail("unknown option '" + a + "'");
    } else if (o->command.empty()) {
      o->command = a;
    } else {
      o->positional.push_back(a);
    }
  }
  if (o->command.empty()) return fail("no command given (try 'doppel --help')");
  return true;
}

}  // namespace doppel::cli
