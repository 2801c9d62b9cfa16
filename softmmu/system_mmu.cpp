// softmmu/system_mmu.cpp: shadow page tables per address space (LRU), paging-structure write
// tracking, and TLB fills for system mode.
#include "softmmu/system_mmu.h"

#include <algorithm>

namespace doppel::softmmu {

namespace {

constexpr unsigned kVpnBits = 36;  // linear bits 47:12
constexpr uint64_t kVpnMask = (1ull << kVpnBits) - 1;
constexpr uint64_t kSlotMask = ~7ull;
// Bits that change how paging structures are interpreted: shadows derived under the old values
// are meaningless under the new ones.
constexpr uint64_t kCr0Format = kCr0Pg;
constexpr uint64_t kCr4Format = kCr4Pse | kCr4Pae | kCr4Pcide;
constexpr uint64_t kEferFormat = kEferLma | kEferNxe;
// Bits that only change the rights check (done on every shadow hit) or TLB global-ness: TLB
// entries were filled under the old rules, shadows stay valid.
constexpr uint64_t kCr0Rights = kCr0Wp;
constexpr uint64_t kCr4Rights = kCr4Smep | kCr4Smap | kCr4Pge;

uint64_t IdOf(unsigned space, uint64_t vpn) {
  return (static_cast<uint64_t>(space) << kVpnBits) | vpn;
}

}  // namespace

SystemMmu::SystemMmu(PhysicalMemory& mem, unsigned max_spaces)
    : mem_(mem), spaces_(std::clamp(max_spaces, 1u, 64u)) {
  mem_.on_paging_write = [this](uint64_t paddr, uint64_t n) { DropDerived(paddr, n); };
}

SystemMmu::~SystemMmu() {
  for (const auto& [frame, slots] : frame_slots_) mem_.SetPagingFrame(frame, false);
  mem_.on_paging_write = nullptr;
}

uint64_t SystemMmu::Linear(uint64_t linear) const {
  return PagingModeOf(regs_) == PagingMode::k4Level ? linear : linear & 0xffffffffu;
}

uint64_t SystemMmu::SpaceKey() const {
  switch (PagingModeOf(regs_)) {
    case PagingMode::k32Bit: return regs_.cr3 & 0xfffff000u;
    case PagingMode::kPae: return regs_.cr3 & 0xffffffe0u;  // PDPT is 32-byte aligned
    case PagingMode::k4Level:
      // With PCIDE the low 12 bits are the PCID and name a separate address space.
      return regs_.cr3 & ((regs_.cr4 & kCr4Pcide) ? 0xffffffffffull : 0xfffffff000ull);
    case PagingMode::kNone: break;
  }
  return 0;
}

void SystemMmu::SetPagingRegs(const PagingRegs& regs) {
  bool format = ((regs.cr0 ^ regs_.cr0) & kCr0Format) || ((regs.cr4 ^ regs_.cr4) & kCr4Format) ||
                ((regs.efer ^ regs_.efer) & kEferFormat);
  bool rights = ((regs.cr0 ^ regs_.cr0) & kCr0Rights) || ((regs.cr4 ^ regs_.cr4) & kCr4Rights);
  regs_ = regs;
  if (format) {
    FlushAll();
    return;
  }
  if (rights) FlushTlbs();
  ActivateSpace();
}

void SystemMmu::WriteCr3(uint64_t value) {
  if (regs_.cr4 & kCr4Pcide) value &= ~kCr3NoFlush;
  regs_.cr3 = value;
  ActivateSpace();
}

void SystemMmu::ActivateSpace() {
  if (PagingModeOf(regs_) == PagingMode::kNone) {
    if (current_ >= 0) FlushTlbs();
    current_ = -1;
    return;
  }
  uint64_t key = SpaceKey();
  if (current_ >= 0 && spaces_[current_].key == key) return;
  FlushTlbs();  // TLB entries always belong to the current space
  int found = -1;
  unsigned victim = 0;  // a free slot, else the least recently used space
  for (unsigned i = 0; i < spaces_.size(); ++i) {
    const Space& s = spaces_[i];
    if (s.valid && s.key == key) found = static_cast<int>(i);
    const Space& v = spaces_[victim];
    if (v.valid && (!s.valid || s.last_use < v.last_use)) victim = i;
  }
  if (found >= 0) {
    ++stats_.shadow_tables_reused;
  } else {
    EvictSpace(victim);
    spaces_[victim].valid = true;
    spaces_[victim].key = key;
    found = victim;
    ++stats_.shadow_tables_created;
  }
  current_ = found;
  spaces_[found].last_use = ++clock_;
}

void SystemMmu::EvictSpace(unsigned index) {
  Space& s = spaces_[index];
  while (!s.entries.empty()) RemoveEntry(index, s.entries.begin());
  s.valid = false;
}

void SystemMmu::FlushAll() {
  for (const auto& [frame, slots] : frame_slots_) mem_.SetPagingFrame(frame, false);
  refs_.clear();
  frame_slots_.clear();
  for (Space& s : spaces_) {
    s.entries.clear();
    s.valid = false;
  }
  current_ = -1;
  ++stats_.full_flushes;
  FlushTlbs();
  ActivateSpace();
}

void SystemMmu::Invlpg(uint64_t linear) {
  for (TlbEntry* t : tlbs_) TlbFlushPage(t, linear);
  if (current_ < 0) return;
  EntryMap& entries = spaces_[current_].entries;
  auto it = entries.find((Linear(linear) >> kPageBits) & kVpnMask);
  if (it != entries.end()) RemoveEntry(current_, it);
}

bool SystemMmu::Translate(uint64_t linear, const AccessInfo& access, uint64_t* paddr,
                          PageFault* fault) {
  if (current_ < 0) {
    *paddr = linear & 0xffffffffu;
    return true;
  }
  uint64_t lin = Linear(linear);
  uint64_t vpn = (lin >> kPageBits) & kVpnMask;
  EntryMap& entries = spaces_[current_].entries;
  auto it = entries.find(vpn);
  if (it != entries.end()) {
    // The shadow equals a fresh walk, so its rights decide the fault as the walk would.
    if (uint32_t error = CheckAccess(regs_, it->second.perms, access)) {
      if (fault) *fault = PageFault{linear, error};
      return false;
    }
    if (access.access != kWrite || it->second.dirty) {
      ++stats_.shadow_hits;
      *paddr = it->second.ppage | (lin & (kPageSize - 1));
      return true;
    }
  }
  // Miss, or a write that must set the dirty bit.
  WalkResult walk = Walk(mem_, regs_, lin, access);
  ++stats_.walks;
  if (!walk.ok) {
    if (fault) *fault = PageFault{linear, walk.error_code};
    return false;
  }
  Insert(vpn, linear, walk);
  *paddr = walk.paddr;
  return true;
}

void SystemMmu::Insert(uint64_t vpn, uint64_t linear, const WalkResult& walk) {
  EntryMap& entries = spaces_[current_].entries;
  if (auto old = entries.find(vpn); old != entries.end()) RemoveEntry(current_, old);
  ShadowEntry e{};
  e.linear_page = linear & kPageMask;
  e.ppage = walk.paddr & kPageMask;
  e.perms = walk.perms;
  e.dirty = walk.dirty;
  for (unsigned i = 0; i < walk.entry_count; ++i) {
    uint64_t slot = walk.entry_addr[i] & kSlotMask;
    // A self-referencing table can use one entry at two levels: track it once.
    if (std::find(e.slots, e.slots + e.slot_count, slot) == e.slots + e.slot_count)
      e.slots[e.slot_count++] = slot;
  }
  uint64_t id = IdOf(current_, vpn);
  for (unsigned i = 0; i < e.slot_count; ++i) {
    std::unordered_set<uint64_t>& ids = refs_[e.slots[i]];
    if (ids.empty()) {
      uint64_t frame = e.slots[i] & kPageMask;
      std::unordered_set<uint64_t>& slots = frame_slots_[frame];
      if (slots.empty()) {
        // The page just became a paging structure: the fast path must stop writing it.
        mem_.SetPagingFrame(frame, true);
        DropTlbWriteEntries(frame);
      }
      slots.insert(e.slots[i]);
    }
    ids.insert(id);
  }
  entries.emplace(vpn, e);
}

void SystemMmu::RemoveEntry(unsigned space, EntryMap::iterator it) {
  const ShadowEntry& e = it->second;
  uint64_t id = IdOf(space, it->first);
  for (unsigned i = 0; i < e.slot_count; ++i) {
    auto ref = refs_.find(e.slots[i]);
    if (ref == refs_.end()) continue;
    ref->second.erase(id);
    if (!ref->second.empty()) continue;
    refs_.erase(ref);
    uint64_t frame = e.slots[i] & kPageMask;
    auto fs = frame_slots_.find(frame);
    if (fs == frame_slots_.end()) continue;
    fs->second.erase(e.slots[i]);
    if (fs->second.empty()) {
      frame_slots_.erase(fs);
      mem_.SetPagingFrame(frame, false);
    }
  }
  if (static_cast<int>(space) == current_) {
    for (TlbEntry* t : tlbs_) TlbFlushPage(t, e.linear_page);
  }
  spaces_[space].entries.erase(it);
}

void SystemMmu::NotePhysicalWrite(uint64_t paddr, uint64_t size) {
  if (size == 0) return;
  for (uint64_t p = paddr & kPageMask; p < paddr + size; p += kPageSize) {
    if (!mem_.IsPagingFrame(p)) continue;
    uint64_t lo = std::max(p, paddr), hi = std::min(p + kPageSize, paddr + size);
    DropDerived(lo, hi - lo);
  }
}

void SystemMmu::DropDerived(uint64_t paddr, uint64_t n) {
  uint64_t lo = paddr & kSlotMask, hi = paddr + n;
  std::vector<uint64_t> ids;
  auto collect = [&](uint64_t slot) {
    auto ref = refs_.find(slot);
    if (ref != refs_.end()) ids.insert(ids.end(), ref->second.begin(), ref->second.end());
  };
  if (hi - lo <= 64) {
    for (uint64_t slot = lo; slot < hi; slot += 8) collect(slot);
  } else {
    for (uint64_t p = lo & kPageMask; p < hi; p += kPageSize) {
      auto fs = frame_slots_.find(p);
      if (fs == frame_slots_.end()) continue;
      for (uint64_t slot : fs->second) {
        if (slot >= lo && slot < hi) collect(slot);
      }
    }
  }
  for (uint64_t id : ids) {
    unsigned space = static_cast<unsigned>(id >> kVpnBits);
    EntryMap& entries = spaces_[space].entries;
    auto it = entries.find(id & kVpnMask);
    if (it == entries.end()) continue;  // already dropped through another slot
    RemoveEntry(space, it);
    ++stats_.pt_write_invalidations;
  }
}

bool SystemMmu::FillTlb(TlbEntry* tlb, uint64_t linear, const AccessInfo& access) {
  if (access.access == kExec || access.implicit_supervisor) return false;
  uint64_t paddr;
  if (!Translate(linear, access, &paddr, nullptr)) return false;
  uint8_t* host = mem_.Host(paddr & kPageMask);
  if (!host) return false;
  PagePerms perms;
  bool dirty = true;
  if (current_ >= 0) {
    const ShadowEntry& e = spaces_[current_].entries.at((Linear(linear) >> kPageBits) & kVpnMask);
    perms = e.perms;
    dirty = e.dirty;
  }
  bool readable, writable;
  if (access.user) {
    readable = perms.user;
    writable = perms.user && perms.writable;
  } else {
    readable = !(perms.user && (regs_.cr4 & kCr4Smap));
    writable = readable && (perms.writable || !(regs_.cr0 & kCr0Wp));
  }
  if (!readable) return false;
  writable = writable && dirty && !mem_.IsCode(paddr) && !mem_.IsPagingFrame(paddr);
  uint64_t page = linear & kPageMask;
  TlbEntry& e = tlb[TlbIndex(linear)];
  e = TlbEntry{};
  e.addend = reinterpret_cast<uint64_t>(host) - page;
  e.read_tag = page;
  e.write_tag = writable ? page : kTlbInvalid;
  return true;
}

void SystemMmu::MarkCodePage(uint64_t paddr) {
  mem_.MarkCode(paddr);
  DropTlbWriteEntries(paddr);
}

void SystemMmu::DropTlbWriteEntries(uint64_t paddr) {
  const uint8_t* host = mem_.Host(paddr & kPageMask);
  if (!host) return;
  uint64_t host_page = reinterpret_cast<uint64_t>(host);
  for (TlbEntry* t : tlbs_) {
    for (unsigned i = 0; i < kTlbSize; ++i) {
      TlbEntry& e = t[i];
      if (e.write_tag != kTlbInvalid && e.write_tag + e.addend == host_page)
        e.write_tag = kTlbInvalid;
    }
  }
}

void SystemMmu::FlushTlbs() {
  for (TlbEntry* t : tlbs_) TlbFlushAll(t);
}

size_t SystemMmu::ShadowEntryCount() const {
  return current_ < 0 ? 0 : spaces_[current_].entries.size();
}

size_t SystemMmu::AddressSpaceCount() const {
  return std::count_if(spaces_.begin(), spaces_.end(), [](const Space& s) { return s.valid; });
}

}  // namespace doppel::softmmu
