// softmmu/paging.cpp: the page walk for 32-bit, PAE and 4-level paging, with the SDM's
// access-rights rules (Vol. 3A 4.6), reserved-bit checks for MAXPHYADDR 40, and accessed/dirty
// write-back.
#include "softmmu/paging.h"

#include <cstring>

namespace doppel::softmmu {

namespace {

constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kWritable = 1ull << 1;
constexpr uint64_t kUserBit = 1ull << 2;
constexpr uint64_t kAccessed = 1ull << 5;
constexpr uint64_t kDirty = 1ull << 6;
constexpr uint64_t kPageSizeBit = 1ull << 7;
constexpr uint64_t kGlobal = 1ull << 8;
constexpr uint64_t kExecuteDisable = 1ull << 63;

constexpr uint64_t Bits(unsigned hi, unsigned lo) {
  return ((~0ull) >> (63 - hi)) & ~((1ull << lo) - 1);
}

constexpr unsigned kMaxPhysBits = 40;
constexpr uint64_t kFrameMask = Bits(kMaxPhysBits - 1, 12);
// Physical-address bits above MAXPHYADDR: 51:M in 4-level entries (62:52 are ignored there),
// 62:M in PAE entries and 63:M in PAE PDPTEs (SDM tables 4-8 to 4-11 and 4-14 to 4-19).
constexpr uint64_t k4LevelHighReserved = Bits(51, kMaxPhysBits);
constexpr uint64_t kPaeHighReserved = Bits(62, kMaxPhysBits);
constexpr uint64_t kPdpteReserved = Bits(63, kMaxPhysBits) | Bits(8, 5) | Bits(2, 1);

// An entry the walk used and the bits to OR into it if the walk succeeds.
struct Update {
  uint64_t addr;
  unsigned bytes;
  uint64_t bits;
};

void WriteBack(PhysicalMemory& mem, const Update& u) {
  uint8_t* host = mem.Host(u.addr);
  if (!host || u.bits == 0) return;  // entries in MMIO are not updated
  uint64_t cur = 0;
  memcpy(&cur, host, u.bytes);
  if ((cur | u.bits) == cur) return;
  cur |= u.bits;
  mem.InvalidateCode(u.addr);
  memcpy(host, &cur, u.bytes);
}

}  // namespace

PagingMode PagingModeOf(const PagingRegs& regs) {
  if (!(regs.cr0 & kCr0Pg)) return PagingMode::kNone;
  if (!(regs.cr4 & kCr4Pae)) return PagingMode::k32Bit;
  return (regs.efer & kEferLma) ? PagingMode::k4Level : PagingMode::kPae;
}

uint32_t AccessErrorBits(const PagingRegs& regs, const AccessInfo& a) {
  uint32_t bits = 0;
  if (a.access == kWrite) bits |= kPfWrite;
  if (a.user && !a.implicit_supervisor) bits |= kPfUser;
  // I/D: a fetch with SMEP, or with PAE/4-level paging and NXE (SDM 4.7).
  bool nx_paging = (regs.cr4 & kCr4Pae) && (regs.efer & kEferNxe);
  if (a.access == kExec && ((regs.cr4 & kCr4Smep) || nx_paging)) bits |= kPfFetch;
  return bits;
}

uint32_t CheckAccess(const PagingRegs& regs, const PagePerms& p, const AccessInfo& a) {
  bool ok;
  if (a.user && !a.implicit_supervisor) {
    ok = p.user && (a.access != kWrite || p.writable) && (a.access != kExec || p.executable);
  } else if (a.access == kExec) {
    ok = p.executable && !(p.user && (regs.cr4 & kCr4Smep));
  } else {
    // SMAP: supervisor data accesses to user pages fault unless explicit with RFLAGS.AC set.
    bool smap = p.user && (regs.cr4 & kCr4Smap) && (a.implicit_supervisor || !a.rflags_ac);
    // CR0.WP=0 lets supervisor writes ignore R/W, on user pages too (SMAP still applies).
    ok = !smap && (a.access != kWrite || p.writable || !(regs.cr0 & kCr0Wp));
  }
  return ok ? 0 : kPfPresent | AccessErrorBits(regs, a);
}

WalkResult Walk(PhysicalMemory& mem, const PagingRegs& regs, uint64_t linear,
                const AccessInfo& access) {
  WalkResult r;
  PagingMode mode = PagingModeOf(regs);
  if (mode == PagingMode::kNone) {
    r.ok = true;
    r.paddr = linear & 0xffffffffu;
    r.page_size = kPageSize;
    r.dirty = true;
    return r;
  }
  if (mode != PagingMode::k4Level) linear &= 0xffffffffu;
  if ((regs.cr4 & kCr4Pcide) && mode == PagingMode::k4Level) r.pcid = regs.cr3 & 0xfff;

  const uint32_t access_bits = AccessErrorBits(regs, access);
  auto fault = [&](uint32_t bits) {
    r.ok = false;
    r.error_code = bits | access_bits;
    return r;
  };
  Update updates[kMaxWalkEntries];
  unsigned n_updates = 0;
  auto record = [&](uint64_t addr, unsigned bytes, uint64_t bits) {
    r.entry_addr[r.entry_count++] = addr;
    updates[n_updates++] = Update{addr, bytes, bits};
  };
  uint64_t leaf = 0;  // the final entry's value

  if (mode == PagingMode::k32Bit) {
    uint64_t pde_addr = (regs.cr3 & 0xfffff000u) | ((linear >> 22) << 2);
    uint64_t pde = mem.ReadPhys(pde_addr, 4);
    record(pde_addr, 4, kAccessed);
    if (!(pde & kPresent)) return fault(0);
    r.perms.writable = pde & kWritable;
    r.perms.user = pde & kUserBit;
    if ((pde & kPageSizeBit) && (regs.cr4 & kCr4Pse)) {
      // 4 MiB page; PDE bits 20:13 are physical bits 39:32 (PSE-36), bit 21 is reserved.
      if (pde & Bits(21, 21)) return fault(kPfPresent | kPfReserved);
      r.page_size = 4ull << 20;
      r.paddr = (pde & 0xffc00000u) | (((pde >> 13) & 0xff) << 32) | (linear & 0x3fffff);
      leaf = pde;
    } else {
      uint64_t pte_addr = (pde & 0xfffff000u) | (((linear >> 12) & 0x3ff) << 2);
      uint64_t pte = mem.ReadPhys(pte_addr, 4);
      record(pte_addr, 4, kAccessed);
      if (!(pte & kPresent)) return fault(0);
      r.perms.writable = r.perms.writable && (pte & kWritable);
      r.perms.user = r.perms.user && (pte & kUserBit);
      r.page_size = kPageSize;
      r.paddr = (pte & 0xfffff000u) | (linear & 0xfff);
      leaf = pte;
    }
  } else {
    const bool nxe = regs.efer & kEferNxe;
    uint64_t reserved = mode == PagingMode::k4Level ? k4LevelHighReserved : kPaeHighReserved;
    if (!nxe) reserved |= kExecuteDisable;
    uint64_t table;
    unsigned level;  // 4: PML4, 3: PDPT, 2: PD, 1: PT
    if (mode == PagingMode::kPae) {
      uint64_t pdpte_addr = (regs.cr3 & 0xffffffe0u) + ((linear >> 30) & 3) * 8;
      uint64_t pdpte = mem.ReadPhys(pdpte_addr, 8);
      record(pdpte_addr, 8, 0);  // PAE PDPTEs have no accessed bit
      if (!(pdpte & kPresent)) return fault(0);
      if (pdpte & kPdpteReserved) return fault(kPfPresent | kPfReserved);
      table = pdpte & kFrameMask;
      level = 2;
    } else {
      table = regs.cr3 & kFrameMask;
      level = 4;
    }
    for (;; --level) {
      unsigned shift = 12 + 9 * (level - 1);
      uint64_t entry_addr = table | (((linear >> shift) & 0x1ff) << 3);
      uint64_t e = mem.ReadPhys(entry_addr, 8);
      record(entry_addr, 8, kAccessed);
      if (!(e & kPresent)) return fault(0);
      bool large = (level == 2 || level == 3) && (e & kPageSizeBit);
      uint64_t rsvd = reserved;
      if (level == 4) rsvd |= kPageSizeBit;    // PML4E bit 7 is reserved
      if (large) rsvd |= Bits(shift - 1, 13);  // 1 GiB: 29:13, 2 MiB: 20:13 (bit 12 is PAT)
      if (e & rsvd) return fault(kPfPresent | kPfReserved);
      r.perms.writable = r.perms.writable && (e & kWritable);
      r.perms.user = r.perms.user && (e & kUserBit);
      if (nxe && (e & kExecuteDisable)) r.perms.executable = false;
      if (large || level == 1) {
        r.page_size = 1ull << shift;
        r.paddr = (e & kFrameMask & ~(r.page_size - 1)) | (linear & (r.page_size - 1));
        leaf = e;
        break;
      }
      table = e & kFrameMask;
    }
  }

  if (CheckAccess(regs, r.perms, access)) return fault(kPfPresent);
  if (access.access == kWrite) updates[n_updates - 1].bits |= kDirty;
  for (unsigned i = 0; i < n_updates; ++i) WriteBack(mem, updates[i]);
  r.ok = true;
  r.dirty = (leaf & kDirty) || access.access == kWrite;
  r.global = (leaf & kGlobal) && (regs.cr4 & kCr4Pge);
  return r;
}

bool PaePdptesValid(PhysicalMemory& mem, uint64_t cr3) {
  for (unsigned i = 0; i < 4; ++i) {
    uint64_t pdpte = mem.ReadPhys((cr3 & 0xffffffe0u) + i * 8, 8);
    if ((pdpte & kPresent) && (pdpte & kPdpteReserved)) return false;
  }
  return true;
}

}  // namespace doppel::softmmu
