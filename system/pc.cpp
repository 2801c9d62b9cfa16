// system/pc.cpp: the PC board: device wiring (QEMU's port and IRQ layout), the Platform the CPU
// calls, and the run loop (CPU slices, timers, HLT sleeping until the next event, serial input).
#include "system/pc.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "devices/cmos.h"
#include "devices/debug_exit.h"
#include "devices/debugcon.h"
#include "devices/fw_cfg.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/local_apic.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/power.h"
#include "devices/uart16550.h"
#include "softmmu/physical_memory.h"

namespace doppel::system {

namespace {

constexpr uint64_t kLapicBase = 0xfee00000, kIoapicBase = 0xfec00000;
constexpr uint32_t kMsrApicBase = 0x1b, kMsrTscDeadline = 0x6e0;
// Instructions per CPU slice: timers and serial input are looked at between slices.
constexpr uint64_t kSliceInsns = 20000;
// Serial input read ahead of the guest, at most.
constexpr size_t kMaxQueuedInput = 4096;

class HostClock : public devices::Clock {
 public:
  HostClock() : start_(std::chrono::steady_clock::now()) {}
  uint64_t NowNs() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - start_)
                                     .count());
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// --icount: one nanosecond per retired instruction, plus the time skipped while halted.
class InstructionClock : public devices::Clock {
 public:
  explicit InstructionClock(const Machine* m) : m_(m) {}
  uint64_t NowNs() const override { return m_->InsnsRetired() + skipped_; }
  void SkipTo(uint64_t ns) {
    uint64_t now = NowNs();
    if (ns > now) skipped_ += ns - now;
  }

 private:
  const Machine* m_;
  uint64_t skipped_ = 0;
};

}  // namespace

struct Pc::Devices {
  devices::PortBus ports;
  devices::MmioBus mmio;
  devices::Pic8259Pair pic;
  std::unique_ptr<devices::IoApic> ioapic;
  std::unique_ptr<devices::LocalApic> lapic;
  std::unique_ptr<devices::Pit8254> pit;
  std::unique_ptr<devices::Cmos> cmos;
  std::unique_ptr<devices::Uart16550> uart;
  std::unique_ptr<devices::I8042> i8042;
  std::unique_ptr<devices::FwCfg> fw_cfg;
  std::unique_ptr<devices::DebugExit> debug_exit;
  std::unique_ptr<devices::Debugcon> debugcon;
  std::unique_ptr<devices::ResetControl> reset;
  std::unique_ptr<devices::AcpiShutdown> shutdown;
  // ISA IRQ n reaches PIC input n and IOAPIC pin n (IRQ 0 is pin 2, QEMU's override).
  std::vector<std::unique_ptr<devices::FunctionIrqLine>> isa_irq;
};

Pc::Pc(const PcConfig& config) : config_(config) {
  config_.machine.system = true;
  config_.machine.ram_bytes = config_.ram_bytes;
  machine_ = std::make_unique<Machine>(config_.machine);
  if (config_.icount)
    clock_ = std::make_unique<InstructionClock>(machine_.get());
  else
    clock_ = std::make_unique<HostClock>();
  input_open_ = config_.serial_in_fd >= 0;
}

Pc::~Pc() = default;

softmmu::PhysicalMemory& Pc::memory() { return *machine_->physical(); }

bool Pc::Init(std::string* error) {
  if (!machine_->AttachPlatform(this, error)) return false;
  if (!BuildDevices(nullptr, error)) return false;
  softmmu::PhysicalMemory& mem = memory();
  if (!mem.AddMmio(kLapicBase, 0x1000, error) || !mem.AddMmio(kIoapicBase, 0x1000, error))
    return false;
  mem.mmio_read = [this](uint64_t paddr, unsigned size) { return dev_->mmio.Read(paddr, size); };
  mem.mmio_write = [this](uint64_t paddr, unsigned size, uint64_t value) {
    dev_->mmio.Write(paddr, size, value);
  };
  return true;
}

