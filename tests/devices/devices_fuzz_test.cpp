// tests/devices/devices_fuzz_test.cpp: random port traffic (fixed seed) against every device of
// this layer: nothing may crash, and every read must fit the access size.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "devices/cmos.h"
#include "devices/debug_exit.h"
#include "devices/debugcon.h"
#include "devices/fw_cfg.h"
#include "devices/i8042.h"
#include "devices/power.h"
#include "devices/uart16550.h"
#include "tests/devices/port_test_util.h"

namespace doppel::devices {
namespace {

using testing::FakeClock;
using testing::RecordingIrqLine;

uint64_t Mask(unsigned size) { return size >= 4 ? 0xffffffffull : (1ull << (8 * size)) - 1; }

TEST(DevicesFuzz, RandomPortTrafficNeverCrashesAndReadsFit) {
  FakeClock clock;
  RecordingIrqLine com_irq, kbd_irq, mouse_irq, rtc_irq;
  uint64_t events = 0;
  Uart16550 uart(&com_irq, [&](uint8_t) { ++events; });
  DebugExit debug_exit([&](int) { ++events; });
  Debugcon debugcon([&](uint8_t) { ++events; });
  FwCfg fw_cfg(FwCfgConfig{.ram_bytes = 128 << 20, .cpus = 2, .cmdline = "x"});
  ASSERT_TRUE(fw_cfg.AddFile("etc/test", {1, 2, 3}));
  I8042 i8042(
      &kbd_irq, &mouse_irq, [&] { ++events; }, [&](bool) { ++events; });
  ResetControl reset([&] { ++events; }, [&](bool) { ++events; });
  AcpiShutdown acpi([&] { ++events; });
  Cmos cmos(128 << 20, 1'700'000'000, &clock, &rtc_irq);

  struct Target {
    PortDevice* dev;
    std::vector<uint16_t> ports;
  };
  std::vector<Target> targets = {
      {&uart, {0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff}},
      {&debug_exit, {0xf4, 0xf5, 0xf6, 0xf7}},
      {&debugcon, {0xe9}},
      {&fw_cfg, {0x510, 0x511}},
      {&i8042, {0x60, 0x64}},
      {&reset, {0x92, 0xcf9}},
      {&acpi, {0x604, 0x605, 0xb004, 0xb005}},
      {&cmos, {0x70, 0x71}},
  };

  std::mt19937_64 rng(0x5eed);
  for (int i = 0; i < 400'000; ++i) {
    Target& t = targets[rng() % targets.size()];
    uint16_t port = t.ports[rng() % t.ports.size()];
    if (rng() % 16 == 0) port = static_cast<uint16_t>(rng());  // a port the device does not own
    unsigned size = static_cast<unsigned>(rng() % 6);          // including 0, 3 and 5
    uint32_t value = static_cast<uint32_t>(rng());
    if (rng() % 2) value &= 0xff;
    if (rng() % 2) {
      t.dev->PortWrite(port, size, value);
    } else {
      uint32_t read = t.dev->PortRead(port, size);
      ASSERT_LE(read, Mask(size)) << "port " << port << " size " << size;
    }
    switch (rng() % 64) {
      case 0:
        if (uart.CanReceive()) uart.Receive(static_cast<uint8_t>(rng()));
        break;
      case 1: uart.Receive(static_cast<uint8_t>(rng())); break;
      case 2: i8042.KeyboardInput(static_cast<uint8_t>(rng())); break;
      case 3:
        clock.now_ns += rng() % 2'000'000'000;
        cmos.Advance(clock.now_ns);
        break;
      case 4:
        if (cmos.NextEventNs() != ~0ull && cmos.NextEventNs() < clock.now_ns + 4'000'000'000ull) {
          clock.now_ns = std::max(clock.now_ns, cmos.NextEventNs());
          cmos.Advance(clock.now_ns);
        }
        break;
      case 5: fw_cfg.PortWrite(0x510, 2, static_cast<uint16_t>(rng() % 0x30)); break;
      case 6:
        cmos.Reset();
        i8042.Reset();
        uart.Reset();
        reset.Reset();
        break;
      default: break;
    }
  }
  // Every IRQ line ended consistent with what the device reports.
  EXPECT_EQ(com_irq.level, uart.IrqLevel());
  EXPECT_EQ(rtc_irq.level, cmos.IrqLevel());
  EXPECT_GT(events, 0u);
}

}  // namespace
}  // namespace doppel::devices
