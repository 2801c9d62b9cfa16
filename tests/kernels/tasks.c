/* tests/kernels/tasks.c: hardware task switches with 32-bit TSSes: JMP to a TSS and back, CALL
 * through a task gate and IRET with NT to the previous task, INT n through an IDT task gate, a
 * double fault delivered through a task gate onto its own stack (how 32-bit Linux handles #DF),
 * and the faults of bad targets (#TS for a TSS below 0x67 bytes, #GP for a busy one). */
#include "lib/lib.h"

enum {
  SEL_TSS_B = SEL_SPARE,
  SEL_TSS_C = SEL_SPARE + 8,
  SEL_GATE_C = SEL_SPARE + 16,
  SEL_TSS_D = SEL_SPARE + 24,
  SEL_TSS_DF = SEL_SPARE + 32,
  SEL_TSS_SMALL = SEL_SPARE + 40,
  VEC_TASK = 0x40,
};
enum { T_LINK, T_CR3 = 7, T_EIP, T_EFLAGS, T_EAX, T_ECX, T_EDX, T_EBX, T_ESP, T_ES = 18, T_CS, T_SS, T_DS, T_FS, T_GS,
       T_LDT, T_IOMAP };

static u32 tss_a[26] __attribute__((aligned(128)));
static u32 tss_b[26], tss_c[26], tss_d[26], tss_df[26], tss_small[26];
static u8 stack_b[4096], stack_c[4096], stack_d[4096], stack_df[4096] __attribute__((aligned(16)));

volatile u32 b_eax, b_ebx, b_flags, c_flags, c_link, d_flags, d_link, df_error, df_link, df_esp;
extern char task_b_entry[], task_c_entry[], task_d_entry[], task_df_entry[];
extern char after_jmp_b[], after_call_c[], df_resume[], ts_site[], busy_site[];

/* Task entries: record what the task sees at its first instruction, then run its C part. */
__asm__(".globl task_b_entry\ntask_b_entry:\n\tmov %eax, b_eax\n\tmov %ebx, b_ebx\n"
        "\tpushf\n\tpopl b_flags\n\tljmp $0x50, $0\n"  /* back to task A (SEL_TSS) */
        "\tjmp task_b_entry\n"
        ".globl task_c_entry\ntask_c_entry:\n\tpushf\n\tpopl c_flags\n\tiret\n\tjmp task_c_entry\n"
        ".globl task_d_entry\ntask_d_entry:\n\tpushf\n\tpopl d_flags\n\tiret\n\tjmp task_d_entry\n"
        ".globl task_df_entry\ntask_df_entry:\n\tpopl df_error\n\tmov %esp, df_esp\n"
        "\tcall df_body\n\tiret\n");

void df_body(void) {
  df_link = tss_df[T_LINK] & 0xffff;
  tss_a[T_EIP] = (u32)df_resume;                           /* skip the faulting divide */
  idt_set(0, isr_stubs[0], SEL_CODE32, 0x8e);              /* #DE's gate present again */
}

static void tss_prepare(u32* t, const char* entry, u8* stack_top) {
  for (int i = 0; i < 26; i++) t[i] = 0;
  t[T_EIP] = (u32)entry;
  t[T_EFLAGS] = 0x2;
  t[T_ESP] = (u32)stack_top;
  t[T_ES] = t[T_SS] = t[T_DS] = t[T_FS] = t[T_GS] = SEL_DATA32;
  t[T_CS] = SEL_CODE32;
  t[T_IOMAP] = 26 * 4 << 16;
}

static u32 tss_type(u32 sel) { return (u32)(g_gdt[sel >> 3] >> 40) & 0xf; }

