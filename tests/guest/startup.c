/* tests/guest/startup.c: the initial process state: argc/argv/envp as passed, the auxiliary
   vector's entries, stack alignment and registers at the entry point. */
#include "nolibc.h"

enum { AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
       AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
       AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
       AT_EXECFN = 31 };

extern char _start[];

int guest_main(long sp, long rdx) {
  long* stack = (long*)sp;
  long argc = stack[0];
  char** argv = (char**)(stack + 1);
  char** envp = argv + argc + 1;
  show("argc", argc);
  for (long i = 0; i < argc; ++i) {
    put("argv[");
    put_dec(i);
    put("] = ");
    put(argv[i]);
    put("\n");
  }
  check("argv[argc] is NULL", argv[argc] == 0);
  char** e = envp;
  for (; *e; ++e) {
    /* Only this test's own variables: the harness may add its own to the environment. */
    if ((*e)[0] == 'D' && (*e)[1] == 'T' && (*e)[2] == '_') {
      put("env ");
      put(*e);
      put("\n");
    }
  }
  unsigned long* auxv = (unsigned long*)(e + 1);
  unsigned long at[64] = {0};
  int seen_null = 0;
  for (int i = 0; i < 64; ++i) {
    unsigned long key = auxv[2 * i], val = auxv[2 * i + 1];
    if (key == AT_NULL) {
      seen_null = 1;
      break;
    }
    if (key < 64) at[key] = val ? val : 1; /* remember presence, even of zero values */
  }
  check("auxv ends with AT_NULL", seen_null);
  check("rsp is 16-byte aligned at entry", (sp & 15) == 0);
  check("rdx is 0 at entry", rdx == 0);
  check("AT_PAGESZ is 4096", at[AT_PAGESZ] == 4096);
  check("AT_ENTRY is _start", at[AT_ENTRY] == (unsigned long)_start);
  check("AT_PHENT is 56", at[AT_PHENT] == 56);
  check("AT_PHNUM > 0", at[AT_PHNUM] > 1);
  /* AT_PHDR points at the program headers, which follow the ELF header in these binaries; the
     executable PT_LOAD, moved by the load bias, holds _start. */
  int found = 0;
  unsigned char* ehdr = (unsigned char*)at[AT_PHDR] - 64;
  check("AT_PHDR follows the ELF header", ehdr[0] == 0x7f && ehdr[1] == 'E' && ehdr[2] == 'L');
  unsigned long bias = at[AT_ENTRY] - *(unsigned long*)(ehdr + 24);
  for (unsigned long i = 0; i < at[AT_PHNUM]; ++i) {
    unsigned int* h = (unsigned int*)(at[AT_PHDR] + 56 * i);
    unsigned long vaddr = *(unsigned long*)(h + 4) + bias, memsz = *(unsigned long*)(h + 10);
    if (h[0] == 1 && (h[1] & 1) && (unsigned long)_start - vaddr < memsz) found = 1;
  }
  check("AT_PHDR has an executable PT_LOAD", found);
  check("AT_UID matches getuid", at[AT_UID] == (unsigned long)sys0(SYS_getuid) ||
                                     (at[AT_UID] == 1 && sys0(SYS_getuid) == 0));
  check("AT_EUID present", at[AT_EUID] != 0);
  check("AT_GID present", at[AT_GID] != 0);
  check("AT_EGID present", at[AT_EGID] != 0);
  check("AT_SECURE present", at[AT_SECURE] != 0);
  check("AT_CLKTCK is 100", at[AT_CLKTCK] == 100);
  check("AT_RANDOM points at readable bytes", at[AT_RANDOM] > 1 && (((unsigned char*)at[AT_RANDOM])[0] | 1));
  check("AT_PLATFORM is x86_64", at[AT_PLATFORM] > 1 && streq((char*)at[AT_PLATFORM], "x86_64"));
  check("AT_EXECFN is a path", at[AT_EXECFN] > 1 && ((char*)at[AT_EXECFN])[0] != 0);
  check("AT_HWCAP present", at[AT_HWCAP] != 0);
  check("no AT_BASE without an interpreter", at[AT_BASE] == 1);
  check("AT_FLAGS is 0", at[AT_FLAGS] == 1);
  return (int)argc + 40;
}
