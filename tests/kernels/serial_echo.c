/* tests/kernels/serial_echo.c: interrupt-driven serial input: COM1's receive interrupt (IER bit 0)
 * through the 8259 (IRQ 4, vector 0x24) wakes the kernel from HLT, the handler drains the UART
 * into a ring, and the kernel prints "got: <line>" for each line it reads; "quit" ends the run.
 * The test feeds stdin (tests/kernels/serial_echo.input). The UART's FIFO stays off: enabling it
 * resets the receive side, which would lose input that reached the UART before the kernel did; in
 * holding-register mode the first byte waits there and the sender waits for it to be read. */
#include "lib/lib.h"

#define COM1 0x3f8
#define LAPIC 0xfee00000u
enum { VEC_COM1 = 0x24, VEC_SPURIOUS = 0xff, LINE_MAX = 80 };

static volatile char ring[256];
static volatile u32 head, tail, irqs;

static void com1_handler(struct frame* f) {
  irqs++;
  while (inb(COM1 + 5) & 0x01) ring[head++ & 255] = (char)inb(COM1);
  outb(0x20, 0x20);
}

static char next_char(void) {
  cli();
  while (tail == head) __asm__ volatile("sti; hlt; cli" ::: "memory");
  char c = ring[tail++ & 255];
  sti();
  return c;
}

static int streq(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

void kmain(u32 magic, void* info) {
  /* lib_init's serial_init would enable (and so reset) the FIFO: set up COM1 without it. */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x80);
  outb(COM1 + 0, 0x01);
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03);
  outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2 (the IRQ enable on a real PC) */
  gdt_init();
  idt_init();
  kputs("serial_echo: type lines, \"quit\" ends\n");

  /* The LAPIC in virtual-wire mode so the 8259 reaches the CPU, then the 8259 at 0x20/0x28 with
   * only IRQ 4 unmasked. */
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
  outb(0x21, 0xef);
  outb(0xa1, 0xff);
  g_handlers[VEC_COM1] = com1_handler;
  outb(COM1 + 1, 0x01); /* receive-data interrupt */

  char line[LINE_MAX + 1];
  u32 n = 0, lines = 0;
  for (;;) {
    char c = next_char();
    if (c == '\r') continue;
    if (c != '\n') {
      if (n < LINE_MAX) line[n++] = c;
      continue;
    }
    line[n] = 0;
    n = 0;
    lines++;
    kprintf("got: %s\n", line);
    if (streq(line, "quit")) break;
  }
  outb(COM1 + 1, 0x00);
  check(irqs > 0, "serial_echo: %u lines read through the receive interrupt", lines);
  finish();
}
