// runtime/system_memory.cpp: guest memory as the CPU sees it in system mode: linear addresses
// through the shadow-paging MMU to RAM or MMIO, page faults with their error codes, the slow
// paths of translated code's loads and stores (self-modifying code included), the current mode.
#include <cstring>

#include "frontend/x86/translate.h"
#include "runtime/system_cpu.h"

namespace doppel::sys {

namespace {

using softmmu::kPageMask;
using softmmu::kPageSize;

softmmu::AccessInfo AccessFor(const CpuState& s, softmmu::Access access, bool implicit) {
  softmmu::AccessInfo a;
  a.access = access;
  a.user = s.sys.cpl == 3 && !implicit;
  a.implicit_supervisor = implicit;
  a.rflags_ac = (s.rflags & kAC) != 0;
  return a;
}

bool Translate(Machine::Impl& m, uint64_t linear, softmmu::Access access, bool implicit,
               uint64_t pc, uint64_t* paddr) {
  CpuState& s = m.state;
  softmmu::PageFault fault;
  if (m.mmu->Translate(linear, AccessFor(s, access, implicit), paddr, &fault)) return true;
  Raise(s, ir::kPageFault, fault.error_code, pc);
  s.fault_addr = fault.linear;
  return false;
}

// Translates every page of [linear, linear+n) before any byte moves, so a faulting access has
// no effect. paddr[i] is the physical address of the i-th piece (at most two pages).
bool TranslateRange(Machine::Impl& m, uint64_t linear, unsigned n, softmmu::Access access,
                    bool implicit, uint64_t pc, uint64_t paddr[2], unsigned len[2]) {
  unsigned first =
      static_cast<unsigned>(std::min<uint64_t>(n, kPageSize - (linear & (kPageSize - 1))));
  len[0] = first;
  len[1] = n - first;
  if (!Translate(m, linear, access, implicit, pc, &paddr[0])) return false;
  if (len[1] && !Translate(m, linear + first, access, implicit, pc, &paddr[1])) return false;
  return true;
}

void ReadPhysical(Machine::Impl& m, uint64_t paddr, uint8_t* dst, unsigned n) {
  if (const uint8_t* host = m.phys->Host(paddr); host && m.phys->Host(paddr + n - 1)) {
    memcpy(dst, host, n);
    return;
  }
  for (unsigned i = 0; i < n;) {
    unsigned chunk = (n - i >= 4 && ((paddr + i) & 3) == 0) ? 4 : 1;
    uint64_t v = m.phys->ReadPhys(paddr + i, chunk);
    memcpy(dst + i, &v, chunk);
    i += chunk;
  }
}

void WritePhysical(Machine::Impl& m, uint64_t paddr, const uint8_t* src, unsigned n) {
  if (n == 1 || n == 2 || n == 4 || n == 8) {
    uint64_t v = 0;
    memcpy(&v, src, n);
    m.phys->WritePhys(paddr, n, v);
    return;
  }
  for (unsigned i = 0; i < n; ++i) m.phys->WritePhys(paddr + i, 1, src[i]);
}

}  // namespace

void Raise(CpuState& s, uint32_t vector, uint32_t error_code, uint64_t rip) {
  s.exit_reason = static_cast<uint32_t>(ir::ExitReason::kException);
  s.exception_vector = vector;
  s.error_code = error_code;
  s.rip = rip;
}

uint32_t CurrentMode(const CpuState& s) {
  using namespace frontend;
  uint32_t mode = kModeSystem | s.sys.cpl << kModeCplShift;
  if (s.sys.cr0 & kCr0Ts) mode |= kModeTs;
  if (s.sys.cr0 & kCr0Em) mode |= kModeEm;
  if (s.sys.cr0 & kCr0Mp) mode |= kModeMp;
  if (!ProtectedMode(s)) {
    // Real mode checks only limits; with the usual 64 KiB ones an access can cross offset
    // 0xFFFF (or use a 32-bit offset above it) and fault.
    mode |= kMode16 | kModeReal;
    for (unsigned seg = 0; seg < 6; ++seg) {
      if (s.sys.seg[seg].limit != 0xffffffffu) mode |= 1u << (kModeSegCheckShift + seg);
    }
    return mode;
  }
  if (Mode64(s)) return mode | kMode64;
  bool code32 = (s.sys.seg[CS].attrs & kSegDb) != 0;
  bool stack32 = (s.sys.seg[SS].attrs & kSegDb) != 0;
  mode |= code32 ? kMode32 : kMode16;
  if (code32 != stack32) mode |= kModeStackFlip;
  if (s.rflags & kVM) return mode;
  for (unsigned seg = 0; seg < 6; ++seg) {
    const SegmentCache& c = s.sys.seg[seg];
    const bool code = c.attrs & kSegCode;
    const bool flat = (c.attrs & kSegPresent) && (c.attrs & kSegS) && c.limit == 0xffffffffu &&
                      (c.attrs & kSegWritable) && (code || !(c.attrs & kSegConforming));
    if (!flat) mode |= 1u << (kModeSegCheckShift + seg);
  }
  return mode;
}

bool ReadLinear(Machine::Impl& m, uint64_t linear, void* dst, unsigned n, bool implicit,
                uint64_t pc) {
  uint64_t paddr[2];
  unsigned len[2];
  if (!TranslateRange(m, linear, n, softmmu::kRead, implicit, pc, paddr, len)) return false;
  auto* out = static_cast<uint8_t*>(dst);
  ReadPhysical(m, paddr[0], out, len[0]);
  if (len[1]) ReadPhysical(m, paddr[1], out + len[0], len[1]);
  return true;
}

bool WriteLinear(Machine::Impl& m, uint64_t linear, const void* src, unsigned n, bool implicit,
                 uint64_t pc) {
  uint64_t paddr[2];
  unsigned len[2];
  if (!TranslateRange(m, linear, n, softmmu::kWrite, implicit, pc, paddr, len)) return false;
  const auto* in = static_cast<const uint8_t*>(src);
  WritePhysical(m, paddr[0], in, len[0]);
  if (len[1]) WritePhysical(m, paddr[1], in + len[0], len[1]);
  return true;
}

bool ProbeWrite(Machine::Impl& m, uint64_t linear, unsigned n, uint64_t pc) {
  uint64_t paddr[2];
  unsigned len[2];
  return TranslateRange(m, linear, n, softmmu::kWrite, false, pc, paddr, len);
}

uint64_t SlowLoad(Machine::Impl& m, uint64_t addr, uint32_t size, uint64_t pc) {
  uint64_t value = 0;
  if (!ReadLinear(m, addr, &value, size, false, pc)) return 0;
  if (softmmu::TlbProbe(addr, size) == (addr & kPageMask))
    m.mmu->FillTlb(m.state.tlb, addr, AccessFor(m.state, softmmu::kRead, false));
  return value;
}

void SlowStore(Machine::Impl& m, uint64_t addr, uint64_t value, uint32_t size, uint64_t pc) {
  CpuState& s = m.state;
  uint64_t paddr[2];
  unsigned len[2];
  if (!TranslateRange(m, addr, size, softmmu::kWrite, false, pc, paddr, len)) return;
  // A store into the physical page of the running block may rewrite instructions still to come
  // in it: abandon the block at this instruction and re-run it alone (the dispatcher does).
  for (unsigned i = 0; i < 2 && len[i]; ++i) {
    uint64_t page = paddr[i] & kPageMask;
    if (!m.phys->IsCode(page) || s.smc_single_step) continue;
    uint64_t linear_pc = s.seg_base[CS] + pc, pc_page = 0;
    softmmu::AccessInfo fetch = AccessFor(s, softmmu::kExec, false);
    bool same = m.mmu->Translate(linear_pc, fetch, &pc_page, nullptr) &&
                (page == (pc_page & kPageMask) || page == (pc_page & kPageMask) + kPageSize);
    if (same) {
      s.exit_reason = static_cast<uint32_t>(ir::ExitReason::kSmcRestart);
      s.rip = pc;
      return;
    }
  }
  const auto* in = reinterpret_cast<const uint8_t*>(&value);
  WritePhysical(m, paddr[0], in, len[0]);
  if (len[1]) WritePhysical(m, paddr[1], in + len[0], len[1]);
  if (!len[1]) m.mmu->FillTlb(s.tlb, addr, AccessFor(s, softmmu::kWrite, false));
  // A store to a device may make an interrupt deliverable (an APIC EOI, an unmask): end the
  // chained run soon so the dispatcher looks.
  if (!m.phys->Host(paddr[0])) m.RequestDispatch();
}

bool FetchPhysical(Machine::Impl& m, uint64_t linear, uint64_t* paddr) {
  return Translate(m, linear, softmmu::kExec, false, m.state.rip, paddr);
}

void PagingChanged(Machine::Impl& m, bool cr3_only) {
  const CpuState& s = m.state;
  if (cr3_only) {
    m.mmu->WriteCr3(s.sys.cr3);
  } else {
    m.mmu->SetPagingRegs(softmmu::PagingRegs{s.sys.cr0, s.sys.cr3, s.sys.cr4, s.sys.efer});
  }
}

}  // namespace doppel::sys
