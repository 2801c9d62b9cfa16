/* tests/kernels/paging32.c: 32-bit (non-PAE) paging: 4 KiB and 4 MiB pages, fault error codes and
 * CR2, accessed/dirty bits, CR0.WP, user/supervisor, CR3 switches, INVLPG and aliases. Only results
 * the architecture defines are printed (a stale TLB entry may or may not be used before INVLPG). */
#include "lib/lib.h"

enum {
  P = 1,
  W = 2,
  U = 4,
  A = 0x20,
  D = 0x40,
  PS = 0x80,
  TEST_VA = 0x800000, /* page directory slot 2: the test page table */
  BIG_VA = 0xc00000,  /* slot 3: a 4 MiB page */
  PHYS = 0x500000,    /* physical test pages, inside the identity-mapped 4-8 MiB page */
};

static volatile u32 dir_a[1024] __attribute__((aligned(4096)));
static volatile u32 dir_b[1024] __attribute__((aligned(4096)));
static volatile u32 low_table[1024] __attribute__((aligned(4096)));
static volatile u32 test_table[1024] __attribute__((aligned(4096)));
static volatile u32 test_table_b[1024] __attribute__((aligned(4096)));
static u8 user_stack[4096] __attribute__((aligned(16)));

extern char pf_np_site[], pf_wp_site[], pf_user_sup_site[], pf_user_ro_site[];

static volatile u32* phys(u32 pa) { return (volatile u32*)pa; }
static volatile u32* virt(u32 va) { return (volatile u32*)va; }
static u32 page(u32 i) { return TEST_VA + i * 4096; }

static void user_read_supervisor(void) {
  TRY(pf_user_sup_site, "mov 0x800000, %%eax", "eax"); /* page 0: supervisor-only */
  USER_EXIT();
}

static void user_write_read_only(void) {
  TRY(pf_user_ro_site, "movl $1, 0x801000"); /* page 1: user, read-only */
  USER_EXIT();
}

static void user_read_user(void) {
  TRY(user_ok_site, "mov 0x801000, %%eax", "eax");
  USER_EXIT();
}