void kmain(u32 magic, void* info) {
  lib_init();
  tss_prepare(tss_a, 0, 0);
  tss_install((u32)tss_a, sizeof tss_a - 1);
  tss_prepare(tss_b, task_b_entry, stack_b + sizeof stack_b);
  tss_b[T_EAX] = 0x1111;
  tss_b[T_EBX] = 0x2222;
  tss_prepare(tss_c, task_c_entry, stack_c + sizeof stack_c);
  tss_prepare(tss_d, task_d_entry, stack_d + sizeof stack_d);
  tss_prepare(tss_df, task_df_entry, stack_df + sizeof stack_df);
  gdt_set(SEL_TSS_B, (u32)tss_b, sizeof tss_b - 1, ACC_TSS32, 0);
  gdt_set(SEL_TSS_C, (u32)tss_c, sizeof tss_c - 1, ACC_TSS32, 0);
  gdt_set(SEL_TSS_D, (u32)tss_d, sizeof tss_d - 1, ACC_TSS32, 0);
  gdt_set(SEL_TSS_DF, (u32)tss_df, sizeof tss_df - 1, ACC_TSS32, 0);
  gdt_set(SEL_TSS_SMALL, (u32)tss_small, 0x20, ACC_TSS32, 0);
  g_gdt[SEL_GATE_C >> 3] = ((u64)SEL_TSS_C << 16) | ((u64)0x85 << 40); /* task gate, DPL 0 */
  idt_set(VEC_TASK, 0, SEL_TSS_D, 0x85);
  idt_set(8, 0, SEL_TSS_DF, 0x85);

  /* JMP to a TSS: task B starts with its TSS's registers and jumps back to task A. */
  __asm__ volatile("ljmp %0, $0\n.globl after_jmp_b\nafter_jmp_b:" ::"i"(SEL_TSS_B) : "memory");
  check(b_eax == 0x1111 && b_ebx == 0x2222, "jmp to a TSS: task B's eax/ebx 0x%x/0x%x", b_eax,
        b_ebx);
  check(!(b_flags & 0x4000), "jmp: NT clear in task B (eflags 0x%x)", b_flags);
  check(tss_a[T_EIP] == (u32)after_jmp_b, "jmp: task A's EIP saved in its TSS");
  check(tss_b[T_EIP] != (u32)task_b_entry && tss_b[T_EAX] == 0x1111,
        "jmp back: task B's state saved in its TSS");
  check(tss_type(SEL_TSS_B) == 0x9 && tss_type(SEL_TSS) == 0xb,
        "jmp: busy bits (B 0x%x, A 0x%x)", tss_type(SEL_TSS_B), tss_type(SEL_TSS));
  check(read_cr0() & 8, "task switch sets CR0.TS");
  __asm__ volatile("clts");

  /* CALL through a task gate, IRET back through the previous-task link. */
  __asm__ volatile("lcall %0, $0\n.globl after_call_c\nafter_call_c:" ::"i"(SEL_GATE_C) : "memory");
  c_link = tss_c[T_LINK] & 0xffff;
  u32 a_flags;
  __asm__ volatile("pushf\n\tpop %0" : "=r"(a_flags));
  check(c_flags & 0x4000, "call through a task gate: NT set in task C");
  check(c_link == SEL_TSS, "call: task C's previous-task link 0x%x", c_link);
  check(!(a_flags & 0x4000), "iret with NT: back in task A with NT clear");
  check(tss_type(SEL_TSS_C) == 0x9 && tss_type(SEL_TSS) == 0xb,
        "iret: busy bits (C 0x%x, A 0x%x)", tss_type(SEL_TSS_C), tss_type(SEL_TSS));
  __asm__ volatile("clts");

  /* INT n through an IDT task gate. */
  __asm__ volatile("int %0" ::"i"(VEC_TASK) : "memory");
  d_link = tss_d[T_LINK] & 0xffff;
  check((d_flags & 0x4000) && d_link == SEL_TSS, "int 0x40 through a task gate: NT, link 0x%x",
        d_link);
  __asm__ volatile("clts");

  /* #DE with a not-present gate: #NP while delivering it makes #DF, through a task gate. */
  idt_set(0, isr_stubs[0], SEL_CODE32, 0x0e);
  __asm__ volatile("xor %%edx, %%edx\n\txor %%eax, %%eax\n\t"
                   "divl %%eax\n.globl df_resume\ndf_resume:" ::
                       : "eax", "edx", "memory");
  check(df_error == 0 && df_link == SEL_TSS, "#DF through a task gate: error %u, link 0x%x",
        df_error, df_link);
  check(df_esp == (u32)(stack_df + sizeof stack_df), "#DF: the error code on task DF's stack");
  check(tss_type(SEL_TSS_DF) == 0x9, "#DF task returned: its TSS available again");
  __asm__ volatile("clts");

  /* Bad targets. */
  TRY(ts_site, "ljmp $0x88, $0");
  check_fault("jmp to a 0x21-byte TSS", 10, SEL_TSS_SMALL, ts_site);
  TRY(busy_site, "ljmp $0x50, $0");
  check_fault("jmp to the busy TSS of task A", 13, SEL_TSS, busy_site);
  (void)magic;
  (void)info;
  finish();
}
