/* tests/kernels/modes.c: processor modes: 32-bit protected mode, a trip through a 16-bit segment to
 * real mode (IVT interrupt, segment arithmetic, 66/67 prefixes) and back, then long mode (64-bit
 * arithmetic, RIP-relative addressing, #UD on an IST stack) and a compatibility-mode far call. Each
 * mode prints its own line. Assembly in modes.asm. */
#include "lib/lib.h"

extern void real_mode_trip(void);
extern const u32 rm_results_offset;
extern char modes64[], ud_ist_handler[], ud_site64[], ist_stack_top[];
extern u64 modes64_results[12];

static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pds[4][512] __attribute__((aligned(4096)));
static u32 tss64[26] __attribute__((aligned(128)));

void kmain(u32 magic, void* info) {
  lib_init();
  kputs("protected mode: hello from 32-bit C\n");

  real_mode_trip();
  idt_load();
  kputs("protected mode: back from real mode\n");
  const volatile u8* r = (const volatile u8*)(0x7000 + rm_results_offset);
  u16 bx = *(const volatile u16*)(r + 0);
  check(bx == 0xbeef && r[2] == 1, "real mode int 0x61 through the IVT: bx 0x%x, CF kept", bx);
  check(*(const volatile u16*)(r + 4) == 0x5a5a, "real mode 0800:0010 == 0801:0000");
  check(*(const volatile u16*)(r + 6) == 0 && r[8] == 1, "real mode 0xffff + 1 = 0, CF=1");
  check(*(const volatile u32*)(r + 12) == 0x2468acf0, "real mode 66-prefixed add: 0x%x",
        *(const volatile u32*)(r + 12));
  check(*(const volatile u32*)(r + 16) == 0xcafef00d, "real mode 67-prefixed [esi+ecx*4]: 0x%x",
        *(const volatile u32*)(r + 16));

  long_identity_map(pml4, pdpt, pds);
  idt64_init();
  idt64_set(6, (u32)ud_ist_handler, 1, 0x8e);
  tss64[9] = (u32)ist_stack_top; /* ist1 */
  tss64[25] = 104u << 16;
  tss_install((u32)tss64, 103);
  long_call((u32)pml4, modes64, 0);
  kputs("protected mode: back from long mode\n");
  check(modes64_results[0] == 0x3456789abcdef012ull, "64-bit rol: 0x%llx", modes64_results[0]);
  check(modes64_results[1] == 0xf, "64-bit mul high half: 0x%llx", modes64_results[1]);
  check(modes64_results[2] == 1, "rip-relative lea equals the absolute address");
  check(modes64_results[3] == 0x0123456789abcdefull, "rip-relative load: 0x%llx",
        modes64_results[3]);
  check(modes64_results[4] == (u32)ud_site64, "#UD in long mode: frame rip at ud2");
  u32 top = (u32)ist_stack_top;
  check(modes64_results[5] == top - 40, "#UD handler on the IST1 stack (rsp = ist1 - 40)");
  check(modes64_results[6] == 1 && modes64_results[7] == SEL_CODE64,
        "compatibility-mode far call: 32-bit result %u, back in cs 0x%x", (u32)modes64_results[6],
        (u32)modes64_results[7]);
  check(modes64_results[8] == 8, "push rbx after a 16-bit push/pop: 8 bytes");
  finish();
}
