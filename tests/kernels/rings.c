/* tests/kernels/rings.c: privilege levels. 32-bit: iret to ring 3, int 0x80 through a DPL-3 trap
 * gate with the TSS stack switch, a DPL-0 gate and privileged instructions at CPL 3 (#GP), IN/OUT
 * through the TSS I/O permission bitmap, SYSENTER/SYSEXIT and a call gate. Long mode (rings.asm):
 * SYSCALL/SYSRET with STAR/LSTAR/SFMASK, SWAPGS with KernelGSbase and an IST stack switch. */
#include "lib/lib.h"

enum {
  SEL_SE_CODE = SEL_SPARE, /* SYSENTER_CS: ring-0 code, +8 data, +16 ring-3 code, +24 data */
  SEL_SE_DATA = SEL_SPARE + 8,
  SEL_SE_UCODE = SEL_SPARE + 16,
  SEL_SE_UDATA = SEL_SPARE + 24,
  SEL_CALL_GATE = SEL_SPARE + 32,
  VEC_SYSCALL = 0x80,
  VEC_KERNEL_ONLY = 0x30,
  VEC_IST = 0x82,
};

struct tss_iomap {
  u32 regs[26];
  u8 bitmap[8192 + 1];
} __attribute__((packed, aligned(128)));
static struct tss_iomap tss_io;

static u8 user_stack[4096] __attribute__((aligned(16)));
static volatile u32 user_esp_at_int, int80_ok, int80_frame_in_tss_stack, int80_ss, int80_cs;
static volatile u32 user_result, user_cs_seen, user_ss_seen;

extern char gp_gate_site[], gp_hlt_site[], gp_cr3_site[], gp_in_site[], gp_out_site[], io_ok_site[];
extern u32 sysenter_seen[4], callgate_seen[6];
extern char sysenter_entry[], callgate_entry[], after_sysexit[], after_callgate[];

static void int80_handler(struct frame* f) {
  u32 ss;
  __asm__ volatile("mov %%ss, %0" : "=r"(ss));
  int80_ss = ss;
  int80_cs = f->cs;
  u32 esp0 = g_tss[1];
  int80_frame_in_tss_stack = (u32)f < esp0 && (u32)f > esp0 - 512;
  int80_ok = f->user_esp == user_esp_at_int && f->user_ss == (SEL_UDATA | 3);
  f->eax = f->ebx + 1;
}

static void user_int80(void) {
  u32 r;
  __asm__ volatile("mov %%esp, user_esp_at_int\n\tint $0x80" : "=a"(r) : "b"(41) : "memory");
  user_result = r;
  USER_EXIT();
}

static void user_gate(void) {
  TRY(gp_gate_site, "int $0x30");
  USER_EXIT();
}
static void user_hlt(void) {
  TRY(gp_hlt_site, "hlt");
  USER_EXIT();
}
static void user_cr3(void) {
  TRY(gp_cr3_site, "mov %%cr3, %%eax", "eax");
  USER_EXIT();
}
static void user_io_denied_in(void) {
  TRY(gp_in_site, "inb $0x64, %%al", "eax");
  USER_EXIT();
}
static void user_io_denied_out(void) {
  TRY(gp_out_pre, "mov $0x3fe, %%dx\n.globl gp_out_site\ngp_out_site:\n\toutb %%al, %%dx", "edx");
  USER_EXIT();
}
static volatile u32 io_scratch;
static void user_io_allowed(void) {
  TRY(io_ok_site,
      "mov $0x3ff, %%dx\n\tmov $0x3c, %%al\n\toutb %%al, %%dx\n\txor %%eax, %%eax\n\t"
      "inb %%dx, %%al\n\tmov %%eax, io_scratch",
      "eax", "edx");
  USER_EXIT();
}

static void user_sysenter(void) {
  u32 r;
  __asm__ volatile(
      "mov $after_sysexit, %%edx\n\tmov %%esp, %%ecx\n\tsysenter\n"
      ".globl after_sysexit\nafter_sysexit:\n\t"
      "mov %%cs, user_cs_seen\n\tmov %%ss, user_ss_seen"
      : "=a"(r)
      :
      : "ecx", "edx", "memory");
  user_result = r;
  USER_EXIT();
}

static void user_callgate(void) {
  u32 r;
  __asm__ volatile(
      "lcall $0x83, $0\n.globl after_callgate\nafter_callgate:\n\t"
      "mov %%cs, user_cs_seen\n\tmov %%ss, user_ss_seen"
      : "=a"(r)
      :
      : "memory");
  user_result = r;
  USER_EXIT();
}

