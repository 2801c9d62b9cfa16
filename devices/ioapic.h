// devices/ioapic.h: the 82093AA I/O APIC (MMIO at 0xfec00000, IOREGSEL at 0x00, IOWIN at 0x10)
// with 24 redirection entries, routing device interrupt pins to the local APIC.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include "devices/bus.h"

namespace doppel::devices {

// Registers through IOWIN: 0x00 ID (bits 27:24), 0x01 version 0x00170020 (version 0x20 as QEMU reports, 24 pins),
// 0x02 arbitration ID (the ID), 0x10 + 2n / 0x11 + 2n the low / high half of pin n's entry.
// Reset: ID 0, every entry masked with everything else 0.
//
// Entry bits: 7:0 vector, 10:8 delivery mode, 11 destination mode, 12 delivery status (read-only,
// always idle), 13 polarity, 14 Remote IRR (read-only), 15 trigger (1 level), 16 mask, 63:56
// destination. Fixed and lowest-priority delivery both deliver to the one CPU whatever the
// destination (there is a single local APIC); SMI, NMI, INIT and ExtINT entries deliver nothing.
// SetIrq's level is the asserted state, as in QEMU: the board has already applied the pin's
// polarity, and the polarity bit is only stored.
//
// Edge entries deliver on a rising edge; an edge that arrives while masked is held and delivered
// on unmask (as QEMU does, rather than lost as on the 82093AA). Level entries deliver while the
// pin is asserted and Remote IRR is clear, setting Remote IRR; Eoi() clears it and delivers again
// if the pin is still asserted. Changing an entry to edge clears its Remote IRR.
//
// MMIO: IOREGSEL takes the low byte of any write at offset 0; IOWIN writes need offset 0x10 and
// size 4 (or 8, low half); reads of any size return the bytes of the 32-bit register at offset
// 0x00 or 0x10; every other offset reads 0 and ignores writes. Not thread-safe.
class IoApic : public MmioDevice {
 public:
  static constexpr uint64_t kDefaultBase = 0xfec00000;
  static constexpr unsigned kPins = 24;
  static constexpr uint32_t kVersion = 0x00170020;
  using DeliverFn = std::function<void(uint8_t vector, bool level)>;

  // deliver is usually LocalApic::AcceptInterrupt; it may be empty (then nothing is delivered).
  explicit IoApic(DeliverFn deliver = {});
  ~IoApic() override;
  void SetDeliver(DeliverFn deliver) { deliver_ = std::move(deliver); }

  uint64_t MmioRead(uint64_t offset, unsigned size) override;
  void MmioWrite(uint64_t offset, unsigned size, uint64_t value) override;

  // Pin pin (0-23) is asserted or not; out-of-range pins are ignored.
  void SetIrq(unsigned pin, bool level);
  // An IrqLine bound to pin, owned by this object; nullptr when pin >= 24.
  IrqLine* Line(unsigned pin);
  // The local APIC retired a level-triggered vector (its level-EOI callback).
  void Eoi(uint8_t vector);

  uint64_t Entry(unsigned pin) const { return pin < kPins ? entries_[pin] : 0; }

 private:
  class Input;

  uint32_t ReadRegister(uint8_t index) const;
  void WriteRegister(uint8_t index, uint32_t value);
  // Delivers pin's pending request if its entry allows it now.
  void Service(unsigned pin);

  DeliverFn deliver_;
  uint8_t select_ = 0;
  uint8_t id_ = 0;
  uint32_t pending_ = 0;     // per pin: a held edge, or an asserted level input
  uint32_t pin_levels_ = 0;  // last level seen on each pin, for edge detection
  std::array<uint64_t, kPins> entries_;
  std::array<std::unique_ptr<Input>, kPins> lines_;
};

}  // namespace doppel::devices
