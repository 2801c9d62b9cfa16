/* tests/kernels/devices.c: port-I/O and MMIO checks against each PC device: UART, CMOS/RTC, fw_cfg,
 * i8042, PIT, PIC, debugcon, an unclaimed port, LAPIC and IOAPIC. Every device is programmed here
 * before it is checked, so nothing depends on what a BIOS left behind. */
#include "lib/lib.h"

#define COM1 0x3f8

static u8 cmos_read(u8 reg) {
  outb(0x70, reg);
  return inb(0x71);
}

static int is_bcd(u8 v, u8 max) { return (v & 0xf) <= 9 && (v >> 4) <= 9 && v <= max; }

static void test_uart(void) {
  outb(COM1 + 7, 0x5a);
  u8 scratch = inb(COM1 + 7);
  check(scratch == 0x5a, "uart scratch register: 0x%x", scratch);
  u32 spins = 0;
  while (!(inb(COM1 + 5) & 0x40) && spins < 1000000) spins++;
  check((inb(COM1 + 5) & 0x60) == 0x60, "uart lsr after output drains: THRE TEMT set");
  check((inb(COM1 + 2) & 0xcf) == 0xc1, "uart iir with fifos, nothing pending: 0x%x",
        inb(COM1 + 2) & 0xcf);
  u8 lcr = inb(COM1 + 3);
  check(lcr == 0x03, "uart lcr 8n1: 0x%x", lcr);

  /* Loopback: the transmitted byte comes back on the receiver; MSR mirrors MCR's outputs. Nothing
   * is printed until loopback is off again, since output would loop back too. */
  outb(COM1 + 4, 0x1f);
  inb(COM1 + 6); /* clear the modem-status deltas */
  u8 msr = inb(COM1 + 6);
  while (inb(COM1 + 5) & 1) inb(COM1);
  outb(COM1, 0xa7);
  spins = 0;
  while (!(inb(COM1 + 5) & 1) && spins < 1000000) spins++;
  u8 lsr = inb(COM1 + 5);
  u8 rx = inb(COM1);
  u8 lsr_after = inb(COM1 + 5);
  outb(COM1 + 4, 0x03);
  check((msr & 0xf0) == 0xf0, "uart loopback msr: 0x%x", msr & 0xf0);
  check((lsr & 1) && rx == 0xa7, "uart loopback receive: 0x%x", rx);
  check(!(lsr_after & 1), "uart lsr data-ready clear after the read");
}

static void test_cmos(void) {
  u8 b = cmos_read(0x0b), d = cmos_read(0x0d);
  check(b == 0x02, "cmos register B (24h, BCD): 0x%x", b);
  check(d == 0x80, "cmos register D (valid RAM): 0x%x", d);
  while (cmos_read(0x0a) & 0x80) {
  }
  u8 sec = cmos_read(0x00), min = cmos_read(0x02), hour = cmos_read(0x04);
  u8 day = cmos_read(0x07), month = cmos_read(0x08), year = cmos_read(0x09);
  check(is_bcd(sec, 0x59) && is_bcd(min, 0x59) && is_bcd(hour, 0x23) && is_bcd(day, 0x31) && day &&
            is_bcd(month, 0x12) && month && is_bcd(year, 0x99),
        "rtc time and date are valid BCD");
  /* QEMU stores the memory size for the BIOS: KiB above 1 MiB, 64 KiB blocks above 16 MiB. */
  u32 ext = cmos_read(0x30) | cmos_read(0x31) << 8;
  u32 above16 = cmos_read(0x34) | cmos_read(0x35) << 8;
  check(ext == 0xfc00, "cmos extended memory (0x30): %u KiB", ext);
  check(above16 == 0x300, "cmos memory above 16 MiB (0x34): %u x 64 KiB", above16);
}

static void fw_cfg_select(u16 key) { outw(0x510, key); }

