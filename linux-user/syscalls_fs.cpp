// linux-user/syscalls_fs.cpp: path-based system calls and file metadata: stat family, statx,
// access, readlink (with /proc/self/exe as the guest program), cwd, unlink, mkdir, rename.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

// Reads a guest path and translates it for the host; 0 or -errno.
int64_t GuestPath(Process& p, uint64_t addr, std::string* host) {
  std::string s;
  if (int e = p.ReadString(addr, &s)) return e;
  *host = p.HostPath(s);
  return 0;
}

// struct stat of an x86-64 guest is the host's own layout.
int64_t PutStat(Process& p, uint64_t addr, int r, const struct stat& st) {
  if (r < 0) return -errno;
  return p.Put(addr, st) ? 0 : -EFAULT;
}

int64_t DoFstatat(Process& p, int dirfd, uint64_t path, uint64_t buf, int flags) {
  std::string host;
  if (int64_t e = GuestPath(p, path, &host)) return e;
  struct stat st;
  int r = fstatat(dirfd, host.c_str(), &st, flags);
  return PutStat(p, buf, r, st);
}

int64_t DoReadlinkat(Process& p, int dirfd, uint64_t path, uint64_t buf, uint64_t size) {
  std::string s;
  if (int e = p.ReadString(path, &s)) return e;
  if (static_cast<int64_t>(size) <= 0) return -EINVAL;
  std::string target;
  std::string host = p.HostPath(s);
  if (host == p.exe_path && s != p.exe_path) {
    target = p.exe_path;  // /proc/self/exe names the guest program, not doppel
  } else {
    std::string tmp(4096, '\0');
    ssize_t n = readlinkat(dirfd, host.c_str(), tmp.data(), tmp.size());
    if (n < 0) return -errno;
    target.assign(tmp.data(), static_cast<size_t>(n));
  }
  size_t n = std::min<size_t>(target.size(), size);
  return p.CopyOut(buf, target.data(), n) ? static_cast<int64_t>(n) : -EFAULT;
}

}  // namespace

DOPPEL_SYSCALL(SysFstat) {
  struct stat st;
  int r = fstat(static_cast<int>(a[0]), &st);
  return PutStat(p, a[1], r, st);
}
DOPPEL_SYSCALL(SysStat) { return DoFstatat(p, AT_FDCWD, a[0], a[1], 0); }
DOPPEL_SYSCALL(SysLstat) { return DoFstatat(p, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW); }

DOPPEL_SYSCALL(SysNewfstatat) {
  int flags = static_cast<int>(a[3]);
  if (flags & AT_EMPTY_PATH) {
    // An empty path with AT_EMPTY_PATH is fstat of dirfd; the path may still be checked.
    std::string s;
    if (int e = p.ReadString(a[1], &s)) return e;
    if (s.empty()) {
      struct stat st;
      int r = fstat(static_cast<int>(a[0]), &st);
      return PutStat(p, a[2], r, st);
    }
  }
  return DoFstatat(p, static_cast<int>(a[0]), a[1], a[2], flags);
}

DOPPEL_SYSCALL(SysStatx) {
  std::string host;
  if (int64_t e = GuestPath(p, a[1], &host)) return e;
  uint8_t buf[256];  // struct statx: the same layout for every architecture
  if (!p.memory().Check(a[4], sizeof buf, kProtWrite)) return -EFAULT;
  long r = syscall(SYS_statx, static_cast<int>(a[0]), host.c_str(), static_cast<int>(a[2]),
                   static_cast<unsigned>(a[3]), buf);
  if (r < 0) return -errno;
  return p.CopyOut(a[4], buf, sizeof buf) ? 0 : -EFAULT;
}

DOPPEL_SYSCALL(SysAccess) {
  std::string host;
  if (int64_t e = GuestPath(p, a[0], &host)) return e;
  return HostResult(access(host.c_str(), static_cast<int>(a[1])));
}

