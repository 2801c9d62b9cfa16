// linux-user/syscalls_time.cpp: clocks, sleeping and futex for a single-threaded guest (a wait
// on an unchanged value can only end by timeout).
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
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

DOPPEL_SYSCALL(SysNanosleep) {
  timespec req, rem{};
  if (!p.Get(a[0], &req)) return -EFAULT;
  if (nanosleep(&req, &rem) == 0) return 0;
  int e = errno;
  if (e == EINTR && a[1] && !p.Put(a[1], rem)) return -EFAULT;
  return -e;
}

DOPPEL_SYSCALL(SysClockNanosleep) {
  timespec req, rem{};
  if (!p.Get(a[2], &req)) return -EFAULT;
  long r = syscall(SYS_clock_nanosleep, static_cast<clockid_t>(a[0]), static_cast<int>(a[1]), &req,
                   &rem);
  if (r == 0) return 0;
  int e = errno;
  if (e == EINTR && a[3] && !(a[1] & TIMER_ABSTIME) && !p.Put(a[3], rem)) return -EFAULT;
  return -e;
}

DOPPEL_SYSCALL(SysFutex) {
  int op = static_cast<int>(a[1]);
  int cmd = op & FUTEX_CMD_MASK;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      uint32_t value;
      if (!p.Get(a[0], &value)) return -EFAULT;
      if (value != static_cast<uint32_t>(a[2])) return -EAGAIN;
      // Nobody else can change the word: the wait ends only by its timeout.
      if (a[3]) {
        timespec ts;
        if (!p.Get(a[3], &ts)) return -EFAULT;
        if (cmd == FUTEX_WAIT) {
          nanosleep(&ts, nullptr);
        } else {
          clock_nanosleep(op & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC,
                          TIMER_ABSTIME, &ts, nullptr);
        }
        return -ETIMEDOUT;
      }
      fprintf(stderr,
              "doppel: futex wait without a timeout in a single-threaded guest never returns\n");
      pause();
      return -EINTR;
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP: {
      uint32_t value;
      if (!p.Get(a[0], &value)) return -EFAULT;
      return 0;  // no waiters in a single-threaded process
    }
    default: return -ENOSYS;
  }
}

}  // namespace doppel::linux_user
