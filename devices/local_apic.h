// devices/local_apic.h: the local APIC of the single CPU in xAPIC mode (MMIO page at 0xfee00000):
// interrupt acceptance and priority, EOI, self-IPIs, and the one-shot/periodic/TSC-deadline timer.
#pragma once
#include <array>
#include <cstdint>
#include <functional>

#include "devices/bus.h"

namespace doppel::devices {

// Time base, as in QEMU: the APIC timer counts at 1 GHz (the APIC bus clock) divided by the
// divide configuration register (1, 2, 4, ..., 128), so one tick is 1 << shift nanoseconds of
// Clock time; a period is initial_count * divider ns (as KVM; QEMU uses initial_count + 1). The TSC
// is defined as Clock nanoseconds (1 GHz), so the board's RDTSC must return Clock::NowNs() and the
// IA32_TSC_DEADLINE MSR is compared with Clock time directly.
//
// Reset state (no BIOS): ID 0, version 0x00050014 (version 0x14, max LVT entry 5), TPR 0, LDR 0,
// DFR 0xffffffff (flat), SVR 0xff (software-disabled), every LVT masked, timer stopped, APIC base
// MSR 0xfee00900 (BSP, globally enabled). Because it starts software-disabled, PicPassthrough() is
// true until the guest enables the APIC; a board that wants the BIOS's virtual-wire setup (LINT0 as
// ExtINT, which QEMU's older reset used) writes 0x700 to LVT LINT0 itself.
//
// Timer expiry: the board calls Advance() at (or after) NextEventNs(). A periodic timer that fell
// many periods behind raises one interrupt and continues from the next period boundary after
// now (coalesced, as the IRR could only hold one anyway). Every MMIO write and TSC-deadline write
// first processes expiries up to Clock::NowNs(), and fires a timer that is already due at once.
//
// Register access: 32-bit aligned writes (size 4, or 8 using the low half) take effect; narrower or
// misaligned writes are ignored. Reads of any size return the bytes of the 32-bit register at
// offset & 0xff0; bytes 4-15 of each 16-byte slot, write-only and reserved registers read as 0.
// Writes to reserved offsets set ESR bit 7 (illegal register address); vectors 0-15 are dropped and
// set ESR bit 5 (sent by ICR) or 6 (received); a pending error raises the LVT error vector if
// unmasked.
//
// Not modelled (documented simplifications): ICR delivery modes other than fixed/lowest-priority
// (NMI, INIT, SIPI, SMI, ExtINT) are ignored since there is one CPU; IPIs are always
// edge-triggered; "all excluding self" reaches nobody; LINT0/LINT1 pins, thermal and performance
// LVTs only store their registers; EOI broadcast suppression and x2APIC are not offered; the focus
// check bit is stored only. The APIC base address in the MSR is recorded but the board owns the
// MMIO mapping. Not thread-safe: the board serialises calls.
class LocalApic : public MmioDevice {
 public:
  static constexpr uint64_t kDefaultBase = 0xfee00000;
  static constexpr uint32_t kVersion = 0x00050014;

  explicit LocalApic(const Clock* clock);

  uint64_t MmioRead(uint64_t offset, unsigned size) override;
  void MmioWrite(uint64_t offset, unsigned size, uint64_t value) override;

  // A fixed interrupt arrives (from the IOAPIC, the timer or an IPI): sets IRR, and TMR when
  // level-triggered. Dropped while the APIC is globally disabled.
  void AcceptInterrupt(uint8_t vector, bool level);
  // The highest requested vector's priority class is above PPR, and the APIC is enabled.
  bool HasInterrupt() const;
  // INTA: moves the highest requested vector from IRR to ISR and returns it; the spurious vector
  // (SVR bits 7:0) when nothing is deliverable.
  uint8_t Acknowledge();
  // Called with the vector when an EOI retires a level-triggered interrupt (the IOAPIC's Remote
  // IRR).
  void SetLevelEoiCallback(std::function<void(uint8_t vector)> callback) {
    level_eoi_ = std::move(callback);
  }

  // IA32_APIC_BASE: bit 8 BSP (read-only), bit 11 global enable, bits 35:12 the base address;
  // x2APIC enable (bit 10) and reserved bits are ignored. Global disable also software-disables.
  void SetApicBaseMsr(uint64_t value);
  uint64_t ApicBaseMsr() const { return apic_base_msr_; }
  bool GloballyEnabled() const { return apic_base_msr_ & kGlobalEnable; }
  bool SoftwareEnabled() const { return svr_ & kSoftwareEnable; }

