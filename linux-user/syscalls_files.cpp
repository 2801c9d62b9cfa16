// linux-user/syscalls_files.cpp: system calls on file descriptors: read/write and their vector
// and positioned forms, open/close, ioctl, fcntl, dup, pipe, getdents64, poll and select.
// Guest fds are host fds; every buffer goes through the guest-memory checks.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <memory>
#include <vector>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

constexpr uint64_t kMaxRw = 0x7ffff000;  // the kernel's MAX_RW_COUNT
constexpr uint64_t kScratchLimit = 64ull << 20;

// A reusable host bounce buffer; contents are not initialized. One per thread: blocking calls
// fill it without the giant lock.
uint8_t* Scratch(size_t n) {
  thread_local std::unique_ptr<uint8_t[]> buf;
  thread_local size_t size = 0;
  if (n > size) {
    buf.reset(new uint8_t[n]);
    size = n;
  }
  return buf.get();
}

// How many bytes from addr (at most len) are accessible: the kernel copies up to the first
// bad page and fails with EFAULT only if there is nothing to copy.
uint64_t Extent(const Process& p, uint64_t addr, uint64_t len, int access) {
  len = std::min({len, kMaxRw, kScratchLimit});
  if (p.memory().Check(addr, len, access)) return len;
  uint64_t n = 0;
  while (n < len) {
    uint64_t chunk = std::min(len - n, kPageSize - ((addr + n) & (kPageSize - 1)));
    if (!p.memory().Check(addr + n, chunk, access)) break;
    n += chunk;
  }
  return n;
}

int64_t DoRead(Process& p, int fd, uint64_t buf, uint64_t count, const off_t* offset) {
  // Like the kernel, only the address range is checked up front; a bad page fails the copy, so
  // a read that returns nothing (EOF) into a bad buffer still succeeds.
  if (buf >= kTaskSize || std::min(count, kMaxRw) > kTaskSize - buf) return -EFAULT;
  uint64_t n = std::min({count, kMaxRw, kScratchLimit});
  uint8_t* tmp = Scratch(n);
  ssize_t r;
  {
    BlockingSection unlocked(p);
    r = offset ? pread(fd, tmp, n, *offset) : read(fd, tmp, n);
  }
  if (r < 0) return -errno;
  uint64_t ok = Extent(p, buf, static_cast<uint64_t>(r), kProtWrite);
  p.CopyOut(buf, tmp, ok);
  if (ok < static_cast<uint64_t>(r)) return ok ? static_cast<int64_t>(ok) : -EFAULT;
  return r;
}

int64_t DoWrite(Process& p, int fd, uint64_t buf, uint64_t count, const off_t* offset) {
  uint64_t n = Extent(p, buf, count, kProtRead);
  if (n == 0 && count != 0) return -EFAULT;
  uint8_t* tmp = Scratch(n);
  if (!p.CopyIn(buf, tmp, n)) return -EFAULT;
  ssize_t r;
  {
    BlockingSection unlocked(p);
    r = offset ? pwrite(fd, tmp, n, *offset) : write(fd, tmp, n);
  }
  if (r < 0 && errno == EPIPE) {
    // doppel ignores SIGPIPE itself; the guest thread gets the signal as the kernel sends it.
    SendSelf(p, SIGPIPE, kSiUser, &p.thread());
    return -EPIPE;
  }
  return r < 0 ? -errno : r;
}

struct GuestIovec {
  uint64_t base;
  uint64_t len;
};

int64_t ReadIovecs(Process& p, uint64_t addr, uint64_t count, std::vector<GuestIovec>* out) {
  if (count > 1024) return -EINVAL;  // IOV_MAX
  out->resize(count);
  if (!p.CopyIn(addr, out->data(), count * sizeof(GuestIovec))) return -EFAULT;
  uint64_t total = 0;
  for (const GuestIovec& v : *out) {
    if (v.len > kMaxRw || total + v.len > kMaxRw) return -EINVAL;
    total += v.len;
  }
  return static_cast<int64_t>(total);
}

