// devices/pit8254.h: the 8254 programmable interval timer (ports 0x40-0x43) and the PC's system
// control port B (0x61) bits for channel 2's gate and output; channel 0 drives IRQ 0.
#pragma once
#include <array>
#include <cstdint>

#include "devices/bus.h"

namespace doppel::devices {

// Counts are computed from the Clock: a channel that started counting at start_ns has seen
// floor((now - start_ns) * 1193182 / 1e9) input clocks, so every read follows elapsed time exactly
// and nothing ticks in between. The board calls Advance() at (or after) NextEventNs(); each port
// access also catches up first, so a late Advance never reorders an edge and a register change.
//
// Output and IRQ 0: channel 0's OUT drives irq0. Advance() gives one rising edge for every expiry
// window it covers: if many periods passed since the last call they are coalesced into one edge (as
// an edge-triggered PIC would see them when the CPU fell behind), so catching up after a long gap
// costs O(1). Between calls the line holds its last level; it is exact at each Advance and each
// port access.
//
// Modes 0-5 follow the 8254 data sheet: 0 out rises at terminal count; 1 hardware one-shot (gate
// rising edge starts it); 2 rate generator (out low for the last clock of each period); 3 square
// wave (high for ceil(N/2), low for floor(N/2) clocks); 4 and 5 strobe (out low for one clock at
// terminal count; 5 starts on a gate rising edge). A count of 0 means 65536.
//
// Inexact on purpose (as in QEMU): BCD counting is accepted and reported in the status byte but
// counts in binary; in modes 0 and 4 a low gate does not pause counting; a new count written in
// modes 2/3 takes effect at once instead of at the end of the current period; mode 3 with an odd
// count reads back approximate values; counts of 1 in modes 2 and 3 run with period 2. Status bit 6
// (null count) is set from a control word until the count is written. Not thread-safe.
class Pit8254 : public PortDevice {
 public:
  static constexpr uint64_t kFrequencyHz = 1193182;

  // irq0 may be null (then channel 0's output only shows in the status byte).
  Pit8254(const Clock* clock, IrqLine* irq0);

  // Ports 0x40-0x43 and 0x61; other ports read 0xff and ignore writes. Only the low byte of a
  // wider access is used, at the port it names.
  uint32_t PortRead(uint16_t port, unsigned size) override;
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

  // Absolute Clock time of channel 0's next rising edge, ~0ull when none is due.
  uint64_t NextEventNs() const;
  // Processes every channel 0 edge up to now_ns (coalesced, see above).
  void Advance(uint64_t now_ns);

  // Channel 2's gate (port 0x61 bit 0) and output (port 0x61 bit 5), for a board that routes
  // port 0x61 elsewhere.
  void SetGate2(bool high);
  bool Out2() const { return Out(2, clock_->NowNs()); }
  // Any channel's output at time now_ns (for tests and the debugger).
  bool Out(unsigned channel, uint64_t now_ns) const;

 private:
  enum Access : uint8_t { kLatchCmd = 0, kLsb = 1, kMsb = 2, kWord = 3, kWordHigh = 4 };
  struct Channel {
    uint32_t count = 0x10000;  // reload value, 1..0x10000
    uint8_t mode = 0;
    bool bcd = false;
    uint8_t access = kWord;      // from the control word: kLsb, kMsb or kWord
    uint8_t read_state = kWord;  // next byte of a kWord read: kWord (low) or kWordHigh
    uint8_t write_state = kWord;
    uint8_t write_low = 0;    // low byte of a kWord count waiting for its high byte
    uint8_t latch_state = 0;  // 0 none, else which bytes of latched_count remain (Access)
    uint16_t latched_count = 0;
    bool status_latched = false;
    uint8_t status = 0;
    bool gate = true;
    bool armed = false;     // a count was written since the control word
    bool counting = false;  // armed, and (modes 1/2/3/5) started by the gate
    uint64_t start_ns = 0;  // when counting began; ticks are counted from here
  };

  uint64_t Ticks(const Channel& ch, uint64_t now_ns) const;
  uint64_t TickTimeNs(const Channel& ch, uint64_t tick) const;
  uint16_t CountValue(const Channel& ch, uint64_t now_ns) const;
  // The first tick after tick d at which OUT rises, or ~0ull.
  uint64_t NextRiseTick(const Channel& ch, uint64_t d) const;
  uint64_t NextRiseNs(const Channel& ch, uint64_t after_ns) const;
  void WriteControl(uint8_t value, uint64_t now_ns);
  void LatchCount(Channel& ch, uint64_t now_ns);
  void LatchStatus(Channel& ch, unsigned index, uint64_t now_ns);
  void WriteCount(Channel& ch, uint8_t value, uint64_t now_ns);
  void LoadCount(Channel& ch, uint32_t count, uint64_t now_ns);
  uint8_t ReadCount(Channel& ch, uint64_t now_ns);
  void SetGate(Channel& ch, bool high, uint64_t now_ns);
  // Drives irq0 to channel 0's output now, after a register change.
  void SyncLine(uint64_t now_ns);

  const Clock* clock_;
  IrqLine* irq0_;
  bool line_level_ = false;
  uint64_t processed_ns_ = 0;  // edges up to this time have been delivered
  uint8_t port61_ = 0;         // bits 0-3 as last written
  std::array<Channel, 3> channels_;
};

}  // namespace doppel::devices
