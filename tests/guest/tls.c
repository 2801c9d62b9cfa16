/* tests/guest/tls.c: thread-local storage through arch_prctl: FS and GS bases set, read back
   and used by %fs/%gs-relative loads and stores. */
#include "nolibc.h"

enum { ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004 };

static unsigned long fs_block[4] = {0x1111, 0x2222, 0x3333, 0};
static unsigned long gs_block[2] = {0xaaaa, 0xbbbb};

int guest_main(long sp, long rdx) {
  fs_block[3] = (unsigned long)fs_block; /* glibc-style self pointer at a known slot */
  check("ARCH_SET_FS", sys2(SYS_arch_prctl, ARCH_SET_FS, fs_block) == 0);
  check("ARCH_SET_GS", sys2(SYS_arch_prctl, ARCH_SET_GS, gs_block) == 0);
  unsigned long base = 0;
  check("ARCH_GET_FS", sys2(SYS_arch_prctl, ARCH_GET_FS, &base) == 0 && base == (unsigned long)fs_block);
  check("ARCH_GET_GS", sys2(SYS_arch_prctl, ARCH_GET_GS, &base) == 0 && base == (unsigned long)gs_block);
  unsigned long v0, v1, self, g1;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(v0));
  __asm__ volatile("mov %%fs:8, %0" : "=r"(v1));
  __asm__ volatile("mov %%fs:24, %0" : "=r"(self));
  __asm__ volatile("mov %%gs:8, %0" : "=r"(g1));
  check("%fs:0 reads the block", v0 == 0x1111);
  check("%fs:8 reads the block", v1 == 0x2222);
  check("%fs:24 is the self pointer", self == (unsigned long)fs_block);
  check("%gs:8 reads the GS block", g1 == 0xbbbb);
  __asm__ volatile("movq $0x4444, %%fs:16" ::: "memory");
  check("%fs:16 store lands in the block", fs_block[2] == 0x4444);
  show("ARCH_SET_FS with a kernel address", sys2(SYS_arch_prctl, ARCH_SET_FS, 0xffff800000000000ul));
  show("unknown arch_prctl code", sys2(SYS_arch_prctl, 0x9999, 0));
  /* Only under doppel: some native sandboxes kill a process for an unknown system call. */
  if (((long*)sp)[0] > 1) show("an unassigned system call", sys0(335));
  return 0;
}