int64_t DoReadv(Process& p, int fd, uint64_t iov, uint64_t cnt, const off_t* offset) {
  std::vector<GuestIovec> v;
  int64_t total = ReadIovecs(p, iov, cnt, &v);
  if (total < 0) return total;
  for (const GuestIovec& e : v) {
    if (!p.memory().Check(e.base, e.len, kProtWrite)) return -EFAULT;
  }
  uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(total), kScratchLimit);
  uint8_t* tmp = Scratch(n);
  ssize_t r;
  {
    BlockingSection unlocked(p);
    r = offset ? pread(fd, tmp, n, *offset) : read(fd, tmp, n);
  }
  if (r < 0) return -errno;
  uint64_t done = 0;
  for (const GuestIovec& e : v) {
    uint64_t c = std::min<uint64_t>(e.len, static_cast<uint64_t>(r) - done);
    p.CopyOut(e.base, tmp + done, c);
    done += c;
  }
  return r;
}

int64_t DoWritev(Process& p, int fd, uint64_t iov, uint64_t cnt, const off_t* offset) {
  std::vector<GuestIovec> v;
  int64_t total = ReadIovecs(p, iov, cnt, &v);
  if (total < 0) return total;
  uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(total), kScratchLimit);
  uint8_t* tmp = Scratch(n);
  uint64_t done = 0;
  for (const GuestIovec& e : v) {
    uint64_t c = std::min<uint64_t>(e.len, n - done);
    if (!p.CopyIn(e.base, tmp + done, c)) return -EFAULT;
    done += c;
  }
  ssize_t r;
  {
    BlockingSection unlocked(p);
    r = offset ? pwrite(fd, tmp, n, *offset) : write(fd, tmp, n);
  }
  if (r < 0 && errno == EPIPE) {
    SendSelf(p, SIGPIPE, kSiUser, &p.thread());
    return -EPIPE;
  }
  return r < 0 ? -errno : r;
}

int64_t DoOpenat(Process& p, int dirfd, uint64_t path, uint64_t flags, uint64_t mode) {
  std::string s;
  if (int e = p.ReadString(path, &s)) return e;
  std::string host = p.HostPath(s);
  BlockingSection unlocked(p);  // a FIFO's open waits for the other end
  return HostResult(
      openat(dirfd, host.c_str(), static_cast<int>(flags), static_cast<mode_t>(mode)));
}

// ioctl argument sizes for the terminal requests doppel passes through; 0 = integer argument.
struct IoctlInfo {
  unsigned long request;
  size_t size;
  bool in;
  bool out;
};
constexpr size_t kKernelTermiosSize = 36;  // struct termios of the kernel (not glibc's)
constexpr IoctlInfo kIoctls[] = {
    {TCGETS, kKernelTermiosSize, false, true},  {TCSETS, kKernelTermiosSize, true, false},
    {TCSETSW, kKernelTermiosSize, true, false}, {TCSETSF, kKernelTermiosSize, true, false},
    {TIOCGWINSZ, sizeof(winsize), false, true}, {TIOCSWINSZ, sizeof(winsize), true, false},
    {TIOCGPGRP, sizeof(int), false, true},      {TIOCSPGRP, sizeof(int), true, false},
    {FIONREAD, sizeof(int), false, true},       {FIONBIO, sizeof(int), true, false},
};

}  // namespace

DOPPEL_SYSCALL(SysRead) { return DoRead(p, static_cast<int>(a[0]), a[1], a[2], nullptr); }
DOPPEL_SYSCALL(SysWrite) { return DoWrite(p, static_cast<int>(a[0]), a[1], a[2], nullptr); }
DOPPEL_SYSCALL(SysReadv) { return DoReadv(p, static_cast<int>(a[0]), a[1], a[2], nullptr); }
DOPPEL_SYSCALL(SysWritev) { return DoWritev(p, static_cast<int>(a[0]), a[1], a[2], nullptr); }

