// devices/uart16550.h: the 16550A UART behind COM1 (0x3f8, IRQ 4), register-compatible with QEMU's
// serial device so that guest drivers written against QEMU (Linux 8250, test kernels) run
// unchanged.
#pragma once
#include <cstdint>
#include <functional>

#include "devices/bus.h"

namespace doppel::devices {

class Uart16550 : public PortDevice {
 public:
  static constexpr uint16_t kCom1Port = 0x3f8;
  static constexpr unsigned kCom1Irq = 4;
  static constexpr unsigned kPortCount = 8;
  static constexpr unsigned kFifoSize = 16;

  // irq may be null (polled use); sink receives every transmitted byte outside loopback mode.
  Uart16550(IrqLine* irq, std::function<void(uint8_t)> sink);

  // The device decodes port & 7, so it works at any 8-aligned base (COM1-COM4).
  uint32_t PortRead(uint16_t port, unsigned size) override;
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

  // Input from the host side. A byte that does not fit sets the overrun error, as on hardware;
  // callers doing flow control ask CanReceive first.
  void Receive(uint8_t byte);
  bool CanReceive() const;

  // Power-on state (QEMU serial_reset).
  void Reset();

  bool IrqLevel() const { return irq_level_; }

 private:
  uint8_t ReadRegister(unsigned reg);
  void WriteRegister(unsigned reg, uint8_t value);
  void Transmit(uint8_t byte);
  void PushReceived(uint8_t byte);
  void WriteFcr(uint8_t value);
  bool FifoEnabled() const { return fcr_ & 0x01; }
  void UpdateIrq();

  IrqLine* irq_;
  std::function<void(uint8_t)> sink_;

  uint8_t rx_[kFifoSize];
  unsigned rx_head_ = 0, rx_count_ = 0;
  uint8_t rbr_ = 0;  // last byte read, returned again by non-FIFO reads of an empty RBR
  uint16_t divisor_ = 0;
  uint8_t ier_ = 0, iir_ = 0, fcr_ = 0, lcr_ = 0, mcr_ = 0, lsr_ = 0, msr_ = 0, scr_ = 0;
  unsigned rx_trigger_ = 1;
  bool thr_pending_ = false;      // THR-empty interrupt condition, cleared by reading IIR
  bool timeout_pending_ = false;  // character-timeout condition in FIFO mode
  bool irq_level_ = false;
};

}  // namespace doppel::devices
