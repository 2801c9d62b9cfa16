// linux-user/syscalls_i386.cpp: the i386 system-call table (syscall_32.tbl numbers) and the
// handlers whose structures differ from x86-64 (stat64, timespec, timeval, iovec, old mmap,
// _llseek, user_desc TLS, sigaction); the rest share the x86-64 handlers.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstring>
#include <ctime>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

#pragma pack(push, 4)
struct Stat64 {  // struct stat64 of i386 (packed: 96 bytes)
  uint64_t dev;
  uint8_t pad0[4];
  uint32_t ino_lo;
  uint32_t mode, nlink, uid, gid;
  uint64_t rdev;
  uint8_t pad3[4];
  int64_t size;
  uint32_t blksize;
  uint64_t blocks;
  uint32_t atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
  uint64_t ino;
};
#pragma pack(pop)
static_assert(sizeof(Stat64) == 96);

struct Timespec32 {
  int32_t sec, nsec;
};
struct Iovec32 {
  uint32_t base, len;
};
struct Sigaction32 {
  uint32_t handler, flags, restorer;
  uint64_t mask;
} __attribute__((packed));

int64_t PutStat64(Process& p, uint64_t addr, const struct stat& st) {
  Stat64 s{};
  s.dev = st.st_dev;
  s.ino_lo = static_cast<uint32_t>(st.st_ino);
  s.mode = st.st_mode, s.nlink = static_cast<uint32_t>(st.st_nlink);
  s.uid = st.st_uid, s.gid = st.st_gid;
  s.rdev = st.st_rdev;
  s.size = st.st_size;
  s.blksize = static_cast<uint32_t>(st.st_blksize);
  s.blocks = static_cast<uint64_t>(st.st_blocks);
  s.atime = static_cast<uint32_t>(st.st_atim.tv_sec), s.atime_nsec = st.st_atim.tv_nsec;
  s.mtime = static_cast<uint32_t>(st.st_mtim.tv_sec), s.mtime_nsec = st.st_mtim.tv_nsec;
  s.ctime = static_cast<uint32_t>(st.st_ctim.tv_sec), s.ctime_nsec = st.st_ctim.tv_nsec;
  s.ino = st.st_ino;
  return p.Put(addr, s) ? 0 : -EFAULT;
}

int64_t StatAt(Process& p, int dirfd, uint64_t path_addr, uint64_t out, int flags) {
  std::string path;
  if (int e = p.ReadString(path_addr, &path)) return e;
  struct stat st;
  if (fstatat(dirfd, p.HostPath(path).c_str(), &st, flags) != 0) return -errno;
  return PutStat64(p, out, st);
}

int32_t SignExtend(uint64_t v) { return static_cast<int32_t>(v); }

DOPPEL_SYSCALL(Sys32Stat64) { return StatAt(p, AT_FDCWD, a[0], a[1], 0); }
DOPPEL_SYSCALL(Sys32Lstat64) { return StatAt(p, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW); }
DOPPEL_SYSCALL(Sys32Fstatat64) {
  return StatAt(p, SignExtend(a[0]), a[1], a[2], static_cast<int>(a[3]));
}
DOPPEL_SYSCALL(Sys32Fstat64) {
  struct stat st;
  if (fstat(SignExtend(a[0]), &st) != 0) return -errno;
  return PutStat64(p, a[1], st);
}

DOPPEL_SYSCALL(Sys32Lseek) {
  off_t r = lseek(SignExtend(a[0]), SignExtend(a[1]), static_cast<int>(a[2]));
  if (r < 0) return -errno;
  return r > 0x7fffffff ? -EOVERFLOW : r;
}

// pread64/pwrite64: the 64-bit offset comes in two registers (low, high).
DOPPEL_SYSCALL(Sys32Pread64) {
  const uint64_t args[4] = {a[0], a[1], a[2], a[3] | a[4] << 32};
  return SysPread64(p, args);
}

DOPPEL_SYSCALL(Sys32Pwrite64) {
  const uint64_t args[4] = {a[0], a[1], a[2], a[3] | a[4] << 32};
  return SysPwrite64(p, args);
}

DOPPEL_SYSCALL(Sys32Llseek) {
  int64_t off = static_cast<int64_t>((a[1] << 32) | a[2]);
  off_t r = lseek(SignExtend(a[0]), off, static_cast<int>(a[4]));
  if (r < 0) return -errno;
  return p.Put<int64_t>(a[3], r) ? 0 : -EFAULT;
}

