// linux-user/run.cpp: the process-emulation main loop: resolve and load the program (and its
// interpreter), build the initial stack and registers, then serve system calls and turn guest
// exceptions into the signals the kernel would send.
#include "linux-user/run.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cinttypes>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "linux-user/elf_loader.h"
#include "linux-user/process.h"
#include "linux-user/strace.h"
#include "linux-user/syscalls.h"

extern char** environ;

namespace doppel::linux_user {
namespace {

// The program as execvp would find it: names without a '/' are searched in PATH.
std::string ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t colon = dirs.find(':', pos);
    std::string dir =
        dirs.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  return name;  // not found: the loader reports it
}

std::vector<std::string> GuestEnvironment(const RunOptions& o) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  auto name_of = [](const std::string& s) { return s.substr(0, s.find('=')); };
  for (const auto& [kind, text] : o.env_ops) {
    std::string name = name_of(text);
    std::erase_if(env, [&](const std::string& s) { return name_of(s) == name; });
    if (kind == 'E') env.push_back(text);
  }
  return env;
}

// AT_HWCAP is CPUID.1:EDX of the CPU the guest runs on: ask the emulated CPU itself.
uint64_t ProbeHwcap(Machine& m) {
  constexpr uint64_t kProbe = 0x1000;
  const uint8_t code[] = {0x0f, 0xa2, 0xf4};  // cpuid; hlt
  if (!m.Map(kProbe, kPageSize, kProtRead | kProtExec)) return 0;
  m.WriteMemory(kProbe, code, sizeof code);
  m.cpu().gpr[RAX] = 1;
  m.cpu().gpr[RCX] = 0;
  m.cpu().rip = kProbe;
  RunResult r = m.Run({.max_insns = 16, .stop_pc = std::nullopt});
  uint64_t hwcap = r.reason == StopReason::kHalt ? static_cast<uint32_t>(m.cpu().gpr[RDX]) : 0;
  m.Unmap(kProbe, kPageSize);
  m.FlushCodeCache();
  return hwcap;
}

[[noreturn]] void DieWithSignal(int sig) {
  fflush(stdout);
  fflush(stderr);
  // The shell should see exactly the guest's fate (e.g. 139 for SIGSEGV), without a core file
  // of doppel itself.
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
  _exit(128 + sig);
}

struct FaultSignal {
  int sig;
  const char* code;
  uint64_t addr;
};

FaultSignal SignalForException(const RunResult& r, uint64_t rip) {
  switch (r.vector) {
    case ir::kPageFault:
      return {SIGSEGV, r.error_code & 1 ? "SEGV_ACCERR" : "SEGV_MAPERR", r.fault_addr};
    case ir::kDivideError: return {SIGFPE, "FPE_INTDIV", rip};
    case ir::kInvalidOpcode: return {SIGILL, "ILL_ILLOPN", rip};
    case ir::kDeviceNotAvailable: return {SIGILL, "ILL_COPROC", rip};
    case ir::kBreakpoint: return {SIGTRAP, "SI_KERNEL", 0};
    case ir::kDebug: return {SIGTRAP, "TRAP_TRACE", rip};
    case 16:
    case 19: return {SIGFPE, "FPE_FLTINV", rip};           // #MF, #XM
    case 17: return {SIGBUS, "BUS_ADRALN", r.fault_addr};  // #AC
    default: return {SIGSEGV, "SI_KERNEL", 0};             // #GP and the rest
  }
}

void HandleSyscall(Process& p, bool strace, FILE* trace) {
  CpuState& cpu = p.cpu();
  uint64_t nr = cpu.gpr[RAX];
  const uint64_t args[6] = {cpu.gpr[RDI], cpu.gpr[RSI], cpu.gpr[RDX],
                            cpu.gpr[R10], cpu.gpr[R8],  cpu.gpr[R9]};
  // SYSCALL leaves the return address in RCX and RFLAGS in R11.
  cpu.gpr[RCX] = cpu.rip;
  cpu.gpr[R11] = cpu.rflags;
  const SyscallDef* def = LookupSyscallX86_64(nr);
  bool ends = nr == 60 || nr == 231;  // exit, exit_group
  if (strace && ends && def) TraceSyscall(trace, p, nr, def, args, 0, false);
  int64_t result = def ? def->handler(p, args) : -ENOSYS;
  if (strace && !ends) TraceSyscall(trace, p, nr, def, args, result, true);
  cpu.gpr[RAX] = static_cast<uint64_t>(result);
}

