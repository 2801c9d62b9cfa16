/* tests/kernels/lib/lib.c: shared runtime of the test kernels (see lib.h). */
#include "lib.h"

#include <stdarg.h>

#define COM1 0x3f8

volatile struct fault g_fault;
volatile u32 g_resume;
handler_t g_handlers[256];
u64 g_gdt[GDT_ENTRIES] __attribute__((aligned(16)));
u64 g_idt[256] __attribute__((aligned(16)));
int g_failures;

void serial_init(void) {
  outb(COM1 + 1, 0x00); /* no interrupts */
  outb(COM1 + 3, 0x80); /* DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0x07); /* FIFO on, cleared */
  outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void kputc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) {
  }
  outb(COM1, (u8)c);
}

void kputs(const char* s) {
  while (*s) kputc(*s++);
}

static void put_num(u64 v, u32 base, int width, char pad, int upper) {
  char buf[24];
  int n = 0;
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (base == 16) {
    do {
      buf[n++] = digits[v & 15];
      v >>= 4;
    } while (v);
  } else {
    /* 32-bit division only: there is no libgcc for 64-bit divides. */
    u32 w = (u32)v;
    do {
      buf[n++] = digits[w % 10];
      w /= 10;
    } while (w);
  }
  while (n < width) buf[n++] = pad;
  while (n) kputc(buf[--n]);
}

static void vkprintf(const char* fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      kputc(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0, longlong = 0;
    if (*fmt == '0') {
      pad = '0';
      fmt++;
    }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    if (fmt[0] == 'l' && fmt[1] == 'l') {
      longlong = 1;
      fmt += 2;
    }
    switch (*fmt) {
      case 's': {
        const char* s = va_arg(ap, const char*);
        kputs(s ? s : "(null)");
        break;
      }
      case 'c': kputc((char)va_arg(ap, int)); break;
      case 'd': {
        i32 v = va_arg(ap, i32);
        if (v < 0) {
          kputc('-');
          v = -v;
        }
        put_num((u32)v, 10, width, pad, 0);
        break;
      }
      case 'u': put_num(va_arg(ap, u32), 10, width, pad, 0); break;
      case 'x':
      case 'X':
        put_num(longlong ? va_arg(ap, u64) : va_arg(ap, u32), 16, width, pad, *fmt == 'X');
        break;
      case '%': kputc('%'); break;
      default: kputc('?'); break;
    }
  }
}

void kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
}

void check(int ok, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
  kputs(ok ? ": ok\n" : ": BAD\n");
  if (!ok) g_failures++;
}

void kexit(u32 v) {
  outb(0xf4, (u8)v);
  for (;;) __asm__ volatile("cli; hlt");
}

void finish(void) {
  if (g_failures) kprintf("%d checks failed\n", g_failures);
  kexit(g_failures ? 0x01 : 0x10);
}

void gdt_set(u32 sel, u32 base, u32 limit, u8 access, u8 flags) {
  u64 d = (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)access << 40) |
          ((u64)((limit >> 16) & 0xf) << 48) | ((u64)(flags & 0xf) << 52) |
          ((u64)(base >> 24) << 56);
  g_gdt[sel >> 3] = d;
}

void gdt_load(void) {
  struct {
    u16 limit;
    u32 base;
  } __attribute__((packed)) gdtr = {sizeof g_gdt - 1, (u32)g_gdt};
  __asm__ volatile(
      "lgdt %0\n\t"
      "ljmp %1, $1f\n"
      "1:\n\t"
      "mov %2, %%ax\n\t"
      "mov %%ax, %%ds\n\t"
      "mov %%ax, %%es\n\t"
      "mov %%ax, %%fs\n\t"
      "mov %%ax, %%gs\n\t"
      "mov %%ax, %%ss\n\t" ::"m"(gdtr),
      "i"(SEL_CODE32), "i"(SEL_DATA32)
      : "eax", "memory");
}

void gdt_init(void) {
  g_gdt[0] = 0;
  gdt_set(SEL_CODE32, 0, 0xfffff, ACC_CODE0, FLG_32);
  gdt_set(SEL_DATA32, 0, 0xfffff, ACC_DATA0, FLG_32);
  gdt_set(SEL_CODE16, 0, 0xffff, ACC_CODE0, FLG_16);
  gdt_set(SEL_DATA16, 0, 0xffff, ACC_DATA0, FLG_16);
  gdt_set(SEL_CODE64, 0, 0xfffff, ACC_CODE0, FLG_64);
  gdt_set(SEL_DATA64, 0, 0xfffff, ACC_DATA0, FLG_32);
  gdt_set(SEL_UCODE32, 0, 0xfffff, ACC_CODE3, FLG_32);
  gdt_set(SEL_UDATA, 0, 0xfffff, ACC_DATA3, FLG_32);
  gdt_set(SEL_UCODE64, 0, 0xfffff, ACC_CODE3, FLG_64);
  gdt_load();
}

