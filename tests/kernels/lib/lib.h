/* tests/kernels/lib/lib.h: shared runtime of the test kernels: COM1 output, exit through
 * isa-debug-exit, GDT/IDT helpers, expected-fault capture and the panic handler for unexpected
 * exceptions. */
#ifndef KERNELS_LIB_H
#define KERNELS_LIB_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;

/* Fixed GDT selectors; SEL_SPARE onwards is free for individual kernels (gdt_set). */
enum {
  SEL_CODE32 = 0x08,
  SEL_DATA32 = 0x10,
  SEL_CODE16 = 0x18,
  SEL_DATA16 = 0x20,
  SEL_CODE64 = 0x28,
  SEL_DATA64 = 0x30, /* = SEL_CODE64 + 8, the SS that SYSCALL loads */
  SEL_UCODE32 = 0x38,
  SEL_UDATA = 0x40,
  SEL_UCODE64 = 0x48, /* SYSRET layout: base 0x38, SS = +8, CS64 = +16 */
  SEL_TSS = 0x50,     /* 16 bytes in long mode: 0x50 and 0x58 */
  SEL_SPARE = 0x60,
  GDT_ENTRIES = 32,
};

/* Access bytes and flag nibbles for gdt_set. */
enum {
  ACC_CODE0 = 0x9a,
  ACC_DATA0 = 0x92,
  ACC_CODE3 = 0xfa,
  ACC_DATA3 = 0xf2,
  ACC_TSS32 = 0x89,
  FLG_32 = 0xc, /* G=1 D=1 */
  FLG_16 = 0x0,
  FLG_64 = 0xa, /* G=1 L=1 */
};

/* The interrupt frame built by isr.asm. user_esp/user_ss exist only after a privilege change. */
struct frame {
  u32 gs, fs, es, ds;
  u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax;
  u32 vector, error;
  u32 eip, cs, eflags;
  u32 user_esp, user_ss;
};

typedef void (*handler_t)(struct frame*);

struct fault {
  u32 count, vector, error, eip, cs, cr2;
};

extern volatile struct fault g_fault;
extern volatile u32 g_resume;
extern handler_t g_handlers[256];
extern const u32 isr_stubs[256];
extern u64 g_gdt[GDT_ENTRIES];
extern u64 g_idt[256];
extern int g_failures;

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) {
  u8 v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline u16 inw(u16 port) {
  u16 v;
  __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline u32 inl(u16 port) {
  u32 v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline u32 mmio_read(u32 addr) { return *(volatile u32*)addr; }
static inline void mmio_write(u32 addr, u32 v) { *(volatile u32*)addr = v; }

#define DEFINE_CR(n)                                  \
  static inline u32 read_cr##n(void) {                \
    u32 v;                                            \
    __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); \
    return v;                                         \
  }                                                   \
  static inline void write_cr##n(u32 v) { __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}
static inline void cpuid(u32 leaf, u32 sub, u32* a, u32* b, u32* c, u32* d) {
  __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline void invlpg(u32 addr) { __asm__ volatile("invlpg (%0)" ::"r"(addr) : "memory"); }
static inline u64 rdtsc(void) {
  u32 lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((u64)hi << 32) | lo;
}
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void io_delay(void) { outb(0x80, 0); }

/* Output on COM1 (polled). */
void serial_init(void);
void kputc(char c);
void kputs(const char* s);
/* %s %c %d %u %x %X %llx with optional 0 flag and width, %%. */
void kprintf(const char* fmt, ...);

/* Writes v to isa-debug-exit (QEMU exits with (v << 1) | 1); halts if nothing is there. */
void kexit(u32 v) __attribute__((noreturn));
/* Exits 0x10 (status 33) when every check passed, 0x01 otherwise. */
void finish(void) __attribute__((noreturn));

/* Prints the formatted text followed by ": ok" or ": BAD" and counts failures. */
void check(int ok, const char* fmt, ...);

/* GDT: the fixed selectors above, loaded with flat 4 GiB segments. */
void gdt_init(void);
void gdt_set(u32 sel, u32 base, u32 limit, u8 access, u8 flags);
void gdt_load(void);
void tss_install(u32 base, u32 limit);

/* IDT: every vector points at its isr.asm stub through a DPL-0 interrupt gate. */
void idt_init(void);
void idt_set(u32 vector, u32 offset, u16 sel, u8 type_attr);
void idt_load(void);

/* Ring 3: user_init() loads a TSS (ring-0 stack g_tss[1]) and a DPL-3 gate at USER_EXIT_VECTOR;
 * enter_user runs flat ring-3 code at eip/esp until it executes `int $USER_EXIT_VECTOR`. */
enum { USER_EXIT_VECTOR = 0x81 };
extern u32 g_tss[26];
void user_init(void);
void enter_user(u32 eip, u32 esp);
#define USER_EXIT() __asm__ volatile("int $0x81")

/* Long mode (lib/long.asm): long_call enters long mode with CR3 = cr3 (a PML4; PAE and EFER.LME are
 * set, CR4 and the other EFER bits are the caller's), runs the 64-bit fn(arg) under g_idt64 and
 * returns its EAX in 32-bit protected mode with paging off. idt64_init points vectors 0-31 at
 * stubs that implement TRY64 (lib/long.inc) and panic otherwise. */
u32 long_call(u32 cr3, const void* fn, u32 arg);
extern u64 g_idt64[512];
extern const u32 isr64_stubs[32];
void idt64_init(void);
void idt64_set(u32 vector, u32 offset, u32 ist, u8 type_attr);
/* Identity map of the first 4 GiB with 2 MiB pages (RWX, supervisor) into the given tables. */
void long_identity_map(u64* pml4, u64* pdpt, u64 (*pds)[512]);

/* Standard start: serial, GDT, IDT. */
void lib_init(void);

/* Runs `insns`; an exception there is recorded in g_fault and execution resumes after them.
 * `site` becomes a global label on the first instruction, for comparing the reported EIP. */
#define TRY(site, insns, ...)                                                                \
  __asm__ volatile("movl $1f, g_resume\n\t.globl " #site "\n" #site ":\n\t" insns "\n1:\n\t" \
                   "movl $0, g_resume\n\t" ::                                                \
                       : "memory" __VA_OPT__(, ) __VA_ARGS__)

/* TRY with asm operands: TRY_IO(site, insns, outputs, inputs, clobbers...). */
#define TRY_IO(site, insns, outs, ins, ...)                                                  \
  __asm__ volatile("movl $1f, g_resume\n\t.globl " #site "\n" #site ":\n\t" insns "\n1:\n\t" \
                   "movl $0, g_resume\n\t"                                                   \
                   : outs:ins                                                                \
                   : "memory" __VA_OPT__(, ) __VA_ARGS__)

/* Checks the last TRY raised `vector` with `error` (ignored if < 0) at `site`; clears g_fault. */
void check_fault(const char* name, u32 vector, i32 error, const void* site);
void clear_fault(void);

#endif
