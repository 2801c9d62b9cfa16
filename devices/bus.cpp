// devices/bus.cpp: port-I/O and MMIO dispatch by address range.
#include "devices/bus.h"

namespace doppel::devices {

namespace {

uint64_t AllOnes(unsigned size) { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }

}  // namespace

bool PortBus::Add(uint16_t first, uint32_t count, PortDevice* dev) {
  if (count == 0 || first + count > 0x10000u) return false;
  for (uint32_t p = first; p < first + count; ++p) {
    if (Find(static_cast<uint16_t>(p))) return false;
  }
  ranges_[first] = Range{count, dev};
  return true;
}

PortDevice* PortBus::Find(uint16_t port) const {
  auto it = ranges_.upper_bound(port);
  if (it == ranges_.begin()) return nullptr;
  --it;
  return static_cast<uint32_t>(port - it->first) < it->second.count ? it->second.dev : nullptr;
}

uint32_t PortBus::Read(uint16_t port, unsigned size) const {
  PortDevice* dev = Find(port);
  return dev ? dev->PortRead(port, size) : static_cast<uint32_t>(AllOnes(size));
}

void PortBus::Write(uint16_t port, unsigned size, uint32_t value) const {
  if (PortDevice* dev = Find(port)) dev->PortWrite(port, size, value);
}

bool MmioBus::Add(uint64_t base, uint64_t size, MmioDevice* dev) {
  if (size == 0 || base + size < base) return false;
  auto next = ranges_.lower_bound(base);
  if (next != ranges_.end() && next->first < base + size) return false;
  if (next != ranges_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.size > base) return false;
  }
  ranges_[base] = Range{size, dev};
  return true;
}

MmioDevice* MmioBus::Find(uint64_t addr, uint64_t* offset) const {
  auto it = ranges_.upper_bound(addr);
  if (it == ranges_.begin()) return nullptr;
  --it;
  if (addr - it->first >= it->second.size) return nullptr;
  *offset = addr - it->first;
  return it->second.dev;
}

uint64_t MmioBus::Read(uint64_t addr, unsigned size) const {
  uint64_t offset = 0;
  MmioDevice* dev = Find(addr, &offset);
  return dev ? dev->MmioRead(offset, size) : AllOnes(size);
}

void MmioBus::Write(uint64_t addr, unsigned size, uint64_t value) const {
  uint64_t offset = 0;
  if (MmioDevice* dev = Find(addr, &offset)) dev->MmioWrite(offset, size, value);
}

}  // namespace doppel::devices
