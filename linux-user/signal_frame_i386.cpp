// linux-user/signal_frame_i386.cpp: the i386 signal frames (arch/x86/kernel/signal_32.c and the
// ia32 layouts of sigframe.h): sigframe for handlers without SA_SIGINFO, rt_sigframe with siginfo
// and ucontext for the others; sigreturn (119) and rt_sigreturn (173) restore from them.
#include <csignal>
#include <cstring>

#include "linux-user/process.h"
#include "linux-user/signals.h"
#include "linux-user/vdso.h"

namespace doppel::linux_user {
namespace {

constexpr uint64_t kSaOnstack = 0x08000000;
constexpr uint64_t kSaRestorer = 0x04000000;
constexpr uint64_t kSaSiginfo = 0x00000004;
constexpr uint32_t kSsAutodisarm = 1u << 31;
// EFLAGS bits a signal handler may change (the kernel's FIX_EFLAGS).
constexpr uint32_t kFixEflags = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 |
                                0x10000;  // AC OF DF TF SF ZF AF PF CF RF
constexpr uint16_t kUserCs = 0x23, kUserDs = 0x2b;

struct SigContext32 {  // struct sigcontext_32
  uint16_t gs, gsh, fs, fsh, es, esh, ds, dsh;
  uint32_t di, si, bp, sp, bx, dx, cx, ax;
  uint32_t trapno, err, ip;
  uint16_t cs, csh;
  uint32_t flags, sp_at_signal;
  uint16_t ss, ssh;
  uint32_t fpstate;  // 0: no FPU state saved
  uint32_t oldmask, cr2;
};
static_assert(sizeof(SigContext32) == 88);

struct Stack32 {  // compat stack_t
  uint32_t sp;
  int32_t flags;
  uint32_t size;
};

struct UContext32 {
  uint32_t flags, link;
  Stack32 stack;
  SigContext32 mcontext;
  uint32_t sigmask[2];  // compat_sigset_t: 4-byte aligned
};
static_assert(sizeof(UContext32) == 116);

struct Siginfo32 {  // compat_siginfo_t
  int32_t signo, err, code;
  uint32_t fields[29];
};
static_assert(sizeof(Siginfo32) == 128);

// The kernel's retcode for frames without a restorer: "movl $nr, %eax; int $0x80" (plus
// padding) for rt frames; "popl %eax; movl $nr, %eax; int $0x80" for the old frame, whose
// sigreturn finds it after the signal number too.
struct Retcode {
  uint8_t bytes[8];
};
Retcode RtRetcode(uint32_t nr) {
  Retcode r{{0xb8, static_cast<uint8_t>(nr), static_cast<uint8_t>(nr >> 8), 0, 0, 0xcd, 0x80, 0}};
  return r;
}
Retcode OldRetcode(uint32_t nr) {
  Retcode r{
      {0x58, 0xb8, static_cast<uint8_t>(nr), static_cast<uint8_t>(nr >> 8), 0, 0, 0xcd, 0x80}};
  return r;
}

// The kernel's struct sigframe_ia32: an unused legacy FPU area sits between the context and
// the mask; the layout is what debuggers and unwinders read.
struct Sigframe32 {
  uint32_t pretcode;
  int32_t sig;
  SigContext32 sc;
  uint8_t fpstate_unused[624];  // struct _fpstate_32
  uint32_t extramask;           // the upper half of the blocked mask
  Retcode retcode;
};
static_assert(offsetof(Sigframe32, retcode) == 724);

struct RtSigframe32 {
  uint32_t pretcode;
  int32_t sig;
  uint32_t pinfo, puc;
  Siginfo32 info;
  UContext32 uc;
  Retcode retcode;
};

constexpr uint32_t kSigreturn = 119, kRtSigreturn = 173;

// Without SA_RESTORER the handler returns into the vDSO's trampoline, as on Linux, or into the
// frame's own retcode when there is no vDSO.
uint32_t DefaultRestorer(const Process& p, const char* vdso_symbol, uint32_t retcode) {
  if (!p.vdso_base) return retcode;
  return static_cast<uint32_t>(p.vdso_base + VdsoSymbol(true, vdso_symbol));
}

bool OnAltStack(const Process& p, uint64_t sp) {
  const GuestStack& a = p.thread().altstack;
  return a.size != 0 && sp > a.sp && sp - a.sp <= a.size;
}

// The 64-bit siginfo union moves to the compat layout: pointers and longs become 32 bits.
Siginfo32 ToSiginfo32(const GuestSiginfo& in, int sig) {
  Siginfo32 out{};
  out.signo = in.signo;
  out.err = in.err;
  out.code = in.code;
  uint8_t raw[sizeof(GuestSiginfo)];
  memcpy(raw, &in, sizeof raw);
  auto u32 = [&](size_t off) {
    uint32_t v;
    memcpy(&v, raw + off, 4);
    return v;
  };
  const bool fault =
      sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
  if (fault && in.code > 0) {
    out.fields[0] = u32(16);  // si_addr
  } else if (sig == SIGCHLD && in.code > 0) {
    out.fields[0] = u32(16);  // pid, uid, status, utime, stime
    out.fields[1] = u32(20);
    out.fields[2] = u32(24);
    out.fields[3] = u32(32);
    out.fields[4] = u32(40);
  } else {
    out.fields[0] = u32(16);  // pid (or timer id), uid (or overrun), sigval
    out.fields[1] = u32(20);
    out.fields[2] = u32(24);
  }
  return out;
}

SigContext32 SaveContext(const CpuState& cpu, const PendingSignal& s, uint64_t old_mask) {
  SigContext32 sc{};
  sc.gs = cpu.sys.seg[GS].selector;
  sc.fs = cpu.sys.seg[FS].selector;
  sc.es = cpu.sys.seg[ES].selector;
  sc.ds = cpu.sys.seg[DS].selector;
  const uint64_t* g = cpu.gpr;
  sc.di = static_cast<uint32_t>(g[RDI]), sc.si = static_cast<uint32_t>(g[RSI]);
  sc.bp = static_cast<uint32_t>(g[RBP]), sc.sp = static_cast<uint32_t>(g[RSP]);
  sc.bx = static_cast<uint32_t>(g[RBX]), sc.dx = static_cast<uint32_t>(g[RDX]);
  sc.cx = static_cast<uint32_t>(g[RCX]), sc.ax = static_cast<uint32_t>(g[RAX]);
  sc.trapno = s.trapno;
  sc.err = s.err;
  sc.ip = static_cast<uint32_t>(cpu.rip);
  sc.cs = kUserCs;
  sc.flags = static_cast<uint32_t>(cpu.rflags);
  sc.sp_at_signal = sc.sp;
  sc.ss = kUserDs;
  sc.oldmask = static_cast<uint32_t>(old_mask);
  sc.cr2 = static_cast<uint32_t>(s.cr2);
  return sc;
}

// Segment registers are not restored: a handler that reloads one keeps it (doppel's process-mode
// GDT has no per-frame state to go back to).
void RestoreContext(CpuState& cpu, const SigContext32& sc) {
  uint64_t* g = cpu.gpr;
  g[RDI] = sc.di, g[RSI] = sc.si, g[RBP] = sc.bp, g[RSP] = sc.sp;
  g[RBX] = sc.bx, g[RDX] = sc.dx, g[RCX] = sc.cx, g[RAX] = sc.ax;
  cpu.rip = sc.ip;
  cpu.rflags = (cpu.rflags & ~uint64_t{kFixEflags}) | (sc.flags & kFixEflags) | 0x2;
}

}  // namespace

bool PushFrameI386(Process& p, int sig, const PendingSignal& s, uint64_t old_mask) {
  CpuState& cpu = p.cpu();
  const GuestSigaction& act = p.sigactions[sig];
  const uint64_t user_sp = cpu.gpr[RSP] & 0xffffffff;
  uint64_t sp = user_sp;
  bool entering_altstack = false;
  const bool on_alt = OnAltStack(p, user_sp);
  if ((act.flags & kSaOnstack) && p.thread().altstack.size != 0 && !on_alt) {
    sp = p.thread().altstack.sp + p.thread().altstack.size;
    entering_altstack = true;
  }
  const bool rt = act.flags & kSaSiginfo;
  const size_t size = rt ? sizeof(RtSigframe32) : sizeof(Sigframe32);
  sp = ((sp - size + 4) & ~15ull) - 4;  // the kernel's align_sigframe: (ESP + 4) % 16 == 0
  if ((entering_altstack || on_alt) && !OnAltStack(p, sp)) return false;
  const uint32_t frame = static_cast<uint32_t>(sp);

  if (rt) {
    RtSigframe32 f{};
    f.sig = sig;
    f.pinfo = frame + offsetof(RtSigframe32, info);
    f.puc = frame + offsetof(RtSigframe32, uc);
    f.info = ToSiginfo32(s.info, sig);
    const GuestStack& alt = p.thread().altstack;
    f.uc.stack = Stack32{static_cast<uint32_t>(alt.sp),
                         alt.size == 0 ? SS_DISABLE
                         : on_alt      ? SS_ONSTACK
                                       : static_cast<int32_t>(alt.flags),
                         static_cast<uint32_t>(alt.size)};
    f.uc.mcontext = SaveContext(cpu, s, old_mask);
    f.uc.sigmask[0] = static_cast<uint32_t>(old_mask);
    f.uc.sigmask[1] = static_cast<uint32_t>(old_mask >> 32);
    f.retcode = RtRetcode(kRtSigreturn);
    f.pretcode =
        (act.flags & kSaRestorer)
            ? static_cast<uint32_t>(act.restorer)
            : DefaultRestorer(p, "__kernel_rt_sigreturn", frame + offsetof(RtSigframe32, retcode));
    if (!p.Put(sp, f)) return false;
    // Also in registers, for handlers built with regparm(3).
    cpu.gpr[RAX] = static_cast<uint64_t>(sig);
    cpu.gpr[RDX] = f.pinfo;
    cpu.gpr[RCX] = f.puc;
  } else {
    Sigframe32 f{};
    f.sig = sig;
    f.sc = SaveContext(cpu, s, old_mask);
    f.extramask = static_cast<uint32_t>(old_mask >> 32);
    f.retcode = OldRetcode(kSigreturn);
    f.pretcode = (act.flags & kSaRestorer) ? static_cast<uint32_t>(act.restorer)
                                           : DefaultRestorer(p, "__kernel_sigreturn",
                                                             frame + offsetof(Sigframe32, retcode));
    if (!p.Put(sp, f)) return false;
    cpu.gpr[RAX] = static_cast<uint64_t>(sig);
    cpu.gpr[RDX] = cpu.gpr[RCX] = 0;
  }
  if (entering_altstack && (p.thread().altstack.flags & kSsAutodisarm))
    p.thread().altstack = GuestStack{};
  cpu.gpr[RSP] = sp;
  cpu.rip = act.handler;
  cpu.rflags &= ~uint64_t{0x400 | 0x100 | 0x40000};  // DF, TF and AC cleared for the handler
  return true;
}

bool SigreturnI386(Process& p, bool rt) {
  CpuState& cpu = p.cpu();
  uint64_t mask = 0;
  if (rt) {
    RtSigframe32 f;
    // The handler's `ret` popped pretcode; the restorer issued rt_sigreturn right away.
    if (!p.Get((cpu.gpr[RSP] - 4) & 0xffffffff, &f)) return false;
    RestoreContext(cpu, f.uc.mcontext);
    mask = f.uc.sigmask[0] | static_cast<uint64_t>(f.uc.sigmask[1]) << 32;
    const Stack32& st = f.uc.stack;
    if (!OnAltStack(p, cpu.gpr[RSP])) {
      if (st.flags == SS_DISABLE || st.size == 0) {
        p.thread().altstack = GuestStack{};
      } else {
        p.thread().altstack.sp = st.sp;
        p.thread().altstack.size = st.size;
        p.thread().altstack.flags = st.flags & kSsAutodisarm;
      }
    }
  } else {
    Sigframe32 f;
    // The restorer popped the signal number too ("popl %eax") before sigreturn.
    if (!p.Get((cpu.gpr[RSP] - 8) & 0xffffffff, &f)) return false;
    RestoreContext(cpu, f.sc);
    mask = f.sc.oldmask | static_cast<uint64_t>(f.extramask) << 32;
  }
  p.thread().sigmask = mask & ~(SigBit(SIGKILL) | SigBit(SIGSTOP));
  SyncHostMask(p);
  return true;
}

}  // namespace doppel::linux_user
