/* tests/guest/memory.c: the guest address space: brk growth and shrink, anonymous and
   file-backed mmap, MAP_FIXED, munmap, mprotect, mremap, madvise; with an argument, a fault
   the kernel turns into a signal (segv: write to read-only memory, ud2, div0, int3, unmapped). */
#include "nolibc.h"

enum { PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4 };
enum { MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_FIXED_NOREPLACE = 0x100000 };
enum { MREMAP_MAYMOVE = 1, MADV_DONTNEED = 4 };
#define EFAULT 14
#define EEXIST 17
#define EINVAL 22
#define ENOMEM 12

static long do_mmap(long addr, long len, long prot, long flags, long fd, long off) {
  return sys6(SYS_mmap, addr, len, prot, flags, fd, off);
}

static volatile int sink;

int guest_main(long sp, long rdx) {
  long* stack = (long*)sp;
  long argc = stack[0];
  char** argv = (char**)(stack + 1);
  const char* mode = argc > 1 ? argv[1] : "";

  /* brk: grows in pages, memory is zeroed and writable, shrinking works. */
  long b0 = sys1(SYS_brk, 0);
  check("brk(0) is page-aligned-or-after-bss", b0 > 0);
  long b1 = sys1(SYS_brk, b0 + 1000000);
  check("brk grows by 1000000", b1 == b0 + 1000000);
  char* heap = (char*)b0;
  int zero = 1;
  for (long i = 0; i < 1000000; i += 4096) zero &= heap[i] == 0;
  check("new brk memory is zero", zero);
  heap[999999] = 42;
  check("brk memory is writable", heap[999999] == 42);
  check("brk shrinks", sys1(SYS_brk, b0 + 4096) == b0 + 4096);
  check("brk below the start is refused", sys1(SYS_brk, b0 - 0x100000) == b0 + 4096);

  /* Anonymous mmap. */
  long len = 5 * 4096;
  char* m = (char*)do_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check("mmap anonymous succeeds", (long)m > 0 && ((long)m & 4095) == 0);
  zero = 1;
  for (long i = 0; i < len; ++i) zero &= m[i] == 0;
  check("mmap memory is zero", zero);
  for (long i = 0; i < len; ++i) m[i] = (char)i;
  check("mmap memory keeps writes", m[len - 1] == (char)(len - 1));
  check("mmap of length 0 is EINVAL", do_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == -EINVAL);
  check("mmap without a type is EINVAL", do_mmap(0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0) == -EINVAL);
  check("mmap of an unaligned offset is EINVAL", do_mmap(0, 4096, PROT_READ, MAP_PRIVATE, 0, 100) == -EINVAL);

  /* MAP_FIXED replaces part of the mapping; MAP_FIXED_NOREPLACE refuses. */
  char* f = (char*)do_mmap((long)m + 4096, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  check("MAP_FIXED returns the address", f == m + 4096);
  check("MAP_FIXED gives fresh zero pages", f[0] == 0 && f[4095] == 0 && m[4095] == (char)4095);
  check("MAP_FIXED_NOREPLACE over a mapping is EEXIST",
        do_mmap((long)m, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == -EEXIST);

  /* mprotect and the kernel's checks on system-call buffers. */
  check("mprotect read-only", sys3(SYS_mprotect, m, 4096, PROT_READ) == 0);
  check("reading read-only memory works", m[10] == 10);
  int pfd[2];
  sys1(SYS_pipe, pfd);
  sys3(SYS_write, pfd[1], "abc", 3);
  check("read() into read-only memory is EFAULT", sys3(SYS_read, pfd[0], m, 10) == -EFAULT);
  check("write() from unmapped memory is EFAULT", sys3(SYS_write, 1, 16, 10) == -EFAULT);
  check("mprotect of an unaligned address is EINVAL", sys3(SYS_mprotect, m + 1, 4096, PROT_READ) == -EINVAL);
  check("mprotect back to read-write", sys3(SYS_mprotect, m, 4096, PROT_READ | PROT_WRITE) == 0);
  m[0] = 1;

  /* munmap of the middle, then mprotect across the hole fails with ENOMEM. */
  check("munmap of a middle page", sys2(SYS_munmap, m + 2 * 4096, 4096) == 0);
  check("mprotect across a hole is ENOMEM", sys3(SYS_mprotect, m, len, PROT_READ) == -ENOMEM);
  check("munmap of an unaligned address is EINVAL", sys2(SYS_munmap, m + 1, 4096) == -EINVAL);

  /* mremap: grow with move, contents preserved. */
  char* g = (char*)do_mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 4096; ++i) g[i] = (char)(i * 7);
  char* r = (char*)sys6(SYS_mremap, (long)g, 4096, 64 * 4096, MREMAP_MAYMOVE, 0, 0);
  check("mremap grows", (long)r > 0);
  int same = 1;
  for (int i = 0; i < 4096; ++i) same &= r[i] == (char)(i * 7);
  check("mremap keeps the contents", same);
  r[64 * 4096 - 1] = 5;
  check("mremap'd tail is writable", r[64 * 4096 - 1] == 5);
  check("madvise(DONTNEED) succeeds", sys3(SYS_madvise, r, 4096, MADV_DONTNEED) == 0);
  check("DONTNEED pages read back as zero", r[5] == 0);

  /* File-backed private mapping: our own ELF header through /proc/self/exe. */
  long fd = sys3(SYS_open, "/proc/self/exe", 0, 0);
  check("open /proc/self/exe", fd >= 0);
  unsigned char* e = (unsigned char*)do_mmap(0, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
  check("mmap of a file", (long)e > 0);
  check("file mapping shows the file", e[0] == 0x7f && e[1] == 'E' && e[2] == 'L' && e[3] == 'F');
  sys1(SYS_close, fd);
  check("munmap of the file mapping", sys2(SYS_munmap, e, 8192) == 0);

  if (streq(mode, "segv")) {
    sys3(SYS_mprotect, m, 4096, PROT_READ);
    put("writing to read-only memory\n");
    m[1] = 1;
    put("FAIL: still alive\n");
  } else if (streq(mode, "unmapped")) {
    put("reading unmapped memory\n");
    sink = *(volatile char*)(m + 2 * 4096);
  } else if (streq(mode, "ud2")) {
    put("executing ud2\n");
    __asm__ volatile("ud2");
  } else if (streq(mode, "div0")) {
    put("dividing by zero\n");
    volatile long zero_divisor = 0;
    sink = (int)(100 / zero_divisor);
  } else if (streq(mode, "int3")) {
    put("executing int3\n");
    __asm__ volatile("int3");
  } else if (streq(mode, "exec-nx")) {
    put("jumping to non-executable memory\n");
    ((void (*)(void))g)();
  }
  put("done\n");
  return 0;
}
