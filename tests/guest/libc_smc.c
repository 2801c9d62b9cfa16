// tests/guest/libc_smc.c: self-modifying code under doppel: machine code written to an RWX page,
// run, rewritten (same and different lengths) and run again; a W^X mprotect cycle; and code
// that patches an instruction later in its own block.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef int (*Fn)(int, int);

static void EmitMovRet(uint8_t* p, int32_t imm) {  // mov eax, imm32; ret
  p[0] = 0xb8;
  memcpy(p + 1, &imm, 4);
  p[5] = 0xc3;
}

int main(void) {
  uint8_t* rwx = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
  Fn f = (Fn)(void*)rwx;
  EmitMovRet(rwx, 1);
  int first = f(0, 0);
  EmitMovRet(rwx, 2);
  int second = f(0, 0);
  printf("rewrite: %d %d\n", first, second);

  long sum = 0;
  for (int i = 0; i < 2000; ++i) {
    rwx[1] = (uint8_t)i;  // patch only the low immediate byte each time
    sum += f(0, 0);
  }
  printf("patched loop sum=%ld\n", sum);

  static const uint8_t lea[] = {0x8d, 0x04, 0x37, 0xc3};              // lea eax,[rdi+rsi]; ret
  static const uint8_t imul[] = {0x6b, 0xc7, 0x07, 0x01, 0xf0, 0xc3};  // imul eax,edi,7; add eax,esi
  memcpy(rwx, lea, sizeof lea);
  int a = f(20, 22);
  memcpy(rwx, imul, sizeof imul);
  int b = f(20, 22);
  printf("different lengths: %d %d\n", a, b);

  // A function in the second page calls into the first: rewriting the callee only.
  uint8_t* caller = rwx + 4096;
  const uint8_t call[] = {0xe8, 0, 0, 0, 0, 0x83, 0xc0, 0x64, 0xc3};  // call rwx; add eax,100; ret
  memcpy(caller, call, sizeof call);
  int32_t rel = (int32_t)(rwx - (caller + 5));
  memcpy(caller + 1, &rel, 4);
  EmitMovRet(rwx, 5);
  int c1 = ((Fn)(void*)caller)(0, 0);
  EmitMovRet(rwx, 6);
  int c2 = ((Fn)(void*)caller)(0, 0);
  printf("callee rewritten: %d %d\n", c1, c2);

  // W^X: write while RW, run while RX, as JIT compilers with strict policies do.
  uint8_t* wx = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int results[4];
  for (int i = 0; i < 4; ++i) {
    mprotect(wx, 4096, PROT_READ | PROT_WRITE);
    EmitMovRet(wx, 1000 + i * i);
    mprotect(wx, 4096, PROT_READ | PROT_EXEC);
    results[i] = ((Fn)(void*)wx)(0, 0);
  }
  printf("w^x: %d %d %d %d\n", results[0], results[1], results[2], results[3]);

  // Code that rewrites the immediate of its next instruction before reaching it.
  // mov byte [rip+1], 0x2a ; mov eax, 0x11 ; ret   (the store targets the imm8 low byte)
  static const uint8_t self[] = {0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x2a,
                                 0xb8, 0x11, 0x00, 0x00, 0x00, 0xc3};
  memcpy(rwx, self, sizeof self);
  int s1 = f(0, 0);
  printf("patched own block: %d\n", s1);
  munmap(rwx, 8192);
  munmap(wx, 4096);
  return 0;
}
