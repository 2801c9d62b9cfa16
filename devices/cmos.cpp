// devices/cmos.cpp: RTC time keeping from an epoch plus the device clock, BCD/binary and 12/24-hour
// encodings, the periodic/update/alarm interrupts and QEMU's memory-size bytes.
#include "devices/cmos.h"

#include <algorithm>

#include "devices/byte_ports.h"

namespace doppel::devices {

namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr uint64_t kRtcHz = 32768;
constexpr uint8_t kAUpdateInProgress = 0x80;
constexpr uint8_t kDValidRam = 0x80;
constexpr uint8_t kCInterruptMask = 0x70;
constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), and back: the usual era-based
// civil calendar arithmetic.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = FloorDiv(y, 400);
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year, month, day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (month <= 2), month, day};
}

// Clock times beyond 2^62 ns (146 years) are clamped so the time arithmetic cannot overflow.
constexpr uint64_t kMaxNs = 1ull << 62;
constexpr int64_t kFirstSecond = -62'167'219'200;  // 0000-01-01 00:00:00
constexpr int64_t kLastSecond = 253'402'300'799;   // 9999-12-31 23:59:59

uint64_t Clamp16(uint64_t value) { return std::min<uint64_t>(value, 0xffff); }

}  // namespace

Cmos::Cmos(uint64_t ram_bytes, int64_t epoch_seconds, const Clock* clock, IrqLine* irq,
           uint64_t ram_below_4g)
    : clock_(clock), irq_(irq) {
  // QEMU's power-on register values: 32.768 kHz time base with a 1024 Hz periodic rate, 24-hour
  // BCD mode, valid RAM.
  data_[kRegA] = 0x26;
  data_[kRegB] = kB24Hour;
  data_[kRegC] = 0;
  data_[kRegD] = kDValidRam;

  // Memory-size bytes as QEMU's pc_cmos_init sets them.
  uint64_t below = ram_below_4g;
  if (below == kDeriveBelow4g) below = ram_bytes >= 0xe0000000ull ? 0xc0000000ull : ram_bytes;
  below = std::min(below, ram_bytes);
  uint64_t above = ram_bytes - below;
  uint64_t base_kib = std::min<uint64_t>(below / kKiB, 640);
  data_[0x15] = static_cast<uint8_t>(base_kib);
  data_[0x16] = static_cast<uint8_t>(base_kib >> 8);
  uint64_t ext_kib = Clamp16(below > kMiB ? (below - kMiB) / kKiB : 0);
  data_[0x17] = data_[0x30] = static_cast<uint8_t>(ext_kib);
  data_[0x18] = data_[0x31] = static_cast<uint8_t>(ext_kib >> 8);
  uint64_t above16m = Clamp16(below > 16 * kMiB ? (below - 16 * kMiB) / (64 * kKiB) : 0);
  data_[0x34] = static_cast<uint8_t>(above16m);
  data_[0x35] = static_cast<uint8_t>(above16m >> 8);
  uint64_t above4g = above / (64 * kKiB);
  data_[0x5b] = static_cast<uint8_t>(above4g);
  data_[0x5c] = static_cast<uint8_t>(above4g >> 8);
  data_[0x5d] = static_cast<uint8_t>(above4g >> 16);

  // Years 0-9999 are what the RTC's century and year bytes can show.
  base_seconds_ = std::clamp<int64_t>(epoch_seconds, kFirstSecond, kLastSecond);
  base_ns_ = 0;
  StoreTime(RtcSeconds());
}

int64_t Cmos::Now() const {
  return clock_ ? static_cast<int64_t>(std::min(clock_->NowNs(), kMaxNs)) : 0;
}

bool Cmos::Running() const {
  // The clock counts unless SET is on or the divider chain is held in reset (A bits 6-4 > 010).
  return !(data_[kRegB] & kBSet) && (data_[kRegA] & 0x70) <= 0x20;
}

int64_t Cmos::RtcSeconds() const {
  if (!Running()) return TimeFromRegisters();
  return base_seconds_ + FloorDiv(Now() - base_ns_, kNsPerSecond);
}

uint8_t Cmos::ToBcd(int64_t value) const {
  if (data_[kRegB] & kBBinary) return static_cast<uint8_t>(value);
  value = FloorMod(value, 100);
  return static_cast<uint8_t>(((value / 10) << 4) | (value % 10));
}

int64_t Cmos::FromBcd(uint8_t value) const {
  if (data_[kRegB] & kBBinary) return value;
  return (value >> 4) * 10 + (value & 0x0f);
}

