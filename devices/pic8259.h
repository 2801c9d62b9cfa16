// devices/pic8259.h: the PC's cascaded pair of 8259A interrupt controllers (master 0x20/0x21,
// slave 0xa0/0xa1 on the master's IRQ 2) with the PIIX edge/level control registers (0x4d0/0x4d1).
#pragma once
#include <array>
#include <cstdint>
#include <memory>

#include "devices/bus.h"

namespace doppel::devices {

// Reset state follows QEMU's i8259 reset (there is no BIOS to program the chips first): IMR 0
// (nothing masked), ISR/IRR 0, vector base 0, no auto-EOI, lowest rotation, ELCR all edge. A guest
// must run the ICW1-ICW4 sequence before the vectors are useful, as every OS does.
//
// The board registers this device for ports 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1. Wider accesses
// are split into byte accesses; bytes outside those ports read as 0xff and ignore writes.
//
// The master's IRQ 2 latches whenever the slave's INT output is high, not only on its rising edge,
// so a second slave request pending while the first is serviced is never lost; a slave request
// that goes away after the latch gives the slave's spurious IRQ 15, as on the real pair.
// Inexact on purpose: ICW1's single-PIC bit and ICW3 are accepted but the cascade is always wired;
// buffered mode and the MCS-80 call-address format are ignored. Not thread-safe: the board
// serialises calls.
class Pic8259Pair : public PortDevice {
 public:
  Pic8259Pair();
  ~Pic8259Pair() override;

  uint32_t PortRead(uint16_t port, unsigned size) override;
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

  // An input pin changed level (irq 0-7 master, 8-15 slave; 2 is the cascade and ignored, out of
  // range is ignored). Edge inputs latch IRR on a rising edge, level inputs (ELCR/LTIM) follow it.
  void SetIrq(unsigned irq, bool level);
  // An IrqLine bound to input irq, owned by this object; nullptr when irq > 15.
  IrqLine* Line(unsigned irq);

  // The master's INTR output to the CPU.
  bool HasInterrupt() const;
  // The INTA cycle: the vector of the highest-priority request, moving it from IRR to ISR (or
  // dropping it in auto-EOI mode). With nothing left to deliver it returns the spurious vector
  // (master base + 7, or slave base + 7 when the master saw the cascade), with no ISR bit set.
  uint8_t Acknowledge();

  // Register state for tests and the debugger (chip 0 master, 1 slave).
  uint8_t Irr(unsigned chip) const { return chips_[chip & 1].irr; }
  uint8_t Isr(unsigned chip) const { return chips_[chip & 1].isr; }
  uint8_t Imr(unsigned chip) const { return chips_[chip & 1].imr; }

 private:
  struct Chip {
    uint8_t irr = 0;
    uint8_t isr = 0;
    uint8_t imr = 0;
    uint8_t pin_levels = 0;  // last level seen on each input, for edge detection
    uint8_t elcr = 0;
    uint8_t elcr_writable = 0;
    uint8_t vector_base = 0;
    uint8_t lowest_priority_irq = 7;  // rotation: priority starts after this input
    uint8_t init_step = 0;            // 0 idle, else the ICW (2..4) expected next on the odd port
    bool expect_icw4 = false;
    bool single = false;
    bool level_all = false;  // ICW1 LTIM: every input level-triggered
    bool auto_eoi = false;
    bool rotate_on_auto_eoi = false;
    bool special_fully_nested = false;
    bool special_mask = false;
    bool read_isr = false;
    bool poll = false;
  };
  class Input;

  uint8_t ReadByte(uint16_t port);
  void WriteByte(uint16_t port, uint8_t value);
  void WriteCommand(Chip& c, uint8_t value);
  void WriteData(Chip& c, uint8_t value);
  void ResetChip(Chip& c);
  bool IsLevel(const Chip& c, unsigned pin) const;
  void SetPin(Chip& c, unsigned pin, bool level);
  // The input a chip would present to the CPU now, or -1 (taking ISR blocking into account).
  int PendingInput(unsigned chip) const;
  // Moves input pin of chip from IRR to ISR as an INTA cycle does.
  void AckInput(Chip& c, unsigned pin);
  // Recomputes the cascade: the slave's INT output drives the master's IRQ 2 input.
  void UpdateCascade();
  uint8_t Poll(unsigned chip);

  std::array<Chip, 2> chips_;
  std::array<std::unique_ptr<Input>, 16> lines_;
};

}  // namespace doppel::devices
