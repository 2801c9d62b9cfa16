// linux-user/syscalls_exec.cpp: process creation and replacement: fork/vfork/clone as a host fork
// of doppel itself, wait4/waitid, execve by re-executing doppel on the new program, and the
// session and process-group calls a shell's job control uses.
#include <elf.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "linux-user/strace.h"
#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

constexpr uint64_t kCsignal = 0xff;
constexpr size_t kMaxExecStrings = 1u << 16;  // sanity bound for argv/envp arrays

// The child of a fork: the same guest continues with the results the kernel gives a new task.
void BecomeChild(Process& p, uint64_t flags, uint64_t newsp, uint64_t child_tid, uint64_t tls) {
  ForgetOtherThreads(p);
  ResetSignalsAfterFork(p);
  CpuState& cpu = p.cpu();
  if (newsp) cpu.gpr[RSP] = newsp;
  if (flags & CLONE_SETTLS) cpu.seg_base[FS] = tls;
  if (flags & CLONE_CHILD_SETTID) p.Put<int32_t>(child_tid, gettid());
  if (flags & CLONE_CHILD_CLEARTID) p.thread().clear_child_tid = child_tid;
}

int64_t DoFork(Process& p, uint64_t flags, uint64_t newsp, uint64_t parent_tid, uint64_t child_tid,
               uint64_t tls) {
  // The kernel's rules: a thread shares the handlers, which need a shared address space.
  if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND)) return -EINVAL;
  if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM)) return -EINVAL;
  if (flags & CLONE_THREAD) return CreateThread(p, flags, newsp, parent_tid, child_tid, tls);
  // A process sharing this address space (without being a thread) is not emulated. CLONE_VM
  // with CLONE_VFORK (posix_spawn) is a fork whose child only execs or exits, so a copy is as
  // good.
  if (flags & CLONE_SIGHAND) return -ENOSYS;
  if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) return -ENOSYS;
  fflush(nullptr);
  int exit_signal = static_cast<int>(flags & kCsignal);
  pid_t pid = exit_signal == SIGCHLD
                  ? fork()
                  : static_cast<pid_t>(syscall(SYS_clone, exit_signal, 0, 0, 0, 0));
  if (pid < 0) return -errno;
  if (pid == 0) {
    BecomeChild(p, flags, newsp, child_tid, tls);
    if (flags & CLONE_PARENT_SETTID) p.Put<int32_t>(parent_tid, gettid());
    return 0;
  }
  if (flags & CLONE_PARENT_SETTID) p.Put<int32_t>(parent_tid, pid);
  // vfork suspends the parent until the child execs or exits; a copied child cannot disturb the
  // parent, so running both at once is only a scheduling difference.
  return pid;
}

// A NULL-terminated array of guest string pointers (4-byte pointers for an i386 guest).
int64_t ReadStringArray(Process& p, uint64_t addr, std::vector<std::string>* out) {
  out->clear();
  if (addr == 0) return 0;  // Linux accepts a NULL argv or envp as empty
  const size_t word = p.is32 ? 4 : 8;
  for (size_t i = 0;; ++i) {
    if (i >= kMaxExecStrings) return -E2BIG;
    uint64_t ptr = 0;
    if (!p.CopyIn(addr + i * word, &ptr, word)) return -EFAULT;
    if (ptr == 0) return 0;
    std::string s;
    if (int e = p.ReadString(ptr, &s, 128 * 1024)) return e == -ENAMETOOLONG ? -E2BIG : e;
    out->push_back(std::move(s));
  }
}

// What the kernel's binfmt handlers would accept: an x86 ELF (0) or a "#!" script (1).
int64_t Classify(const std::string& host, std::string* head) {
  struct stat st;
  if (stat(host.c_str(), &st) != 0) return -errno;
  if (!S_ISREG(st.st_mode)) return -EACCES;
  if (access(host.c_str(), X_OK) != 0) return -errno;
  int fd = open(host.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n < 0) return -errno;
  head->assign(buf, static_cast<size_t>(n));
  if (head->size() >= 2 && (*head)[0] == '#' && (*head)[1] == '!') return 1;
  if (head->size() < sizeof(Elf32_Ehdr) || memcmp(head->data(), ELFMAG, SELFMAG) != 0)
    return -ENOEXEC;
  const unsigned char cls = static_cast<unsigned char>((*head)[EI_CLASS]);
  uint16_t machine;
  memcpy(&machine, head->data() + offsetof(Elf32_Ehdr, e_machine), sizeof machine);
  bool ok = (cls == ELFCLASS64 && machine == EM_X86_64) || (cls == ELFCLASS32 && machine == EM_386);
  return ok ? 0 : -ENOEXEC;
}

// "#!interp [arg]" as binfmt_script parses it: one optional argument, whitespace trimmed.
bool ParseShebang(const std::string& head, std::string* interp, std::string* arg) {
  size_t end = head.find('\n');
  if (end == std::string::npos) end = head.size();
  std::string line = head.substr(2, end - 2);
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  size_t j = i;
  while (j < line.size() && !is_space(line[j])) ++j;
  if (i == j) return false;
  *interp = line.substr(i, j - i);
  while (j < line.size() && is_space(line[j])) ++j;
  size_t k = line.size();
  while (k > j && (is_space(line[k - 1]) || line[k - 1] == '\r')) --k;
  *arg = line.substr(j, k - j);
  return true;
}

}  // namespace