void Cmos::StoreTime(int64_t seconds) {
  int64_t days = FloorDiv(seconds, 86400);
  int64_t in_day = seconds - days * 86400;
  int64_t hour = in_day / 3600;
  Civil date = CivilFromDays(days);
  data_[kSeconds] = ToBcd(in_day % 60);
  data_[kMinutes] = ToBcd(in_day / 60 % 60);
  if (data_[kRegB] & kB24Hour) {
    data_[kHours] = ToBcd(hour);
  } else {
    // 12-hour mode: 12, 1, ..., 11 with bit 7 marking PM.
    data_[kHours] = ToBcd(hour % 12 ? hour % 12 : 12) | (hour >= 12 ? 0x80 : 0);
  }
  data_[kWeekday] = ToBcd(FloorMod(days + 4, 7) + 1);  // 1 = Sunday; 1970-01-01 was a Thursday
  data_[kDayOfMonth] = ToBcd(date.day);
  data_[kMonth] = ToBcd(date.month);
  data_[kYear] = ToBcd(FloorMod(date.year, 100));
  data_[kCentury] = ToBcd(FloorDiv(date.year, 100));
}

int64_t Cmos::TimeFromRegisters() const {
  int64_t second = FromBcd(data_[kSeconds]);
  int64_t minute = FromBcd(data_[kMinutes]);
  int64_t hour = FromBcd(data_[kHours] & 0x7f);
  if (!(data_[kRegB] & kB24Hour)) {
    hour %= 12;
    if (data_[kHours] & 0x80) hour += 12;
  }
  int64_t day = FromBcd(data_[kDayOfMonth]);
  // Out-of-range months (guest garbage) carry into the year instead of indexing anything.
  int64_t month0 = FromBcd(data_[kMonth]) - 1;
  int64_t year = FromBcd(data_[kYear]) + FromBcd(data_[kCentury]) * 100 + FloorDiv(month0, 12);
  int64_t days = DaysFromCivil(year, FloorMod(month0, 12) + 1, day);
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

void Cmos::Freeze(int64_t now) {
  StoreTime(base_seconds_ + FloorDiv(now - base_ns_, kNsPerSecond));
}

void Cmos::SetTimeFromRegisters(int64_t now) {
  // The sub-second phase keeps running, as in QEMU: the next second starts when it would have.
  int64_t phase = FloorMod(now - base_ns_, kNsPerSecond);
  base_seconds_ = TimeFromRegisters();
  base_ns_ = now - phase;
}

uint32_t Cmos::PortRead(uint16_t port, unsigned size) {
  uint16_t base = port & ~1u;
  return ReadBytePorts(port, size, base, 2, [&](uint16_t p) -> uint8_t {
    // The index register is write-only; QEMU reads it as 0xff.
    return (p & 1) ? ReadData() : 0xff;
  });
}

void Cmos::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  uint16_t base = port & ~1u;
  WriteBytePorts(port, size, value, base, 2, [&](uint16_t p, uint8_t byte) {
    if (p & 1) {
      WriteData(byte);
    } else {
      index_ = byte & 0x7f;
      nmi_disabled_ = byte & 0x80;
    }
  });
}

uint8_t Cmos::ReadData() {
  switch (index_) {
    case kSeconds:
    case kMinutes:
    case kHours:
    case kWeekday:
    case kDayOfMonth:
    case kMonth:
    case kYear:
    case kCentury:
      if (Running()) Freeze(Now());
      return data_[index_];
    case kRegA: return data_[kRegA] & ~kAUpdateInProgress;  // never inside an update cycle
    case kRegC: {
      uint8_t value = data_[kRegC];
      data_[kRegC] = 0;
      UpdateIrq();
      return value;
    }
    case kRegD: return kDValidRam;
    default: return data_[index_];
  }
}

