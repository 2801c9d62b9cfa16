// devices/local_apic.cpp: xAPIC registers, priority (TPR/PPR/APR), IRR/ISR/TMR bookkeeping,
// self-IPIs and the timer computed from Clock time.
#include "devices/local_apic.h"

#include <algorithm>
#include <bit>

namespace doppel::devices {

namespace {

constexpr uint64_t kNever = ~0ull;
constexpr uint64_t kBaseMask = 0x0000000ffffff000ull;  // MAXPHYADDR 36, the xAPIC default

// ESR bits (Intel SDM vol. 3 10.5.3).
constexpr uint32_t kEsrSendIllegalVector = 1u << 5;
constexpr uint32_t kEsrReceiveIllegalVector = 1u << 6;
constexpr uint32_t kEsrIllegalRegister = 1u << 7;

// Writable bits of each LVT entry: timer, thermal, perf, LINT0, LINT1, error. Delivery status
// (bit 12) and LINT remote IRR (bit 14) are read-only and always 0 here.
constexpr std::array<uint32_t, 6> kLvtWritable = {0x000700ff, 0x000107ff, 0x000107ff,
                                                  0x0001a7ff, 0x0001a7ff, 0x000100ff};
constexpr uint32_t kIcrLowWritable = 0x000ccfff;

}  // namespace

LocalApic::LocalApic(const Clock* clock) : clock_(clock) { lvt_.fill(kLvtMasked); }

int LocalApic::Highest(const VectorBits& bits) {
  for (int i = 7; i >= 0; --i) {
    if (bits[i]) return i * 32 + 31 - std::countl_zero(bits[i]);
  }
  return -1;
}

uint8_t LocalApic::Ppr() const {
  int isrv = std::max(Highest(isr_), 0);
  return (tpr_ >> 4) >= (isrv >> 4) ? tpr_ : static_cast<uint8_t>(isrv & 0xf0);
}

uint8_t LocalApic::Apr() const {
  int isrv = std::max(Highest(isr_), 0);
  int irrv = std::max(Highest(irr_), 0);
  if ((tpr_ >> 4) >= (irrv >> 4) && (tpr_ >> 4) > (isrv >> 4)) return tpr_;
  return static_cast<uint8_t>(std::max({tpr_ & 0xf0, isrv & 0xf0, irrv & 0xf0}));
}

bool LocalApic::HasInterrupt() const {
  if (!GloballyEnabled() || !SoftwareEnabled()) return false;
  int irrv = Highest(irr_);
  return irrv >= 0 && (irrv & 0xf0) > (Ppr() & 0xf0);
}

uint8_t LocalApic::Acknowledge() {
  if (!HasInterrupt()) return static_cast<uint8_t>(svr_);
  uint8_t vector = static_cast<uint8_t>(Highest(irr_));
  Clear(irr_, vector);
  Set(isr_, vector);
  return vector;
}

void LocalApic::AcceptInterrupt(uint8_t vector, bool level) {
  if (!GloballyEnabled()) return;
  if (vector < 16) {
    SignalError(kEsrReceiveIllegalVector);
    return;
  }
  Set(irr_, vector);
  if (level) {
    Set(tmr_, vector);
  } else {
    Clear(tmr_, vector);
  }
}

void LocalApic::SignalError(uint32_t esr_bits) {
  pending_esr_ |= esr_bits;
  uint32_t lvt = lvt_[kLvtError];
  uint8_t vector = lvt & 0xff;
  // An illegal error vector would only report another error; drop it instead of recursing.
  if (!(lvt & kLvtMasked) && vector >= 16) AcceptInterrupt(vector, false);
}

void LocalApic::Eoi() {
  int vector = Highest(isr_);
  if (vector < 0) return;
  Clear(isr_, static_cast<uint8_t>(vector));
  if (Test(tmr_, static_cast<uint8_t>(vector)) && level_eoi_) {
    level_eoi_(static_cast<uint8_t>(vector));
  }
}

bool LocalApic::PicPassthrough() const {
  if (!GloballyEnabled() || !SoftwareEnabled()) return true;
  uint32_t lint0 = lvt_[kLvtLint0];
  return !(lint0 & kLvtMasked) && ((lint0 >> 8) & 7) == 7;
}

void LocalApic::SetApicBaseMsr(uint64_t value) {
  uint64_t enable = value & kGlobalEnable;
  apic_base_msr_ = (value & kBaseMask) | (apic_base_msr_ & kBsp) | enable;
  // As QEMU: a global disable also clears the software enable, masking every LVT.
  if (!enable) WriteSvr(svr_ & ~kSoftwareEnable);
}

bool LocalApic::MatchesDestination(uint8_t dest, bool logical) const {
  if (dest == 0xff) return true;  // broadcast in both modes
  if (!logical) return dest == id_;
  uint8_t ldr = ldr_ >> 24;
  if ((dfr_ >> 28) == 0xf) return (ldr & dest) != 0;             // flat model
  return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0x0f) != 0;  // cluster model
}

