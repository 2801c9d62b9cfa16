// tests/devices/pic8259_test.cpp: the 8259A pair through its ports: initialisation, priority,
// masking, EOI forms, cascade, spurious vectors, ELCR level inputs, poll mode and rotation.
#include "devices/pic8259.h"

#include <gtest/gtest.h>

namespace doppel::devices {
namespace {

// The sequence Linux and the BIOS use: edge, cascade, ICW4 with 8086 mode (and maybe AEOI).
void Init(Pic8259Pair& pic, uint8_t master_base, uint8_t slave_base, bool auto_eoi = false) {
  uint8_t icw4 = auto_eoi ? 0x03 : 0x01;
  pic.PortWrite(0x20, 1, 0x11);
  pic.PortWrite(0x21, 1, master_base);
  pic.PortWrite(0x21, 1, 0x04);
  pic.PortWrite(0x21, 1, icw4);
  pic.PortWrite(0xa0, 1, 0x11);
  pic.PortWrite(0xa1, 1, slave_base);
  pic.PortWrite(0xa1, 1, 0x02);
  pic.PortWrite(0xa1, 1, icw4);
}

uint8_t ReadIsr(Pic8259Pair& pic, uint16_t cmd_port) {
  pic.PortWrite(cmd_port, 1, 0x0b);
  uint8_t isr = pic.PortRead(cmd_port, 1);
  pic.PortWrite(cmd_port, 1, 0x0a);
  return isr;
}

void Eoi(Pic8259Pair& pic, uint16_t cmd_port) { pic.PortWrite(cmd_port, 1, 0x20); }

TEST(Pic8259, ResetStateFollowsQemu) {
  Pic8259Pair pic;
  EXPECT_EQ(pic.PortRead(0x21, 1), 0u);  // IMR 0
  EXPECT_EQ(pic.PortRead(0xa1, 1), 0u);
  EXPECT_EQ(pic.PortRead(0x20, 1), 0u);  // IRR
  EXPECT_EQ(pic.PortRead(0x4d0, 1), 0u);
  EXPECT_FALSE(pic.HasInterrupt());
  // Usable even before initialisation: vector base 0.
  pic.SetIrq(1, true);
  EXPECT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 1);
}

TEST(Pic8259, InitSequenceSetsVectorBasesAndEoiClearsIsr) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  EXPECT_EQ(pic.PortRead(0x21, 1), 0u);  // ICW1 cleared IMR; the ICWs did not land in it
  pic.SetIrq(0, true);
  EXPECT_EQ(pic.PortRead(0x20, 1), 0x01u);  // IRR
  ASSERT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x20);
  EXPECT_EQ(pic.PortRead(0x20, 1), 0x00u);  // edge request moved out of IRR
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x01);
  EXPECT_FALSE(pic.HasInterrupt());
  Eoi(pic, 0x20);
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x00);
  // The vector base keeps only bits 7:3.
  Init(pic, 0x77, 0x28);
  pic.SetIrq(3, false);
  pic.SetIrq(3, true);
  EXPECT_EQ(pic.Acknowledge(), 0x73);
}

TEST(Pic8259, PriorityAndIsrNesting) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.SetIrq(3, true);
  pic.SetIrq(1, true);
  EXPECT_EQ(pic.Acknowledge(), 0x21);
  EXPECT_FALSE(pic.HasInterrupt());  // IRQ 3 is lower than IRQ 1 in service
  pic.SetIrq(0, true);
  ASSERT_TRUE(pic.HasInterrupt());  // IRQ 0 nests
  EXPECT_EQ(pic.Acknowledge(), 0x20);
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x03);
  Eoi(pic, 0x20);  // non-specific EOI ends the highest: IRQ 0
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x02);
  EXPECT_FALSE(pic.HasInterrupt());
  Eoi(pic, 0x20);
  EXPECT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x23);
}

TEST(Pic8259, MaskingHoldsRequestsInIrr) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.PortWrite(0x21, 1, 0x11);
  EXPECT_EQ(pic.PortRead(0x21, 1), 0x11u);
  pic.SetIrq(4, true);
  EXPECT_FALSE(pic.HasInterrupt());
  EXPECT_EQ(pic.PortRead(0x20, 1), 0x10u);
  pic.PortWrite(0x21, 1, 0x01);
  ASSERT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x24);
}