void Cmos::WriteData(uint8_t value) {
  int64_t now = Now();
  switch (index_) {
    case kSeconds:
    case kMinutes:
    case kHours:
    case kWeekday:
    case kDayOfMonth:
    case kMonth:
    case kYear:
    case kCentury:
      if (Running()) {
        // Setting one field of a running clock keeps the others at their current values.
        Freeze(now);
        data_[index_] = value;
        SetTimeFromRegisters(now);
      } else {
        data_[index_] = value;  // takes effect when SET is cleared
      }
      break;
    case kRegA: {
      bool was_running = Running();
      if (was_running) Freeze(now);
      data_[kRegA] = value & ~kAUpdateInProgress;
      if (!was_running && Running()) SetTimeFromRegisters(now);
      break;
    }
    case kRegB: {
      bool was_running = Running();
      if (value & kBSet) {
        if (was_running) Freeze(now);
        value &= ~kBUpdate;  // QEMU: no update interrupts while the clock is being set
      }
      // A format change re-encodes the running time; a stopped clock keeps its raw bytes.
      data_[kRegB] = value;
      if (Running()) {
        if (was_running) {
          StoreTime(base_seconds_ + FloorDiv(now - base_ns_, kNsPerSecond));
        } else {
          SetTimeFromRegisters(now);
        }
      }
      break;
    }
    case kRegC:
    case kRegD: break;  // read-only
    default: data_[index_] = value; break;
  }
  if (index_ == kRegA || index_ == kRegB || index_ <= kYear || index_ == kCentury) {
    ScheduleEvents(now);
  }
  // An interrupt whose flag is already set fires as soon as it is enabled.
  UpdateIrq();
}

void Cmos::ScheduleEvents(int64_t now) {
  next_periodic_ns_ = ~0ull;
  next_update_ns_ = ~0ull;
  unsigned rate = data_[kRegA] & 0x0f;
  if ((data_[kRegB] & kBPeriodic) && rate != 0 && now >= 0) {
    // Rates 1 and 2 alias 8 and 9 with the 32.768 kHz time base; the period is 2^(rate-1) ticks.
    if (rate <= 2) rate += 7;
    uint64_t period = 1ull << (rate - 1);
    // QEMU aligns periodic interrupts to multiples of the period on the RTC time base.
    unsigned __int128 ticks = static_cast<unsigned __int128>(now) * kRtcHz / kNsPerSecond;
    unsigned __int128 next_tick = (ticks / period + 1) * period;
    unsigned __int128 ns = (next_tick * kNsPerSecond + kRtcHz - 1) / kRtcHz;
    if (ns <= static_cast<unsigned __int128>(now)) ns = now + 1;
    next_periodic_ns_ = static_cast<uint64_t>(ns);
  }
  if ((data_[kRegB] & (kBUpdate | kBAlarm)) && Running()) {
    int64_t next = base_ns_ + (FloorDiv(now - base_ns_, kNsPerSecond) + 1) * kNsPerSecond;
    if (next > 0) next_update_ns_ = static_cast<uint64_t>(next);
  }
}

uint64_t Cmos::NextEventNs() const { return std::min(next_periodic_ns_, next_update_ns_); }

void Cmos::Advance(uint64_t now_ns) {
  now_ns = std::min(now_ns, kMaxNs);
  int64_t now = static_cast<int64_t>(now_ns);
  bool changed = false;
  if (now_ns >= next_periodic_ns_) {
    data_[kRegC] |= kCPeriodic;  // missed periods coalesce into one flag, as on hardware
    changed = true;
  }
  if (now_ns >= next_update_ns_ && Running()) {
    data_[kRegC] |= kCUpdate;
    Freeze(now);
    // An alarm byte with its top two bits set matches any value.
    auto matches = [&](uint8_t alarm, uint8_t current) {
      return (alarm & 0xc0) == 0xc0 || alarm == current;
    };
    if (matches(data_[kSecondsAlarm], data_[kSeconds]) &&
        matches(data_[kMinutesAlarm], data_[kMinutes]) &&
        matches(data_[kHoursAlarm], data_[kHours])) {
      data_[kRegC] |= kCAlarm;
    }
    changed = true;
  }
  if (changed) {
    ScheduleEvents(now);
    UpdateIrq();
  }
}

void Cmos::Reset() {
  // QEMU rtc_reset: the interrupt enables and flags clear; time and RAM are battery-backed.
  data_[kRegB] &= ~(kBPeriodic | kBAlarm | 0x08);
  data_[kRegC] = 0;
  ScheduleEvents(Now());
  UpdateIrq();
}

void Cmos::UpdateIrq() {
  if (data_[kRegC] & data_[kRegB] & kCInterruptMask) {
    data_[kRegC] |= kCIrq;
  } else {
    data_[kRegC] &= ~kCIrq;
  }
  bool level = data_[kRegC] & kCIrq;
  if (level != irq_level_) {
    irq_level_ = level;
    if (irq_) irq_->SetLevel(level);
  }
}

}  // namespace doppel::devices
