// tests/linux-user/libc_test.cpp: glibc programs (tests/guest/libc_*.c, built here with
// `gcc -m64 -static`, and for i386 with -m32) under doppel: output and exit status must equal the
// native run byte for byte, under each engine. Covers formatting, string functions, malloc, qsort,
// setjmp, caught faults, files, pipes, fork/wait, execve, mmap of a file and self-modifying code.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/machine.h"
#include "tests/support/engines.h"
#include "tests/support/shell.h"

namespace doppel {
namespace {

using Result = test::ShellResult;
using test::Shell;

// Builds tests/guest/NAME.c with glibc once (flags: "-m64 -static" by default, "-m32 -static",
// "-m32" for a dynamic i386 program); the rename keeps parallel tests safe.
std::string BuildStatic(const std::string& name, const std::string& flags = "-m64 -static") {
  std::string src = test::GuestSourceDir() + "/" + name + ".c";
  std::string suffix;
  for (char c : flags) suffix += c == ' ' ? '_' : c;
  std::string out = test::LinuxUserGuestDir() + "/" + name + suffix;
  if (test::MTime(out) >= test::MTime(src) && test::MTime(src) != 0) return out;
  mkdir(test::LinuxUserGuestDir().c_str(), 0755);
  std::string tmp = out + ".tmp." + std::to_string(getpid());
  std::string cmd = "gcc " + flags + " -O1 -Wall -Wno-format -o " + tmp + " " + src + " -lm";
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
  std::string dir = test::LinuxUserGuestDir() + "/libc-" + EngineName(GetParam()) + "-" +
                    std::to_string(getpid());
  mkdir(dir.c_str(), 0755);
  ExpectSameAsNative(BuildStatic("libc_process"), dir);
  Shell("rm -rf " + dir);
}

TEST_P(LibcRun, SelfModifyingCode) { ExpectSameAsNative(BuildStatic("libc_smc")); }

// Dynamically linked: the guest's ld.so loads libc.so.6 and libm (ifuncs pick by CPUID).
TEST_P(LibcRun, DynamicFormattingStringsMallocQsortSetjmp) {
  ExpectSameAsNative(BuildStatic("libc_basics", "-m64"));
}

TEST_P(LibcRun, DynamicFaultsFilesPipesForkExecMmap) {
  std::string dir = test::LinuxUserGuestDir() + "/libcdyn-" + EngineName(GetParam()) + "-" +
                    std::to_string(getpid());
  mkdir(dir.c_str(), 0755);
  ExpectSameAsNative(BuildStatic("libc_process", "-m64"), dir);
  Shell("rm -rf " + dir);
}

// The vDSO (AT_SYSINFO_EHDR): symbols found by walking its dynamic table and called directly,
// for each ABI, static and dynamic.
TEST_P(LibcRun, VdsoFoundAndCalled) {
  for (const char* flags : {"-m64 -static", "-m64", "-m32 -static", "-m32"})
    ExpectSameAsNative(BuildStatic("vdso", flags));
}

// i386 glibc: TLS through set_thread_area and a GS load, x87 long doubles, the int 0x80 ABI.
TEST_P(LibcRun, I386StaticFormattingStringsMallocQsortSetjmp) {
  ExpectSameAsNative(BuildStatic("libc_basics", "-m32 -static"));
}

TEST_P(LibcRun, I386FaultsFilesPipesForkExecMmap) {
  std::string dir = test::LinuxUserGuestDir() + "/libc32-" + EngineName(GetParam()) + "-" +
                    std::to_string(getpid());
  mkdir(dir.c_str(), 0755);
  ExpectSameAsNative(BuildStatic("libc_process", "-m32 -static"), dir);
  Shell("rm -rf " + dir);
}

TEST_P(LibcRun, I386DynamicFormattingStringsMallocQsortSetjmp) {
  ExpectSameAsNative(BuildStatic("libc_basics", "-m32"));
}

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
