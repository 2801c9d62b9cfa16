// tests/devices/interrupt_fuzz_test.cpp: random register traffic (fixed seed) to the PIC, PIT,
// local APIC and I/O APIC wired as a board would wire them; checks that nothing crashes and that
// the timers never report an expiry they have already processed (which would hang a board loop).
#include <gtest/gtest.h>

#include <random>

#include "devices/ioapic.h"
#include "devices/local_apic.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"

namespace doppel::devices {
namespace {

struct FakeClock : Clock {
  uint64_t now = 0;
  uint64_t NowNs() const override { return now; }
};

struct Board {
  FakeClock clock;
  Pic8259Pair pic;
  LocalApic lapic{&clock};
  IoApic ioapic{[this](uint8_t v, bool level) { lapic.AcceptInterrupt(v, level); }};
  FunctionIrqLine irq0{[this](bool level) {
    pic.SetIrq(0, level);
    ioapic.SetIrq(2, level);
  }};
  Pit8254 pit{&clock, &irq0};
  Board() {
    lapic.SetLevelEoiCallback([this](uint8_t v) { ioapic.Eoi(v); });
  }
};

class Fuzzer {
 public:
  explicit Fuzzer(uint64_t seed) : rng_(seed) {}
  uint64_t Below(uint64_t n) { return rng_() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  uint64_t Value() {
    switch (Below(6)) {
      case 0: return 0;
      case 1: return ~0ull;
      case 2: return Below(256);
      case 3: return 1ull << Below(64);
      default: return rng_();
    }
  }
  unsigned Size() {
    static constexpr unsigned kSizes[] = {1, 2, 4, 8, 3, 0};
    return kSizes[Below(OneIn(10) ? 6 : 4)];
  }

 private:
  std::mt19937_64 rng_;
};

TEST(InterruptDevicesFuzz, RandomRegisterTrafficNeverCrashes) {
  Board b;
  Fuzzer f(0x1badcafe);
  static constexpr uint16_t kPorts[] = {0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40,
                                        0x41, 0x42, 0x43, 0x61, 0x22,  0x44,  0x4d2};
  uint64_t interrupts = 0;
  for (int step = 0; step < 200000; ++step) {
    switch (f.Below(12)) {
      case 0:
      case 1: {
        uint16_t port = kPorts[f.Below(std::size(kPorts))];
        PortDevice* dev = port >= 0x40 && port < 0x62 ? static_cast<PortDevice*>(&b.pit)
                                                      : static_cast<PortDevice*>(&b.pic);
        if (f.OneIn(2)) {
          dev->PortWrite(port, f.Size(), static_cast<uint32_t>(f.Value()));
        } else {
          dev->PortRead(port, f.Size());
        }
        break;
      }
      case 2:
      case 3: {
        uint64_t offset = f.OneIn(8) ? f.Below(0x1100) : f.Below(0x40) * 0x10;
        if (f.OneIn(2)) {
          b.lapic.MmioWrite(offset, f.Size(), f.Value());
        } else {
          b.lapic.MmioRead(offset, f.Size());
        }
        break;
      }
      case 4: {
        uint64_t offset = f.OneIn(4) ? f.Below(0x1000) : (f.OneIn(2) ? 0x00 : 0x10);
        if (f.OneIn(2)) {
          b.ioapic.MmioWrite(offset, f.Size(), f.OneIn(2) ? f.Below(0x50) : f.Value());
        } else {
          b.ioapic.MmioRead(offset, f.Size());
        }
        break;
      }
      case 5: {
        bool level = f.OneIn(2);
        b.pic.SetIrq(static_cast<unsigned>(f.Below(20)), level);
        b.ioapic.SetIrq(static_cast<unsigned>(f.Below(30)), level);
        break;
      }
      case 6:
        if (b.pic.HasInterrupt()) ++interrupts;
        b.pic.Acknowledge();
        break;
      case 7:
        if (b.lapic.HasInterrupt()) ++interrupts;
        b.lapic.Acknowledge();
        if (f.OneIn(2)) b.lapic.AcceptInterrupt(static_cast<uint8_t>(f.Below(256)), f.OneIn(2));
        break;
      case 8: {
        // Time moves forward by a nanosecond up to about a day.
        uint64_t step_ns = f.OneIn(100) ? f.Below(86400000000000ull) : f.Below(2000000);
        b.clock.now += step_ns;
        b.pit.Advance(b.clock.now);
        b.lapic.Advance(b.clock.now);
        ASSERT_GT(b.pit.NextEventNs(), b.clock.now) << step;
        ASSERT_GT(b.lapic.NextEventNs(), b.clock.now) << step;
        break;
      }
      case 9:
        b.lapic.WriteTscDeadline(f.OneIn(2) ? b.clock.now + f.Below(1000000) : f.Value());
        b.lapic.ReadTscDeadline();
        break;
      case 10:
        if (f.OneIn(20)) b.lapic.SetApicBaseMsr(f.OneIn(2) ? 0xfee00900 : f.Value());
        b.lapic.PicPassthrough();
        b.pit.SetGate2(f.OneIn(2));
        b.pit.Out2();
        break;
      default:
        b.lapic.SetTpr(static_cast<uint8_t>(f.Below(256)));
        b.ioapic.Eoi(static_cast<uint8_t>(f.Below(256)));
        break;
    }
  }
  // The random traffic did reach the interrupt outputs (so the devices were not stuck masked).
  EXPECT_GT(interrupts, 0u);
}

}  // namespace
}  // namespace doppel::devices