// readv/writev: each i386 iovec through the x86-64 read/write handlers, stopping when short.
int64_t Vectored(Process& p, const uint64_t* a, SyscallHandler one) {
  uint64_t count = a[2];
  if (count > 1024) return -EINVAL;
  int64_t total = 0;
  for (uint64_t i = 0; i < count; ++i) {
    Iovec32 v;
    if (!p.Get(a[1] + i * sizeof v, &v)) return total ? total : -EFAULT;
    if (v.len == 0) continue;
    const uint64_t args[6] = {a[0], v.base, v.len, 0, 0, 0};
    int64_t r = one(p, args);
    if (r < 0) return total ? total : r;
    total += r;
    if (r < v.len) break;
  }
  return total;
}
DOPPEL_SYSCALL(Sys32Readv) { return Vectored(p, a, SysRead); }
DOPPEL_SYSCALL(Sys32Writev) { return Vectored(p, a, SysWrite); }

int64_t DoMmap(Process& p, uint32_t addr, uint32_t len, uint32_t prot, uint32_t flags, int32_t fd,
               uint64_t off) {
  const uint64_t args[6] = {addr, len, prot, flags, static_cast<uint64_t>(int64_t{fd}), off};
  return SysMmap(p, args);
}
DOPPEL_SYSCALL(Sys32OldMmap) {  // one pointer to the six arguments
  uint32_t v[6];
  if (!p.Get(a[0], &v)) return -EFAULT;
  if (v[5] & (kPageSize - 1)) return -EINVAL;
  return DoMmap(p, v[0], v[1], v[2], v[3], static_cast<int32_t>(v[4]), v[5]);
}
DOPPEL_SYSCALL(Sys32Mmap2) {  // the offset in pages
  return DoMmap(p, static_cast<uint32_t>(a[0]), static_cast<uint32_t>(a[1]),
                static_cast<uint32_t>(a[2]), static_cast<uint32_t>(a[3]), SignExtend(a[4]),
                a[5] * kPageSize);
}

DOPPEL_SYSCALL(Sys32ClockGettime) {
  timespec ts;
  if (clock_gettime(static_cast<clockid_t>(SignExtend(a[0])), &ts) != 0) return -errno;
  Timespec32 t{static_cast<int32_t>(ts.tv_sec), static_cast<int32_t>(ts.tv_nsec)};
  return p.Put(a[1], t) ? 0 : -EFAULT;
}
DOPPEL_SYSCALL(Sys32Gettimeofday) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  Timespec32 t{static_cast<int32_t>(ts.tv_sec), static_cast<int32_t>(ts.tv_nsec / 1000)};
  if (a[0] && !p.Put(a[0], t)) return -EFAULT;
  return 0;
}
DOPPEL_SYSCALL(Sys32ClockGetres) {
  timespec ts;
  if (clock_getres(static_cast<clockid_t>(SignExtend(a[0])), &ts) != 0) return -errno;
  Timespec32 t{static_cast<int32_t>(ts.tv_sec), static_cast<int32_t>(ts.tv_nsec)};
  if (a[1] && !p.Put(a[1], t)) return -EFAULT;
  return 0;
}
DOPPEL_SYSCALL(Sys32Time) {
  int32_t t = static_cast<int32_t>(time(nullptr));
  if (a[0] && !p.Put(a[0], t)) return -EFAULT;
  return t;
}
DOPPEL_SYSCALL(Sys32Nanosleep) {
  Timespec32 req;
  if (!p.Get(a[0], &req)) return -EFAULT;
  timespec r{req.sec, req.nsec}, rem{};
  int e;
  {
    BlockingSection unlocked(p);
    e = nanosleep(&r, &rem) == 0 ? 0 : errno;
  }
  if (e == 0) return 0;
  Timespec32 rem32{static_cast<int32_t>(rem.tv_sec), static_cast<int32_t>(rem.tv_nsec)};
  if (e == EINTR && a[1] && !p.Put(a[1], rem32)) return -EFAULT;
  return -e;
}

