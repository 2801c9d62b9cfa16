// tests/devices/uart16550_test.cpp: 16550 registers, DLAB, interrupt priorities, FIFO, loopback.
#include "devices/uart16550.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/devices/port_test_util.h"

namespace doppel::devices {
namespace {

using testing::RecordingIrqLine;

constexpr uint16_t kBase = Uart16550::kCom1Port;
constexpr uint16_t kThr = kBase, kIer = kBase + 1, kIir = kBase + 2, kFcr = kBase + 2,
                   kLcr = kBase + 3, kMcr = kBase + 4, kLsr = kBase + 5, kMsr = kBase + 6,
                   kScr = kBase + 7;

struct UartTest : ::testing::Test {
  RecordingIrqLine irq;
  std::string out;
  Uart16550 uart{&irq, [this](uint8_t b) { out.push_back(static_cast<char>(b)); }};
  uint8_t In(uint16_t port) { return static_cast<uint8_t>(uart.PortRead(port, 1)); }
  void Out(uint16_t port, uint8_t v) { uart.PortWrite(port, 1, v); }
};

TEST_F(UartTest, ResetStateMatchesQemu) {
  EXPECT_EQ(In(kIer), 0x00);
  EXPECT_EQ(In(kIir), 0x01);  // no interrupt pending
  EXPECT_EQ(In(kLcr), 0x00);
  EXPECT_EQ(In(kMcr), 0x08);  // OUT2
  EXPECT_EQ(In(kLsr), 0x60);  // THRE | TEMT
  EXPECT_EQ(In(kMsr), 0xb0);  // DCD | DSR | CTS
  EXPECT_EQ(In(kScr), 0x00);
  EXPECT_FALSE(irq.level);
  EXPECT_TRUE(irq.changes.empty());
}

TEST_F(UartTest, TransmitsToSink) {
  for (char c : std::string("hi\n")) Out(kThr, static_cast<uint8_t>(c));
  EXPECT_EQ(out, "hi\n");
  EXPECT_EQ(In(kLsr) & 0x60, 0x60);  // sent at once: THR and shifter empty again
}

TEST_F(UartTest, DlabSwitchesToDivisorLatch) {
  Out(kLcr, 0x83);  // DLAB, 8N1
  Out(kThr, 0x01);
  Out(kIer, 0x02);
  EXPECT_EQ(In(kThr), 0x01);
  EXPECT_EQ(In(kIer), 0x02);
  EXPECT_TRUE(out.empty());  // divisor writes are not data
  Out(kLcr, 0x03);
  EXPECT_EQ(In(kIer), 0x00);  // the real IER was not touched
  EXPECT_EQ(In(kLcr), 0x03);
  Out(kLcr, 0x80);
  EXPECT_EQ(In(kThr) | (In(kIer) << 8), 0x0201);
}

TEST_F(UartTest, ScratchRegisterHoldsAValue) {
  Out(kScr, 0x5a);
  EXPECT_EQ(In(kScr), 0x5a);
}

TEST_F(UartTest, EnablingThrEmptyInterruptRaisesItAndReadingIirClearsIt) {
  Out(kIer, 0x02);
  EXPECT_TRUE(irq.level);
  EXPECT_EQ(In(kIir), 0x02);
  EXPECT_FALSE(irq.level);
  EXPECT_EQ(In(kIir), 0x01);
  // Each transmitted byte raises it again with a fresh edge.
  unsigned raises = irq.raises;
  Out(kThr, 'a');
  EXPECT_TRUE(irq.level);
  EXPECT_EQ(irq.raises, raises + 1);
  // Disabling the interrupt drops the line.
  Out(kIer, 0x00);
  EXPECT_FALSE(irq.level);
  EXPECT_EQ(In(kIir), 0x01);
}

TEST_F(UartTest, Out2DoesNotGateTheLineAsInQemu) {
  Out(kMcr, 0x00);
  Out(kIer, 0x02);
  EXPECT_TRUE(irq.level);
}

TEST_F(UartTest, ReceiveWithoutFifoAndOverrun) {
  EXPECT_TRUE(uart.CanReceive());
  uart.Receive('x');
  EXPECT_FALSE(uart.CanReceive());
  EXPECT_EQ(In(kLsr) & 0x01, 0x01);
  EXPECT_FALSE(irq.level);  // RX interrupt not enabled
  Out(kIer, 0x01);
  EXPECT_TRUE(irq.level);
  EXPECT_EQ(In(kIir), 0x04);
  uart.Receive('y');  // overwrites the holding register and flags an overrun
  EXPECT_EQ(In(kThr), 'y');
  EXPECT_FALSE(irq.level);
  uint8_t lsr = In(kLsr);
  EXPECT_EQ(lsr & 0x03, 0x02);       // OE, no data
  EXPECT_EQ(In(kLsr) & 0x02, 0x00);  // reading LSR cleared OE
}

TEST_F(UartTest, LineStatusInterruptHasPriorityOverData) {
  Out(kIer, 0x07);  // line status, THR empty, RX data
  EXPECT_EQ(In(kIir), 0x02);
  uart.Receive('a');
  EXPECT_EQ(In(kIir), 0x04);  // data outranks THR empty
  uart.Receive('b');          // overrun
  EXPECT_EQ(In(kIir), 0x06);  // line status outranks data
  In(kLsr);                   // clears the overrun
  EXPECT_EQ(In(kIir), 0x04);
  EXPECT_EQ(In(kThr), 'b');
  EXPECT_EQ(In(kIir), 0x01);  // THR-empty was acknowledged by the first IIR read
  EXPECT_FALSE(irq.level);
}

TEST_F(UartTest, FifoHoldsSixteenBytesAndFlagsOverflow) {
  Out(kFcr, 0x07);  // enable and clear both FIFOs, trigger level 1
  EXPECT_EQ(In(kIir) & 0xc0, 0xc0);
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(uart.CanReceive());
    uart.Receive(static_cast<uint8_t>('A' + i));
  }
  EXPECT_FALSE(uart.CanReceive());
  uart.Receive('!');  // lost
  EXPECT_EQ(In(kLsr) & 0x03, 0x03);
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(In(kLsr) & 0x01, 0x01) << i;
    EXPECT_EQ(In(kThr), 'A' + i);
  }
  EXPECT_EQ(In(kLsr) & 0x01, 0x00);
  EXPECT_EQ(In(kThr), 0x00);  // an empty FIFO reads 0
}

