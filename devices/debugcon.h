// devices/debugcon.h: the Bochs/QEMU debug console at port 0xe9: bytes written go straight to the
// host, and reads return 0xe9 so a guest can detect the port (QEMU's default readback).
#pragma once
#include <cstdint>
#include <functional>

#include "devices/bus.h"

namespace doppel::devices {

class Debugcon : public PortDevice {
 public:
  static constexpr uint16_t kPort = 0xe9;
  static constexpr uint8_t kReadback = 0xe9;

  explicit Debugcon(std::function<void(uint8_t)> sink) : sink_(std::move(sink)) {}

  uint32_t PortRead(uint16_t port, unsigned size) override;
  // QEMU's debugcon sends the low byte of any write.
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

 private:
  std::function<void(uint8_t)> sink_;
};

}  // namespace doppel::devices