// clock_nanosleep with the 32-bit struct timespec (clock_nanosleep_time64 is SysClockNanosleep).
DOPPEL_SYSCALL(Sys32ClockNanosleep) {
  Timespec32 req;
  if (!p.Get(a[2], &req)) return -EFAULT;
  timespec r{req.sec, req.nsec}, rem{};
  int e;
  {
    BlockingSection unlocked(p);
    e = syscall(SYS_clock_nanosleep, static_cast<clockid_t>(SignExtend(a[0])),
                static_cast<int>(a[1]), &r, &rem) == 0
            ? 0
            : errno;
  }
  if (e == 0) return 0;
  Timespec32 rem32{static_cast<int32_t>(rem.tv_sec), static_cast<int32_t>(rem.tv_nsec)};
  if (e == EINTR && a[3] && !(a[1] & TIMER_ABSTIME) && !p.Put(a[3], rem32)) return -EFAULT;
  return -e;
}

// set_thread_area: the three TLS descriptors of the emulated GDT (entries 12-14 as a 64-bit
// kernel numbers them for compat tasks). As on Linux only the descriptor changes; the guest then
// loads GS (or FS) with the selector, which reads it (runtime/segments.cpp).
DOPPEL_SYSCALL(Sys32SetThreadArea) {
  uint32_t d[4];
  if (!p.Get(a[0], &d)) return -EFAULT;
  uint32_t entry = d[0];
  if (entry == 0xffffffff) {
    for (uint32_t i = 0; i < 3; ++i) {
      if (p.thread().tls_entries[i][1] == 0 && p.thread().tls_entries[i][2] == 0) {
        entry = kTlsFirstEntry + i;
        break;
      }
    }
    if (entry == 0xffffffff) return -ESRCH;
    d[0] = entry;
    if (!p.Put(a[0], d)) return -EFAULT;
  }
  if (entry < kTlsFirstEntry || entry >= kTlsFirstEntry + 3) return -EINVAL;
  memcpy(p.thread().tls_entries[entry - kTlsFirstEntry], d, sizeof d);
  p.machine().SetUserDescriptor(entry, DescriptorFromUserDesc(d));
  return 0;
}

// sigreturn / rt_sigreturn: the interrupted code's registers come back, EAX included.
DOPPEL_SYSCALL(Sys32Sigreturn) {
  if (!SigreturnI386(p, false)) {
    p.DieBySignal(SIGSEGV);  // a corrupt frame: the kernel's force_sigsegv
    return 0;
  }
  return static_cast<int64_t>(p.cpu().gpr[RAX] & 0xffffffff);
}

DOPPEL_SYSCALL(Sys32RtSigreturn) {
  if (!SigreturnI386(p, true)) {
    p.DieBySignal(SIGSEGV);
    return 0;
  }
  return static_cast<int64_t>(p.cpu().gpr[RAX] & 0xffffffff);
}

DOPPEL_SYSCALL(Sys32Futex) { return Futex(p, a, FutexTimeoutLayout::k32); }

DOPPEL_SYSCALL(Sys32SetRobustList) {
  if (a[1] != 12) return -EINVAL;  // sizeof(struct robust_list_head) of i386
  p.thread().robust_list = a[0];
  return 0;
}

DOPPEL_SYSCALL(Sys32RtSigaction) {
  const int sig = static_cast<int>(a[0]);
  if (a[3] != 8 || sig < 1 || sig > kMaxSignal) return -EINVAL;
  Sigaction32 in;
  if (a[1]) {
    if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
    if (!p.Get(a[1], &in)) return -EFAULT;
  }
  const GuestSigaction& cur = p.sigactions[sig];
  Sigaction32 out{static_cast<uint32_t>(cur.handler), static_cast<uint32_t>(cur.flags),
                  static_cast<uint32_t>(cur.restorer), cur.mask};
  if (a[2] && !p.Put(a[2], out)) return -EFAULT;
  if (a[1]) {
    p.sigactions[sig] = GuestSigaction{in.handler, in.flags, in.restorer,
                                       in.mask & ~(SigBit(SIGKILL) | SigBit(SIGSTOP))};
    if (in.handler == 1) DiscardSignal(p, sig);
    SyncHostDisposition(p, sig);
  }
  return 0;
}

struct Entry {
  unsigned nr;
  SyscallDef def;
};