void LocalApic::SendIpi(uint32_t icr_low) {
  uint8_t vector = icr_low & 0xff;
  unsigned delivery_mode = (icr_low >> 8) & 7;
  bool logical = icr_low & (1u << 11);
  unsigned shorthand = (icr_low >> 18) & 3;
  bool to_self = shorthand == 1 || shorthand == 2 ||
                 (shorthand == 0 && MatchesDestination(icr_high_ >> 24, logical));
  if (delivery_mode > 1) return;  // NMI, INIT, SIPI, SMI, ExtINT: not modelled (one CPU)
  if (vector < 16) {
    SignalError(kEsrSendIllegalVector);
    return;
  }
  if (to_self) AcceptInterrupt(vector, false);
}

LocalApic::TimerMode LocalApic::timer_mode() const {
  unsigned mode = (lvt_[kLvtTimer] >> 17) & 3;
  return mode == 3 ? kOneShot : static_cast<TimerMode>(mode);  // 3 is reserved
}

unsigned LocalApic::DivideShift() const {
  // TDCR bits 3,1:0: 000 /2, 001 /4, 010 /8, 011 /16, 100 /32, 101 /64, 110 /128, 111 /1.
  unsigned code = (divide_config_ & 3) | ((divide_config_ >> 1) & 4);
  return (code + 1) & 7;
}

uint64_t LocalApic::ElapsedTicks(uint64_t now_ns) const {
  uint64_t since_base = now_ns > timer_base_ns_ ? now_ns - timer_base_ns_ : 0;
  return timer_base_ticks_ + (since_base >> DivideShift());
}

void LocalApic::RebaseTimer(uint64_t now_ns) {
  // Moves the base to the last whole tick before now, keeping the phase within the tick.
  uint64_t whole = (now_ns > timer_base_ns_ ? now_ns - timer_base_ns_ : 0) >> DivideShift();
  timer_base_ns_ += whole << DivideShift();
  timer_base_ticks_ += whole;
}

uint32_t LocalApic::CurrentCount(uint64_t now_ns) const {
  if (timer_mode() == kTscDeadline || initial_count_ == 0) return 0;
  uint64_t elapsed = ElapsedTicks(now_ns);
  if (timer_mode() == kPeriodic)
    return static_cast<uint32_t>(initial_count_ - elapsed % initial_count_);
  return elapsed >= initial_count_ ? 0 : static_cast<uint32_t>(initial_count_ - elapsed);
}

void LocalApic::ScheduleCountTimer(uint64_t now_ns) {
  next_timer_ns_ = kNever;
  if (timer_mode() == kTscDeadline || initial_count_ == 0) return;
  uint64_t elapsed = ElapsedTicks(now_ns);
  uint64_t target;  // the tick count of the next expiry
  if (timer_mode() == kPeriodic) {
    target = (elapsed / initial_count_ + 1) * initial_count_;
  } else if (elapsed < initial_count_) {
    target = initial_count_;
  } else {
    return;
  }
  next_timer_ns_ = timer_base_ns_ + ((target - timer_base_ticks_) << DivideShift());
}

void LocalApic::FireTimer() {
  uint32_t lvt = lvt_[kLvtTimer];
  if (!(lvt & kLvtMasked)) AcceptInterrupt(lvt & 0xff, false);
}

void LocalApic::Advance(uint64_t now_ns) {
  if (next_timer_ns_ > now_ns) return;
  FireTimer();
  if (timer_mode() == kTscDeadline) {
    tsc_deadline_ = 0;
    next_timer_ns_ = kNever;
  } else {
    ScheduleCountTimer(now_ns);  // the next period boundary after now: missed ones coalesce
  }
}

void LocalApic::WriteTscDeadline(uint64_t tsc) {
  uint64_t now = clock_->NowNs();
  Advance(now);
  if (timer_mode() != kTscDeadline) return;
  tsc_deadline_ = tsc;
  next_timer_ns_ = tsc == 0 ? kNever : tsc;
  Advance(now);
}

void LocalApic::WriteSvr(uint32_t value) {
  svr_ = value & 0x3ff;
  // Software disable masks every LVT entry (Intel SDM vol. 3 10.4.7.2).
  if (!(svr_ & kSoftwareEnable)) {
    for (uint32_t& lvt : lvt_) lvt |= kLvtMasked;
  }
}

