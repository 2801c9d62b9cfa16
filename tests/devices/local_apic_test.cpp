// tests/devices/local_apic_test.cpp: the xAPIC through its MMIO page with a hand-driven clock:
// reset values, register masks, TPR/PPR blocking, ISR nesting and EOI order, level-EOI callback,
// self-IPIs, the timer in one-shot/periodic/TSC-deadline modes, errors and the enable bits.
#include "devices/local_apic.h"

#include <gtest/gtest.h>

#include <vector>

namespace doppel::devices {
namespace {

struct FakeClock : Clock {
  uint64_t now = 0;
  uint64_t NowNs() const override { return now; }
};

struct LocalApicTest : ::testing::Test {
  FakeClock clock;
  LocalApic apic{&clock};

  uint32_t Read(uint32_t reg) { return static_cast<uint32_t>(apic.MmioRead(reg, 4)); }
  void Write(uint32_t reg, uint32_t value) { apic.MmioWrite(reg, 4, value); }
  void Enable() { Write(0xf0, 0x1ff); }
  bool VectorBit(uint32_t base, uint8_t vector) {
    return Read(base + (vector >> 5) * 0x10) & (1u << (vector & 31));
  }
  uint32_t LatchedEsr() {
    Write(0x280, 0);
    return Read(0x280);
  }
  // The board's timer loop: advance to each expiry until end, taking and retiring interrupts.
  std::vector<uint64_t> RunTimer(uint64_t end) {
    std::vector<uint64_t> fired;
    while (apic.NextEventNs() <= end) {
      clock.now = apic.NextEventNs();
      apic.Advance(clock.now);
      if (apic.HasInterrupt()) {
        apic.Acknowledge();
        Write(0xb0, 0);
        fired.push_back(clock.now);
      }
    }
    clock.now = end;
    apic.Advance(end);
    return fired;
  }
};

TEST_F(LocalApicTest, ResetValues) {
  EXPECT_EQ(Read(0x20), 0u);
  EXPECT_EQ(Read(0x30), 0x00050014u);
  EXPECT_EQ(Read(0x80), 0u);
  EXPECT_EQ(Read(0xd0), 0u);
  EXPECT_EQ(Read(0xe0), 0xffffffffu);
  EXPECT_EQ(Read(0xf0), 0xffu);
  for (uint32_t reg = 0x320; reg <= 0x370; reg += 0x10) EXPECT_EQ(Read(reg), 0x10000u) << reg;
  EXPECT_EQ(Read(0x380), 0u);
  EXPECT_EQ(Read(0x390), 0u);
  EXPECT_EQ(apic.ApicBaseMsr(), 0xfee00900u);
  EXPECT_TRUE(apic.PicPassthrough());  // software-disabled
  EXPECT_EQ(apic.NextEventNs(), ~0ull);
  apic.AcceptInterrupt(0x40, false);
  EXPECT_TRUE(VectorBit(0x200, 0x40));
  EXPECT_FALSE(apic.HasInterrupt());  // held while software-disabled
  EXPECT_EQ(apic.Acknowledge(), 0xff);
  Enable();
  EXPECT_FALSE(apic.PicPassthrough());  // LINT0 masked
  EXPECT_TRUE(apic.HasInterrupt());
}

TEST_F(LocalApicTest, RegisterMasksAndReadOnlyRegisters) {
  Write(0x20, 0x05123456);
  EXPECT_EQ(Read(0x20), 0x05000000u);
  Write(0x80, 0x1234);
  EXPECT_EQ(Read(0x80), 0x34u);
  Write(0xd0, 0x12345678);
  EXPECT_EQ(Read(0xd0), 0x12000000u);
  Write(0xe0, 0x00000000);
  EXPECT_EQ(Read(0xe0), 0x0fffffffu);  // cluster model; low bits read as ones
  Write(0xf0, 0xfffff);
  EXPECT_EQ(Read(0xf0), 0x3ffu);
  Write(0x310, 0x12345678);
  EXPECT_EQ(Read(0x310), 0x12000000u);
  Write(0x3e0, 0xff);
  EXPECT_EQ(Read(0x3e0), 0x0bu);
  Write(0x320, 0xffffffff);
  EXPECT_EQ(Read(0x320), 0x000700ffu);
  Write(0x350, 0xffffffff);
  EXPECT_EQ(Read(0x350), 0x0001a7ffu);
  Write(0x370, 0xffffffff);
  EXPECT_EQ(Read(0x370), 0x000100ffu);
  // Read-only and write-only registers.
  Write(0x30, 0);
  EXPECT_EQ(Read(0x30), 0x00050014u);
  Write(0x200, 0xffffffff);
  EXPECT_EQ(Read(0x200), 0u);
  Write(0xa0, 0xff);
  EXPECT_EQ(Read(0xb0), 0u);
  // Narrow reads see the register's bytes; the rest of each 16-byte slot reads 0.
  EXPECT_EQ(apic.MmioRead(0x30, 1), 0x14u);
  EXPECT_EQ(apic.MmioRead(0x32, 1), 0x05u);
  EXPECT_EQ(apic.MmioRead(0x32, 4), 0x0005u);
  EXPECT_EQ(apic.MmioRead(0x34, 4), 0u);
  EXPECT_EQ(apic.MmioRead(0x30, 8), 0x00050014u);
  EXPECT_EQ(apic.MmioRead(0x1000, 4), 0u);
  // Narrow and misaligned writes are ignored; an 8-byte write uses the low half.
  apic.MmioWrite(0x80, 1, 0x77);
  apic.MmioWrite(0x84, 4, 0x77);
  EXPECT_EQ(Read(0x80), 0x34u);
  apic.MmioWrite(0x80, 8, 0xaaaaaaaa00000042ull);
  EXPECT_EQ(Read(0x80), 0x42u);
  EXPECT_EQ(apic.Tpr(), 0x42);
}

TEST_F(LocalApicTest, TprAndPprBlockLowerClasses) {
  Enable();
  apic.AcceptInterrupt(0x51, false);
  apic.AcceptInterrupt(0x31, false);
  Write(0x80, 0x40);
  EXPECT_EQ(Read(0xa0), 0x40u);  // PPR = TPR with nothing in service
  ASSERT_TRUE(apic.HasInterrupt());
  EXPECT_EQ(apic.Acknowledge(), 0x51);
  EXPECT_EQ(Read(0xa0), 0x50u);  // the in-service class
  EXPECT_FALSE(apic.HasInterrupt());
  EXPECT_EQ(apic.Acknowledge(), 0xff);  // spurious: IRR unchanged
  EXPECT_TRUE(VectorBit(0x200, 0x31));
  Write(0xb0, 0);
  Write(0x80, 0x60);
  apic.AcceptInterrupt(0x65, false);
  EXPECT_FALSE(apic.HasInterrupt());  // same class as TPR
  EXPECT_EQ(Read(0x90), 0x60u);       // APR = TPR here
  apic.SetTpr(0x50);
  EXPECT_TRUE(apic.HasInterrupt());
  EXPECT_EQ(apic.Acknowledge(), 0x65);
  Write(0xf0, 0x1e3);  // a different spurious vector
  Write(0x80, 0xf0);
  EXPECT_EQ(apic.Acknowledge(), 0xe3);
}

TEST_F(LocalApicTest, IsrNestingAndEoiOrder) {
  Enable();
  apic.AcceptInterrupt(0x40, false);
  EXPECT_EQ(apic.Acknowledge(), 0x40);
  apic.AcceptInterrupt(0x45, false);
  EXPECT_FALSE(apic.HasInterrupt());  // same priority class as the one in service
  apic.AcceptInterrupt(0x80, false);
  ASSERT_TRUE(apic.HasInterrupt());
  EXPECT_EQ(apic.Acknowledge(), 0x80);
  EXPECT_TRUE(VectorBit(0x100, 0x40));
  EXPECT_TRUE(VectorBit(0x100, 0x80));
  EXPECT_FALSE(VectorBit(0x200, 0x80));
  Write(0xb0, 0);  // retires 0x80, the highest in service
  EXPECT_FALSE(VectorBit(0x100, 0x80));
  EXPECT_TRUE(VectorBit(0x100, 0x40));
  EXPECT_FALSE(apic.HasInterrupt());
  Write(0xb0, 0);
  EXPECT_EQ(Read(0x100 + 2 * 0x10), 0u);
  ASSERT_TRUE(apic.HasInterrupt());
  EXPECT_EQ(apic.Acknowledge(), 0x45);
}

TEST_F(LocalApicTest, LevelEoiCallsBackWithTheVector) {
  std::vector<uint8_t> eois;
  apic.SetLevelEoiCallback([&](uint8_t v) { eois.push_back(v); });
  Enable();
  apic.AcceptInterrupt(0x60, true);
  EXPECT_TRUE(VectorBit(0x180, 0x60));  // TMR
  EXPECT_EQ(apic.Acknowledge(), 0x60);
  apic.AcceptInterrupt(0x91, false);
  EXPECT_EQ(apic.Acknowledge(), 0x91);  // nests above 0x60
  Write(0xb0, 0);                       // retires the edge-triggered 0x91: no callback
  EXPECT_TRUE(eois.empty());
  Write(0xb0, 0);
  EXPECT_EQ(eois, std::vector<uint8_t>{0x60});
  Write(0xb0, 0);  // nothing in service
  EXPECT_EQ(eois.size(), 1u);
  apic.AcceptInterrupt(0x60, false);  // now edge: TMR cleared
  EXPECT_FALSE(VectorBit(0x180, 0x60));
}

TEST_F(LocalApicTest, SelfIpiThroughIcr) {
  Enable();
  Write(0x300, 0x00040070);  // shorthand self, fixed
  EXPECT_TRUE(VectorBit(0x200, 0x70));
  EXPECT_EQ(Read(0x300), 0x00040070u);
  Write(0x300, 0x000800a0);  // all including self
  EXPECT_TRUE(VectorBit(0x200, 0xa0));
  Write(0x300, 0x000c00a1);  // all excluding self: nobody
  EXPECT_FALSE(VectorBit(0x200, 0xa1));
  Write(0x310, 0x00000000);
  Write(0x300, 0x00000071);  // physical destination 0 == our ID
  EXPECT_TRUE(VectorBit(0x200, 0x71));
  Write(0x310, 0x01000000);
  Write(0x300, 0x00000072);  // destination 1: not us
  EXPECT_FALSE(VectorBit(0x200, 0x72));
  Write(0x20, 0x01000000);
  Write(0x300, 0x00000073);
  EXPECT_TRUE(VectorBit(0x200, 0x73));
  Write(0xd0, 0x02000000);  // logical ID bit 1, flat model
  Write(0x310, 0x06000000);
  Write(0x300, 0x00000874);  // logical destination 0x06 includes bit 1
  EXPECT_TRUE(VectorBit(0x200, 0x74));
  Write(0x310, 0x05000000);
  Write(0x300, 0x00000875);
  EXPECT_FALSE(VectorBit(0x200, 0x75));
  Write(0x300, 0x00040476);  // NMI to self: not modelled, no IRR bit
  EXPECT_FALSE(VectorBit(0x200, 0x76));
  Write(0x300, 0x00040005);  // illegal vector
  EXPECT_EQ(LatchedEsr(), 0x20u);
  EXPECT_EQ(LatchedEsr(), 0u);
  EXPECT_EQ(apic.Acknowledge(), 0xa0);
}

TEST_F(LocalApicTest, OneShotTimerWithSeveralDividers) {
  Enable();
  struct Case {
    uint32_t tdcr;
    uint64_t divider;
  };
  for (Case c : {Case{0xb, 1}, Case{0x0, 2}, Case{0x1, 4}, Case{0x3, 16}, Case{0xa, 128}}) {
    SCOPED_TRACE(c.divider);
    uint64_t t0 = clock.now = 1000000 * c.divider;
    Write(0x3e0, c.tdcr);
    Write(0x320, 0x30);
    Write(0x380, 1000);
    EXPECT_EQ(Read(0x380), 1000u);
    EXPECT_EQ(Read(0x390), 1000u);
    EXPECT_EQ(apic.NextEventNs(), t0 + 1000 * c.divider);
    clock.now = t0 + 250 * c.divider + (c.divider - 1);
    EXPECT_EQ(Read(0x390), 750u);
    clock.now = t0 + 999 * c.divider;
    EXPECT_EQ(Read(0x390), 1u);
    apic.Advance(clock.now);
    EXPECT_FALSE(apic.HasInterrupt());
    clock.now = t0 + 1000 * c.divider;
    apic.Advance(clock.now);
    EXPECT_EQ(Read(0x390), 0u);
    ASSERT_TRUE(apic.HasInterrupt());
    EXPECT_EQ(apic.Acknowledge(), 0x30);
    Write(0xb0, 0);
    EXPECT_EQ(apic.NextEventNs(), ~0ull);
  }
}

TEST_F(LocalApicTest, PeriodicTimerFiresEveryPeriodAndCoalesces) {
  Enable();
  Write(0x3e0, 0x1);      // divide by 4
  Write(0x320, 0x20031);  // periodic, vector 0x31
  Write(0x380, 100);      // period 400 ns
  std::vector<uint64_t> fired = RunTimer(4000);
  std::vector<uint64_t> expected;
  for (uint64_t t = 400; t <= 4000; t += 400) expected.push_back(t);
  EXPECT_EQ(fired, expected);
  clock.now = 4100;
  EXPECT_EQ(Read(0x390), 75u);  // 25 ticks into the period
  // A long gap gives one interrupt and resumes on the period grid.
  clock.now = 1000000050;
  apic.Advance(clock.now);
  ASSERT_TRUE(apic.HasInterrupt());
  EXPECT_EQ(apic.Acknowledge(), 0x31);
  EXPECT_FALSE(apic.HasInterrupt());
  EXPECT_EQ(apic.NextEventNs(), 1000000400u);
  // Switching to one-shot keeps the count; it then stops at the end of the current period.
  Write(0x320, 0x00031);
  Write(0xb0, 0);
  EXPECT_EQ(RunTimer(1000010000), std::vector<uint64_t>{1000000400});
  // Writing 0 stops the timer.
  Write(0x320, 0x20031);
  Write(0x380, 0);
  EXPECT_EQ(apic.NextEventNs(), ~0ull);
}

TEST_F(LocalApicTest, DividerChangeKeepsTheCount) {
  Enable();
  Write(0x3e0, 0xb);  // divide by 1
  Write(0x320, 0x30);
  Write(0x380, 1000);
  clock.now = 400;
  Write(0x3e0, 0x3);  // divide by 16: 600 ticks left, 9600 ns
  EXPECT_EQ(Read(0x390), 600u);
  EXPECT_EQ(apic.NextEventNs(), 400u + 600 * 16);
}

TEST_F(LocalApicTest, TscDeadlineTimer) {
  Enable();
  apic.WriteTscDeadline(5000);  // not in deadline mode: ignored
  EXPECT_EQ(apic.ReadTscDeadline(), 0u);
  Write(0x380, 1000);
  Write(0x320, 0x40032);  // TSC-deadline mode disarms the count
  EXPECT_EQ(Read(0x380), 0u);
  EXPECT_EQ(apic.NextEventNs(), ~0ull);
  Write(0x380, 1000);  // ignored in deadline mode
  EXPECT_EQ(Read(0x380), 0u);
  apic.WriteTscDeadline(5000);
  EXPECT_EQ(apic.ReadTscDeadline(), 5000u);
  EXPECT_EQ(apic.NextEventNs(), 5000u);
  apic.Advance(4999);
  EXPECT_FALSE(apic.HasInterrupt());
  apic.Advance(5000);
  EXPECT_EQ(apic.Acknowledge(), 0x32);
  EXPECT_EQ(apic.ReadTscDeadline(), 0u);  // cleared on expiry
  Write(0xb0, 0);
  clock.now = 6000;
  apic.WriteTscDeadline(100);  // already past: fires at once
  EXPECT_TRUE(apic.HasInterrupt());
  EXPECT_EQ(apic.NextEventNs(), ~0ull);
  apic.Acknowledge();
  Write(0xb0, 0);
  apic.WriteTscDeadline(9000);
  apic.WriteTscDeadline(0);  // disarm
  EXPECT_EQ(apic.NextEventNs(), ~0ull);
  apic.WriteTscDeadline(9000);
  Write(0x320, 0x00032);  // leaving deadline mode disarms too
  EXPECT_EQ(apic.ReadTscDeadline(), 0u);
  EXPECT_EQ(apic.NextEventNs(), ~0ull);
}

TEST_F(LocalApicTest, MaskedTimerCountsWithoutInterrupting) {
  Enable();
  Write(0x3e0, 0xb);
  Write(0x320, 0x30030);  // periodic, masked
  Write(0x380, 10);
  EXPECT_TRUE(RunTimer(100).empty());
  EXPECT_EQ(apic.NextEventNs(), 110u);
  Write(0x320, 0x20030);  // unmask
  EXPECT_EQ(RunTimer(110), std::vector<uint64_t>{110});
}

TEST_F(LocalApicTest, ErrorsAndTheErrorLvt) {
  Enable();
  apic.AcceptInterrupt(0x05, false);  // illegal: dropped
  EXPECT_FALSE(VectorBit(0x200, 0x05));
  EXPECT_EQ(Read(0x280), 0u);  // not latched yet
  EXPECT_EQ(LatchedEsr(), 0x40u);
  Write(0x370, 0x000000fe);  // error LVT unmasked, vector 0xfe
  Write(0x2f0, 1);           // reserved register (no CMCI LVT)
  EXPECT_TRUE(VectorBit(0x200, 0xfe));
  EXPECT_EQ(LatchedEsr(), 0x80u);
}

TEST_F(LocalApicTest, EnableBitsAndPicPassthrough) {
  Enable();
  EXPECT_FALSE(apic.PicPassthrough());
  Write(0x350, 0x700);  // LINT0 ExtINT, unmasked: virtual wire
  EXPECT_TRUE(apic.PicPassthrough());
  Write(0x350, 0x10700);
  EXPECT_FALSE(apic.PicPassthrough());
  Write(0x350, 0x700);
  Write(0xf0, 0x0ff);  // software disable masks every LVT
  EXPECT_EQ(Read(0x350), 0x10700u);
  EXPECT_EQ(Read(0x320), 0x10000u);
  Write(0x350, 0x700);
  EXPECT_EQ(Read(0x350), 0x10700u);  // cannot unmask while disabled
  EXPECT_TRUE(apic.PicPassthrough());
  Enable();
  Write(0x350, 0x700);
  apic.AcceptInterrupt(0x40, false);
  EXPECT_TRUE(apic.HasInterrupt());

  apic.SetApicBaseMsr(0xfee00000);  // global disable (the BSP bit is read-only)
  EXPECT_EQ(apic.ApicBaseMsr(), 0xfee00100u);
  EXPECT_FALSE(apic.HasInterrupt());
  EXPECT_TRUE(apic.PicPassthrough());
  apic.AcceptInterrupt(0x50, false);
  EXPECT_FALSE(VectorBit(0x200, 0x50));
  apic.SetApicBaseMsr(0xfee00c00 | 0xfff0000000000000ull);  // x2APIC bit, reserved bits ignored
  EXPECT_EQ(apic.ApicBaseMsr(), 0xfee00900u);
  EXPECT_FALSE(apic.SoftwareEnabled());
  apic.SetApicBaseMsr(0x12345900);
  EXPECT_EQ(apic.ApicBaseMsr(), 0x12345900u);
}

}  // namespace
}  // namespace doppel::devices
