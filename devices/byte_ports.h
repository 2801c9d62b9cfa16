// devices/byte_ports.h: wide port accesses on byte-wide register files. QEMU splits an access wider
// than a device's registers into byte accesses at consecutive ports; bytes that fall outside the
// device's own ports read as all ones and drop writes, as unclaimed ports do.
#pragma once
#include <cstdint>

namespace doppel::devices {

// Reads size bytes (at most 4) starting at port, little-endian; read_byte(port) for ports inside
// [first, first + count), 0xff for the others.
template <typename ReadByte>
uint32_t ReadBytePorts(uint16_t port, unsigned size, uint16_t first, unsigned count,
                       ReadByte read_byte) {
  if (size > 4) size = 4;
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    uint32_t p = port + i;
    uint32_t byte =
        (p >= first && p < first + count) ? (read_byte(static_cast<uint16_t>(p)) & 0xff) : 0xff;
    value |= byte << (8 * i);
  }
  return value;
}

template <typename WriteByte>
void WriteBytePorts(uint16_t port, unsigned size, uint32_t value, uint16_t first, unsigned count,
                    WriteByte write_byte) {
  if (size > 4) size = 4;
  for (unsigned i = 0; i < size; ++i) {
    uint32_t p = port + i;
    if (p >= first && p < first + count) {
      write_byte(static_cast<uint16_t>(p), static_cast<uint8_t>(value >> (8 * i)));
    }
  }
}

}  // namespace doppel::devices
