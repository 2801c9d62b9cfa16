// devices/i8042.cpp: 8042 controller commands, the output buffer fed by the controller, keyboard
// and mouse queues in QEMU's priority order, and the IRQ 1 / IRQ 12 lines.
#include "devices/i8042.h"

#include "devices/byte_ports.h"

namespace doppel::devices {

namespace {

constexpr uint8_t kModeTranslate = 0x40;

constexpr uint8_t kOutReset = 0x01, kOutA20 = 0x02, kOutOnes = 0xcc;

constexpr uint8_t kAck = 0xfa, kSelfTestPassed = 0xaa;

// Controller commands that take a data byte through port 0x60.
constexpr uint8_t kCmdWriteMode = 0x60, kCmdWriteOutput = 0xd1, kCmdWriteKeyboardBuffer = 0xd2,
                  kCmdWriteMouseBuffer = 0xd3, kCmdWriteMouse = 0xd4;

}  // namespace

I8042::I8042(IrqLine* keyboard_irq, IrqLine* mouse_irq, std::function<void()> request_reset,
             std::function<void(bool)> a20)
    : keyboard_irq_(keyboard_irq),
      mouse_irq_(mouse_irq),
      request_reset_(std::move(request_reset)),
      a20_(std::move(a20)) {
  Reset();
}

void I8042::Reset() {
  // QEMU kbd_reset: interrupts enabled in the command byte, keyboard not inhibited, the reset line
  // high and A20 enabled on the output port. SYS stays clear until a self-test.
  mode_ = kModeKeyboardInt | kModeMouseInt;
  status_ = kStatusCommand | kStatusUnlocked;
  outport_ = kOutReset | kOutA20 | kOutOnes;
  output_ = 0;
  pending_write_ = 0;
  keyboard_arg_ = mouse_arg_ = -1;
  keyboard_scanning_ = true;
  scancode_set_ = 2;
  controller_queue_.clear();
  keyboard_queue_.clear();
  mouse_queue_.clear();
  Update();
}

uint32_t I8042::PortRead(uint16_t port, unsigned size) {
  // Each port is a single byte register; the rest of a wider read is unclaimed.
  return ReadBytePorts(port, size, port, 1,
                       [&](uint16_t p) -> uint8_t { return (p & 4) ? status_ : ReadData(); });
}

void I8042::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  WriteBytePorts(port, size, value, port, 1, [&](uint16_t p, uint8_t byte) {
    if (p & 4) {
      WriteCommand(byte);
    } else {
      WriteData(byte);
    }
  });
}

uint8_t I8042::ReadData() {
  // Reading an empty buffer returns the last byte again, as QEMU does.
  uint8_t value = output_;
  if (status_ & kStatusOutputFull) {
    status_ &= ~(kStatusOutputFull | kStatusMouseFull);
    SetLines(false, false);
    Update();  // the next pending byte moves into the buffer at once
  }
  return value;
}

void I8042::WriteCommand(uint8_t value) {
  status_ |= kStatusCommand;
  // 0xf0-0xff pulse output port bits 3-0 low for the bits that are clear; only bit 0 (the CPU
  // reset line) has an effect.
  if ((value & 0xf0) == 0xf0) {
    if (!(value & 1) && request_reset_) request_reset_();
    return;
  }
  switch (value) {
    case 0x20: QueueController(mode_, false); break;
    case kCmdWriteMode:
    case kCmdWriteOutput:
    case kCmdWriteKeyboardBuffer:
    case kCmdWriteMouseBuffer:
    case kCmdWriteMouse: pending_write_ = value; break;
    case 0xa7: mode_ |= kModeDisableMouse; break;
    case 0xa8: mode_ &= ~kModeDisableMouse; break;
    case 0xa9: QueueController(0x00, false); break;  // mouse interface test: no error
    case 0xaa:
      status_ |= kStatusSystem;
      QueueController(0x55, false);
      break;
    case 0xab: QueueController(0x00, false); break;  // keyboard interface test: no error
    case 0xad: mode_ |= kModeDisableKeyboard; break;
    case 0xae: mode_ &= ~kModeDisableKeyboard; break;
    case 0xc0: QueueController(0x80, false); break;  // input port: keyboard not inhibited
    case 0xd0: QueueController(outport_, false); break;
    case 0xdd: WriteOutputPort(outport_ & ~kOutA20); break;
    case 0xdf: WriteOutputPort(outport_ | kOutA20); break;
    default: break;  // unknown commands are ignored (QEMU logs them)
  }
  Update();
}

void I8042::WriteData(uint8_t value) {
  status_ &= ~kStatusCommand;
  uint8_t command = pending_write_;
  pending_write_ = 0;
  switch (command) {
    case 0:
      KeyboardCommand(value);
      // Talking to the keyboard re-enables its interface (QEMU).
      mode_ &= ~kModeDisableKeyboard;
      break;
    case kCmdWriteMode: mode_ = value; break;
    case kCmdWriteOutput: WriteOutputPort(value); break;
    case kCmdWriteKeyboardBuffer: QueueController(value, false); break;
    case kCmdWriteMouseBuffer: QueueController(value, true); break;
    case kCmdWriteMouse: MouseCommand(value); break;
    default: break;
  }
  Update();
}

void I8042::WriteOutputPort(uint8_t value) {
  outport_ = value;
  if (a20_) a20_((value & kOutA20) != 0);
  if (!(value & kOutReset) && request_reset_) request_reset_();
}