void InheritIgnoredSignals(Process& p) {
  // Dispositions set to SIG_IGN survive execve, so the guest starts with the ones doppel got.
  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    struct sigaction old;
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      p.sigactions[sig].handler = 1;
  }
  // doppel sees EPIPE instead and applies the guest's disposition itself.
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int RunProgram(const RunOptions& o) {
  Machine machine(o.config);
  ProcessOptions popts;
  popts.prefix = o.prefix.empty() ? "/" : o.prefix;
  popts.strace = o.strace;
  Process p(machine, popts);
  FILE* trace = popts.trace_out;

  uint64_t hwcap = ProbeHwcap(machine);
  std::string path = ResolveProgram(o.program);
  LoadedElf exe, interp;
  LoadError err;
  if (!LoadElf(p, path, false, &exe, &err)) {
    fprintf(stderr, "doppel: %s\n", err.message.c_str());
    return err.status;
  }
  if (!exe.interp.empty()) {
    std::string ipath = popts.prefix == "/" ? exe.interp : popts.prefix + exe.interp;
    if (!LoadElf(p, ipath, true, &interp, &err)) {
      fprintf(stderr, "doppel: %s\n", err.message.c_str());
      return err.status;
    }
  }
  char real[PATH_MAX];
  p.exe_path = realpath(path.c_str(), real) ? real : path;
  p.SetBrkStart(exe.end);
  InheritIgnoredSignals(p);

  std::vector<std::string> argv = {o.argv0.empty() ? o.program : o.argv0};
  argv.insert(argv.end(), o.args.begin(), o.args.end());
  StartInfo info;
  info.phdr = exe.phdr;
  info.phent = exe.phent;
  info.phnum = exe.phnum;
  info.entry = exe.entry;
  info.interp_base = exe.interp.empty() ? 0 : interp.bias;
  info.hwcap = hwcap;
  info.execfn = path;
  uint64_t rsp = 0;
  std::string error;
  if (!BuildInitialStack(p, argv, GuestEnvironment(o), info, exe.exec_stack, &rsp, &error)) {
    fprintf(stderr, "doppel: '%s': %s\n", path.c_str(), error.c_str());
    return kExitCannotExecute;
  }
  CpuState& cpu = machine.cpu();
  for (uint64_t& r : cpu.gpr) r = 0;  // RDX = 0: no function for the program to register at exit
  cpu.gpr[RSP] = rsp;
  cpu.rip = exe.interp.empty() ? exe.entry : interp.entry;
  cpu.rflags = 0x202;
  for (uint64_t& b : cpu.seg_base) b = 0;

  auto finish = [&](int status) {
    if (o.stats) fprintf(stderr, "%s", machine.FormatStats().c_str());
    return status;
  };
  uint64_t executed_limit = o.max_insns;
  while (true) {
    RunResult r = machine.Run({.max_insns = executed_limit, .stop_pc = std::nullopt});
    switch (r.reason) {
      case StopReason::kSyscall: HandleSyscall(p, o.strace, trace); break;
      case StopReason::kException: {
        FaultSignal f = SignalForException(r, cpu.rip);
        if (o.strace) TraceSignal(trace, f.sig, f.code, f.addr);
        p.kill_signal = f.sig;
        break;
      }
      case StopReason::kHalt: {
        // HLT is privileged: #GP in user mode.
        RunResult gp;
        gp.vector = ir::kGeneralProtection;
        FaultSignal f = SignalForException(gp, cpu.rip);
        if (o.strace) TraceSignal(trace, f.sig, f.code, f.addr);
        p.kill_signal = f.sig;
        break;
      }
      case StopReason::kInsnLimit:
        fprintf(stderr, "doppel: stopped after the instruction limit at rip=0x%" PRIx64 "\n",
                cpu.rip);
        return finish(1);
      case StopReason::kDivergence:
        fprintf(stderr, "doppel: %s", r.divergence.c_str());
        return finish(2);
      default:
        fprintf(stderr, "doppel: guest stopped: %s at rip=0x%" PRIx64 "\n",
                StopReasonName(r.reason), cpu.rip);
        return finish(1);
    }
    if (p.kill_signal) {
      if (o.strace) TraceKilled(trace, p.kill_signal);
      finish(0);
      DieWithSignal(p.kill_signal);
    }
    if (p.exit_status) {
      if (o.strace) TraceExit(trace, *p.exit_status);
      return finish(*p.exit_status);
    }
    if (executed_limit != ~0ull) {
      uint64_t done = machine.stats().insns_executed;
      if (done >= o.max_insns)
        executed_limit = 0;
      else
        executed_limit = o.max_insns - done;
    }
  }
}

}  // namespace doppel::linux_user
