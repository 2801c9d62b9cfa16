// linux-user/strace.h: --strace output: each guest system call with decoded arguments and its
// result, in strace's format, and the signals that end the process.
#pragma once
#include <cstdint>
#include <cstdio>

#include "linux-user/process.h"
#include "linux-user/syscalls.h"

namespace doppel::linux_user {

// def is nullptr for an unknown number. `returned` is false for calls that end the process.
void TraceSyscall(FILE* out, const Process& p, uint64_t nr, const SyscallDef* def,
                  const uint64_t* args, int64_t result, bool returned);
// "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x...} ---" as strace shows it.
// Prefixed by "[pid TID] " like the system calls once the process has threads.
void TraceSignal(FILE* out, const Process& p, const GuestSiginfo& info);
void TraceKilled(FILE* out, int sig);
void TraceExit(FILE* out, int status);

}  // namespace doppel::linux_user