static u32 user_sp(void) { return (u32)(user_stack + sizeof user_stack); }

static void test_rings32(void) {
  g_handlers[VEC_SYSCALL] = int80_handler;
  idt_set(VEC_SYSCALL, isr_stubs[VEC_SYSCALL], SEL_CODE32, 0xef); /* DPL-3 trap gate */
  enter_user((u32)user_int80, user_sp());
  check(user_result == 42, "int 0x80 from ring 3: handler result %u", user_result);
  check(int80_cs == (SEL_UCODE32 | 3), "  frame cs 0x%x (ring 3)", int80_cs);
  check(int80_ok, "  frame user esp/ss are the ring-3 ones");
  check(int80_ss == SEL_DATA32 && int80_frame_in_tss_stack,
        "  handler runs on the TSS ss0:esp0 stack (ss 0x%x)", int80_ss);

  enter_user((u32)user_gate, user_sp());
  check_fault("int 0x30 through a DPL-0 gate", 13, VEC_KERNEL_ONLY * 8 + 2, gp_gate_site);
}

static void user_cli(void) {
  TRY(gp_cli_only_site, "cli");
  USER_EXIT();
}
extern char gp_cli_only_site[];

static void test_privileged(void) {
  enter_user((u32)user_cli, user_sp());
  check_fault("cli at CPL 3, IOPL 0", 13, 0, gp_cli_only_site);
  enter_user((u32)user_hlt, user_sp());
  check_fault("hlt at CPL 3", 13, 0, gp_hlt_site);
  enter_user((u32)user_cr3, user_sp());
  check_fault("mov from cr3 at CPL 3", 13, 0, gp_cr3_site);

  /* A TSS with an I/O bitmap allowing only the UART scratch register 0x3ff. */
  for (u32 i = 0; i < 26; i++) tss_io.regs[i] = g_tss[i];
  for (u32 i = 0; i < sizeof tss_io.bitmap; i++) tss_io.bitmap[i] = 0xff;
  tss_io.bitmap[0x3ff / 8] &= (u8) ~(1u << (0x3ff % 8));
  tss_io.regs[25] = 104u << 16;
  tss_install((u32)&tss_io, sizeof tss_io - 1);
  enter_user((u32)user_io_denied_in, user_sp());
  check_fault("inb 0x64 at CPL 3, port denied by the bitmap", 13, 0, gp_in_site);
  enter_user((u32)user_io_denied_out, user_sp());
  check_fault("outb 0x3fe at CPL 3, port denied by the bitmap", 13, 0, gp_out_site);
  enter_user((u32)user_io_allowed, user_sp());
  check(g_fault.count == 0 && io_scratch == 0x3c, "out/in 0x3ff at CPL 3, allowed: 0x%x",
        io_scratch);
  clear_fault();
}

static void test_sysenter_callgate(void) {
  gdt_set(SEL_SE_CODE, 0, 0xfffff, ACC_CODE0, FLG_32);
  gdt_set(SEL_SE_DATA, 0, 0xfffff, ACC_DATA0, FLG_32);
  gdt_set(SEL_SE_UCODE, 0, 0xfffff, ACC_CODE3, FLG_32);
  gdt_set(SEL_SE_UDATA, 0, 0xfffff, ACC_DATA3, FLG_32);
  static u8 sysenter_stack[1024] __attribute__((aligned(16)));
  u32 stack_top = (u32)(sysenter_stack + sizeof sysenter_stack);
  wrmsr(0x174, SEL_SE_CODE);
  wrmsr(0x175, stack_top);
  wrmsr(0x176, (u32)sysenter_entry);
  enter_user((u32)user_sysenter, user_sp());
  check(sysenter_seen[0] == SEL_SE_CODE && sysenter_seen[1] == SEL_SE_DATA,
        "sysenter: cs 0x%x ss 0x%x", sysenter_seen[0], sysenter_seen[1]);
  check(sysenter_seen[2] == stack_top, "sysenter: esp from IA32_SYSENTER_ESP");
  check(!(sysenter_seen[3] & 0x200), "sysenter: IF cleared");
  check(user_result == 0x5e5e && user_cs_seen == (SEL_SE_UCODE | 3) &&
            user_ss_seen == (SEL_SE_UDATA | 3),
        "sysexit: back in ring 3 with cs 0x%x ss 0x%x", user_cs_seen, user_ss_seen);

  /* A DPL-3 32-bit call gate to ring-0 code: stack switch to esp0, pushes ss, esp, cs, eip. */
  u32 off = (u32)callgate_entry;
  g_gdt[SEL_CALL_GATE >> 3] =
      (off & 0xffff) | ((u64)SEL_CODE32 << 16) | ((u64)0xec << 40) | ((u64)(off >> 16) << 48);
  enter_user((u32)user_callgate, user_sp());
  u32 esp0 = g_tss[1];
  check(callgate_seen[0] == SEL_CODE32 && callgate_seen[1] == esp0 - 16,
        "call gate: target cs 0x%x, on the TSS stack", callgate_seen[0]);
  check(callgate_seen[2] == (u32)after_callgate && callgate_seen[3] == (SEL_UCODE32 | 3) &&
            callgate_seen[5] == (SEL_UDATA | 3),
        "call gate: pushed return cs:eip and ss 0x%x", callgate_seen[5]);
  check(user_result == 0xca11 && user_cs_seen == (SEL_UCODE32 | 3),
        "call gate: far return to ring 3");
}

