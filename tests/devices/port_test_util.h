// tests/devices/port_test_util.h: fakes for device tests: a settable clock and an IRQ line that
// records every level change.
#pragma once
#include <cstdint>
#include <vector>

#include "devices/bus.h"

namespace doppel::devices::testing {

class FakeClock : public Clock {
 public:
  uint64_t NowNs() const override { return now_ns; }
  uint64_t now_ns = 0;
};

class RecordingIrqLine : public IrqLine {
 public:
  void SetLevel(bool high) override {
    level = high;
    changes.push_back(high);
    if (high) ++raises;
  }
  bool level = false;
  unsigned raises = 0;
  std::vector<bool> changes;
};

}  // namespace doppel::devices::testing
