/* tests/guest/nolibc.h: a tiny freestanding runtime for linux-user guest programs that must run
   before doppel has SSE/x87: _start, raw system calls and printing, no libc. */
#pragma once

typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned long uint64_t;
typedef unsigned int uint32_t;
typedef unsigned char uint8_t;

/* _start passes the initial stack pointer and the initial RDX to start_c; the program defines
   int guest_main(long sp, long rdx) and its return value is the exit status. */
__asm__(
    ".text\n.global _start\n_start:\n"
    "  xor %ebp, %ebp\n"
    "  mov %rsp, %rdi\n"
    "  mov %rdx, %rsi\n"
    "  and $-16, %rsp\n"
    "  call start_c\n"
    "  hlt\n");

static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

enum {
  SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_stat = 4, SYS_fstat = 5,
  SYS_lseek = 8, SYS_mmap = 9, SYS_mprotect = 10, SYS_munmap = 11, SYS_brk = 12,
  SYS_rt_sigaction = 13, SYS_ioctl = 16, SYS_pread64 = 17, SYS_pwrite64 = 18, SYS_readv = 19,
  SYS_writev = 20, SYS_access = 21, SYS_pipe = 22, SYS_mremap = 25, SYS_madvise = 28, SYS_dup = 32,
  SYS_dup2 = 33, SYS_getpid = 39, SYS_exit = 60, SYS_kill = 62, SYS_uname = 63, SYS_fcntl = 72,
  SYS_getcwd = 79, SYS_chdir = 80, SYS_rename = 82, SYS_mkdir = 83, SYS_rmdir = 84,
  SYS_unlink = 87, SYS_readlink = 89, SYS_getuid = 102, SYS_getgid = 104, SYS_geteuid = 107,
  SYS_getegid = 108, SYS_arch_prctl = 158, SYS_gettid = 186, SYS_futex = 202,
  SYS_getdents64 = 217, SYS_clock_gettime = 228, SYS_exit_group = 231, SYS_openat = 257,
  SYS_newfstatat = 262, SYS_pipe2 = 293, SYS_getrandom = 318,
};

void* memset(void* d, int c, size_t n) {
  unsigned char* p = (unsigned char*)d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void* memcpy(void* d, const void* s, size_t n) {
  unsigned char* p = (unsigned char*)d;
  const unsigned char* q = (const unsigned char*)s;
  while (n--) *p++ = *q++;
  return d;
}
int memcmp(const void* a, const void* b, size_t n) {
  const unsigned char *p = (const unsigned char*)a, *q = (const unsigned char*)b;
  for (; n; --n, ++p, ++q)
    if (*p != *q) return *p - *q;
  return 0;
}
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
  char buf[24];
  int i = sizeof buf;
  unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
  do buf[--i] = (char)('0' + u % 10); while (u /= 10);
  if (v < 0) buf[--i] = '-';
  sys3(SYS_write, 1, buf + i, sizeof buf - i);
}
static __attribute__((unused)) void put_hex(unsigned long v) {
  char buf[18];
  int i = sizeof buf;
  do buf[--i] = "0123456789abcdef"[v & 15]; while (v >>= 4);
  buf[--i] = 'x';
  buf[--i] = '0';
  sys3(SYS_write, 1, buf + i, sizeof buf - i);
}
/* "name = value\n" */
static __attribute__((unused)) void show(const char* name, long v) {
  put(name);
  put(" = ");
  put_dec(v);
  put("\n");
}
static __attribute__((unused)) void check(const char* what, int ok) {
  put(ok ? "ok   " : "FAIL ");
  put(what);
  put("\n");
}

int guest_main(long sp, long rdx);
__attribute__((used)) void start_c(long sp, long rdx) {
  int status = guest_main(sp, rdx);
  sys1(SYS_exit_group, status);
}
