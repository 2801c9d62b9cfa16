// tests/cli/cli_test.cpp: the doppel command end to end: bad input gets one line and a non-zero
// exit, logging and statistics appear, raw programs run under each engine.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "tests/support/shell.h"

namespace doppel {
namespace {

using Result = test::ShellResult;

Result RunDoppel(const std::string& args) {
  return test::Shell(std::string(DOPPEL_BINARY) + " " + args);
}

size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

const std::string kDemo = std::string(DOPPEL_GUEST_DIR) + "/demo_workload.bin";

TEST(Cli, UnknownOptionIsOneLineError) {
  Result r = RunDoppel("raw --bogus x");
  EXPECT_NE(r.status, 0);
  EXPECT_LT(r.status, 128);  // exited, not killed by a signal
  EXPECT_EQ(Lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("unknown option '--bogus'"), std::string::npos) << r.out;
}

TEST(Cli, InvalidEngineIsOneLineError) {
  Result r = RunDoppel("raw --engine turbo x");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(Lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("invalid engine 'turbo'"), std::string::npos) << r.out;
}

TEST(Cli, UnreadableFileIsOneLineError) {
  Result r = RunDoppel("raw /nonexistent/file.bin");
  EXPECT_NE(r.status, 0);
  EXPECT_LT(r.status, 128);
  EXPECT_EQ(Lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("cannot open '/nonexistent/file.bin'"), std::string::npos) << r.out;
}

TEST(Cli, DirectoryAndEmptyFileAreOneLineErrors) {
  Result r = RunDoppel("raw /tmp");
  EXPECT_NE(r.status, 0);
  EXPECT_LT(r.status, 128);
  EXPECT_EQ(Lines(r.out), 1u) << r.out;
  std::ofstream("/tmp/doppel-empty.bin").close();
  r = RunDoppel("raw /tmp/doppel-empty.bin");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(Lines(r.out), 1u) << r.out;
}

TEST(Cli, UnknownCommandAndBadLogItem) {
  Result r = RunDoppel("frobnicate");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(Lines(r.out), 1u) << r.out;
  r = RunDoppel("raw -d in_asm,bogus " + kDemo);
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(Lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("bogus"), std::string::npos);
}

TEST(Cli, GuestGarbageIsAGuestFaultNotACrash) {
  // Random bytes as code: doppel must report a guest exception (or halt), never die by a signal.
  std::ofstream f("/tmp/doppel-garbage.bin", std::ios::binary);
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245 + 12345;
    f.put(static_cast<char>(x >> 16));
  }
  f.close();
  for (const char* engine : {"interp", "jit"}) {
    Result r = RunDoppel(std::string("raw --max-insns 100000 --engine ") + engine +
                         " /tmp/doppel-garbage.bin");
    EXPECT_LT(r.status, 128) << engine << ": " << r.out;
  }
}

TEST(Cli, LogsAndStats) {
  Result r = RunDoppel("raw --engine interp --stats -d in_asm,ir,ir_opt,exec " + kDemo +
                       " --max-insns 2000");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("IN: guest 0x400000"), std::string::npos);
  EXPECT_NE(r.out.find("IR:"), std::string::npos);
  EXPECT_NE(r.out.find("IR after passes:"), std::string::npos);
  EXPECT_NE(r.out.find("Trace: guest 0x400000"), std::string::npos);
  EXPECT_NE(r.out.find("blocks translated:"), std::string::npos);
  EXPECT_NE(r.out.find("chained exits:"), std::string::npos);
  EXPECT_NE(r.out.find("code cache bytes:"), std::string::npos);
}

TEST(Cli, LogToFile) {
  std::remove("/tmp/doppel-log.txt");
  Result r =
      RunDoppel("raw --engine interp -d in_asm -D /tmp/doppel-log.txt --max-insns 100 " + kDemo);
  EXPECT_EQ(r.status, 0) << r.out;
  std::ifstream f("/tmp/doppel-log.txt");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("IN: guest 0x400000"), std::string::npos) << text;
  EXPECT_EQ(r.out.find("IN: guest"), std::string::npos);
}

}  // namespace
}  // namespace doppel
