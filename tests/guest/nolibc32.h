/* tests/guest/nolibc32.h: the i386 counterpart of nolibc.h: _start, int 0x80 system calls and
   printing for freestanding 32-bit guest programs (gcc -m32 -nostdlib). */
#pragma once

typedef unsigned int size_t;
typedef unsigned long long uint64_t;

/* _start passes the initial stack pointer; guest_main(sp) returns the exit status. */
__asm__(".text\n.global _start\n_start:\n"
        "  xor %ebp, %ebp\n  mov %esp, %eax\n  and $-16, %esp\n  sub $12, %esp\n"
        "  push %eax\n  call start_c\n  hlt\n");

static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  long ret;
  /* EBP cannot be named as an operand: swap it in around the trap. */
  long args6[2] = {e, f};
  long* argp = args6;
  __asm__ volatile("push %%ebp\n  mov 4(%%edi), %%ebp\n  mov 0(%%edi), %%edi\n  int $0x80\n"
                   "  pop %%ebp"
                   : "=a"(ret), "+D"(argp)
                   : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d)
                   : "memory");
  return ret;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

enum {
  SYS_exit = 1, SYS_read = 3, SYS_write = 4, SYS_open = 5, SYS_close = 6, SYS_unlink = 10,
  SYS_lseek = 19, SYS_getpid = 20, SYS_brk = 45, SYS_mmap = 90, SYS_munmap = 91,
  SYS_uname = 122, SYS_mprotect = 125, SYS__llseek = 140, SYS_writev = 146, SYS_mmap2 = 192,
  SYS_stat64 = 195, SYS_fstat64 = 197, SYS_getdents64 = 220, SYS_set_thread_area = 243,
  SYS_exit_group = 252, SYS_clock_gettime = 265,
};

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}
static __attribute__((unused)) int streq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
static __attribute__((unused)) void put(const char* s) { sys3(SYS_write, 1, s, strlen(s)); }
static __attribute__((unused)) void put_dec(long v) {
  char buf[16];
  int i = sizeof buf;
  unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
  do buf[--i] = (char)('0' + u % 10); while (u /= 10);
  if (v < 0) buf[--i] = '-';
  sys3(SYS_write, 1, buf + i, sizeof buf - i);
}
static __attribute__((unused)) void check(const char* what, int ok) {
  put(ok ? "ok   " : "FAIL ");
  put(what);
  put("\n");
}

int guest_main(long* sp);
__attribute__((used)) void start_c(long* sp) { sys1(SYS_exit_group, guest_main(sp)); }
