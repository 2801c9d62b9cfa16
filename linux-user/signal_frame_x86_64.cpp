// linux-user/signal_frame_x86_64.cpp: the x86-64 rt_sigframe (arch/x86/kernel/signal_64.c): the
// restorer's return address, ucontext with the registers in sigcontext order, and siginfo, placed
// below the red zone or on the alternate stack; rt_sigreturn restores from it.
#include <csignal>

#include "linux-user/process.h"
#include "linux-user/signals.h"

namespace doppel::linux_user {
namespace {

constexpr uint64_t kSaOnstack = 0x08000000;
constexpr uint64_t kSaRestorer = 0x04000000;
constexpr int kSsAutodisarm = 1 << 31;
constexpr uint64_t kRedZone = 128;
constexpr uint64_t kUcSigcontextSs = 2, kUcStrictRestoreSs = 4;
// EFLAGS bits a signal handler may change (the kernel's FIX_EFLAGS).
constexpr uint64_t kFixEflags = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 |
                                0x10000;  // AC OF DF TF SF ZF AF PF CF RF
constexpr uint64_t kUserCs = 0x33, kUserSs = 0x2b;

struct SigContext {  // struct sigcontext (64-bit)
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // 0: no FPU state saved (the kernel restores a clean FPU state then)
  uint64_t reserved[8];
};
static_assert(sizeof(SigContext) == 256);

struct UContext {
  uint64_t flags;
  uint64_t link;
  GuestStack stack;
  SigContext mcontext;
  uint64_t sigmask;
};
static_assert(sizeof(UContext) == 304);

struct RtSigframe {
  uint64_t pretcode;  // the restorer: the handler's return address
  UContext uc;
  GuestSiginfo info;
};
static_assert(sizeof(RtSigframe) == 440);

bool OnAltStack(const Process& p, uint64_t sp) {
  return p.thread().altstack.size != 0 && sp > p.thread().altstack.sp &&
         sp - p.thread().altstack.sp <= p.thread().altstack.size;
}

}  // namespace

bool PushFrameX86_64(Process& p, int sig, const PendingSignal& s, uint64_t old_mask) {
  CpuState& cpu = p.cpu();
  const GuestSigaction& act = p.sigactions[sig];
  if (!(act.flags & kSaRestorer)) return false;  // x86-64 has no default restorer
  const uint64_t user_sp = cpu.gpr[RSP];
  uint64_t sp = user_sp - kRedZone;
  bool entering_altstack = false;
  const bool on_alt = OnAltStack(p, user_sp);
  if ((act.flags & kSaOnstack) && p.thread().altstack.size != 0 && !on_alt) {
    sp = p.thread().altstack.sp + p.thread().altstack.size;
    entering_altstack = true;
  }
  sp = ((sp - sizeof(RtSigframe)) & ~15ull) - 8;  // as after a call: (RSP + 8) % 16 == 0
  // Overflowing the alternate stack would corrupt what lies below it: die instead, as Linux does.
  if ((entering_altstack || on_alt) && !OnAltStack(p, sp)) return false;

  RtSigframe f{};
  f.pretcode = act.restorer;
  f.uc.flags = kUcSigcontextSs | kUcStrictRestoreSs;
  f.uc.stack = p.thread().altstack;
  f.uc.stack.flags = p.thread().altstack.size == 0 ? SS_DISABLE
                     : on_alt                      ? SS_ONSTACK
                                                   : p.thread().altstack.flags;
  SigContext& sc = f.uc.mcontext;
  const uint64_t* g = cpu.gpr;
  sc.r8 = g[R8], sc.r9 = g[R9], sc.r10 = g[R10], sc.r11 = g[R11];
  sc.r12 = g[R12], sc.r13 = g[R13], sc.r14 = g[R14], sc.r15 = g[R15];
  sc.rdi = g[RDI], sc.rsi = g[RSI], sc.rbp = g[RBP], sc.rbx = g[RBX];
  sc.rdx = g[RDX], sc.rax = g[RAX], sc.rcx = g[RCX], sc.rsp = g[RSP];
  sc.rip = cpu.rip;
  sc.eflags = cpu.rflags;
  sc.cs = kUserCs;
  sc.ss = kUserSs;
  sc.err = s.err;
  sc.trapno = s.trapno;
  sc.oldmask = old_mask;
  sc.cr2 = s.cr2;
  f.uc.sigmask = old_mask;
  f.info = s.info;
  if (!p.Put(sp, f)) return false;

  if (entering_altstack && (p.thread().altstack.flags & kSsAutodisarm))
    p.thread().altstack = GuestStack{};
  cpu.gpr[RSP] = sp;
  cpu.gpr[RDI] = static_cast<uint64_t>(sig);
  cpu.gpr[RSI] = sp + offsetof(RtSigframe, info);
  cpu.gpr[RDX] = sp + offsetof(RtSigframe, uc);
  cpu.gpr[RAX] = 0;  // no vector registers passed (varargs convention)
  cpu.rip = act.handler;
  cpu.rflags &= ~uint64_t{0x400 | 0x100 | 0x40000};  // DF, TF and AC cleared for the handler
  return true;
}

bool SigreturnX86_64(Process& p) {
  CpuState& cpu = p.cpu();
  RtSigframe f;
  // The handler's `ret` popped pretcode.
  if (!p.Get(cpu.gpr[RSP] - 8, &f)) return false;
  const SigContext& sc = f.uc.mcontext;
  uint64_t* g = cpu.gpr;
  g[R8] = sc.r8, g[R9] = sc.r9, g[R10] = sc.r10, g[R11] = sc.r11;
  g[R12] = sc.r12, g[R13] = sc.r13, g[R14] = sc.r14, g[R15] = sc.r15;
  g[RDI] = sc.rdi, g[RSI] = sc.rsi, g[RBP] = sc.rbp, g[RBX] = sc.rbx;
  g[RDX] = sc.rdx, g[RAX] = sc.rax, g[RCX] = sc.rcx, g[RSP] = sc.rsp;
  cpu.rip = sc.rip;
  cpu.rflags = (cpu.rflags & ~kFixEflags) | (sc.eflags & kFixEflags) | 0x2;
  p.thread().sigmask = f.uc.sigmask & ~(SigBit(SIGKILL) | SigBit(SIGSTOP));
  SyncHostMask(p);
  // restore_altstack: what the frame saved, unless the stack is in use (the kernel's EPERM).
  const GuestStack& st = f.uc.stack;
  if (!OnAltStack(p, cpu.gpr[RSP])) {
    if (st.flags == SS_DISABLE || st.size == 0) {
      p.thread().altstack = GuestStack{};
    } else {
      p.thread().altstack = st;
      p.thread().altstack.flags &= kSsAutodisarm;
    }
  }
  return true;
}

}  // namespace doppel::linux_user
