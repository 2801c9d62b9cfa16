// tests/devices/debug_exit_test.cpp: isa-debug-exit's (value << 1) | 1 exit status.
#include "devices/debug_exit.h"

#include <gtest/gtest.h>

#include <vector>

#include "devices/bus.h"

namespace doppel::devices {
namespace {

TEST(DebugExit, WriteRequestsExitWithQemuStatus) {
  std::vector<int> statuses;
  DebugExit dev([&](int s) { statuses.push_back(s); });
  PortBus bus;
  ASSERT_TRUE(bus.Add(DebugExit::kPort, DebugExit::kPortCount, &dev));
  bus.Write(0xf4, 1, 0);
  bus.Write(0xf4, 1, 0x10);
  bus.Write(0xf4, 4, 0x31);
  bus.Write(0xf7, 1, 1);  // any port of the device
  EXPECT_EQ(statuses, (std::vector<int>{1, 0x21, 0x63, 3}));
  // The low 8 bits are what a process exit reports: 0x10 -> 33.
  EXPECT_EQ(DebugExit::ExitStatus(0x10) & 0xff, 33);
}

TEST(DebugExit, ReadsReturnZeroAndWritesAreMaskedToTheAccessSize) {
  std::vector<int> statuses;
  DebugExit dev([&](int s) { statuses.push_back(s); });
  EXPECT_EQ(dev.PortRead(0xf4, 1), 0u);
  EXPECT_EQ(dev.PortRead(0xf4, 4), 0u);
  dev.PortWrite(0xf4, 1, 0x1ff);  // only the byte is on the bus
  dev.PortWrite(0xf4, 0, 5);      // no data: ignored
  EXPECT_EQ(statuses, (std::vector<int>{(0xff << 1) | 1}));
  DebugExit silent(nullptr);
  silent.PortWrite(0xf4, 4, 0xffffffff);  // no callback: nothing happens
}

}  // namespace
}  // namespace doppel::devices
