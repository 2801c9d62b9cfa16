// tests/linux-user/libc_test.cpp: glibc programs (tests/guest/libc_*.c, built here with
// `gcc -m64 -static`) under doppel: output and exit status must equal the native run byte for
// byte, under each engine. Covers formatting, string functions, malloc, qsort, setjmp, caught
// faults, files, pipes, fork/wait, execve, mmap of a file and self-modifying code.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/machine.h"
#include "tests/support/engines.h"

namespace doppel {
namespace {

struct Result {
  int status = -1;  // exit status, or 128 + signal
  std::string out;  // stdout and stderr together
};

Result Shell(const std::string& cmd) {
  Result r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

std::string SourceDir() {
  std::string f = __FILE__;  // .../tests/linux-user/libc_test.cpp
  return f.substr(0, f.rfind("/tests/")) + "/tests/guest";
}

std::string GuestDir() { return std::string(DOPPEL_GUEST_DIR) + "/linux-user"; }

time_t MTime(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_mtime : 0;
}

// Builds tests/guest/NAME.c against the static glibc once; the rename keeps parallel tests safe.
std::string BuildStatic(const std::string& name) {
  std::string src = SourceDir() + "/" + name + ".c";
  std::string out = GuestDir() + "/" + name;
  if (MTime(out) >= MTime(src) && MTime(src) != 0) return out;
  mkdir(GuestDir().c_str(), 0755);
  std::string tmp = out + ".tmp." + std::to_string(getpid());
  std::string cmd = "gcc -m64 -static -O1 -Wall -o " + tmp + " " + src + " -lm";
  Result r = Shell(cmd);
  EXPECT_EQ(r.status, 0) << cmd << "\n" << r.out;
  rename(tmp.c_str(), out.c_str());
  return out;
}

class LibcRun : public testing::TestWithParam<Engine> {
 protected:
  void ExpectSameAsNative(const std::string& program, const std::string& args = "") {
    SCOPED_TRACE(program + " " + args);
    Result native = Shell(program + " " + args);
    Result emulated = Shell(std::string(DOPPEL_BINARY) + " run --engine " + EngineName(GetParam()) +
                            " " + program + " " + args);
    EXPECT_EQ(native.status, emulated.status) << "native:\n"
                                              << native.out << "doppel:\n"
                                              << emulated.out;
    EXPECT_EQ(native.out, emulated.out);
  }
};

TEST_P(LibcRun, FormattingStringsMallocQsortSetjmp) {
  ExpectSameAsNative(BuildStatic("libc_basics"));
}

TEST_P(LibcRun, FaultsFilesPipesForkExecMmap) {
  std::string dir = GuestDir() + "/libc-" + EngineName(GetParam()) + "-" + std::to_string(getpid());
  mkdir(dir.c_str(), 0755);
  ExpectSameAsNative(BuildStatic("libc_process"), dir);
  Shell("rm -rf " + dir);
}

TEST_P(LibcRun, SelfModifyingCode) { ExpectSameAsNative(BuildStatic("libc_smc")); }

std::vector<Engine> RunEngines() {
  std::vector<Engine> engines;
  for (Engine e : test::AllEngines()) {
    if (e != Engine::kCompare) engines.push_back(e);
  }
  return engines;
}

INSTANTIATE_TEST_SUITE_P(Engines, LibcRun, testing::ValuesIn(RunEngines()), test::EngineTestName);

}  // namespace
}  // namespace doppel