TEST(Pic8259, SpecificEoiAndAutoEoi) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.SetIrq(5, true);
  pic.SetIrq(6, true);
  EXPECT_EQ(pic.Acknowledge(), 0x25);
  pic.PortWrite(0x21, 1, 0x20);  // mask IRQ 5 so IRQ 6 is still blocked only by ISR
  EXPECT_FALSE(pic.HasInterrupt());
  pic.PortWrite(0x20, 1, 0x60 | 6);  // specific EOI for an input not in service: no effect
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x20);
  pic.PortWrite(0x20, 1, 0x60 | 5);
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x00);
  EXPECT_EQ(pic.Acknowledge(), 0x26);

  Pic8259Pair aeoi;
  Init(aeoi, 0x08, 0x70, /*auto_eoi=*/true);
  aeoi.SetIrq(1, true);
  EXPECT_EQ(aeoi.Acknowledge(), 0x09);
  EXPECT_EQ(ReadIsr(aeoi, 0x20), 0x00);
  aeoi.SetIrq(1, false);
  aeoi.SetIrq(1, true);
  EXPECT_EQ(aeoi.Acknowledge(), 0x09);  // no EOI needed before the next one
}

TEST(Pic8259, CascadeDeliversSlaveVectors) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.SetIrq(12, true);
  EXPECT_EQ(pic.PortRead(0xa0, 1), 0x10u);
  EXPECT_EQ(pic.PortRead(0x20, 1), 0x04u);  // the cascade input
  ASSERT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x2c);
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x04);
  EXPECT_EQ(ReadIsr(pic, 0xa0), 0x10);
  // A higher slave request while IRQ 12 is in service waits for the master's EOI (not SFNM).
  pic.SetIrq(8, true);
  EXPECT_FALSE(pic.HasInterrupt());
  Eoi(pic, 0xa0);
  Eoi(pic, 0x20);
  ASSERT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x28);
  // Masking the cascade input hides every slave request.
  Eoi(pic, 0xa0);
  Eoi(pic, 0x20);
  pic.PortWrite(0x21, 1, 0x04);
  pic.SetIrq(9, true);
  EXPECT_FALSE(pic.HasInterrupt());
  pic.PortWrite(0x21, 1, 0x00);
  EXPECT_EQ(pic.Acknowledge(), 0x29);
}

TEST(Pic8259, SpecialFullyNestedLetsHigherSlaveRequestsThrough) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.PortWrite(0x20, 1, 0x11);
  pic.PortWrite(0x21, 1, 0x20);
  pic.PortWrite(0x21, 1, 0x04);
  pic.PortWrite(0x21, 1, 0x11);  // ICW4: SFNM + 8086
  pic.SetIrq(12, true);
  EXPECT_EQ(pic.Acknowledge(), 0x2c);
  pic.SetIrq(9, true);
  ASSERT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x29);
  pic.SetIrq(13, true);  // lower than IRQ 9 and 12 in service on the slave
  EXPECT_FALSE(pic.HasInterrupt());
}

TEST(Pic8259, SpuriousVectorsWhenTheRequestVanishes) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.PortWrite(0x4d0, 1, 0x20);  // IRQ 5 level-triggered
  pic.PortWrite(0x4d1, 1, 0x04);  // IRQ 10 level-triggered
  pic.SetIrq(5, true);
  ASSERT_TRUE(pic.HasInterrupt());
  pic.SetIrq(5, false);
  EXPECT_FALSE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x27);  // spurious IRQ 7
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x00);

  pic.SetIrq(10, true);
  ASSERT_TRUE(pic.HasInterrupt());
  pic.SetIrq(10, false);
  // The master latched the cascade request, so the slave answers with its spurious IRQ 15
  // and only the master's ISR shows the cascade (the OS must EOI the master).
  ASSERT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x2f);
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x04);
  EXPECT_EQ(ReadIsr(pic, 0xa0), 0x00);
}

TEST(Pic8259, ElcrLevelInputsRefireUntilLowered) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.PortWrite(0x4d0, 1, 0xff);
  EXPECT_EQ(pic.PortRead(0x4d0, 1), 0xf8u);  // IRQ 0-2 are always edge
  pic.PortWrite(0x4d1, 1, 0xff);
  EXPECT_EQ(pic.PortRead(0x4d1, 1), 0xdeu);  // IRQ 8 and 13 too
  EXPECT_EQ(pic.PortRead(0x4d0, 2), 0xdef8u);
  pic.PortWrite(0x4d0, 2, 0x0008);  // IRQ 3 level, slave all edge
  EXPECT_EQ(pic.PortRead(0x4d1, 1), 0x00u);

  pic.SetIrq(3, true);
  EXPECT_EQ(pic.Acknowledge(), 0x23);
  EXPECT_EQ(pic.PortRead(0x20, 1), 0x08u);  // still requested: IRR follows the pin
  EXPECT_FALSE(pic.HasInterrupt());
  Eoi(pic, 0x20);
  ASSERT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x23);
  pic.SetIrq(3, false);
  Eoi(pic, 0x20);
  EXPECT_FALSE(pic.HasInterrupt());

  // An edge input held high fires once.
  pic.SetIrq(4, true);
  EXPECT_EQ(pic.Acknowledge(), 0x24);
  Eoi(pic, 0x20);
  pic.SetIrq(4, true);
  EXPECT_FALSE(pic.HasInterrupt());
  pic.SetIrq(4, false);
  pic.Line(4)->SetLevel(true);
  EXPECT_TRUE(pic.HasInterrupt());
}

