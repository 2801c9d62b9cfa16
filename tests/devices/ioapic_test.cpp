// tests/devices/ioapic_test.cpp: the I/O APIC through IOREGSEL/IOWIN: identification, entry
// programming and read-only bits, edge vs level delivery, Remote IRR and re-delivery after EOI,
// masking, and the round trip through a local APIC's level-EOI callback.
#include "devices/ioapic.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "devices/local_apic.h"

namespace doppel::devices {
namespace {

using Delivery = std::pair<uint8_t, bool>;

struct IoApicTest : ::testing::Test {
  std::vector<Delivery> delivered;
  IoApic ioapic{[this](uint8_t v, bool level) { delivered.push_back({v, level}); }};

  uint32_t ReadReg(uint8_t index) {
    ioapic.MmioWrite(0x00, 4, index);
    return static_cast<uint32_t>(ioapic.MmioRead(0x10, 4));
  }
  void WriteReg(uint8_t index, uint32_t value) {
    ioapic.MmioWrite(0x00, 4, index);
    ioapic.MmioWrite(0x10, 4, value);
  }
  void Program(unsigned pin, uint32_t low, uint8_t dest = 0) {
    WriteReg(0x11 + 2 * pin, uint32_t{dest} << 24);
    WriteReg(0x10 + 2 * pin, low);
  }
  uint32_t Low(unsigned pin) { return ReadReg(0x10 + 2 * pin); }
};

TEST_F(IoApicTest, IdentificationAndResetState) {
  EXPECT_EQ(ReadReg(0x01), 0x00170020u);
  EXPECT_EQ(ReadReg(0x00), 0u);
  WriteReg(0x00, 0xff000000);
  EXPECT_EQ(ReadReg(0x00), 0x0f000000u);
  EXPECT_EQ(ReadReg(0x02), 0x0f000000u);  // arbitration ID
  WriteReg(0x01, 0);
  EXPECT_EQ(ReadReg(0x01), 0x00170020u);
  for (unsigned pin = 0; pin < IoApic::kPins; ++pin) {
    EXPECT_EQ(Low(pin), 0x00010000u) << pin;
    EXPECT_EQ(ReadReg(0x11 + 2 * pin), 0u) << pin;
  }
  EXPECT_EQ(ReadReg(0x10 + 2 * 24), 0u);  // past the last entry
  EXPECT_EQ(ReadReg(0xff), 0u);
  EXPECT_EQ(ioapic.MmioRead(0x00, 4), 0xffu);  // IOREGSEL reads back
}

TEST_F(IoApicTest, EntryProgrammingKeepsReadOnlyBits) {
  Program(5, 0xffffffff, 0xab);
  EXPECT_EQ(Low(5), 0x0001afffu);  // bits 12, 14 and 17-31 are not writable
  EXPECT_EQ(ReadReg(0x11 + 10), 0xab000000u);
  WriteReg(0x11 + 10, 0x12345678);
  EXPECT_EQ(ReadReg(0x11 + 10), 0x12000000u);
  EXPECT_EQ(ioapic.Entry(5), 0x120000000001afffull);
  // Narrow reads of IOWIN see the selected register's bytes; narrow IOWIN writes are ignored.
  ioapic.MmioWrite(0x00, 1, 0x01);
  EXPECT_EQ(ioapic.MmioRead(0x12, 1), 0x17u);
  ioapic.MmioWrite(0x00, 1, 0x10 + 10);
  ioapic.MmioWrite(0x10, 2, 0);
  EXPECT_EQ(Low(5), 0x0001afffu);
}

TEST_F(IoApicTest, EdgeEntriesDeliverOnRisingEdges) {
  Program(3, 0x30);  // fixed, edge, unmasked
  ioapic.SetIrq(3, true);
  ioapic.SetIrq(3, true);
  EXPECT_EQ(delivered, (std::vector<Delivery>{{0x30, false}}));
  ioapic.SetIrq(3, false);
  ioapic.Line(3)->SetLevel(true);
  EXPECT_EQ(delivered.size(), 2u);
  EXPECT_EQ(Low(3) & (1u << 14), 0u);  // no Remote IRR for edge entries
  // An edge while masked is held until the unmask.
  ioapic.SetIrq(3, false);
  Program(3, 0x10030);
  ioapic.SetIrq(3, true);
  EXPECT_EQ(delivered.size(), 2u);
  Program(3, 0x30);
  EXPECT_EQ(delivered.size(), 3u);
  Program(3, 0x30);  // and only once
  EXPECT_EQ(delivered.size(), 3u);
}

TEST_F(IoApicTest, LevelEntriesUseRemoteIrrUntilEoi) {
  Program(9, 0x8041);  // level, vector 0x41
  ioapic.SetIrq(9, true);
  EXPECT_EQ(delivered, (std::vector<Delivery>{{0x41, true}}));
  EXPECT_NE(Low(9) & (1u << 14), 0u);
  ioapic.SetIrq(9, true);
  EXPECT_EQ(delivered.size(), 1u);  // Remote IRR blocks
  ioapic.Eoi(0x42);                 // another vector: no effect
  EXPECT_EQ(delivered.size(), 1u);
  ioapic.Eoi(0x41);  // still asserted: delivered again
  EXPECT_EQ(delivered.size(), 2u);
  EXPECT_NE(Low(9) & (1u << 14), 0u);
  ioapic.SetIrq(9, false);
  ioapic.Eoi(0x41);
  EXPECT_EQ(delivered.size(), 2u);
  EXPECT_EQ(Low(9) & (1u << 14), 0u);
  ioapic.SetIrq(9, true);
  EXPECT_EQ(delivered.size(), 3u);
  // Remote IRR is read-only: writing the entry keeps it.
  Program(9, 0x8041);
  EXPECT_NE(Low(9) & (1u << 14), 0u);
  EXPECT_EQ(delivered.size(), 3u);
  // Changing the entry to edge clears it.
  Program(9, 0x0041);
  EXPECT_EQ(Low(9) & (1u << 14), 0u);
}

TEST_F(IoApicTest, MaskingHoldsAssertedLevelInputs) {
  Program(10, 0x18050);  // level, masked
  ioapic.SetIrq(10, true);
  EXPECT_TRUE(delivered.empty());
  Program(10, 0x08050);
  EXPECT_EQ(delivered, (std::vector<Delivery>{{0x50, true}}));
  // Deasserted while masked: nothing on unmask.
  Program(11, 0x18051);
  ioapic.SetIrq(11, true);
  ioapic.SetIrq(11, false);
  Program(11, 0x08051);
  EXPECT_EQ(delivered.size(), 1u);
  // Two level pins sharing a vector are both released by one EOI.
  Program(12, 0x08050);
  ioapic.SetIrq(12, true);
  EXPECT_EQ(delivered.size(), 1u + 1);
  ioapic.SetIrq(10, false);
  ioapic.Eoi(0x50);
  EXPECT_EQ(delivered.size(), 3u);  // pin 12 again; pin 10 went low
}

TEST_F(IoApicTest, OtherDeliveryModesAndPinsAreIgnored) {
  Program(4, 0x0460);  // NMI
  ioapic.SetIrq(4, true);
  Program(5, 0x0761);  // ExtINT
  ioapic.SetIrq(5, true);
  Program(6, 0x0162);  // lowest priority: delivered as fixed
  ioapic.SetIrq(6, true);
  ioapic.SetIrq(24, true);
  ioapic.SetIrq(1000, true);
  EXPECT_EQ(ioapic.Line(24), nullptr);
  EXPECT_EQ(delivered, (std::vector<Delivery>{{0x62, false}}));
}

TEST(IoApicWithLocalApic, LevelInterruptRoundTrip) {
  struct : Clock {
    uint64_t NowNs() const override { return 0; }
  } clock;
  LocalApic lapic(&clock);
  IoApic ioapic([&](uint8_t v, bool level) { lapic.AcceptInterrupt(v, level); });
  lapic.SetLevelEoiCallback([&](uint8_t v) { ioapic.Eoi(v); });
  lapic.MmioWrite(0xf0, 4, 0x1ff);
  ioapic.MmioWrite(0x00, 4, 0x10 + 2 * 11);
  ioapic.MmioWrite(0x10, 4, 0x8063);
  ioapic.SetIrq(11, true);
  ASSERT_TRUE(lapic.HasInterrupt());
  EXPECT_EQ(lapic.Acknowledge(), 0x63);
  lapic.MmioWrite(0xb0, 4, 0);  // EOI: the line is still up, so it comes back
  ASSERT_TRUE(lapic.HasInterrupt());
  EXPECT_EQ(lapic.Acknowledge(), 0x63);
  ioapic.SetIrq(11, false);  // the device was serviced
  lapic.MmioWrite(0xb0, 4, 0);
  EXPECT_FALSE(lapic.HasInterrupt());
  EXPECT_EQ(ioapic.Entry(11) & (1u << 14), 0u);
}

}  // namespace
}  // namespace doppel::devices
