// devices/power.h: the ways a PC guest resets or powers off the machine: the PIIX reset control
// register (0xcf9), System Control Port A (0x92) and QEMU's ACPI PM1a control register.
#pragma once
#include <cstdint>
#include <functional>

#include "devices/bus.h"

namespace doppel::devices {

// Ports 0xcf9 and 0x92 (attach the same device to both; other ports read as unclaimed).
class ResetControl : public PortDevice {
 public:
  static constexpr uint16_t kResetControlPort = 0xcf9;
  static constexpr uint16_t kSystemControlPort = 0x92;

  // request_reset: a guest-requested hard reset; a20: the fast A20 gate (may be empty).
  explicit ResetControl(std::function<void()> request_reset, std::function<void(bool)> a20 = {});

  uint32_t PortRead(uint16_t port, unsigned size) override;
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

  // Machine reset: clears port 0x92's fast-reset bit (A20 keeps its state) and 0xcf9.
  void Reset();

  bool A20() const { return port92_ & 2; }

 private:
  void WriteByte(uint16_t port, uint8_t value);

  std::function<void()> request_reset_;
  std::function<void(bool)> a20_;
  uint8_t rcr_ = 0;     // 0xcf9: only the reset-type bit is kept
  uint8_t port92_ = 0;  // bit 0 fast reset, bit 1 A20
};

// The PM1a control register of QEMU's PIIX4 / ICH9 power management (0x604 with QEMU's ACPI
// tables; 0xb004 on Bochs and QEMU before 2.0). Attach it with count 2 at each even base.
class AcpiShutdown : public PortDevice {
 public:
  static constexpr uint16_t kPm1aControlPort = 0x604;
  static constexpr uint16_t kBochsPm1aControlPort = 0xb004;
  static constexpr uint16_t kSleepEnable = 0x2000;

  explicit AcpiShutdown(std::function<void()> request_poweroff);

  uint32_t PortRead(uint16_t port, unsigned size) override;
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

 private:
  std::function<void()> request_poweroff_;
  uint16_t control_ = 0;
};

}  // namespace doppel::devices
