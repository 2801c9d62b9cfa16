// devices/debugcon.cpp: the 0xe9 debug console.
#include "devices/debugcon.h"

#include "devices/byte_ports.h"

namespace doppel::devices {

uint32_t Debugcon::PortRead(uint16_t port, unsigned size) {
  // One register: bytes of a wider read beyond it read as an unclaimed port.
  return ReadBytePorts(port, size, port, 1, [](uint16_t) { return kReadback; });
}

void Debugcon::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  if (size != 0 && sink_) sink_(static_cast<uint8_t>(value));
}

}  // namespace doppel::devices
