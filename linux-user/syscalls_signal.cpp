// linux-user/syscalls_signal.cpp: signal dispositions, masks, the alternate stack, sending
// signals (to itself: queued and delivered by signals.cpp; to others: the host's kill),
// rt_sigreturn, waiting for signals and the host timers that raise them (alarm, itimers).
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <csignal>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

constexpr uint64_t kSigIgn = 1;
constexpr int kSsAutodisarm = 1 << 31;
constexpr uint64_t kMinSigStackSize = 2048;  // MINSIGSTKSZ of the x86-64 ABI
constexpr uint64_t kUnblockable = SigBit(SIGKILL) | SigBit(SIGSTOP);

// Signals whose default action is to ignore them (setting them to SIG_DFL discards them).
bool DefaultIgnores(int sig) {
  return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

bool OnAltStack(const Process& p, uint64_t sp) {
  return p.thread().altstack.size != 0 && sp > p.thread().altstack.sp &&
         sp - p.thread().altstack.sp <= p.thread().altstack.size;
}

int64_t SignalSelf(Process& p, int sig, int32_t code, GuestThread* target = nullptr) {
  if (sig != 0) SendSelf(p, sig, code, target);
  return 0;
}

GuestThread* FindThread(Process& p, pid_t tid) {
  for (const auto& t : p.threads) {
    if (t->tid == tid) return t.get();
  }
  return nullptr;
}

}  // namespace

DOPPEL_SYSCALL(SysRtSigaction) {
  int sig = static_cast<int>(a[0]);
  if (a[3] != 8 || sig < 1 || sig > kMaxSignal) return -EINVAL;
  GuestSigaction next;
  if (a[1]) {
    if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
    if (!p.Get(a[1], &next)) return -EFAULT;
  }
  if (a[2] && !p.Put(a[2], p.sigactions[sig])) return -EFAULT;
  if (a[1]) {
    next.mask &= ~kUnblockable;
    p.sigactions[sig] = next;
    // POSIX: a pending signal whose action becomes "ignore" is discarded.
    if (next.handler == kSigIgn || (next.handler == 0 && DefaultIgnores(sig)))
      DiscardSignal(p, sig);
    SyncHostDisposition(p, sig);
  }
  return 0;
}

DOPPEL_SYSCALL(SysRtSigprocmask) {
  if (a[3] != 8) return -EINVAL;
  uint64_t set = 0, old = p.thread().sigmask;
  if (a[1]) {
    if (!p.Get(a[1], &set)) return -EFAULT;
    switch (a[0]) {
      case SIG_BLOCK: p.thread().sigmask |= set; break;
      case SIG_UNBLOCK: p.thread().sigmask &= ~set; break;
      case SIG_SETMASK: p.thread().sigmask = set; break;
      default: return -EINVAL;
    }
    p.thread().sigmask &= ~kUnblockable;
  }
  if (a[2] && !p.Put(a[2], old)) {
    p.thread().sigmask = old;
    return -EFAULT;
  }
  SyncHostMask(p);
  return 0;
}

DOPPEL_SYSCALL(SysRtSigpending) {
  if (a[1] != 8) return -EINVAL;
  DeliverableSignals(p);  // collect host arrivals
  sigset_t host;
  sigpending(&host);
  uint64_t set = p.pending | p.thread().pending;
  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    if (sigismember(&host, sig) == 1) set |= SigBit(sig);
  }
  return p.Put<uint64_t>(a[0], set & p.thread().sigmask) ? 0 : -EFAULT;
}

DOPPEL_SYSCALL(SysRtSigsuspend) {
  if (a[1] != 8) return -EINVAL;
  uint64_t set;
  if (!p.Get(a[0], &set)) return -EFAULT;
  p.thread().saved_mask = p.thread().sigmask;
  p.thread().sigmask = set & ~kUnblockable;
  SyncHostMask(p);
  WaitForSignal(p);
  return -EINTR;
}

DOPPEL_SYSCALL(SysPause) {
  WaitForSignal(p);
  return -EINTR;
}

