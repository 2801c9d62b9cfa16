// linux-user/strace.cpp: strace-style formatting of guest system calls: strings and buffers
// escaped and cut at 32 bytes, flag sets by name, errors as "-1 ENOENT (No such file ...)".
#include "linux-user/strace.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <cinttypes>
#include <csignal>
#include <cstring>
#include <string>

namespace doppel::linux_user {
namespace {

constexpr size_t kMaxShown = 32;

std::string Hex(uint64_t v) {
  if (v == 0) return "NULL";
  char buf[24];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string Escape(const uint8_t* data, size_t n, bool truncated) {
  std::string s = "\"";
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = data[i];
    switch (c) {
      case '\n': s += "\\n"; break;
      case '\t': s += "\\t"; break;
      case '\r': s += "\\r"; break;
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          s += static_cast<char>(c);
        } else {
          char buf[8];
          snprintf(buf, sizeof buf, "\\%o", c);
          s += buf;
        }
    }
  }
  s += "\"";
  if (truncated) s += "...";
  return s;
}

std::string Buffer(const Process& p, uint64_t addr, uint64_t len) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(len, kMaxShown));
  uint8_t buf[kMaxShown];
  if (!p.CopyIn(addr, buf, n)) return Hex(addr);
  return Escape(buf, n, len > kMaxShown);
}

std::string String(const Process& p, uint64_t addr) {
  std::string s;
  if (p.ReadString(addr, &s, 4096) != 0) return Hex(addr);
  bool cut = s.size() > kMaxShown;
  return Escape(reinterpret_cast<const uint8_t*>(s.data()), cut ? kMaxShown : s.size(), cut);
}

struct Flag {
  uint64_t bit;
  const char* name;
};

std::string Flags(uint64_t v, const Flag* flags, size_t n, std::string prefix) {
  std::string s = std::move(prefix);
  for (size_t i = 0; i < n; ++i) {
    if (!(v & flags[i].bit)) continue;
    if (!s.empty()) s += "|";
    s += flags[i].name;
    v &= ~flags[i].bit;
  }
  if (v || s.empty()) {
    if (!s.empty()) s += "|";
    s += Hex(v);
    if (v == 0) s = "0";
  }
  return s;
}