DOPPEL_SYSCALL(SysFaccessat) {
  std::string host;
  if (int64_t e = GuestPath(p, a[1], &host)) return e;
  return HostResult(
      syscall(SYS_faccessat, static_cast<int>(a[0]), host.c_str(), static_cast<int>(a[2])));
}

DOPPEL_SYSCALL(SysFaccessat2) {
  std::string host;
  if (int64_t e = GuestPath(p, a[1], &host)) return e;
  return HostResult(faccessat(static_cast<int>(a[0]), host.c_str(), static_cast<int>(a[2]),
                              static_cast<int>(a[3])));
}

DOPPEL_SYSCALL(SysReadlink) { return DoReadlinkat(p, AT_FDCWD, a[0], a[1], a[2]); }
DOPPEL_SYSCALL(SysReadlinkat) { return DoReadlinkat(p, static_cast<int>(a[0]), a[1], a[2], a[3]); }

DOPPEL_SYSCALL(SysGetcwd) {
  char buf[4096];
  long r = syscall(SYS_getcwd, buf, sizeof buf);
  if (r < 0) return -errno;
  if (static_cast<uint64_t>(r) > a[1]) return -ERANGE;
  return p.CopyOut(a[0], buf, static_cast<size_t>(r)) ? r : -EFAULT;
}

DOPPEL_SYSCALL(SysChdir) {
  std::string host;
  if (int64_t e = GuestPath(p, a[0], &host)) return e;
  return HostResult(chdir(host.c_str()));
}
DOPPEL_SYSCALL(SysFchdir) { return HostResult(fchdir(static_cast<int>(a[0]))); }

DOPPEL_SYSCALL(SysUnlink) {
  std::string host;
  if (int64_t e = GuestPath(p, a[0], &host)) return e;
  return HostResult(unlink(host.c_str()));
}

DOPPEL_SYSCALL(SysUnlinkat) {
  std::string host;
  if (int64_t e = GuestPath(p, a[1], &host)) return e;
  return HostResult(unlinkat(static_cast<int>(a[0]), host.c_str(), static_cast<int>(a[2])));
}

DOPPEL_SYSCALL(SysRmdir) {
  std::string host;
  if (int64_t e = GuestPath(p, a[0], &host)) return e;
  return HostResult(rmdir(host.c_str()));
}

DOPPEL_SYSCALL(SysMkdir) {
  std::string host;
  if (int64_t e = GuestPath(p, a[0], &host)) return e;
  return HostResult(mkdir(host.c_str(), static_cast<mode_t>(a[1])));
}

DOPPEL_SYSCALL(SysMkdirat) {
  std::string host;
  if (int64_t e = GuestPath(p, a[1], &host)) return e;
  return HostResult(mkdirat(static_cast<int>(a[0]), host.c_str(), static_cast<mode_t>(a[2])));
}

DOPPEL_SYSCALL(SysRename) {
  std::string from, to;
  if (int64_t e = GuestPath(p, a[0], &from)) return e;
  if (int64_t e = GuestPath(p, a[1], &to)) return e;
  return HostResult(rename(from.c_str(), to.c_str()));
}

DOPPEL_SYSCALL(SysRenameat) {
  std::string from, to;
  if (int64_t e = GuestPath(p, a[1], &from)) return e;
  if (int64_t e = GuestPath(p, a[3], &to)) return e;
  return HostResult(
      renameat(static_cast<int>(a[0]), from.c_str(), static_cast<int>(a[2]), to.c_str()));
}

DOPPEL_SYSCALL(SysRenameat2) {
  std::string from, to;
  if (int64_t e = GuestPath(p, a[1], &from)) return e;
  if (int64_t e = GuestPath(p, a[3], &to)) return e;
  return HostResult(renameat2(static_cast<int>(a[0]), from.c_str(), static_cast<int>(a[2]),
                              to.c_str(), static_cast<unsigned>(a[4])));
}

