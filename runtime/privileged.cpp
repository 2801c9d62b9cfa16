// runtime/privileged.cpp: the System-op helper: each sensitive instruction the frontend turned into
// a System op runs here against CpuState::sys and the board (port I/O, CRs, MSRs, descriptor
// tables, SYSCALL/SYSENTER, CLI/STI/POPF). Process mode gets segment loads and #GP for the rest.
#include <algorithm>
#include <cstring>

#include "ir/system.h"
#include "runtime/system_cpu.h"

namespace doppel::sys {

namespace {

using ir::SystemOp;

constexpr uint32_t kMsrTsc = 0x10, kMsrApicBase = 0x1b, kMsrSysenterCs = 0x174,
                   kMsrSysenterEsp = 0x175, kMsrSysenterEip = 0x176, kMsrMiscEnable = 0x1a0,
                   kMsrPat = 0x277, kMsrEfer = 0xc0000080, kMsrStar = 0xc0000081,
                   kMsrLstar = 0xc0000082, kMsrCstar = 0xc0000083, kMsrSfmask = 0xc0000084,
                   kMsrFsBase = 0xc0000100, kMsrGsBase = 0xc0000101, kMsrKernelGsBase = 0xc0000102,
                   kMsrTscAux = 0xc0000103;

Machine::Impl& ImplOf(CpuState* s) { return *static_cast<Machine::Impl*>(s->opaque); }

uint64_t Gp(CpuState& s, uint64_t pc) {
  Raise(s, ir::kGeneralProtection, 0, pc);
  return 0;
}

uint64_t Ud(CpuState& s, uint64_t pc) {
  Raise(s, ir::kInvalidOpcode, 0, pc);
  return 0;
}

bool Canonical(uint64_t v) {
  return static_cast<uint64_t>(static_cast<int64_t>(v << 16) >> 16) == v;
}

// IN/OUT/INS/OUTS at CPL > IOPL consult the TSS I/O permission bitmap (every bit of the access
// must be clear).
bool IoAllowed(Machine::Impl& m, uint16_t port, unsigned size, uint64_t pc) {
  CpuState& s = m.state;
  if (!ProtectedMode(s) || s.sys.cpl <= Iopl(s)) return true;
  bool tss32 = (s.sys.tr.attrs & 0x8) != 0;
  if (!tss32 || s.sys.tr.limit < 0x67) return false;
  uint16_t base = 0;
  if (!ReadLinear(m, s.sys.tr_base + 0x66, &base, 2, true, pc)) return false;
  uint32_t byte = base + port / 8;
  if (byte + 1 > s.sys.tr.limit) return false;
  uint16_t bits = 0;
  if (!ReadLinear(m, s.sys.tr_base + byte, &bits, 2, true, pc)) return false;
  unsigned mask = ((1u << size) - 1) << (port & 7);
  return (bits & mask) == 0;
}

bool WriteCr(Machine::Impl& m, unsigned n, uint64_t v, uint64_t pc) {
  CpuState& s = m.state;
  if (!Mode64(s)) v &= 0xffffffff;
  switch (n) {
    case 0: {
      v |= 0x10;  // ET is hardwired
      if ((v & kCr0Pg) && !(v & kCr0Pe)) return Gp(s, pc), false;
      if ((v >> 32) != 0) return Gp(s, pc), false;
      bool enabling_paging = (v & kCr0Pg) && !(s.sys.cr0 & kCr0Pg);
      if (enabling_paging && (s.sys.efer & kEferLme)) {
        if (!(s.sys.cr4 & kCr4Pae)) return Gp(s, pc), false;
        s.sys.efer |= kEferLma;
      }
      if (!(v & kCr0Pg) && (s.sys.cr0 & kCr0Pg)) {
        if (Mode64(s)) return Gp(s, pc), false;
        s.sys.efer &= ~kEferLma;
      }
      s.sys.cr0 = v;
      PagingChanged(m, false);
      return true;
    }
    case 2: s.sys.cr2 = v; return true;
    case 3:
      s.sys.cr3 = v & ~(1ull << 63);
      PagingChanged(m, true);
      return true;
    case 4:
      if (LongMode(s) && !(v & kCr4Pae)) return Gp(s, pc), false;
      s.sys.cr4 = v;
      PagingChanged(m, false);
      return true;
    case 8: m.platform->WriteCr8(v & 0xf); return true;
    default: return Ud(s, pc), false;
  }
}

uint64_t ReadCr(Machine::Impl& m, unsigned n, uint64_t pc) {
  CpuState& s = m.state;
  switch (n) {
    case 0: return s.sys.cr0;
    case 2: return s.sys.cr2;
    case 3: return s.sys.cr3;
    case 4: return s.sys.cr4;
    case 8: return m.platform->ReadCr8();
    default: return Ud(s, pc);
  }
}

bool ReadMsr(Machine::Impl& m, uint32_t msr, uint64_t* v) {
  CpuState& s = m.state;
  SystemState& y = s.sys;
  switch (msr) {
    case kMsrTsc: *v = m.platform->Tsc(); return true;
    case kMsrSysenterCs: *v = y.sysenter_cs; return true;
    case kMsrSysenterEsp: *v = y.sysenter_esp; return true;
    case kMsrSysenterEip: *v = y.sysenter_eip; return true;
    case kMsrMiscEnable: *v = y.misc_enable; return true;
    case kMsrPat: *v = y.pat; return true;
    case kMsrEfer: *v = y.efer; return true;
    case kMsrStar: *v = y.star; return true;
    case kMsrLstar: *v = y.lstar; return true;
    case kMsrCstar: *v = y.cstar; return true;
    case kMsrSfmask: *v = y.sfmask; return true;
    case kMsrFsBase: *v = s.seg_base[FS]; return true;
    case kMsrGsBase: *v = s.seg_base[GS]; return true;
    case kMsrKernelGsBase: *v = y.kernel_gs_base; return true;
    case kMsrTscAux: *v = y.tsc_aux; return true;
    default: return m.platform->ReadMsr(msr, v);
  }
}

bool WriteMsr(Machine::Impl& m, uint32_t msr, uint64_t v) {
  CpuState& s = m.state;
  SystemState& y = s.sys;
  switch (msr) {
    case kMsrSysenterCs: y.sysenter_cs = v & 0xffff; return true;
    case kMsrSysenterEsp: y.sysenter_esp = v; return true;
    case kMsrSysenterEip: y.sysenter_eip = v; return true;
    case kMsrMiscEnable: y.misc_enable = v; return true;
    case kMsrPat: y.pat = v; return true;
    case kMsrEfer: {
      const uint64_t writable = kEferSce | kEferLme | kEferNxe;
      if (v & ~(writable | kEferLma)) return false;
      // LME cannot change while paging is on.
      if ((s.sys.cr0 & kCr0Pg) && ((v ^ y.efer) & kEferLme)) return false;
      y.efer = (y.efer & kEferLma) | (v & writable);
      PagingChanged(m, false);
      return true;
    }
    case kMsrStar: y.star = v; return true;
    case kMsrLstar:
    case kMsrCstar:
      if (!Canonical(v)) return false;
      (msr == kMsrLstar ? y.lstar : y.cstar) = v;
      return true;
    case kMsrSfmask: y.sfmask = v & 0xffffffff; return true;
    case kMsrFsBase:
    case kMsrGsBase:
    case kMsrKernelGsBase:
      if (!Canonical(v)) return false;
      if (msr == kMsrKernelGsBase)
        y.kernel_gs_base = v;
      else
        s.seg_base[msr == kMsrFsBase ? FS : GS] = v;
      return true;
    case kMsrTscAux: y.tsc_aux = v & 0xffffffff; return true;
    case kMsrTsc: return true;  // writes to the TSC are ignored
    default: return m.platform->WriteMsr(msr, v);
  }
}

// Flat segment caches for SYSCALL/SYSENTER targets (the architecture loads fixed values).
void SetFlatCode(CpuState& s, uint16_t selector, bool long_code) {
  Descriptor d;
  d.limit = 0xffffffff;
  d.attrs = kSegPresent | kSegS | kSegCode | kSegWritable | kSegAccessed | kSegGranularity |
            static_cast<uint16_t>((selector & 3) << 5) | (long_code ? kSegLong : kSegDb);
  SetSegment(s, CS, selector, d);
}

void SetFlatStack(CpuState& s, uint16_t selector) {
  Descriptor d;
  d.limit = 0xffffffff;
  d.attrs = kSegPresent | kSegS | kSegWritable | kSegAccessed | kSegGranularity | kSegDb |
            static_cast<uint16_t>((selector & 3) << 5);
  SetSegment(s, SS, selector, d);
}

uint64_t Syscall(Machine::Impl& m, uint64_t next_pc, uint64_t pc) {
  CpuState& s = m.state;
  if (!LongMode(s) || !(s.sys.efer & kEferSce)) return Ud(s, pc);
  s.gpr[RCX] = next_pc;
  s.gpr[R11] = s.rflags;
  uint16_t cs = static_cast<uint16_t>(s.sys.star >> 32) & 0xfffc;
  bool from64 = Mode64(s);
  SetFlatCode(s, cs, true);
  SetFlatStack(s, static_cast<uint16_t>(cs + 8));
  s.rflags &= ~(s.sys.sfmask | kRF);
  return from64 ? s.sys.lstar : s.sys.cstar;
}

uint64_t Sysret(Machine::Impl& m, unsigned op_bytes, uint64_t pc) {
  CpuState& s = m.state;
  if (!LongMode(s) || !(s.sys.efer & kEferSce)) return Ud(s, pc);
  if (s.sys.cpl != 0 || !Mode64(s)) return Gp(s, pc);
  uint16_t base = static_cast<uint16_t>(s.sys.star >> 48);
  bool to64 = op_bytes == 8;
  if (to64 && !Canonical(s.gpr[RCX])) return Gp(s, pc);
  SetFlatCode(s, static_cast<uint16_t>((to64 ? base + 16 : base) | 3), to64);
  SetFlatStack(s, static_cast<uint16_t>((base + 8) | 3));
  s.rflags = (s.gpr[R11] & 0x3c7fd7) | 2;
  return to64 ? s.gpr[RCX] : s.gpr[RCX] & 0xffffffff;
}

uint64_t Sysenter(Machine::Impl& m, uint64_t pc) {
  CpuState& s = m.state;
  if (!ProtectedMode(s) || (s.sys.sysenter_cs & 0xfffc) == 0) return Gp(s, pc);
  uint16_t cs = static_cast<uint16_t>(s.sys.sysenter_cs & 0xfffc);
  bool long_mode = LongMode(s);
  SetFlatCode(s, cs, long_mode);
  SetFlatStack(s, static_cast<uint16_t>(cs + 8));
  s.rflags &= ~(ir::kIF | kVM | kRF);
  s.gpr[RSP] = long_mode ? s.sys.sysenter_esp : s.sys.sysenter_esp & 0xffffffff;
  return long_mode ? s.sys.sysenter_eip : s.sys.sysenter_eip & 0xffffffff;
}

uint64_t Sysexit(Machine::Impl& m, unsigned op_bytes, uint64_t pc) {
  CpuState& s = m.state;
  if (!ProtectedMode(s) || s.sys.cpl != 0 || (s.sys.sysenter_cs & 0xfffc) == 0) return Gp(s, pc);
  uint16_t base = static_cast<uint16_t>(s.sys.sysenter_cs);
  bool to64 = op_bytes == 8;
  SetFlatCode(s, static_cast<uint16_t>((base + (to64 ? 32 : 16)) | 3), to64);
  SetFlatStack(s, static_cast<uint16_t>((base + (to64 ? 40 : 24)) | 3));
  s.gpr[RSP] = to64 ? s.gpr[RCX] : s.gpr[RCX] & 0xffffffff;
  return to64 ? s.gpr[RDX] : s.gpr[RDX] & 0xffffffff;
}

void Popf(CpuState& s, uint64_t image, unsigned op_bytes) {
  uint64_t mask = ir::kArithFlags | ir::kTF | ir::kDF | kNT | kAC | kID;
  if (!ProtectedMode(s) || s.sys.cpl == 0) mask |= kIopl;
  if (!ProtectedMode(s) || s.sys.cpl <= Iopl(s)) mask |= ir::kIF;
  if (op_bytes == 2) mask &= 0xffff;
  s.rflags = (s.rflags & ~mask) | (image & mask) | 2;
}

// INS/OUTS, all iterations of a REP form.
void InsOuts(Machine::Impl& m, const ir::SystemImm& in, uint64_t pc) {
  CpuState& s = m.state;
  const bool outs = in.extra & 1, rep = in.extra & 2;
  const unsigned seg = (in.extra >> 2) & 7, size = in.operand_bytes;
  const uint64_t amask = in.address_bytes == 8   ? ~0ull
                         : in.address_bytes == 4 ? 0xffffffff
                                                 : 0xffff;
  const uint16_t port = static_cast<uint16_t>(s.gpr[RDX]);
  if (!IoAllowed(m, port, size, pc)) return (void)Gp(s, pc);
  const int64_t step = (s.rflags & ir::kDF) ? -static_cast<int64_t>(size) : size;
  for (;;) {
    if (rep && (s.gpr[RCX] & amask) == 0) break;
    unsigned reg = outs ? RSI : RDI;
    uint64_t offset = s.gpr[reg] & amask;
    uint64_t linear = (outs ? s.seg_base[seg] : s.seg_base[ES]) + offset;
    if (!Mode64(s)) linear &= 0xffffffff;
    if (outs) {
      uint64_t v = 0;
      if (!ReadLinear(m, linear, &v, size, false, pc)) return;
      m.platform->PortOut(port, size, static_cast<uint32_t>(v));
    } else {
      uint64_t v = m.platform->PortIn(port, size);
      if (!WriteLinear(m, linear, &v, size, false, pc)) return;
    }
    s.gpr[reg] = (s.gpr[reg] & ~amask) | ((offset + step) & amask);
    if (!rep) break;
    s.gpr[RCX] = (s.gpr[RCX] & ~amask) | ((s.gpr[RCX] - 1) & amask);
  }
}

// A data read for a helper in either personality: system mode walks the guest page tables;
// process mode reads the guest address space, where a missing or unreadable page is #PF.
bool ReadData(Machine::Impl& m, uint64_t addr, uint64_t* out, unsigned n, uint64_t pc) {
  if (m.config.system) return ReadLinear(m, addr, out, n, false, pc);
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) {
    const uint8_t* p = m.mem.Translate(addr + i, softmmu::kRead);
    if (p == nullptr) {
      bool present = m.mem.Translate(addr + i, 0) != nullptr;
      Raise(m.state, ir::kPageFault, (present ? 1 : 0) | 4, pc);
      m.state.fault_addr = addr + i;
      return false;
    }
    v |= static_cast<uint64_t>(*p) << (8 * i);
  }
  *out = v;
  return true;
}

// BOUND: the pair of signed bounds at `addr`, each of the operand size. As the host does
// (measured), an index below the lower bound raises #BR before the upper bound is read.
void Bound(Machine::Impl& m, const ir::SystemImm& in, uint64_t index, uint64_t addr, uint64_t pc) {
  unsigned n = in.operand_bytes;
  auto sext = [n](uint64_t v) { return static_cast<int64_t>(v << (64 - 8 * n)) >> (64 - 8 * n); };
  auto i = static_cast<int64_t>(index);
  uint64_t lo = 0, hi = 0;
  if (!ReadData(m, addr, &lo, n, pc)) return;
  if (i < sext(lo)) return Raise(m.state, ir::kBoundRange, 0, pc);
  if (!ReadData(m, addr + n, &hi, n, pc)) return;
  if (i > sext(hi)) Raise(m.state, ir::kBoundRange, 0, pc);
}

// Process mode: segment loads (i386 TLS through set_thread_area) and selector reads; every
// other System op is a privileged instruction, #GP as Linux reports it.
uint64_t ProcessModeHelper(Machine::Impl& m, const ir::SystemImm& in, uint64_t a, uint64_t b,
                           uint64_t pc) {
  CpuState& s = m.state;
  switch (in.op) {
    case SystemOp::kLoadSegment: LoadSegment(m, in.extra, static_cast<uint16_t>(a), pc); return 0;
    case SystemOp::kReadSelector: return in.extra < 6 ? s.sys.seg[in.extra].selector : 0;
    case SystemOp::kInto:
      if (s.rflags & ir::kOF) Raise(s, ir::kOverflow, ir::kSoftwareInterrupt, pc + in.insn_length);
      return 0;
    case SystemOp::kBound: Bound(m, in, a, b, pc); return 0;
    default: return Gp(s, pc);
  }
}

}  // namespace