bool Pc::BuildDevices(const Devices* previous, std::string* error) {
  dev_ = std::make_unique<Devices>();
  Devices& d = *dev_;
  for (unsigned irq = 0; irq < 16; ++irq) {
    d.isa_irq.push_back(std::make_unique<devices::FunctionIrqLine>([this, irq](bool level) {
      dev_->pic.SetIrq(irq, level);
      dev_->ioapic->SetIrq(irq == 0 ? 2 : irq, level);
    }));
  }
  d.lapic = std::make_unique<devices::LocalApic>(clock_.get());
  d.ioapic = std::make_unique<devices::IoApic>(
      [this](uint8_t vector, bool level) { dev_->lapic->AcceptInterrupt(vector, level); });
  d.lapic->SetLevelEoiCallback([this](uint8_t vector) { dev_->ioapic->Eoi(vector); });
  d.pit = std::make_unique<devices::Pit8254>(clock_.get(), d.isa_irq[0].get());
  d.cmos = std::make_unique<devices::Cmos>(config_.ram_bytes, static_cast<int64_t>(time(nullptr)),
                                           clock_.get(), d.isa_irq[8].get());
  auto serial_out = config_.serial_out ? config_.serial_out : [](uint8_t) {};
  d.uart = std::make_unique<devices::Uart16550>(d.isa_irq[4].get(), serial_out);
  d.i8042 = std::make_unique<devices::I8042>(d.isa_irq[1].get(), d.isa_irq[12].get(),
                                             [this] { RequestReset(); });
  d.fw_cfg =
      std::make_unique<devices::FwCfg>(devices::FwCfgConfig{config_.ram_bytes, 1, config_.cmdline});
  d.debug_exit = std::make_unique<devices::DebugExit>(
      [this](int status) { RequestStop(status, "debug exit"); });
  auto debugcon_out = config_.debugcon_out ? config_.debugcon_out : [](uint8_t) {};
  d.debugcon = std::make_unique<devices::Debugcon>(debugcon_out);
  d.reset = std::make_unique<devices::ResetControl>([this] { RequestReset(); });
  d.shutdown = std::make_unique<devices::AcpiShutdown>([this] { RequestStop(0, "power off"); });

  bool ok = d.ports.Add(0x20, 2, &d.pic) && d.ports.Add(0xa0, 2, &d.pic) &&
            d.ports.Add(0x4d0, 2, &d.pic) && d.ports.Add(0x40, 4, d.pit.get()) &&
            d.ports.Add(0x61, 1, d.pit.get()) && d.ports.Add(0x70, 2, d.cmos.get()) &&
            d.ports.Add(0x3f8, 8, d.uart.get()) && d.ports.Add(0x60, 1, d.i8042.get()) &&
            d.ports.Add(0x64, 1, d.i8042.get()) && d.ports.Add(0x510, 2, d.fw_cfg.get()) &&
            d.ports.Add(0xf4, 4, d.debug_exit.get()) && d.ports.Add(0xe9, 1, d.debugcon.get()) &&
            d.ports.Add(0x92, 1, d.reset.get()) && d.ports.Add(0xcf9, 1, d.reset.get()) &&
            d.ports.Add(0x604, 2, d.shutdown.get()) && d.ports.Add(0xb004, 2, d.shutdown.get()) &&
            d.mmio.Add(kLapicBase, 0x1000, d.lapic.get()) &&
            d.mmio.Add(kIoapicBase, 0x1000, d.ioapic.get());
  if (!ok) {
    *error = "internal error: overlapping device ranges";
    return false;
  }
  if (previous) {  // CMOS RAM survives a reset (the clock registers 0x00..0x0d are the RTC's)
    for (uint8_t reg = 0x0e; reg < 0x80; ++reg) {
      previous->cmos->PortWrite(0x70, 1, reg);
      uint32_t value = previous->cmos->PortRead(0x71, 1);
      d.cmos->PortWrite(0x70, 1, reg);
      d.cmos->PortWrite(0x71, 1, value);
    }
  }
  return true;
}

void Pc::RequestStop(int status, std::string reason) {
  if (!stop_) stop_ = PcExit{status, std::move(reason)};
}

void Pc::RequestReset() {
  if (config_.no_reboot || !config_.reload) {
    RequestStop(0, "reset requested");
  } else {
    reset_pending_ = true;
  }
}

bool Pc::Reboot(std::string* error) {
  reset_pending_ = false;
  std::unique_ptr<Devices> old = std::move(dev_);
  if (!BuildDevices(old.get(), error)) return false;
  CpuState& s = machine_->cpu();
  void* opaque = s.opaque;
  s = CpuState{};  // the reset state: real mode, caches empty
  s.opaque = opaque;
  machine_->FlushCodeCache();
  if (!config_.reload(s, error)) return false;
  machine_->SystemStateChanged();
  return true;
}

uint32_t Pc::PortIn(uint16_t port, unsigned size) { return dev_->ports.Read(port, size); }
void Pc::PortOut(uint16_t port, unsigned size, uint32_t value) {
  dev_->ports.Write(port, size, value);
}

// The local APIC first; the PIC's INTR reaches the CPU while the APIC passes it through
// (disabled, or LINT0 in ExtINT mode).
bool Pc::InterruptPending() {
  Devices& d = *dev_;
  return d.lapic->HasInterrupt() || (d.lapic->PicPassthrough() && d.pic.HasInterrupt());
}

uint8_t Pc::AcknowledgeInterrupt() {
  Devices& d = *dev_;
  if (d.lapic->HasInterrupt()) return d.lapic->Acknowledge();
  return d.pic.Acknowledge();
}

