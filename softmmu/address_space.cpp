// softmmu/address_space.cpp: page table of guest mappings, TLB fills, code-page tracking and the
// compare-mode write journal.
#include "softmmu/address_space.h"

#include <sys/mman.h>

#include <cstring>

namespace doppel::softmmu {

AddressSpace::~AddressSpace() {
  for (const Region& r : regions_) munmap(r.host, r.size);
}

bool AddressSpace::Map(uint64_t addr, uint64_t size, int prot, std::string* error) {
  auto fail = [&](const char* msg) {
    if (error) *error = msg;
    return false;
  };
  if ((addr | size) & (kPageSize - 1)) return fail("mapping is not page aligned");
  if (size == 0 || addr + size < addr || addr + size > (1ull << 47))
    return fail("mapping range is invalid");
  for (uint64_t p = addr; p < addr + size; p += kPageSize) {
    if (pages_.count(p >> kPageBits)) return fail("mapping overlaps an existing one");
  }
  void* host = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (host == MAP_FAILED) return fail("out of host memory");
  regions_.push_back({static_cast<uint8_t*>(host), size});
  for (uint64_t off = 0; off < size; off += kPageSize) {
    pages_[(addr + off) >> kPageBits] = Page{static_cast<uint8_t*>(host) + off, prot, false};
  }
  return true;
}

bool AddressSpace::Unmap(uint64_t addr, uint64_t size) {
  bool any = false;
  for (uint64_t p = addr & kPageMask; p < addr + size; p += kPageSize) {
    auto it = pages_.find(p >> kPageBits);
    if (it == pages_.end()) continue;
    if (it->second.code && on_code_write) on_code_write(p);
    // Give the memory back to the host but keep the address range reserved: a system call that
    // copied from the page before it went away (another guest thread) never touches freed memory.
    madvise(it->second.host, kPageSize, MADV_DONTNEED);
    pages_.erase(it);
    FlushTlbs(p);
    any = true;
  }
  return any;
}

bool AddressSpace::Protect(uint64_t addr, uint64_t size, int prot) {
  bool all = true;
  for (uint64_t p = addr & kPageMask; p < addr + size; p += kPageSize) {
    auto it = pages_.find(p >> kPageBits);
    if (it == pages_.end()) {
      all = false;
      continue;
    }
    if (it->second.code && !(prot & kExec) && on_code_write) on_code_write(p);
    it->second.prot = prot;
    FlushTlbs(p);
  }
  return all;
}

uint8_t* AddressSpace::Translate(uint64_t addr, int access) const {
  auto it = pages_.find(addr >> kPageBits);
  if (it == pages_.end() || (it->second.prot & access) != access) return nullptr;
  return it->second.host + (addr & (kPageSize - 1));
}

bool AddressSpace::Read(uint64_t addr, void* dst, size_t n) const {
  auto* out = static_cast<uint8_t*>(dst);
  while (n > 0) {
    uint8_t* host = Translate(addr, 0);
    if (!host) return false;
    size_t chunk = std::min<uint64_t>(n, kPageSize - (addr & (kPageSize - 1)));
    memcpy(out, host, chunk);
    out += chunk;
    addr += chunk;
    n -= chunk;
  }
  return true;
}

bool AddressSpace::Write(uint64_t addr, const void* src, size_t n) {
  const auto* in = static_cast<const uint8_t*>(src);
  while (n > 0) {
    uint8_t* host = Translate(addr, 0);
    if (!host) return false;
    if (IsCode(addr)) {
      if (on_code_write) on_code_write(addr & kPageMask);
      ClearCode(addr);
    }
    size_t chunk = std::min<uint64_t>(n, kPageSize - (addr & (kPageSize - 1)));
    memcpy(host, in, chunk);
    in += chunk;
    addr += chunk;
    n -= chunk;
  }
  return true;
}

bool AddressSpace::FillTlb(TlbEntry* tlb, uint64_t addr, int access) const {
  auto it = pages_.find(addr >> kPageBits);
  if (it == pages_.end() || (it->second.prot & access) != access) return false;
  const Page& p = it->second;
  uint64_t page = addr & kPageMask;
  TlbEntry& e = tlb[TlbIndex(addr)];
  if (e.read_tag != page && e.write_tag != page) e = TlbEntry{};
  e.addend = reinterpret_cast<uint64_t>(p.host) - page;
  if (p.prot & kRead) e.read_tag = page;
  e.write_tag = (p.prot & kWrite) && !p.code && !journaling_ ? page : kTlbInvalid;
  return true;
}

void AddressSpace::MarkCode(uint64_t addr) {
  auto it = pages_.find(addr >> kPageBits);
  if (it == pages_.end() || it->second.code) return;
  it->second.code = true;
  FlushTlbs(addr & kPageMask);
}

bool AddressSpace::IsCode(uint64_t addr) const {
  auto it = pages_.find(addr >> kPageBits);
  return it != pages_.end() && it->second.code;
}

void AddressSpace::ClearCode(uint64_t addr) {
  auto it = pages_.find(addr >> kPageBits);
  if (it != pages_.end()) it->second.code = false;
}

void AddressSpace::SetJournaling(bool on) {
  journaling_ = on;
  journal_.clear();
  FlushAllTlbs();
}

void AddressSpace::RollBack() {
  for (auto it = journal_.rbegin(); it != journal_.rend(); ++it) {
    for (unsigned i = 0; i < it->size; ++i) {
      uint8_t* host = Translate(it->addr + i, 0);
      if (host) *host = static_cast<uint8_t>(it->old_value >> (8 * i));
    }
  }
  journal_.clear();
}

void AddressSpace::FlushTlbs(uint64_t addr) {
  for (TlbEntry* t : tlbs_) TlbFlushPage(t, addr);
}

void AddressSpace::FlushAllTlbs() {
  for (TlbEntry* t : tlbs_) TlbFlushAll(t);
}

}  // namespace doppel::softmmu