void AddSystemCpuid(uint32_t leaf, uint32_t subleaf, uint32_t* a, uint32_t* b, uint32_t* c,
                    uint32_t* d) {
  switch (leaf) {
    case 0: *a = std::max(*a, 7u); break;
    case 1:
      *d |= (1u << 3) | (1u << 5) | (1u << 6) | (1u << 9) |  // PSE, MSR, PAE, APIC
            (1u << 11) | (1u << 13) | (1u << 16);            // SEP, PGE, PAT
      *c |= (1u << 17) | (1u << 24);                         // PCID, TSC-deadline
      break;
    case 7:
      if (subleaf == 0) *b |= (1u << 7) | (1u << 20);  // SMEP, SMAP
      break;
    case 0x80000001: *d |= (1u << 20) | (1u << 26) | (1u << 27); break;  // NX, 1 GiB, RDTSCP
    default: break;
  }
}

uint64_t SystemHelper(CpuState* sp, uint64_t imm, uint64_t a, uint64_t b, uint64_t pc) {
  CpuState& s = *sp;
  Machine::Impl& m = ImplOf(sp);
  const ir::SystemImm in = ir::UnpackSystem(imm);
  if (!m.config.system) return ProcessModeHelper(m, in, a, b, pc);
  const uint64_t next_pc = pc + in.insn_length;
  const unsigned cpl = s.sys.cpl;
  switch (in.op) {
    case SystemOp::kIn: {
      uint16_t port = static_cast<uint16_t>(a);
      if (!IoAllowed(m, port, in.operand_bytes, pc)) return Gp(s, pc);
      return m.platform->PortIn(port, in.operand_bytes);
    }
    case SystemOp::kOut: {
      uint16_t port = static_cast<uint16_t>(a);
      if (!IoAllowed(m, port, in.operand_bytes, pc)) return Gp(s, pc);
      m.platform->PortOut(port, in.operand_bytes, static_cast<uint32_t>(b));
      return 0;
    }
    case SystemOp::kInsOuts: InsOuts(m, in, pc); return 0;
    case SystemOp::kLoadSegment:
      if (LoadSegment(m, in.extra, static_cast<uint16_t>(a), pc) && in.extra == SS)
        s.sys.interrupt_shadow = 1;
      return 0;
    case SystemOp::kReadSelector:
      if (in.extra < 6) return s.sys.seg[in.extra].selector;
      return in.extra == 6 ? s.sys.ldtr.selector : s.sys.tr.selector;
    case SystemOp::kFarJump:
      return FarJump(m, static_cast<uint16_t>(a), b, in.operand_bytes, pc, next_pc);
    case SystemOp::kFarCall:
      return FarCall(m, static_cast<uint16_t>(a), b, in.operand_bytes, pc, next_pc);
    case SystemOp::kFarReturn: return FarReturn(m, in.operand_bytes, a, pc);
    case SystemOp::kIret: return Iret(m, in.operand_bytes, pc, next_pc);
    case SystemOp::kMovToCr: WriteCr(m, in.extra, a, pc); return 0;
    case SystemOp::kMovFromCr: return ReadCr(m, in.extra, pc);
    case SystemOp::kMovToDr: s.sys.dr[in.extra & 7] = a; return 0;
    case SystemOp::kMovFromDr: return s.sys.dr[in.extra & 7];
    case SystemOp::kLgdt: {
      // A 16-bit operand loads a 24-bit base; 64-bit mode always loads 8 bytes of base.
      uint16_t limit = 0;
      uint64_t base = 0;
      unsigned base_bytes = Mode64(s) ? 8 : 4;
      if (!ReadLinear(m, a, &limit, 2, false, pc) ||
          !ReadLinear(m, a + 2, &base, base_bytes, false, pc))
        return 0;
      if (in.operand_bytes == 2) base &= 0xffffff;
      if (in.extra & 1) {
        s.sys.idtr_base = base;
        s.sys.idtr_limit = limit;
      } else {
        s.sys.gdtr_base = base;
        s.sys.gdtr_limit = limit;
      }
      return 0;
    }
    case SystemOp::kSgdt: {
      bool idt = in.extra & 1;
      uint16_t limit = static_cast<uint16_t>(idt ? s.sys.idtr_limit : s.sys.gdtr_limit);
      uint64_t base = idt ? s.sys.idtr_base : s.sys.gdtr_base;
      if (!Mode64(s)) base &= 0xffffffff;
      if (WriteLinear(m, a, &limit, 2, false, pc))
        WriteLinear(m, a + 2, &base, Mode64(s) ? 8 : 4, false, pc);
      return 0;
    }
    case SystemOp::kLldt: LoadLdt(m, static_cast<uint16_t>(a), pc); return 0;
    case SystemOp::kLtr: LoadTaskRegister(m, static_cast<uint16_t>(a), pc); return 0;
    case SystemOp::kCli:
      if (ProtectedMode(s) && cpl > Iopl(s)) return Gp(s, pc);
      s.rflags &= ~ir::kIF;
      return 0;
    case SystemOp::kSti:
      if (ProtectedMode(s) && cpl > Iopl(s)) return Gp(s, pc);
      if (!(s.rflags & ir::kIF)) s.sys.interrupt_shadow = 1;
      s.rflags |= ir::kIF;
      return 0;
    case SystemOp::kPopf: Popf(s, a, in.operand_bytes); return 0;
    case SystemOp::kRdmsr: {
      uint64_t v = 0;
      if (!ReadMsr(m, static_cast<uint32_t>(s.gpr[RCX]), &v)) return Gp(s, pc);
      s.gpr[RAX] = v & 0xffffffff;
      s.gpr[RDX] = v >> 32;
      return 0;
    }
    case SystemOp::kWrmsr: {
      uint64_t v = (s.gpr[RDX] & 0xffffffff) << 32 | (s.gpr[RAX] & 0xffffffff);
      if (!WriteMsr(m, static_cast<uint32_t>(s.gpr[RCX]), v)) return Gp(s, pc);
      return 0;
    }
    case SystemOp::kInvlpg:
      m.mmu->Invlpg(a);
      m.FlushJumpCache();
      return 0;
    case SystemOp::kSyscall: return Syscall(m, next_pc, pc);
    case SystemOp::kSysret: return Sysret(m, in.operand_bytes, pc);
    case SystemOp::kSysenter: return Sysenter(m, pc);
    case SystemOp::kSysexit: return Sysexit(m, in.operand_bytes, pc);
    case SystemOp::kSwapgs:
      if (!Mode64(s)) return Ud(s, pc);
      std::swap(s.seg_base[GS], s.sys.kernel_gs_base);
      return 0;
    case SystemOp::kClts: s.sys.cr0 &= ~kCr0Ts; return 0;
    case SystemOp::kLmsw: {
      // LMSW sets PE but never clears it, and changes only MP, EM and TS besides.
      uint64_t keep_pe = s.sys.cr0 & kCr0Pe;
      s.sys.cr0 = (s.sys.cr0 & ~0xeull) | (a & 0xf) | keep_pe;
      PagingChanged(m, false);
      return 0;
    }
    case SystemOp::kLar:
    case SystemOp::kLsl:
    case SystemOp::kVerr:
    case SystemOp::kVerw: {
      uint64_t out = 0;
      bool ok = CheckSelector(m, in.op, static_cast<uint16_t>(a), &out, pc);
      if (Faulted(s)) return 0;
      s.rflags = ok ? s.rflags | ir::kZF : s.rflags & ~ir::kZF;
      return ok ? out : b;
    }
    case SystemOp::kInto:
      if (s.rflags & ir::kOF)
        Raise(s, ir::kOverflow,
              ir::kSoftwareInterrupt | in.insn_length << ir::kSoftwareInterruptLengthShift,
              next_pc);
      return 0;
    case SystemOp::kBound: Bound(m, in, a, b, pc); return 0;
    case SystemOp::kSegCheck: CheckSegmentAccess(m, in.extra, a, b, pc); return 0;
    case SystemOp::kRdtscp: {
      uint64_t tsc = m.platform->Tsc();
      s.gpr[RAX] = tsc & 0xffffffff;
      s.gpr[RDX] = tsc >> 32;
      s.gpr[RCX] = s.sys.tsc_aux;
      return 0;
    }
  }
  return Ud(s, pc);
}

}  // namespace doppel::sys
