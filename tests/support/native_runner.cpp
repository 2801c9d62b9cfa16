// tests/support/native_runner.cpp: fixed mappings, an asmjit-generated entry trampoline and exit
// epilogue, and a sigaltstack signal handler that turns guest faults back into results.
#include "tests/support/native_runner.h"

#include <asmjit/x86.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace doppel::test {

namespace {

namespace x86 = asmjit::x86;

constexpr uint64_t kPage = 4096;
// The trampoline page (natively only): code at the start, the state block at kStateAddr.
constexpr uint64_t kTrampAddr = 0x20100000;
constexpr uint64_t kStateAddr = kTrampAddr + 0x800;
constexpr uint64_t kHostRsp = kStateAddr;
constexpr uint64_t kInRegs = kStateAddr + 0x10;  // 16 GPRs, then rflags
constexpr uint64_t kInFlags = kInRegs + 16 * 8;
constexpr uint64_t kOutRegs = kStateAddr + 0x100;  // 16 GPRs, then rflags
constexpr uint64_t kOutFlags = kOutRegs + 16 * 8;
constexpr uint64_t kExitStubSlot = kStateAddr + 0x200;  // address of the exit stub
constexpr uint64_t kInXmm = kStateAddr + 0x300;         // XMM0..15 in, then out
constexpr uint64_t kOutXmm = kStateAddr + 0x400;
constexpr uint64_t kInMxcsr = kStateAddr + 0x500;
constexpr uint64_t kOutMxcsr = kStateAddr + 0x504;
constexpr uint64_t kHostMxcsr = kStateAddr + 0x508;
constexpr uint64_t kOutX87 = kStateAddr + 0x280;  // FNSAVE image at the end (108 bytes)
// Far pointers (m16:32) for the mode switches of 32-bit runs: into the guest code at CS 0x23,
// and from the 32-bit epilogue back to the exit stub at CS 0x33.
constexpr uint64_t kFarToGuest32 = kStateAddr + 0x210;
constexpr uint64_t kFarToExit64 = kStateAddr + 0x218;
// Linux x86-64's flat user selectors (arch/x86/include/asm/segment.h).
constexpr uint16_t kUser32Cs = 0x23, kUserDs = 0x2b, kUserCs = 0x33;

using EntryFn = void (*)();
constexpr unsigned kRspIndex = 4;

// Signal state: the handler runs on the alternate stack (the guest RSP points into guest data).
sigjmp_buf g_jmp;
volatile sig_atomic_t g_in_guest = 0;
volatile sig_atomic_t g_guest32 = 0;  // the running guest is 32-bit code
NativeResult g_fault;

void* MapFixed(uint64_t addr, uint64_t size, int prot) {
  void* p = mmap(reinterpret_cast<void*>(addr), size, prot,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED || p != reinterpret_cast<void*>(addr)) {
    fprintf(stderr, "native_runner: cannot map %#llx+%#llx: %s\n", (unsigned long long)addr,
            (unsigned long long)size, strerror(errno));
    abort();
  }
  return p;
}

uint32_t VectorFor(int signo, int si_code) {
  switch (signo) {
    case SIGFPE: return 0;
    case SIGILL: return 6;
    case SIGTRAP: return si_code == SI_KERNEL ? 3 : 1;
    case SIGSEGV: return (si_code == SEGV_MAPERR || si_code == SEGV_ACCERR) ? 14 : 13;
    default: return 13;  // SIGBUS: non-canonical or alignment
  }
}

void OnSignal(int signo, siginfo_t* info, void* ucv) {
  if (!g_in_guest) {
    // A real crash of the test binary: restore the default action and let it re-fault.
    signal(signo, SIG_DFL);
    return;
  }
  auto* uc = static_cast<ucontext_t*>(ucv);
  const greg_t* g = uc->uc_mcontext.gregs;
  static constexpr int kOrder[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                     REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                     REG_R12, REG_R13, REG_R14, REG_R15};
  for (int i = 0; i < 16; i++) g_fault.regs.gpr[i] = static_cast<uint64_t>(g[kOrder[i]]);
  g_fault.regs.rip = static_cast<uint64_t>(g[REG_RIP]);
  g_fault.regs.rflags = static_cast<uint64_t>(g[REG_EFL]);
  g_fault.faulted = true;
  g_fault.signo = signo;
  g_fault.si_code = info->si_code;
  g_fault.vector = VectorFor(signo, info->si_code);
  g_fault.fault_addr = reinterpret_cast<uint64_t>(info->si_addr);
  if (uc->uc_mcontext.fpregs) {
    for (int i = 0; i < 16; i++) memcpy(g_fault.regs.xmm[i], &uc->uc_mcontext.fpregs->_xmm[i], 16);
    g_fault.regs.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
  }
  // SIGFPE stands for #DE, #MF or #XM: the trap number tells which.
  if (signo == SIGFPE) g_fault.vector = static_cast<uint32_t>(g[REG_TRAPNO]);
  if (g_guest32) {
    // Compatibility mode has more vectors behind SIGSEGV (#BR, #OF, #NP, ...): the kernel's trap
    // number names them all. EAX..EDI are what 32-bit code sees; the upper halves are undefined.
    g_fault.vector = static_cast<uint32_t>(g[REG_TRAPNO]);
    for (int i = 0; i < 8; i++) g_fault.regs.gpr[i] &= 0xffffffffu;
  }
  if (uc->uc_mcontext.fpregs) {
    const auto* fx = uc->uc_mcontext.fpregs;  // FXSAVE layout: registers in stack order
    g_fault.x87.fcw = fx->cwd;
    g_fault.x87.fsw = fx->swd;
    g_fault.x87.ftw = static_cast<uint8_t>(fx->ftw);
    for (int i = 0; i < 8; i++) memcpy(g_fault.x87.st[i], &fx->_st[i], 10);
  }
  g_in_guest = 0;
  siglongjmp(g_jmp, 1);
}

void InstallHandlers() {
  static std::vector<uint8_t> alt(256 * 1024);
  stack_t ss = {};
  ss.ss_sp = alt.data();
  ss.ss_size = alt.size();
  if (sigaltstack(&ss, nullptr) != 0) abort();
  struct sigaction sa = {};
  sa.sa_sigaction = OnSignal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGSEGV, SIGFPE, SIGILL, SIGBUS, SIGTRAP}) sigaction(s, &sa, nullptr);
}

}  // namespace

