// linux-user/syscalls.h: the system-call table shared by the per-area implementation files
// (files, filesystem, memory, process, signals, time) and by --strace.
#pragma once
#include <cerrno>
#include <cstdint>

#include "linux-user/process.h"

namespace doppel::linux_user {

// A handler gets the six argument registers and returns the result or -errno.
using SyscallHandler = int64_t (*)(Process& p, const uint64_t* a);

// How --strace prints each argument, one character per argument:
//   d signed decimal   u unsigned   x hex/pointer   f fd (AT_FDCWD)   s path string
//   b input buffer, its length is the next argument   B output buffer, its length is the result
//   o open flags   m octal mode   p mmap prot   M mmap flags   S signal number
// and the result: d (decimal or -1 ERRNO) or x (hex, for addresses).
struct SyscallDef {
  const char* name = nullptr;
  SyscallHandler handler = nullptr;
  const char* args = "";
  char result = 'd';
  // Interrupted by a signal with a handler, the call fails with EINTR even under SA_RESTART
  // (sleeps, waits for events or signals: the kernel's ERESTARTNOHAND/RESTARTBLOCK).
  bool no_restart = false;
};

// The x86-64 table entry for nr, or nullptr for a number doppel does not know.
const SyscallDef* LookupSyscallX86_64(uint64_t nr);

// The i386 table (int 0x80; arch/x86/entry/syscalls/syscall_32.tbl): arguments in EBX, ECX, EDX,
// ESI, EDI, EBP, zero-extended.
const SyscallDef* LookupSyscallI386(uint64_t nr);

// Host result (-1 and errno) to the guest convention (-errno).
inline int64_t HostResult(int64_t r) { return r < 0 ? -errno : r; }

#define DOPPEL_SYSCALL(name) int64_t name(Process& p, const uint64_t* a)

// files
DOPPEL_SYSCALL(SysRead);
DOPPEL_SYSCALL(SysWrite);
DOPPEL_SYSCALL(SysReadv);
DOPPEL_SYSCALL(SysWritev);
DOPPEL_SYSCALL(SysPread64);
DOPPEL_SYSCALL(SysPwrite64);
DOPPEL_SYSCALL(SysOpen);
DOPPEL_SYSCALL(SysOpenat);
DOPPEL_SYSCALL(SysClose);
DOPPEL_SYSCALL(SysLseek);
DOPPEL_SYSCALL(SysIoctl);
DOPPEL_SYSCALL(SysFcntl);
DOPPEL_SYSCALL(SysDup);
DOPPEL_SYSCALL(SysDup2);
DOPPEL_SYSCALL(SysDup3);
DOPPEL_SYSCALL(SysPipe);
DOPPEL_SYSCALL(SysPipe2);
DOPPEL_SYSCALL(SysFsync);
DOPPEL_SYSCALL(SysFtruncate);
DOPPEL_SYSCALL(SysGetdents64);
DOPPEL_SYSCALL(SysPoll);
DOPPEL_SYSCALL(SysSelect);
DOPPEL_SYSCALL(SysSendfile);

// filesystem (paths and metadata)
DOPPEL_SYSCALL(SysFstat);
DOPPEL_SYSCALL(SysStat);
DOPPEL_SYSCALL(SysLstat);
DOPPEL_SYSCALL(SysNewfstatat);
DOPPEL_SYSCALL(SysStatx);
DOPPEL_SYSCALL(SysAccess);
DOPPEL_SYSCALL(SysFaccessat);
DOPPEL_SYSCALL(SysFaccessat2);
DOPPEL_SYSCALL(SysReadlink);
DOPPEL_SYSCALL(SysReadlinkat);
DOPPEL_SYSCALL(SysGetcwd);
DOPPEL_SYSCALL(SysChdir);
DOPPEL_SYSCALL(SysFchdir);
DOPPEL_SYSCALL(SysUnlink);
DOPPEL_SYSCALL(SysUnlinkat);
DOPPEL_SYSCALL(SysMkdir);
DOPPEL_SYSCALL(SysMkdirat);
DOPPEL_SYSCALL(SysRmdir);
DOPPEL_SYSCALL(SysRename);
DOPPEL_SYSCALL(SysRenameat);
DOPPEL_SYSCALL(SysRenameat2);
DOPPEL_SYSCALL(SysUmask);
DOPPEL_SYSCALL(SysChmod);
DOPPEL_SYSCALL(SysFchmod);
DOPPEL_SYSCALL(SysFchmodat);
DOPPEL_SYSCALL(SysChown);
DOPPEL_SYSCALL(SysLchown);
DOPPEL_SYSCALL(SysFchown);
DOPPEL_SYSCALL(SysFchownat);
DOPPEL_SYSCALL(SysUtimensat);
DOPPEL_SYSCALL(SysSymlink);
DOPPEL_SYSCALL(SysSymlinkat);
DOPPEL_SYSCALL(SysLink);
DOPPEL_SYSCALL(SysLinkat);

// memory
DOPPEL_SYSCALL(SysMmap);
DOPPEL_SYSCALL(SysMunmap);
DOPPEL_SYSCALL(SysMprotect);
DOPPEL_SYSCALL(SysMremap);
DOPPEL_SYSCALL(SysBrk);
DOPPEL_SYSCALL(SysMadvise);

// process
DOPPEL_SYSCALL(SysExit);
DOPPEL_SYSCALL(SysExitGroup);
DOPPEL_SYSCALL(SysGetpid);
DOPPEL_SYSCALL(SysGetppid);
DOPPEL_SYSCALL(SysGettid);
DOPPEL_SYSCALL(SysGetuid);
DOPPEL_SYSCALL(SysGeteuid);
DOPPEL_SYSCALL(SysGetgid);
DOPPEL_SYSCALL(SysGetegid);
DOPPEL_SYSCALL(SysGetpgrp);
DOPPEL_SYSCALL(SysUname);
DOPPEL_SYSCALL(SysArchPrctl);
DOPPEL_SYSCALL(SysSetTidAddress);
DOPPEL_SYSCALL(SysSetRobustList);
DOPPEL_SYSCALL(SysRseq);
DOPPEL_SYSCALL(SysPrlimit64);
DOPPEL_SYSCALL(SysGetrlimit);
DOPPEL_SYSCALL(SysSetrlimit);
DOPPEL_SYSCALL(SysSchedGetaffinity);
DOPPEL_SYSCALL(SysSchedYield);
DOPPEL_SYSCALL(SysGetrandom);
DOPPEL_SYSCALL(SysSysinfo);

// process creation and replacement, sessions
DOPPEL_SYSCALL(SysFork);
DOPPEL_SYSCALL(SysVfork);
DOPPEL_SYSCALL(SysClone);
DOPPEL_SYSCALL(SysClone3);
DOPPEL_SYSCALL(SysWait4);
DOPPEL_SYSCALL(SysWaitid);
DOPPEL_SYSCALL(SysExecve);
DOPPEL_SYSCALL(SysSetpgid);
DOPPEL_SYSCALL(SysGetpgid);
DOPPEL_SYSCALL(SysSetsid);
DOPPEL_SYSCALL(SysGetsid);
DOPPEL_SYSCALL(SysPrctl);
DOPPEL_SYSCALL(Sys32Waitpid);
DOPPEL_SYSCALL(Sys32Wait4);
DOPPEL_SYSCALL(Sys32Clone);

// signals
DOPPEL_SYSCALL(SysRtSigaction);
DOPPEL_SYSCALL(SysRtSigprocmask);
DOPPEL_SYSCALL(SysSigaltstack);
DOPPEL_SYSCALL(SysRtSigreturn);
DOPPEL_SYSCALL(SysRtSigpending);
DOPPEL_SYSCALL(SysRtSigsuspend);
DOPPEL_SYSCALL(SysPause);
DOPPEL_SYSCALL(SysAlarm);
DOPPEL_SYSCALL(SysSetitimer);
DOPPEL_SYSCALL(SysGetitimer);
DOPPEL_SYSCALL(SysKill);
DOPPEL_SYSCALL(SysTgkill);
DOPPEL_SYSCALL(SysTkill);

// time and waiting
DOPPEL_SYSCALL(SysClockGettime);
DOPPEL_SYSCALL(SysClockGetres);
DOPPEL_SYSCALL(SysGettimeofday);
DOPPEL_SYSCALL(SysTime);
DOPPEL_SYSCALL(SysGetcpu);
DOPPEL_SYSCALL(SysNanosleep);
DOPPEL_SYSCALL(SysClockNanosleep);
DOPPEL_SYSCALL(SysFutex);
DOPPEL_SYSCALL(SysMsync);
// The futex operations with the wait timeout in either ABI's struct timespec (i386 futex has
// 32-bit fields; futex_time64 and x86-64 have 64-bit ones).
enum class FutexTimeoutLayout { k32, k64 };
int64_t Futex(Process& p, const uint64_t* a, FutexTimeoutLayout layout);

// i386 TLS: the GDT entries set_thread_area and clone hand out (12-14, as a 64-bit kernel numbers
// them for compat tasks), and struct user_desc as a descriptor.
constexpr uint32_t kTlsFirstEntry = 12;
uint64_t DescriptorFromUserDesc(const uint32_t user_desc[4]);

}  // namespace doppel::linux_user
