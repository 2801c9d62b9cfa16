// tests/system/boot_test.cpp: `doppel boot` runs the test kernels of tests/kernels/ under both
// engines; their serial output must equal the transcript QEMU produced and the exit status must be
// the debug-exit success status. Bad input gets a one-line error and a non-zero status.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>

#include "runtime/machine.h"
#include "tests/support/shell.h"

namespace doppel::test {
namespace {

std::string KernelSourceDir() {
  std::string f = __FILE__;  // .../tests/system/boot_test.cpp
  return f.substr(0, f.rfind("/system/")) + "/kernels";
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct BootCase {
  const char* kernel;
  const char* engine;
  const char* args = "";       // as tests/kernels/qemu-check passes them to QEMU
  int status = 33;             // debug-exit success: (0x10 << 1) | 1
  const char* file = nullptr;  // the image, when not <kernel>.elf
  // Timers follow host time; otherwise --icount makes every run repeatable (a loaded machine or a
  // sanitizer build cannot change what a timer-driven kernel sees).
  bool host_time = false;
};

class BootKernel : public testing::TestWithParam<BootCase> {};

TEST_P(BootKernel, SerialOutputMatchesQemu) {
  const BootCase& c = GetParam();
  if (std::string(c.engine) == "jit" && !JitAvailable()) GTEST_SKIP() << "no JIT in this build";
  std::string serial = testing::TempDir() + "doppel_boot_" + c.kernel + "_" + c.engine +
                       (c.host_time ? "_host" : "") + ".txt";
  std::string image = c.file ? c.file : std::string(c.kernel) + ".elf";
  std::string cmd = std::string(DOPPEL_BINARY) + " boot --engine " + c.engine +
                    " -m 64 --no-reboot" + (c.host_time ? "" : " --icount") +
                    " --serial file:" + serial + " --kernel " + DOPPEL_KERNEL_DIR + "/" + image +
                    " " + c.args + " </dev/null";
  ShellResult r = Shell("cd " + KernelSourceDir() + " && timeout 60 " + cmd);
  EXPECT_EQ(r.status, c.status) << r.out;
  EXPECT_EQ(ReadText(serial), ReadText(KernelSourceDir() + "/" + c.kernel + ".expected")) << r.out;
}

// Every kernel of tests/kernels/, with the arguments tests/kernels/qemu-check gives QEMU.
const BootCase kCases[] = {
    {"hello", "interp", "--append 'console=ttyS0 hello world' --initrd hello-module.txt"},
    {"hello", "jit", "--append 'console=ttyS0 hello world' --initrd hello-module.txt"},
    {"aout", "interp", "--append 'flat binary'", 33, "aout.bin"},
    {"aout", "jit", "--append 'flat binary'", 33, "aout.bin"},
    {"exceptions", "interp"},
    {"exceptions", "jit"},
    {"paging32", "interp"},
    {"paging32", "jit"},
    {"paging64", "interp"},
    {"paging64", "jit"},
    {"interrupts", "interp"},
    {"interrupts", "jit"},
    {"smc", "interp"},
    {"smc", "jit"},
    {"modes", "interp"},
    {"modes", "jit"},
    {"rings", "interp"},
    {"rings", "jit"},
    {"devices", "interp"},
    {"devices", "jit"},
    {"devices", "jit", "", 33, nullptr, true},
    {"hello", "interp", "--append 'console=ttyS0 hello world' --initrd hello-module.txt", 33,
     nullptr, true},
    {"reset", "interp", "", 0},
    {"reset", "jit", "", 0},
};
INSTANTIATE_TEST_SUITE_P(Kernels, BootKernel, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<BootCase>& i) {
                           return std::string(i.param.kernel) + "_" + i.param.engine +
                                  (i.param.host_time ? "_host_time" : "");
                         });

TEST(BootErrors, BadInputGetsOneLineErrors) {
  const std::string doppel = DOPPEL_BINARY;
  struct {
    std::string args, message;
  } cases[] = {
      {"boot", "boot needs --kernel FILE"},
      {"boot --kernel /nonexistent/kernel.elf", "/nonexistent/kernel.elf"},
      {"boot -m 1 --kernel x", "invalid RAM size '1'"},
      {"boot -m lots --kernel x", "invalid RAM size 'lots'"},
      {"boot --serial tty --kernel x", "--serial needs stdio or file:PATH"},
      {"boot --kernel " + KernelSourceDir() + "/hello.expected", "not a multiboot or ELF kernel"},
      {"boot --kernel /bin/true", "64-bit ELF kernels"},
      {"boot --kernel /", "is a directory"},
      {"boot -m 2 --kernel " + std::string(DOPPEL_KERNEL_DIR) + "/hello.elf --initrd " + doppel,
       "does not fit in 2 MiB of RAM"},
  };
  for (const auto& c : cases) {
    ShellResult r = Shell(doppel + " " + c.args + " </dev/null");
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << c.args << ": " << r.out;
  }
}

}  // namespace
}  // namespace doppel::test
