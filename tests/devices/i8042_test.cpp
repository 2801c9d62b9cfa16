// tests/devices/i8042_test.cpp: 8042 status, controller commands, keyboard replies, resets, IRQ 1.
#include "devices/i8042.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/devices/port_test_util.h"

namespace doppel::devices {
namespace {

using testing::RecordingIrqLine;

struct I8042Test : ::testing::Test {
  RecordingIrqLine kbd_irq, mouse_irq;
  int resets = 0;
  std::vector<bool> a20;
  I8042 kbc{&kbd_irq, &mouse_irq, [this] { ++resets; }, [this](bool on) { a20.push_back(on); }};
  uint8_t Status() { return static_cast<uint8_t>(kbc.PortRead(0x64, 1)); }
  uint8_t Data() { return static_cast<uint8_t>(kbc.PortRead(0x60, 1)); }
  void Command(uint8_t v) { kbc.PortWrite(0x64, 1, v); }
  void WriteData(uint8_t v) { kbc.PortWrite(0x60, 1, v); }
  std::vector<uint8_t> Drain() {
    std::vector<uint8_t> out;
    while (Status() & I8042::kStatusOutputFull) out.push_back(Data());
    return out;
  }
};

TEST_F(I8042Test, PowerOnStatusAndCommandByte) {
  EXPECT_EQ(Status(), I8042::kStatusCommand | I8042::kStatusUnlocked);
  Command(0x20);
  EXPECT_EQ(Status() & I8042::kStatusOutputFull, I8042::kStatusOutputFull);
  EXPECT_EQ(Status() & I8042::kStatusInputFull, 0);
  EXPECT_EQ(Data(), 0x03);
  EXPECT_EQ(Status() & I8042::kStatusOutputFull, 0);
}

TEST_F(I8042Test, SelfTestSetsSystemFlagAndAnswers55) {
  EXPECT_EQ(Status() & I8042::kStatusSystem, 0);
  Command(0xaa);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0x55});
  EXPECT_EQ(Status() & I8042::kStatusSystem, I8042::kStatusSystem);
  Command(0xab);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0x00});
  Command(0xa9);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0x00});
}

TEST_F(I8042Test, CommandDataBitFollowsTheLastWrite) {
  Command(0xff);  // no-op pulse
  EXPECT_NE(Status() & I8042::kStatusCommand, 0);
  WriteData(0xf4);
  EXPECT_EQ(Status() & I8042::kStatusCommand, 0);
}

TEST_F(I8042Test, WriteCommandByteControlsTheKeyboardIrq) {
  Command(0x60);
  WriteData(0x00);  // interrupts off
  Command(0x20);
  EXPECT_FALSE(kbd_irq.level);
  EXPECT_EQ(Data(), 0x00);
  Command(0x60);
  WriteData(0x01);
  Command(0x20);
  EXPECT_TRUE(kbd_irq.level);
  EXPECT_EQ(Data(), 0x01);
  EXPECT_FALSE(kbd_irq.level);
  EXPECT_EQ(kbc.CommandByte(), 0x01);
}

TEST_F(I8042Test, KeyboardCommandsAreAcknowledged) {
  WriteData(0xf4);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0xfa});
  WriteData(0xff);
  EXPECT_EQ(Drain(), (std::vector<uint8_t>{0xfa, 0xaa}));
  WriteData(0xed);  // set LEDs + argument
  WriteData(0x07);
  EXPECT_EQ(Drain(), (std::vector<uint8_t>{0xfa, 0xfa}));
  WriteData(0xf2);
  EXPECT_EQ(Drain(), (std::vector<uint8_t>{0xfa, 0xab, 0x83}));
  WriteData(0xee);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0xee});
  WriteData(0xf0);  // get scan code set
  WriteData(0x00);
  EXPECT_EQ(Drain(), (std::vector<uint8_t>{0xfa, 0xfa, 0x02}));
}

TEST_F(I8042Test, EachOutputByteRaisesIrq1Again) {
  WriteData(0xff);
  EXPECT_TRUE(kbd_irq.level);
  unsigned raises = kbd_irq.raises;
  EXPECT_EQ(Data(), 0xfa);
  EXPECT_TRUE(kbd_irq.level);  // the next byte is already in the buffer
  EXPECT_EQ(kbd_irq.raises, raises + 1);
  EXPECT_EQ(Data(), 0xaa);
  EXPECT_FALSE(kbd_irq.level);
  EXPECT_EQ(Data(), 0xaa);  // an empty buffer returns the last byte again
}

TEST_F(I8042Test, DisabledKeyboardHoldsItsData) {
  Command(0xad);
  kbc.KeyboardInput(0x1e);
  EXPECT_EQ(Status() & I8042::kStatusOutputFull, 0);
  Command(0xae);
  EXPECT_TRUE(kbd_irq.level);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0x1e});
}

TEST_F(I8042Test, ResetRequests) {
  Command(0xfe);
  EXPECT_EQ(resets, 1);
  Command(0xf0);  // pulses all four bits including the reset line
  EXPECT_EQ(resets, 2);
  Command(0xf1);  // bit 0 not pulsed
  Command(0xff);
  EXPECT_EQ(resets, 2);
  Command(0xd1);
  WriteData(0x02);  // output port with the reset line low
  EXPECT_EQ(resets, 3);
  Command(0xd1);
  WriteData(0x03);
  EXPECT_EQ(resets, 3);
  EXPECT_EQ(a20, (std::vector<bool>{true, true}));
  Command(0xd0);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0x03});
}

TEST_F(I8042Test, OutputPortA20Commands) {
  EXPECT_EQ(kbc.OutputPort() & 2, 2);
  Command(0xdd);
  EXPECT_EQ(kbc.OutputPort() & 2, 0);
  Command(0xdf);
  EXPECT_EQ(kbc.OutputPort() & 2, 2);
  EXPECT_EQ(a20, (std::vector<bool>{false, true}));
  EXPECT_EQ(resets, 0);
}

TEST_F(I8042Test, MouseBytesUseIrq12AndTheAuxStatusBit) {
  Command(0xd4);
  WriteData(0xf2);
  EXPECT_TRUE(mouse_irq.level);
  EXPECT_FALSE(kbd_irq.level);
  EXPECT_EQ(Status() & I8042::kStatusMouseFull, I8042::kStatusMouseFull);
  EXPECT_EQ(Drain(), (std::vector<uint8_t>{0xfa, 0x00}));
  EXPECT_FALSE(mouse_irq.level);
  Command(0xd3);  // loop a byte back as if from the mouse
  WriteData(0x5a);
  EXPECT_TRUE(mouse_irq.level);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0x5a});
  Command(0xd2);  // ... or from the keyboard
  WriteData(0x6b);
  EXPECT_TRUE(kbd_irq.level);
  EXPECT_EQ(Drain(), std::vector<uint8_t>{0x6b});
}

}  // namespace
}  // namespace doppel::devices
