// linux-user/process.h: one emulated Linux process: its Machine, address space, brk, guest
// memory access with the kernel's pointer checks, signal dispositions and exit state.
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "linux-user/memory_map.h"
#include "linux-user/signals.h"
#include "linux-user/threads.h"
#include "runtime/machine.h"

namespace doppel::linux_user {

// struct kernel_sigaction of x86-64 (what rt_sigaction reads and writes).
struct GuestSigaction {
  uint64_t handler = 0;  // SIG_DFL = 0, SIG_IGN = 1
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};

struct ProcessOptions {
  std::string prefix = "/";  // -L: where the interpreter (and absolute guest paths) are looked up
  bool strace = false;
  FILE* trace_out = stderr;
  // doppel's own options (after "run") that an execve'd program is run with again.
  std::vector<std::string> exec_args;
};

class Process {
 public:
  Process(Machine& m, const ProcessOptions& options);

  Machine& machine() { return machine_; }
  CpuState& cpu() { return machine_.cpu(); }
  MemoryMap& memory() { return memory_; }
  const MemoryMap& memory() const { return memory_; }
  const ProcessOptions& options() const { return options_; }
  // An i386 (ELF32) guest: 4-byte words on its stack, int 0x80 system calls, memory below 4 GiB.
  bool is32 = false;
  uint64_t vdso_base = 0;  // the [vdso] mapping (linux-user/vdso.h), 0 if none

  // Guest memory as a system call sees it: -EFAULT-style false unless every byte is mapped
  // with the needed permission.
  bool CopyIn(uint64_t addr, void* dst, size_t n) const;
  bool CopyOut(uint64_t addr, const void* src, size_t n);
  template <class T>
  bool Get(uint64_t addr, T* v) const {
    return CopyIn(addr, v, sizeof(T));
  }
  template <class T>
  bool Put(uint64_t addr, const T& v) {
    return CopyOut(addr, &v, sizeof(T));
  }
  // A NUL-terminated guest string of at most max bytes (without the NUL): 0, -EFAULT or
  // -ENAMETOOLONG.
  int ReadString(uint64_t addr, std::string* out, size_t max = 4095) const;

  // brk(2): the current break after trying to move it to `want` (0 queries).
  uint64_t Brk(uint64_t want);
  void SetBrkStart(uint64_t start) { brk_start_ = brk_cur_ = start; }

  // The guest program's absolute path (for /proc/self/exe and AT_EXECFN).
  std::string exe_path;
  // A guest path as doppel should open it: /proc/self/exe is the guest program, and absolute
  // paths are looked up under the -L prefix first.
  std::string HostPath(const std::string& guest_path) const;

  // Shared by all threads (CLONE_SIGHAND): dispositions, and signals sent to the process.
  GuestSigaction sigactions[kMaxSignal + 1];
  uint64_t pending = 0;
  PendingSignal pending_info[kMaxSignal + 1];

  // Threads (threads.h). Everything here and in each GuestThread is guarded by `lock`.
  GiantLock lock;
  FutexTable futexes;
  std::vector<std::unique_ptr<GuestThread>> threads;  // the live ones, main thread first
  bool ever_threaded = false;  // a second thread was created: the process ends by _exit
  // The thread holding the lock, whose registers are in the machine.
  GuestThread& thread() { return *current_; }
  const GuestThread& thread() const { return *current_; }
  // Takes the giant lock for t and loads its registers (if another thread's are loaded).
  void Acquire(GuestThread& t);
  // t is gone (exit): its registers need not be saved when the next thread takes over.
  void Forget(GuestThread& t) {
    if (loaded_ == &t) loaded_ = nullptr;
  }
  // Runs a newly created thread on the calling host thread until it exits (set by the run loop).
  std::function<void(GuestThread&)> thread_main;

  // Set when the process ends: an exit status or the signal that killed it.
  std::optional<int> exit_status;
  int kill_signal = 0;
  // Ends the process with `sig`'s default action if that action terminates; returns false when
  // the default ignores the signal.
  bool DieBySignal(int sig);

 private:
  Machine& machine_;
  MemoryMap memory_;
  ProcessOptions options_;
  uint64_t brk_start_ = 0;
  uint64_t brk_cur_ = 0;
  GuestThread* current_ = nullptr;
  GuestThread* loaded_ = nullptr;
};

// Builds the initial stack as execve leaves it (argc, argv, envp, auxv, strings, AT_RANDOM bytes)
// and returns the initial RSP.
struct StartInfo {
  uint64_t phdr = 0;
  uint64_t phent = 0;
  uint64_t phnum = 0;
  uint64_t entry = 0;        // the program's entry (AT_ENTRY)
  uint64_t interp_base = 0;  // AT_BASE, 0 without an interpreter
  uint64_t hwcap = 0;
  std::string execfn;
  uint64_t vdso = 0;     // AT_SYSINFO_EHDR, 0 without a vDSO
  uint64_t sysinfo = 0;  // i386 AT_SYSINFO: __kernel_vsyscall
};
bool BuildInitialStack(Process& p, const std::vector<std::string>& argv,
                       const std::vector<std::string>& envp, const StartInfo& info, bool exec_stack,
                       uint64_t* rsp, std::string* error);

}  // namespace doppel::linux_user
