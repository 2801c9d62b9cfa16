// devices/i8042.h: the 8042 keyboard controller (data 0x60, status/command 0x64) with a PS/2
// keyboard and mouse that answer commands, as QEMU's hw/input/pckbd.c and ps2.c do. Its use in
// test kernels: self-test, command byte, reset through the controller, A20 through the output port.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>

#include "devices/bus.h"

namespace doppel::devices {

class I8042 : public PortDevice {
 public:
  static constexpr uint16_t kDataPort = 0x60;
  static constexpr uint16_t kCommandPort = 0x64;
  static constexpr unsigned kKeyboardIrq = 1;
  static constexpr unsigned kMouseIrq = 12;

  // Status register bits.
  static constexpr uint8_t kStatusOutputFull = 0x01;
  static constexpr uint8_t kStatusInputFull = 0x02;
  static constexpr uint8_t kStatusSystem = 0x04;
  static constexpr uint8_t kStatusCommand = 0x08;  // last write went to the command port
  static constexpr uint8_t kStatusUnlocked = 0x10;
  static constexpr uint8_t kStatusMouseFull = 0x20;

  // Command byte bits.
  static constexpr uint8_t kModeKeyboardInt = 0x01;
  static constexpr uint8_t kModeMouseInt = 0x02;
  static constexpr uint8_t kModeDisableKeyboard = 0x10;
  static constexpr uint8_t kModeDisableMouse = 0x20;

  // keyboard_irq (IRQ 1) and mouse_irq (IRQ 12) may be null; request_reset is called for a reset
  // through the controller (pulse command or output port bit 0 cleared); a20 sees output port
  // bit 1 changes and may be empty.
  I8042(IrqLine* keyboard_irq, IrqLine* mouse_irq, std::function<void()> request_reset,
        std::function<void(bool)> a20 = {});

  // Decodes port bit 2: 0x60 (and other ports with bit 2 clear) is data, 0x64 is status/command.
  uint32_t PortRead(uint16_t port, unsigned size) override;
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

  // A scan code from the host keyboard (delivered when the keyboard interface is enabled).
  void KeyboardInput(uint8_t scancode);

  void Reset();

  uint8_t CommandByte() const { return mode_; }
  uint8_t OutputPort() const { return outport_; }

 private:
  uint8_t ReadData();
  void WriteData(uint8_t value);
  void WriteCommand(uint8_t value);
  void KeyboardCommand(uint8_t value);
  void MouseCommand(uint8_t value);
  void WriteOutputPort(uint8_t value);
  void QueueController(uint8_t value, bool aux);
  void QueueKeyboard(uint8_t value);
  void QueueMouse(uint8_t value);
  void Update();  // refills the output buffer and drives the IRQ lines
  void SetLines(bool keyboard, bool mouse);

  IrqLine* keyboard_irq_;
  IrqLine* mouse_irq_;
  std::function<void()> request_reset_;
  std::function<void(bool)> a20_;

  struct Pending {
    uint8_t value;
    bool aux;
  };
  // Bounded like QEMU's 256-byte PS/2 queues: a guest cannot grow them without limit.
  static constexpr size_t kQueueLimit = 256;
  std::deque<Pending> controller_queue_;
  std::deque<uint8_t> keyboard_queue_, mouse_queue_;

  uint8_t status_ = 0, mode_ = 0, outport_ = 0, output_ = 0;
  uint8_t pending_write_ = 0;               // controller command awaiting its data byte
  int keyboard_arg_ = -1, mouse_arg_ = -1;  // device command awaiting its argument byte
  bool keyboard_scanning_ = true;
  uint8_t scancode_set_ = 2;
  bool keyboard_level_ = false, mouse_level_ = false;
};

}  // namespace doppel::devices
