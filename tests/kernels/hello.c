/* tests/kernels/hello.c: multiboot v1 ELF kernel: boot magic, command line, memory info and the
 * memory map from the multiboot info structure. */
#include "lib/lib.h"

struct mb_info {
  u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  u32 syms[4];
  u32 mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_mmap {
  u32 size;
  u64 base, length;
  u32 type;
} __attribute__((packed));

struct mb_module {
  u32 start, end, string, reserved;
};

/* QEMU passes "<kernel path> <append>" as the command line; print the path's last component only so
 * the transcript does not depend on where the build directory is. */
static void print_cmdline(const char* cmd) {
  const char* word_end = cmd;
  while (*word_end && *word_end != ' ') word_end++;
  const char* base = cmd;
  for (const char* p = cmd; p < word_end; p++)
    if (*p == '/') base = p + 1;
  kputs("hello from ");
  for (const char* p = base; p < word_end; p++) kputc(*p);
  kprintf("\nargs: '%s'\n", *word_end ? word_end + 1 : "");
}

void kmain(u32 magic, struct mb_info* mbi) {
  serial_init();
  check(magic == 0x2badb002, "boot magic 0x%x", magic);
  /* Only what every multiboot loader must provide is printed exactly; QEMU adds boot_device and
   * builds its map from SeaBIOS's e820 table (mem_upper stops where SeaBIOS reserves the top 128 KiB
   * of RAM, plus ROM and HyperTransport entries), doppel has no BIOS: the rest is checked. */
  kprintf("info flags (mem, cmdline, mods, mmap, name): 0x%x\n", mbi->flags & 0x24d);
  if (mbi->flags & (1u << 2)) print_cmdline((const char*)mbi->cmdline);
  if (mbi->flags & 1u) {
    kprintf("mem_lower %u KiB\n", mbi->mem_lower);
    check(mbi->mem_upper >= 63 * 1024 - 1024 && mbi->mem_upper <= 63 * 1024,
          "mem_upper within the top MiB of 64 MiB RAM");
  }
  if (mbi->flags & (1u << 3)) {
    kprintf("modules: %u\n", mbi->mods_count);
    const struct mb_module* m = (const struct mb_module*)mbi->mods_addr;
    for (u32 i = 0; i < mbi->mods_count; i++) {
      const char *name = (const char*)m[i].string, *base = name;
      for (const char* p = name; *p && *p != ' '; p++)
        if (*p == '/') base = p + 1;
      kprintf("module %u: %u bytes, page aligned %u, name '%s', first byte '%c'\n", i,
              m[i].end - m[i].start, (m[i].start & 0xfff) == 0, base, *(const char*)m[i].start);
    }
  }
  if (mbi->flags & (1u << 9))
    check(((const char*)mbi->boot_loader_name)[0] != 0, "boot loader name present");
  if (mbi->flags & (1u << 6)) {
    int low_ok = 0, high_ok = 0, ebda_reserved = 0, bios_reserved = 0;
    for (u32 p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length;) {
      const struct mb_mmap* e = (const struct mb_mmap*)p;
      if (e->type == 1 && e->base == 0 && e->length == 0x9fc00) low_ok = 1;
      if (e->type == 1 && e->base == 0x100000 && e->length == (u64)mbi->mem_upper * 1024)
        high_ok = 1;
      if (e->type == 2 && e->base == 0x9fc00 && e->length == 0x400) ebda_reserved = 1;
      if (e->type == 2 && e->base == 0xf0000 && e->length == 0x10000) bios_reserved = 1;
      p += e->size + 4;
    }
    check(low_ok, "mmap: [0, 0x9fc00) available");
    check(high_ok, "mmap: [1 MiB, 1 MiB + mem_upper) available");
    check(ebda_reserved && bios_reserved, "mmap: 0x9fc00 and 0xf0000 areas reserved");
  }
  extern char _start_of_kernel[];
  check((u32)_start_of_kernel == 0x100000, "loaded at 0x%x", (u32)_start_of_kernel);
  finish();
}