DOPPEL_SYSCALL(SysPread64) {
  off_t off = static_cast<off_t>(a[3]);
  if (off < 0) return -EINVAL;
  return DoRead(p, static_cast<int>(a[0]), a[1], a[2], &off);
}

DOPPEL_SYSCALL(SysPwrite64) {
  off_t off = static_cast<off_t>(a[3]);
  if (off < 0) return -EINVAL;
  return DoWrite(p, static_cast<int>(a[0]), a[1], a[2], &off);
}

DOPPEL_SYSCALL(SysOpen) { return DoOpenat(p, AT_FDCWD, a[0], a[1], a[2]); }
DOPPEL_SYSCALL(SysOpenat) { return DoOpenat(p, static_cast<int>(a[0]), a[1], a[2], a[3]); }
DOPPEL_SYSCALL(SysClose) { return HostResult(close(static_cast<int>(a[0]))); }

DOPPEL_SYSCALL(SysLseek) {
  return HostResult(
      lseek(static_cast<int>(a[0]), static_cast<off_t>(a[1]), static_cast<int>(a[2])));
}

DOPPEL_SYSCALL(SysIoctl) {
  int fd = static_cast<int>(a[0]);
  unsigned long req = static_cast<uint32_t>(a[1]);
  if (req == FIOCLEX || req == FIONCLEX) return HostResult(ioctl(fd, req));
  for (const IoctlInfo& info : kIoctls) {
    if (info.request != req) continue;
    uint8_t buf[64] = {};
    if (info.in && !p.CopyIn(a[2], buf, info.size)) return -EFAULT;
    if (info.out && !p.memory().Check(a[2], info.size, kProtWrite)) return -EFAULT;
    int r = ioctl(fd, req, buf);
    if (r < 0) return -errno;
    if (info.out && !p.CopyOut(a[2], buf, info.size)) return -EFAULT;
    return r;
  }
  // Not translated yet: fail the way a non-terminal would rather than passing pointers blindly.
  return -ENOTTY;
}

DOPPEL_SYSCALL(SysFcntl) {
  int fd = static_cast<int>(a[0]), cmd = static_cast<int>(a[1]);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_GETFD:
    case F_SETFD:
    case F_GETFL:
    case F_SETFL:
    case F_GETOWN:
    case F_SETOWN:
    case F_GETSIG:
    case F_SETSIG:
    case F_GETLEASE:
    case F_SETLEASE:
    case F_NOTIFY:
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
    case F_ADD_SEALS:
    case F_GET_SEALS: return HostResult(fcntl(fd, cmd, static_cast<long>(a[2])));
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: {
      struct flock fl;  // the same 32-byte layout for x86-64 guests
      if (!p.CopyIn(a[2], &fl, sizeof fl)) return -EFAULT;
      int r;
      {
        BlockingSection unlocked(p);  // F_SETLKW waits for the lock
        r = fcntl(fd, cmd, &fl);
      }
      if (r < 0) return -errno;
      if ((cmd == F_GETLK || cmd == F_OFD_GETLK) && !p.CopyOut(a[2], &fl, sizeof fl))
        return -EFAULT;
      return r;
    }
    default: return -EINVAL;
  }
}

DOPPEL_SYSCALL(SysDup) { return HostResult(dup(static_cast<int>(a[0]))); }
DOPPEL_SYSCALL(SysDup2) { return HostResult(dup2(static_cast<int>(a[0]), static_cast<int>(a[1]))); }
DOPPEL_SYSCALL(SysDup3) {
  return HostResult(dup3(static_cast<int>(a[0]), static_cast<int>(a[1]), static_cast<int>(a[2])));
}