TEST(Pic8259, Icw1LevelTriggeredModeMakesEveryInputLevel) {
  Pic8259Pair pic;
  pic.PortWrite(0x20, 1, 0x19);  // ICW1 with LTIM
  pic.PortWrite(0x21, 1, 0x20);
  pic.PortWrite(0x21, 1, 0x04);
  pic.PortWrite(0x21, 1, 0x01);
  pic.SetIrq(1, true);  // IRQ 1 cannot be level through the ELCR, but LTIM covers it
  EXPECT_EQ(pic.Acknowledge(), 0x21);
  EXPECT_EQ(pic.Irr(0) & 0x02, 0x02);
  pic.SetIrq(1, false);
  EXPECT_EQ(pic.Irr(0) & 0x02, 0x00);
}

TEST(Pic8259, SpecialMaskModeUnblocksLowerPriorities) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.SetIrq(3, true);
  EXPECT_EQ(pic.Acknowledge(), 0x23);
  pic.SetIrq(5, true);
  EXPECT_FALSE(pic.HasInterrupt());
  pic.PortWrite(0x21, 1, 0x08);  // the handler masks its own level...
  pic.PortWrite(0x20, 1, 0x68);  // ...and sets special mask mode
  ASSERT_TRUE(pic.HasInterrupt());
  EXPECT_EQ(pic.Acknowledge(), 0x25);
  pic.PortWrite(0x20, 1, 0x48);  // reset special mask mode: IRQ 3 and 5 in service
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x28);
}

TEST(Pic8259, PollModeAcknowledgesThroughThePort) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.PortWrite(0x20, 1, 0x0c);             // OCW3 poll
  EXPECT_EQ(pic.PortRead(0x20, 1), 0x00u);  // nothing pending
  pic.SetIrq(6, true);
  pic.SetIrq(3, true);
  pic.PortWrite(0x20, 1, 0x0c);
  EXPECT_EQ(pic.PortRead(0x21, 1), 0x83u);
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x08);
  EXPECT_EQ(pic.PortRead(0x21, 1), 0x00u);  // poll is one-shot: IMR again
  pic.PortWrite(0xa0, 1, 0x0c);
  EXPECT_EQ(pic.PortRead(0xa0, 1), 0x00u);
}

TEST(Pic8259, RotationChangesPriorityOrder) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  pic.PortWrite(0x20, 1, 0xc0 | 3);  // set priority: IRQ 3 lowest, IRQ 4 highest
  pic.SetIrq(1, true);
  pic.SetIrq(5, true);
  EXPECT_EQ(pic.Acknowledge(), 0x25);
  pic.PortWrite(0x20, 1, 0xa0);  // rotate on non-specific EOI: IRQ 5 becomes lowest
  EXPECT_EQ(ReadIsr(pic, 0x20), 0x00);
  pic.SetIrq(6, true);
  EXPECT_EQ(pic.Acknowledge(), 0x26);  // 6 is now highest
  pic.PortWrite(0x20, 1, 0xe0 | 6);    // rotate on specific EOI
  pic.SetIrq(7, true);
  EXPECT_EQ(pic.Acknowledge(), 0x27);
  pic.PortWrite(0x20, 1, 0x20);
  EXPECT_EQ(pic.Acknowledge(), 0x21);
}

TEST(Pic8259, LinesAndWideAccesses) {
  Pic8259Pair pic;
  Init(pic, 0x20, 0x28);
  EXPECT_EQ(pic.Line(16), nullptr);
  pic.Line(15)->Pulse();
  EXPECT_EQ(pic.Acknowledge(), 0x2f);
  EXPECT_EQ(ReadIsr(pic, 0xa0), 0x80);  // a real IRQ 15 sets the slave's ISR
  pic.PortWrite(0x20, 2, 0xa50b);       // OCW3 read ISR, then IMR 0xa5
  EXPECT_EQ(pic.Imr(0), 0xa5);
  EXPECT_EQ(pic.PortRead(0x20, 2), 0xa504u);
  EXPECT_EQ(pic.PortRead(0x21, 2), 0xffa5u);  // 0x22 is not a PIC port
  pic.SetIrq(2, true);                        // the cascade pin is not an input
  pic.SetIrq(99, true);
  EXPECT_EQ(pic.Irr(0), 0x00);
}

}  // namespace
}  // namespace doppel::devices