void I8042::KeyboardCommand(uint8_t value) {
  if (keyboard_arg_ >= 0) {
    int command = keyboard_arg_;
    keyboard_arg_ = -1;
    if (command == 0xf0 && value == 0) {  // get scan code set
      static constexpr uint8_t kTranslated[4] = {0, 0x43, 0x41, 0x3f};
      QueueKeyboard(kAck);
      QueueKeyboard((mode_ & kModeTranslate) ? kTranslated[scancode_set_] : scancode_set_);
      return;
    }
    if (command == 0xf0 && value >= 1 && value <= 3) scancode_set_ = value;
    QueueKeyboard(kAck);  // LED state and typematic rate are accepted and ignored
    return;
  }
  switch (value) {
    case 0xee: QueueKeyboard(0xee); break;  // echo
    case 0xf2:                              // identify: MF2 keyboard
      QueueKeyboard(kAck);
      QueueKeyboard(0xab);
      QueueKeyboard((mode_ & kModeTranslate) ? 0x41 : 0x83);
      break;
    case 0xed:
    case 0xf0:
    case 0xf3:
      keyboard_arg_ = value;
      QueueKeyboard(kAck);
      break;
    case 0xf4:
      keyboard_scanning_ = true;
      QueueKeyboard(kAck);
      break;
    case 0xf5:
    case 0xf6:
    case 0xff:
      keyboard_queue_.clear();
      scancode_set_ = 2;
      keyboard_scanning_ = value != 0xf5;
      QueueKeyboard(kAck);
      if (value == 0xff) QueueKeyboard(kSelfTestPassed);
      break;
    default: QueueKeyboard(kAck); break;  // QEMU acknowledges every other byte
  }
}

void I8042::MouseCommand(uint8_t value) {
  if (mouse_arg_ >= 0) {  // sample rate or resolution argument
    mouse_arg_ = -1;
    QueueMouse(kAck);
    return;
  }
  switch (value) {
    case 0xe8:
    case 0xf3:
      mouse_arg_ = value;
      QueueMouse(kAck);
      break;
    case 0xe9:  // status request: stream mode, resolution 2, 100 samples/s
      QueueMouse(kAck);
      QueueMouse(0x00);
      QueueMouse(0x02);
      QueueMouse(100);
      break;
    case 0xeb:  // poll: one empty packet
      QueueMouse(kAck);
      QueueMouse(0x08);
      QueueMouse(0x00);
      QueueMouse(0x00);
      break;
    case 0xf2:  // identify: standard PS/2 mouse
      QueueMouse(kAck);
      QueueMouse(0x00);
      break;
    case 0xff:
      mouse_queue_.clear();
      QueueMouse(kAck);
      QueueMouse(kSelfTestPassed);
      QueueMouse(0x00);
      break;
    case 0xe6:
    case 0xe7:
    case 0xea:
    case 0xee:
    case 0xf0:
    case 0xf4:
    case 0xf5:
    case 0xf6: QueueMouse(kAck); break;
    default: break;  // QEMU's mouse ignores unknown bytes
  }
}

void I8042::KeyboardInput(uint8_t scancode) {
  if (!keyboard_scanning_) return;
  QueueKeyboard(scancode);
  Update();
}

void I8042::QueueController(uint8_t value, bool aux) {
  if (controller_queue_.size() < kQueueLimit) controller_queue_.push_back({value, aux});
}

void I8042::QueueKeyboard(uint8_t value) {
  if (keyboard_queue_.size() < kQueueLimit) keyboard_queue_.push_back(value);
}

void I8042::QueueMouse(uint8_t value) {
  if (mouse_queue_.size() < kQueueLimit) mouse_queue_.push_back(value);
}

void I8042::Update() {
  if (!(status_ & kStatusOutputFull)) {
    // Controller replies first, then the keyboard, then the mouse, each only while its
    // interface is enabled.
    if (!controller_queue_.empty()) {
      output_ = controller_queue_.front().value;
      status_ |= kStatusOutputFull | (controller_queue_.front().aux ? kStatusMouseFull : 0);
      controller_queue_.pop_front();
    } else if (!keyboard_queue_.empty() && !(mode_ & kModeDisableKeyboard)) {
      output_ = keyboard_queue_.front();
      status_ |= kStatusOutputFull;
      keyboard_queue_.pop_front();
    } else if (!mouse_queue_.empty() && !(mode_ & kModeDisableMouse)) {
      output_ = mouse_queue_.front();
      status_ |= kStatusOutputFull | kStatusMouseFull;
      mouse_queue_.pop_front();
    }
  }
  bool keyboard = false, mouse = false;
  if (status_ & kStatusOutputFull) {
    if (status_ & kStatusMouseFull) {
      mouse = (mode_ & kModeMouseInt) != 0;
    } else {
      keyboard = (mode_ & kModeKeyboardInt) && !(mode_ & kModeDisableKeyboard);
    }
  }
  SetLines(keyboard, mouse);
}

void I8042::SetLines(bool keyboard, bool mouse) {
  if (keyboard != keyboard_level_) {
    keyboard_level_ = keyboard;
    if (keyboard_irq_) keyboard_irq_->SetLevel(keyboard);
  }
  if (mouse != mouse_level_) {
    mouse_level_ = mouse;
    if (mouse_irq_) mouse_irq_->SetLevel(mouse);
  }
}

}  // namespace doppel::devices