// Keep in number order; see SyscallDef for the argument letters.
const Entry kEntries[] = {
    {1, {"exit", SysExit, "d"}},
    {2, {"fork", SysFork, ""}},
    {3, {"read", SysRead, "fBu"}},
    {4, {"write", SysWrite, "fbu"}},
    {5, {"open", SysOpen, "som"}},
    {6, {"close", SysClose, "f"}},
    {7, {"waitpid", Sys32Waitpid, "dxd"}},
    {10, {"unlink", SysUnlink, "s"}},
    {11, {"execve", SysExecve, "sxx"}},
    {12, {"chdir", SysChdir, "s"}},
    {13, {"time", Sys32Time, "x"}},
    {15, {"chmod", SysChmod, "sm"}},
    {19, {"lseek", Sys32Lseek, "fdd"}},
    {20, {"getpid", SysGetpid, ""}},
    {33, {"access", SysAccess, "sd"}},
    {27, {"alarm", SysAlarm, "u"}},
    {29, {"pause", SysPause, "", 'd', true}},
    {37, {"kill", SysKill, "dS"}},
    {38, {"rename", SysRename, "ss"}},
    {39, {"mkdir", SysMkdir, "sm"}},
    {40, {"rmdir", SysRmdir, "s"}},
    {41, {"dup", SysDup, "f"}},
    {42, {"pipe", SysPipe, "x"}},
    {45, {"brk", SysBrk, "x", 'x'}},
    {54, {"ioctl", SysIoctl, "fxx"}},
    {55, {"fcntl", SysFcntl, "fdx"}},
    {57, {"setpgid", SysSetpgid, "dd"}},
    {60, {"umask", SysUmask, "m"}},
    {63, {"dup2", SysDup2, "ff"}},
    {64, {"getppid", SysGetppid, ""}},
    {65, {"getpgrp", SysGetpgrp, ""}},
    {66, {"setsid", SysSetsid, ""}},
    {78, {"gettimeofday", Sys32Gettimeofday, "xx"}},
    {85, {"readlink", SysReadlink, "sBu"}},
    {90, {"mmap", Sys32OldMmap, "x", 'x'}},
    {91, {"munmap", SysMunmap, "xu"}},
    {94, {"fchmod", SysFchmod, "fm"}},
    {114, {"wait4", Sys32Wait4, "dxdx"}},
    {119, {"sigreturn", Sys32Sigreturn, "", 'd', true}},  // returns the saved EAX
    {120, {"clone", Sys32Clone, "xxxxx"}},
    {122, {"uname", SysUname, "x"}},  // "x86_64": an i386 task on a 64-bit kernel
    {125, {"mprotect", SysMprotect, "xup"}},
    {132, {"getpgid", SysGetpgid, "d"}},
    {140, {"_llseek", Sys32Llseek, "fddxd"}},
    {144, {"msync", SysMsync, "xux"}},
    {145, {"readv", Sys32Readv, "fxu"}},
    {146, {"writev", Sys32Writev, "fxu"}},
    {147, {"getsid", SysGetsid, "d"}},
    {162, {"nanosleep", Sys32Nanosleep, "xx", 'd', true}},
    {163, {"mremap", SysMremap, "xuuxx", 'x'}},
    {173, {"rt_sigreturn", Sys32RtSigreturn, "", 'd', true}},
    {174, {"rt_sigaction", Sys32RtSigaction, "Sxxu"}},
    {175, {"rt_sigprocmask", SysRtSigprocmask, "dxxu"}},
    {176, {"rt_sigpending", SysRtSigpending, "xu"}},
    {179, {"rt_sigsuspend", SysRtSigsuspend, "xu", 'd', true}},
    {180, {"pread64", Sys32Pread64, "fBudd"}},
    {181, {"pwrite64", Sys32Pwrite64, "fbudd"}},
    {183, {"getcwd", SysGetcwd, "xu"}},
    {190, {"vfork", SysVfork, ""}},
    {192, {"mmap2", Sys32Mmap2, "xupMfu", 'x'}},
    {195, {"stat64", Sys32Stat64, "sx"}},
    {196, {"lstat64", Sys32Lstat64, "sx"}},
    {197, {"fstat64", Sys32Fstat64, "fx"}},
    {199, {"getuid32", SysGetuid, ""}},
    {200, {"getgid32", SysGetgid, ""}},
    {201, {"geteuid32", SysGeteuid, ""}},
    {202, {"getegid32", SysGetegid, ""}},
    {219, {"madvise", SysMadvise, "xud"}},
    {220, {"getdents64", SysGetdents64, "fxu"}},
    {221, {"fcntl64", SysFcntl, "fdx"}},
    {158, {"sched_yield", SysSchedYield, ""}},
    {224, {"gettid", SysGettid, ""}},
    {238, {"tkill", SysTkill, "dS"}},
    {240, {"futex", Sys32Futex, "xdxxxx"}},
    {243, {"set_thread_area", Sys32SetThreadArea, "x"}},
    {252, {"exit_group", SysExitGroup, "d"}},
    {258, {"set_tid_address", SysSetTidAddress, "x"}},
    {265, {"clock_gettime", Sys32ClockGettime, "dx"}},
    {266, {"clock_getres", Sys32ClockGetres, "dx"}},
    {267, {"clock_nanosleep", Sys32ClockNanosleep, "ddxx", 'd', true}},
    {270, {"tgkill", SysTgkill, "ddS"}},
    {295, {"openat", SysOpenat, "fsom"}},
    {296, {"mkdirat", SysMkdirat, "fsm"}},
    {300, {"fstatat64", Sys32Fstatat64, "fsxd"}},
    {301, {"unlinkat", SysUnlinkat, "fsd"}},
    {305, {"readlinkat", SysReadlinkat, "fsBu"}},
    {307, {"faccessat", SysFaccessat, "fsd"}},
    {311, {"set_robust_list", Sys32SetRobustList, "xu"}},
    {318, {"getcpu", SysGetcpu, "xxx"}},
    {330, {"dup3", SysDup3, "ffo"}},
    {331, {"pipe2", SysPipe2, "xo"}},
    {340, {"prlimit64", SysPrlimit64, "ddxx"}},
    {355, {"getrandom", SysGetrandom, "xux"}},
    {383, {"statx", SysStatx, "fsxxx"}},
    {386, {"rseq", SysRseq, "xuxx"}},
    {403, {"clock_gettime64", SysClockGettime, "dx"}},
    {406, {"clock_getres_time64", SysClockGetres, "dx"}},
    {407, {"clock_nanosleep_time64", SysClockNanosleep, "ddxx", 'd', true}},
    {422, {"futex_time64", SysFutex, "xdxxxx"}},
    {439, {"faccessat2", SysFaccessat2, "fsdx"}},
};

