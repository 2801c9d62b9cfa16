// linux-user/run.cpp: the process-emulation main loop: resolve and load the program (and its
// interpreter), build the initial stack and registers, then serve system calls and turn guest
// exceptions into the signals the kernel would send.
#include "linux-user/run.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include "frontend/x86/translate.h"
#include "linux-user/elf_loader.h"
#include "linux-user/process.h"
#include "linux-user/signals.h"
#include "linux-user/strace.h"
#include "linux-user/syscalls.h"
#include "linux-user/vdso.h"

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

// int 0x80 of an i386 guest: number in EAX, arguments in EBX, ECX, EDX, ESI, EDI, EBP.
void HandleSyscall32(Process& p, bool strace, FILE* trace) {
  CpuState& cpu = p.cpu();
  uint64_t nr = static_cast<uint32_t>(cpu.gpr[RAX]);
  const uint64_t args[6] = {
      static_cast<uint32_t>(cpu.gpr[RBX]), static_cast<uint32_t>(cpu.gpr[RCX]),
      static_cast<uint32_t>(cpu.gpr[RDX]), static_cast<uint32_t>(cpu.gpr[RSI]),
      static_cast<uint32_t>(cpu.gpr[RDI]), static_cast<uint32_t>(cpu.gpr[RBP])};
  const SyscallDef* def = LookupSyscallI386(nr);
  bool ends = nr == 1 || nr == 252;  // exit, exit_group
  if (strace && ends && def) TraceSyscall(trace, p, nr, def, args, 0, false);
  int64_t result = def ? def->handler(p, args) : -ENOSYS;
  if (strace && !ends) TraceSyscall(trace, p, nr, def, args, result, true);
  cpu.gpr[RAX] = static_cast<uint32_t>(result);
  if (result == -EINTR && def && !def->no_restart)
    p.thread().interrupted_syscall = static_cast<int64_t>(nr);
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
  // A host signal for a guest handler interrupted the call: signal delivery decides whether it
  // restarts.
  if (result == -EINTR && def && !def->no_restart)
    p.thread().interrupted_syscall = static_cast<int64_t>(nr);
}

struct ThreadLoopContext {
  const RunOptions& o;
  uint64_t executed_base;  // the machine's instruction count when the program started
};

// The process ends here (exit_group, the last thread's exit, a fatal signal, a doppel stop):
// returns the status for RunProgram to return, or ends doppel at once when the process has had
// threads (the others may be blocked anywhere, and host threads cannot be cancelled safely).
int EndProcess(Process& p, const ThreadLoopContext& c, int status) {
  const RunOptions& o = c.o;
  p.memory().WriteBackAll();
  FILE* trace = p.options().trace_out;
  if (p.kill_signal) {
    if (o.strace) TraceKilled(trace, p.kill_signal);
    if (o.stats) fprintf(stderr, "%s", p.machine().FormatStats().c_str());
    DieWithSignal(p.kill_signal);  // kills every thread: the default action of a host signal
  }
  if (p.exit_status) {
    status = *p.exit_status;
    if (o.strace) TraceExit(trace, status);
  }
  if (o.stats) fprintf(stderr, "%s", p.machine().FormatStats().c_str());
  if (p.ever_threaded) {
    fflush(nullptr);
    _exit(status);
  }
  return status;
}

