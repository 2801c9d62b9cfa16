// softmmu/tlb.h: the software TLB shared by generated code and the interpreter. An entry maps one
// guest page to host memory (host = guest + addend); read and write are tagged separately so pages
// holding translated code can be readable through the fast path but never writable.
#pragma once
#include <cstdint>

namespace doppel::softmmu {

constexpr unsigned kPageBits = 12;
constexpr uint64_t kPageSize = 1ull << kPageBits;
constexpr uint64_t kPageMask = ~(kPageSize - 1);
constexpr unsigned kTlbBits = 10;
constexpr unsigned kTlbSize = 1u << kTlbBits;
constexpr uint64_t kTlbInvalid = 1;  // never equal to a page-aligned tag

struct TlbEntry {
  uint64_t read_tag = kTlbInvalid;   // page address when readable through the fast path
  uint64_t write_tag = kTlbInvalid;  // page address when writable through the fast path
  uint64_t addend = 0;               // host address - guest address
  uint64_t pad = 0;
};
static_assert(sizeof(TlbEntry) == 32);

inline unsigned TlbIndex(uint64_t addr) { return (addr >> kPageBits) & (kTlbSize - 1); }
// The tag an access of `size` bytes at `addr` must match: it differs from the page of `addr` when
// the access crosses into the next page, so page-crossing accesses always take the slow path.
inline uint64_t TlbProbe(uint64_t addr, unsigned size) { return (addr + size - 1) & kPageMask; }

inline void TlbFlushAll(TlbEntry* tlb) {
  for (unsigned i = 0; i < kTlbSize; ++i) tlb[i] = TlbEntry{};
}
inline void TlbFlushPage(TlbEntry* tlb, uint64_t addr) {
  TlbEntry& e = tlb[TlbIndex(addr)];
  if (e.read_tag == (addr & kPageMask) || e.write_tag == (addr & kPageMask)) e = TlbEntry{};
}

}  // namespace doppel::softmmu
