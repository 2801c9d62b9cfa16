// tests/system/boot_test.cpp: `doppel boot` runs the test kernels of tests/kernels/ under both
// engines; their serial output must equal the transcript QEMU produced and the exit status must be
// the debug-exit success status. Serial input and the Ctrl-A X escape, --icount repeatability,
// where the transcript and --stats go, and bad input (one-line error, non-zero status).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

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

// A temporary file name of the running test's own: ctest runs tests in parallel processes.
std::string TestTemp(const std::string& what) {
  const testing::TestInfo* t = testing::UnitTest::GetInstance()->current_test_info();
  return testing::TempDir() + "doppel_" + t->test_suite_name() + "_" + t->name() + "_" + what;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The engine for the single-engine tests below.
const char* AnyEngine() { return JitAvailable() ? "jit" : "interp"; }

std::string Kernel(const std::string& image) {
  return std::string(DOPPEL_KERNEL_DIR) + "/" + image;
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
  // COM1's input, fed through stdin with --serial stdio (as qemu-check does with -serial stdio).
  const char* input = nullptr;
  // Booted without --no-reboot (qemu-check drops -no-reboot for it): a reset reloads the kernel.
  bool reboots = false;
};

class BootKernel : public testing::TestWithParam<BootCase> {};

TEST_P(BootKernel, SerialOutputMatchesQemu) {
  const BootCase& c = GetParam();
  if (std::string(c.engine) == "jit" && !JitAvailable()) GTEST_SKIP() << "no JIT in this build";
  std::string serial = testing::TempDir() + "doppel_boot_" + c.kernel + "_" + c.engine +
                       (c.host_time ? "_host" : "") + ".txt";
  std::string image = c.file ? c.file : std::string(c.kernel) + ".elf";
  std::string cmd = std::string(DOPPEL_BINARY) + " boot --engine " + c.engine + " -m 64" +
                    (c.reboots ? "" : " --no-reboot") + (c.host_time ? "" : " --icount");
  if (c.input)
    cmd +=
        " --serial stdio --kernel " + Kernel(image) + " " + c.args + " <" + c.input + " >" + serial;
  else
    cmd += " --serial file:" + serial + " --kernel " + Kernel(image) + " " + c.args + " </dev/null";
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
    // A triple fault with --no-reboot ends the run with status 0, as in QEMU.
    {"faults", "interp", "", 0},
    {"faults", "jit", "", 0},
    {"tasks", "interp"},
    {"tasks", "jit"},
    // segments.expected follows the SDM: QEMU makes none of these checks.
    {"segments", "interp"},
    {"segments", "jit"},
    {.kernel = "serial_echo", .engine = "interp", .input = "serial_echo.input"},
    {.kernel = "serial_echo", .engine = "jit", .input = "serial_echo.input"},
    // A reset and then a triple fault reboot: the kernel runs three times, counting in CMOS RAM.
    {.kernel = "reboot", .engine = "interp", .reboots = true},
    {.kernel = "reboot", .engine = "jit", .reboots = true},
};
INSTANTIATE_TEST_SUITE_P(Kernels, BootKernel, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<BootCase>& i) {
                           return std::string(i.param.kernel) + "_" + i.param.engine +
                                  (i.param.host_time ? "_host_time" : "");
                         });

// Runs serial_echo with `input` on stdin (a printf format, or a shell command when it starts
// with '{'); the transcript goes to *out, stderr to *err.
int EchoRun(const std::string& input, std::string* out, std::string* err) {
  std::string base = TestTemp("echo");
  std::string feed = input[0] == '{' ? input : "printf '" + input + "'";
  ShellResult r = Shell("{ " + feed + " | timeout 20 " + DOPPEL_BINARY + " boot --engine " +
                        AnyEngine() + " -m 64 --serial stdio --kernel " +
                        Kernel("serial_echo.elf") + " >" + base + ".out 2>" + base + ".err; }");
  *out = ReadText(base + ".out");
  *err = ReadText(base + ".err");
  return r.status;
}

TEST(BootSerial, CtrlAXQuitsBeforeTheInputAfterIt) {
  std::string out, err;
  EXPECT_EQ(EchoRun("\\001xhello\\nquit\\n", &out, &err), 0);
  EXPECT_EQ(err, "doppel: quit (Ctrl-A X)\n");
  EXPECT_EQ(out.find("got:"), std::string::npos) << out;
}

TEST(BootSerial, CtrlAXQuitsWhileInputStaysOpen) {
  // The writer keeps the pipe open for 10 s: doppel must not wait for the end of input.
  std::string out, err;
  EXPECT_EQ(EchoRun("{ printf '\\001x'; sleep 10 2>/dev/null & }", &out, &err), 0) << err;
  EXPECT_EQ(err, "doppel: quit (Ctrl-A X)\n");
}

TEST(BootSerial, CtrlACtrlASendsOneCtrlA) {
  std::string out, err;
  EXPECT_EQ(EchoRun("\\001\\001hi\\nquit\\n", &out, &err), 33) << err;
  EXPECT_NE(out.find("got: \001hi\n"), std::string::npos) << out;
  EXPECT_NE(out.find("got: quit\n"), std::string::npos) << out;
}

TEST(BootSerial, InputArrivingSlowlyWakesTheHaltedGuest) {
  std::string out, err;
  EXPECT_EQ(
      EchoRun("{ sleep 0.2; printf 'hel'; sleep 0.2; printf 'lo\\r\\nquit\\n'; }", &out, &err), 33)
      << err;
  EXPECT_NE(out.find("got: hello\ngot: quit\n"), std::string::npos) << out;
}