namespace {
// Generator bugs (an operand combination that does not encode) abort with asmjit's message.
class AbortOnError : public asmjit::ErrorHandler {
 public:
  void handleError(asmjit::Error, const char* message, asmjit::BaseEmitter*) override {
    fprintf(stderr, "asmjit: %s\n", message);
    abort();
  }
};
}  // namespace

std::vector<uint8_t> AssembleAt(uint64_t base,
                                const std::function<void(asmjit::x86::Assembler&)>& body,
                                unsigned bits) {
  static AbortOnError on_error;
  asmjit::CodeHolder code;
  code.init(bits == 32 ? asmjit::Environment(asmjit::Arch::kX86) : asmjit::Environment::host(),
            base);
  code.setErrorHandler(&on_error);
  x86::Assembler a(&code);
  body(a);
  code.flatten();
  code.resolveUnresolvedLinks();
  code.relocateToBase(base);
  std::vector<uint8_t> out(code.codeSize());
  code.copyFlattenedData(out.data(), out.size());
  return out;
}

NativeRunner& NativeRunner::Get() {
  static NativeRunner runner;
  return runner;
}

NativeRunner::NativeRunner() {
  // Guard pages around the data region so stray accesses fault natively as they do in doppel.
  MapFixed(kDataAddr - kPage, kPage, PROT_NONE);
  MapFixed(kDataAddr, kDataSize, PROT_READ | PROT_WRITE);
  MapFixed(kDataAddr + kDataSize, kPage, PROT_NONE);
  MapFixed(kCodeAddr, kCodeSize, PROT_READ | PROT_WRITE | PROT_EXEC);
  MapFixed(kUnmappedAddr, kPage, PROT_NONE);
  MapFixed(kTrampAddr, kPage, PROT_READ | PROT_WRITE | PROT_EXEC);

  size_t entry_size = 0, entry32_offset = 0;
  // Entry: save the host's callee-saved state, load the guest's, jump to the guest code (for
  // 32-bit code: with DS/ES loaded with the flat data selector, through a far jump to CS 0x23).
  auto entry = [](x86::Assembler& a, bool guest32) {
    for (const auto& r : {x86::rbx, x86::rbp, x86::r12, x86::r13, x86::r14, x86::r15}) a.push(r);
    a.mov(x86::qword_ptr_abs(kHostRsp), x86::rsp);
    a.stmxcsr(x86::dword_ptr_abs(kHostMxcsr));
    for (unsigned i = 0; i < 16; i++) a.movups(x86::xmm(i), x86::xmmword_ptr_abs(kInXmm + 16 * i));
    a.ldmxcsr(x86::dword_ptr_abs(kInMxcsr));
    if (guest32) {
      // 64-bit code ignores DS/ES (Linux leaves them null); compatibility mode needs them.
      a.mov(x86::eax, kUserDs);
      a.mov(x86::ds, x86::ax);
      a.mov(x86::es, x86::ax);
    }
    a.push(x86::qword_ptr_abs(kInFlags));
    a.popfq();
    for (unsigned i = 0; i < 16; i++) {
      if (i != kRspIndex) a.mov(x86::gpq(i), x86::qword_ptr_abs(kInRegs + 8 * i));
    }
    a.mov(x86::rsp, x86::qword_ptr_abs(kInRegs + 8 * kRspIndex));
    a.fninit();  // the x87 starts from the FNINIT state, as doppel's does
    if (guest32) {
      // jmp far [m16:32] (FF /5 without REX.W); the stack is untouched, so the guest's is exact.
      a.db(0xFF);
      a.db(0x2C);
      a.db(0x25);
      a.dd(static_cast<uint32_t>(kFarToGuest32));
    } else {
      a.jmp(asmjit::Imm(static_cast<int64_t>(kCodeAddr)));
    }
  };
  std::vector<uint8_t> tramp = AssembleAt(kTrampAddr, [&](x86::Assembler& a) {
    entry(a, false);
    // Exit stub: back on the host stack, capture RFLAGS, clear DF as the ABI wants, return.
    a.align(asmjit::AlignMode::kCode, 16);
    entry_size = a.offset();
    a.mov(x86::rsp, x86::qword_ptr_abs(kHostRsp));
    for (unsigned i = 0; i < 16; i++) a.movups(x86::xmmword_ptr_abs(kOutXmm + 16 * i), x86::xmm(i));
    a.stmxcsr(x86::dword_ptr_abs(kOutMxcsr));
    a.ldmxcsr(x86::dword_ptr_abs(kHostMxcsr));
    // FNSAVE is non-waiting (a pending x87 exception is captured, not raised) and leaves the
    // FPU initialised, as the ABI wants it back.
    a.fnsave(x86::ptr_abs(kOutX87));
    a.pushfq();
    a.pop(x86::rax);
    a.mov(x86::qword_ptr_abs(kOutFlags), x86::rax);
    a.cld();
    for (const auto& r : {x86::r15, x86::r14, x86::r13, x86::r12, x86::rbp, x86::rbx}) a.pop(r);
    a.ret();
    a.align(asmjit::AlignMode::kCode, 16);
    entry32_offset = a.offset();
    entry(a, true);
  });
  if (tramp.size() > 0x800) abort();
  memcpy(reinterpret_cast<void*>(kTrampAddr), tramp.data(), tramp.size());
  *reinterpret_cast<uint64_t*>(kExitStubSlot) = kTrampAddr + entry_size;
  entry32_ = kTrampAddr + entry32_offset;
  auto far_pointer = [](uint64_t at, uint64_t offset, uint16_t selector) {
    uint32_t offset32 = static_cast<uint32_t>(offset);
    memcpy(reinterpret_cast<void*>(at), &offset32, 4);
    memcpy(reinterpret_cast<void*>(at + 4), &selector, 2);
  };
  far_pointer(kFarToGuest32, kCodeAddr, kUser32Cs);
  far_pointer(kFarToExit64, kTrampAddr + entry_size, kUserCs);
  InstallHandlers();
}

