/* tests/guest/signals.c: guest signal handling: handlers for faults (SIGSEGV fixed up or
   recovered by a longjmp, SIGFPE, SIGILL, SIGTRAP), signals sent to itself, masks and pending
   delivery, SA_RESETHAND, SA_NODEFER, sigaltstack, timers in a busy loop, registers through the
   frame; with an argument, one of the default actions the kernel takes. */
#include "nolibc.h"

enum {
  SYS_rt_sigprocmask = 14,
  SYS_rt_sigreturn = 15,
  SYS_pause = 34,
  SYS_alarm = 37,
  SYS_setitimer = 38,
  SYS_rt_sigpending = 127,
  SYS_rt_sigsuspend = 130,
  SYS_sigaltstack = 131,
  SYS_tgkill = 234
};
enum {
  SIGTRAP = 5,
  SIGFPE = 8,
  SIGILL = 4,
  SIGUSR1 = 10,
  SIGSEGV = 11,
  SIGUSR2 = 12,
  SIGALRM = 14,
  SIGTERM = 15
};
enum {
  SA_SIGINFO = 4,
  SA_ONSTACK = 0x08000000,
  SA_RESTORER = 0x04000000,
  SA_NODEFER = 0x40000000,
  SA_RESETHAND = 0x80000000
};
enum {
  REG_R12 = 4,
  REG_RAX = 13,
  REG_RSP = 15,
  REG_RIP = 16,
  REG_ERR = 19,
  REG_TRAPNO = 20,
  REG_CR2 = 22
};

typedef struct {
  int si_signo, si_errno, si_code, pad;
  union {
    struct {
      int pid;
      unsigned uid;
    } kill;
    void* addr;
  } u;
  char rest[104];
} siginfo_t;
typedef struct {
  void* ss_sp;
  int ss_flags;
  size_t ss_size;
} stack_t;
typedef struct {
  unsigned long uc_flags;
  void* uc_link;
  stack_t uc_stack;
  long gregs[23];
  void* fpregs;
  unsigned long reserved[8];
  unsigned long uc_sigmask;
} ucontext_t;
struct kernel_sigaction {
  void* handler;
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};

void restore_rt(void);
__asm__(".text\nrestore_rt:\n  mov $15, %eax\n  syscall\n  hlt\n");

static long sigaction_(int sig, void* handler, unsigned long flags, unsigned long mask) {
  struct kernel_sigaction sa = {handler, flags | SA_RESTORER, restore_rt, mask};
  return sys4(SYS_rt_sigaction, sig, &sa, 0, 8);
}
static unsigned long getmask(void) {
  unsigned long m = 0;
  sys4(SYS_rt_sigprocmask, 0, 0, &m, 8);
  return m;
}
static void setmask(unsigned long m) { sys4(SYS_rt_sigprocmask, 2, &m, 0, 8); }
static unsigned long bit(int sig) { return 1ul << (sig - 1); }
static void raise_(int sig) { sys3(SYS_tgkill, sys0(SYS_getpid), sys0(SYS_gettid), sig); }

/* A minimal setjmp/longjmp: callee-saved registers, RSP and the return address. */
long jb[8];
long my_setjmp(long* b);
void my_longjmp(long* b, long v);
__asm__(
    ".text\nmy_setjmp:\n"
    "  mov %rbx, (%rdi)\n  mov %rbp, 8(%rdi)\n  mov %r12, 16(%rdi)\n  mov %r13, 24(%rdi)\n"
    "  mov %r14, 32(%rdi)\n  mov %r15, 40(%rdi)\n  lea 8(%rsp), %rdx\n  mov %rdx, 48(%rdi)\n"
    "  mov (%rsp), %rdx\n  mov %rdx, 56(%rdi)\n  xor %eax, %eax\n  ret\n"
    "my_longjmp:\n"
    "  mov (%rdi), %rbx\n  mov 8(%rdi), %rbp\n  mov 16(%rdi), %r12\n  mov 24(%rdi), %r13\n"
    "  mov 32(%rdi), %r14\n  mov 40(%rdi), %r15\n  mov 48(%rdi), %rsp\n  mov %rsi, %rax\n"
    "  jmp *56(%rdi)\n");

