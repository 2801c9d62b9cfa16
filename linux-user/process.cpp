// linux-user/process.cpp: guest memory access for system calls, brk, path translation, default
// signal actions and the initial stack (argv, envp, auxv) as execve(2) builds it.
#include "linux-user/process.h"

#include <elf.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace doppel::linux_user {

Process::Process(Machine& m, const ProcessOptions& options)
    : machine_(m), memory_(m), options_(options) {}

bool Process::CopyIn(uint64_t addr, void* dst, size_t n) const {
  if (n == 0) return true;
  return memory_.Check(addr, n, kProtRead) && machine_.ReadMemory(addr, dst, n);
}

bool Process::CopyOut(uint64_t addr, const void* src, size_t n) {
  if (n == 0) return true;
  return memory_.Check(addr, n, kProtWrite) && machine_.WriteMemory(addr, src, n);
}

int Process::ReadString(uint64_t addr, std::string* out, size_t max) const {
  out->clear();
  char buf[256];
  while (true) {
    // Never read across a page that might be unmapped: stop each chunk at a page boundary.
    size_t chunk = std::min<uint64_t>(sizeof buf, kPageSize - (addr & (kPageSize - 1)));
    if (!CopyIn(addr, buf, chunk)) return -EFAULT;
    void* nul = memchr(buf, 0, chunk);
    size_t n = nul ? static_cast<size_t>(static_cast<char*>(nul) - buf) : chunk;
    out->append(buf, n);
    if (out->size() > max) return -ENAMETOOLONG;
    if (nul) return 0;
    addr += chunk;
  }
}

uint64_t Process::Brk(uint64_t want) {
  if (want < brk_start_ || want >= memory_.mmap_base()) return brk_cur_;
  uint64_t old_end = PageUp(brk_cur_), new_end = PageUp(want);
  if (new_end > old_end) {
    if (!memory_.IsFree(old_end, new_end - old_end)) return brk_cur_;
    if (memory_.MapFixed(old_end, new_end - old_end, kProtRead | kProtWrite, "[heap]") != 0)
      return brk_cur_;
  } else if (new_end < old_end) {
    memory_.Unmap(new_end, old_end - new_end);
  }
  brk_cur_ = want;
  return brk_cur_;
}

std::string Process::HostPath(const std::string& path) const {
  if (path == "/proc/self/exe" || path == "/proc/" + std::to_string(getpid()) + "/exe")
    return exe_path;
  if (!path.empty() && path[0] == '/' && options_.prefix != "/" && !options_.prefix.empty()) {
    std::string candidate = options_.prefix + path;
    if (access(candidate.c_str(), F_OK) == 0) return candidate;
  }
  return path;
}

bool Process::DieBySignal(int sig) {
  switch (sig) {
    case SIGCHLD:
    case SIGCONT:
    case SIGURG:
    case SIGWINCH: return false;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      // Job control stops doppel itself, which is what a shell expects of the guest.
      kill(getpid(), sig);
      return false;
    default: kill_signal = sig; return true;
  }
}

bool BuildInitialStack(Process& p, const std::vector<std::string>& argv,
                       const std::vector<std::string>& envp, const StartInfo& info, bool exec_stack,
                       uint64_t* rsp, std::string* error) {
  const uint64_t stack_top = p.memory().stack_top();
  const uint64_t stack_lo = stack_top - kStackSize;
  const size_t word = p.is32 ? 4 : 8;
  int prot = kProtRead | kProtWrite | (exec_stack ? kProtExec : 0);
  if (p.memory().MapFixed(stack_lo, kStackSize, prot, "[stack]") != 0) {
    *error = "cannot map the stack";
    return false;
  }
  size_t strings = info.execfn.size() + 1 + 16 + 7;
  for (const auto& s : argv) strings += s.size() + 1;
  for (const auto& s : envp) strings += s.size() + 1;
  size_t words = 1 + argv.size() + 1 + envp.size() + 1 + 2 * 20;
  // The kernel allows a quarter of the stack limit for arguments and environment (E2BIG).
  if (strings + word * words > kStackSize / 4) {
    *error = "argument list too long";
    return false;
  }
  Machine& m = p.machine();
  uint64_t sp = stack_top - word;  // a zero end marker at the very top, as Linux leaves
  auto push_bytes = [&](const void* data, size_t n) {
    sp -= n;
    m.WriteMemory(sp, data, n);
    return sp;
  };
  uint64_t execfn = push_bytes(info.execfn.c_str(), info.execfn.size() + 1);
  // argv strings lowest, then envp strings, ascending: lay them out as one block.
  size_t block = 0;
  for (const auto& s : argv) block += s.size() + 1;
  for (const auto& s : envp) block += s.size() + 1;
  sp -= block;
  uint64_t cursor = sp;
  std::vector<uint64_t> argv_ptrs, envp_ptrs;
  for (const auto& s : argv) {
    m.WriteMemory(cursor, s.c_str(), s.size() + 1);
    argv_ptrs.push_back(cursor);
    cursor += s.size() + 1;
  }
  for (const auto& s : envp) {
    m.WriteMemory(cursor, s.c_str(), s.size() + 1);
    envp_ptrs.push_back(cursor);
    cursor += s.size() + 1;
  }
  const char* platform_name = p.is32 ? "i686" : "x86_64";
  uint64_t platform = push_bytes(platform_name, strlen(platform_name) + 1);
  uint8_t random[16];
  if (getrandom(random, sizeof random, 0) != sizeof random) {
    for (auto& b : random) b = static_cast<uint8_t>(rand());
  }
  sp &= ~15ull;
  uint64_t random_addr = push_bytes(random, sizeof random);

  std::vector<uint64_t> auxv = {
      AT_HWCAP,   info.hwcap,       AT_PAGESZ,
      kPageSize,  AT_CLKTCK,        static_cast<uint64_t>(sysconf(_SC_CLK_TCK)),
      AT_PHDR,    info.phdr,        AT_PHENT,
      info.phent, AT_PHNUM,         info.phnum,
      AT_BASE,    info.interp_base, AT_FLAGS,
      0,          AT_ENTRY,         info.entry,
      AT_UID,     getuid(),         AT_EUID,
      geteuid(),  AT_GID,           getgid(),
      AT_EGID,    getegid(),        AT_SECURE,
      0,          AT_RANDOM,        random_addr,
      AT_EXECFN,  execfn,           AT_PLATFORM,
      platform,
  };
  if (info.vdso) auxv.insert(auxv.end(), {AT_SYSINFO_EHDR, info.vdso});
  if (info.sysinfo) auxv.insert(auxv.end(), {AT_SYSINFO, info.sysinfo});
  auxv.insert(auxv.end(), {AT_NULL, 0});
  std::vector<uint64_t> table;
  table.push_back(argv.size());
  table.insert(table.end(), argv_ptrs.begin(), argv_ptrs.end());
  table.push_back(0);
  table.insert(table.end(), envp_ptrs.begin(), envp_ptrs.end());
  table.push_back(0);
  table.insert(table.end(), auxv.begin(), auxv.end());
  // The ABI wants the stack pointer 16-byte aligned at argc.
  sp = (sp - table.size() * word) & ~15ull;
  if (p.is32) {
    std::vector<uint32_t> narrow(table.begin(), table.end());
    m.WriteMemory(sp, narrow.data(), narrow.size() * 4);
  } else {
    m.WriteMemory(sp, table.data(), table.size() * 8);
  }
  *rsp = sp;
  return true;
}

}  // namespace doppel::linux_user