// Runs guest thread t (whose lock the caller holds) until it exits: the process's status when
// the process ended and RunProgram should return it, nullopt when only this thread ended.
std::optional<int> RunThread(Process& p, GuestThread& t, const ThreadLoopContext& c) {
  const RunOptions& o = c.o;
  Machine& machine = p.machine();
  CpuState& cpu = machine.cpu();
  FILE* trace = p.options().trace_out;
  // Alone, a thread runs in long slices, so that signals from the host are taken promptly even
  // in a hot loop; with others, in short ones, after which it lets a waiting thread run.
  constexpr uint64_t kSliceInsns = 1u << 20;
  constexpr uint64_t kThreadSliceInsns = 200000;
  uint64_t ran = 0;  // by this thread in its current slice
  while (true) {
    const uint64_t slice_len = p.threads.size() > 1 ? kThreadSliceInsns : kSliceInsns;
    if (ran >= slice_len) {
      if (p.lock.Contended()) {
        p.lock.Unlock();
        p.Acquire(t);
      }
      ran = 0;
    }
    const uint64_t before = machine.stats().insns_executed;
    const uint64_t done = before - c.executed_base;
    uint64_t slice = slice_len - ran;
    if (o.max_insns != ~0ull) slice = done >= o.max_insns ? 0 : std::min(slice, o.max_insns - done);
    RunResult r = machine.Run({.max_insns = slice, .stop_pc = std::nullopt});
    ran += machine.stats().insns_executed - before;
    switch (r.reason) {
      case StopReason::kSyscall: HandleSyscall(p, o.strace, trace); break;
      case StopReason::kException:
        if (r.error_code & ir::kSoftwareInterrupt) {
          if (r.vector == 0x80 && p.is32) {
            HandleSyscall32(p, o.strace, trace);
          } else {
            // Other gates are kernel-only: #GP at the INT instruction. (A 64-bit program's
            // int 0x80 would enter the compat syscall table, not emulated yet.)
            cpu.rip -= 2;
            RaiseFault(p, ir::kGeneralProtection, 0, 0);
          }
          break;
        }
        RaiseFault(p, r.vector, r.error_code, r.fault_addr);
        break;
      case StopReason::kHalt: RaiseFault(p, ir::kGeneralProtection, 0, 0); break;  // privileged
      case StopReason::kInsnLimit:
        if (o.max_insns != ~0ull &&
            machine.stats().insns_executed - c.executed_base >= o.max_insns) {
          fprintf(stderr, "doppel: stopped after the instruction limit at rip=0x%" PRIx64 "\n",
                  cpu.rip);
          return EndProcess(p, c, 1);
        }
        break;
      case StopReason::kDivergence:
        fprintf(stderr, "doppel: %s", r.divergence.c_str());
        return EndProcess(p, c, 2);
      default:
        fprintf(stderr, "doppel: guest stopped: %s at rip=0x%" PRIx64 "\n",
                StopReasonName(r.reason), cpu.rip);
        return EndProcess(p, c, 1);
    }
    if (!p.kill_signal && !p.exit_status && !t.exited) DeliverSignals(p);
    if (p.kill_signal || p.exit_status) return EndProcess(p, c, 0);
    if (t.exited) {
      if (EndThread(p, t)) return EndProcess(p, c, 0);
      p.lock.Unlock();  // t is gone: nothing of it may be touched from here on
      return std::nullopt;
    }
  }
}

}  // namespace

int RunProgram(const RunOptions& o) {
  std::string path = ResolveProgram(o.program);
  const bool is32 = LooksLikeElf32(path);
  MachineConfig config = o.config;
  // An i386 program runs in 32-bit protected mode with flat segments.
  if (is32) config.mode = frontend::kMode32;
  Machine machine(config);
  ProcessOptions popts;
  popts.prefix = o.prefix.empty() ? "/" : o.prefix;
  popts.strace = o.strace;
  popts.exec_args = o.exec_args;
  Process p(machine, popts);
  p.is32 = is32;
  GuestThread& main_thread = *p.threads.emplace_back(std::make_unique<GuestThread>());
  main_thread.tid = static_cast<int>(gettid());
  p.Acquire(main_thread);
  if (is32) p.memory().Use32BitLayout();

  uint64_t hwcap = ProbeHwcap(machine);
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
  InitSignals(p);

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
  p.vdso_base = MapVdso(p);
  info.vdso = p.vdso_base;
  if (p.vdso_base && p.is32) info.sysinfo = p.vdso_base + VdsoSymbol(true, "__kernel_vsyscall");
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

  ThreadLoopContext context{o, machine.stats().insns_executed};
  p.thread_main = [&p, &context](GuestThread& t) {
    p.Acquire(t);
    RunThread(p, t, context);
  };
  std::optional<int> status = RunThread(p, main_thread, context);
  if (status) return *status;
  // The main thread exited before the others: the process lives on in them and ends (by
  // _exit) with the last one. Forwarded signals are for the threads that run guest code.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  while (true) pause();
}

}  // namespace doppel::linux_user
