// runtime/system_cpu.h: the privileged x86 architecture for system mode, shared by the System-op
// helper, segment loading, event delivery and the dispatcher (internal to runtime/).
#pragma once
#include <cstdint>

#include "ir/system.h"
#include "runtime/machine_impl.h"

namespace doppel::sys {

// RFLAGS bits beyond ir::Flag.
constexpr uint64_t kIopl = 3ull << 12, kNT = 1ull << 14, kRF = 1ull << 16, kVM = 1ull << 17,
                   kAC = 1ull << 18, kVIF = 1ull << 19, kVIP = 1ull << 20, kID = 1ull << 21;
constexpr uint64_t kCr0Pe = 1, kCr0Mp = 2, kCr0Em = 4, kCr0Ts = 8, kCr0Wp = 1ull << 16,
                   kCr0Am = 1ull << 18, kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pae = 1ull << 5, kCr4Pcide = 1ull << 17;
constexpr uint64_t kEferSce = 1, kEferLme = 1ull << 8, kEferLma = 1ull << 10, kEferNxe = 1ull << 11;

inline bool ProtectedMode(const CpuState& s) { return (s.sys.cr0 & kCr0Pe) != 0; }
inline bool LongMode(const CpuState& s) { return (s.sys.efer & kEferLma) != 0; }
// 64-bit mode: long mode with a 64-bit code segment (compatibility mode otherwise).
inline bool Mode64(const CpuState& s) {
  return LongMode(s) && (s.sys.seg[CS].attrs & kSegLong) != 0;
}
inline unsigned Iopl(const CpuState& s) { return (s.rflags >> 12) & 3; }

// The frontend ModeBits the current state translates under.
uint32_t CurrentMode(const CpuState& s);

// Raises a guest exception from a helper (a fault: RIP is the instruction's).
void Raise(CpuState& s, uint32_t vector, uint32_t error_code, uint64_t rip);
inline bool Faulted(const CpuState& s) { return s.exit_reason != 0; }

// Linear memory as the CPU sees it at the current CPL (implicit: a supervisor access to a
// descriptor table or TSS). False after raising #PF (RIP = pc).
bool ReadLinear(Machine::Impl& m, uint64_t linear, void* dst, unsigned n, bool implicit,
                uint64_t pc);
bool WriteLinear(Machine::Impl& m, uint64_t linear, const void* src, unsigned n, bool implicit,
                 uint64_t pc);

// Every page of [linear, linear+n) is writable at the current CPL; false after raising #PF.
bool ProbeWrite(Machine::Impl& m, uint64_t linear, unsigned n, uint64_t pc);

// Memory slow paths of translated code in system mode (backend::Helpers load/store).
uint64_t SlowLoad(Machine::Impl& m, uint64_t addr, uint32_t size, uint64_t pc);
void SlowStore(Machine::Impl& m, uint64_t addr, uint64_t value, uint32_t size, uint64_t pc);
// Physical address of the code at linear pc for the block cache; false after raising #PF.
bool FetchPhysical(Machine::Impl& m, uint64_t linear, uint64_t* paddr);

// A segment descriptor as read from a GDT/LDT.
struct Descriptor {
  uint64_t raw = 0;
  uint64_t base = 0;
  uint32_t limit = 0;  // scaled by G
  uint16_t attrs = 0;  // SegmentCache::attrs layout
  unsigned type() const { return attrs & 0xf; }
  unsigned dpl() const { return SegDpl(attrs); }
  bool present() const { return attrs & kSegPresent; }
  bool system() const { return !(attrs & kSegS); }
  bool code() const { return (attrs & kSegS) && (attrs & kSegCode); }
};
enum class DescFetch { kOk, kOutOfLimit, kPageFault };
// Reads the descriptor `selector` names (GDT or LDT); 16 bytes for system descriptors in long
// mode (high half in `high`).
DescFetch FetchDescriptor(Machine::Impl& m, uint16_t selector, Descriptor* d, uint64_t pc,
                          uint64_t* high = nullptr);
void SetSegment(CpuState& s, unsigned seg, uint16_t selector, const Descriptor& d);
// Real-mode (and VM86-style) load: base = selector << 4, attributes kept.
void SetRealSegment(CpuState& s, unsigned seg, uint16_t selector);

// MOV/POP Sreg, LDS..LSS: loads with the protected-mode checks; false after raising.
bool LoadSegment(Machine::Impl& m, unsigned seg, uint16_t selector, uint64_t pc);
// Far transfers; return the new RIP (or leave an exception raised).
uint64_t FarJump(Machine::Impl& m, uint16_t selector, uint64_t offset, unsigned op_bytes,
                 uint64_t pc, uint64_t next_pc);
uint64_t FarCall(Machine::Impl& m, uint16_t selector, uint64_t offset, unsigned op_bytes,
                 uint64_t pc, uint64_t next_pc);
uint64_t FarReturn(Machine::Impl& m, unsigned op_bytes, uint64_t release, uint64_t pc);
uint64_t Iret(Machine::Impl& m, unsigned op_bytes, uint64_t pc, uint64_t next_pc);
bool LoadTaskRegister(Machine::Impl& m, uint16_t selector, uint64_t pc);

// Task switches (runtime/tasks.cpp). `next_eip` is where the outgoing task resumes; `external`
// sets EXT in error codes (an interrupt or exception caused the switch). False after raising;
// on success s.rip and the whole register state are the new task's.
enum class TaskSwitch { kJump, kCall, kIret, kInterrupt };
bool IsTaskDescriptor(const Descriptor& d);  // a TSS (16/32-bit, any state) or a task gate
bool SwitchTask(Machine::Impl& m, uint16_t tss_selector, TaskSwitch how, uint64_t next_eip,
                uint64_t pc, bool external);
bool TaskGate(Machine::Impl& m, const Descriptor& gate, TaskSwitch how, uint64_t next_eip,
              uint64_t pc, bool external);
// A data access of `bytes` at `offset` through segment extra & 7 (extra bit 4 read, bit 5
// write), checked against the descriptor cache: false after raising #GP(0) or #SS(0).
bool CheckSegmentAccess(Machine::Impl& m, unsigned extra, uint64_t offset, uint64_t bytes,
                        uint64_t pc);

// IRET with NT set: back to the task in the current TSS's previous-task link.
bool NestedTaskReturn(Machine::Impl& m, uint64_t next_eip, uint64_t pc);
bool LoadLdt(Machine::Impl& m, uint16_t selector, uint64_t pc);
// LAR/LSL/VERR/VERW: set ZF; *out gets the access rights or limit when valid.
bool CheckSelector(Machine::Impl& m, ir::SystemOp op, uint16_t selector, uint64_t* out,
                   uint64_t pc);

// The stack for privilege level `dpl` from the current TSS (#TS if the TSS is too short), and the
// load of its SS with the #TS/#SS checks of a privilege change (a null SS with RPL = CPL in long
// mode). False after raising.
bool TssStack(Machine::Impl& m, unsigned dpl, uint16_t* ss, uint64_t* sp, uint64_t pc);
bool LoadInnerStack(Machine::Impl& m, uint16_t ss, unsigned cpl, uint64_t pc);

// Stack access at the current SS (for far calls, IRET, event delivery).
bool Push(Machine::Impl& m, uint64_t value, unsigned bytes, uint64_t pc);
bool Pop(Machine::Impl& m, uint64_t* value, unsigned bytes, uint64_t pc);

// Delivers an exception, software interrupt or external interrupt through the IVT/IDT, with
// #DF and triple-fault escalation. Returns false on a triple fault (the machine shuts down).
enum class EventKind { kException, kSoftware, kExternal };
// insn_pc: for a software interrupt, the INT instruction (a fault during delivery reports it).
bool DeliverEvent(Machine::Impl& m, uint32_t vector, EventKind kind, uint32_t error_code,
                  uint64_t insn_pc);

// CR0/CR3/CR4/EFER changed (or were set by a loader): tell the MMU.
void PagingChanged(Machine::Impl& m, bool cr3_only);

// CPUID bits of the privileged features system mode implements, added to the user-level ones.
void AddSystemCpuid(uint32_t leaf, uint32_t subleaf, uint32_t* a, uint32_t* b, uint32_t* c,
                    uint32_t* d);

// The System op helper (backend::Helpers::system).
uint64_t SystemHelper(CpuState* s, uint64_t imm, uint64_t a, uint64_t b, uint64_t pc);

}  // namespace doppel::sys
