// tests/devices/bus_test.cpp: port and MMIO dispatch by range, unclaimed addresses as on a PC.
#include "devices/bus.h"

#include <gtest/gtest.h>

#include <vector>

namespace doppel::devices {
namespace {

struct Recorder : PortDevice, MmioDevice {
  std::vector<uint64_t> writes;
  uint32_t PortRead(uint16_t port, unsigned size) override { return port; }
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override { writes.push_back(value); }
  uint64_t MmioRead(uint64_t offset, unsigned size) override { return offset; }
  void MmioWrite(uint64_t offset, unsigned size, uint64_t value) override {
    writes.push_back(offset);
  }
};

TEST(PortBus, DispatchesByRangeAndReadsUnclaimedAsOnes) {
  PortBus bus;
  Recorder a, b;
  ASSERT_TRUE(bus.Add(0x3f8, 8, &a));
  ASSERT_TRUE(bus.Add(0x70, 2, &b));
  EXPECT_FALSE(bus.Add(0x3fc, 1, &b));   // overlaps a
  EXPECT_FALSE(bus.Add(0xffff, 2, &b));  // runs past the last port
  EXPECT_EQ(bus.Read(0x3ff, 1), 0x3ffu);
  EXPECT_EQ(bus.Read(0x71, 1), 0x71u);
  EXPECT_EQ(bus.Read(0x400, 1), 0xffu);
  EXPECT_EQ(bus.Read(0x72, 2), 0xffffu);
  EXPECT_EQ(bus.Read(0x3f7, 4), 0xffffffffu);
  bus.Write(0x3f8, 1, 'x');
  bus.Write(0x3f7, 1, 'y');  // unclaimed: ignored
  EXPECT_EQ(a.writes, std::vector<uint64_t>{'x'});
  EXPECT_TRUE(b.writes.empty());
}

TEST(MmioBus, DispatchesWithOffsets) {
  MmioBus bus;
  Recorder apic, ioapic;
  ASSERT_TRUE(bus.Add(0xfee00000, 0x1000, &apic));
  ASSERT_TRUE(bus.Add(0xfec00000, 0x1000, &ioapic));
  EXPECT_FALSE(bus.Add(0xfedff000, 0x2000, &apic));
  EXPECT_EQ(bus.Read(0xfee00030, 4), 0x30u);
  EXPECT_EQ(bus.Read(0xfee01000, 4), 0xffffffffu);
  bus.Write(0xfec00010, 4, 1);
  EXPECT_EQ(ioapic.writes, std::vector<uint64_t>{0x10});
  uint64_t off = 0;
  EXPECT_EQ(bus.Find(0xfee00fff, &off), &apic);
  EXPECT_EQ(off, 0xfffu);
}

}  // namespace
}  // namespace doppel::devices