DOPPEL_SYSCALL(SysUmask) { return umask(static_cast<mode_t>(a[0])); }

DOPPEL_SYSCALL(SysChmod) {
  std::string host;
  if (int64_t e = GuestPath(p, a[0], &host)) return e;
  return HostResult(chmod(host.c_str(), static_cast<mode_t>(a[1])));
}
DOPPEL_SYSCALL(SysFchmod) {
  return HostResult(fchmod(static_cast<int>(a[0]), static_cast<mode_t>(a[1])));
}

DOPPEL_SYSCALL(SysFchmodat) {
  std::string host;
  if (int64_t e = GuestPath(p, a[1], &host)) return e;
  return HostResult(fchmodat(static_cast<int>(a[0]), host.c_str(), static_cast<mode_t>(a[2]), 0));
}

DOPPEL_SYSCALL(SysChown) {
  std::string host;
  if (int64_t e = GuestPath(p, a[0], &host)) return e;
  return HostResult(chown(host.c_str(), static_cast<uid_t>(a[1]), static_cast<gid_t>(a[2])));
}
DOPPEL_SYSCALL(SysLchown) {
  std::string host;
  if (int64_t e = GuestPath(p, a[0], &host)) return e;
  return HostResult(lchown(host.c_str(), static_cast<uid_t>(a[1]), static_cast<gid_t>(a[2])));
}
DOPPEL_SYSCALL(SysFchown) {
  return HostResult(
      fchown(static_cast<int>(a[0]), static_cast<uid_t>(a[1]), static_cast<gid_t>(a[2])));
}
DOPPEL_SYSCALL(SysFchownat) {
  std::string host;
  if (int64_t e = GuestPath(p, a[1], &host)) return e;
  return HostResult(fchownat(static_cast<int>(a[0]), host.c_str(), static_cast<uid_t>(a[2]),
                             static_cast<gid_t>(a[3]), static_cast<int>(a[4])));
}

DOPPEL_SYSCALL(SysUtimensat) {
  // A NULL path is futimens on the descriptor itself; struct timespec[2] is the host's layout.
  std::string host;
  if (a[1]) {
    if (int64_t e = GuestPath(p, a[1], &host)) return e;
  }
  timespec times[2];
  if (a[2] && !p.Get(a[2], &times)) return -EFAULT;
  return HostResult(syscall(SYS_utimensat, static_cast<int>(a[0]), a[1] ? host.c_str() : nullptr,
                            a[2] ? times : nullptr, static_cast<int>(a[3])));
}

DOPPEL_SYSCALL(SysSymlink) {
  std::string target, host;
  if (int e = p.ReadString(a[0], &target)) return e;  // stored as given, not translated
  if (int64_t e = GuestPath(p, a[1], &host)) return e;
  return HostResult(symlink(target.c_str(), host.c_str()));
}
DOPPEL_SYSCALL(SysSymlinkat) {
  std::string target, host;
  if (int e = p.ReadString(a[0], &target)) return e;
  if (int64_t e = GuestPath(p, a[2], &host)) return e;
  return HostResult(symlinkat(target.c_str(), static_cast<int>(a[1]), host.c_str()));
}
DOPPEL_SYSCALL(SysLink) {
  std::string from, to;
  if (int64_t e = GuestPath(p, a[0], &from)) return e;
  if (int64_t e = GuestPath(p, a[1], &to)) return e;
  return HostResult(link(from.c_str(), to.c_str()));
}
DOPPEL_SYSCALL(SysLinkat) {
  std::string from, to;
  if (int64_t e = GuestPath(p, a[1], &from)) return e;
  if (int64_t e = GuestPath(p, a[3], &to)) return e;
  return HostResult(linkat(static_cast<int>(a[0]), from.c_str(), static_cast<int>(a[2]), to.c_str(),
                           static_cast<int>(a[4])));
}

}  // namespace doppel::linux_user