uint64_t NativeRunner::SetCode(const std::vector<uint8_t>& code, unsigned bits) {
  end_ = kCodeAddr + code.size();
  bits_ = bits;
  std::vector<uint8_t> epi = Epilogue(end_, bits);
  if (code.size() + epi.size() > kCodeSize) {
    fprintf(stderr, "native_runner: code too large (%zu bytes)\n", code.size());
    abort();
  }
  auto* dst = reinterpret_cast<uint8_t*>(kCodeAddr);
  memcpy(dst, code.data(), code.size());
  memcpy(dst + code.size(), epi.data(), epi.size());
  return end_;
}

// Stores the GPRs with moves only (no flag changes), then leaves through the exit stub (32-bit
// code: through a far jump to CS 0x33, which switches the thread back to 64-bit mode).
std::vector<uint8_t> NativeRunner::Epilogue(uint64_t end, unsigned bits) {
  if (bits == 32) {
    return AssembleAt(
        end,
        [&](x86::Assembler& a) {
          for (unsigned i = 0; i < 8; i++) a.mov(x86::dword_ptr_abs(kOutRegs + 8 * i), x86::gpd(i));
          a.db(0xFF);  // jmp far [m16:32]
          a.db(0x2D);
          a.dd(static_cast<uint32_t>(kFarToExit64));
        },
        32);
  }
  return AssembleAt(end, [&](x86::Assembler& a) {
    for (unsigned i = 0; i < 16; i++) a.mov(x86::qword_ptr_abs(kOutRegs + 8 * i), x86::gpq(i));
    a.jmp(x86::qword_ptr_abs(kExitStubSlot));
  });
}

