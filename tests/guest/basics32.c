/* tests/guest/basics32.c: an i386 program through int 0x80: argv and auxv words, printing,
   brk, old mmap and mmap2, writev, file I/O with fstat64/_llseek, uname and set_thread_area. */
#include "nolibc32.h"

struct iovec32 {
  const void* base;
  size_t len;
};
struct user_desc {
  unsigned entry, base, limit, flags;
};

int guest_main(long* sp) {
  long argc = sp[0];
  char** argv = (char**)(sp + 1);
  put("argc = ");
  put_dec(argc);
  put("\n");
  for (long i = 1; i < argc; ++i) {
    put(argv[i]);
    put("\n");
  }
  char** envp = argv + argc + 1;
  while (*envp) ++envp;
  unsigned* auxv = (unsigned*)(envp + 1);
  unsigned pagesz = 0;
  for (; auxv[0]; auxv += 2)
    if (auxv[0] == 6) pagesz = auxv[1];
  check("auxv AT_PAGESZ is 4096 (32-bit words)", pagesz == 4096);
  check("stack aligned at argc", ((long)sp & 15) == 0);

  long b0 = sys1(SYS_brk, 0);
  check("brk grows", sys1(SYS_brk, b0 + 100000) == b0 + 100000);
  ((char*)b0)[99999] = 1;
  check("brk memory writable", ((char*)b0)[99999] == 1);

  long args[6] = {0, 8192, 3, 0x22, -1, 0};
  char* m = (char*)sys1(SYS_mmap, args);
  check("old mmap", (unsigned long)m < 0xfffff000u && ((long)m & 4095) == 0);
  m[8191] = 5;
  char* m2 = (char*)sys6(SYS_mmap2, 0, 4096, 3, 0x22, -1, 0);
  check("mmap2 below 4 GiB", (unsigned long)m2 < 0xfffff000u && m2 != m);
  check("munmap", sys2(SYS_munmap, m2, 4096) == 0);

  struct iovec32 iov[2] = {{"write", 5}, {"v works\n", 8}};
  check("writev", sys3(SYS_writev, 1, iov, 2) == 13);

  const char* path = argc > 1 ? argv[1] : "basics32.tmp";
  int fd = sys3(SYS_open, path, 0101 | 01000, 0644); /* O_WRONLY|O_CREAT|O_TRUNC */
  check("open for writing", fd >= 0);
  check("write 11 bytes", sys3(SYS_write, fd, "hello file\n", 11) == 11);
  sys1(SYS_close, fd);
  fd = sys3(SYS_open, path, 0, 0);
  unsigned st[24];
  check("fstat64", sys2(SYS_fstat64, fd, st) == 0);
  check("st_size is 11", *(long long*)((char*)st + 44) == 11);
  unsigned long long pos = 0;
  check("_llseek to 6", sys5(SYS__llseek, fd, 0, 6, &pos, 0) == 0 && pos == 6);
  char buf[16] = {0};
  check("read the rest", sys3(SYS_read, fd, buf, 16) == 5 && buf[0] == 'f');
  check("lseek back", sys3(SYS_lseek, fd, -11, 1) == 0);
  sys1(SYS_close, fd);
  check("stat64", sys2(SYS_stat64, path, st) == 0 && (st[4] & 0170000) == 0100000);
  check("unlink", sys1(SYS_unlink, path) == 0);

  char uts[390];
  sys1(SYS_uname, uts);
  put("machine ");
  put(uts + 4 * 65);
  put("\n");

  static int tls_word = 1234;
  struct user_desc d = {(unsigned)-1, (unsigned)&tls_word, 0xfffff, 0x51};
  check("set_thread_area", sys1(SYS_set_thread_area, &d) == 0 && d.entry >= 6);
  /* What glibc does next: load GS with the selector and read TLS through it. */
  unsigned selector = d.entry * 8 + 3, through_gs = 0, gs_after = 0;
  __asm__ volatile("movw %w2, %%gs\n\tmovl %%gs:0, %0\n\tmovw %%gs, %w1"
                   : "=r"(through_gs), "=r"(gs_after)
                   : "r"(selector)
                   : "memory");
  check("tls through gs", through_gs == 1234 && gs_after == selector);
  return 3;
}
