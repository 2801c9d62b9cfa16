/* tests/kernels/icount.c: prints the TSC and the PIT's channel 0 counter at fixed points: after a
 * fixed loop, after HLT wake-ups by PIT interrupts, after port I/O. Under `doppel boot --icount`
 * time is the instruction count (plus the time skipped while halted), so two runs print the same
 * numbers; with the host clock they differ (tests/system/boot_test.cpp checks both). There is no
 * .expected transcript: QEMU's clock, -icount included, counts differently. */
#include "lib/lib.h"

#define LAPIC 0xfee00000u
enum { VEC_PIT = 0x20, VEC_SPURIOUS = 0xff, PIT_HZ = 1193182 };

static volatile u32 ticks;

static void pit_handler(struct frame* f) {
  ticks++;
  outb(0x20, 0x20);
}

static u32 pit_counter(void) {
  outb(0x43, 0x00); /* latch channel 0 */
  u32 lo = inb(0x40);
  return lo | (u32)inb(0x40) << 8;
}

void kmain(u32 magic, void* info) {
  lib_init();
  kputs("icount: tsc and pit readings\n");
  u64 t0 = rdtsc();
  for (volatile u32 i = 0; i < 10000; i++) {
  }
  u64 t1 = rdtsc();
  kprintf("tsc at start %llx, after a 10000-iteration loop %llx\n", t0, t1);

  mmio_write(LAPIC + 0xf0, 0x100 | VEC_SPURIOUS);
  mmio_write(LAPIC + 0x350, 0x700);
  outb(0x20, 0x11);
  outb(0xa0, 0x11);
  outb(0x21, 0x20);
  outb(0xa1, 0x28);
  outb(0x21, 0x04);
  outb(0xa1, 0x02);
  outb(0x21, 0x01);
  outb(0xa1, 0x01);
  outb(0x21, 0xfe); /* IRQ 0 only */
  outb(0xa1, 0xff);
  g_handlers[VEC_PIT] = pit_handler;
  outb(0x43, 0x34); /* channel 0, lo/hi, mode 2 */
  outb(0x40, (PIT_HZ / 1000) & 0xff);
  outb(0x40, (PIT_HZ / 1000) >> 8);

  u64 prev = t1;
  for (u32 n = 1; n <= 3; n++) {
    while (ticks < n) __asm__ volatile("sti; hlt; cli" ::: "memory");
    u64 t = rdtsc();
    u32 pit = pit_counter();
    kprintf("tick %u: tsc %llx pit %u\n", n, t, pit);
    check(t > prev, "tick %u: tsc advanced", n);
    prev = t;
  }
  outb(0x21, 0xff);
  for (u32 i = 0; i < 100; i++) io_delay();
  kprintf("after 100 port writes: tsc %llx pit %u\n", rdtsc(), pit_counter());
  finish();
}