  // Whether the 8259's INTR should reach the CPU: the APIC is globally or software-disabled, or
  // LINT0 is unmasked in ExtINT delivery mode (virtual wire).
  bool PicPassthrough() const;

  // CR8 reads and writes TPR[7:4]; the CPU uses these.
  uint8_t Tpr() const { return tpr_; }
  void SetTpr(uint8_t tpr) { tpr_ = tpr; }
  uint8_t Ppr() const;

  // IA32_TSC_DEADLINE: only effective in TSC-deadline mode (reads 0 otherwise); 0 disarms; a
  // deadline in the past fires at once. Cleared when the timer fires.
  void WriteTscDeadline(uint64_t tsc);
  uint64_t ReadTscDeadline() const { return tsc_deadline_; }

  // Absolute Clock time of the timer's next expiry, ~0ull when none.
  uint64_t NextEventNs() const { return next_timer_ns_; }
  void Advance(uint64_t now_ns);

 private:
  static constexpr uint64_t kBsp = 1u << 8;
  static constexpr uint64_t kGlobalEnable = 1u << 11;
  static constexpr uint32_t kSoftwareEnable = 1u << 8;
  static constexpr uint32_t kLvtMasked = 1u << 16;
  enum Lvt { kLvtTimer, kLvtThermal, kLvtPerf, kLvtLint0, kLvtLint1, kLvtError, kLvtCount };
  enum TimerMode { kOneShot = 0, kPeriodic = 1, kTscDeadline = 2 };
  using VectorBits = std::array<uint32_t, 8>;

  uint32_t ReadRegister(uint32_t reg) const;
  void WriteRegister(uint32_t reg, uint32_t value, uint64_t now_ns);
  void WriteLvt(unsigned index, uint32_t value, uint64_t now_ns);
  void WriteSvr(uint32_t value);
  void SendIpi(uint32_t icr_low);
  bool MatchesDestination(uint8_t dest, bool logical) const;
  void Eoi();
  void SignalError(uint32_t esr_bits);
  uint8_t Apr() const;
  TimerMode timer_mode() const;
  unsigned DivideShift() const;
  // Ticks counted since the initial count was written: timer_base_ticks_ at timer_base_ns_, then
  // one per 1 << DivideShift() ns.
  uint64_t ElapsedTicks(uint64_t now_ns) const;
  void RebaseTimer(uint64_t now_ns);
  uint32_t CurrentCount(uint64_t now_ns) const;
  // The next expiry after now_ns of the one-shot/periodic count.
  void ScheduleCountTimer(uint64_t now_ns);
  void FireTimer();

  static int Highest(const VectorBits& bits);
  static bool Test(const VectorBits& bits, uint8_t v) { return bits[v >> 5] & (1u << (v & 31)); }
  static void Set(VectorBits& bits, uint8_t v) { bits[v >> 5] |= 1u << (v & 31); }
  static void Clear(VectorBits& bits, uint8_t v) { bits[v >> 5] &= ~(1u << (v & 31)); }

  const Clock* clock_;
  std::function<void(uint8_t)> level_eoi_;
  uint64_t apic_base_msr_ = kDefaultBase | kBsp | kGlobalEnable;
  uint8_t id_ = 0;
  uint8_t tpr_ = 0;
  uint32_t ldr_ = 0;
  uint32_t dfr_ = 0xffffffff;
  uint32_t svr_ = 0xff;
  VectorBits isr_{}, tmr_{}, irr_{};
  uint32_t esr_ = 0;          // as latched by the last ESR write
  uint32_t pending_esr_ = 0;  // errors since then
  uint32_t icr_low_ = 0, icr_high_ = 0;
  std::array<uint32_t, kLvtCount> lvt_{};
  uint32_t initial_count_ = 0;
  uint32_t divide_config_ = 0;  // TDCR bits 0, 1, 3
  uint64_t timer_base_ns_ = 0;
  uint64_t timer_base_ticks_ = 0;
  uint64_t next_timer_ns_ = ~0ull;
  uint64_t tsc_deadline_ = 0;
};

}  // namespace doppel::devices