static void test_fw_cfg(void) {
  fw_cfg_select(0x0000);
  char sig[5];
  for (int i = 0; i < 4; i++) sig[i] = (char)inb(0x511);
  sig[4] = 0;
  check(sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U', "fw_cfg signature '%s'",
        sig);
  fw_cfg_select(0x0003); /* FW_CFG_RAM_SIZE, 64-bit little-endian */
  u64 ram = 0;
  for (int i = 0; i < 8; i++) ram |= (u64)inb(0x511) << (8 * i);
  check(ram == 64ull << 20, "fw_cfg ram size 0x%llx", ram);
  fw_cfg_select(0x0005); /* FW_CFG_NB_CPUS, 16-bit */
  u32 cpus = inb(0x511) | inb(0x511) << 8;
  check(cpus == 1, "fw_cfg cpu count %u", cpus);
}

static void test_i8042(void) {
  while (inb(0x64) & 1) inb(0x60);
  outb(0x64, 0xaa);
  u32 spins = 0;
  while (!(inb(0x64) & 1) && spins < 1000000) spins++;
  u8 r = inb(0x60);
  check(r == 0x55, "i8042 self-test: 0x%x", r);
}

static u32 pit_latch0(void) {
  outb(0x43, 0x00);
  u32 lo = inb(0x40);
  return lo | inb(0x40) << 8;
}

static void test_pit(void) {
  outb(0x43, 0x30); /* channel 0, lobyte/hibyte, mode 0 */
  outb(0x40, 0xff);
  outb(0x40, 0xff);
  u32 first = pit_latch0(), second = first;
  for (u32 i = 0; i < 1000000 && second == first; i++) second = pit_latch0();
  check(second < first, "pit channel 0 latched count decreases");
  outb(0x43, 0xe2); /* read-back: status of channel 0 */
  u8 status = inb(0x40);
  check((status & 0x3f) == 0x30, "pit read-back status: mode 0 lo/hi: 0x%x", status & 0x3f);
}

static void test_pic(void) {
  outb(0x21, 0xa5);
  outb(0xa1, 0x5a);
  u8 m = inb(0x21), s = inb(0xa1);
  check(m == 0xa5 && s == 0x5a, "pic imr read-back: 0x%x 0x%x", m, s);
  outb(0x21, 0xff);
  outb(0xa1, 0xff);
}

static void test_misc_ports(void) {
  const char* msg = "debugcon\n";
  while (*msg) outb(0xe9, (u8)*msg++);
  check(inb(0xe9) == 0xe9, "debugcon port reads 0xe9");
  u8 b = inb(0x100);
  u16 w = inw(0x100);
  u32 l = inl(0x100);
  check(b == 0xff && w == 0xffff && l == 0xffffffff, "unclaimed port 0x100: 0x%x 0x%x 0x%x", b, w,
        l);
}

static void test_apics(void) {
  u32 lapic_version = mmio_read(0xfee00030);
  check(lapic_version == 0x50014, "lapic version register: 0x%x", lapic_version);
  u32 lapic_id = mmio_read(0xfee00020) >> 24;
  check(lapic_id == 0, "lapic id: %u", lapic_id);
  mmio_write(0xfec00000, 0x01);
  u32 ioapic_version = mmio_read(0xfec00010);
  /* QEMU 7.2's IOAPIC reports version 0x20 with 24 redirection entries. */
  check(ioapic_version == 0x170020, "ioapic version register: 0x%x", ioapic_version);
  mmio_write(0xfec00000, 0x10); /* redirection entry 0, low half: masked after reset */
  check(mmio_read(0xfec00010) & 0x10000, "ioapic redirection 0 masked");
}

void kmain(u32 magic, void* info) {
  lib_init();
  kputs("devices: port I/O and MMIO\n");
  test_uart();
  test_cmos();
  test_fw_cfg();
  test_i8042();
  test_pit();
  test_pic();
  test_misc_ports();
  test_apics();
  finish();
}
