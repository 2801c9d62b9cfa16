// devices/ioapic.cpp: I/O APIC register window, redirection entries, edge/level delivery and
// Remote IRR handshake with the local APIC's EOI.
#include "devices/ioapic.h"

namespace doppel::devices {

namespace {

constexpr uint64_t kMasked = 1ull << 16;
constexpr uint64_t kLevelTriggered = 1ull << 15;
constexpr uint64_t kRemoteIrr = 1ull << 14;
// Vector, delivery mode, destination mode, polarity, trigger mode and mask.
constexpr uint32_t kLowWritable = 0x0001afff;

}  // namespace

class IoApic::Input : public IrqLine {
 public:
  Input(IoApic* ioapic, unsigned pin) : ioapic_(ioapic), pin_(pin) {}
  void SetLevel(bool high) override { ioapic_->SetIrq(pin_, high); }

 private:
  IoApic* ioapic_;
  unsigned pin_;
};

IoApic::IoApic(DeliverFn deliver) : deliver_(std::move(deliver)) {
  entries_.fill(kMasked);
  for (unsigned pin = 0; pin < kPins; ++pin) lines_[pin] = std::make_unique<Input>(this, pin);
}

IoApic::~IoApic() = default;

IrqLine* IoApic::Line(unsigned pin) { return pin < kPins ? lines_[pin].get() : nullptr; }

void IoApic::SetIrq(unsigned pin, bool level) {
  if (pin >= kPins) return;
  uint32_t bit = 1u << pin;
  if (entries_[pin] & kLevelTriggered) {
    pending_ = level ? (pending_ | bit) : (pending_ & ~bit);
  } else if (level && !(pin_levels_ & bit)) {
    pending_ |= bit;
  }
  pin_levels_ = level ? (pin_levels_ | bit) : (pin_levels_ & ~bit);
  Service(pin);
}

void IoApic::Service(unsigned pin) {
  uint32_t bit = 1u << pin;
  uint64_t& entry = entries_[pin];
  if (!(pending_ & bit) || (entry & kMasked)) return;
  bool level = entry & kLevelTriggered;
  if (level && (entry & kRemoteIrr)) return;  // the previous one is not retired yet
  unsigned delivery_mode = (entry >> 8) & 7;
  if (!level) pending_ &= ~bit;
  if (delivery_mode > 1) return;  // SMI, NMI, INIT, ExtINT: not modelled
  if (level) entry |= kRemoteIrr;
  if (deliver_) deliver_(static_cast<uint8_t>(entry & 0xff), level);
}

void IoApic::Eoi(uint8_t vector) {
  for (unsigned pin = 0; pin < kPins; ++pin) {
    uint64_t& entry = entries_[pin];
    if ((entry & 0xff) != vector || !(entry & kLevelTriggered) || !(entry & kRemoteIrr)) continue;
    entry &= ~kRemoteIrr;
    Service(pin);
  }
}

uint32_t IoApic::ReadRegister(uint8_t index) const {
  switch (index) {
    case 0x00:
    case 0x02: return uint32_t{id_} << 24;
    case 0x01: return kVersion;
    default: break;
  }
  if (index < 0x10 || index >= 0x10 + 2 * kPins) return 0;
  uint64_t entry = entries_[(index - 0x10) / 2];
  return static_cast<uint32_t>(index & 1 ? entry >> 32 : entry);
}

void IoApic::WriteRegister(uint8_t index, uint32_t value) {
  if (index == 0x00) {
    id_ = (value >> 24) & 0x0f;
    return;
  }
  if (index < 0x10 || index >= 0x10 + 2 * kPins) return;  // version, arbitration: read-only
  unsigned pin = (index - 0x10) / 2;
  uint64_t& entry = entries_[pin];
  if (index & 1) {
    entry = (entry & 0xffffffffull) | uint64_t{value & 0xff000000u} << 32;
    return;
  }
  bool was_level = entry & kLevelTriggered;
  entry = (entry & ~uint64_t{kLowWritable}) | (value & kLowWritable);
  bool level = entry & kLevelTriggered;
  uint32_t bit = 1u << pin;
  if (!level) entry &= ~kRemoteIrr;
  if (level != was_level) {
    // A level input's request is the pin itself; an edge input starts with nothing held.
    pending_ = level ? ((pending_ & ~bit) | (pin_levels_ & bit)) : (pending_ & ~bit);
  }
  Service(pin);
}

uint64_t IoApic::MmioRead(uint64_t offset, unsigned size) {
  uint32_t value;
  if (offset < 4) {
    value = select_;
  } else if (offset >= 0x10 && offset < 0x14) {
    value = ReadRegister(select_);
  } else {
    return 0;
  }
  unsigned byte = offset & 3;
  uint64_t result = 0;
  for (unsigned i = 0; i < size && i < 8 && byte + i < 4; ++i) {
    result |= uint64_t{(value >> (8 * (byte + i))) & 0xff} << (8 * i);
  }
  return result;
}

void IoApic::MmioWrite(uint64_t offset, unsigned size, uint64_t value) {
  if (offset == 0x00 && size >= 1) {
    select_ = static_cast<uint8_t>(value);
  } else if (offset == 0x10 && (size == 4 || size == 8)) {
    WriteRegister(select_, static_cast<uint32_t>(value));
  }
}

}  // namespace doppel::devices
