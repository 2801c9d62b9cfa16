// linux-user/syscall_table_x86_64.cpp: the x86-64 system-call numbers (arch/x86/entry/syscalls/
// syscall_64.tbl) with each handler and how --strace prints its arguments.
#include <array>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

constexpr size_t kTableSize = 512;

struct Entry {
  unsigned nr;
  SyscallDef def;
};

// Keep in number order; see SyscallDef for the argument letters.
const Entry kEntries[] = {
    {0, {"read", SysRead, "fBu"}},
    {1, {"write", SysWrite, "fbu"}},
    {2, {"open", SysOpen, "som"}},
    {3, {"close", SysClose, "f"}},
    {4, {"stat", SysStat, "sx"}},
    {5, {"fstat", SysFstat, "fx"}},
    {6, {"lstat", SysLstat, "sx"}},
    {7, {"poll", SysPoll, "xud", 'd', true}},
    {8, {"lseek", SysLseek, "fdd"}},
    {9, {"mmap", SysMmap, "xupMfu", 'x'}},
    {10, {"mprotect", SysMprotect, "xup"}},
    {11, {"munmap", SysMunmap, "xu"}},
    {12, {"brk", SysBrk, "x", 'x'}},
    {13, {"rt_sigaction", SysRtSigaction, "Sxxu"}},
    {14, {"rt_sigprocmask", SysRtSigprocmask, "dxxu"}},
    {15, {"rt_sigreturn", SysRtSigreturn, "", 'd', true}},  // returns the saved RAX
    {16, {"ioctl", SysIoctl, "fxx"}},
    {17, {"pread64", SysPread64, "fBud"}},
    {18, {"pwrite64", SysPwrite64, "fbud"}},
    {19, {"readv", SysReadv, "fxu"}},
    {20, {"writev", SysWritev, "fxu"}},
    {21, {"access", SysAccess, "sd"}},
    {22, {"pipe", SysPipe, "x"}},
    {23, {"select", SysSelect, "dxxxx", 'd', true}},
    {24, {"sched_yield", SysSchedYield, ""}},
    {25, {"mremap", SysMremap, "xuuxx", 'x'}},
    {26, {"msync", SysMsync, "xux"}},
    {28, {"madvise", SysMadvise, "xud"}},
    {32, {"dup", SysDup, "f"}},
    {33, {"dup2", SysDup2, "ff"}},
    {34, {"pause", SysPause, "", 'd', true}},
    {35, {"nanosleep", SysNanosleep, "xx", 'd', true}},
    {36, {"getitimer", SysGetitimer, "dx"}},
    {37, {"alarm", SysAlarm, "u"}},
    {38, {"setitimer", SysSetitimer, "dxx"}},
    {39, {"getpid", SysGetpid, ""}},
    {40, {"sendfile", SysSendfile, "ffxu"}},
    {56, {"clone", SysClone, "xxxxx"}},
    {57, {"fork", SysFork, ""}},
    {58, {"vfork", SysVfork, ""}},
    {59, {"execve", SysExecve, "sxx"}},
    {60, {"exit", SysExit, "d"}},
    {61, {"wait4", SysWait4, "dxdx"}},
    {62, {"kill", SysKill, "dS"}},
    {63, {"uname", SysUname, "x"}},
    {72, {"fcntl", SysFcntl, "fdx"}},
    {74, {"fsync", SysFsync, "f"}},
    {75, {"fdatasync", SysFsync, "f"}},
    {77, {"ftruncate", SysFtruncate, "fd"}},
    {79, {"getcwd", SysGetcwd, "xu"}},
    {80, {"chdir", SysChdir, "s"}},
    {81, {"fchdir", SysFchdir, "f"}},
    {82, {"rename", SysRename, "ss"}},
    {83, {"mkdir", SysMkdir, "sm"}},
    {84, {"rmdir", SysRmdir, "s"}},
    {86, {"link", SysLink, "ss"}},
    {87, {"unlink", SysUnlink, "s"}},
    {88, {"symlink", SysSymlink, "ss"}},
    {89, {"readlink", SysReadlink, "sBu"}},
    {90, {"chmod", SysChmod, "sm"}},
    {91, {"fchmod", SysFchmod, "fm"}},
    {92, {"chown", SysChown, "sdd"}},
    {93, {"fchown", SysFchown, "fdd"}},
    {94, {"lchown", SysLchown, "sdd"}},
    {95, {"umask", SysUmask, "m"}},
    {96, {"gettimeofday", SysGettimeofday, "xx"}},
    {97, {"getrlimit", SysGetrlimit, "dx"}},
    {99, {"sysinfo", SysSysinfo, "x"}},
    {102, {"getuid", SysGetuid, ""}},
    {104, {"getgid", SysGetgid, ""}},
    {107, {"geteuid", SysGeteuid, ""}},
    {108, {"getegid", SysGetegid, ""}},
    {109, {"setpgid", SysSetpgid, "dd"}},
    {110, {"getppid", SysGetppid, ""}},
    {111, {"getpgrp", SysGetpgrp, ""}},
    {112, {"setsid", SysSetsid, ""}},
    {121, {"getpgid", SysGetpgid, "d"}},
    {124, {"getsid", SysGetsid, "d"}},
    {127, {"rt_sigpending", SysRtSigpending, "xu"}},
    {130, {"rt_sigsuspend", SysRtSigsuspend, "xu", 'd', true}},
    {131, {"sigaltstack", SysSigaltstack, "xx"}},
    {157, {"prctl", SysPrctl, "dxxxx"}},
    {158, {"arch_prctl", SysArchPrctl, "xx"}},
    {160, {"setrlimit", SysSetrlimit, "dx"}},
    {186, {"gettid", SysGettid, ""}},
    {200, {"tkill", SysTkill, "dS"}},
    {201, {"time", SysTime, "x"}},
    {202, {"futex", SysFutex, "xdxxxx"}},
    {204, {"sched_getaffinity", SysSchedGetaffinity, "dux"}},
    {217, {"getdents64", SysGetdents64, "fxu"}},
    {218, {"set_tid_address", SysSetTidAddress, "x"}},
    {228, {"clock_gettime", SysClockGettime, "dx"}},
    {229, {"clock_getres", SysClockGetres, "dx"}},
    {230, {"clock_nanosleep", SysClockNanosleep, "ddxx", 'd', true}},
    {231, {"exit_group", SysExitGroup, "d"}},
    {234, {"tgkill", SysTgkill, "ddS"}},
    {247, {"waitid", SysWaitid, "ddxdx"}},
    {257, {"openat", SysOpenat, "fsom"}},
    {258, {"mkdirat", SysMkdirat, "fsm"}},
    {260, {"fchownat", SysFchownat, "fsddd"}},
    {262, {"newfstatat", SysNewfstatat, "fsxd"}},
    {263, {"unlinkat", SysUnlinkat, "fsd"}},
    {264, {"renameat", SysRenameat, "fsfs"}},
    {265, {"linkat", SysLinkat, "fsfsd"}},
    {266, {"symlinkat", SysSymlinkat, "sfs"}},
    {267, {"readlinkat", SysReadlinkat, "fsBu"}},
    {268, {"fchmodat", SysFchmodat, "fsm"}},
    {269, {"faccessat", SysFaccessat, "fsd"}},
    {273, {"set_robust_list", SysSetRobustList, "xu"}},
    {280, {"utimensat", SysUtimensat, "fsxd"}},
    {292, {"dup3", SysDup3, "ffo"}},
    {293, {"pipe2", SysPipe2, "xo"}},
    {302, {"prlimit64", SysPrlimit64, "ddxx"}},
    {309, {"getcpu", SysGetcpu, "xxx"}},
    {316, {"renameat2", SysRenameat2, "fsfsx"}},
    {318, {"getrandom", SysGetrandom, "xux"}},
    {332, {"statx", SysStatx, "fsxxx"}},
    {334, {"rseq", SysRseq, "xuxx"}},
    {435, {"clone3", SysClone3, "xu"}},
    {439, {"faccessat2", SysFaccessat2, "fsdx"}},
};

const std::array<SyscallDef, kTableSize>& Table() {
  static const std::array<SyscallDef, kTableSize> table = [] {
    std::array<SyscallDef, kTableSize> t{};
    for (const Entry& e : kEntries) t[e.nr] = e.def;
    return t;
  }();
  return table;
}

}  // namespace

const SyscallDef* LookupSyscallX86_64(uint64_t nr) {
  if (nr >= kTableSize || !Table()[nr].handler) return nullptr;
  return &Table()[nr];
}

}  // namespace doppel::linux_user
