// tests/system/boot_test.cpp: `doppel boot` runs the test kernels of tests/kernels/ under both
// engines; their serial output must equal the transcript QEMU produced and the exit status must be
// the debug-exit success status. Bad input gets a one-line error and a non-zero status.
#include <gtest/gtest.h>

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
};

class BootKernel : public testing::TestWithParam<BootCase> {};

TEST_P(BootKernel, SerialOutputMatchesQemu) {
  const BootCase& c = GetParam();
  if (std::string(c.engine) == "jit" && !JitAvailable()) GTEST_SKIP() << "no JIT in this build";
  std::string serial = testing::TempDir() + "doppel_boot_" + c.kernel + "_" + c.engine + ".txt";
  std::string cmd = std::string(DOPPEL_BINARY) + " boot --engine " + c.engine +
                    " -m 64 --no-reboot" + " --serial file:" + serial + " --kernel " +
                    DOPPEL_KERNEL_DIR + "/" + c.kernel + ".elf </dev/null";
  ShellResult r = Shell("timeout 60 " + cmd);
  EXPECT_EQ(r.status, 33) << r.out;
  EXPECT_EQ(ReadText(serial), ReadText(KernelSourceDir() + "/" + c.kernel + ".expected")) << r.out;
}

// The kernels doppel passes today; hello/aout (multiboot info details), exceptions, paging64,
// interrupts and smc do not pass yet (see the issue notes).
INSTANTIATE_TEST_SUITE_P(Kernels, BootKernel,
                         testing::Values(BootCase{"paging32", "interp"},
                                         BootCase{"paging32", "jit"}, BootCase{"modes", "interp"},
                                         BootCase{"modes", "jit"}, BootCase{"rings", "interp"},
                                         BootCase{"rings", "jit"}, BootCase{"devices", "interp"},
                                         BootCase{"devices", "jit"}),
                         [](const testing::TestParamInfo<BootCase>& i) {
                           return std::string(i.param.kernel) + "_" + i.param.engine;
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