TEST_F(UartTest, FifoTriggerLevelAndTimeout) {
  Out(kFcr, 0x81);  // FIFO, trigger level 8
  Out(kIer, 0x01);
  uart.Receive('a');
  // Below the trigger level the character timeout reports the data (we have no character
  // timing, so it counts as expired at once).
  EXPECT_EQ(In(kIir), 0xcc);
  EXPECT_TRUE(irq.level);
  for (int i = 0; i < 7; ++i) uart.Receive('b');
  EXPECT_EQ(In(kIir) & 0x0f, 0x0c);
  for (int i = 0; i < 8; ++i) In(kThr);
  EXPECT_EQ(In(kIir), 0xc1);
  EXPECT_FALSE(irq.level);
  // Clearing the receive FIFO drops data and the interrupt.
  uart.Receive('c');
  Out(kFcr, 0x83);
  EXPECT_EQ(In(kLsr) & 0x01, 0x00);
  EXPECT_FALSE(irq.level);
  // Disabling the FIFO drops the FIFO bits in IIR.
  Out(kFcr, 0x00);
  EXPECT_EQ(In(kIir), 0x01);
}

TEST_F(UartTest, LoopbackReturnsTransmittedBytesAndModemLines) {
  Out(kMcr, 0x10 | 0x0f);  // loop with DTR, RTS, OUT1, OUT2
  EXPECT_EQ(In(kMsr), 0xf0);
  Out(kMcr, 0x10 | 0x01);  // DTR only -> DSR
  EXPECT_EQ(In(kMsr), 0x20);
  Out(kMcr, 0x10 | 0x02);  // RTS -> CTS
  EXPECT_EQ(In(kMsr), 0x10);
  Out(kThr, 0x42);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(In(kLsr) & 0x01, 0x01);
  EXPECT_EQ(In(kThr), 0x42);
  // Outside input is disconnected while looping back.
  EXPECT_FALSE(uart.CanReceive());
  uart.Receive('z');
  EXPECT_EQ(In(kLsr) & 0x01, 0x00);
  Out(kMcr, 0x08);
  EXPECT_EQ(In(kMsr), 0xb0);
  Out(kThr, 'q');
  EXPECT_EQ(out, "q");
}

TEST_F(UartTest, WidePortAccessesSplitIntoBytes) {
  Out(kLcr, 0x80);
  uart.PortWrite(kThr, 2, 0x0c01);  // divisor low and high in one access
  EXPECT_EQ(uart.PortRead(kThr, 2), 0x0c01u);
  // Bytes beyond the UART's eight ports read as unclaimed.
  EXPECT_EQ(uart.PortRead(kScr, 2) >> 8, 0xffu);
}

TEST_F(UartTest, WorksWithoutIrqLineOrSink) {
  Uart16550 bare(nullptr, nullptr);
  bare.PortWrite(kIer, 1, 0x0f);
  bare.PortWrite(kThr, 1, 'x');
  bare.Receive('y');
  EXPECT_TRUE(bare.IrqLevel());
  EXPECT_EQ(bare.PortRead(kThr, 1), static_cast<uint32_t>('y'));
}

}  // namespace
}  // namespace doppel::devices
