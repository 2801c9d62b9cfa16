// devices/cmos.h: the MC146818 RTC and CMOS RAM at ports 0x70/0x71 (IRQ 8), with the RAM-size
// bytes QEMU's PC firmware interface sets, so guests read the clock and memory size as under QEMU.
#pragma once
#include <cstdint>

#include "devices/bus.h"

namespace doppel::devices {

class Cmos : public PortDevice {
 public:
  static constexpr uint16_t kIndexPort = 0x70;
  static constexpr uint16_t kDataPort = 0x71;
  static constexpr unsigned kIrq = 8;
  static constexpr unsigned kSize = 128;

  // Register indices.
  static constexpr uint8_t kSeconds = 0x00, kSecondsAlarm = 0x01, kMinutes = 0x02,
                           kMinutesAlarm = 0x03, kHours = 0x04, kHoursAlarm = 0x05, kWeekday = 0x06,
                           kDayOfMonth = 0x07, kMonth = 0x08, kYear = 0x09, kRegA = 0x0a,
                           kRegB = 0x0b, kRegC = 0x0c, kRegD = 0x0d, kCentury = 0x32;
  // Register B bits.
  static constexpr uint8_t kBSet = 0x80, kBPeriodic = 0x40, kBAlarm = 0x20, kBUpdate = 0x10,
                           kBBinary = 0x04, kB24Hour = 0x02;
  // Register C bits.
  static constexpr uint8_t kCIrq = 0x80, kCPeriodic = 0x40, kCAlarm = 0x20, kCUpdate = 0x10;

  // Derive the RAM below 4 GiB as QEMU's pc-i440fx does (above 3.5 GiB of RAM, 3 GiB stay low).
  static constexpr uint64_t kDeriveBelow4g = ~0ull;

  // epoch_seconds is the wall-clock time (seconds since 1970, UTC) at clock time 0. clock and irq
  // may be null (time then stands still; no interrupts are delivered).
  Cmos(uint64_t ram_bytes, int64_t epoch_seconds, const Clock* clock, IrqLine* irq,
       uint64_t ram_below_4g = kDeriveBelow4g);

  uint32_t PortRead(uint16_t port, unsigned size) override;
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

  // Timer interface for the board: the clock time of the next periodic / update / alarm event
  // (~0ull if none is enabled), and processing of every event due at now_ns.
  uint64_t NextEventNs() const;
  void Advance(uint64_t now_ns);

  // Machine reset: disables the RTC interrupts and clears their flags; CMOS contents survive.
  void Reset();

  bool NmiDisabled() const { return nmi_disabled_; }
  bool IrqLevel() const { return irq_level_; }
  // Raw CMOS RAM access for the board (e.g. QEMU's byte 0x5f = CPU count - 1).
  uint8_t Nvram(uint8_t index) const { return data_[index & 0x7f]; }
  void SetNvram(uint8_t index, uint8_t value) { data_[index & 0x7f] = value; }
  // The RTC's current time in seconds since 1970 (as last set by the guest or the epoch).
  int64_t RtcSeconds() const;

 private:
  uint8_t ReadData();
  void WriteData(uint8_t value);
  int64_t Now() const;
  bool Running() const;
  void Freeze(int64_t now);                // copy the running time into the time registers
  void SetTimeFromRegisters(int64_t now);  // restart the clock from the time registers
  void StoreTime(int64_t seconds);
  int64_t TimeFromRegisters() const;
  uint8_t ToBcd(int64_t value) const;
  int64_t FromBcd(uint8_t value) const;
  void ScheduleEvents(int64_t now);
  void UpdateIrq();

  const Clock* clock_;
  IrqLine* irq_;
  uint8_t data_[kSize] = {};
  uint8_t index_ = 0;
  bool nmi_disabled_ = false;
  bool irq_level_ = false;
  // While running, RTC seconds = base_seconds_ + floor((now - base_ns_) / 1 s).
  int64_t base_seconds_ = 0;
  int64_t base_ns_ = 0;
  uint64_t next_periodic_ns_ = ~0ull;
  uint64_t next_update_ns_ = ~0ull;
};

}  // namespace doppel::devices
