/* tests/kernels/reset.c: the reset path through the PCI reset control register (port 0xcf9). With
 * -no-reboot QEMU treats the reset as a shutdown and exits with status 0, so this kernel's success
 * is status 0, not 33; reaching the code after the write is a failure. */
#include "lib/lib.h"

void kmain(u32 magic, void *info) {
  serial_init();
  kputs("reset: writing 0x06 (hard reset) to port 0xcf9\n");
  outb(0xcf9, 0x02);
  outb(0xcf9, 0x06);
  for (volatile u32 i = 0; i < 1000000; i++) {
  }
  kputs("reset: still running after the reset write\n");
  kexit(0x01);
}
