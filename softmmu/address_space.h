// softmmu/address_space.h: guest memory for a CPU: page-granular mappings to host memory with
// protections, TLB fills for the fast path, and tracking of pages that hold translated code.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "softmmu/tlb.h"

namespace doppel::softmmu {

enum Access : int { kRead = 1, kWrite = 2, kExec = 4 };

class AddressSpace {
 public:
  AddressSpace() = default;
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  // Maps [addr, addr+size) to zeroed host memory (page-aligned, not overlapping a mapping).
  bool Map(uint64_t addr, uint64_t size, int prot, std::string* error);
  bool Unmap(uint64_t addr, uint64_t size);
  bool Protect(uint64_t addr, uint64_t size, int prot);

  // Host address of guest `addr` when its page allows `access`, else nullptr.
  uint8_t* Translate(uint64_t addr, int access) const;
  // Copies ignoring protections (debugger/loader access); false if any page is unmapped.
  bool Read(uint64_t addr, void* dst, size_t n) const;
  bool Write(uint64_t addr, const void* src, size_t n);

  // Fills the TLB entry for addr's page if the page allows `access`; returns false otherwise.
  // Write entries are never filled for code pages, nor while journaling.
  bool FillTlb(TlbEntry* tlb, uint64_t addr, int access) const;
  void RegisterTlb(TlbEntry* tlb) { tlbs_.push_back(tlb); }

  // Translated-code tracking, by page.
  void MarkCode(uint64_t addr);
  bool IsCode(uint64_t addr) const;
  void ClearCode(uint64_t addr);
  // Called with a page address before a write changes a code page (then the page is cleared).
  std::function<void(uint64_t page)> on_code_write;

  // Write journal for compare mode: every slow-path store records the old bytes first.
  struct JournalEntry {
    uint64_t addr;
    uint8_t size;
    uint64_t old_value;
  };
  void SetJournaling(bool on);
  bool journaling() const { return journaling_; }
  std::vector<JournalEntry>& journal() { return journal_; }
  // Undoes the journal in reverse order and clears it.
  void RollBack();

 private:
  struct Page {
    uint8_t* host;
    int prot;
    bool code;
  };
  void FlushTlbs(uint64_t addr);
  void FlushAllTlbs();

  std::unordered_map<uint64_t, Page> pages_;  // key: page number
  struct Region {
    uint8_t* host;
    size_t size;
  };
  std::vector<Region> regions_;
  std::vector<TlbEntry*> tlbs_;
  bool journaling_ = false;
  std::vector<JournalEntry> journal_;
};

}  // namespace doppel::softmmu
