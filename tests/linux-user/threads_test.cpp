// tests/linux-user/threads_test.cpp: guest POSIX threads (tests/guest/threads.c, built here with
// gcc -m64 -pthread, static and dynamic, and gcc -m32 -static) under each engine: output and exit
// status must equal the native run byte for byte; --strace lines of several threads must stay
// whole.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/machine.h"
#include "tests/support/engines.h"
#include "tests/support/shell.h"

namespace doppel {
namespace {

using Result = test::ShellResult;
using test::Shell;

// Builds tests/guest/threads.c once per flavour (x86-64 or i386, static or dynamic); the rename
// keeps parallel tests safe.
std::string BuildThreads(bool dynamic, bool i386 = false) {
  std::string src = test::GuestSourceDir() + "/threads.c";
  std::string out = test::LinuxUserGuestDir() + (dynamic ? "/threads_dynamic" : "/threads_static") +
                    (i386 ? "32" : "");
  if (test::MTime(out) >= test::MTime(src) && test::MTime(src) != 0) return out;
  mkdir(test::LinuxUserGuestDir().c_str(), 0755);
  std::string tmp = out + ".tmp." + std::to_string(getpid());
  std::string cmd = std::string(i386 ? "gcc -m32" : "gcc -m64") + " -O1 -Wall -pthread " +
                    (dynamic ? "" : "-static ") + "-o " + tmp + " " + src;
  Result r = Shell(cmd);
  EXPECT_EQ(r.status, 0) << cmd << "\n" << r.out;
  rename(tmp.c_str(), out.c_str());
  return out;
}

class ThreadsRun : public testing::TestWithParam<Engine> {
 protected:
  // A threading bug tends to hang: the timeout turns that into a failure (status 124).
  std::string Doppel(const std::string& options) {
    return "timeout 120 " + std::string(DOPPEL_BINARY) + " run --engine " + EngineName(GetParam()) +
           " " + options;
  }
  // Several runs: a scheduling-dependent bug should not pass by luck.
  void ExpectSameAsNative(const std::string& program, const std::string& args, int runs) {
    SCOPED_TRACE(program + " " + args);
    Result native = Shell("timeout 120 " + program + " " + args);
    for (int i = 0; i < runs; ++i) {
      Result emulated = Shell(Doppel(program + " " + args));
      EXPECT_EQ(native.status, emulated.status) << "native:\n"
                                                << native.out << "doppel:\n"
                                                << emulated.out;
      EXPECT_EQ(native.out, emulated.out);
    }
  }
};

TEST_P(ThreadsRun, StaticMutexCondvarTlsBarrierFutexSignalsExitGroup) {
  std::string program = BuildThreads(false);
  Result native = Shell("timeout 120 " + program);
  // The native run itself is the reference; make sure it exercised everything.
  EXPECT_EQ(native.status, 3);
  EXPECT_NE(native.out.find("exiting with threads blocked"), std::string::npos) << native.out;
  EXPECT_EQ(native.out.find("FAILED"), std::string::npos) << native.out;
  ExpectSameAsNative(program, "", 2);
}

TEST_P(ThreadsRun, Dynamic) { ExpectSameAsNative(BuildThreads(true), "", 2); }

// i386: clone with a user_desc TLS, futex_time64, per-thread GDT TLS entries, ia32 signal frames.
TEST_P(ThreadsRun, I386Static) { ExpectSameAsNative(BuildThreads(false, true), "", 1); }

TEST_P(ThreadsRun, MainThreadExitsFirst) {
  ExpectSameAsNative(BuildThreads(false), "main-exit", 2);
}

TEST_P(ThreadsRun, StraceLinesOfThreadsStayWhole) {
  std::string program = BuildThreads(false);
  std::string log = test::LinuxUserGuestDir() + "/threads-strace-" + EngineName(GetParam()) + "-" +
                    std::to_string(getpid()) + ".log";
  // The group keeps the shell helper's own 2>&1 from taking the trace.
  Result r = Shell("{ " + Doppel("--strace " + program) + " 2>" + log + " >/dev/null; }");
  EXPECT_EQ(r.status, 3);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  unlink(log.c_str());
  // Every line is one whole event: a call with its result, a signal, or the exit.
  const std::regex call(R"((\[pid \d+\] )?[a-z_0-9]+\(.*\) = (\?|-?\d+.*|0x[0-9a-f]+))");
  const std::regex event(R"((\[pid \d+\] )?--- SIG\w+ \{.*\} ---|\+\+\+ exited with 3 \+\+\+)");
  std::string line;
  int lines = 0, clones = 0;
  std::vector<std::string> bad;
  while (std::getline(text, line)) {
    ++lines;
    if (line.find("clone3(") != std::string::npos) ++clones;
    if (!std::regex_match(line, call) && !std::regex_match(line, event)) bad.push_back(line);
  }
  EXPECT_TRUE(bad.empty()) << bad.size() << " malformed lines, first: " << bad.front();
  EXPECT_GT(clones, 20);
  EXPECT_GT(lines, 100);
}

std::vector<Engine> RunEngines() {
  std::vector<Engine> engines;
  for (Engine e : test::AllEngines()) {
    if (e != Engine::kCompare) engines.push_back(e);
  }
  return engines;
}

INSTANTIATE_TEST_SUITE_P(Engines, ThreadsRun, testing::ValuesIn(RunEngines()),
                         test::EngineTestName);

}  // namespace
}  // namespace doppel
