// tests/devices/pit8254_test.cpp: the 8254 through its ports with a hand-driven clock: counts at
// several times in modes 0/2/3, latch and read-back, IRQ 0 edges per period, coalesced catch-up,
// access modes, gate-triggered modes and channel 2 through port 0x61.
#include "devices/pit8254.h"

#include <gtest/gtest.h>

#include <vector>

namespace doppel::devices {
namespace {

// Expected values below were computed independently: ticks(t) = floor(t * 1193182 / 1e9) and the
// first time of tick k is ceil(k * 1e9 / 1193182).

struct FakeClock : Clock {
  uint64_t now = 0;
  uint64_t NowNs() const override { return now; }
};

struct RecordingLine : IrqLine {
  bool level = false;
  int rises = 0;
  std::vector<uint64_t> rise_times;
  const FakeClock* clock = nullptr;
  void SetLevel(bool high) override {
    if (high && !level) {
      ++rises;
      rise_times.push_back(clock->now);
    }
    level = high;
  }
};

struct PitTest : ::testing::Test {
  FakeClock clock;
  RecordingLine irq0;
  Pit8254 pit{&clock, (irq0.clock = &clock, &irq0)};

  void Program(unsigned channel, uint8_t mode, uint16_t count) {
    pit.PortWrite(0x43, 1, (channel << 6) | 0x30 | (mode << 1));
    pit.PortWrite(0x40 + channel, 1, count & 0xff);
    pit.PortWrite(0x40 + channel, 1, count >> 8);
  }
  uint16_t ReadWord(unsigned channel) {
    uint16_t lo = pit.PortRead(0x40 + channel, 1);
    return lo | pit.PortRead(0x40 + channel, 1) << 8;
  }
  uint16_t LatchAndRead(unsigned channel) {
    pit.PortWrite(0x43, 1, channel << 6);
    return ReadWord(channel);
  }
  // Runs the board's timer loop until time end, advancing exactly to each event.
  void RunUntil(uint64_t end) {
    while (pit.NextEventNs() <= end) {
      clock.now = pit.NextEventNs();
      pit.Advance(clock.now);
    }
    clock.now = end;
    pit.Advance(end);
  }
};

TEST_F(PitTest, ResetStateRunsChannelZeroInMode3) {
  // QEMU's reset: mode 3, count 65536, so the first rising edge comes after 65536 ticks.
  EXPECT_TRUE(irq0.level);
  pit.PortWrite(0x43, 1, 0xc2);  // read-back status of channel 0
  EXPECT_EQ(pit.PortRead(0x40, 1), 0x80u | 0x30 | (3 << 1));
  EXPECT_EQ(pit.NextEventNs(), 54925402u);  // ceil(65536e9 / 1193182)
}

TEST_F(PitTest, Mode0CountsDownAndRaisesIrqOnceAtTerminalCount) {
  Program(0, 0, 5000);
  EXPECT_FALSE(irq0.level);  // mode 0 output starts low
  irq0.rises = 0;
  EXPECT_EQ(ReadWord(0), 5000);
  clock.now = 1000000;  // 1193 ticks
  EXPECT_EQ(ReadWord(0), 5000 - 1193);
  clock.now = 2000000;  // 2386 ticks
  EXPECT_EQ(LatchAndRead(0), 5000 - 2386);
  EXPECT_EQ(pit.NextEventNs(), 4190476u);
  pit.Advance(4190475);
  EXPECT_EQ(irq0.rises, 0);
  EXPECT_FALSE(pit.Out(0, 4190475));
  pit.Advance(4190476);
  EXPECT_EQ(irq0.rises, 1);
  EXPECT_TRUE(irq0.level);
  EXPECT_EQ(pit.NextEventNs(), ~0ull);
  RunUntil(100000000);
  EXPECT_EQ(irq0.rises, 1);
  // The counter keeps wrapping after terminal count: 100 ms is 119318 ticks.
  EXPECT_EQ(ReadWord(0), static_cast<uint16_t>(5000 - 119318));
  // Writing a new count restarts it with the output low.
  clock.now = 200000000;
  Program(0, 0, 1000);
  EXPECT_FALSE(irq0.level);
  EXPECT_EQ(pit.NextEventNs(), 200000000u + 838096);
}

TEST_F(PitTest, Mode2CountsReloadEachPeriod) {
  Program(0, 2, 1193);
  clock.now = 500000;  // 596 ticks
  EXPECT_EQ(ReadWord(0), 1193 - 596);
  clock.now = 1500000;  // 1789 ticks, into the second period
  EXPECT_EQ(ReadWord(0), 1193 - 596);
  clock.now = 999848;                    // tick 1193: just reloaded
  EXPECT_EQ(pit.Out(0, 999847), false);  // the one-clock low pulse before the reload
  EXPECT_EQ(pit.Out(0, 999848), true);
}

TEST_F(PitTest, Mode2RaisesIrqEveryPeriod) {
  Program(0, 2, 1193);
  irq0.rises = 0;
  irq0.rise_times.clear();
  EXPECT_EQ(pit.NextEventNs(), 999848u);
  RunUntil(10000000);
  std::vector<uint64_t> first = {999848, 1999695, 2999543};
  ASSERT_GE(irq0.rise_times.size(), 3u);
  EXPECT_EQ(std::vector<uint64_t>(irq0.rise_times.begin(), irq0.rise_times.begin() + 3), first);
  EXPECT_EQ(irq0.rises, 10);  // the 10th edge is at 9998475 ns
  EXPECT_EQ(irq0.rise_times.back(), 9998475u);
}

TEST_F(PitTest, Mode3SquareWave) {
  Program(0, 3, 100);
  irq0.rises = 0;
  EXPECT_TRUE(pit.Out(0, 0));
  EXPECT_TRUE(pit.Out(0, 41904));   // 49 ticks: still in the high half
  EXPECT_FALSE(pit.Out(0, 41905));  // 50 ticks
  EXPECT_FALSE(pit.Out(0, 83809));
  EXPECT_TRUE(pit.Out(0, 83810));  // 100 ticks: next period
  clock.now = 7000;                // 8 ticks: counts by two
  EXPECT_EQ(ReadWord(0), 100 - 16);
  clock.now = 20000;  // 23 ticks
  EXPECT_EQ(ReadWord(0), 100 - 46);
  clock.now = 70000;  // 83 ticks: 33 into the low half
  EXPECT_EQ(ReadWord(0), 100 - 66);
  EXPECT_EQ(pit.NextEventNs(), 83810u);
  RunUntil(83810 * 5);
  EXPECT_EQ(irq0.rises, 5);
}

TEST_F(PitTest, CatchesUpAfterALongGapWithOneEdge) {
  Program(0, 2, 2);  // ~600 kHz
  irq0.rises = 0;
  clock.now = 10000000000ull;  // 10 s: about six million periods
  pit.Advance(clock.now);
  EXPECT_EQ(irq0.rises, 1);
  EXPECT_GT(pit.NextEventNs(), clock.now);
  EXPECT_EQ(pit.NextEventNs(), 10000001677u);  // tick 11931822, the next multiple of 2
  pit.Advance(pit.NextEventNs());
  EXPECT_EQ(irq0.rises, 2);
}

TEST_F(PitTest, LatchHoldsTheCountUntilRead) {
  Program(0, 2, 10000);
  clock.now = 1000000;
  pit.PortWrite(0x43, 1, 0x00);  // latch channel 0
  clock.now = 2000000;
  pit.PortWrite(0x43, 1, 0x00);  // ignored: already latched
  EXPECT_EQ(ReadWord(0), 10000 - 1193);
  EXPECT_EQ(ReadWord(0), 10000 - 2386);  // live again
  // A latched value does not move with time.
  pit.PortWrite(0x43, 1, 0x00);
  clock.now = 3000000;
  EXPECT_EQ(ReadWord(0), 10000 - 2386);
}

TEST_F(PitTest, ReadBackLatchesStatusThenCount) {
  Program(1, 2, 300);
  clock.now = 30000;             // 35 ticks
  pit.PortWrite(0x43, 1, 0xc4);  // read-back count and status of channel 1
  clock.now = 70000;
  EXPECT_EQ(pit.PortRead(0x41, 1), 0x80u | 0x30 | (2 << 1));  // out high, lohi, mode 2
  EXPECT_EQ(ReadWord(1), 300 - 35);
  // Null count between a control word and its count.
  pit.PortWrite(0x43, 1, 0x76);  // channel 1, lohi, mode 3
  pit.PortWrite(0x43, 1, 0xe4);  // status only
  EXPECT_EQ(pit.PortRead(0x41, 1), 0x40u | 0x80 | 0x30 | (3 << 1));
  pit.PortWrite(0x43, 1, 0xdc);             // count only, channels 1 and 2 (bits 2 and 3)
  EXPECT_EQ(pit.PortRead(0x42, 1), 0x00u);  // channel 2 reset count 65536 reads as 0
}

TEST_F(PitTest, LowAndHighByteAccessModes) {
  pit.PortWrite(0x43, 1, 0x10);  // channel 0, LSB only, mode 0
  pit.PortWrite(0x40, 1, 0x50);
  EXPECT_EQ(pit.PortRead(0x40, 1), 0x50u);
  EXPECT_EQ(pit.PortRead(0x40, 1), 0x50u);
  EXPECT_EQ(pit.NextEventNs(), 67048u);  // 0x50 = 80 ticks
  pit.PortWrite(0x43, 1, 0x20);          // MSB only
  pit.PortWrite(0x40, 1, 0x12);
  EXPECT_EQ(pit.PortRead(0x40, 1), 0x12u);
  clock.now = 1000000;  // 0x1200 - 1193 = 0x0d57
  EXPECT_EQ(pit.PortRead(0x40, 1), 0x0du);
  pit.PortWrite(0x43, 1, 0x00);
  EXPECT_EQ(pit.PortRead(0x40, 1), 0x0du);  // MSB-only latch reads one byte
  EXPECT_EQ(pit.PortRead(0x40, 1), 0x0du);
}

TEST_F(PitTest, Mode4StrobeRisesAfterTerminalCount) {
  Program(0, 4, 1000);
  EXPECT_TRUE(irq0.level);
  irq0.rises = 0;
  EXPECT_FALSE(pit.Out(0, 838096));       // tick 1000: the strobe
  EXPECT_EQ(pit.NextEventNs(), 838934u);  // tick 1001
  RunUntil(10000000);
  EXPECT_EQ(irq0.rises, 1);
}

TEST_F(PitTest, Channel2GateAndOutputThroughPort61) {
  // Linux's TSC calibration: gate high, speaker off, mode 0 on channel 2, poll bit 5.
  EXPECT_EQ(pit.PortRead(0x61, 1) & 0x21u, 0x20u);  // gate low: mode 3 holds its output high
  pit.PortWrite(0x61, 1, 0x01);
  Program(2, 0, 1000);
  EXPECT_EQ(pit.PortRead(0x61, 1) & 0x21u, 0x01u);
  clock.now = 838095;
  EXPECT_EQ(pit.PortRead(0x61, 1) & 0x20u, 0x00u);
  clock.now = 838096;
  EXPECT_EQ(pit.PortRead(0x61, 1) & 0x20u, 0x20u);
  EXPECT_TRUE(pit.Out2());
  // The refresh bit toggles every 15085 ns.
  clock.now = 15085 * 10;
  uint32_t refresh = pit.PortRead(0x61, 1) & 0x10;
  clock.now += 15085;
  EXPECT_NE(pit.PortRead(0x61, 1) & 0x10, refresh);

  // Mode 2 with the gate low waits; the rising edge starts the count.
  pit.PortWrite(0x61, 1, 0x00);
  clock.now = 1000000;
  Program(2, 2, 500);
  clock.now = 2000000;
  EXPECT_EQ(ReadWord(2), 500);
  pit.SetGate2(true);
  clock.now = 2000000 + 1000000;
  EXPECT_EQ(ReadWord(2), 500 - 1193 % 500);
  pit.SetGate2(false);  // stops, output high
  EXPECT_TRUE(pit.Out2());
}

TEST_F(PitTest, Mode1And5StartOnTheGate) {
  pit.PortWrite(0x61, 1, 0x00);
  Program(2, 1, 1000);
  EXPECT_TRUE(pit.Out2());  // waiting for the trigger
  clock.now = 500000;
  pit.PortWrite(0x61, 1, 0x01);  // trigger
  EXPECT_FALSE(pit.Out2());
  clock.now = 500000 + 838095;
  EXPECT_FALSE(pit.Out2());
  clock.now = 500000 + 838096;
  EXPECT_TRUE(pit.Out2());
  pit.PortWrite(0x61, 1, 0x00);
  Program(2, 5, 1000);
  clock.now = 3000000;
  pit.SetGate2(true);
  clock.now += 838096;  // tick 1000: the strobe
  EXPECT_FALSE(pit.Out2());
  clock.now += 1000;
  EXPECT_TRUE(pit.Out2());
}

TEST_F(PitTest, OddPortsAndSizesAreHarmless) {
  EXPECT_EQ(pit.PortRead(0x43, 1), 0xffu);
  EXPECT_EQ(pit.PortRead(0x44, 4), 0xffu);
  pit.PortWrite(0x44, 4, 0xffffffff);
  pit.PortWrite(0x43, 4, 0x12345634);  // only the low byte: channel 0, lohi, mode 2
  pit.PortWrite(0x40, 1, 0);
  pit.PortWrite(0x40, 1, 0);  // count 0 is 65536
  EXPECT_EQ(pit.NextEventNs(), 54925402u);
}

}  // namespace
}  // namespace doppel::devices
