// devices/bus.h: how PC devices attach to the machine: port-I/O and MMIO handlers on an I/O bus,
// interrupt lines, and the clock timers read (host time, or retired instructions with --icount).
#pragma once
#include <cstdint>
#include <functional>
#include <map>

namespace doppel::devices {

// A device's port-I/O registers. size is 1, 2 or 4 bytes; reads return the value zero-extended.
class PortDevice {
 public:
  virtual ~PortDevice() = default;
  virtual uint32_t PortRead(uint16_t port, unsigned size) = 0;
  virtual void PortWrite(uint16_t port, unsigned size, uint32_t value) = 0;
};

// A device's memory-mapped registers; offset is from the start of the device's region.
class MmioDevice {
 public:
  virtual ~MmioDevice() = default;
  virtual uint64_t MmioRead(uint64_t offset, unsigned size) = 0;
  virtual void MmioWrite(uint64_t offset, unsigned size, uint64_t value) = 0;
};

// Where a device raises an interrupt: SetLevel(true) then SetLevel(false) is an edge.
class IrqLine {
 public:
  virtual ~IrqLine() = default;
  virtual void SetLevel(bool high) = 0;
  void Pulse() {
    SetLevel(true);
    SetLevel(false);
  }
};

// An IrqLine that calls a function (the board routes device lines to the PIC and IOAPIC).
class FunctionIrqLine : public IrqLine {
 public:
  explicit FunctionIrqLine(std::function<void(bool)> fn) : fn_(std::move(fn)) {}
  void SetLevel(bool high) override { fn_(high); }

 private:
  std::function<void(bool)> fn_;
};

// Time as devices see it, in nanoseconds since the machine started.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t NowNs() const = 0;
};

// The port-I/O bus: 64 Ki byte-addressed ports. Unclaimed ports read as all ones and ignore
// writes, as on a PC. An access is dispatched to the device owning its first port.
class PortBus {
 public:
  // Claims [first, first+count) for dev; false if any port is already claimed.
  bool Add(uint16_t first, uint32_t count, PortDevice* dev);
  uint32_t Read(uint16_t port, unsigned size) const;
  void Write(uint16_t port, unsigned size, uint32_t value) const;

 private:
  PortDevice* Find(uint16_t port) const;
  struct Range {
    uint32_t count;
    PortDevice* dev;
  };
  std::map<uint16_t, Range> ranges_;  // key: first port
};

// The MMIO bus: physical address ranges owned by devices (RAM is not on this bus).
class MmioBus {
 public:
  bool Add(uint64_t base, uint64_t size, MmioDevice* dev);
  // The device owning addr and the offset into its region, or nullptr.
  MmioDevice* Find(uint64_t addr, uint64_t* offset) const;
  // Unclaimed addresses read as all ones and ignore writes.
  uint64_t Read(uint64_t addr, unsigned size) const;
  void Write(uint64_t addr, unsigned size, uint64_t value) const;

 private:
  struct Range {
    uint64_t size;
    MmioDevice* dev;
  };
  std::map<uint64_t, Range> ranges_;  // key: base
};

}  // namespace doppel::devices
