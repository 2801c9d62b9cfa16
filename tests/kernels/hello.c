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
  kprintf("info flags: 0x%x\n", mbi->flags);
  if (mbi->flags & (1u << 2)) print_cmdline((const char*)mbi->cmdline);
  if (mbi->flags & 1u)
    kprintf("mem_lower %u KiB, mem_upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
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
  if (mbi->flags & (1u << 9)) kprintf("boot loader: '%s'\n", (const char*)mbi->boot_loader_name);
  /* QEMU's multiboot option ROM builds the map from SeaBIOS's e820 table, so mem_upper (64384 KiB
   * for -m 64) stops where SeaBIOS reserves the top 128 KiB of RAM, and QEMU 7.2 adds a reserved
   * entry at 0xfd00000000 (the HyperTransport hole) even for a 64 MiB machine. */
  if (mbi->flags & (1u << 6)) {
    u32 n = 0;
    for (u32 p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length; n++) {
      const struct mb_mmap* e = (const struct mb_mmap*)p;
      kprintf("mmap %u: base 0x%llx length 0x%llx type %u\n", n, e->base, e->length, e->type);
      p += e->size + 4;
    }
  }
  extern char _start_of_kernel[];
  check((u32)_start_of_kernel == 0x100000, "loaded at 0x%x", (u32)_start_of_kernel);
  finish();
}
