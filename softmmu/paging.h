// softmmu/paging.h: the architectural x86 page walk over guest-physical memory (Intel SDM Vol. 3A
// ch. 4): 32-bit, PAE and 4-level paging, access rights, reserved bits, accessed/dirty updates.
#pragma once
#include <cstdint>

#include "softmmu/address_space.h"  // Access: kRead, kWrite, kExec
#include "softmmu/physical_memory.h"

namespace doppel::softmmu {

struct PagingRegs {
  uint64_t cr0 = 0, cr3 = 0, cr4 = 0, efer = 0;
};

constexpr uint64_t kCr0Wp = 1ull << 16;
constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pse = 1ull << 4;
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kCr4Pge = 1ull << 7;
constexpr uint64_t kCr4Pcide = 1ull << 17;
constexpr uint64_t kCr4Smep = 1ull << 20;
constexpr uint64_t kCr4Smap = 1ull << 21;
constexpr uint64_t kEferLma = 1ull << 10;
constexpr uint64_t kEferNxe = 1ull << 11;
// MOV to CR3 with CR4.PCIDE: bit 63 of the source asks not to flush the PCID's translations.
constexpr uint64_t kCr3NoFlush = 1ull << 63;

// Page-fault error code bits (SDM 4.7). PK, SS, HLAT and SGX are never reported.
constexpr uint32_t kPfPresent = 1;   // 0: not present; 1: protection or reserved-bit violation
constexpr uint32_t kPfWrite = 2;     // the access was a write
constexpr uint32_t kPfUser = 4;      // a user-mode access (CPL 3, not an implicit supervisor one)
constexpr uint32_t kPfReserved = 8;  // a reserved bit was set in a paging-structure entry
constexpr uint32_t kPfFetch = 16;    // an instruction fetch, with SMEP or PAE+NXE enabled

enum class PagingMode { kNone, k32Bit, kPae, k4Level };
PagingMode PagingModeOf(const PagingRegs& regs);

struct AccessInfo {
  Access access = kRead;  // exactly one of kRead, kWrite, kExec
  bool user = false;      // CPL == 3
  // GDT/LDT/IDT/TSS accesses: supervisor-mode accesses even at CPL 3, and always subject to SMAP.
  bool implicit_supervisor = false;
  bool rflags_ac = false;  // RFLAGS.AC: lifts SMAP for explicit supervisor data accesses
};

// Access rights combined over every level of a translation (SDM 4.6): writable and user only if
// every entry allows it, executable unless some entry has XD set (with EFER.NXE).
struct PagePerms {
  bool writable = true;
  bool user = true;
  bool executable = true;
};

// 0 when `perms` allow the access under the current CR0.WP/CR4.SMEP/CR4.SMAP, otherwise the page
// fault error code of the protection violation (P set).
uint32_t CheckAccess(const PagingRegs& regs, const PagePerms& perms, const AccessInfo& access);
// The W/R, U/S and I/D bits an access contributes to any page-fault error code.
uint32_t AccessErrorBits(const PagingRegs& regs, const AccessInfo& access);

constexpr unsigned kMaxWalkEntries = 4;

struct WalkResult {
  bool ok = false;
  uint32_t error_code = 0;  // when !ok: the #PF error code (the faulting address is the linear one)
  uint64_t paddr = 0;
  uint64_t page_size = 0;  // 4 KiB, 2 MiB, 4 MiB or 1 GiB
  PagePerms perms;
  bool global = false;  // G set in the final entry and CR4.PGE
  bool dirty = false;   // D in the final entry after this walk (always true with paging off)
  uint16_t pcid = 0;    // CR3[11:0] with CR4.PCIDE, else 0
  // Physical addresses of the paging-structure entries read, top level first (the PAE PDPTE
  // included); their pages are the frames to write-track. Filled on faults too, up to the failing
  // one.
  unsigned entry_count = 0;
  uint64_t entry_addr[kMaxWalkEntries] = {};
};

// 4-level paging translates only canonical addresses (bits 63:47 equal); others raise #GP, or #SS
// for stack accesses, before any walk.
inline bool IsCanonical48(uint64_t linear) {
  return static_cast<uint64_t>(static_cast<int64_t>(linear << 16) >> 16) == linear;
}

// Translates `linear` (canonical in 4-level mode: the caller raises #GP otherwise; truncated to 32
// bits in the other modes). Paging off is the identity with every right.
//
// Accessed and dirty bits: a walk that succeeds sets A in every entry it used (PAE PDPTEs have no
// A bit) and, for a write, D in the final entry, as read-modify-write ORs of the current entry
// values. A faulting walk writes nothing, at any level. The SDM leaves the A bits of a faulting
// walk's upper levels open (they may be set; QEMU sets them as it walks), so guests cannot depend
// on either; writing nothing keeps a faulting access free of side effects.
//
// PAE PDPTEs are read from memory on every walk, as QEMU does, rather than from the registers
// hardware loads at MOV CR3; the difference shows only to a guest that edits a live PDPT without
// reloading CR3, which the SDM requires it to do. PaePdptesValid is the load-time check.
WalkResult Walk(PhysicalMemory& mem, const PagingRegs& regs, uint64_t linear,
                const AccessInfo& access);

// False when a present PAE PDPTE at `cr3` has reserved bits set: MOV CR3 (or enabling PAE paging)
// then raises #GP in hardware (SDM 4.4.1).
bool PaePdptesValid(PhysicalMemory& mem, uint64_t cr3);

}  // namespace doppel::softmmu
