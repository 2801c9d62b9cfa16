// tests/devices/cmos_test.cpp: RTC time from a fixed epoch in BCD/binary and 12/24-hour modes,
// setting the clock, status registers, periodic/update/alarm interrupts and the memory-size bytes.
#include "devices/cmos.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>

#include "tests/devices/port_test_util.h"

namespace doppel::devices {
namespace {

using testing::FakeClock;
using testing::RecordingIrqLine;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kSecond = 1'000'000'000;
// 2023-11-14 22:13:20 UTC plus some: a PM hour, two-digit fields that differ in BCD and binary.
constexpr int64_t kEpoch = 1'700'000'000;

uint8_t Bcd(int v) { return static_cast<uint8_t>(((v / 10) << 4) | (v % 10)); }

struct CmosTest : ::testing::Test {
  FakeClock clock;
  RecordingIrqLine irq;
  Cmos cmos{256 * kMiB, kEpoch, &clock, &irq};
  uint8_t Get(uint8_t index) {
    cmos.PortWrite(0x70, 1, index);
    return static_cast<uint8_t>(cmos.PortRead(0x71, 1));
  }
  void Set(uint8_t index, uint8_t value) {
    cmos.PortWrite(0x70, 1, index);
    cmos.PortWrite(0x71, 1, value);
  }
  static std::tm Utc(int64_t seconds) {
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm;
  }
  // Checks every time register against gmtime_r, encoded with enc, hours given separately.
  void ExpectTime(int64_t seconds, uint8_t (*enc)(int), uint8_t hours) {
    std::tm tm = Utc(seconds);
    EXPECT_EQ(Get(Cmos::kSeconds), enc(tm.tm_sec));
    EXPECT_EQ(Get(Cmos::kMinutes), enc(tm.tm_min));
    EXPECT_EQ(Get(Cmos::kHours), hours);
    EXPECT_EQ(Get(Cmos::kWeekday), enc(tm.tm_wday + 1));
    EXPECT_EQ(Get(Cmos::kDayOfMonth), enc(tm.tm_mday));
    EXPECT_EQ(Get(Cmos::kMonth), enc(tm.tm_mon + 1));
    EXPECT_EQ(Get(Cmos::kYear), enc((tm.tm_year + 1900) % 100));
    EXPECT_EQ(Get(Cmos::kCentury), enc((tm.tm_year + 1900) / 100));
  }
};

uint8_t Bin(int v) { return static_cast<uint8_t>(v); }

TEST_F(CmosTest, EpochZeroIs1970) {
  Cmos rtc(64 * kMiB, 0, &clock, nullptr);
  auto get = [&](uint8_t i) {
    rtc.PortWrite(0x70, 1, i);
    return rtc.PortRead(0x71, 1);
  };
  EXPECT_EQ(get(Cmos::kSeconds), 0u);
  EXPECT_EQ(get(Cmos::kHours), 0u);
  EXPECT_EQ(get(Cmos::kDayOfMonth), 0x01u);
  EXPECT_EQ(get(Cmos::kMonth), 0x01u);
  EXPECT_EQ(get(Cmos::kYear), 0x70u);
  EXPECT_EQ(get(Cmos::kCentury), 0x19u);
  EXPECT_EQ(get(Cmos::kWeekday), 0x05u);  // Thursday (Sunday = 1)
}

TEST_F(CmosTest, BcdTwentyFourHourByDefault) {
  EXPECT_EQ(Get(Cmos::kRegB), 0x02);
  std::tm tm = Utc(kEpoch);
  ExpectTime(kEpoch, Bcd, Bcd(tm.tm_hour));
}

TEST_F(CmosTest, BinaryMode) {
  Set(Cmos::kRegB, Cmos::kB24Hour | Cmos::kBBinary);
  std::tm tm = Utc(kEpoch);
  ExpectTime(kEpoch, Bin, Bin(tm.tm_hour));
}

TEST_F(CmosTest, TwelveHourModeMarksPm) {
  Set(Cmos::kRegB, 0x00);  // BCD, 12-hour
  std::tm tm = Utc(kEpoch);
  ASSERT_GE(tm.tm_hour, 12);  // the epoch was chosen in the afternoon
  int h12 = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
  ExpectTime(kEpoch, Bcd, static_cast<uint8_t>(Bcd(h12) | 0x80));
  Set(Cmos::kRegB, Cmos::kBBinary);  // binary, 12-hour
  ExpectTime(kEpoch, Bin, static_cast<uint8_t>(h12 | 0x80));
  // Midnight is 12 AM.
  Cmos midnight(64 * kMiB, 86400 * 3, &clock, nullptr);
  midnight.PortWrite(0x70, 1, Cmos::kRegB);
  midnight.PortWrite(0x71, 1, 0x00);
  midnight.PortWrite(0x70, 1, Cmos::kHours);
  EXPECT_EQ(midnight.PortRead(0x71, 1), 0x12u);
}

TEST_F(CmosTest, TimeAdvancesWithTheClock) {
  clock.now_ns = 3661 * kSecond + kSecond / 2;
  std::tm tm = Utc(kEpoch + 3661);
  ExpectTime(kEpoch + 3661, Bcd, Bcd(tm.tm_hour));
  EXPECT_EQ(cmos.RtcSeconds(), kEpoch + 3661);
}

TEST_F(CmosTest, SettingTheClockWithSetBit) {
  clock.now_ns = 10 * kSecond;
  Set(Cmos::kRegB, Cmos::kBSet | Cmos::kB24Hour);
  // 2001-02-03 04:05:06
  Set(Cmos::kSeconds, 0x06);
  Set(Cmos::kMinutes, 0x05);
  Set(Cmos::kHours, 0x04);
  Set(Cmos::kDayOfMonth, 0x03);
  Set(Cmos::kMonth, 0x02);
  Set(Cmos::kYear, 0x01);
  Set(Cmos::kCentury, 0x20);
  clock.now_ns = 20 * kSecond;  // frozen while SET is on
  EXPECT_EQ(Get(Cmos::kSeconds), 0x06);
  Set(Cmos::kRegB, Cmos::kB24Hour);
  std::tm want{};
  want.tm_year = 101;
  want.tm_mon = 1;
  want.tm_mday = 3;
  want.tm_hour = 4;
  want.tm_min = 5;
  want.tm_sec = 6;
  int64_t set_seconds = timegm(&want);
  EXPECT_EQ(cmos.RtcSeconds(), set_seconds);
  clock.now_ns = 27 * kSecond;
  ExpectTime(set_seconds + 7, Bcd, 0x04);
  EXPECT_EQ(Get(Cmos::kWeekday), 0x07);  // a Saturday, computed by the RTC
}

TEST_F(CmosTest, WritingOneFieldOfARunningClock) {
  std::tm before = Utc(kEpoch);
  Set(Cmos::kMinutes, Bcd((before.tm_min + 1) % 60));
  int64_t expected = kEpoch + (before.tm_min == 59 ? -59 * 60 : 60);
  EXPECT_EQ(cmos.RtcSeconds(), expected);
  clock.now_ns = 2 * kSecond;
  EXPECT_EQ(Get(Cmos::kSeconds), Bcd(Utc(expected + 2).tm_sec));
}

TEST_F(CmosTest, StatusRegisters) {
  EXPECT_EQ(Get(Cmos::kRegA), 0x26);
  EXPECT_EQ(Get(Cmos::kRegD), 0x80);
  Set(Cmos::kRegD, 0x00);
  EXPECT_EQ(Get(Cmos::kRegD), 0x80);
  Set(Cmos::kRegA, 0xa6);  // UIP is read-only and reads as 0
  EXPECT_EQ(Get(Cmos::kRegA), 0x26);
  // Holding the divider in reset stops the clock; releasing it restarts from the same time.
  Set(Cmos::kRegA, 0x76);
  EXPECT_EQ(Get(Cmos::kRegA), 0x76);
  clock.now_ns = 100 * kSecond;
  EXPECT_EQ(cmos.RtcSeconds(), kEpoch);
  Set(Cmos::kRegA, 0x26);
  clock.now_ns = 103 * kSecond;
  EXPECT_EQ(cmos.RtcSeconds(), kEpoch + 3);
}

TEST_F(CmosTest, PeriodicInterruptOnIrq8) {
  EXPECT_EQ(cmos.NextEventNs(), ~0ull);
  Set(Cmos::kRegB, Cmos::kB24Hour | Cmos::kBPeriodic);  // rate 6: 1024 Hz
  EXPECT_EQ(cmos.NextEventNs(), 976563u);               // 32 ticks of 32.768 kHz, rounded up
  cmos.Advance(976562);
  EXPECT_FALSE(irq.level);
  cmos.Advance(976563);
  EXPECT_TRUE(irq.level);
  EXPECT_EQ(cmos.NextEventNs(), 1953125u);
  EXPECT_EQ(Get(Cmos::kRegC), 0xc0);  // IRQF | PF
  EXPECT_FALSE(irq.level);
  EXPECT_EQ(Get(Cmos::kRegC), 0x00);
  // Rate 15: 2 Hz.
  Set(Cmos::kRegA, 0x2f);
  EXPECT_EQ(cmos.NextEventNs(), 500'000'000u);
  Set(Cmos::kRegA, 0x20);  // rate 0: off
  EXPECT_EQ(cmos.NextEventNs(), ~0ull);
}

TEST_F(CmosTest, UpdateInterruptAndAlreadySetFlag) {
  clock.now_ns = kSecond / 4;
  Set(Cmos::kRegB, Cmos::kB24Hour | Cmos::kBUpdate);
  EXPECT_EQ(cmos.NextEventNs(), kSecond);
  cmos.Advance(kSecond);
  EXPECT_TRUE(irq.level);
  // Disabling the interrupt drops the line but keeps the flag; re-enabling raises it at once.
  Set(Cmos::kRegB, Cmos::kB24Hour);
  EXPECT_FALSE(irq.level);
  Set(Cmos::kRegB, Cmos::kB24Hour | Cmos::kBUpdate);
  EXPECT_TRUE(irq.level);
  EXPECT_EQ(Get(Cmos::kRegC), 0x90);
  EXPECT_FALSE(irq.level);
}

TEST_F(CmosTest, AlarmWithDontCareFields) {
  int second = Utc(kEpoch + 5).tm_sec;
  Set(Cmos::kSecondsAlarm, Bcd(second));
  Set(Cmos::kMinutesAlarm, 0xc0);
  Set(Cmos::kHoursAlarm, 0xff);
  Set(Cmos::kRegB, Cmos::kB24Hour | Cmos::kBAlarm);
  for (int s = 1; s <= 4; ++s) {
    clock.now_ns = s * kSecond;
    cmos.Advance(clock.now_ns);
    EXPECT_FALSE(irq.level) << s;
  }
  clock.now_ns = 5 * kSecond;
  cmos.Advance(clock.now_ns);
  EXPECT_TRUE(irq.level);
  EXPECT_EQ(Get(Cmos::kRegC) & 0xa0, 0xa0);
}

TEST_F(CmosTest, IndexPortNmiBitAndRam) {
  cmos.PortWrite(0x70, 1, 0x80 | 0x40);
  EXPECT_TRUE(cmos.NmiDisabled());
  cmos.PortWrite(0x71, 1, 0x5a);
  EXPECT_EQ(Get(0x40), 0x5a);
  EXPECT_FALSE(cmos.NmiDisabled());
  EXPECT_EQ(cmos.PortRead(0x70, 1), 0xffu);
  // A 16-bit write sets the index and the data at once.
  cmos.PortWrite(0x70, 2, 0xa541);
  EXPECT_EQ(cmos.Nvram(0x41), 0xa5);
}

TEST(CmosMemory, SizeBytesAsQemuSetsThem) {
  auto word = [](const Cmos& c, uint8_t lo) { return c.Nvram(lo) | (c.Nvram(lo + 1) << 8); };
  Cmos small(512 * 1024, 0, nullptr, nullptr);
  EXPECT_EQ(word(small, 0x15), 512);
  EXPECT_EQ(word(small, 0x17), 0);
  EXPECT_EQ(word(small, 0x34), 0);

  Cmos mid(32 * kMiB, 0, nullptr, nullptr);
  EXPECT_EQ(word(mid, 0x15), 640);
  EXPECT_EQ(word(mid, 0x17), 31 * 1024);
  EXPECT_EQ(word(mid, 0x30), 31 * 1024);
  EXPECT_EQ(word(mid, 0x34), 16 * 16);

  Cmos big(512 * kMiB, 0, nullptr, nullptr);
  EXPECT_EQ(word(big, 0x17), 0xffff);  // capped
  EXPECT_EQ(word(big, 0x34), (512 - 16) * 16);
  EXPECT_EQ(big.Nvram(0x5b) | big.Nvram(0x5c) << 8 | big.Nvram(0x5d) << 16, 0);

  Cmos huge(8192 * kMiB, 0, nullptr, nullptr);  // 3 GiB stay below 4 GiB, 5 GiB above
  EXPECT_EQ(word(huge, 0x34), (3072 - 16) * 16);
  EXPECT_EQ(huge.Nvram(0x5b) | huge.Nvram(0x5c) << 8 | huge.Nvram(0x5d) << 16, 5 * 1024 * 16);

  Cmos q35(8192 * kMiB, 0, nullptr, nullptr, 2048 * kMiB);  // board-chosen split
  EXPECT_EQ(word(q35, 0x34), (2048 - 16) * 16);
  EXPECT_EQ(q35.Nvram(0x5b) | q35.Nvram(0x5c) << 8 | q35.Nvram(0x5d) << 16, 6 * 1024 * 16);
}

TEST(CmosLimits, ExtremeEpochsAndClocksStayInRange) {
  FakeClock clock;
  for (int64_t epoch : {INT64_MIN, int64_t{-1}, INT64_MAX}) {
    Cmos cmos(~0ull, epoch, &clock, nullptr);
    for (uint64_t now : {0ull, 1ull << 40, ~0ull}) {
      clock.now_ns = now;
      cmos.PortWrite(0x70, 1, Cmos::kRegB);
      cmos.PortWrite(0x71, 1, Cmos::kBPeriodic | Cmos::kBUpdate | Cmos::kBAlarm | Cmos::kBBinary);
      cmos.Advance(now);
      cmos.Advance(cmos.NextEventNs());
      for (uint8_t reg : {Cmos::kSeconds, Cmos::kYear, Cmos::kCentury}) {
        cmos.PortWrite(0x70, 1, reg);
        EXPECT_LE(cmos.PortRead(0x71, 1), 0xffu);
      }
    }
  }
  Cmos late(0, INT64_MAX, nullptr, nullptr);
  late.PortWrite(0x70, 1, Cmos::kCentury);
  EXPECT_EQ(late.PortRead(0x71, 1), 0x99u);  // clamped to the year 9999
}

TEST(CmosReset, DisablesInterruptsKeepsTime) {
  FakeClock clock;
  RecordingIrqLine irq;
  Cmos cmos(64 * kMiB, 1000, &clock, &irq);
  cmos.PortWrite(0x70, 1, Cmos::kRegB);
  cmos.PortWrite(0x71, 1, Cmos::kB24Hour | Cmos::kBPeriodic);
  cmos.Advance(cmos.NextEventNs());
  EXPECT_TRUE(irq.level);
  cmos.Reset();
  EXPECT_FALSE(irq.level);
  EXPECT_EQ(cmos.NextEventNs(), ~0ull);
  EXPECT_EQ(cmos.RtcSeconds(), 1000);
}

}  // namespace
}  // namespace doppel::devices
