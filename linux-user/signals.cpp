// linux-user/signals.cpp: guest signal generation and delivery: faults become the signals the
// kernel forces, host signals are caught by a handler that only records them, the guest mask is
// mirrored onto the host, and pending signals are taken between runs of the machine.
#include "linux-user/signals.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>

#include "linux-user/process.h"
#include "linux-user/strace.h"
#include "linux-user/threads.h"

namespace doppel::linux_user {
namespace {

constexpr uint64_t kSigIgn = 1;
constexpr uint64_t kSaNodefer = 0x40000000;
constexpr uint64_t kSaResethand = 0x80000000;
constexpr uint64_t kSaRestart = 0x10000000;
constexpr uint64_t kUnblockable = SigBit(SIGKILL) | SigBit(SIGSTOP);
// Raised by guest instructions (the kernel's SYNCHRONOUS_MASK): taken before other signals.
constexpr uint64_t kSynchronous = SigBit(SIGSEGV) | SigBit(SIGBUS) | SigBit(SIGILL) |
                                  SigBit(SIGTRAP) | SigBit(SIGFPE) | SigBit(SIGSYS);

// Filled by the host handler, drained by the main loop. One slot a signal: standard signals do
// not queue, and neither do real-time ones here yet.
std::atomic<uint64_t> g_host_pending{0};
siginfo_t g_host_info[kMaxSignal + 1];

void RecordHostSignal(int sig, siginfo_t* info, void*) {
  if (sig < 1 || sig > kMaxSignal) return;
  // doppel interrupting one of its own threads for a signal already queued (KickForSignal):
  // the guest sends signals to itself only through the emulation, never through the host.
  if (info->si_code == SI_TKILL && info->si_pid == getpid()) return;
  if (!(g_host_pending.load(std::memory_order_relaxed) & SigBit(sig))) {
    memcpy(&g_host_info[sig], info, sizeof *info);
  }
  g_host_pending.fetch_or(SigBit(sig));
}

sigset_t HostSet(uint64_t mask) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    if ((mask & SigBit(sig)) && HostForwarded(sig)) sigaddset(&set, sig);
  }
  return set;
}

void DrainHostSignals(Process& p) {
  uint64_t bits = g_host_pending.exchange(0);
  for (int sig = 1; bits; ++sig) {
    if (!(bits & SigBit(sig))) continue;
    bits &= ~SigBit(sig);
    PendingSignal s;
    static_assert(sizeof(siginfo_t) == sizeof(GuestSiginfo));  // x86-64 host = x86-64 guest
    memcpy(static_cast<void*>(&s.info), &g_host_info[sig], sizeof s.info);
    QueueSignal(p, s);
  }
}

int PickSignal(uint64_t deliverable) {
  uint64_t sync = deliverable & kSynchronous;
  return __builtin_ctzll(sync ? sync : deliverable) + 1;
}

void Trace(Process& p, const GuestSiginfo& info) {
  if (p.options().strace) TraceSignal(p.options().trace_out, p, info);
}

}  // namespace

bool HostForwarded(int sig) {
  if (sig < 1 || sig > kMaxSignal) return false;
  if (SigBit(sig) & (kSynchronous | kUnblockable | SigBit(SIGPIPE))) return false;
  return sig != 32 && sig != 33;
}

const char* SiCodeName(int sig, int32_t code) {
  switch (code) {
    case kSiUser: return "SI_USER";
    case kSiKernel: return "SI_KERNEL";
    case kSiTkill: return "SI_TKILL";
    case -1: return "SI_QUEUE";
    case -2: return "SI_TIMER";
    default: break;
  }
  switch (sig) {
    case SIGSEGV:
      return code == kSegvMaperr ? "SEGV_MAPERR" : code == kSegvAccerr ? "SEGV_ACCERR" : "?";
    case SIGFPE: return code == kFpeIntdiv ? "FPE_INTDIV" : code == kFpeFltinv ? "FPE_FLTINV" : "?";
    case SIGILL: return code == kIllIllopn ? "ILL_ILLOPN" : code == kIllCoproc ? "ILL_COPROC" : "?";
    case SIGBUS: return code == kBusAdraln ? "BUS_ADRALN" : "?";
    case SIGTRAP:
      return code == kTrapBrkpt ? "TRAP_BRKPT" : code == kTrapTrace ? "TRAP_TRACE" : "?";
    default: return "?";
  }
}