bool Pc::ReadMsr(uint32_t msr, uint64_t* value) {
  if (msr == kMsrApicBase) {
    *value = dev_->lapic->ApicBaseMsr();
    return true;
  }
  if (msr == kMsrTscDeadline) {
    *value = dev_->lapic->ReadTscDeadline();
    return true;
  }
  return false;
}

bool Pc::WriteMsr(uint32_t msr, uint64_t value) {
  if (msr == kMsrApicBase) {
    dev_->lapic->SetApicBaseMsr(value);
    return true;
  }
  if (msr == kMsrTscDeadline) {
    dev_->lapic->WriteTscDeadline(value);
    return true;
  }
  return false;
}

uint64_t Pc::ReadCr8() { return dev_->lapic->Tpr() >> 4; }
void Pc::WriteCr8(uint64_t value) { dev_->lapic->SetTpr(static_cast<uint8_t>((value & 0xf) << 4)); }

uint64_t Pc::Tsc() { return clock_->NowNs(); }

uint64_t Pc::NextTimerNs() const {
  const Devices& d = *dev_;
  return std::min({d.pit->NextEventNs(), d.lapic->NextEventNs(), d.cmos->NextEventNs()});
}

void Pc::AdvanceTimers() {
  uint64_t now = clock_->NowNs();
  Devices& d = *dev_;
  if (d.pit->NextEventNs() <= now) d.pit->Advance(now);
  if (d.lapic->NextEventNs() <= now) d.lapic->Advance(now);
  if (d.cmos->NextEventNs() <= now) d.cmos->Advance(now);
}

bool Pc::FeedUart() {
  bool fed = false;
  while (!input_.empty() && dev_->uart->CanReceive()) {
    dev_->uart->Receive(input_.front());
    input_.pop_front();
    fed = true;
  }
  return fed;
}

// Host input is read whether or not the UART has room, so that Ctrl-A X works even when the
// guest never reads COM1; what the UART cannot take yet waits in input_.
void Pc::PollInput(uint64_t timeout_ns) {
  // Bytes just handed to the UART may have raised its interrupt: no waiting then.
  if (FeedUart()) timeout_ns = 0;
  if (!input_open_ || input_.size() >= kMaxQueuedInput) {
    if (timeout_ns) usleep(static_cast<useconds_t>(std::min<uint64_t>(timeout_ns / 1000, 100000)));
    return;
  }
  pollfd p{config_.serial_in_fd, POLLIN, 0};
  int ms = static_cast<int>(std::min<uint64_t>((timeout_ns + 999999) / 1000000, 100));
  if (poll(&p, 1, ms) <= 0) return;
  uint8_t buf[256];
  ssize_t n = read(config_.serial_in_fd, buf, sizeof buf);
  if (n <= 0) {
    input_open_ = false;
    return;
  }
  for (ssize_t i = 0; i < n; ++i) {
    uint8_t c = buf[i];
    if (escape_) {
      escape_ = false;
      if (c == 'x' || c == 'X') return RequestStop(0, "quit (Ctrl-A X)");
      if (c != 1) continue;
    } else if (c == 1) {
      escape_ = true;
      continue;
    }
    input_.push_back(c);
  }
  FeedUart();
}

PcExit Pc::Run() {
  Machine& m = *machine_;
  unsigned slices = 0;
  for (;;) {
    AdvanceTimers();
    if ((++slices & 15) == 0 || input_open_ || !input_.empty()) PollInput(0);
    if (stop_) return *stop_;
    if (reset_pending_) {
      std::string error;
      if (!Reboot(&error)) return PcExit{1, "reboot: " + error};
    }
    RunResult r = m.Run(RunLimits{kSliceInsns, std::nullopt});
    switch (r.reason) {
      case StopReason::kInsnLimit:
      case StopReason::kStopRequested: break;
      case StopReason::kHalt: {
        // Sleep until the next timer event or serial input; nothing can wake a CPU that halted
        // with interrupts disabled.
        uint64_t next = NextTimerNs();
        bool can_wake = (m.cpu().rflags & ir::kIF) && (next != ~0ull || input_open_);
        if (!can_wake) return PcExit{0, "guest halted with interrupts disabled"};
        uint64_t now = clock_->NowNs();
        if (config_.icount) {
          // Instruction time stands still while halted: wait for input only when no timer is
          // due, and then without burning the host CPU.
          if (next != ~0ull)
            static_cast<InstructionClock*>(clock_.get())->SkipTo(next);
          else
            PollInput(100'000'000);
        } else if (next > now) {
          PollInput(next == ~0ull ? 100'000'000 : next - now);
        }
        break;
      }
      case StopReason::kShutdown:  // a triple fault resets the CPU
        if (config_.no_reboot || !config_.reload) return PcExit{0, "triple fault"};
        reset_pending_ = true;
        break;
      default: return PcExit{1, std::string("unexpected stop: ") + StopReasonName(r.reason)};
    }
  }
}

}  // namespace doppel::system
