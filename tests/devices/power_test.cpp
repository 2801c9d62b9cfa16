// tests/devices/power_test.cpp: reset through 0xcf9 and port 0x92, power-off through PM1a_CNT.
#include "devices/power.h"

#include <gtest/gtest.h>

#include <vector>

#include "devices/bus.h"

namespace doppel::devices {
namespace {

struct ResetControlTest : ::testing::Test {
  int resets = 0;
  std::vector<bool> a20;
  ResetControl dev{[this] { ++resets; }, [this](bool on) { a20.push_back(on); }};
  PortBus bus;
  void SetUp() override {
    ASSERT_TRUE(bus.Add(ResetControl::kResetControlPort, 1, &dev));
    ASSERT_TRUE(bus.Add(ResetControl::kSystemControlPort, 1, &dev));
  }
};

TEST_F(ResetControlTest, Cf9ResetsWhenBit2IsSet) {
  bus.Write(0xcf9, 1, 0x02);  // choose a hard reset, do not start it yet
  EXPECT_EQ(resets, 0);
  EXPECT_EQ(bus.Read(0xcf9, 1), 0x02u);
  bus.Write(0xcf9, 1, 0x06);
  EXPECT_EQ(resets, 1);
  bus.Write(0xcf9, 1, 0x0e);
  EXPECT_EQ(resets, 2);
  bus.Write(0xcf9, 1, 0x04);  // soft reset: still a reset for us
  EXPECT_EQ(resets, 3);
  bus.Write(0xcf9, 1, 0x09);  // bits other than 1 are not kept
  EXPECT_EQ(bus.Read(0xcf9, 1), 0x00u);
  EXPECT_EQ(resets, 3);
}

TEST_F(ResetControlTest, Port92FastResetOnRisingBit0AndA20) {
  EXPECT_EQ(bus.Read(0x92, 1), 0x00u);
  bus.Write(0x92, 1, 0x02);
  EXPECT_EQ(bus.Read(0x92, 1), 0x02u);
  EXPECT_TRUE(dev.A20());
  EXPECT_EQ(a20, std::vector<bool>{true});
  EXPECT_EQ(resets, 0);
  bus.Write(0x92, 1, 0x03);
  EXPECT_EQ(resets, 1);
  bus.Write(0x92, 1, 0x03);  // bit 0 still set: no new edge
  EXPECT_EQ(resets, 1);
  dev.Reset();
  EXPECT_EQ(bus.Read(0x92, 1), 0x02u);  // reset clears bit 0, keeps A20
  bus.Write(0x92, 1, 0x01);
  EXPECT_EQ(resets, 2);
  EXPECT_FALSE(dev.A20());
}

TEST_F(ResetControlTest, OtherPortsAndWideAccessesAreHarmless) {
  EXPECT_EQ(dev.PortRead(0x1234, 1), 0xffu);
  dev.PortWrite(0x1234, 1, 0xff);
  EXPECT_EQ(dev.PortRead(0x92, 2), 0xff00u);
  dev.PortWrite(0xcf9, 4, 0xffffff00);  // only the 0xcf9 byte (0x00) is ours
  EXPECT_EQ(resets, 0);
}

TEST(AcpiShutdown, SleepEnableWithSoftOffTypePowersOff) {
  int offs = 0;
  AcpiShutdown dev([&] { ++offs; });
  PortBus bus;
  ASSERT_TRUE(bus.Add(AcpiShutdown::kPm1aControlPort, 2, &dev));
  ASSERT_TRUE(bus.Add(AcpiShutdown::kBochsPm1aControlPort, 2, &dev));
  bus.Write(0x604, 2, 0x0001);  // SCI_EN only
  EXPECT_EQ(offs, 0);
  EXPECT_EQ(bus.Read(0x604, 2), 0x0001u);
  bus.Write(0x604, 2, 0x2000);
  EXPECT_EQ(offs, 1);
  EXPECT_EQ(bus.Read(0x604, 2) & 0x2000, 0u);  // SLP_EN is write-only
  bus.Write(0xb004, 2, 0x2000);
  EXPECT_EQ(offs, 2);
  bus.Write(0x604, 2, 0x2000 | (2 << 10));  // S4 also powers off in QEMU
  EXPECT_EQ(offs, 3);
  bus.Write(0x604, 2, 0x2000 | (1 << 10));  // S1 suspend: not a power-off
  bus.Write(0x604, 2, 0x2000 | (5 << 10));
  EXPECT_EQ(offs, 3);
  // A byte write of the high half with SLP_EN, SLP_TYP 0.
  bus.Write(0x605, 1, 0x20);
  EXPECT_EQ(offs, 4);
}

}  // namespace
}  // namespace doppel::devices