std::string OpenFlags(uint64_t v) {
  static const Flag kFlags[] = {
      {O_CREAT, "O_CREAT"},         {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
      {O_TRUNC, "O_TRUNC"},         {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
      {O_DSYNC, "O_DSYNC"},         {O_DIRECT, "O_DIRECT"},     {O_LARGEFILE, "O_LARGEFILE"},
      {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
      {O_CLOEXEC, "O_CLOEXEC"},     {O_PATH, "O_PATH"},
  };
  const char* mode = (v & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
                     : (v & O_ACCMODE) == O_RDWR ? "O_RDWR"
                                                 : "O_RDONLY";
  return Flags(v & ~uint64_t{O_ACCMODE}, kFlags, std::size(kFlags), mode);
}

std::string Prot(uint64_t v) {
  static const Flag kFlags[] = {
      {PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"}};
  if (v == 0) return "PROT_NONE";
  return Flags(v, kFlags, std::size(kFlags), "");
}

std::string MmapFlags(uint64_t v) {
  static const Flag kFlags[] = {
      {MAP_FIXED, "MAP_FIXED"},
      {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
      {MAP_32BIT, "MAP_32BIT"},
      {MAP_GROWSDOWN, "MAP_GROWSDOWN"},
      {MAP_DENYWRITE, "MAP_DENYWRITE"},
      {MAP_NORESERVE, "MAP_NORESERVE"},
      {MAP_POPULATE, "MAP_POPULATE"},
      {MAP_STACK, "MAP_STACK"},
      {MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
  };
  uint64_t type = v & MAP_SHARED_VALIDATE;
  const char* t = type == MAP_PRIVATE           ? "MAP_PRIVATE"
                  : type == MAP_SHARED          ? "MAP_SHARED"
                  : type == MAP_SHARED_VALIDATE ? "MAP_SHARED_VALIDATE"
                                                : "0";
  return Flags(v & ~uint64_t{MAP_SHARED_VALIDATE}, kFlags, std::size(kFlags), t);
}

std::string SignalName(int sig) {
  const char* abbrev = sig > 0 && sig < 32 ? sigabbrev_np(sig) : nullptr;
  if (abbrev) return std::string("SIG") + abbrev;
  if (sig >= SIGRTMIN && sig <= kMaxSignal) return "SIGRT_" + std::to_string(sig - 32);
  return std::to_string(sig);
}

std::string Arg(const Process& p, char kind, const uint64_t* a, int i, int64_t result,
                bool returned) {
  uint64_t v = a[i];
  char buf[32];
  switch (kind) {
    case 'd': snprintf(buf, sizeof buf, "%" PRId64, static_cast<int64_t>(v)); return buf;
    case 'u': snprintf(buf, sizeof buf, "%" PRIu64, v); return buf;
    case 'f':
      if (static_cast<int32_t>(v) == AT_FDCWD) return "AT_FDCWD";
      snprintf(buf, sizeof buf, "%d", static_cast<int32_t>(v));
      return buf;
    case 's': return String(p, v);
    case 'b': return Buffer(p, v, a[i + 1]);
    case 'B':
      if (!returned || result < 0) return Hex(v);
      return Buffer(p, v, static_cast<uint64_t>(result));
    case 'o': return OpenFlags(v);
    case 'm': snprintf(buf, sizeof buf, v ? "0%" PRIo64 : "0", v); return buf;
    case 'p': return Prot(v);
    case 'M': return MmapFlags(v);
    case 'S': return SignalName(static_cast<int>(v));
    default: return Hex(v);
  }
}

// strace -f's prefix, once the process has threads (lines are written whole, under the giant
// lock, so threads never interleave within one).
std::string ThreadPrefix(const Process& p) {
  return p.ever_threaded ? "[pid " + std::to_string(p.thread().tid) + "] " : "";
}

}  // namespace

void TraceSyscall(FILE* out, const Process& p, uint64_t nr, const SyscallDef* def,
                  const uint64_t* a, int64_t result, bool returned) {
  std::string line = ThreadPrefix(p);
  if (def) {
    line += std::string(def->name) + "(";
    for (int i = 0; def->args[i]; ++i) {
      if (i) line += ", ";
      line += Arg(p, def->args[i], a, i, result, returned);
    }
  } else {
    line += "syscall_" + std::to_string(nr) + "(";
    for (int i = 0; i < 6; ++i) line += (i ? ", " : "") + Hex(a[i]);
  }
  line += ") = ";
  if (!returned) {
    line += "?";
  } else if (result < 0 && result > -4096) {
    int e = static_cast<int>(-result);
    const char* name = strerrorname_np(e);
    line += "-1 " + std::string(name ? name : std::to_string(e)) + " (" + strerror(e) + ")";
  } else if (def && def->result == 'x') {
    line += Hex(static_cast<uint64_t>(result));
    if (result == 0) line.replace(line.size() - 4, 4, "0");
  } else {
    line += std::to_string(result);
  }
  fprintf(out, "%s\n", line.c_str());
}

void TraceSignal(FILE* out, const Process& p, const GuestSiginfo& info) {
  std::string name = SignalName(info.signo);
  const char* code = SiCodeName(info.signo, info.code);
  const std::string prefix = ThreadPrefix(p);
  if (info.code <= 0) {  // sent by a process: who sent it
    fprintf(out, "%s--- %s {si_signo=%s, si_code=%s, si_pid=%d, si_uid=%u} ---\n", prefix.c_str(),
            name.c_str(), name.c_str(), code, info.u.kill.pid, info.u.kill.uid);
  } else {
    fprintf(out, "%s--- %s {si_signo=%s, si_code=%s, si_addr=%s} ---\n", prefix.c_str(),
            name.c_str(), name.c_str(), code, Hex(info.u.addr).c_str());
  }
}

void TraceKilled(FILE* out, int sig) {
  fprintf(out, "+++ killed by %s +++\n", SignalName(sig).c_str());
}
void TraceExit(FILE* out, int status) { fprintf(out, "+++ exited with %d +++\n", status); }

}  // namespace doppel::linux_user
