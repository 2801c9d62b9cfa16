// devices/pit8254.cpp: 8254 counters computed from Clock time, the latch/read-back protocol, and
// coalesced IRQ 0 edges for the board's timer loop.
#include "devices/pit8254.h"

#include <algorithm>

namespace doppel::devices {

namespace {

constexpr uint64_t kNsPerSecond = 1000000000;
constexpr uint64_t kNever = ~0ull;
// Port 0x61 bit 4 toggles with DRAM refresh every 15.085 us; delay loops in firmware and old
// kernels wait for it to flip.
constexpr uint64_t kRefreshToggleNs = 15085;

// Modes 2 and 3 with a count of 1 are illegal on the chip; run them with period 2.
uint64_t Period(uint32_t count) { return std::max<uint32_t>(count, 2); }

}  // namespace

Pit8254::Pit8254(const Clock* clock, IrqLine* irq0) : clock_(clock), irq0_(irq0) {
  // QEMU's reset state, standing in for the BIOS: every channel in mode 3 with count 65536,
  // gates 0 and 1 tied high, gate 2 low; so channel 0 runs at 18.2 Hz from the start.
  uint64_t now = clock_->NowNs();
  processed_ns_ = now;
  for (unsigned i = 0; i < channels_.size(); ++i) {
    Channel& ch = channels_[i];
    ch.mode = 3;
    ch.gate = i != 2;
    LoadCount(ch, 0, now);
  }
  SyncLine(now);
}

uint64_t Pit8254::Ticks(const Channel& ch, uint64_t now_ns) const {
  if (now_ns <= ch.start_ns) return 0;
  unsigned __int128 elapsed = now_ns - ch.start_ns;
  return static_cast<uint64_t>(elapsed * kFrequencyHz / kNsPerSecond);
}

uint64_t Pit8254::TickTimeNs(const Channel& ch, uint64_t tick) const {
  // The first time at which Ticks() reaches tick: ceil(tick * 1e9 / f) after the start.
  unsigned __int128 ns =
      (static_cast<unsigned __int128>(tick) * kNsPerSecond + kFrequencyHz - 1) / kFrequencyHz;
  unsigned __int128 at = ns + ch.start_ns;
  return at >= kNever ? kNever - 1 : static_cast<uint64_t>(at);
}

uint16_t Pit8254::CountValue(const Channel& ch, uint64_t now_ns) const {
  if (!ch.counting) return static_cast<uint16_t>(ch.count);
  uint64_t d = Ticks(ch, now_ns);
  uint64_t n = ch.count;
  switch (ch.mode) {
    case 2: return static_cast<uint16_t>(n - d % n);
    case 3: {
      // The counter steps by two, reloading at each half period.
      if (n % 2 == 0) return static_cast<uint16_t>(n - 2 * (d % (n / 2)));
      uint64_t p = d % n, high = (n + 1) / 2;
      return static_cast<uint16_t>(p < high ? n - 2 * p : n - 1 - 2 * (p - high));
    }
    default:  // 0, 1, 4, 5: count down once and keep wrapping through 0xffff
      return static_cast<uint16_t>(n - d);
  }
}

bool Pit8254::Out(unsigned channel, uint64_t now_ns) const {
  const Channel& ch = channels_[channel % channels_.size()];
  if (!ch.counting) return ch.mode != 0;  // mode 0 starts low, the others high
  uint64_t d = Ticks(ch, now_ns);
  uint64_t n = ch.count;
  switch (ch.mode) {
    case 0:
    case 1: return d >= n;
    case 2: return d % Period(ch.count) != Period(ch.count) - 1;
    case 3: return d % Period(ch.count) < (Period(ch.count) + 1) / 2;
    default: return d != n;  // 4, 5
  }
}

uint64_t Pit8254::NextRiseTick(const Channel& ch, uint64_t d) const {
  uint64_t n = ch.count;
  switch (ch.mode) {
    case 0:
    case 1: return d < n ? n : kNever;
    case 2:
    case 3: return (d / Period(ch.count) + 1) * Period(ch.count);
    default: return d < n + 1 ? n + 1 : kNever;  // 4, 5: the end of the strobe
  }
}

uint64_t Pit8254::NextRiseNs(const Channel& ch, uint64_t after_ns) const {
  if (!ch.counting) return kNever;
  uint64_t d = after_ns < ch.start_ns ? 0 : Ticks(ch, after_ns);
  uint64_t tick = NextRiseTick(ch, d);
  if (tick == kNever) return kNever;
  // A start in the future (never the case with a monotonic clock) still gives a later edge.
  return std::max(TickTimeNs(ch, tick), after_ns + 1);
}

uint64_t Pit8254::NextEventNs() const { return NextRiseNs(channels_[0], processed_ns_); }

void Pit8254::Advance(uint64_t now_ns) {
  if (now_ns < processed_ns_) return;
  bool rose = NextRiseNs(channels_[0], processed_ns_) <= now_ns;
  processed_ns_ = now_ns;
  if (!irq0_) return;
  if (rose) {
    if (line_level_) irq0_->SetLevel(false);
    irq0_->SetLevel(true);
    line_level_ = true;
  }
  SyncLine(now_ns);
}

void Pit8254::SyncLine(uint64_t now_ns) {
  bool out = Out(0, now_ns);
  if (irq0_ && out != line_level_) irq0_->SetLevel(out);
  line_level_ = out;
}

void Pit8254::LoadCount(Channel& ch, uint32_t count, uint64_t now_ns) {
  ch.count = count == 0 ? 0x10000 : count;
  ch.armed = true;
  ch.start_ns = now_ns;
  // Modes 1 and 5 wait for a gate edge; 2 and 3 count only while the gate is high.
  bool gate_started = ch.mode == 1 || ch.mode == 5;
  ch.counting = !gate_started && (ch.gate || ch.mode == 0 || ch.mode == 4);
}

void Pit8254::SetGate(Channel& ch, bool high, uint64_t now_ns) {
  bool rising = high && !ch.gate;
  ch.gate = high;
  if (!ch.armed) return;
  switch (ch.mode) {
    case 1:
    case 5:
    case 2:
    case 3:
      if (rising) {
        ch.counting = true;
        ch.start_ns = now_ns;
      } else if (!high && (ch.mode == 2 || ch.mode == 3)) {
        ch.counting = false;  // out goes high and the count waits for the next rising edge
      }
      break;
    default: break;  // 0 and 4: gate ignored, as in QEMU
  }
}

void Pit8254::SetGate2(bool high) {
  uint64_t now = clock_->NowNs();
  Advance(now);
  SetGate(channels_[2], high, now);
  port61_ = static_cast<uint8_t>((port61_ & ~1u) | (high ? 1 : 0));
}

void Pit8254::LatchCount(Channel& ch, uint64_t now_ns) {
  if (ch.latch_state != 0) return;  // a second latch before the read is ignored
  ch.latched_count = CountValue(ch, now_ns);
  ch.latch_state = ch.access;
}

void Pit8254::LatchStatus(Channel& ch, unsigned index, uint64_t now_ns) {
  if (ch.status_latched) return;
  ch.status = static_cast<uint8_t>((Out(index, now_ns) ? 0x80 : 0) | (ch.armed ? 0 : 0x40) |
                                   (ch.access << 4) | (ch.mode << 1) | (ch.bcd ? 1 : 0));
  ch.status_latched = true;
}

void Pit8254::WriteControl(uint8_t value, uint64_t now_ns) {
  unsigned select = value >> 6;
  if (select == 3) {  // read-back: bit 5 clear latches counts, bit 4 clear latches status
    for (unsigned i = 0; i < channels_.size(); ++i) {
      if (!(value & (2u << i))) continue;
      if (!(value & 0x20)) LatchCount(channels_[i], now_ns);
      if (!(value & 0x10)) LatchStatus(channels_[i], i, now_ns);
    }
    return;
  }
  Channel& ch = channels_[select];
  uint8_t access = (value >> 4) & 3;
  if (access == kLatchCmd) {
    LatchCount(ch, now_ns);
    return;
  }
  // A control word resets the channel's control logic: it waits for a new count.
  ch.access = access;
  ch.read_state = ch.write_state = access;
  ch.mode = (value >> 1) & 7;
  if (ch.mode > 5) ch.mode -= 4;  // 6 and 7 alias modes 2 and 3
  ch.bcd = value & 1;
  ch.latch_state = 0;
  ch.status_latched = false;
  ch.armed = false;
  ch.counting = false;
}

void Pit8254::WriteCount(Channel& ch, uint8_t value, uint64_t now_ns) {
  switch (ch.write_state) {
    case kLsb: LoadCount(ch, value, now_ns); break;
    case kMsb: LoadCount(ch, uint32_t{value} << 8, now_ns); break;
    case kWord:
      ch.write_low = value;
      ch.write_state = kWordHigh;
      // Mode 0 stops counting when the first byte of a new count arrives.
      if (ch.mode == 0) ch.counting = false;
      break;
    default:
      LoadCount(ch, ch.write_low | uint32_t{value} << 8, now_ns);
      ch.write_state = kWord;
      break;
  }
}

uint8_t Pit8254::ReadCount(Channel& ch, uint64_t now_ns) {
  if (ch.status_latched) {
    ch.status_latched = false;
    return ch.status;
  }
  if (ch.latch_state != 0) {
    switch (ch.latch_state) {
      case kLsb: ch.latch_state = 0; return ch.latched_count & 0xff;
      case kMsb: ch.latch_state = 0; return ch.latched_count >> 8;
      case kWord: ch.latch_state = kWordHigh; return ch.latched_count & 0xff;
      default: ch.latch_state = 0; return ch.latched_count >> 8;
    }
  }
  uint16_t count = CountValue(ch, now_ns);
  switch (ch.read_state) {
    case kLsb: return count & 0xff;
    case kMsb: return count >> 8;
    case kWord: ch.read_state = kWordHigh; return count & 0xff;
    default: ch.read_state = kWord; return count >> 8;
  }
}

uint32_t Pit8254::PortRead(uint16_t port, unsigned size) {
  uint64_t now = clock_->NowNs();
  Advance(now);
  switch (port) {
    case 0x40:
    case 0x41:
    case 0x42: return ReadCount(channels_[port - 0x40], now);
    case 0x43: return 0xff;  // the control register is write-only
    case 0x61: {
      uint32_t refresh = (now / kRefreshToggleNs) & 1;
      return (port61_ & 0x0f) | refresh << 4 | (Out(2, now) ? 0x20 : 0);
    }
    default: return 0xff;
  }
}

void Pit8254::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  uint64_t now = clock_->NowNs();
  Advance(now);
  uint8_t byte = static_cast<uint8_t>(value);
  switch (port) {
    case 0x40:
    case 0x41:
    case 0x42: WriteCount(channels_[port - 0x40], byte, now); break;
    case 0x43: WriteControl(byte, now); break;
    case 0x61:
      SetGate(channels_[2], byte & 1, now);
      port61_ = byte & 0x0f;
      break;
    default: return;
  }
  SyncLine(now);
}

}  // namespace doppel::devices