// One boot; the transcript (stdout) and stderr are returned separately.
struct BootRun {
  int status;
  std::string out, err;
};
BootRun Boot(const std::string& args) {
  std::string base = TestTemp("boot");
  // In braces: Shell's own 2>&1 must not undo the redirection of stderr.
  ShellResult r = Shell("{ cd " + KernelSourceDir() + " && timeout 60 " + DOPPEL_BINARY + " boot " +
                        args + " </dev/null >" + base + ".out 2>" + base + ".err; }");
  return {r.status, ReadText(base + ".out"), ReadText(base + ".err")};
}

std::string StatsLine(const std::string& err, const std::string& name) {
  size_t at = err.find(name);
  return at == std::string::npos ? "" : err.substr(at, err.find('\n', at) - at);
}

// --icount: time is the instruction count, so a kernel that prints TSC and PIT readings prints
// the same numbers every run, and both engines retire the same instructions. Without --icount
// the readings follow the host clock and differ.
TEST(BootIcount, TimeReadingsRepeat) {
  std::vector<std::string> engines = {"interp"};
  if (JitAvailable()) engines.push_back("jit");
  std::string first;
  for (const std::string& engine : engines) {
    for (int run = 0; run < 2; ++run) {
      BootRun r = Boot("--engine " + engine + " -m 64 --icount --kernel " + Kernel("icount.elf"));
      EXPECT_EQ(r.status, 33) << r.out << r.err;
      EXPECT_NE(r.out.find("tick 3: tsc "), std::string::npos) << r.out;
      if (first.empty()) first = r.out;
      EXPECT_EQ(r.out, first) << engine << " run " << run;
    }
  }
  BootRun a = Boot("-m 64 --kernel " + Kernel("icount.elf"));
  BootRun b = Boot("-m 64 --kernel " + Kernel("icount.elf"));
  EXPECT_EQ(a.status, 33);
  EXPECT_NE(a.out, b.out) << "host-clock readings repeated exactly";
}

TEST(BootIcount, InterruptsKernelRetiresTheSameInstructions) {
  std::vector<std::string> engines = {"interp"};
  if (JitAvailable()) engines.push_back("jit");
  std::string first;
  for (const std::string& engine : engines) {
    for (int run = 0; run < 2; ++run) {
      BootRun r = Boot("--engine " + engine + " -m 64 --icount --stats --kernel " +
                       Kernel("interrupts.elf"));
      EXPECT_EQ(r.status, 33) << r.err;
      std::string line = StatsLine(r.err, "insns executed:");
      ASSERT_FALSE(line.empty()) << r.err;
      if (first.empty()) first = line;
      EXPECT_EQ(line, first) << engine << " run " << run;
    }
  }
}

// --serial file:PATH takes the transcript off stdout; --stats goes to stderr.
TEST(BootOutput, SerialFileAndStats) {
  std::string serial = TestTemp("serial.txt");
  std::string hello = " -m 64 --kernel " + Kernel("hello.elf") +
                      " --append 'console=ttyS0 hello world' --initrd hello-module.txt";
  BootRun r = Boot("--serial file:" + serial + " --stats" + hello);
  EXPECT_EQ(r.status, 33);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(ReadText(serial), ReadText(KernelSourceDir() + "/hello.expected"));
  EXPECT_EQ(r.err.rfind("blocks translated:", 0), 0u) << r.err;
  EXPECT_NE(StatsLine(r.err, "insns executed:"), "") << r.err;
  EXPECT_NE(StatsLine(r.err, "code cache bytes:"), "") << r.err;

  BootRun plain = Boot("--serial stdio" + hello);
  EXPECT_EQ(plain.status, 33);
  EXPECT_EQ(plain.out, ReadText(KernelSourceDir() + "/hello.expected"));
  EXPECT_EQ(plain.err, "");
}

// A copy of a built kernel with `patch` applied, in the test's temporary directory.
std::string PatchedKernel(const std::string& image, const std::string& name,
                          void (*patch)(std::vector<uint8_t>&)) {
  std::string bytes = ReadText(Kernel(image));
  std::vector<uint8_t> b(bytes.begin(), bytes.end());
  patch(b);
  std::string path = TestTemp(name);
  WriteText(path, std::string(b.begin(), b.end()));
  return path;
}

void PutLe32(std::vector<uint8_t>& b, size_t off, uint32_t v) { memcpy(b.data() + off, &v, 4); }
uint32_t GetLe32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  memcpy(&v, b.data() + off, 4);
  return v;
}

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
      {"boot --kernel " + PatchedKernel("hello.elf", "truncated.elf",
                                        [](std::vector<uint8_t>& b) { b.resize(60); }),
       "truncated ELF: program headers extend past the end of the file"},
      // e_machine = EM_AARCH64 (183).
      {"boot --kernel " + PatchedKernel("hello.elf", "aarch64.elf",
                                        [](std::vector<uint8_t>& b) { b[18] = 183, b[19] = 0; }),
       "ELF for machine AArch64"},
      // The a.out-kludge image (no ELF magic) with its multiboot checksum off by one.
      {"boot --kernel " +
           PatchedKernel("aout.bin", "checksum.bin",
                         [](std::vector<uint8_t>& b) { PutLe32(b, 8, GetLe32(b, 8) + 1); }),
       "has a bad checksum"},
      // Every a.out-kludge address moved up by 4 MiB: beyond 2 MiB of RAM.
      {"boot -m 2 --kernel " + PatchedKernel("aout.bin", "high.bin",
                                             [](std::vector<uint8_t>& b) {
                                               for (size_t off = 12; off < 32; off += 4)
                                                 PutLe32(b, off, GetLe32(b, off) + (4u << 20));
                                             }),
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
