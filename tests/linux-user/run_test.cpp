// tests/linux-user/run_test.cpp: `doppel run` end to end: freestanding guest programs (built
// here with gcc, static and static-pie) must print the same bytes and exit with the same status
// as their native run, under each engine; bad executables get one line and 126/127.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "runtime/machine.h"
#include "tests/support/engines.h"
#include "tests/support/shell.h"

namespace doppel {
namespace {

using Result = test::ShellResult;
using test::Shell;

// Builds tests/guest/NAME.c (and nolibc.h) into the build tree once; the rename makes parallel
// test processes safe.
std::string Build(const std::string& name, bool pie) {
  std::string src = test::GuestSourceDir() + "/" + name + ".c";
  std::string out = test::LinuxUserGuestDir() + "/" + name + (pie ? "-pie" : "");
  time_t newest = std::max(test::MTime(src), test::MTime(test::GuestSourceDir() + "/nolibc.h"));
  if (test::MTime(out) >= newest && newest != 0) return out;
  mkdir(test::LinuxUserGuestDir().c_str(), 0755);
  std::string tmp = out + ".tmp." + std::to_string(getpid());
  std::string cmd = std::string("gcc ") + (pie ? "-static-pie -fpie" : "-static -fno-pie -no-pie") +
                    " -nostdlib -O1 -fno-builtin -mgeneral-regs-only -fno-stack-protector"
                    " -fno-asynchronous-unwind-tables -fcf-protection=none -Wall -Wno-main -o " +
                    tmp + " " + src;
  Result r = Shell(cmd);
  EXPECT_EQ(r.status, 0) << cmd << "\n" << r.out;
  rename(tmp.c_str(), out.c_str());
  return out;
}

// tests/guest/NAME.c as a freestanding i386 program (nolibc32.h).
std::string Build32(const std::string& name) {
  std::string src = test::GuestSourceDir() + "/" + name + ".c";
  std::string out = test::LinuxUserGuestDir() + "/" + name;
  time_t newest = std::max(test::MTime(src), test::MTime(test::GuestSourceDir() + "/nolibc32.h"));
  if (test::MTime(out) >= newest && newest != 0) return out;
  mkdir(test::LinuxUserGuestDir().c_str(), 0755);
  std::string tmp = out + ".tmp." + std::to_string(getpid());
  std::string cmd =
      "gcc -m32 -static -nostdlib -fno-pie -no-pie -mgeneral-regs-only -O1 "
      "-fno-builtin -fno-stack-protector -fno-asynchronous-unwind-tables "
      "-fcf-protection=none -Wall -Wno-main -o " +
      tmp + " " + src;
  Result r = Shell(cmd);
  EXPECT_EQ(r.status, 0) << cmd << "\n" << r.out;
  rename(tmp.c_str(), out.c_str());
  return out;
}

std::string Doppel(Engine e) {
  return std::string(DOPPEL_BINARY) + " run --engine " + EngineName(e);
}

std::string FreshDir(const std::string& tag) {
  std::string d = test::LinuxUserGuestDir() + "/work-" + tag + "-" + std::to_string(getpid());
  Shell("rm -rf " + d);
  mkdir(d.c_str(), 0755);
  return d;
}

size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class LinuxUserRun : public testing::TestWithParam<Engine> {
 protected:
  // Runs `program args` natively and under doppel and compares output and status byte for byte.
  void ExpectSameAsNative(const std::string& program, const std::string& args,
                          const std::string& env = "", const std::string& workdir = "") {
    SCOPED_TRACE(program + " " + args);
    auto fresh = [&] {
      if (!workdir.empty()) {
        Shell("rm -rf " + workdir);
        mkdir(workdir.c_str(), 0755);
      }
    };
    fresh();
    Result native = Shell(env + " " + program + " " + args);
    fresh();
    Result emulated = Shell(env + " " + Doppel(GetParam()) + " " + program + " " + args);
    EXPECT_EQ(native.status, emulated.status) << "native:\n"
                                              << native.out << "doppel:\n"
                                              << emulated.out;
    EXPECT_EQ(native.out, emulated.out);
    EXPECT_EQ(native.out.find("FAIL"), std::string::npos) << native.out;
  }
};

TEST_P(LinuxUserRun, HelloExitStatus) {
  for (bool pie : {false, true}) ExpectSameAsNative(Build("hello", pie), "");
}

TEST_P(LinuxUserRun, StartupStateArgvEnvAuxv) {
  for (bool pie : {false, true}) {
    ExpectSameAsNative(Build("startup", pie), "one 'two three' ''", "DT_X=1 DT_EMPTY=");
  }
}

TEST_P(LinuxUserRun, MemoryBrkMmapMprotectMremap) {
  for (bool pie : {false, true}) ExpectSameAsNative(Build("memory", pie), "");
}

TEST_P(LinuxUserRun, FaultsBecomeSignals) {
  std::string prog = Build("memory", false);
  for (const char* mode : {"segv", "unmapped", "ud2", "div0", "int3", "exec-nx"}) {
    ExpectSameAsNative(prog, mode);
  }
}

TEST_P(LinuxUserRun, FileSystemCalls) {
  for (bool pie : {false, true}) {
    std::string dir = FreshDir(std::string("files-") + EngineName(GetParam()));
    ExpectSameAsNative(Build("files", pie), dir, "", dir);
    Shell("rm -rf " + dir);
  }
}

// Handlers for faults and for signals sent to itself or by timers, masks, the alternate stack
// and the register state through the signal frame; then default actions one at a time.
TEST_P(LinuxUserRun, SignalHandlersAndFrames) {
  for (bool pie : {false, true}) ExpectSameAsNative(Build("signals", pie), "");
}

TEST_P(LinuxUserRun, SignalDefaultActions) {
  std::string prog = Build("signals", false);
  for (const char* mode :
       {"term", "resethand", "blocked-fault", "pending-default", "no-restorer"}) {
    ExpectSameAsNative(prog, mode);
  }
}

// i386: int 0x80 system calls, 32-bit stack and auxv, brk/mmap below 4 GiB, file I/O.
TEST_P(LinuxUserRun, I386Basics) {
  std::string dir = FreshDir(std::string("i386-") + EngineName(GetParam()));
  ExpectSameAsNative(Build32("basics32"), dir + "/file.tmp", "", dir);
  Shell("rm -rf " + dir);
}

// i386: fork, waitpid, wait4's 32-bit rusage, execve with 4-byte argv/envp pointers, pipes.
TEST_P(LinuxUserRun, I386ForkExecWait) { ExpectSameAsNative(Build32("process32"), ""); }

TEST_P(LinuxUserRun, TlsThroughArchPrctl) {
  for (bool pie : {false, true}) ExpectSameAsNative(Build("tls", pie), "");
}

// interp and jit; compare mode is a debugging aid whose divergence reports belong to the engines.
std::vector<Engine> RunEngines() {
  std::vector<Engine> engines;
  for (Engine e : test::AllEngines()) {
    if (e != Engine::kCompare) engines.push_back(e);
  }
  return engines;
}

INSTANTIATE_TEST_SUITE_P(Engines, LinuxUserRun, testing::ValuesIn(RunEngines()),
                         test::EngineTestName);

TEST(LinuxUserOptions, EnvironmentAndArgv0) {
  std::string prog = Build("startup", false);
  Result r = Shell("DT_X=1 DT_Y=2 " + std::string(DOPPEL_BINARY) +
                   " run -U DT_X -E DT_Z=3 -E DT_Y=22 -0 myname " + prog + " arg");
  EXPECT_EQ(r.status, 42) << r.out;
  EXPECT_NE(r.out.find("argv[0] = myname\nargv[1] = arg\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("env DT_X="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("env DT_Z=3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("env DT_Y=22\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("env DT_Y=2\n"), std::string::npos) << r.out;
}

TEST(LinuxUserOptions, BadEnvironmentOptionIsOneLine) {
  Result r = Shell(std::string(DOPPEL_BINARY) + " run -E NOEQUALS /bin/true");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(Lines(r.out), 1u) << r.out;
}

TEST(LinuxUserStrace, DecodesCallsAndResults) {
  Result r = Shell(std::string(DOPPEL_BINARY) + " run --strace " + Build("hello", false));
  EXPECT_EQ(r.status, 7);
  EXPECT_NE(r.out.find("write(1, \"hello from a guest\\n\", 19) = 19\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("exit_group(7) = ?\n+++ exited with 7 +++\n"), std::string::npos) << r.out;

  r = Shell(std::string(DOPPEL_BINARY) + " run --strace " + Build("tls", false) + " enosys");
  EXPECT_NE(r.out.find("arch_prctl(0x1002, "), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find(
          "syscall_335(NULL, NULL, NULL, NULL, NULL, NULL) = -1 ENOSYS (Function not implemented)"),
      std::string::npos)
      << r.out;

  r = Shell(std::string(DOPPEL_BINARY) + " run --strace " + Build("memory", false) + " segv");
  EXPECT_EQ(r.status, 128 + SIGSEGV);
  EXPECT_NE(
      r.out.find("mmap(NULL, 20480, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("+++ killed by SIGSEGV +++"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("open(\"/proc/self/exe\", O_RDONLY, 0) = "), std::string::npos) << r.out;

  r = Shell(std::string(DOPPEL_BINARY) + " run --strace " + Build("signals", false) + " term");
  EXPECT_EQ(r.status, 128 + SIGTERM);
  EXPECT_NE(r.out.find("--- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid="),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("+++ killed by SIGTERM +++"), std::string::npos) << r.out;
}

// Bad executables: one line naming the problem, 126 (cannot execute) or 127 (not found).
class LinuxUserBadInput : public testing::Test {
 protected:
  static std::string Write(const std::string& name, const std::string& bytes) {
    mkdir(test::LinuxUserGuestDir().c_str(), 0755);
    std::string path = test::LinuxUserGuestDir() + "/bad-" + name + "-" + std::to_string(getpid());
    std::ofstream(path, std::ios::binary) << bytes;
    chmod(path.c_str(), 0755);
    return path;
  }
  static std::string ElfHeader(uint8_t cls, uint16_t machine) {
    std::string h(64, '\0');
    h[0] = 0x7f, h[1] = 'E', h[2] = 'L', h[3] = 'F', h[4] = static_cast<char>(cls), h[5] = 1,
    h[6] = 1;
    h[16] = 2;  // ET_EXEC
    h[18] = static_cast<char>(machine & 0xff), h[19] = static_cast<char>(machine >> 8);
    return h;
  }
  static void Expect(const std::string& args, int status, const std::string& message) {
    Result r = Shell(std::string(DOPPEL_BINARY) + " run " + args);
    EXPECT_EQ(r.status, status) << args << "\n" << r.out;
    EXPECT_EQ(Lines(r.out), 1u) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(message), std::string::npos) << args << "\n" << r.out;
  }
  static std::string Prefix(const std::string& path, size_t n) {
    std::ifstream in(path, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return s.substr(0, n);
  }
};

TEST_F(LinuxUserBadInput, NotElf) {
  Expect(Write("text", "just some text\n"), 126, "not an ELF executable");
  Expect(Write("empty", ""), 126, "not an ELF executable");
  Expect(Write("script", "#!/bin/sh\necho hi\n"), 126, "a script");
}

TEST_F(LinuxUserBadInput, OtherMachines) {
  Expect(Write("aarch64", ElfHeader(2, 183)), 126,
         "ELF for machine AArch64, doppel runs x86-64 and i386");
  Expect(Write("riscv", ElfHeader(2, 243)), 126, "ELF for machine RISC-V");
  Expect(Write("i386", ElfHeader(1, 3)), 126, "bad program header size");
  Expect(Write("i386-64", ElfHeader(2, 3)), 126, "64-bit ELF for i386");
}

TEST_F(LinuxUserBadInput, Truncated) {
  std::string hello = Build("hello", false);
  Expect(Write("trunc-ident", Prefix(hello, 10)), 126, "truncated ELF header");
  Expect(Write("trunc-header", Prefix(hello, 40)), 126, "truncated ELF header");
  Expect(Write("trunc-phdrs", Prefix(hello, 100)), 126, "truncated program headers");
  Expect(Write("trunc-segment", Prefix(hello, 4200)), 126, "truncated segment");
}

TEST_F(LinuxUserBadInput, MissingFilesAndDirectories) {
  Expect("/nonexistent/program", 127, "'/nonexistent/program': not found");
  Expect("no-such-program-in-path-xyz", 127, "not found");
  Expect(test::LinuxUserGuestDir(), 126, "is a directory");
}

TEST_F(LinuxUserBadInput, MissingInterpreter) {
  // A dynamic program with an empty -L prefix: its ld.so cannot be found there.
  std::string empty = FreshDir("empty-prefix");
  Expect("-L " + empty + " /bin/true", 127, "/lib64/ld-linux-x86-64.so.2': not found");
}

TEST_F(LinuxUserBadInput, DynamicProgramRunsThroughItsInterpreter) {
  // A dynamically linked Debian program: doppel loads ld.so, which loads libc and runs echo.
  Result native = Shell("/bin/echo dynamic hello");
  for (const char* engine : {"interp", "jit"}) {
    if (std::string(engine) == "jit" && !JitAvailable()) continue;
    Result r =
        Shell(std::string(DOPPEL_BINARY) + " run --engine " + engine + " /bin/echo dynamic hello");
    EXPECT_EQ(r.status, native.status) << engine << ": " << r.out;
    EXPECT_EQ(r.out, native.out) << engine;
  }
}

// Random corruption of the headers never crashes doppel: it rejects the file, or the guest runs
// and ends (a guest signal is reported under --strace).
TEST_F(LinuxUserBadInput, CorruptHeadersNeverCrash) {
  std::string good = Prefix(Build("hello", false), 1u << 20);
  std::mt19937 rng(12345);
  for (int i = 0; i < 60; ++i) {
    std::string bytes = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      size_t at = rng() % 64 == 0 ? 16 + rng() % 48 : 64 + rng() % (56 * 6);
      bytes[at] = static_cast<char>(rng());
    }
    std::string path = Write("fuzz", bytes);
    Result r = Shell(std::string(DOPPEL_BINARY) +
                     " run --strace --engine interp --max-insns 100000 " + path);
    SCOPED_TRACE("iteration " + std::to_string(i));
    if (r.status >= 128) {
      EXPECT_NE(r.out.find("+++ killed by"), std::string::npos) << r.out;
    }
    if (r.status == 126 || r.status == 127) {
      EXPECT_EQ(Lines(r.out), 1u) << r.out;
    }
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace doppel
