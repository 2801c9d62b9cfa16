/* tests/kernels/reboot.c: a reset that reboots. Without -no-reboot QEMU's firmware loads the
 * kernel again after a reset, and CMOS RAM keeps its contents: boot 1 resets through port 0xcf9,
 * boot 2 triple-faults (an empty IDT), boot 3 reports and exits through isa-debug-exit. The boot
 * count lives in CMOS byte 0x48, which neither QEMU's firmware nor doppel's loader touches. */
#include "lib/lib.h"

#define BOOT_COUNT 0x48

static u8 cmos_read(u8 reg) {
  outb(0x70, reg);
  return inb(0x71);
}

static void cmos_write(u8 reg, u8 v) {
  outb(0x70, reg);
  outb(0x71, v);
}

void kmain(u32 magic, void *info) {
  serial_init();
  u8 boot = cmos_read(BOOT_COUNT) + 1;
  cmos_write(BOOT_COUNT, boot);
  kprintf("reboot: boot %d, multiboot magic 0x%x\n", boot, magic);
  if (boot == 1) {
    kputs("reboot: hard reset through port 0xcf9\n");
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06);
    for (volatile u32 i = 0; i < 1000000; i++) {
    }
    kputs("reboot: still running after the reset write\n");
    kexit(0x01);
  }
  if (boot == 2) {
    kputs("reboot: triple fault (int3 with an empty IDT)\n");
    struct __attribute__((packed)) {
      u16 limit;
      u32 base;
    } empty = {0, 0};
    __asm__ volatile("lidt %0\n\tint3" ::"m"(empty));
    kputs("reboot: still running after the triple fault\n");
    kexit(0x01);
  }
  cmos_write(BOOT_COUNT, 0);
  check(boot == 3, "third boot after a reset and a triple fault: boot %d", boot);
  finish();
}
