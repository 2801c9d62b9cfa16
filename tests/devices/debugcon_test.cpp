// tests/devices/debugcon_test.cpp: port 0xe9 output and QEMU's 0xe9 readback.
#include "devices/debugcon.h"

#include <gtest/gtest.h>

#include <string>

namespace doppel::devices {
namespace {

TEST(Debugcon, WritesGoToTheSinkAndReadsReturnE9) {
  std::string out;
  Debugcon dev([&](uint8_t b) { out.push_back(static_cast<char>(b)); });
  for (char c : std::string("ok\n")) dev.PortWrite(Debugcon::kPort, 1, static_cast<uint8_t>(c));
  dev.PortWrite(Debugcon::kPort, 2, 0x4142);  // low byte only
  EXPECT_EQ(out, "ok\nB");
  EXPECT_EQ(dev.PortRead(Debugcon::kPort, 1), 0xe9u);
  EXPECT_EQ(dev.PortRead(Debugcon::kPort, 2), 0xffe9u);  // the next port is not the device's
  Debugcon silent(nullptr);
  silent.PortWrite(Debugcon::kPort, 1, 'x');
}

}  // namespace
}  // namespace doppel::devices
