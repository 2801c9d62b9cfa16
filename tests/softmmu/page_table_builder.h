// tests/softmmu/page_table_builder.h: builds real guest page tables (32-bit, PAE, 4-level) in a
// PhysicalMemory for the paging and SystemMmu tests.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>

#include "softmmu/paging.h"
#include "softmmu/physical_memory.h"

namespace doppel::softmmu::testing {

constexpr uint64_t kP = 1, kRW = 2, kUS = 4, kA = 0x20, kD = 0x40, kPS = 0x80, kG = 0x100;
constexpr uint64_t kXD = 1ull << 63;
constexpr uint64_t kKiB4 = 4096, kMiB2 = 2ull << 20, kMiB4 = 4ull << 20, kGiB1 = 1ull << 30;

class PageTableBuilder {
 public:
  // Page-table frames are taken from `next_frame` upwards.
  PageTableBuilder(PhysicalMemory& mem, PagingMode mode, uint64_t next_frame = 0x100000)
      : mem_(mem), mode_(mode), next_(next_frame) {
    root_ = NewFrame();
  }

  uint64_t root() const { return root_; }
  // Registers for this mode with paging on; `cr0`, `cr4`, `efer` are ORed in.
  PagingRegs Regs(uint64_t cr0 = 0, uint64_t cr4 = 0, uint64_t efer = 0) const {
    PagingRegs r;
    r.cr0 = 1 | kCr0Pg | cr0;
    r.cr3 = root_;
    r.cr4 = cr4 | (mode_ == PagingMode::k32Bit ? 0 : kCr4Pae);
    r.efer = efer | (mode_ == PagingMode::k4Level ? kEferLma | (1ull << 8) : 0);
    return r;
  }

  // Maps the page at `linear` to `paddr` with `flags` (P is added) in the final entry; entries
  // created above it get `upper`. Returns the physical address of the final entry.
  uint64_t Map(uint64_t linear, uint64_t paddr, uint64_t size, uint64_t flags,
               uint64_t upper = kP | kRW | kUS) {
    flags |= kP;
    if (mode_ == PagingMode::k32Bit) {
      uint64_t pde_addr = root_ + ((linear >> 22) & 0x3ff) * 4;
      if (size == kMiB4) {
        Write32(pde_addr, (paddr & 0xffc00000u) | (((paddr >> 32) & 0xff) << 13) | flags | kPS);
        return pde_addr;
      }
      uint64_t pt = Table32(pde_addr, upper);
      uint64_t pte_addr = pt + ((linear >> 12) & 0x3ff) * 4;
      Write32(pte_addr, (paddr & 0xfffff000u) | flags);
      return pte_addr;
    }
    uint64_t table = root_;
    unsigned level = 4;
    if (mode_ == PagingMode::kPae) {
      uint64_t pdpte_addr = root_ + ((linear >> 30) & 3) * 8;
      table = Table64(pdpte_addr, kP);  // PAE PDPTEs have no R/W or U/S bits
      level = 2;
    }
    for (;; --level) {
      unsigned shift = 12 + 9 * (level - 1);
      uint64_t entry_addr = table + ((linear >> shift) & 0x1ff) * 8;
      if (size == (1ull << shift)) {
        Write64(entry_addr, (paddr & ~(size - 1)) | flags | (level > 1 ? kPS : 0));
        return entry_addr;
      }
      table = Table64(entry_addr, upper);
    }
  }

  // The address of the entry at `level` (1 = PT ... 4 = PML4; PAE PDPTE is level 3) for linear.
  uint64_t EntryAddr(uint64_t linear, unsigned level) const {
    if (mode_ == PagingMode::k32Bit) {
      uint64_t pde_addr = root_ + ((linear >> 22) & 0x3ff) * 4;
      if (level == 2) return pde_addr;
      return (Read32(pde_addr) & 0xfffff000u) + ((linear >> 12) & 0x3ff) * 4;
    }
    uint64_t table = root_;
    unsigned top = 4;
    if (mode_ == PagingMode::kPae) {
      uint64_t pdpte_addr = root_ + ((linear >> 30) & 3) * 8;
      if (level == 3) return pdpte_addr;
      table = Read64(pdpte_addr) & 0xfffffff000ull;
      top = 2;
    }
    for (unsigned l = top;; --l) {
      uint64_t entry_addr = table + ((linear >> (12 + 9 * (l - 1))) & 0x1ff) * 8;
      if (l == level) return entry_addr;
      table = Read64(entry_addr) & 0xfffffff000ull;
    }
  }

  uint64_t Read64(uint64_t paddr) const {
    uint64_t v = 0;
    EXPECT_TRUE(mem_.Read(paddr, &v, 8));
    return v;
  }
  uint32_t Read32(uint64_t paddr) const {
    uint32_t v = 0;
    EXPECT_TRUE(mem_.Read(paddr, &v, 4));
    return v;
  }
  void Write64(uint64_t paddr, uint64_t v) { ASSERT_TRUE(mem_.Write(paddr, &v, 8)); }
  void Write32(uint64_t paddr, uint32_t v) { ASSERT_TRUE(mem_.Write(paddr, &v, 4)); }
  uint64_t NewFrame() {
    uint64_t f = next_;
    next_ += kKiB4;
    static const uint8_t zero[kKiB4] = {};
    EXPECT_TRUE(mem_.Write(f, zero, sizeof zero));
    return f;
  }

 private:
  uint64_t Table32(uint64_t pde_addr, uint64_t upper) {
    uint32_t pde = Read32(pde_addr);
    if (pde & kP) return pde & 0xfffff000u;
    uint64_t t = NewFrame();
    Write32(pde_addr, static_cast<uint32_t>(t | upper | kP));
    return t;
  }
  uint64_t Table64(uint64_t entry_addr, uint64_t upper) {
    uint64_t e = Read64(entry_addr);
    if (e & kP) return e & 0xfffffff000ull;
    uint64_t t = NewFrame();
    Write64(entry_addr, t | upper | kP);
    return t;
  }

  PhysicalMemory& mem_;
  PagingMode mode_;
  uint64_t next_;
  uint64_t root_;
};

}  // namespace doppel::softmmu::testing