DOPPEL_SYSCALL(SysPipe2) {
  if (!p.memory().Check(a[0], 8, kProtWrite)) return -EFAULT;
  int fds[2];
  if (pipe2(fds, static_cast<int>(a[1])) != 0) return -errno;
  if (!p.CopyOut(a[0], fds, sizeof fds)) {
    close(fds[0]);
    close(fds[1]);
    return -EFAULT;
  }
  return 0;
}

DOPPEL_SYSCALL(SysPipe) {
  const uint64_t args[6] = {a[0], 0, 0, 0, 0, 0};
  return SysPipe2(p, args);
}

DOPPEL_SYSCALL(SysFsync) { return HostResult(fsync(static_cast<int>(a[0]))); }
DOPPEL_SYSCALL(SysFtruncate) {
  return HostResult(ftruncate(static_cast<int>(a[0]), static_cast<off_t>(a[1])));
}

DOPPEL_SYSCALL(SysGetdents64) {
  uint64_t n = Extent(p, a[1], a[2], kProtWrite);
  if (n == 0) return a[2] == 0 ? -EINVAL : -EFAULT;
  uint8_t* tmp = Scratch(n);
  long r = syscall(SYS_getdents64, static_cast<int>(a[0]), tmp, n);
  if (r < 0) return -errno;
  if (!p.CopyOut(a[1], tmp, static_cast<size_t>(r))) return -EFAULT;
  return r;
}

DOPPEL_SYSCALL(SysPoll) {
  uint64_t nfds = a[1];
  if (nfds > 65536) return -EINVAL;
  std::vector<pollfd> fds(nfds);
  if (!p.CopyIn(a[0], fds.data(), nfds * sizeof(pollfd))) return -EFAULT;
  int r;
  {
    BlockingSection unlocked(p);
    r = poll(fds.data(), nfds, static_cast<int>(a[2]));
  }
  if (r < 0) return -errno;
  if (!p.CopyOut(a[0], fds.data(), nfds * sizeof(pollfd))) return -EFAULT;
  return r;
}

DOPPEL_SYSCALL(SysSelect) {
  int nfds = static_cast<int>(a[0]);
  if (nfds < 0 || nfds > FD_SETSIZE) return -EINVAL;
  size_t bytes = static_cast<size_t>((nfds + 63) / 64 * 8);
  fd_set sets[3];
  fd_set* ptrs[3] = {};
  for (int i = 0; i < 3; ++i) {
    FD_ZERO(&sets[i]);
    if (a[1 + i] == 0) continue;
    if (!p.CopyIn(a[1 + i], &sets[i], bytes)) return -EFAULT;
    ptrs[i] = &sets[i];
  }
  timeval tv, *tvp = nullptr;
  if (a[4]) {
    if (!p.Get(a[4], &tv)) return -EFAULT;
    tvp = &tv;
  }
  // The raw system call updates the timeout as Linux guests expect.
  long r;
  {
    BlockingSection unlocked(p);
    r = syscall(SYS_select, nfds, ptrs[0], ptrs[1], ptrs[2], tvp);
  }
  if (r < 0) return -errno;
  for (int i = 0; i < 3; ++i) {
    if (ptrs[i] && !p.CopyOut(a[1 + i], ptrs[i], bytes)) return -EFAULT;
  }
  if (tvp && !p.Put(a[4], tv)) return -EFAULT;
  return r;
}

DOPPEL_SYSCALL(SysSendfile) {
  // Both ends are host descriptors: only the optional offset lives in guest memory.
  off_t off = 0;
  if (a[2] && !p.Get(a[2], &off)) return -EFAULT;
  ssize_t r;
  {
    BlockingSection unlocked(p);
    r = sendfile(static_cast<int>(a[0]), static_cast<int>(a[1]), a[2] ? &off : nullptr,
                 static_cast<size_t>(a[3]));
  }
  if (r < 0) return -errno;
  if (a[2] && !p.Put(a[2], off)) return -EFAULT;
  return r;
}

}  // namespace doppel::linux_user
