// devices/uart16550.cpp: 16550A register semantics, interrupt priorities and the receive FIFO,
// following QEMU's hw/char/serial.c where the datasheet leaves room.
#include "devices/uart16550.h"

#include "devices/byte_ports.h"

namespace doppel::devices {

namespace {

enum : unsigned {
  kRbrThr = 0,
  kIer = 1,
  kIirFcr = 2,
  kLcr = 3,
  kMcr = 4,
  kLsr = 5,
  kMsr = 6,
  kScr = 7
};

constexpr uint8_t kLcrDlab = 0x80;

constexpr uint8_t kIerRdi = 0x01, kIerThri = 0x02, kIerRlsi = 0x04, kIerMsi = 0x08;

constexpr uint8_t kIirNone = 0x01, kIirMsi = 0x00, kIirThri = 0x02, kIirRdi = 0x04, kIirRlsi = 0x06,
                  kIirCti = 0x0c, kIirFifoBits = 0xc0;

constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04;

constexpr uint8_t kMcrLoop = 0x10, kMcrOut2 = 0x08;

constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrBi = 0x10, kLsrThre = 0x20, kLsrTemt = 0x40,
                  kLsrErrors = 0x1e;

constexpr uint8_t kMsrDcd = 0x80, kMsrDsr = 0x20, kMsrCts = 0x10, kMsrDeltas = 0x0f;

}  // namespace

Uart16550::Uart16550(IrqLine* irq, std::function<void(uint8_t)> sink)
    : irq_(irq), sink_(std::move(sink)) {
  Reset();
}

void Uart16550::Reset() {
  rx_head_ = rx_count_ = 0;
  rbr_ = 0;
  divisor_ = 0x0c;  // 9600 baud, QEMU's reset value
  ier_ = 0;
  iir_ = kIirNone;
  fcr_ = 0;
  lcr_ = 0;
  // QEMU resets MCR to OUT2 and reports a connected modem (DCD, DSR, CTS) with no backend lines.
  mcr_ = kMcrOut2;
  lsr_ = kLsrThre | kLsrTemt;
  msr_ = kMsrDcd | kMsrDsr | kMsrCts;
  scr_ = 0;
  rx_trigger_ = 1;
  thr_pending_ = false;
  timeout_pending_ = false;
  UpdateIrq();
}

uint32_t Uart16550::PortRead(uint16_t port, unsigned size) {
  uint16_t base = port & ~7u;
  return ReadBytePorts(port, size, base, kPortCount,
                       [&](uint16_t p) { return ReadRegister(p & 7u); });
}

void Uart16550::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  uint16_t base = port & ~7u;
  WriteBytePorts(port, size, value, base, kPortCount,
                 [&](uint16_t p, uint8_t byte) { WriteRegister(p & 7u, byte); });
}

uint8_t Uart16550::ReadRegister(unsigned reg) {
  switch (reg) {
    case kRbrThr: {
      if (lcr_ & kLcrDlab) return divisor_ & 0xff;
      uint8_t value;
      if (FifoEnabled()) {
        value = 0;
        if (rx_count_ > 0) {
          value = rx_[rx_head_];
          rx_head_ = (rx_head_ + 1) % kFifoSize;
          --rx_count_;
        }
        if (rx_count_ == 0) lsr_ &= ~(kLsrDr | kLsrBi);
        // QEMU re-arms the character timeout while bytes remain; we have no character timing,
        // so the timeout counts as already expired until the FIFO drains.
        timeout_pending_ = rx_count_ > 0;
      } else {
        if (rx_count_ > 0) {
          rbr_ = rx_[rx_head_];
          rx_head_ = rx_count_ = 0;
        }
        value = rbr_;
        lsr_ &= ~(kLsrDr | kLsrBi);
      }
      UpdateIrq();
      return value;
    }
    case kIer: return (lcr_ & kLcrDlab) ? divisor_ >> 8 : ier_;
    case kIirFcr: {
      uint8_t value = iir_;
      // Reading IIR acknowledges a THR-empty interrupt when that is the one it reports.
      if ((value & 0x0f) == kIirThri) {
        thr_pending_ = false;
        UpdateIrq();
      }
      return value;
    }
    case kLcr: return lcr_;
    case kMcr: return mcr_;
    case kLsr: {
      uint8_t value = lsr_;
      if (lsr_ & (kLsrBi | kLsrOe)) {
        lsr_ &= ~(kLsrBi | kLsrOe);
        UpdateIrq();
      }
      return value;
    }
    case kMsr:
      if (mcr_ & kMcrLoop) {
        // Loopback wires OUT2->DCD, OUT1->RI, RTS->CTS, DTR->DSR.
        return ((mcr_ & 0x0c) << 4) | ((mcr_ & 0x02) << 3) | ((mcr_ & 0x01) << 5);
      } else {
        uint8_t value = msr_;
        if (msr_ & kMsrDeltas) {
          msr_ &= ~kMsrDeltas;
          UpdateIrq();
        }
        return value;
      }
    default: return scr_;
  }
}

