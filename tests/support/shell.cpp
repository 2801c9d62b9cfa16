// tests/support/shell.cpp: popen-based command runner and test path helpers.
#include "tests/support/shell.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>

namespace doppel::test {

ShellResult Shell(const std::string& cmd) {
  ShellResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

std::string GuestSourceDir() {
  std::string f = __FILE__;  // .../tests/support/shell.cpp
  return f.substr(0, f.rfind("/tests/")) + "/tests/guest";
}

std::string LinuxUserGuestDir() { return std::string(DOPPEL_GUEST_DIR) + "/linux-user"; }

time_t MTime(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_mtime : 0;
}

}  // namespace doppel::test
