// linux-user/syscalls_process.cpp: process identity and limits: exit, ids, uname, arch_prctl
// (FS/GS base for TLS), set_tid_address, robust lists, rlimits, affinity and getrandom.
#include <asm/prctl.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

// 0, the process, or (for the per-thread calls) one of its threads.
bool IsSelf(Process& p, uint64_t pid) {
  if (pid == 0 || static_cast<pid_t>(pid) == getpid()) return true;
  for (const auto& t : p.threads) {
    if (t->tid == static_cast<pid_t>(pid)) return true;
  }
  return false;
}

// Limits that bound doppel's own memory are recorded for the guest but not applied to the host.
struct GuestLimits {
  rlimit as{RLIM_INFINITY, RLIM_INFINITY};
  rlimit data{RLIM_INFINITY, RLIM_INFINITY};
  rlimit stack{kStackSize, RLIM_INFINITY};
};
GuestLimits& Limits() {
  static GuestLimits l = [] {
    GuestLimits g;
    getrlimit(RLIMIT_AS, &g.as);
    getrlimit(RLIMIT_DATA, &g.data);
    getrlimit(RLIMIT_STACK, &g.stack);
    return g;
  }();
  return l;
}
rlimit* Emulated(int resource) {
  switch (resource) {
    case RLIMIT_AS: return &Limits().as;
    case RLIMIT_DATA: return &Limits().data;
    case RLIMIT_STACK: return &Limits().stack;
    default: return nullptr;
  }
}

int64_t DoPrlimit(Process& p, int resource, uint64_t new_addr, uint64_t old_addr) {
  if (resource < 0 || resource >= RLIM_NLIMITS) return -EINVAL;
  rlimit nl, ol;
  if (new_addr && !p.Get(new_addr, &nl)) return -EFAULT;
  if (new_addr && nl.rlim_cur > nl.rlim_max) return -EINVAL;
  if (rlimit* em = Emulated(resource)) {
    ol = *em;
    if (new_addr) {
      if (nl.rlim_max > em->rlim_max && geteuid() != 0) return -EPERM;
      *em = nl;
    }
  } else if (prlimit(0, static_cast<__rlimit_resource>(resource), new_addr ? &nl : nullptr, &ol) !=
             0) {
    return -errno;
  }
  if (old_addr && !p.Put(old_addr, ol)) return -EFAULT;
  return 0;
}

}  // namespace

DOPPEL_SYSCALL(SysExit) {
  // This thread only; the run loop ends it (and the process with the last thread).
  p.thread().exited = static_cast<int>(a[0] & 0xff);
  return 0;
}

DOPPEL_SYSCALL(SysExitGroup) {
  p.exit_status = static_cast<int>(a[0] & 0xff);
  return 0;
}

DOPPEL_SYSCALL(SysGetpid) { return getpid(); }
DOPPEL_SYSCALL(SysGetppid) { return getppid(); }
DOPPEL_SYSCALL(SysGettid) { return gettid(); }
DOPPEL_SYSCALL(SysGetuid) { return getuid(); }
DOPPEL_SYSCALL(SysGeteuid) { return geteuid(); }
DOPPEL_SYSCALL(SysGetgid) { return getgid(); }
DOPPEL_SYSCALL(SysGetegid) { return getegid(); }
DOPPEL_SYSCALL(SysGetpgrp) { return getpgrp(); }

DOPPEL_SYSCALL(SysUname) {
  utsname u;
  if (uname(&u) != 0) return -errno;
  // The guest sees the machine it was built for, whatever the host is.
  memset(u.machine, 0, sizeof u.machine);
  strcpy(u.machine, "x86_64");
  return p.Put(a[0], u) ? 0 : -EFAULT;
}

DOPPEL_SYSCALL(SysArchPrctl) {
  CpuState& cpu = p.cpu();
  switch (a[0]) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
      if (a[1] >= kTaskSize) return -EPERM;  // non-canonical or kernel addresses
      cpu.seg_base[a[0] == ARCH_SET_FS ? FS : GS] = a[1];
      return 0;
    case ARCH_GET_FS: return p.Put<uint64_t>(a[1], cpu.seg_base[FS]) ? 0 : -EFAULT;
    case ARCH_GET_GS: return p.Put<uint64_t>(a[1], cpu.seg_base[GS]) ? 0 : -EFAULT;
    default: return -EINVAL;
  }
}

DOPPEL_SYSCALL(SysSetTidAddress) {
  p.thread().clear_child_tid = a[0];
  return gettid();
}

DOPPEL_SYSCALL(SysSetRobustList) {
  if (a[1] != 24) return -EINVAL;  // sizeof(struct robust_list_head)
  p.thread().robust_list = a[0];
  return 0;
}

DOPPEL_SYSCALL(SysRseq) { return -ENOSYS; }

DOPPEL_SYSCALL(SysPrlimit64) {
  if (!IsSelf(p, a[0])) return -EPERM;
  return DoPrlimit(p, static_cast<int>(a[1]), a[2], a[3]);
}
DOPPEL_SYSCALL(SysGetrlimit) { return DoPrlimit(p, static_cast<int>(a[0]), 0, a[1]); }
DOPPEL_SYSCALL(SysSetrlimit) { return DoPrlimit(p, static_cast<int>(a[0]), a[1], 0); }

DOPPEL_SYSCALL(SysSchedGetaffinity) {
  if (!IsSelf(p, a[0])) return -ESRCH;
  uint64_t len = a[1];
  if (len == 0 || (len & 7)) return -EINVAL;
  uint8_t buf[1024] = {};
  long r = syscall(SYS_sched_getaffinity, 0, std::min<uint64_t>(len, sizeof buf), buf);
  if (r < 0) return -errno;
  return p.CopyOut(a[2], buf, static_cast<size_t>(r)) ? r : -EFAULT;
}

DOPPEL_SYSCALL(SysSysinfo) {
  struct sysinfo info;  // the x86-64 layout is the host's
  if (sysinfo(&info) != 0) return -errno;
  return p.Put(a[0], info) ? 0 : -EFAULT;
}

DOPPEL_SYSCALL(SysSchedYield) {
  // Let the threads waiting for the giant lock run first (it is fair: this one queues last).
  BlockingSection unlocked(p);
  return HostResult(sched_yield());
}

DOPPEL_SYSCALL(SysGetrandom) {
  uint64_t len = std::min<uint64_t>(a[1], 1u << 25);
  std::vector<uint8_t> buf(len);
  ssize_t r = getrandom(buf.data(), len, static_cast<unsigned>(a[2]));
  if (r < 0) return -errno;
  return p.CopyOut(a[0], buf.data(), static_cast<size_t>(r)) ? r : -EFAULT;
}

}  // namespace doppel::linux_user