void Uart16550::WriteRegister(unsigned reg, uint8_t value) {
  switch (reg) {
    case kRbrThr:
      if (lcr_ & kLcrDlab) {
        divisor_ = (divisor_ & 0xff00) | value;
        return;
      }
      // QEMU drops the THR-empty condition while the byte is in flight and raises it again once
      // it is sent, so every write gives an edge-triggered PIC a fresh edge.
      thr_pending_ = false;
      lsr_ &= ~(kLsrThre | kLsrTemt);
      UpdateIrq();
      Transmit(value);
      lsr_ |= kLsrThre | kLsrTemt;
      thr_pending_ = true;
      UpdateIrq();
      return;
    case kIer: {
      if (lcr_ & kLcrDlab) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0x00ff) | (value << 8));
        return;
      }
      uint8_t changed = (ier_ ^ value) & 0x0f;
      ier_ = value & 0x0f;
      // Enabling the THR-empty interrupt with an empty THR raises it at once (QEMU, and what the
      // Linux 8250 driver relies on to start transmission).
      if (changed & kIerThri) thr_pending_ = (ier_ & kIerThri) && (lsr_ & kLsrThre);
      if (changed) UpdateIrq();
      return;
    }
    case kIirFcr: WriteFcr(value); return;
    case kLcr: lcr_ = value; return;
    case kMcr: mcr_ = value & 0x1f; return;
    case kLsr:
    case kMsr: return;  // read-only (factory test writes are ignored, as in QEMU)
    default: scr_ = value; return;
  }
}

void Uart16550::WriteFcr(uint8_t value) {
  // Toggling the FIFO enable flushes both FIFOs.
  if ((value ^ fcr_) & kFcrEnable) value |= kFcrClearRx | kFcrClearTx;
  if (value & kFcrClearRx) {
    rx_head_ = rx_count_ = 0;
    lsr_ &= ~(kLsrDr | kLsrBi);
    timeout_pending_ = false;
  }
  if (value & kFcrClearTx) {
    // Transmission is instantaneous, so the transmit FIFO is always empty.
    lsr_ |= kLsrThre;
    thr_pending_ = true;
  }
  fcr_ = value & 0xc9;
  if (fcr_ & kFcrEnable) {
    static constexpr unsigned kTriggerLevels[4] = {1, 4, 8, 14};
    iir_ |= kIirFifoBits;
    rx_trigger_ = kTriggerLevels[fcr_ >> 6];
  } else {
    iir_ &= ~kIirFifoBits;
  }
  UpdateIrq();
}

void Uart16550::Transmit(uint8_t byte) {
  if (mcr_ & kMcrLoop) {
    PushReceived(byte);
  } else if (sink_) {
    sink_(byte);
  }
}

bool Uart16550::CanReceive() const {
  if (mcr_ & kMcrLoop) return false;
  return FifoEnabled() ? rx_count_ < kFifoSize : !(lsr_ & kLsrDr);
}

void Uart16550::Receive(uint8_t byte) {
  // In loopback mode the serial input is disconnected from the outside (16550 datasheet).
  if (mcr_ & kMcrLoop) return;
  PushReceived(byte);
}

void Uart16550::PushReceived(uint8_t byte) {
  if (FifoEnabled()) {
    // An overrun does not overwrite FIFO contents: the new byte is lost.
    if (rx_count_ < kFifoSize) {
      rx_[(rx_head_ + rx_count_) % kFifoSize] = byte;
      ++rx_count_;
    } else {
      lsr_ |= kLsrOe;
    }
    timeout_pending_ = true;
  } else {
    // Without the FIFO the holding register is overwritten and the overrun flagged.
    if (lsr_ & kLsrDr) lsr_ |= kLsrOe;
    rx_[0] = byte;
    rx_head_ = 0;
    rx_count_ = 1;
  }
  lsr_ |= kLsrDr;
  UpdateIrq();
}

void Uart16550::UpdateIrq() {
  uint8_t id = kIirNone;
  if ((ier_ & kIerRlsi) && (lsr_ & kLsrErrors)) {
    id = kIirRlsi;
  } else if ((ier_ & kIerRdi) && timeout_pending_ && (lsr_ & kLsrDr)) {
    id = kIirCti;
  } else if ((ier_ & kIerRdi) && (lsr_ & kLsrDr) && (!FifoEnabled() || rx_count_ >= rx_trigger_)) {
    id = kIirRdi;
  } else if ((ier_ & kIerThri) && thr_pending_) {
    id = kIirThri;
  } else if ((ier_ & kIerMsi) && (msr_ & kMsrDeltas)) {
    id = kIirMsi;
  }
  iir_ = id | (iir_ & 0xf0);
  // QEMU drives the line from the interrupt condition alone; MCR OUT2 does not gate it.
  bool level = id != kIirNone;
  if (level != irq_level_) {
    irq_level_ = level;
    if (irq_) irq_->SetLevel(level);
  }
}

}  // namespace doppel::devices