void kmain(u32 magic, void* info) {
  lib_init();
  user_init();
  kputs("paging32: 4 KiB and 4 MiB pages\n");
  for (u32 i = 0; i < 1024; i++) low_table[i] = (i << 12) | P | W | U;
  dir_a[0] = (u32)low_table | P | W | U;
  dir_a[1] = 0x400000 | PS | P | W | U; /* identity 4-8 MiB (the physical test pages) */
  dir_a[2] = (u32)test_table | P | W | U;
  dir_a[3] = 0x400000 | PS | P | W; /* BIG_VA: an alias of 4-8 MiB, A/D clear */
  for (u32 i = 0; i < 16; i++) {
    test_table[i] = (PHYS + i * 4096) | P | W;
    *phys(PHYS + i * 4096) = 0x1000 + i;
  }
  for (u32 i = 0; i < 4; i++) dir_b[i] = dir_a[i];
  dir_b[2] = (u32)test_table_b | P | W | U;
  for (u32 i = 0; i < 16; i++) test_table_b[i] = (PHYS + (15 - i) * 4096) | P | W;
  test_table[5] = 0; /* not present */

  write_cr4(read_cr4() | 0x10); /* PSE */
  write_cr3((u32)dir_a);
  write_cr0(read_cr0() | 0x80000000u);

  check(*virt(page(3)) == 0x1003, "4 KiB page read: 0x%x", *virt(page(3)));
  check(*virt(BIG_VA + 0x100000 + 3 * 4096) == 0x1003, "4 MiB page read: 0x%x",
        *virt(BIG_VA + 0x100000 + 3 * 4096));

  /* Accessed and dirty bits, set by the walk. */
  test_table[2] &= ~(A | D);
  invlpg(page(2));
  check((test_table[2] & (A | D)) == 0, "pte before access: A=%u D=%u", (test_table[2] >> 5) & 1,
        (test_table[2] >> 6) & 1);
  (void)*virt(page(2));
  check((test_table[2] & (A | D)) == A, "pte after read: A=%u D=%u", (test_table[2] >> 5) & 1,
        (test_table[2] >> 6) & 1);
  *virt(page(2)) = 0x2002;
  check((test_table[2] & (A | D)) == (A | D), "pte after write: A=%u D=%u",
        (test_table[2] >> 5) & 1, (test_table[2] >> 6) & 1);
  check((dir_a[2] & A) != 0, "pde accessed after the walk");
  check((dir_a[3] & (A | D)) == A, "4 MiB pde after read: A=%u D=%u", (dir_a[3] >> 5) & 1,
        (dir_a[3] >> 6) & 1);
  *virt(BIG_VA + 0x100000 + 3 * 4096) = 0x1003; /* so the 4 MiB page is dirty */
  check((dir_a[3] & (A | D)) == (A | D), "4 MiB pde after write: A=%u D=%u", (dir_a[3] >> 5) & 1,
        (dir_a[3] >> 6) & 1);

  /* Faults. */
  TRY(pf_np_site, "mov 0x805004, %%eax", "eax");
  u32 cr2 = g_fault.cr2;
  check_fault("read of a not-present pte", 14, 0, pf_np_site);
  check(cr2 == page(5) + 4, "cr2 0x%x", cr2);

  test_table[4] = (PHYS + 4 * 4096) | P; /* read-only */
  invlpg(page(4));
  write_cr0(read_cr0() | (1u << 16)); /* WP */
  TRY(pf_wp_site, "movl $0x4444, 0x804008");
  cr2 = g_fault.cr2;
  check_fault("supervisor write to a read-only page, CR0.WP=1", 14, 3, pf_wp_site);
  check(cr2 == page(4) + 8, "cr2 0x%x", cr2);
  write_cr0(read_cr0() & ~(1u << 16));
  TRY(wp_off_site, "movl $0x4444, 0x804008");
  check(g_fault.count == 0 && *phys(PHYS + 4 * 4096 + 8) == 0x4444,
        "supervisor write to a read-only page, CR0.WP=0: written");
  clear_fault();

  /* User mode: a supervisor page and a read-only user page. */
  test_table[1] = (PHYS + 1 * 4096) | P | U;
  invlpg(page(1));
  u32 sp = (u32)(user_stack + sizeof user_stack);
  enter_user((u32)user_read_supervisor, sp);
  cr2 = g_fault.cr2;
  check_fault("user read of a supervisor page", 14, 5, pf_user_sup_site);
  check(cr2 == page(0), "cr2 0x%x", cr2);
  enter_user((u32)user_write_read_only, sp);
  cr2 = g_fault.cr2;
  check_fault("user write to a read-only user page", 14, 7, pf_user_ro_site);
  check(cr2 == page(1), "cr2 0x%x", cr2);
  enter_user((u32)user_read_user, sp);
  check(g_fault.count == 0, "user read of a user page: no fault");
  clear_fault();

  /* Two address spaces: the same virtual page, different physical pages. */
  u32 in_a = *virt(page(0));
  write_cr3((u32)dir_b);
  u32 in_b = *virt(page(0));
  write_cr3((u32)dir_a);
  check(in_a == 0x1000 && in_b == 0x100f, "cr3 switch: A sees 0x%x, B sees 0x%x", in_a, in_b);

  /* Remapping: after INVLPG or a CR3 reload the new translation must be used. */
  (void)*virt(page(6));
  test_table[6] = (PHYS + 7 * 4096) | P | W;
  invlpg(page(6));
  check(*virt(page(6)) == 0x1007, "remap + invlpg: 0x%x", *virt(page(6)));
  test_table[6] = (PHYS + 8 * 4096) | P | W;
  write_cr3(read_cr3());
  check(*virt(page(6)) == 0x1008, "remap + cr3 reload: 0x%x", *virt(page(6)));

  /* Two linear aliases of one physical page. */
  test_table[9] = (PHYS + 10 * 4096) | P | W;
  invlpg(page(9));
  *virt(page(9) + 0x20) = 0xa11a5;
  check(*virt(page(10) + 0x20) == 0xa11a5, "alias: write through one, read through the other");
  finish();
}