/* Long mode. */
static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pds[4][512] __attribute__((aligned(4096)));
static u32 tss64[26] __attribute__((aligned(128)));
static u8 ist_stack[1024] __attribute__((aligned(16)));
static u8 rsp0_stack[1024] __attribute__((aligned(16)));
extern u64 ring64_seen[16], kgs_area[2];
extern char ring64_run[], ring64_ist_entry[], ring64_syscall_entry[], ring64_user_syscall_ret[],
    syscall_stack_top[];

static void test_long(void) {
  long_identity_map(pml4, pdpt, pds);
  pml4[0] |= 4;
  for (u32 i = 0; i < 4; i++) {
    pdpt[i] |= 4;
    for (u32 j = 0; j < 512; j++) pds[i][j] |= 4;
  }
  idt64_init();
  idt64_set(VEC_IST, (u32)ring64_ist_entry, 1, 0xee);
  u32 ist_top = (u32)(ist_stack + sizeof ist_stack);
  /* 64-bit TSS: rsp0 at offset 4, ist1 at offset 36 (as u32 halves). */
  tss64[1] = (u32)(rsp0_stack + sizeof rsp0_stack);
  tss64[9] = ist_top;
  tss64[25] = 104u << 16;
  tss_install((u32)tss64, 103);
  wrmsr(0xc0000080, rdmsr(0xc0000080) | 1); /* EFER.SCE */
  long_call((u32)pml4, ring64_run, 0);

  check(ring64_seen[0] == (SEL_UCODE64 | 3) && ring64_seen[1] == (SEL_UDATA | 3),
        "sysret: ring 3 with cs 0x%x ss 0x%x", (u32)ring64_seen[0], (u32)ring64_seen[1]);
  check(ring64_seen[2] == SEL_CODE64 && ring64_seen[3] == SEL_DATA64,
        "syscall: cs 0x%x ss 0x%x from STAR", (u32)ring64_seen[2], (u32)ring64_seen[3]);
  check((ring64_seen[4] & 0x600) == 0, "syscall: SFMASK cleared IF and DF");
  check(ring64_seen[5] == (u32)ring64_user_syscall_ret, "syscall: rcx = return rip");
  check((ring64_seen[6] & 0x400) && (ring64_seen[6] & 0x3) == 2, "syscall: r11 = user rflags (DF)");
  check(ring64_seen[7] == ring64_seen[15] && kgs_area[0] == ring64_seen[15],
        "swapgs: user rsp saved through KernelGSbase");
  check(ring64_seen[8] == 0x4321 && ring64_seen[13] == (SEL_UCODE64 | 3),
        "sysret: rax 0x%x back in ring 3", (u32)ring64_seen[8]);
  check((ring64_seen[14] & 0x400) != 0, "sysret: rflags restored from r11 (DF)");
  check(ring64_seen[9] == 0x7777, "swapgs back: user gs base");
  check(ring64_seen[10] < ist_top && ring64_seen[10] >= ist_top - 64,
        "int 0x82 from ring 3: on the IST1 stack");
  check(ring64_seen[11] == (SEL_UCODE64 | 3) && ring64_seen[12] == (SEL_UDATA | 3),
        "  frame cs 0x%x ss 0x%x", (u32)ring64_seen[11], (u32)ring64_seen[12]);
}

void kmain(u32 magic, void* info) {
  lib_init();
  user_init();
  kputs("rings: privilege levels\n");
  test_rings32();
  test_privileged();
  test_sysenter_callgate();
  test_long();
  finish();
}
