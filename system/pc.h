// system/pc.h: the emulated PC: RAM, the CPU, QEMU-compatible devices (COM1, PIC, PIT, CMOS,
// i8042, LAPIC, IOAPIC, fw_cfg, debug exit, debugcon, reset and shutdown ports) and the loop
// that runs the CPU in slices, drives the timers, sleeps on HLT and feeds serial input.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "devices/bus.h"
#include "runtime/machine.h"
#include "runtime/platform.h"

namespace doppel::system {

struct PcConfig {
  MachineConfig machine;  // engine, logging; system and ram_bytes are set by the board
  uint64_t ram_bytes = 128ull << 20;
  std::string cmdline;  // also offered through fw_cfg
  // Timers follow retired instructions (1 ns each) instead of host time: runs are repeatable.
  bool icount = false;
  bool no_reboot = false;
  // Where COM1's output goes, and the file descriptor its input is read from (-1: none). Input
  // also carries the escape: Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A.
  std::function<void(uint8_t)> serial_out;
  int serial_in_fd = -1;
  std::function<void(uint8_t)> debugcon_out;
  // The firmware's part of a reset: loads the kernel again and sets up the CPU for it (QEMU's
  // firmware reruns the multiboot loader). Without it, or with no_reboot, a reset or a triple
  // fault ends the run.
  std::function<bool(CpuState& cpu, std::string* error)> reload;
};

// How a run ended.
struct PcExit {
  int status = 0;  // doppel's exit status (QEMU's convention for the debug-exit device)
  std::string reason;
};

class Pc : public Platform {
 public:
  explicit Pc(const PcConfig& config);
  ~Pc() override;
  // Allocates RAM and wires the devices; false with a message.
  bool Init(std::string* error);
  Machine& machine() { return *machine_; }
  softmmu::PhysicalMemory& memory();
  // Runs the guest until it exits, powers off, resets (with no_reboot) or triple-faults.
  PcExit Run();

  // Platform.
  uint32_t PortIn(uint16_t port, unsigned size) override;
  void PortOut(uint16_t port, unsigned size, uint32_t value) override;
  bool InterruptPending() override;
  uint8_t AcknowledgeInterrupt() override;
  bool ReadMsr(uint32_t msr, uint64_t* value) override;
  bool WriteMsr(uint32_t msr, uint64_t value) override;
  uint64_t ReadCr8() override;
  void WriteCr8(uint64_t value) override;
  uint64_t Tsc() override;
  bool StopRequested() override { return stop_.has_value() || reset_pending_; }

  struct Devices;

 private:
  void AdvanceTimers();
  uint64_t NextTimerNs() const;
  // Reads serial input into input_ (waiting up to timeout_ns for some) and feeds the UART.
  void PollInput(uint64_t timeout_ns);
  // Moves queued input into the UART while it has room; true if it moved any.
  bool FeedUart();
  void RequestStop(int status, std::string reason);
  void RequestReset();
  // Creates and wires the devices; CMOS RAM (bytes 0x0e..0x7f) carries over from `previous`.
  bool BuildDevices(const Devices* previous, std::string* error);
  // A reset that reboots: fresh CPU and devices, the kernel loaded again. False with a message.
  bool Reboot(std::string* error);

  PcConfig config_;
  std::unique_ptr<Machine> machine_;
  std::unique_ptr<devices::Clock> clock_;
  std::unique_ptr<Devices> dev_;
  std::optional<PcExit> stop_;
  bool reset_pending_ = false;
  bool input_open_ = false;
  bool escape_ = false;  // Ctrl-A seen
  // Input read from the host that the UART has no room for yet: it holds one byte without its
  // FIFO and 16 with it, and a host read returns more.
  std::deque<uint8_t> input_;
};

}  // namespace doppel::system
