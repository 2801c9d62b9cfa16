// tests/guest/vdso.c: the vDSO a process finds through AT_SYSINFO_EHDR: an ELF image whose dynamic
// symbols include the time functions (x86-64) or __kernel_vsyscall (i386), which work when
// called directly; glibc's own time functions agree with them. Prints only facts that hold
// natively too.
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

// A dynamic symbol of the vDSO at `base`, found through PT_DYNAMIC, DT_SYMTAB, DT_STRTAB and
// DT_HASH (the symbol count), as a program without a dynamic linker would.
static void* VdsoSymbol(uintptr_t base, const char* name) {
  const ElfW(Ehdr)* eh = (const ElfW(Ehdr)*)base;
  const ElfW(Phdr)* ph = (const ElfW(Phdr)*)(base + eh->e_phoff);
  uintptr_t load_bias = 0;
  const ElfW(Dyn)* dyn = NULL;
  for (int i = 0; i < eh->e_phnum; i++) {
    if (ph[i].p_type == PT_LOAD) load_bias = base + ph[i].p_offset - ph[i].p_vaddr;
    if (ph[i].p_type == PT_DYNAMIC) dyn = (const ElfW(Dyn)*)(base + ph[i].p_offset);
  }
  if (!dyn) return NULL;
  const ElfW(Sym)* symtab = NULL;
  const char* strtab = NULL;
  const uint32_t* hash = NULL;
  for (; dyn->d_tag != DT_NULL; dyn++) {
    if (dyn->d_tag == DT_SYMTAB) symtab = (const ElfW(Sym)*)(load_bias + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) strtab = (const char*)(load_bias + dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_HASH) hash = (const uint32_t*)(load_bias + dyn->d_un.d_ptr);
  }
  if (!symtab || !strtab || !hash) return NULL;
  for (uint32_t i = 0; i < hash[1]; i++) {
    if (symtab[i].st_shndx != SHN_UNDEF && strcmp(strtab + symtab[i].st_name, name) == 0)
      return (void*)(load_bias + symtab[i].st_value);
  }
  return NULL;
}

int main(void) {
  uintptr_t base = getauxval(AT_SYSINFO_EHDR);
  printf("vdso: %s, ELF magic %s\n", base ? "present" : "absent",
         base && memcmp((void*)base, ELFMAG, SELFMAG) == 0 ? "yes" : "no");
  if (!base) return 1;
  struct timespec libc_ts, vdso_ts;
  clock_gettime(CLOCK_REALTIME, &libc_ts);
#if defined(__x86_64__)
  int (*vdso_clock_gettime)(clockid_t, struct timespec*) =
      (int (*)(clockid_t, struct timespec*))VdsoSymbol(base, "__vdso_clock_gettime");
  printf("__vdso_clock_gettime: %s\n", vdso_clock_gettime ? "found" : "missing");
  if (!vdso_clock_gettime) return 1;
  int r = vdso_clock_gettime(CLOCK_REALTIME, &vdso_ts);
#else
  void* vsyscall = VdsoSymbol(base, "__kernel_vsyscall");
  printf("__kernel_vsyscall: %s, AT_SYSINFO %s\n", vsyscall ? "found" : "missing",
         getauxval(AT_SYSINFO) == (uintptr_t)vsyscall ? "points at it" : "differs");
  if (!vsyscall) return 1;
  // getpid and clock_gettime through __kernel_vsyscall, as glibc's `call *%gs:0x10` does.
  long pid;
  __asm__ volatile("call *%2" : "=a"(pid) : "a"(SYS_getpid), "r"(vsyscall) : "memory");
  printf("getpid through __kernel_vsyscall: %s\n", pid == getpid() ? "ok" : "wrong");
  int r;
  __asm__ volatile("push %%ebx\n\tmov %3, %%ebx\n\tcall *%2\n\tpop %%ebx"
                   : "=a"(r)
                   : "a"(SYS_clock_gettime), "r"(vsyscall), "r"(CLOCK_REALTIME), "c"(&vdso_ts)
                   : "memory");
#endif
  long diff = (long)vdso_ts.tv_sec - (long)libc_ts.tv_sec;
  printf("clock_gettime through the vdso: r=%d, agrees with libc: %s\n", r,
         diff >= 0 && diff <= 2 ? "yes" : "no");
  struct timeval tv;
  gettimeofday(&tv, NULL);
  time_t t = time(NULL);
  printf("time and gettimeofday agree: %s\n",
         t - tv.tv_sec <= 1 && tv.tv_sec - t <= 1 ? "yes" : "no");
  return 0;
}