constexpr size_t kTableSize = 512;

const std::array<SyscallDef, kTableSize>& Table() {
  static const std::array<SyscallDef, kTableSize> table = [] {
    std::array<SyscallDef, kTableSize> t{};
    for (const Entry& e : kEntries) t[e.nr] = e.def;
    return t;
  }();
  return table;
}

}  // namespace

// struct user_desc -> an 8-byte descriptor, as the kernel's fill_ldt builds it; the "empty"
// user_desc clears the entry.
uint64_t DescriptorFromUserDesc(const uint32_t d[4]) {
  uint32_t base = d[1], limit = d[2], flags = d[3];
  bool seg_32bit = flags & 1, read_exec_only = flags & 8, limit_in_pages = flags & 16;
  bool not_present = flags & 32, useable = flags & 64;
  unsigned contents = (flags >> 1) & 3;
  bool empty = base == 0 && limit == 0 && contents == 0 && read_exec_only && !seg_32bit &&
               !limit_in_pages && not_present && !useable;
  if (empty) return 0;
  uint64_t type = 1 | (read_exec_only ? 0 : 2) | contents << 2;  // accessed, writable/readable
  uint64_t access = type | 1 << 4 | 3 << 5 | (not_present ? 0 : 1) << 7;  // S, DPL 3, P
  uint64_t hi_flags = (useable ? 1 : 0) | (seg_32bit ? 4 : 0) | (limit_in_pages ? 8 : 0);
  return (limit & 0xffff) | uint64_t{base & 0xffffff} << 16 | access << 40 |
         uint64_t{(limit >> 16) & 0xf} << 48 | hi_flags << 52 | uint64_t{base >> 24} << 56;
}
const SyscallDef* LookupSyscallI386(uint64_t nr) {
  if (nr >= kTableSize || !Table()[nr].handler) return nullptr;
  return &Table()[nr];
}

}  // namespace doppel::linux_user