/* Faulting instructions at known addresses. */
extern char load_insn[], div_insn[], ud2_insn[], int3_after[];
long load_byte(long addr); /* -1 when the handler skipped the faulting load */
__asm__(".text\nload_byte:\nload_insn:\n  movzbl (%rdi), %eax\n  ret\n");
long divide(long a, long b);
__asm__(".text\ndivide:\n  mov %rdi, %rax\n  cqo\ndiv_insn:\n  idiv %rsi\n  ret\n");
void do_ud2(void);
__asm__(".text\ndo_ud2:\nud2_insn:\n  ud2\n  ret\n");
/* Loads patterns into registers, traps, and stores what the registers hold afterwards. */
long regs_after[8];
void trap_with_patterns(void);
__asm__(
    ".text\ntrap_with_patterns:\n"
    "  push %rbx\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov $0x1111, %rbx\n  mov $0x1212, %r12\n  mov $0x1313, %r13\n  mov $0x1414, %r14\n"
    "  mov $0x1515, %r15\n  mov $0x0808, %r8\n  mov $0x0909, %r9\n  mov $0x1010, %r10\n"
    "  int3\nint3_after:\n"
    "  mov %rbx, regs_after(%rip)\n  mov %r12, regs_after+8(%rip)\n"
    "  mov %r13, regs_after+16(%rip)\n  mov %r14, regs_after+24(%rip)\n"
    "  mov %r15, regs_after+32(%rip)\n  mov %r8, regs_after+40(%rip)\n"
    "  mov %r9, regs_after+48(%rip)\n  mov %r10, regs_after+56(%rip)\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbx\n  ret\n");

/* Handler entry through a stub that records RSP as the handler received it. */
long entry_rsp;
void c_handler(int sig, siginfo_t* si, ucontext_t* uc);
void handler_entry(void);
__asm__(".text\nhandler_entry:\n  mov %rsp, entry_rsp(%rip)\n  jmp c_handler\n");

static volatile int hits, last_sig, last_code, fix_prot;
static volatile long last_addr, last_pid, last_uid, last_trapno, last_err, last_cr2,
    interrupted_rsp;
static volatile unsigned long mask_in_handler;
static volatile long stack_local_addr;
static char* ro_page;
static volatile int use_longjmp, skip_bytes;

void c_handler(int sig, siginfo_t* si, ucontext_t* uc) {
  volatile int local = 0;
  stack_local_addr = (long)&local;
  hits++;
  last_sig = sig;
  last_code = si->si_code;
  last_addr = (long)si->u.addr;
  last_pid = si->u.kill.pid;
  last_uid = si->u.kill.uid;
  last_trapno = uc->gregs[REG_TRAPNO];
  last_err = uc->gregs[REG_ERR];
  last_cr2 = uc->gregs[REG_CR2];
  interrupted_rsp = uc->gregs[REG_RSP];
  mask_in_handler = getmask();
  if (fix_prot) sys3(SYS_mprotect, ro_page, 4096, 3);
  if (skip_bytes) {
    uc->gregs[REG_RIP] += skip_bytes;
    uc->gregs[REG_RAX] = -1;
  }
  if (sig == SIGTRAP) uc->gregs[REG_R12] = 0x4242; /* visible after sigreturn */
  if (use_longjmp) my_longjmp(jb, 1);
}

static void reset(void) {
  hits = last_sig = last_code = 0;
  last_addr = 0;
}

static void test_segv_fixup(void) {
  put("-- SIGSEGV fixed by the handler\n");
  ro_page = (char*)sys6(SYS_mmap, 0, 4096, 1, 0x22, -1, 0);
  sigaction_(SIGSEGV, handler_entry, SA_SIGINFO, 0);
  reset();
  fix_prot = 1;
  ro_page[100] = 7; /* faults once, the handler makes the page writable, the store re-runs */
  fix_prot = 0;
  check("handler ran once", hits == 1);
  check("store happened after the fix", ro_page[100] == 7);
  check("si_code SEGV_ACCERR", last_code == 2);
  check("si_addr is the byte", last_addr == (long)ro_page + 100);
  check("trapno 14", last_trapno == 14);
  check("err has the write bit", (last_err & 2) == 2);
  check("cr2 is the byte", last_cr2 == (long)ro_page + 100);
  check("SIGSEGV blocked in its handler", (mask_in_handler & bit(SIGSEGV)) != 0);
  check("mask restored after return", getmask() == 0);
  check("handler entry RSP+8 is 16-aligned", ((entry_rsp + 8) & 15) == 0);
  check("frame below the red zone", interrupted_rsp - entry_rsp >= 128 + 8);
}