void InitSignals(Process& p) {
  // The blocked mask and ignored dispositions survive execve: the guest starts with doppel's.
  sigset_t blocked;
  sigprocmask(SIG_SETMASK, nullptr, &blocked);
  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    if (HostForwarded(sig) && sigismember(&blocked, sig) == 1) p.thread().sigmask |= SigBit(sig);
    struct sigaction old;
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN)
      p.sigactions[sig].handler = kSigIgn;
  }
  // doppel sees EPIPE instead and applies the guest's disposition itself.
  signal(SIGPIPE, SIG_IGN);
}

void ResetSignalsAfterFork(Process& p) {
  g_host_pending.store(0);
  p.pending = 0;
  p.thread().pending = 0;
  p.thread().interrupted_syscall = -1;
}

void SyncHostDisposition(Process& p, int sig) {
  if (!HostForwarded(sig)) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  uint64_t handler = p.sigactions[sig].handler;
  if (handler == 0) {
    sa.sa_handler = SIG_DFL;  // the host's default action is the guest's: doppel ends the same way
  } else if (handler == kSigIgn) {
    sa.sa_handler = SIG_IGN;
  } else {
    // No SA_RESTART: a blocking host call returns EINTR so that the guest handler runs promptly;
    // the syscall layer restarts it when the guest asked for SA_RESTART.
    sa.sa_sigaction = RecordHostSignal;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask);
  }
  sigaction(sig, &sa, nullptr);
}

void SyncHostMask(Process& p) {
  sigset_t set = HostSet(p.thread().sigmask);
  sigprocmask(SIG_SETMASK, &set, nullptr);
}

void QueueSignal(Process& p, const PendingSignal& s, GuestThread* target) {
  int sig = s.info.signo;
  if (sig < 1 || sig > kMaxSignal) return;
  uint64_t& pending = target ? target->pending : p.pending;
  PendingSignal* info = target ? target->pending_info : p.pending_info;
  if (pending & SigBit(sig)) return;
  pending |= SigBit(sig);
  info[sig] = s;
}

void DiscardSignal(Process& p, int sig) {
  p.pending &= ~SigBit(sig);
  for (const auto& t : p.threads) t->pending &= ~SigBit(sig);
}

void SendSelf(Process& p, int sig, int32_t code, GuestThread* target) {
  PendingSignal s;
  s.info.signo = sig;
  s.info.code = code;
  s.info.u.kill.pid = getpid();
  s.info.u.kill.uid = getuid();
  QueueSignal(p, s, target);
  KickForSignal(p, sig, target);
}

void RaiseFault(Process& p, uint32_t vector, uint32_t error_code, uint64_t fault_addr) {
  const uint64_t rip = p.cpu().rip;
  PendingSignal s;
  s.trapno = vector;
  s.err = error_code;
  auto set = [&](int sig, int32_t code, uint64_t addr) {
    s.info.signo = sig;
    s.info.code = code;
    s.info.u.addr = addr;
  };
  switch (vector) {
    case ir::kPageFault:
      // The kernel decides by the VMA: no mapping is MAPERR, a mapping without the access ACCERR.
      set(SIGSEGV, p.memory().Find(fault_addr) ? kSegvAccerr : kSegvMaperr, fault_addr);
      s.err = error_code | 4;  // a user-mode access
      s.cr2 = fault_addr;
      break;
    case ir::kDivideError: set(SIGFPE, kFpeIntdiv, rip); break;
    case ir::kInvalidOpcode: set(SIGILL, kIllIllopn, rip); break;
    case ir::kDeviceNotAvailable: set(SIGILL, kIllCoproc, rip); break;
    case ir::kBreakpoint: set(SIGTRAP, kSiKernel, 0); break;
    case ir::kDebug: set(SIGTRAP, kTrapTrace, rip); break;
    case 16:
    case 19: set(SIGFPE, kFpeFltinv, rip); break;         // #MF, #XM
    case 17: set(SIGBUS, kBusAdraln, fault_addr); break;  // #AC
    default: set(SIGSEGV, kSiKernel, 0); break;           // #GP and the rest
  }
  int sig = s.info.signo;
  // force_sig_info: a blocked or ignored fault signal is unblocked and its default action taken.
  GuestSigaction& act = p.sigactions[sig];
  bool blocked = p.thread().sigmask & SigBit(sig);
  if (blocked || act.handler == kSigIgn) {
    act.handler = 0;
    if (blocked) {
      p.thread().sigmask &= ~SigBit(sig);
      SyncHostMask(p);
    }
  }
  // A fault goes to the faulting thread and always reports its own details.
  p.thread().pending &= ~SigBit(sig);
  QueueSignal(p, s, &p.thread());
}

