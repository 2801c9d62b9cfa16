// linux-user/syscalls_time.cpp: clocks, sleeping (without the giant lock) and futex, whose
// queues are emulated by FutexTable (threads.h).
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {

DOPPEL_SYSCALL(SysClockGettime) {
  timespec ts;
  if (clock_gettime(static_cast<clockid_t>(a[0]), &ts) != 0) return -errno;
  return p.Put(a[1], ts) ? 0 : -EFAULT;
}

DOPPEL_SYSCALL(SysClockGetres) {
  timespec ts;
  if (clock_getres(static_cast<clockid_t>(a[0]), &ts) != 0) return -errno;
  if (a[1] && !p.Put(a[1], ts)) return -EFAULT;
  return 0;
}

DOPPEL_SYSCALL(SysGettimeofday) {
  timeval tv;
  struct timezone tz;
  if (gettimeofday(&tv, &tz) != 0) return -errno;
  if (a[0] && !p.Put(a[0], tv)) return -EFAULT;
  if (a[1] && !p.Put(a[1], tz)) return -EFAULT;
  return 0;
}

DOPPEL_SYSCALL(SysTime) {
  int64_t t = ::time(nullptr);
  if (a[0] && !p.Put(a[0], t)) return -EFAULT;
  return t;
}

// getcpu(cpu, node, tcache): the host's answer (the guest runs on the host CPU it reports). The
// third argument has been unused since Linux 2.6.24.
DOPPEL_SYSCALL(SysGetcpu) {
  unsigned cpu = 0, node = 0;
  if (syscall(SYS_getcpu, &cpu, &node, nullptr) != 0) return -errno;
  if (a[0] && !p.Put(a[0], cpu)) return -EFAULT;
  if (a[1] && !p.Put(a[1], node)) return -EFAULT;
  return 0;
}

DOPPEL_SYSCALL(SysNanosleep) {
  timespec req, rem{};
  if (!p.Get(a[0], &req)) return -EFAULT;
  int e;
  {
    BlockingSection unlocked(p);
    e = nanosleep(&req, &rem) == 0 ? 0 : errno;
  }
  if (e == 0) return 0;
  if (e == EINTR && a[1] && !p.Put(a[1], rem)) return -EFAULT;
  return -e;
}

DOPPEL_SYSCALL(SysClockNanosleep) {
  timespec req, rem{};
  if (!p.Get(a[2], &req)) return -EFAULT;
  int e;
  {
    BlockingSection unlocked(p);
    e = syscall(SYS_clock_nanosleep, static_cast<clockid_t>(a[0]), static_cast<int>(a[1]), &req,
                &rem) == 0
            ? 0
            : errno;
  }
  if (e == 0) return 0;
  if (e == EINTR && a[3] && !(a[1] & TIMER_ABSTIME) && !p.Put(a[3], rem)) return -EFAULT;
  return -e;
}

namespace {

// FUTEX_WAKE_OP's operation on the second word (encoded as the kernel's FUTEX_OP macro);
// -ENOSYS for an unknown operation or comparison, else whether the old value compared true.
int64_t FutexWakeOp(Process& p, uint64_t addr2, uint32_t encoded) {
  const uint32_t op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
  int32_t oparg = static_cast<int32_t>(encoded << 8) >> 20;  // bits 12..23, sign-extended
  const int32_t cmparg = static_cast<int32_t>(encoded << 20) >> 20;
  if (encoded & (static_cast<uint32_t>(FUTEX_OP_OPARG_SHIFT) << 28)) {
    oparg = static_cast<int32_t>(1u << (oparg & 31));  // the kernel masks an out-of-range shift
  }
  if (op > FUTEX_OP_XOR || cmp > FUTEX_OP_CMP_GE) return -ENOSYS;
  int32_t old;
  if (!p.Get(addr2, &old) || !p.memory().Check(addr2, 4, kProtWrite)) return -EFAULT;
  const uint32_t o = static_cast<uint32_t>(old), arg = static_cast<uint32_t>(oparg);
  const uint32_t next = op == FUTEX_OP_SET    ? arg
                        : op == FUTEX_OP_ADD  ? o + arg
                        : op == FUTEX_OP_OR   ? o | arg
                        : op == FUTEX_OP_ANDN ? o & ~arg
                                              : o ^ arg;
  p.Put(addr2, next);
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: return old == cmparg;
    case FUTEX_OP_CMP_NE: return old != cmparg;
    case FUTEX_OP_CMP_LT: return old < cmparg;
    case FUTEX_OP_CMP_LE: return old <= cmparg;
    case FUTEX_OP_CMP_GT: return old > cmparg;
    default: return old >= cmparg;
  }
}

// The kernel's futex_wake stops after the first waiter when asked for none.
int64_t WakeCount(uint64_t v) { return std::max<int64_t>(static_cast<int32_t>(v), 1); }

}  // namespace

