// softmmu/physical_memory.h: guest-physical memory for system mode: RAM backed by one host mapping,
// page-granular MMIO ranges dispatched to the board, and per-page flags for translated code and
// paging structures (the write-tracking behind the shadow page tables).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "softmmu/tlb.h"

namespace doppel::softmmu {

class PhysicalMemory {
 public:
  PhysicalMemory() = default;
  ~PhysicalMemory();
  PhysicalMemory(const PhysicalMemory&) = delete;
  PhysicalMemory& operator=(const PhysicalMemory&) = delete;

  // Allocates RAM [0, ram_bytes) as zeroed, lazily committed host memory. ram_bytes must be a
  // non-zero multiple of the page size below 2^40 (MAXPHYADDR); may be called once.
  bool Init(uint64_t ram_bytes, std::string* error);
  uint64_t ram_bytes() const { return ram_bytes_; }

  // Registers [base, base+size) as MMIO. Ranges are page-granular because the TLB and the shadow
  // tables work in pages; they may lie beyond RAM or shadow it, but may not overlap each other.
  bool AddMmio(uint64_t base, uint64_t size, std::string* error);
  // The board connects these to its MMIO bus; unset, MMIO reads all ones and ignores writes.
  std::function<uint64_t(uint64_t paddr, unsigned size)> mmio_read;
  std::function<void(uint64_t paddr, unsigned size, uint64_t value)> mmio_write;

  // Host address of RAM at paddr; nullptr for MMIO and addresses beyond RAM.
  uint8_t* Host(uint64_t paddr) const {
    if (paddr >= ram_bytes_ || (flags_[paddr >> kPageBits] & kMmioFlag)) return nullptr;
    return ram_ + paddr;
  }
  bool IsMmio(uint64_t paddr) const;

  // Loader/debugger copies: RAM only (false, with nothing copied, if any byte is not RAM). Write
  // invalidates translated code and reports paging-structure writes like a CPU store.
  bool Read(uint64_t paddr, void* dst, size_t n) const;
  bool Write(uint64_t paddr, const void* src, size_t n);

  // CPU-side accesses of 1 to 8 bytes (other sizes are ignored), little endian, dispatched to RAM
  // or MMIO. Addresses backed by neither read all ones and ignore writes (an unclaimed bus cycle on
  // a PC).
  uint64_t ReadPhys(uint64_t paddr, unsigned size);
  void WritePhys(uint64_t paddr, unsigned size, uint64_t value);

  // Translated-code tracking, by page (any address in the page; RAM pages only). on_code_write
  // gets the page address before a write changes a code page; the flag is cleared afterwards.
  void MarkCode(uint64_t paddr);
  bool IsCode(uint64_t paddr) const { return Flag(paddr, kCodeFlag); }
  void ClearCode(uint64_t paddr);
  std::function<void(uint64_t page)> on_code_write;
  // Runs on_code_write and clears the flag if paddr's page holds code (for writers that store
  // through Host() directly, such as the page walker setting accessed/dirty bits).
  void InvalidateCode(uint64_t paddr);

  // Paging-structure tracking, maintained by SystemMmu: pages whose entries some shadow
  // translation was derived from. Write/WritePhys call on_paging_write(paddr, n) for writes that
  // touch such a page (after the bytes changed); stores through Host() must report themselves.
  void SetPagingFrame(uint64_t paddr, bool on);
  bool IsPagingFrame(uint64_t paddr) const { return Flag(paddr, kPagingFlag); }
  std::function<void(uint64_t paddr, uint64_t n)> on_paging_write;

 private:
  enum : uint8_t { kCodeFlag = 1, kPagingFlag = 2, kMmioFlag = 4 };
  bool Flag(uint64_t paddr, uint8_t flag) const {
    return paddr < ram_bytes_ && (flags_[paddr >> kPageBits] & flag);
  }
  bool IsRamRange(uint64_t paddr, size_t n) const;
  // Code invalidation and paging-write notification for a RAM write of [paddr, paddr+n).
  void BeforeWrite(uint64_t paddr, uint64_t n);
  void AfterWrite(uint64_t paddr, uint64_t n);

  uint8_t* ram_ = nullptr;
  uint64_t ram_bytes_ = 0;
  std::vector<uint8_t> flags_;  // one byte a RAM page
  struct Range {
    uint64_t base, end;
  };
  std::vector<Range> mmio_;  // sorted by base
};

}  // namespace doppel::softmmu