DOPPEL_SYSCALL(SysFork) { return DoFork(p, SIGCHLD, 0, 0, 0, 0); }
DOPPEL_SYSCALL(SysVfork) { return DoFork(p, CLONE_VFORK | SIGCHLD, 0, 0, 0, 0); }
// x86-64 argument order: flags, newsp, parent_tid, child_tid, tls.
DOPPEL_SYSCALL(SysClone) { return DoFork(p, a[0], a[1], a[2], a[3], a[4]); }

// clone3(struct clone_args*, size): glibc 2.34+ tries it first for threads and posix_spawn.
DOPPEL_SYSCALL(SysClone3) {
  struct CloneArgs {  // struct clone_args up to CLONE_ARGS_SIZE_VER2
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    uint64_t set_tid, set_tid_size, cgroup;
  } args{};
  constexpr uint64_t kVer0Size = 64;
  const uint64_t size = a[1];
  if (size < kVer0Size) return -EINVAL;
  if (size > kPageSize) return -E2BIG;
  if (!p.CopyIn(a[0], &args, std::min<uint64_t>(size, sizeof args))) return -EFAULT;
  // A larger struct from a newer libc is fine if the fields doppel does not know are zero.
  for (uint64_t off = sizeof args; off < size; ++off) {
    uint8_t byte;
    if (!p.Get(a[0] + off, &byte)) return -EFAULT;
    if (byte) return -E2BIG;
  }
  if ((args.flags & kCsignal) || args.exit_signal > kCsignal) return -EINVAL;
  if (!args.stack != !args.stack_size) return -EINVAL;
  // Choosing tids needs privileges doppel does not emulate; pidfds and cgroups are not emulated.
  if (args.set_tid_size) return -EPERM;
  constexpr uint64_t kClonePidfd = 0x1000, kCloneIntoCgroup = 0x200000000ull;
  if (args.flags & (kClonePidfd | kCloneIntoCgroup)) return -EINVAL;
  const uint64_t newsp = args.stack ? args.stack + args.stack_size : 0;
  return DoFork(p, args.flags | args.exit_signal, newsp, args.parent_tid, args.child_tid, args.tls);
}

DOPPEL_SYSCALL(SysWait4) {
  int status = 0;
  rusage ru;
  pid_t r;
  {
    BlockingSection unlocked(p);
    r = wait4(static_cast<pid_t>(a[0]), &status, static_cast<int>(a[2]), a[3] ? &ru : nullptr);
  }
  if (r < 0) return -errno;
  // A child that is a doppel reports its guest's status: it exits or dies the same way.
  if (r > 0 && a[1] && !p.Put<int32_t>(a[1], status)) return -EFAULT;
  if (r > 0 && a[3] && !p.Put(a[3], ru)) return -EFAULT;
  return r;
}

// i386: waitpid, and wait4 whose struct rusage has 32-bit longs and timevals.
DOPPEL_SYSCALL(Sys32Waitpid) {
  const uint64_t args[4] = {a[0], a[1], a[2], 0};
  return SysWait4(p, args);
}

DOPPEL_SYSCALL(Sys32Wait4) {
  int status = 0;
  rusage ru;
  pid_t r;
  {
    BlockingSection unlocked(p);
    r = wait4(static_cast<pid_t>(a[0]), &status, static_cast<int>(a[2]), a[3] ? &ru : nullptr);
  }
  if (r < 0) return -errno;
  if (r > 0 && a[1] && !p.Put<int32_t>(a[1], status)) return -EFAULT;
  if (r > 0 && a[3]) {
    int32_t ru32[18];
    ru32[0] = static_cast<int32_t>(ru.ru_utime.tv_sec);
    ru32[1] = static_cast<int32_t>(ru.ru_utime.tv_usec);
    ru32[2] = static_cast<int32_t>(ru.ru_stime.tv_sec);
    ru32[3] = static_cast<int32_t>(ru.ru_stime.tv_usec);
    const long* rest = &ru.ru_maxrss;  // the 14 longs after the two timevals
    for (int i = 0; i < 14; ++i) ru32[4 + i] = static_cast<int32_t>(rest[i]);
    if (!p.Put(a[3], ru32)) return -EFAULT;
  }
  return r;
}

// i386 argument order: flags, newsp, parent_tid, tls (a user_desc), child_tid. A new TLS
// descriptor only matters to threads.
DOPPEL_SYSCALL(Sys32Clone) {
  uint64_t flags = a[0];
  if (!(flags & CLONE_THREAD)) flags &= ~static_cast<uint64_t>(CLONE_SETTLS);
  return DoFork(p, flags, a[1], a[2], a[4], a[3]);
}