void tss_install(u32 base, u32 limit) {
  gdt_set(SEL_TSS, base, limit, ACC_TSS32, 0);
  g_gdt[(SEL_TSS >> 3) + 1] = 0; /* upper half of a 64-bit TSS descriptor: base 63:32 = 0 */
  __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

void idt_set(u32 vector, u32 offset, u16 sel, u8 type_attr) {
  g_idt[vector] =
      (offset & 0xffff) | ((u64)sel << 16) | ((u64)type_attr << 40) | ((u64)(offset >> 16) << 48);
}

void idt_load(void) {
  struct {
    u16 limit;
    u32 base;
  } __attribute__((packed)) idtr = {sizeof g_idt - 1, (u32)g_idt};
  __asm__ volatile("lidt %0" ::"m"(idtr));
}

void idt_init(void) {
  for (u32 v = 0; v < 256; v++) idt_set(v, isr_stubs[v], SEL_CODE32, 0x8e);
  idt_load();
}

u32 g_tss[26] __attribute__((aligned(128)));
static u8 ring0_stack[8192] __attribute__((aligned(16)));

void user_init(void) {
  extern char user_exit_entry[];
  g_tss[1] = (u32)(ring0_stack + sizeof ring0_stack); /* esp0 */
  g_tss[2] = SEL_DATA32;                              /* ss0 */
  g_tss[25] = (u32)sizeof g_tss << 16;                /* I/O map base: no bitmap */
  tss_install((u32)g_tss, sizeof g_tss - 1);
  idt_set(USER_EXIT_VECTOR, (u32)user_exit_entry, SEL_CODE32, 0xee);
}

void lib_init(void) {
  serial_init();
  gdt_init();
  idt_init();
}

static const char* const kVectorNames[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
                                             "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "15",
                                             "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "22",  "23",
                                             "24",  "25",  "26",  "27",  "28",  "29",  "30",  "31"};

static void panic(struct frame* f) {
  kprintf("panic: unexpected vector %u (%s) error 0x%x eip %08x cs %x eflags %x cr2 %08x\n",
          f->vector, f->vector < 32 ? kVectorNames[f->vector] : "irq", f->error, f->eip, f->cs,
          f->eflags, read_cr2());
  kexit(0x01);
}

void isr_dispatch(struct frame* f) {
  if (g_handlers[f->vector]) {
    g_handlers[f->vector](f);
    return;
  }
  if (g_resume && f->vector < 32) {
    g_fault.count++;
    g_fault.vector = f->vector;
    g_fault.error = f->error;
    g_fault.eip = f->eip;
    g_fault.cs = f->cs;
    g_fault.cr2 = read_cr2();
    f->eip = g_resume;
    f->eflags &= ~0x100u; /* a single-step trap must not repeat at the resume point */
    g_resume = 0;
    return;
  }
  panic(f);
}

void clear_fault(void) {
  g_fault.count = 0;
  g_fault.vector = g_fault.error = g_fault.eip = g_fault.cs = g_fault.cr2 = 0;
}

void check_fault(const char* name, u32 vector, i32 error, const void* site) {
  if (g_fault.count != 1) {
    check(0, "%s: expected %s, got %u faults", name, kVectorNames[vector], g_fault.count);
  } else {
    int ok = g_fault.vector == vector && (error < 0 || g_fault.error == (u32)error) &&
             g_fault.eip == (u32)site;
    if (error < 0)
      kprintf("%s: %s", name, kVectorNames[g_fault.vector]);
    else
      kprintf("%s: %s(0x%x)", name, kVectorNames[g_fault.vector], g_fault.error);
    if (g_fault.eip == (u32)site)
      check(ok, " at site");
    else
      check(0, " at %08x (site %08x)", g_fault.eip, (u32)site);
  }
  clear_fault();
}

void idt64_set(u32 vector, u32 offset, u32 ist, u8 type_attr) {
  g_idt64[2 * vector] = (offset & 0xffff) | ((u64)SEL_CODE64 << 16) | ((u64)(ist & 7) << 32) |
                        ((u64)type_attr << 40) | ((u64)(offset >> 16) << 48);
  g_idt64[2 * vector + 1] = 0;
}

void idt64_init(void) {
  for (u32 v = 0; v < 32; v++) idt64_set(v, isr64_stubs[v], 0, 0x8e);
}

void long_identity_map(u64* pml4, u64* pdpt, u64 (*pds)[512]) {
  pml4[0] = (u32)pdpt | 3;
  for (u32 i = 0; i < 4; i++) {
    pdpt[i] = (u32)pds[i] | 3;
    for (u32 j = 0; j < 512; j++) pds[i][j] = ((u64)i << 30) | ((u64)j << 21) | 0x83;
  }
}
