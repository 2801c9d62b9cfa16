// softmmu/system_mmu.h: system-mode address translation for one CPU: shadow page tables derived
// from guest page walks, kept coherent by write-tracking the guest's paging structures, and the
// TLB fills of the JIT/interpreter fast path.
//
// How the runtime uses it in system mode:
// - Every TLB miss calls Translate (the walk sets accessed/dirty bits and may fault), does the
//   access on the physical address (PhysicalMemory::Host for RAM, ReadPhys/WritePhys otherwise),
//   then FillTlb. Stores on the slow path that write RAM through Host() call NotePhysicalWrite
//   (WritePhys and PhysicalMemory::Write report to this class by themselves); so must devices
//   that DMA into RAM through Host().
// - Translated blocks are keyed by *physical* PC: the dispatcher translates the fetch address
//   with Translate(pc, {kExec, ...}) and marks the code's physical pages with MarkCodePage. A block
//   is then valid under every linear alias and CR3, and a store to its page (at any alias)
//   reaches the slow path and PhysicalMemory::on_code_write.
// - MOV CR0/CR4, WRMSR EFER -> SetPagingRegs; MOV CR3 -> WriteCr3; INVLPG -> Invlpg;
//   INVPCID -> Invlpg or FlushAll. The runtime flushes its TLB whenever CPL changes: entries
//   assume the privilege they were filled at.
//
// Coherence. Every physical page from which a walk read a paging-structure entry is tracked, and
// a write that changes such an entry drops every shadow translation derived from it (in every
// kept address space) and the matching TLB entries. The fast path can never write a tracked page
// or a code page: write entries are not filled for them, and are removed when a page becomes one.
// So a shadow translation always equals what a fresh walk of the current paging structures would
// produce. A TLB that is always re-filled from the current structures is one of the behaviours
// the SDM allows (TLBs "may" cache, 4.10.2), so no invalidation the guest performs is ever needed
// for correctness: keeping a shadow table across MOV CR3 (with or without CR4.PCIDE and the
// no-flush bit 63), across CR4.PGE toggles, and ignoring global bits is architecturally safe.
// Only the bits that change how entries are interpreted (CR0.PG, CR4.PSE/PAE/PCIDE, EFER.LMA/NXE)
// drop the shadows; those that change the rights check (CR0.WP, CR4.SMEP/SMAP/PGE) drop the TLB.
//
// Limits: one SystemMmu per PhysicalMemory (it owns on_paging_write and the paging page flags;
// SMP needs one shared tracker); paging structures in MMIO are read but not write-tracked.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "softmmu/paging.h"
#include "softmmu/physical_memory.h"
#include "softmmu/tlb.h"

namespace doppel::softmmu {

struct PageFault {
  uint64_t linear = 0;  // CR2
  uint32_t error_code = 0;
};

struct SystemMmuStats {
  uint64_t walks = 0;
  uint64_t shadow_hits = 0;
  uint64_t shadow_tables_created = 0;
  uint64_t shadow_tables_reused = 0;    // switches back to a kept address space
  uint64_t pt_write_invalidations = 0;  // shadow entries dropped by paging-structure writes
  uint64_t full_flushes = 0;
};

class SystemMmu {
 public:
  static constexpr unsigned kDefaultSpaces = 16;
  explicit SystemMmu(PhysicalMemory& mem, unsigned max_spaces = kDefaultSpaces);
  ~SystemMmu();
  SystemMmu(const SystemMmu&) = delete;
  SystemMmu& operator=(const SystemMmu&) = delete;

  // Loads all paging registers (reset, mode switches, snapshot restore). CR3 changes behave as
  // WriteCr3; see the header comment for which other bits flush what.
  void SetPagingRegs(const PagingRegs& regs);
  const PagingRegs& regs() const { return regs_; }
  // MOV to CR3 with the source operand (bit 63 is the PCID no-flush hint, dropped here).
  void WriteCr3(uint64_t value);
  void Invlpg(uint64_t linear);
  void FlushAll();

  // Translates for `access`, walking (and setting A/D bits) on a shadow miss, on a write to a page
  // whose dirty bit is not known set, and never on a hit. False with *fault (may be null) filled
  // when the access faults.
  bool Translate(uint64_t linear, const AccessInfo& access, uint64_t* paddr, PageFault* fault);
  // Fills the TLB entry for linear's page after a successful access: only for RAM; a read entry
  // when readable at this privilege (never for SMAP-protected user pages at CPL < 3, so RFLAGS.AC
  // is checked on the slow path every time); a write entry only when writable, dirty, and the
  // physical page holds neither translated code nor tracked paging structures. Never for fetches
  // or implicit supervisor accesses. True if an entry was filled.
  bool FillTlb(TlbEntry* tlb, uint64_t linear, const AccessInfo& access);
  void RegisterTlb(TlbEntry* tlb) { tlbs_.push_back(tlb); }

  // Marks the physical page as translated code and removes every TLB write entry for it, under
  // every linear alias.
  void MarkCodePage(uint64_t paddr);
  // Reports a CPU store of `size` bytes at paddr made through PhysicalMemory::Host.
  void NotePhysicalWrite(uint64_t paddr, uint64_t size);

  const SystemMmuStats& stats() const { return stats_; }
  size_t ShadowEntryCount() const;  // in the current address space
  size_t AddressSpaceCount() const;

 private:
  struct ShadowEntry {
    uint64_t linear_page;  // as the TLB tags it
    uint64_t ppage;
    PagePerms perms;
    bool dirty;
    uint8_t slot_count;
    uint64_t slots[kMaxWalkEntries];  // 8-byte-aligned addresses of the entries it came from
  };
  struct Space {
    bool valid = false;
    uint64_t key = 0;
    uint64_t last_use = 0;
    std::unordered_map<uint64_t, ShadowEntry> entries;  // key: linear bits 47:12
  };
  using EntryMap = std::unordered_map<uint64_t, ShadowEntry>;

  uint64_t SpaceKey() const;
  void ActivateSpace();
  void EvictSpace(unsigned index);
  void Insert(uint64_t vpn, uint64_t linear, const WalkResult& walk);
  void RemoveEntry(unsigned space, EntryMap::iterator it);
  void DropDerived(uint64_t paddr, uint64_t n);
  void DropTlbWriteEntries(uint64_t paddr);
  void FlushTlbs();
  uint64_t Linear(uint64_t linear) const;

  PhysicalMemory& mem_;
  PagingRegs regs_;
  std::vector<Space> spaces_;
  int current_ = -1;  // index into spaces_, -1 with paging off
  uint64_t clock_ = 0;
  // Tracking index. An id names a shadow entry: space index << 36 | linear bits 47:12.
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> refs_;         // entry slot -> ids
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> frame_slots_;  // page -> slots
  std::vector<TlbEntry*> tlbs_;
  SystemMmuStats stats_;
};

}  // namespace doppel::softmmu