NativeResult NativeRunner::Run(const RegState& in, uint8_t* data) {
  auto* in_regs = reinterpret_cast<uint64_t*>(kInRegs);
  auto* out_regs = reinterpret_cast<uint64_t*>(kOutRegs);
  for (int i = 0; i < 16; i++) in_regs[i] = in.gpr[i];
  for (int i = 0; i < 16; i++) out_regs[i] = 0;  // 32-bit epilogues store the low halves only
  memcpy(reinterpret_cast<void*>(kInXmm), in.xmm, sizeof in.xmm);
  *reinterpret_cast<uint32_t*>(kInMxcsr) = in.mxcsr;
  *reinterpret_cast<uint64_t*>(kInFlags) = (in.rflags & kComparedFlags) | 0x2;
  memcpy(reinterpret_cast<void*>(kDataAddr), data, kDataSize);

  g_fault = NativeResult{};
  NativeResult result;
  if (sigsetjmp(g_jmp, 1) == 0) {
    g_in_guest = 1;
    g_guest32 = bits_ == 32;
    asm volatile("" ::: "memory");
    reinterpret_cast<EntryFn>(bits_ == 32 ? entry32_ : kTrampAddr)();
    asm volatile("" ::: "memory");
    g_in_guest = 0;
    for (int i = 0; i < 16; i++) result.regs.gpr[i] = out_regs[i];
    result.regs.rflags = *reinterpret_cast<uint64_t*>(kOutFlags);
    result.regs.rip = end_;
    memcpy(result.regs.xmm, reinterpret_cast<const void*>(kOutXmm), sizeof result.regs.xmm);
    result.regs.mxcsr = *reinterpret_cast<const uint32_t*>(kOutMxcsr);
    result.x87 = X87FromFnsave(reinterpret_cast<const uint8_t*>(kOutX87));
  } else {
    result = g_fault;
  }
  if (bits_ == 32) {
    // Back to the null DS/ES 64-bit Linux processes run with.
    uint32_t null_selector = 0;
    asm volatile("mov %0, %%ds\n\tmov %0, %%es" : : "r"(null_selector));
  }
  g_guest32 = 0;
  memcpy(data, reinterpret_cast<void*>(kDataAddr), kDataSize);
  return result;
}

X87Snapshot X87FromFnsave(const uint8_t* image) {
  X87Snapshot x;
  memcpy(&x.fcw, image + 0, 2);
  memcpy(&x.fsw, image + 4, 2);
  uint16_t tags;
  memcpy(&tags, image + 8, 2);
  for (unsigned i = 0; i < 8; i++) {
    if (((tags >> (2 * i)) & 3) != 3) x.ftw |= static_cast<uint8_t>(1u << i);
  }
  for (unsigned i = 0; i < 8; i++) memcpy(x.st[i], image + 28 + 10 * i, 10);
  return x;
}

std::string FlagNames(uint64_t rflags) {
  static constexpr struct {
    uint64_t bit;
    const char* name;
  } kNames[] = {{0x1, "CF"},  {0x4, "PF"},   {0x10, "AF"}, {0x40, "ZF"},
                {0x80, "SF"}, {0x400, "DF"}, {0x800, "OF"}};
  std::string s;
  for (const auto& n : kNames) {
    if (rflags & n.bit) s += s.empty() ? n.name : std::string(" ") + n.name;
  }
  return s.empty() ? "-" : s;
}

}  // namespace doppel::test
