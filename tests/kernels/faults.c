/* tests/kernels/faults.c: exceptions raised while an exception is being delivered (SDM Vol. 3A
 * 6.15, Table 6-5): a benign exception whose handler segment is not present gives #NP, two
 * contributory exceptions or a page fault followed by a contributory one give #DF(0) through an
 * ordinary interrupt gate, a contributory exception followed by a page fault gives the page fault;
 * in long mode a page fault on an unmapped kernel stack reaches a #DF gate on an IST stack. Last a
 * triple fault (IDT limit 0, then ud2) ends the run: with -no-reboot QEMU exits with status 0, so
 * that is this kernel's success, and the transcript must end at the "triple fault next" line. */
#include "lib/lib.h"

enum {
  SEL_CODE_NP = SEL_SPARE, /* 32-bit ring-0 code segment with P=0 */
  SEL_BEYOND_GDT = GDT_ENTRIES * 8 + 8,
  HOLE = 0x00c00000, /* the 4 MiB page left unmapped by the 32-bit page directory */
  HOLE_END = HOLE + 0x400000,
  IDT_SPLIT = HOLE_END - 14 * 8, /* an IDT whose gates 0-13 lie in the hole, 14-255 after it */
};

extern char ud_np_site[], gp_np_site[], de_np_site[], pf_np_site[], gp_idt_pf_site[];
extern u32 df64(u32 arg);
extern u64 df64_results[4];

static u32 page_dir[1024] __attribute__((aligned(4096)));
static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pds[4][512] __attribute__((aligned(4096)));
static u32 tss64[26] __attribute__((aligned(128)));
static u8 ist1_stack[4096] __attribute__((aligned(16)));

/* The last TRY ended in a double fault. The saved CS:EIP of a #DF is undefined (SDM), so only
 * the vector, the error code (always 0) and CR2 where given are compared. */
static void check_double_fault(const char* name, int check_cr2, u32 cr2) {
  if (g_fault.count != 1)
    check(0, "%s: expected #DF, got %u faults", name, g_fault.count);
  else if (check_cr2)
    check(g_fault.vector == 8 && g_fault.error == 0 && g_fault.cr2 == cr2,
          "%s: vector %u error 0x%x cr2 %08x", name, g_fault.vector, g_fault.error, g_fault.cr2);
  else
    check(g_fault.vector == 8 && g_fault.error == 0, "%s: vector %u error 0x%x", name,
          g_fault.vector, g_fault.error);
  clear_fault();
}

static void test_protected(void) {
  gdt_set(SEL_CODE_NP, 0, 0xfffff, 0x1a, FLG_32);

  /* Benign first: the #NP for the handler's segment is delivered normally. Hardware sets EXT
   * (bit 0) in its error code, QEMU 7.2 does not: only the selector part is printed. */
  idt_set(6, isr_stubs[6], SEL_CODE_NP, 0x8e);
  TRY(ud_np_site, "ud2");
  idt_set(6, isr_stubs[6], SEL_CODE32, 0x8e);
  g_fault.error &= ~1u;
  check_fault("#UD, handler segment not present (EXT masked)", 11, SEL_CODE_NP, ud_np_site);

  /* Contributory + contributory: #GP, then #NP for its handler's segment. */
  idt_set(13, isr_stubs[13], SEL_CODE_NP, 0x8e);
  TRY_IO(gp_np_site, "mov %w0, %%ds", , "r"(SEL_BEYOND_GDT));
  idt_set(13, isr_stubs[13], SEL_CODE32, 0x8e);
  check_double_fault("#GP, handler segment not present", 0, 0);

  /* Contributory + contributory: #DE, then #NP for its not-present gate. */
  idt_set(0, isr_stubs[0], SEL_CODE32, 0x0e);
  TRY(de_np_pre,
      "xor %%ecx, %%ecx\n\tmov $1, %%eax\n\tcdq\n.globl de_np_site\nde_np_site:\n\t"
      "div %%ecx",
      "eax", "ecx", "edx");
  idt_set(0, isr_stubs[0], SEL_CODE32, 0x8e);
  check_double_fault("#DE, gate not present", 0, 0);

  /* 4 MiB identity pages except the hole. */
  for (u32 i = 0; i < 1024; i++) page_dir[i] = (i << 22) | 0x83;
  page_dir[HOLE >> 22] = 0;
  /* An IDT straddling the end of the hole, written while paging is still off. */
  u64* split_idt = (u64*)IDT_SPLIT;
  for (u32 v = 0; v < 256; v++) split_idt[v] = g_idt[v];
  write_cr4(read_cr4() | 0x10); /* PSE */
  write_cr3((u32)page_dir);
  write_cr0(read_cr0() | 0x80000000u);

  /* Page fault + contributory: #PF, then #NP for its handler's segment. CR2 keeps the address. */
  idt_set(14, isr_stubs[14], SEL_CODE_NP, 0x8e);
  TRY_IO(pf_np_site, "movl (%0), %%eax", , "r"(HOLE + 0x123), "eax");
  idt_set(14, isr_stubs[14], SEL_CODE32, 0x8e);
  check_double_fault("#PF, handler segment not present", 1, HOLE + 0x123);

  /* Contributory + page fault: reading #GP's gate faults, and the #PF is delivered normally. */
  struct {
    u16 limit;
    u32 base;
  } __attribute__((packed)) split = {256 * 8 - 1, IDT_SPLIT}, normal = {256 * 8 - 1, (u32)g_idt};
  __asm__ volatile("lidt %0" ::"m"(split));
  TRY_IO(gp_idt_pf_site, "mov %w0, %%ds", , "r"(SEL_BEYOND_GDT));
  __asm__ volatile("lidt %0" ::"m"(normal));
  u32 cr2 = g_fault.cr2;
  check_fault("#GP, its gate in an unmapped page", 14, 0, gp_idt_pf_site);
  check(cr2 == IDT_SPLIT + 13 * 8, "cr2 %08x is the #GP gate", cr2);

  write_cr0(read_cr0() & ~0x80000000u);
}

static void test_long(void) {
  long_identity_map(pml4, pdpt, pds);
  pds[3][511] = 0; /* 0xffe00000-0xffffffff unmapped: the bad kernel stack */
  idt64_init();
  idt64_set(8, isr64_stubs[8], 1, 0x8e);
  tss64[9] = (u32)(ist1_stack + sizeof ist1_stack); /* ist1 */
  tss64[25] = 104u << 16;
  tss_install((u32)tss64, 103);
  long_call((u32)pml4, df64, 0);
  check(df64_results[0] == 1 && df64_results[1] == 8 && df64_results[2] == 0,
        "long mode #PF on an unmapped stack: %u fault, vector %u error 0x%x", (u32)df64_results[0],
        (u32)df64_results[1], (u32)df64_results[2]);
  /* The first push of the #PF frame (SS, at rsp - 8) is the access that faulted the second time. */
  check(df64_results[3] == 0xffffeff8u, "#DF on IST1, cr2 %08x is the first push",
        (u32)df64_results[3]);
}

void kmain(u32 magic, void* info) {
  lib_init();
  kputs("faults: exceptions during exception delivery\n");
  test_protected();
  test_long();
  if (g_failures) finish();
  struct {
    u16 limit;
    u32 base;
  } __attribute__((packed)) empty = {0, 0};
  kputs("faults: triple fault next (IDT limit 0, then ud2)\n");
  __asm__ volatile("lidt %0\n\tud2" ::"m"(empty));
  kputs("faults: still running after the triple fault\n");
  kexit(0x01);
}