DOPPEL_SYSCALL(SysWaitid) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  rusage ru;
  long r;
  {
    BlockingSection unlocked(p);
    r = syscall(SYS_waitid, static_cast<int>(a[0]), static_cast<pid_t>(a[1]),
                a[2] ? &info : nullptr, static_cast<int>(a[3]), a[4] ? &ru : nullptr);
  }
  if (r < 0) return -errno;
  if (a[2] && !p.Put(a[2], info)) return -EFAULT;
  if (a[4] && !p.Put(a[4], ru)) return -EFAULT;
  return r;
}

DOPPEL_SYSCALL(SysExecve) {
  std::string path;
  if (int e = p.ReadString(a[0], &path)) return e;
  std::vector<std::string> argv, envp;
  if (int64_t e = ReadStringArray(p, a[1], &argv)) return e;
  if (int64_t e = ReadStringArray(p, a[2], &envp)) return e;
  if (path.empty()) return -ENOENT;
  std::string host = p.HostPath(path), head;
  int64_t kind = Classify(host, &head);
  if (kind < 0) return kind;
  std::vector<std::string> guest_argv;  // argv[0] first, as the new program will see it
  if (kind == 1) {
    // A script: its interpreter runs with the script's path, as binfmt_script arranges.
    std::string interp, arg;
    if (!ParseShebang(head, &interp, &arg)) return -ENOEXEC;
    std::string interp_host = p.HostPath(interp), interp_head;
    int64_t ikind = Classify(interp_host, &interp_head);
    if (ikind < 0) return ikind == -EACCES ? -EACCES : ikind == -ENOEXEC ? -ENOEXEC : -ENOENT;
    if (ikind != 0) return -ELOOP;  // nested interpreters are not followed
    guest_argv.push_back(interp);
    if (!arg.empty()) guest_argv.push_back(arg);
    guest_argv.push_back(path);
    if (argv.size() > 1) guest_argv.insert(guest_argv.end(), argv.begin() + 1, argv.end());
    host = interp_host;
  } else {
    guest_argv = argv.empty() ? std::vector<std::string>{path} : argv;
  }
  // A name without '/' would be searched in PATH by the new doppel.
  if (host.find('/') == std::string::npos) host = "./" + host;

  std::vector<std::string> args = {"doppel"};
  args.insert(args.end(), p.options().exec_args.begin(), p.options().exec_args.end());
  if (!guest_argv[0].empty()) args.insert(args.end(), {"-0", guest_argv[0]});
  args.push_back(host);
  args.insert(args.end(), guest_argv.begin() + 1, guest_argv.end());
  std::vector<char*> host_argv, host_envp;
  for (std::string& s : args) host_argv.push_back(s.data());
  host_argv.push_back(nullptr);
  for (std::string& s : envp) host_envp.push_back(s.data());
  host_envp.push_back(nullptr);

  if (p.options().strace) {
    // A successful execve does not return to be traced: show it as strace does, before.
    const uint64_t nr = p.is32 ? 11 : 59;
    const SyscallDef* def = p.is32 ? LookupSyscallI386(nr) : LookupSyscallX86_64(nr);
    TraceSyscall(p.options().trace_out, p, nr, def, a, 0, true);
  }
  fflush(nullptr);
  p.memory().WriteBackAll();
  // doppel ignores SIGPIPE for itself; the new program must inherit the guest's disposition.
  const bool guest_ignores_pipe = p.sigactions[SIGPIPE].handler == 1;
  signal(SIGPIPE, guest_ignores_pipe ? SIG_IGN : SIG_DFL);
  execve("/proc/self/exe", host_argv.data(), host_envp.data());
  int err = errno;
  signal(SIGPIPE, SIG_IGN);
  return -err;
}

DOPPEL_SYSCALL(SysSetpgid) {
  return HostResult(setpgid(static_cast<pid_t>(a[0]), static_cast<pid_t>(a[1])));
}
DOPPEL_SYSCALL(SysGetpgid) { return HostResult(getpgid(static_cast<pid_t>(a[0]))); }
DOPPEL_SYSCALL(SysSetsid) { return HostResult(setsid()); }
DOPPEL_SYSCALL(SysGetsid) { return HostResult(getsid(static_cast<pid_t>(a[0]))); }

DOPPEL_SYSCALL(SysPrctl) {
  char name[16] = {};
  switch (a[0]) {
    case PR_SET_NAME:
      if (!p.CopyIn(a[1], name, 1)) return -EFAULT;
      for (size_t i = 0; i + 1 < sizeof name; ++i) {
        if (!p.Get(a[1] + i, &name[i])) return -EFAULT;
        if (!name[i]) break;
      }
      return HostResult(prctl(PR_SET_NAME, name));
    case PR_GET_NAME:
      if (prctl(PR_GET_NAME, name) != 0) return -errno;
      return p.CopyOut(a[1], name, sizeof name) ? 0 : -EFAULT;
    case PR_GET_DUMPABLE:
    case PR_SET_PDEATHSIG: return HostResult(prctl(static_cast<int>(a[0]), a[1], 0, 0, 0));
    default: return -EINVAL;
  }
}

}  // namespace doppel::linux_user
