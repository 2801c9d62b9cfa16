// linux-user/syscalls_signal.cpp: signal dispositions and masks (recorded; delivery to guest
// handlers comes with guest signal frames) and kill/tgkill/tkill, which apply default actions
// when the target is the guest itself.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

constexpr uint64_t kSigIgn = 1;
constexpr int kSsAutodisarm = 1 << 31;       // kSsAutodisarm (linux/signal.h)
constexpr uint64_t kMinSigStackSize = 2048;  // MINSIGSTKSZ of the x86-64 ABI
constexpr uint64_t kUnblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

// A signal the guest sends itself: the default action or ignore; handlers are not run yet.
int64_t SignalSelf(Process& p, int sig) {
  if (sig == 0) return 0;
  const GuestSigaction& act = p.sigactions[sig];
  if (act.handler == kSigIgn && sig != SIGKILL) return 0;
  if (act.handler == 0 || sig == SIGKILL || sig == SIGSTOP) {
    p.DieBySignal(sig);
    return 0;
  }
  fprintf(stderr, "doppel: signal %d sent to a guest handler: delivery is not implemented yet\n",
          sig);
  return 0;
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
  }
  return 0;
}

DOPPEL_SYSCALL(SysRtSigprocmask) {
  if (a[3] != 8) return -EINVAL;
  uint64_t set = 0, old = p.sigmask;
  if (a[1]) {
    if (!p.Get(a[1], &set)) return -EFAULT;
    switch (a[0]) {
      case SIG_BLOCK: p.sigmask |= set; break;
      case SIG_UNBLOCK: p.sigmask &= ~set; break;
      case SIG_SETMASK: p.sigmask = set; break;
      default: return -EINVAL;
    }
    p.sigmask &= ~kUnblockable;
  }
  if (a[2] && !p.Put(a[2], old)) {
    p.sigmask = old;
    return -EFAULT;
  }
  return 0;
}

DOPPEL_SYSCALL(SysSigaltstack) {
  GuestStack next;
  if (a[0] && !p.Get(a[0], &next)) return -EFAULT;
  if (a[1] && !p.Put(a[1], p.altstack)) return -EFAULT;
  if (a[0]) {
    int mode = next.flags & ~kSsAutodisarm;
    if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK) return -EINVAL;
    if (mode == SS_DISABLE) {
      p.altstack = GuestStack{};
    } else {
      if (next.size < kMinSigStackSize) return -ENOMEM;
      next.flags &= kSsAutodisarm;
      p.altstack = next;
    }
  }
  return 0;
}

DOPPEL_SYSCALL(SysKill) {
  pid_t pid = static_cast<pid_t>(a[0]);
  int sig = static_cast<int>(a[1]);
  if (sig < 0 || sig > kMaxSignal) return -EINVAL;
  if (pid == getpid()) return SignalSelf(p, sig);
  return HostResult(kill(pid, sig));
}

DOPPEL_SYSCALL(SysTgkill) {
  pid_t tgid = static_cast<pid_t>(a[0]), tid = static_cast<pid_t>(a[1]);
  int sig = static_cast<int>(a[2]);
  if (sig < 0 || sig > kMaxSignal || tgid <= 0 || tid <= 0) return -EINVAL;
  if (tgid == getpid() && tid == gettid()) return SignalSelf(p, sig);
  return -ESRCH;  // no other threads exist yet
}

DOPPEL_SYSCALL(SysTkill) {
  pid_t tid = static_cast<pid_t>(a[0]);
  int sig = static_cast<int>(a[1]);
  if (sig < 0 || sig > kMaxSignal || tid <= 0) return -EINVAL;
  if (tid == gettid()) return SignalSelf(p, sig);
  return -ESRCH;
}

}  // namespace doppel::linux_user
