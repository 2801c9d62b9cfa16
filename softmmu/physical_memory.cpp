// softmmu/physical_memory.cpp: guest RAM, MMIO dispatch, and the code/paging-structure page flags.
#include "softmmu/physical_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

namespace doppel::softmmu {

namespace {
constexpr uint64_t kMaxPhysical = 1ull << 40;  // MAXPHYADDR = 40
}

PhysicalMemory::~PhysicalMemory() {
  if (ram_) munmap(ram_, ram_bytes_);
}

bool PhysicalMemory::Init(uint64_t ram_bytes, std::string* error) {
  auto fail = [&](const char* msg) {
    if (error) *error = msg;
    return false;
  };
  if (ram_) return fail("physical memory is already initialised");
  if (ram_bytes == 0 || (ram_bytes & (kPageSize - 1)) || ram_bytes > kMaxPhysical)
    return fail("RAM size must be a non-zero multiple of 4 KiB below 1 TiB");
  void* host = mmap(nullptr, ram_bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (host == MAP_FAILED) return fail("out of host memory for guest RAM");
  ram_ = static_cast<uint8_t*>(host);
  ram_bytes_ = ram_bytes;
  flags_.assign(ram_bytes >> kPageBits, 0);
  for (const Range& r : mmio_) {
    for (uint64_t p = r.base; p < r.end && p < ram_bytes_; p += kPageSize)
      flags_[p >> kPageBits] |= kMmioFlag;
  }
  return true;
}

bool PhysicalMemory::AddMmio(uint64_t base, uint64_t size, std::string* error) {
  auto fail = [&](const char* msg) {
    if (error) *error = msg;
    return false;
  };
  if ((base | size) & (kPageSize - 1)) return fail("MMIO range is not page aligned");
  if (size == 0 || base + size < base || base + size > kMaxPhysical)
    return fail("MMIO range is invalid");
  uint64_t end = base + size;
  auto it = std::lower_bound(mmio_.begin(), mmio_.end(), base,
                             [](const Range& r, uint64_t b) { return r.base < b; });
  if ((it != mmio_.end() && it->base < end) || (it != mmio_.begin() && std::prev(it)->end > base))
    return fail("MMIO range overlaps an existing one");
  mmio_.insert(it, Range{base, end});
  for (uint64_t p = base; p < end && p < ram_bytes_; p += kPageSize) {
    flags_[p >> kPageBits] |= kMmioFlag;
  }
  return true;
}

bool PhysicalMemory::IsMmio(uint64_t paddr) const {
  if (paddr < ram_bytes_) return flags_[paddr >> kPageBits] & kMmioFlag;
  auto it = std::upper_bound(mmio_.begin(), mmio_.end(), paddr,
                             [](uint64_t a, const Range& r) { return a < r.base; });
  return it != mmio_.begin() && paddr < std::prev(it)->end;
}

bool PhysicalMemory::IsRamRange(uint64_t paddr, size_t n) const {
  if (n == 0) return true;
  if (paddr >= ram_bytes_ || n > ram_bytes_ - paddr) return false;
  for (uint64_t p = paddr & kPageMask; p < paddr + n; p += kPageSize) {
    if (flags_[p >> kPageBits] & kMmioFlag) return false;
  }
  return true;
}

bool PhysicalMemory::Read(uint64_t paddr, void* dst, size_t n) const {
  if (!IsRamRange(paddr, n)) return false;
  if (n) memcpy(dst, ram_ + paddr, n);
  return true;
}

bool PhysicalMemory::Write(uint64_t paddr, const void* src, size_t n) {
  if (!IsRamRange(paddr, n)) return false;
  if (n == 0) return true;
  BeforeWrite(paddr, n);
  memcpy(ram_ + paddr, src, n);
  AfterWrite(paddr, n);
  return true;
}

void PhysicalMemory::BeforeWrite(uint64_t paddr, uint64_t n) {
  for (uint64_t p = paddr & kPageMask; p < paddr + n; p += kPageSize) InvalidateCode(p);
}

void PhysicalMemory::AfterWrite(uint64_t paddr, uint64_t n) {
  if (!on_paging_write) return;
  // Report each tracked page's part separately: the callback may untrack pages as it goes.
  for (uint64_t p = paddr & kPageMask; p < paddr + n; p += kPageSize) {
    if (!IsPagingFrame(p)) continue;
    uint64_t lo = std::max(p, paddr), hi = std::min(p + kPageSize, paddr + n);
    on_paging_write(lo, hi - lo);
  }
}

uint64_t PhysicalMemory::ReadPhys(uint64_t paddr, unsigned size) {
  if (size == 0 || size > 8) return 0;  // not a CPU access size
  if ((paddr & kPageMask) != ((paddr + size - 1) & kPageMask)) {
    // A page-crossing access may span RAM and MMIO: assemble it byte by byte.
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) value |= ReadPhys(paddr + i, 1) << (8 * i);
    return value;
  }
  if (const uint8_t* host = Host(paddr)) {
    uint64_t value = 0;
    memcpy(&value, host, size);
    return value;
  }
  uint64_t ones = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
  if (IsMmio(paddr) && mmio_read) return mmio_read(paddr, size) & ones;
  return ones;
}

void PhysicalMemory::WritePhys(uint64_t paddr, unsigned size, uint64_t value) {
  if (size == 0 || size > 8) return;
  if ((paddr & kPageMask) != ((paddr + size - 1) & kPageMask)) {
    for (unsigned i = 0; i < size; ++i) WritePhys(paddr + i, 1, (value >> (8 * i)) & 0xff);
    return;
  }
  if (uint8_t* host = Host(paddr)) {
    BeforeWrite(paddr, size);
    memcpy(host, &value, size);
    AfterWrite(paddr, size);
    return;
  }
  if (IsMmio(paddr) && mmio_write) mmio_write(paddr, size, value);
}

void PhysicalMemory::MarkCode(uint64_t paddr) {
  if (Host(paddr)) flags_[paddr >> kPageBits] |= kCodeFlag;
}

void PhysicalMemory::ClearCode(uint64_t paddr) {
  if (paddr < ram_bytes_) flags_[paddr >> kPageBits] &= ~kCodeFlag;
}

void PhysicalMemory::InvalidateCode(uint64_t paddr) {
  if (!IsCode(paddr)) return;
  if (on_code_write) on_code_write(paddr & kPageMask);
  ClearCode(paddr);
}

void PhysicalMemory::SetPagingFrame(uint64_t paddr, bool on) {
  if (paddr >= ram_bytes_) return;
  if (on)
    flags_[paddr >> kPageBits] |= kPagingFlag;
  else
    flags_[paddr >> kPageBits] &= ~kPagingFlag;
}

}  // namespace doppel::softmmu
