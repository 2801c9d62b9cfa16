// cli/main.cpp: the doppel command: argument parsing, wiring a Machine, exit codes.
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cli/boot_command.h"
#include "cli/options.h"
#include "cli/run_command.h"
#include "runtime/machine.h"

namespace doppel::cli {
namespace {

// Memory layout of `doppel raw`: the image at kImageBase, a heap and a stack.
constexpr uint64_t kImageBase = 0x400000;
constexpr uint64_t kHeapBase = 0x10000000;
constexpr uint64_t kHeapSize = 64ull << 20;
constexpr uint64_t kStackTop = 0x80000000;
constexpr uint64_t kStackSize = 1ull << 20;

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    fprintf(stderr, "doppel: cannot open '%s': %s\n", path.c_str(), strerror(errno));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    fprintf(stderr, "doppel: '%s' is not a regular file\n", path.c_str());
    return false;
  }
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) {
    fprintf(stderr, "doppel: cannot open '%s': %s\n", path.c_str(), strerror(errno));
    return false;
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t got = out->empty() ? 0 : fread(out->data(), 1, out->size(), f);
  bool failed = ferror(f) || got != out->size();
  fclose(f);
  if (failed) {
    fprintf(stderr, "doppel: cannot read '%s'\n", path.c_str());
    return false;
  }
  if (out->empty()) {
    fprintf(stderr, "doppel: '%s' is empty\n", path.c_str());
    return false;
  }
  return true;
}

bool LoadRaw(Machine& m, const std::vector<uint8_t>& image) {
  uint64_t size = (image.size() + 0xfff) & ~0xfffull;
  std::string err;
  if (image.size() > kHeapBase - kImageBase) {
    fprintf(stderr, "doppel: the image is too large (%zu bytes)\n", image.size());
    return false;
  }
  if (!m.Map(kImageBase, size, kProtRWX, &err) ||
      !m.Map(kHeapBase, kHeapSize, kProtRead | kProtWrite, &err) ||
      !m.Map(kStackTop - kStackSize, kStackSize, kProtRead | kProtWrite, &err)) {
    fprintf(stderr, "doppel: cannot map guest memory: %s\n", err.c_str());
    return false;
  }
  m.WriteMemory(kImageBase, image.data(), image.size());
  m.cpu().rip = kImageBase;
  m.cpu().gpr[RSP] = kStackTop;
  return true;
}

struct Outcome {
  RunResult result;
  double seconds = 0;
  uint64_t rax = 0;
};

Outcome RunRaw(Machine& m, uint64_t max_insns) {
  Outcome o;
  auto t0 = std::chrono::steady_clock::now();
  o.result = m.Run({.max_insns = max_insns, .stop_pc = std::nullopt});
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  o.rax = m.cpu().gpr[RAX];
  return o;
}

// Prints how a run stopped; returns the process exit code.
int Report(const Machine& m, const Outcome& o) {
  const RunResult& r = o.result;
  switch (r.reason) {
    case StopReason::kHalt:
      printf("halted at 0x%" PRIx64 ", rax=0x%" PRIx64 "\n", m.cpu().rip, o.rax);
      return 0;
    case StopReason::kException:
      fprintf(stderr,
              "doppel: guest exception %u (error code 0x%x) at rip=0x%" PRIx64 " addr=0x%" PRIx64
              "\n",
              r.vector, r.error_code, m.cpu().rip, r.fault_addr);
      return 1;
    case StopReason::kDivergence: fprintf(stderr, "doppel: %s", r.divergence.c_str()); return 2;
    case StopReason::kInsnLimit:
      printf("stopped after the instruction limit at rip=0x%" PRIx64 "\n", m.cpu().rip);
      return 0;
    default:
      fprintf(stderr, "doppel: guest stopped: %s at rip=0x%" PRIx64 "\n", StopReasonName(r.reason),
              m.cpu().rip);
      return 1;
  }
}

int CommandRaw(const Options& o) {
  if (o.positional.size() != 1) {
    fprintf(stderr, "doppel: raw needs exactly one FILE\n");
    return 2;
  }
  std::vector<uint8_t> image;
  if (!ReadFile(o.positional[0], &image)) return 1;
  Machine m(o.config);
  if (!LoadRaw(m, image)) return 1;
  Outcome out = RunRaw(m, o.max_insns);
  int code = Report(m, out);
  if (o.stats) fprintf(stderr, "%s", m.FormatStats().c_str());
  return code;
}

int CommandDemo(const Options& o) {
  std::string path =
      o.positional.empty() ? std::string(DOPPEL_GUEST_DIR) + "/demo_workload.bin" : o.positional[0];
  std::vector<uint8_t> image;
  if (!ReadFile(path, &image)) return 1;
  printf("doppel demo: %s\n", path.c_str());
  std::vector<Engine> engines = {Engine::kInterp};
  if (JitAvailable()) engines.push_back(Engine::kJit);
  double secs[2] = {};
  uint64_t rax[2] = {};
  for (size_t i = 0; i < engines.size(); ++i) {
    MachineConfig cfg = o.config;
    cfg.engine = engines[i];
    Machine m(cfg);
    if (!LoadRaw(m, image)) return 1;
    Outcome out = RunRaw(m, o.max_insns);
    if (out.result.reason != StopReason::kHalt) return Report(m, out);
    secs[i] = out.seconds;
    rax[i] = out.rax;
    uint64_t n = m.stats().insns_executed;
    printf("  %-7s %12" PRIu64 " guest insns  %8.3f s  %8.1f M insns/s  checksum 0x%016" PRIx64
           "\n",
           EngineName(engines[i]), n, out.seconds, n / out.seconds / 1e6, out.rax);
    if (o.stats) printf("%s", m.FormatStats().c_str());
  }
  if (engines.size() == 2) {
    if (rax[0] != rax[1]) {
      fprintf(stderr, "doppel: the engines disagree on the checksum\n");
      return 1;
    }
    printf("  JIT/interpreter speed ratio: %.1fx\n", secs[0] / secs[1]);
  } else {
    printf("  (this build has no JIT)\n");
  }
  return 0;
}

int Main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) return 2;
  if (o.command == "help") {
    PrintUsage(stdout);
    return 0;
  }
  FILE* log = nullptr;
  if (!o.log_file.empty()) {
    log = fopen(o.log_file.c_str(), "w");
    if (!log) {
      fprintf(stderr, "doppel: cannot open log file '%s': %s\n", o.log_file.c_str(),
              strerror(errno));
      return 1;
    }
    o.config.log.out = log;
  }
  int code;
  if (o.command == "raw")
    code = CommandRaw(o);
  else if (o.command == "demo")
    code = CommandDemo(o);
  else if (o.command == "run")
    code = CommandRun(o);
  else if (o.command == "boot")
    code = CommandBoot(o);
  else {
    fprintf(stderr, "doppel: unknown command '%s' (try 'doppel --help')\n", o.command.c_str());
    code = 2;
  }
  if (log) fclose(log);
  return code;
}

}  // namespace
}  // namespace doppel::cli

int main(int argc, char** argv) { return doppel::cli::Main(argc, argv); }