DOPPEL_SYSCALL(SysRtSigreturn) {
  if (!SigreturnX86_64(p)) {
    p.DieBySignal(SIGSEGV);  // a corrupt frame: the kernel's force_sigsegv
    return 0;
  }
  return static_cast<int64_t>(p.cpu().gpr[RAX]);  // the interrupted code's RAX
}

DOPPEL_SYSCALL(SysSigaltstack) {
  GuestStack next;
  if (a[0] && !p.Get(a[0], &next)) return -EFAULT;
  const bool on_alt = OnAltStack(p, p.cpu().gpr[RSP]);
  if (a[1]) {
    GuestStack old = p.thread().altstack;
    old.flags = p.thread().altstack.size == 0
                    ? SS_DISABLE
                    : (on_alt ? SS_ONSTACK : 0) | (p.thread().altstack.flags & kSsAutodisarm);
    if (!p.Put(a[1], old)) return -EFAULT;
  }
  if (a[0]) {
    if (on_alt) return -EPERM;
    int mode = next.flags & ~kSsAutodisarm;
    if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK) return -EINVAL;
    if (mode == SS_DISABLE) {
      p.thread().altstack = GuestStack{};
    } else {
      if (next.size < kMinSigStackSize) return -ENOMEM;
      next.flags &= kSsAutodisarm;
      p.thread().altstack = next;
    }
  }
  return 0;
}

DOPPEL_SYSCALL(SysKill) {
  pid_t pid = static_cast<pid_t>(a[0]);
  int sig = static_cast<int>(a[1]);
  if (sig < 0 || sig > kMaxSignal) return -EINVAL;
  if (pid == getpid()) return SignalSelf(p, sig, kSiUser);
  // Process groups that include doppel (0, -pgrp, -1) reach the guest through the host handler.
  return HostResult(kill(pid, sig));
}

DOPPEL_SYSCALL(SysTgkill) {
  pid_t tgid = static_cast<pid_t>(a[0]), tid = static_cast<pid_t>(a[1]);
  int sig = static_cast<int>(a[2]);
  if (sig < 0 || sig > kMaxSignal || tgid <= 0 || tid <= 0) return -EINVAL;
  // Another process's guest threads are host threads with the same ids (its doppel forwards
  // what arrives to its guest).
  if (tgid != getpid()) return HostResult(syscall(SYS_tgkill, tgid, tid, sig));
  GuestThread* t = FindThread(p, tid);
  if (!t) return -ESRCH;  // an exited thread (the main one included)
  return SignalSelf(p, sig, kSiTkill, t);
}

DOPPEL_SYSCALL(SysTkill) {
  pid_t tid = static_cast<pid_t>(a[0]);
  int sig = static_cast<int>(a[1]);
  if (sig < 0 || sig > kMaxSignal || tid <= 0) return -EINVAL;
  if (GuestThread* t = FindThread(p, tid)) return SignalSelf(p, sig, kSiTkill, t);
  // Not one of ours: a thread of another process, unless it is this process's exited main
  // thread (whose host thread lives on, idle).
  if (tid == getpid()) return -ESRCH;
  return HostResult(syscall(SYS_tkill, tid, sig));
}

// Host timers: their SIGALRM/SIGVTALRM/SIGPROF reach doppel and are forwarded to the guest.
DOPPEL_SYSCALL(SysAlarm) { return alarm(static_cast<unsigned>(a[0])); }

DOPPEL_SYSCALL(SysSetitimer) {
  itimerval next, old;
  if (a[1] && !p.Get(a[1], &next)) return -EFAULT;
  if (setitimer(static_cast<__itimer_which>(a[0]), a[1] ? &next : nullptr, &old) != 0)
    return -errno;
  if (a[2] && !p.Put(a[2], old)) return -EFAULT;
  return 0;
}

DOPPEL_SYSCALL(SysGetitimer) {
  itimerval v;
  if (getitimer(static_cast<__itimer_which>(a[0]), &v) != 0) return -errno;
  return p.Put(a[1], v) ? 0 : -EFAULT;
}

}  // namespace doppel::linux_user
