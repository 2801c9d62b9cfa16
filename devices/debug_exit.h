// devices/debug_exit.h: QEMU's isa-debug-exit device (test kernels use iobase=0xf4, iosize=4): a
// write ends the machine with exit status (value << 1) | 1.
#pragma once
#include <cstdint>
#include <functional>

#include "devices/bus.h"

namespace doppel::devices {

class DebugExit : public PortDevice {
 public:
  static constexpr uint16_t kPort = 0xf4;
  static constexpr unsigned kPortCount = 4;

  explicit DebugExit(std::function<void(int)> request_exit);

  // Reads return 0, as QEMU's device does.
  uint32_t PortRead(uint16_t port, unsigned size) override { return 0; }
  // Any write inside the device's ports requests the exit; value is the zero-extended access data.
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

  // QEMU's formula; the process exit code the host sees is its low 8 bits.
  static int ExitStatus(uint32_t value) {
    return static_cast<int>(static_cast<uint32_t>((uint64_t{value} << 1) | 1));
  }

 private:
  std::function<void(int)> request_exit_;
};

}  // namespace doppel::devices
