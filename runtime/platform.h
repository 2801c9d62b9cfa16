// runtime/platform.h: what the CPU of a system-mode machine needs from the board around it:
// port I/O, the interrupt controller, the APIC's MSRs and time. system/ implements it.
#pragma once
#include <cstdint>

namespace doppel {

class Platform {
 public:
  virtual ~Platform() = default;
  virtual uint32_t PortIn(uint16_t port, unsigned size) = 0;
  virtual void PortOut(uint16_t port, unsigned size, uint32_t value) = 0;
  // The INTR line (PIC through LINT0, or the local APIC) and the INTA cycle returning a vector.
  virtual bool InterruptPending() = 0;
  virtual uint8_t AcknowledgeInterrupt() = 0;
  // MSRs the board's devices own (IA32_APIC_BASE, IA32_TSC_DEADLINE); false if not one of them.
  virtual bool ReadMsr(uint32_t msr, uint64_t* value) = 0;
  virtual bool WriteMsr(uint32_t msr, uint64_t value) = 0;
  // CR8 is the local APIC's task priority (bits 7:4 of the TPR).
  virtual uint64_t ReadCr8() = 0;
  virtual void WriteCr8(uint64_t value) = 0;
  // The time-stamp counter.
  virtual uint64_t Tsc() = 0;
  // A device asked the machine to stop (debug exit, shutdown, reset): Run returns.
  virtual bool StopRequested() = 0;
};

}  // namespace doppel
