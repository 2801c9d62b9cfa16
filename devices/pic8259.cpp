// devices/pic8259.cpp: 8259A programming (ICW/OCW), priority resolution and INTA for the PC pair.
#include "devices/pic8259.h"

namespace doppel::devices {

namespace {

constexpr unsigned kCascadePin = 2;

// Priority rank of pin when the lowest-priority input is lowest: 0 is the highest priority.
unsigned Rank(unsigned pin, unsigned lowest) { return (pin - lowest - 1) & 7; }

// The highest-priority pin set in mask, or -1.
int HighestPin(uint8_t mask, unsigned lowest) {
  for (unsigned rank = 0; rank < 8; ++rank) {
    unsigned pin = (lowest + 1 + rank) & 7;
    if (mask & (1u << pin)) return static_cast<int>(pin);
  }
  return -1;
}

}  // namespace

class Pic8259Pair::Input : public IrqLine {
 public:
  Input(Pic8259Pair* pic, unsigned irq) : pic_(pic), irq_(irq) {}
  void SetLevel(bool high) override { pic_->SetIrq(irq_, high); }

 private:
  Pic8259Pair* pic_;
  unsigned irq_;
};

Pic8259Pair::Pic8259Pair() {
  // PIIX3: master IRQ 0, 1, 2 and slave IRQ 8, 13 are always edge-triggered.
  chips_[0].elcr_writable = 0xf8;
  chips_[1].elcr_writable = 0xde;
  for (Chip& c : chips_) ResetChip(c);
  for (unsigned irq = 0; irq < lines_.size(); ++irq)
    lines_[irq] = std::make_unique<Input>(this, irq);
}

Pic8259Pair::~Pic8259Pair() = default;

void Pic8259Pair::ResetChip(Chip& c) {
  // ICW1 (and power-on) state per the 8259A data sheet; ELCR belongs to the chipset and survives,
  // and the caller sets LTIM (level_all) first.
  c.isr = 0;
  c.imr = 0;
  c.vector_base = 0;
  c.lowest_priority_irq = 7;
  c.init_step = 0;
  c.expect_icw4 = false;
  c.single = false;
  c.auto_eoi = false;
  c.rotate_on_auto_eoi = false;
  c.special_fully_nested = false;
  c.special_mask = false;
  c.read_isr = false;
  c.poll = false;
  // Edge requests latched before initialisation are dropped; level inputs still show their pins.
  uint8_t level_pins = 0;
  for (unsigned pin = 0; pin < 8; ++pin) {
    if (IsLevel(c, pin)) level_pins |= 1u << pin;
  }
  c.irr = c.pin_levels & level_pins;
}

bool Pic8259Pair::IsLevel(const Chip& c, unsigned pin) const {
  return c.level_all || (c.elcr & (1u << pin));
}

void Pic8259Pair::SetPin(Chip& c, unsigned pin, bool level) {
  uint8_t bit = 1u << pin;
  if (IsLevel(c, pin)) {
    c.irr = level ? (c.irr | bit) : (c.irr & ~bit);
  } else if (level && !(c.pin_levels & bit)) {
    c.irr |= bit;
  }
  c.pin_levels = level ? (c.pin_levels | bit) : (c.pin_levels & ~bit);
}

void Pic8259Pair::SetIrq(unsigned irq, bool level) {
  if (irq >= 16 || irq == kCascadePin) return;
  SetPin(chips_[irq >> 3], irq & 7, level);
  UpdateCascade();
}

IrqLine* Pic8259Pair::Line(unsigned irq) {
  return irq < lines_.size() ? lines_[irq].get() : nullptr;
}

int Pic8259Pair::PendingInput(unsigned chip) const {
  const Chip& c = chips_[chip];
  int pin = HighestPin(c.irr & ~c.imr, c.lowest_priority_irq);
  if (pin < 0) return -1;
  // In special mask mode a masked level in service no longer blocks lower priorities.
  uint8_t in_service = c.special_mask ? (c.isr & ~c.imr) : c.isr;
  int busy = HighestPin(in_service, c.lowest_priority_irq);
  if (busy < 0) return pin;
  unsigned lowest = c.lowest_priority_irq;
  if (Rank(pin, lowest) < Rank(busy, lowest)) return pin;
  // Special fully nested mode lets the slave interrupt the master while another slave request
  // is in service; the slave's own ISR then decides.
  if (chip == 0 && c.special_fully_nested && pin == busy && pin == static_cast<int>(kCascadePin)) {
    return pin;
  }
  return -1;
}

void Pic8259Pair::UpdateCascade() {
  Chip& master = chips_[0];
  uint8_t bit = 1u << kCascadePin;
  if (PendingInput(1) >= 0) {
    master.irr |= bit;
    master.pin_levels |= bit;
  } else {
    master.pin_levels &= ~bit;
  }
}

bool Pic8259Pair::HasInterrupt() const { return PendingInput(0) >= 0; }

void Pic8259Pair::AckInput(Chip& c, unsigned pin) {
  uint8_t bit = 1u << pin;
  // A level-triggered request stays in IRR while the pin is high (it is not a latch).
  if (!IsLevel(c, pin)) c.irr &= ~bit;
  if (!c.auto_eoi) {
    c.isr |= bit;
  } else if (c.rotate_on_auto_eoi) {
    c.lowest_priority_irq = pin;
  }
}

uint8_t Pic8259Pair::Acknowledge() {
  Chip& master = chips_[0];
  Chip& slave = chips_[1];
  int pin = PendingInput(0);
  if (pin < 0) return master.vector_base + 7;  // spurious IRQ 7: the request went away
  AckInput(master, pin);
  if (pin != static_cast<int>(kCascadePin)) return master.vector_base + pin;
  int slave_pin = PendingInput(1);
  uint8_t vector = slave.vector_base + 7;  // spurious IRQ 15
  if (slave_pin >= 0) {
    AckInput(slave, slave_pin);
    vector = slave.vector_base + slave_pin;
  }
  UpdateCascade();
  return vector;
}

uint8_t Pic8259Pair::Poll(unsigned chip) {
  Chip& c = chips_[chip];
  c.poll = false;
  int pin = PendingInput(chip);
  if (pin < 0) return 0;
  AckInput(c, pin);
  UpdateCascade();
  return 0x80 | pin;
}

void Pic8259Pair::WriteCommand(Chip& c, uint8_t value) {
  if (value & 0x10) {            // ICW1
    c.level_all = value & 0x08;  // before the reset, so level IRR bits follow their pins
    ResetChip(c);
    c.single = value & 0x02;
    c.expect_icw4 = value & 0x01;
    c.init_step = 2;
    return;
  }
  if (value & 0x08) {  // OCW3
    if (value & 0x04) c.poll = true;
    if (value & 0x02) c.read_isr = value & 0x01;
    if (value & 0x40) c.special_mask = value & 0x20;
    return;
  }
  // OCW2: bits 7-5 select R, SL, EOI.
  unsigned lowest = c.lowest_priority_irq;
  switch (value >> 5) {
    case 0: c.rotate_on_auto_eoi = false; break;
    case 4: c.rotate_on_auto_eoi = true; break;
    case 1:    // non-specific EOI
    case 5: {  // rotate on non-specific EOI
      int pin = HighestPin(c.isr, lowest);
      if (pin < 0) break;
      c.isr &= ~(1u << pin);
      if (value >> 5 == 5) c.lowest_priority_irq = pin;
      break;
    }
    case 3: c.isr &= ~(1u << (value & 7)); break;  // specific EOI
    case 7:                                        // rotate on specific EOI
      c.isr &= ~(1u << (value & 7));
      c.lowest_priority_irq = value & 7;
      break;
    case 6: c.lowest_priority_irq = value & 7; break;  // set priority
    default: break;                                    // 2: no operation
  }
}

void Pic8259Pair::WriteData(Chip& c, uint8_t value) {
  switch (c.init_step) {
    case 2:  // ICW2: the vector base; the low three bits come from the input in 8086 mode
      c.vector_base = value & 0xf8;
      c.init_step = c.single ? (c.expect_icw4 ? 4 : 0) : 3;
      break;
    case 3:  // ICW3: cascade wiring, fixed on a PC
      c.init_step = c.expect_icw4 ? 4 : 0;
      break;
    case 4:  // ICW4: 8086 mode is assumed; AEOI and SFNM are honoured
      c.auto_eoi = value & 0x02;
      c.special_fully_nested = value & 0x10;
      c.init_step = 0;
      break;
    default:  // OCW1
      c.imr = value;
      break;
  }
}

uint8_t Pic8259Pair::ReadByte(uint16_t port) {
  switch (port) {
    case 0x20:
    case 0x21:
    case 0xa0:
    case 0xa1: {
      unsigned chip = port >= 0xa0;
      Chip& c = chips_[chip];
      if (c.poll) return Poll(chip);
      if (port & 1) return c.imr;
      return c.read_isr ? c.isr : c.irr;
    }
    case 0x4d0: return chips_[0].elcr;
    case 0x4d1: return chips_[1].elcr;
    default: return 0xff;
  }
}

void Pic8259Pair::WriteByte(uint16_t port, uint8_t value) {
  switch (port) {
    case 0x20:
    case 0x21:
    case 0xa0:
    case 0xa1: {
      Chip& c = chips_[port >= 0xa0];
      if (port & 1) {
        WriteData(c, value);
      } else {
        WriteCommand(c, value);
      }
      break;
    }
    case 0x4d0:
    case 0x4d1: {
      Chip& c = chips_[port & 1];
      c.elcr = value & c.elcr_writable;
      // Inputs that became level-triggered show their pin; edge inputs keep their latch.
      for (unsigned pin = 0; pin < 8; ++pin) {
        uint8_t bit = 1u << pin;
        if (IsLevel(c, pin)) c.irr = (c.irr & ~bit) | (c.pin_levels & bit);
      }
      break;
    }
    default: break;
  }
  UpdateCascade();
}

uint32_t Pic8259Pair::PortRead(uint16_t port, unsigned size) {
  uint32_t value = 0;
  for (unsigned i = 0; i < size && i < 4; ++i) {
    value |= uint32_t{ReadByte(static_cast<uint16_t>(port + i))} << (8 * i);
  }
  return value;
}

void Pic8259Pair::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size && i < 4; ++i) {
    WriteByte(static_cast<uint16_t>(port + i), static_cast<uint8_t>(value >> (8 * i)));
  }
}

}  // namespace doppel::devices