// Private and shared futexes are the same here: one process, one address space (a word in a
// MAP_SHARED mapping is not shared with other processes).
DOPPEL_SYSCALL(SysFutex) { return Futex(p, a, FutexTimeoutLayout::k64); }

int64_t Futex(Process& p, const uint64_t* a, FutexTimeoutLayout layout) {
  const uint64_t addr = a[0];
  const int op = static_cast<int>(a[1]);
  const int cmd = op & FUTEX_CMD_MASK;
  const bool realtime = op & FUTEX_CLOCK_REALTIME;
  if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET) return -ENOSYS;
  if (addr & 3) return -EINVAL;
  // The kernel's get_futex_key: a private futex is only range-checked, a shared one must be
  // mapped (the wait ops read the word anyway).
  if (addr > p.memory().task_size() - 4) return -EFAULT;
  if (!(op & FUTEX_PRIVATE_FLAG) && !p.memory().IsMapped(addr, 4)) return -EFAULT;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      const uint32_t bitset =
          cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : static_cast<uint32_t>(a[5]);
      if (bitset == 0) return -EINVAL;
      timespec deadline;
      clockid_t clock = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
      if (a[3]) {
        if (layout == FutexTimeoutLayout::k32) {
          int32_t t32[2];
          if (!p.Get(a[3], &t32)) return -EFAULT;
          deadline = timespec{t32[0], t32[1]};
        } else if (!p.Get(a[3], &deadline)) {
          return -EFAULT;
        }
        if (deadline.tv_sec < 0 || deadline.tv_nsec < 0 || deadline.tv_nsec >= 1000000000)
          return -EINVAL;
        if (cmd == FUTEX_WAIT) {
          // Relative, measured on the monotonic clock.
          timespec now;
          clock_gettime(CLOCK_MONOTONIC, &now);
          clock = CLOCK_MONOTONIC;
          deadline.tv_sec += now.tv_sec;
          deadline.tv_nsec += now.tv_nsec;
          if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_nsec -= 1000000000;
            ++deadline.tv_sec;
          }
        }
      }
      uint32_t value;
      if (!p.Get(addr, &value)) return -EFAULT;
      if (value != static_cast<uint32_t>(a[2])) return -EAGAIN;
      return p.futexes.Wait(p, addr, value, bitset, a[3] ? &deadline : nullptr, clock);
    }
    case FUTEX_WAKE: return p.futexes.Wake(addr, WakeCount(a[2]));
    case FUTEX_WAKE_BITSET: {
      const uint32_t bitset = static_cast<uint32_t>(a[5]);
      if (bitset == 0) return -EINVAL;
      return p.futexes.Wake(addr, WakeCount(a[2]), bitset);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      // val2 (how many to requeue) travels in the timeout argument.
      const int32_t n_wake = static_cast<int32_t>(a[2]), n_requeue = static_cast<int32_t>(a[3]);
      const uint64_t addr2 = a[4];
      if (n_wake < 0 || n_requeue < 0 || (addr2 & 3)) return -EINVAL;
      if (cmd == FUTEX_CMP_REQUEUE) {
        uint32_t value;
        if (!p.Get(addr, &value)) return -EFAULT;
        if (value != static_cast<uint32_t>(a[5])) return -EAGAIN;
      }
      // Both return woken plus requeued, as the kernel's futex_requeue does.
      int64_t requeued = 0;
      int64_t woken = p.futexes.Requeue(addr, addr2, n_wake, n_requeue, &requeued);
      return woken + requeued;
    }
    case FUTEX_WAKE_OP: {
      const uint64_t addr2 = a[4];
      if (addr2 & 3) return -EINVAL;
      int64_t wake2 = FutexWakeOp(p, addr2, static_cast<uint32_t>(a[5]));
      if (wake2 < 0) return wake2;
      int64_t woken = p.futexes.Wake(addr, WakeCount(a[2]));
      if (wake2) woken += p.futexes.Wake(addr2, WakeCount(a[3]));
      return woken;
    }
    default: return -ENOSYS;  // PI futexes are not emulated
  }
}

}  // namespace doppel::linux_user