void LocalApic::WriteLvt(unsigned index, uint32_t value, uint64_t now_ns) {
  value &= kLvtWritable[index];
  if (!SoftwareEnabled()) value |= kLvtMasked;  // cannot be unmasked while software-disabled
  if (index != kLvtTimer) {
    lvt_[index] = value;
    return;
  }
  TimerMode old_mode = timer_mode();
  lvt_[index] = value;
  TimerMode new_mode = timer_mode();
  if ((old_mode == kTscDeadline) != (new_mode == kTscDeadline)) {
    // Switching into or out of TSC-deadline mode disarms the timer (SDM 10.5.4.1).
    initial_count_ = 0;
    tsc_deadline_ = 0;
    next_timer_ns_ = kNever;
    return;
  }
  if (new_mode == kTscDeadline) return;
  if (old_mode == kPeriodic && new_mode == kOneShot && initial_count_ != 0) {
    // The current period becomes the one shot: it ends when the count reaches 0.
    RebaseTimer(now_ns);
    timer_base_ticks_ %= initial_count_;
  }
  ScheduleCountTimer(now_ns);
}

uint32_t LocalApic::ReadRegister(uint32_t reg) const {
  switch (reg) {
    case 0x020: return uint32_t{id_} << 24;
    case 0x030: return kVersion;
    case 0x080: return tpr_;
    case 0x090: return Apr();
    case 0x0a0: return Ppr();
    case 0x0b0: return 0;  // EOI: write-only
    case 0x0c0: return 0;  // remote read: not supported
    case 0x0d0: return ldr_;
    case 0x0e0: return dfr_;
    case 0x0f0: return svr_;
    case 0x280: return esr_;
    case 0x300: return icr_low_;  // delivery status (bit 12) is always idle
    case 0x310: return icr_high_;
    case 0x380: return initial_count_;
    case 0x390: return CurrentCount(clock_->NowNs());
    case 0x3e0: return divide_config_;
    default: break;
  }
  if (reg >= 0x100 && reg < 0x180) return isr_[(reg - 0x100) >> 4];
  if (reg >= 0x180 && reg < 0x200) return tmr_[(reg - 0x180) >> 4];
  if (reg >= 0x200 && reg < 0x280) return irr_[(reg - 0x200) >> 4];
  if (reg >= 0x320 && reg < 0x380) return lvt_[(reg - 0x320) >> 4];
  return 0;
}

void LocalApic::WriteRegister(uint32_t reg, uint32_t value, uint64_t now_ns) {
  switch (reg) {
    case 0x020: id_ = value >> 24; return;
    case 0x080: tpr_ = value & 0xff; return;
    case 0x0b0: Eoi(); return;
    case 0x0d0: ldr_ = value & 0xff000000; return;
    case 0x0e0: dfr_ = value | 0x0fffffff; return;
    case 0x0f0: WriteSvr(value); return;
    case 0x280:  // a write latches the errors seen since the previous write
      esr_ = pending_esr_;
      pending_esr_ = 0;
      return;
    case 0x300:
      icr_low_ = value & kIcrLowWritable;
      SendIpi(icr_low_);
      return;
    case 0x310: icr_high_ = value & 0xff000000; return;
    case 0x380:
      if (timer_mode() == kTscDeadline) return;  // ignored in TSC-deadline mode
      initial_count_ = value;
      timer_base_ns_ = now_ns;
      timer_base_ticks_ = 0;
      ScheduleCountTimer(now_ns);
      return;
    case 0x3e0:
      // Keep the elapsed tick count across a divider change, so the count continues smoothly.
      RebaseTimer(now_ns);
      divide_config_ = value & 0xb;
      ScheduleCountTimer(now_ns);
      return;
    // Read-only registers: writes are ignored.
    case 0x030:
    case 0x090:
    case 0x0a0:
    case 0x0c0:
    case 0x390: return;
    default: break;
  }
  if (reg >= 0x320 && reg < 0x380) {
    WriteLvt((reg - 0x320) >> 4, value, now_ns);
  } else if (reg < 0x100 || reg >= 0x280) {
    SignalError(kEsrIllegalRegister);  // not ISR/TMR/IRR (read-only): reserved
  }
}

uint64_t LocalApic::MmioRead(uint64_t offset, unsigned size) {
  if (offset >= 0x1000 || size == 0 || size > 8) return 0;
  uint32_t reg = static_cast<uint32_t>(offset & 0xff0);
  unsigned byte = offset & 0xf;
  uint32_t value = ReadRegister(reg);
  uint64_t result = 0;
  for (unsigned i = 0; i < size && byte + i < 4; ++i) {
    result |= uint64_t{(value >> (8 * (byte + i))) & 0xff} << (8 * i);
  }
  return result;
}

void LocalApic::MmioWrite(uint64_t offset, unsigned size, uint64_t value) {
  if (offset >= 0x1000 || (offset & 0xf) != 0 || (size != 4 && size != 8)) return;
  uint64_t now = clock_->NowNs();
  Advance(now);
  WriteRegister(static_cast<uint32_t>(offset), static_cast<uint32_t>(value), now);
  Advance(now);
}

}  // namespace doppel::devices