static void test_segv_skip_and_longjmp(void) {
  put("-- SIGSEGV skipped or recovered by longjmp\n");
  long unmapped = sys6(SYS_mmap, 0, 4096, 3, 0x22, -1, 0);
  sys2(SYS_munmap, unmapped, 4096);
  reset();
  skip_bytes = 3;
  long v = load_byte(unmapped + 5);
  skip_bytes = 0;
  check("skipped load returns -1", v == -1);
  check("si_code SEGV_MAPERR", last_code == 1);
  check("si_addr is the address", last_addr == unmapped + 5);
  check("err is read|user", (last_err & 7) == 4);
  for (int round = 0; round < 3; ++round) {
    reset();
    use_longjmp = 1;
    unsigned long saved = getmask();
    if (my_setjmp(jb) == 0) {
      load_byte(8);
      put("FAIL no fault\n");
    } else {
      setmask(saved); /* what siglongjmp does */
    }
    use_longjmp = 0;
    check("longjmp out of the handler", hits == 1 && last_addr == 8 && last_code == 1);
  }
}

static void test_fpe_ill_trap(void) {
  put("-- SIGFPE, SIGILL, SIGTRAP\n");
  sigaction_(SIGFPE, handler_entry, SA_SIGINFO, 0);
  sigaction_(SIGILL, handler_entry, SA_SIGINFO, 0);
  sigaction_(SIGTRAP, handler_entry, SA_SIGINFO, 0);
  reset();
  use_longjmp = 1;
  if (my_setjmp(jb) == 0) divide(5, 0);
  use_longjmp = 0;
  setmask(0);
  check("SIGFPE", hits == 1 && last_sig == SIGFPE);
  check("FPE_INTDIV", last_code == 1);
  check("si_addr is the idiv", last_addr == (long)div_insn);
  check("trapno 0", last_trapno == 0);
  reset();
  skip_bytes = 2;
  do_ud2();
  skip_bytes = 0;
  check("SIGILL ILL_ILLOPN at the ud2",
        last_sig == SIGILL && last_code == 2 && last_addr == (long)ud2_insn && last_trapno == 6);
  reset();
  trap_with_patterns();
  check("SIGTRAP SI_KERNEL", last_sig == SIGTRAP && last_code == 0x80 && last_trapno == 3);
  check("rbx r13-r15 r8-r10 survive the handler",
        regs_after[0] == 0x1111 && regs_after[2] == 0x1313 && regs_after[3] == 0x1414 &&
            regs_after[4] == 0x1515 && regs_after[5] == 0x0808 && regs_after[6] == 0x0909 &&
            regs_after[7] == 0x1010);
  check("r12 changed in the frame", regs_after[1] == 0x4242);
}

static void test_self_signals(void) {
  put("-- kill, tgkill, masks, pending\n");
  sigaction_(SIGUSR1, handler_entry, SA_SIGINFO, bit(SIGUSR2));
  reset();
  sys2(SYS_kill, sys0(SYS_getpid), SIGUSR1);
  check("kill ran the handler before returning", hits == 1 && last_sig == SIGUSR1);
  check("SI_USER from itself",
        last_code == 0 && last_pid == sys0(SYS_getpid) && last_uid == sys0(SYS_getuid));
  check("sa_mask and the signal blocked in the handler",
        mask_in_handler == (bit(SIGUSR1) | bit(SIGUSR2)));
  reset();
  raise_(SIGUSR1);
  check("tgkill: SI_TKILL", hits == 1 && last_code == -6);

  sigaction_(SIGUSR2, handler_entry, SA_SIGINFO, 0);
  setmask(bit(SIGUSR2));
  reset();
  raise_(SIGUSR2);
  check("blocked signal stays pending", hits == 0);
  unsigned long pend = 0;
  sys2(SYS_rt_sigpending, &pend, 8);
  check("rt_sigpending shows it", pend == bit(SIGUSR2));
  raise_(SIGUSR2);
  setmask(0);
  check("delivered once on unblock", hits == 1 && last_sig == SIGUSR2);
  check("no longer pending", (sys2(SYS_rt_sigpending, &pend, 8), pend == 0));

  sigaction_(SIGUSR2, (void*)1, 0, 0); /* SIG_IGN */
  reset();
  raise_(SIGUSR2);
  check("ignored signal does nothing", hits == 0);

  sigaction_(SIGUSR1, handler_entry, SA_SIGINFO | SA_NODEFER, 0);
  reset();
  raise_(SIGUSR1);
  check("SA_NODEFER leaves the signal unblocked", hits == 1 && mask_in_handler == 0);

  sigaction_(SIGUSR1, handler_entry, SA_SIGINFO | SA_RESETHAND, 0);
  reset();
  raise_(SIGUSR1);
  struct kernel_sigaction old;
  sys4(SYS_rt_sigaction, SIGUSR1, 0, &old, 8);
  check("SA_RESETHAND: ran once, then SIG_DFL", hits == 1 && old.handler == 0);
}

