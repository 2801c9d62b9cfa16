/* tests/kernels/segments.c: limit and type checks on data accesses through loaded segments
 * (Intel SDM Vol. 3A 5.3 and 5.4): a read-only segment, expand-up and expand-down limits, the 4
 * GiB top of an expand-down segment, a null ES, and instruction fetch past the CS limit. QEMU (TCG) makes none of these checks, so
 * segments.expected follows the SDM (what hardware raises), not QEMU; qemu-check skips it. */
#include "lib/lib.h"

enum {
  SEL_READ_ONLY = SEL_SPARE,      /* read-only data, flat */
  SEL_SMALL = SEL_SPARE + 8,      /* data, byte-granular limit 0xfff */
  SEL_DOWN = SEL_SPARE + 16,      /* expand-down data, limit 0xfff, B = 1: offsets 0x1000.. */
  SEL_SMALL16 = SEL_SPARE + 24,   /* data, limit 0xfff, for FS */
  SEL_SMALL_CODE = SEL_SPARE + 32, /* code at small_code, limit 3: four bytes */
};

/* Four NOPs inside the limit, then a fifth at offset 4, past it: #GP(0) with EIP 4. */
__asm__(".globl small_code\nsmall_code:\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\tlret\n");
extern char small_code[], fetch_resume[];
static volatile u32 fetch_faults, fetch_eip, fetch_cs, fetch_error;

static void fetch_gp(struct frame* f) {
  fetch_faults++;
  fetch_eip = f->eip;
  fetch_cs = f->cs;
  fetch_error = f->error;
  f->cs = SEL_CODE32;
  f->eip = (u32)fetch_resume;
}

extern char ro_write_site[], ro_read_site[], up_ok_site[], up_cross_site[], down_ok_site[],
    down_low_site[], down_top_site[], down_wrap_site[], null_es_site[], fs_byte_site[],
    fs_word_site[];

static void no_fault(const char* name) {
  check(g_fault.count == 0, "%s: no exception", name);
  clear_fault();
}

void kmain(u32 magic, void* info) {
  lib_init();
  gdt_set(SEL_READ_ONLY, 0, 0xfffff, 0x90, FLG_32);
  gdt_set(SEL_SMALL, 0, 0xfff, 0x92, 0x4);
  gdt_set(SEL_DOWN, 0, 0xfff, 0x96, 0x4);
  gdt_set(SEL_SMALL16, 0, 0xfff, 0x92, 0x4);

  __asm__ volatile("mov %w0, %%es" ::"r"(SEL_READ_ONLY));
  TRY(ro_read_site, "mov %%es:0x1000, %%eax", "eax");
  no_fault("read through a read-only data segment");
  TRY(ro_write_site, "movl $1, %%es:0x1000");
  check_fault("write through a read-only data segment", 13, 0, ro_write_site);

  __asm__ volatile("mov %w0, %%es" ::"r"(SEL_SMALL));
  TRY(up_ok_site, "mov %%es:0xffc, %%eax", "eax");
  no_fault("dword at 0xffc, limit 0xfff");
  TRY(up_cross_site, "mov %%es:0xffd, %%eax", "eax");
  check_fault("dword at 0xffd crossing the limit 0xfff", 13, 0, up_cross_site);

  __asm__ volatile("mov %w0, %%es" ::"r"(SEL_DOWN));
  TRY(down_ok_site, "mov %%es:0x1000, %%eax", "eax");
  no_fault("expand-down: dword at 0x1000, above the limit 0xfff");
  TRY(down_low_site, "mov %%es:0xfff, %%al", "eax");
  check_fault("expand-down: byte at the limit 0xfff", 13, 0, down_low_site);
  TRY(down_top_site, "mov %%es:0xfffffffc, %%eax", "eax");
  no_fault("expand-down: dword at 0xfffffffc");
  TRY(down_wrap_site, "mov %%es:0xfffffffd, %%eax", "eax");
  check_fault("expand-down: dword at 0xfffffffd past 4 GiB", 13, 0, down_wrap_site);
  __asm__ volatile("mov %w0, %%es" ::"r"(SEL_DATA32));

  __asm__ volatile("mov %w0, %%fs" ::"r"(SEL_SMALL16));
  TRY(fs_byte_site, "movb $7, %%fs:0xfff");
  no_fault("fs: byte written at its limit 0xfff");
  TRY(fs_word_site, "movw $7, %%fs:0xfff");
  check_fault("fs: word written at its limit 0xfff", 13, 0, fs_word_site);
  __asm__ volatile("mov %w0, %%fs" ::"r"(SEL_DATA32));

  /* A null ES: loading it is allowed, using it is #GP(0). */
  __asm__ volatile("mov %w0, %%es" ::"r"(0));
  TRY(null_es_site, "mov %%es:0x1000, %%eax", "eax");
  __asm__ volatile("mov %w0, %%es" ::"r"(SEL_DATA32));
  check_fault("read through a null ES", 13, 0, null_es_site);

  /* Code: fetching past the CS limit. */
  gdt_set(SEL_SMALL_CODE, (u32)small_code, 3, 0x9a, 0x4);
  g_handlers[13] = fetch_gp;
  __asm__ volatile("lcall %0, $0\n.globl fetch_resume\nfetch_resume:\n\tadd $8, %%esp" ::"i"(
                       SEL_SMALL_CODE)
                   : "memory");
  g_handlers[13] = 0;
  check(fetch_faults == 1 && fetch_eip == 4 && fetch_cs == SEL_SMALL_CODE && fetch_error == 0,
        "fetch past the CS limit 3: #GP(0x%x) at %x:%x", fetch_error, fetch_cs, fetch_eip);

  (void)magic;
  (void)info;
  finish();
}