uint64_t DeliverableSignals(Process& p) {
  DrainHostSignals(p);
  return (p.pending | p.thread().pending) & ~p.thread().sigmask;
}

bool DeliverSignals(Process& p) {
  CpuState& cpu = p.cpu();
  bool handler_ran = false;
  while (uint64_t deliverable = DeliverableSignals(p)) {
    int sig = PickSignal(deliverable);
    // The thread's own signals first, as the kernel's dequeue_signal.
    GuestThread& t = p.thread();
    const bool own = t.pending & SigBit(sig);
    PendingSignal s = own ? t.pending_info[sig] : p.pending_info[sig];
    (own ? t.pending : p.pending) &= ~SigBit(sig);
    Trace(p, s.info);
    GuestSigaction& act = p.sigactions[sig];
    if (act.handler == kSigIgn) continue;
    if (act.handler == 0) {
      if (p.DieBySignal(sig)) return false;
      continue;
    }
    // An interrupted system call is restarted under an SA_RESTART handler (the frame saves the
    // rewound RIP), otherwise it returns EINTR. Both syscall and int 0x80 are 2 bytes long.
    if (p.thread().interrupted_syscall >= 0 && !handler_ran) {
      if (act.flags & kSaRestart) {
        cpu.rip -= 2;
        cpu.gpr[RAX] = static_cast<uint64_t>(p.thread().interrupted_syscall);
      }
      p.thread().interrupted_syscall = -1;
    }
    uint64_t old_mask = p.thread().saved_mask ? *p.thread().saved_mask : p.thread().sigmask;
    p.thread().saved_mask.reset();
    bool pushed =
        p.is32 ? PushFrameI386(p, sig, s, old_mask) : PushFrameX86_64(p, sig, s, old_mask);
    if (!pushed) {
      // The kernel's force_sigsegv: a frame that cannot be written kills the process.
      p.DieBySignal(SIGSEGV);
      return false;
    }
    handler_ran = true;
    p.thread().sigmask |= act.mask;
    if (!(act.flags & kSaNodefer)) p.thread().sigmask |= SigBit(sig);
    p.thread().sigmask &= ~kUnblockable;
    if (act.flags & kSaResethand) {
      act.handler = 0;
      act.flags &= ~kSaResethand;
      SyncHostDisposition(p, sig);
    }
    SyncHostMask(p);
  }
  if (p.thread().interrupted_syscall >= 0) {
    // No handler ran (the signal was ignored or stopped doppel): the kernel restarts the call.
    cpu.rip -= 2;
    cpu.gpr[RAX] = static_cast<uint64_t>(p.thread().interrupted_syscall);
    p.thread().interrupted_syscall = -1;
  }
  if (p.thread().saved_mask) {
    p.thread().sigmask = *p.thread().saved_mask;
    p.thread().saved_mask.reset();
    SyncHostMask(p);
  }
  return true;
}

void WaitForSignal(Process& p) {
  // Block everything forwarded while checking, then let sigsuspend unblock atomically, so a
  // signal arriving between the check and the wait is not lost.
  sigset_t all = HostSet(~0ull);
  sigset_t old;
  sigprocmask(SIG_BLOCK, &all, &old);
  // Another thread queueing a signal for this one interrupts the sigsuspend with a host signal
  // (KickForSignal), which stays pending on the host until then.
  while (!DeliverableSignals(p)) {
    sigset_t wait = HostSet(p.thread().sigmask);
    BlockingSection unlocked(p);
    sigsuspend(&wait);
  }
  SyncHostMask(p);
}

}  // namespace doppel::linux_user