static void test_altstack(void) {
  put("-- sigaltstack\n");
  char* alt = (char*)sys6(SYS_mmap, 0, 65536, 3, 0x22, -1, 0);
  stack_t ss = {alt, 0, 65536}, old;
  check("sigaltstack set", sys2(SYS_sigaltstack, &ss, &old) == 0);
  check("it was disabled", old.ss_flags == 2);
  sigaction_(SIGUSR1, handler_entry, SA_SIGINFO | SA_ONSTACK, 0);
  reset();
  raise_(SIGUSR1);
  check("handler ran on the alternate stack",
        stack_local_addr >= (long)alt && stack_local_addr < (long)alt + 65536);
  check("entry RSP+8 16-aligned there", ((entry_rsp + 8) & 15) == 0);
  sys2(SYS_sigaltstack, 0, &old);
  check("not on it after return", old.ss_flags == 0 && old.ss_sp == alt);
  stack_t small = {alt, 0, 100};
  check("too small is ENOMEM", sys2(SYS_sigaltstack, &small, 0) == -12);
  sigaction_(SIGUSR2, handler_entry, SA_SIGINFO, 0);
  reset();
  raise_(SIGUSR2);
  check("without SA_ONSTACK the normal stack",
        !(stack_local_addr >= (long)alt && stack_local_addr < (long)alt + 65536));
  stack_t off = {0, 2, 0};
  sys2(SYS_sigaltstack, &off, 0);
}

static volatile int alarms;
void on_alarm(int sig) { alarms++; }

static void test_timers(void) {
  put("-- alarm and setitimer\n");
  sigaction_(SIGALRM, on_alarm, 0, 0);
  check("alarm(1) had none pending", sys1(SYS_alarm, 1) == 0);
  long spins = 0;
  while (!alarms) spins++; /* a hot loop: delivery must not wait for a system call */
  check("alarm interrupted a busy loop", alarms == 1 && spins > 0);
  long itv[4] = {0, 0, 0, 20000}; /* 20 ms, once */
  check("setitimer", sys3(SYS_setitimer, 0, itv, 0) == 0);
  unsigned long none = 0;
  check("rt_sigsuspend returns EINTR after the handler", sys2(SYS_rt_sigsuspend, &none, 8) == -4);
  check("the timer fired", alarms == 2);
  check("mask restored after sigsuspend", getmask() == 0);
}

int guest_main(long sp, long rdx) {
  long* stack = (long*)sp;
  const char* mode = stack[0] > 1 ? ((char**)(stack + 1))[1] : "";
  if (streq(mode, "term")) {
    put("kill self with SIGTERM\n");
    sys2(SYS_kill, sys0(SYS_getpid), SIGTERM);
    return 1;
  }
  if (streq(mode, "resethand")) {
    sigaction_(SIGUSR1, handler_entry, SA_SIGINFO | SA_RESETHAND, 0);
    raise_(SIGUSR1);
    put("handled once\n");
    raise_(SIGUSR1);
    return 1;
  }
  if (streq(mode, "blocked-fault")) {
    /* A fault while SIGSEGV is blocked kills even with a handler installed. */
    sigaction_(SIGSEGV, handler_entry, SA_SIGINFO, 0);
    setmask(bit(SIGSEGV));
    load_byte(16);
    return 1;
  }
  if (streq(mode, "pending-default")) {
    /* A blocked signal with the default action kills when unblocked. */
    setmask(bit(SIGUSR2));
    raise_(SIGUSR2);
    put("still alive while blocked\n");
    setmask(0);
    return 1;
  }
  if (streq(mode, "no-restorer")) {
    struct kernel_sigaction sa = {handler_entry, SA_SIGINFO, 0, 0};
    sys4(SYS_rt_sigaction, SIGUSR1, &sa, 0, 8);
    raise_(SIGUSR1);
    return 1;
  }
  test_segv_fixup();
  test_segv_skip_and_longjmp();
  test_fpe_ill_trap();
  test_self_signals();
  test_altstack();
  test_timers();
  return 0;
}
