/* tests/kernels/smc.c: self-modifying code: patching an immediate of already-executed code, a store
 * into the next instruction of the running block, patching through a second linear alias of the
 * code page with paging on, and code copied to a new place (then overwritten) and called. */
#include "lib/lib.h"

/* Patch targets: `mov $imm32, %eax; ret` (b8 imm32 c3). The .text of these kernels is writable. */
__asm__(
    ".text\n"
    ".globl patch_target\n"
    "patch_target: mov $0, %eax\n ret\n"
    ".align 4096\n"
    ".globl alias_page\n"
    "alias_page: mov $0, %eax\n ret\n"
    ".align 4096\n"
    ".globl movable, movable_end\n"
    "movable: mov $0x1234, %eax\n add %ecx, %eax\n ret\n"
    "movable_end:\n");

extern u8 patch_target[], alias_page[], movable[], movable_end[];
typedef u32 (*fn0)(void);

static u32 page_dir[1024] __attribute__((aligned(4096)));
static u32 low_table[1024] __attribute__((aligned(4096)));
static u32 alias_table[1024] __attribute__((aligned(4096)));
static u8 buffer[256] __attribute__((aligned(16)));

static void set_imm(volatile u8* insn, u32 v) {
  insn[1] = (u8)v;
  insn[2] = (u8)(v >> 8);
  insn[3] = (u8)(v >> 16);
  insn[4] = (u8)(v >> 24);
}

static u32 call_fn1(const void* code, u32 arg) {
  u32 r;
  __asm__ volatile("call *%1" : "=a"(r) : "r"(code), "c"(arg) : "edx", "memory");
  return r;
}

void kmain(u32 magic, void* info) {
  lib_init();
  kputs("smc: self-modifying code\n");

  u32 sum = 0, ok = 1;
  for (u32 i = 0; i < 10; i++) {
    set_imm(patch_target, i * 7 + 1);
    u32 r = ((fn0)patch_target)();
    ok &= r == i * 7 + 1;
    sum += r;
  }
  check(ok && sum == 325, "patched immediate, 10 runs: sum %u", sum);

  /* A store into the immediately following instruction must be seen when it executes. */
  u32 next;
  __asm__ volatile(
      "movl $0, %%eax\n\t"
      "movb $0x42, 1f+1\n"
      "1:\n\t"
      "movb $0x00, %%al\n\t"
      : "=a"(next)::"memory");
  check(next == 0x42, "store into the next instruction: 0x%x", next);
  /* The same in a loop: each iteration rewrites the instruction it is about to run. */
  u32 acc = 0;
  for (u32 i = 1; i <= 5; i++) {
    u32 v;
    __asm__ volatile(
        "movb %b1, 2f+1\n"
        "2:\n\t"
        "movb $0x00, %%al\n\t"
        "movzbl %%al, %0"
        : "=r"(v)
        : "q"(i)
        : "eax", "memory");
    acc = acc * 10 + v;
  }
  check(acc == 12345, "rewriting the next instruction in a loop: %u", acc);

  /* Paging on: the code page is also mapped writable at 0x800000; writes go through that alias. */
  for (u32 i = 0; i < 1024; i++) low_table[i] = (i << 12) | 3;
  alias_table[0] = ((u32)alias_page & ~0xfffu) | 3;
  page_dir[0] = (u32)low_table | 3;
  page_dir[2] = (u32)alias_table | 3;
  write_cr3((u32)page_dir);
  write_cr0(read_cr0() | 0x80000000u);
  volatile u8* alias = (volatile u8*)(0x800000 + ((u32)alias_page & 0xfff));
  ok = 1;
  for (u32 i = 0; i < 4; i++) {
    set_imm(alias, 0x100 + i);
    u32 r = ((fn0)alias_page)();
    ok &= r == 0x100 + i;
  }
  check(ok, "patch through a second linear alias, 4 runs");
  check(((fn0)(0x800000 + ((u32)alias_page & 0xfff)))() == 0x103, "execute through the alias");
  set_imm(alias_page, 0x200);
  check(((fn0)(0x800000 + ((u32)alias_page & 0xfff)))() == 0x200,
        "patch the original, execute the alias");
  write_cr0(read_cr0() & ~0x80000000u);

  /* Copy code to a buffer, run it, then overwrite the copy and run it again. */
  u32 len = (u32)(movable_end - movable);
  for (u32 i = 0; i < len; i++) buffer[i] = movable[i];
  u32 r1 = call_fn1(buffer, 5);
  set_imm(buffer, 0x5678);
  u32 r2 = call_fn1(buffer, 5);
  buffer[5] = 0x29; /* add %ecx,%eax -> sub %ecx,%eax */
  u32 r3 = call_fn1(buffer, 5);
  check(r1 == 0x1239 && r2 == 0x567d && r3 == 0x5673, "copied code: 0x%x 0x%x 0x%x", r1, r2, r3);
  finish();
}
