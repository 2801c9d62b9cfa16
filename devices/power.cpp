// devices/power.cpp: reset and power-off requests, following QEMU's piix3 RCR, port92 and
// acpi_pm1_cnt_write.
#include "devices/power.h"

#include "devices/byte_ports.h"

namespace doppel::devices {

ResetControl::ResetControl(std::function<void()> request_reset, std::function<void(bool)> a20)
    : request_reset_(std::move(request_reset)), a20_(std::move(a20)) {}

void ResetControl::Reset() {
  rcr_ = 0;
  port92_ &= ~1;
}

uint32_t ResetControl::PortRead(uint16_t port, unsigned size) {
  // Both registers are single bytes; the rest of a wider read belongs to no one here.
  return ReadBytePorts(port, size, port, 1, [&](uint16_t p) -> uint8_t {
    if (p == kResetControlPort) return rcr_;
    if (p == kSystemControlPort) return port92_;
    return 0xff;
  });
}

void ResetControl::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  WriteBytePorts(port, size, value, port, 1, [&](uint16_t p, uint8_t byte) { WriteByte(p, byte); });
}

void ResetControl::WriteByte(uint16_t port, uint8_t value) {
  if (port == kResetControlPort) {
    // Bit 2 starts the reset (its type in bit 1 makes no difference to us); QEMU keeps only bit 1.
    if (value & 4) {
      if (request_reset_) request_reset_();
      return;
    }
    rcr_ = value & 2;
  } else if (port == kSystemControlPort) {
    uint8_t old = port92_;
    port92_ = value;
    if (a20_) a20_((value & 2) != 0);
    // The fast reset fires on a 0->1 transition of bit 0.
    if ((value & 1) && !(old & 1) && request_reset_) request_reset_();
  }
}

AcpiShutdown::AcpiShutdown(std::function<void()> request_poweroff)
    : request_poweroff_(std::move(request_poweroff)) {}

uint32_t AcpiShutdown::PortRead(uint16_t port, unsigned size) {
  if (size == 0) return 0;
  uint32_t value = (port & 1) ? control_ >> 8 : control_;
  return size == 1 ? value & 0xff : value & 0xffff;
}

void AcpiShutdown::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  if (size == 0) return;
  if (port & 1) {
    control_ = static_cast<uint16_t>((control_ & 0x00ff) | ((value & 0xff) << 8));
  } else if (size == 1) {
    control_ = static_cast<uint16_t>((control_ & 0xff00) | (value & 0xff));
  } else {
    control_ = static_cast<uint16_t>(value);
  }
  if (!(control_ & kSleepEnable)) return;
  // SLP_EN is write-only; SLP_TYP 0 is QEMU's soft-off (S5) and 2 its S4, which also powers off.
  // S1-S3 (suspend) is not modelled and is ignored.
  control_ &= ~kSleepEnable;
  unsigned sleep_type = (control_ >> 10) & 7;
  if ((sleep_type == 0 || sleep_type == 2) && request_poweroff_) request_poweroff_();
}

}  // namespace doppel::devices
