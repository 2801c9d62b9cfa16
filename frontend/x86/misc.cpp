// frontend/x86/misc.cpp: nop forms (multi-byte nop, pause, endbr, prefetch hints), cpuid,
// rdtsc, the carry/direction flag instructions, ud0/ud1/ud2, int3, int n and syscall.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

constexpr unsigned kRax = 0, kRdx = 2;

// Also the hint forms: their memory operand is never accessed, so they cannot fault.
void Nop(Context&) {}

void Cpuid(Context& c) { c.ir.Cpuid(); }

// RDTSC: EDX:EAX = the time-stamp counter; both writes zero-extend.
void Rdtsc(Context& c) {
  Value tsc = c.ir.Rdtsc();
  c.ir.SetReg(kRax, c.ir.Trunc(Type::kI32, tsc));
  c.ir.SetReg(kRdx, c.ir.Trunc(Type::kI32, c.ir.Shr(tsc, c.ir.Imm8(32))));
}

template <uint64_t kFlag, bool kValue>
void SetFlagTo(Context& c) {
  c.SetFlags(kFlag, c.ir.Imm64(kValue ? kFlag : 0));
}

void Cmc(Context& c) { c.SetFlags(ir::kCF, c.ir.Xor(c.ir.GetFlags(), c.ir.Imm64(ir::kCF))); }

void InvalidOpcode(Context& c) { c.RaiseException(ir::kInvalidOpcode); }

// INT3 is a trap: the exception reports the address after the instruction.
void Int3(Context& c) { c.ir.Exit(ir::ExitReason::kException, c.insn.next_pc, ir::kBreakpoint); }

// INT1 (ICEBP) raises #DB as a trap, like a hardware debug exception (no gate DPL check).
// CLFLUSH: caches are not modelled; the line is checked like a one-byte read (#PF, #GP).
void Clflush(Context& c) { c.Load(Type::kI8, c.Address(0)); }

void Int1(Context& c) { c.ir.Exit(ir::ExitReason::kException, c.insn.next_pc, ir::kDebug); }

// INT n (int 0x80 is the i386 Linux system call): a trap to the runtime with the vector and the
// software-interrupt marker; the process or system layer decides what the vector means.
void IntN(Context& c) {
  c.ir.Exit(ir::ExitReason::kException, c.insn.next_pc,
            static_cast<uint32_t>(c.insn.ops[0].imm.value.u & 0xff),
            ir::kSoftwareInterrupt | c.insn.d.length << ir::kSoftwareInterruptLengthShift);
}

// SYSCALL saves the return address in RCX and RFLAGS in R11 before the OS layer sees it. In
// system mode the runtime performs the whole transfer to the kernel entry point.
void Syscall(Context& c) {
  if (c.IsSystem()) {
    c.ir.ExitTo(ir::ExitReason::kDispatch, c.System(ir::SystemOp::kSyscall));
    return;
  }
  c.ir.SetReg(1, c.Const(ir::Type::kI64, c.insn.next_pc));
  c.ir.SetReg(11, c.ir.GetFlags());
  c.ir.Exit(ir::ExitReason::kSyscall, c.insn.next_pc);
}

}  // namespace

void RegisterMisc(TranslatorTable& t) {
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_NOP, ZYDIS_MNEMONIC_PAUSE, ZYDIS_MNEMONIC_ENDBR64, ZYDIS_MNEMONIC_ENDBR32,
        ZYDIS_MNEMONIC_PREFETCHNTA, ZYDIS_MNEMONIC_PREFETCHT0, ZYDIS_MNEMONIC_PREFETCHT1,
        ZYDIS_MNEMONIC_PREFETCHT2, ZYDIS_MNEMONIC_PREFETCHW, ZYDIS_MNEMONIC_PREFETCH}) {
    t.Add(m, Nop);
  }
  t.Add(ZYDIS_MNEMONIC_CPUID, Cpuid);
  t.Add(ZYDIS_MNEMONIC_RDTSC, Rdtsc);
  t.Add(ZYDIS_MNEMONIC_CLC, SetFlagTo<ir::kCF, false>);
  t.Add(ZYDIS_MNEMONIC_STC, SetFlagTo<ir::kCF, true>);
  t.Add(ZYDIS_MNEMONIC_CMC, Cmc);
  t.Add(ZYDIS_MNEMONIC_CLD, SetFlagTo<ir::kDF, false>);
  t.Add(ZYDIS_MNEMONIC_STD, SetFlagTo<ir::kDF, true>);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_UD0, ZYDIS_MNEMONIC_UD1, ZYDIS_MNEMONIC_UD2}) {
    t.Add(m, InvalidOpcode);
  }
  t.Add(ZYDIS_MNEMONIC_INT3, Int3);
  t.Add(ZYDIS_MNEMONIC_INT1, Int1);
  t.Add(ZYDIS_MNEMONIC_CLFLUSH, Clflush);
  t.Add(ZYDIS_MNEMONIC_INT, IntN);
  t.Add(ZYDIS_MNEMONIC_SYSCALL, Syscall);
}

}  // namespace doppel::frontend
