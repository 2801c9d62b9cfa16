// bench/guest/jitgen.c: code generated at run time: writes x86 machine code into an mmap'd RWX page,
// calls it, and rewrites it (new immediates in place, and whole new functions), as a JIT or a
// self-modifying program would. The bytes are valid in both 32- and 64-bit mode.
#include <string.h>
#include <sys/mman.h>
#include "common.h"

typedef uint32_t (*Fn)(void);

static uint8_t* put32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); return p + 4; }

// mov eax, seed; mov ecx, count; loop: add eax, A; xor eax, B; imul eax, eax, C; rol eax, 5;
// dec ecx; jnz loop; ret. Returns the offsets of the patchable immediates A, B and C.
static size_t gen(uint8_t* code, uint32_t seed, uint32_t count, uint32_t a, uint32_t b, uint32_t c,
                  size_t imm[3]) {
  uint8_t* p = code;
  *p++ = 0xB8; p = put32(p, seed);
  *p++ = 0xB9; p = put32(p, count);
  uint8_t* loop = p;
  *p++ = 0x05; imm[0] = (size_t)(p - code); p = put32(p, a);
  *p++ = 0x35; imm[1] = (size_t)(p - code); p = put32(p, b);
  *p++ = 0x69; *p++ = 0xC0; imm[2] = (size_t)(p - code); p = put32(p, c);
  *p++ = 0xC1; *p++ = 0xC0; *p++ = 5;
  *p++ = 0xFF; *p++ = 0xC9;
  *p++ = 0x75; *p = (uint8_t)(loop - (p + 1)); p++;
  *p++ = 0xC3;
  return (size_t)(p - code);
}

static uint32_t reference(uint32_t seed, uint32_t count, uint32_t a, uint32_t b, uint32_t c) {
  uint32_t x = seed;
  for (uint32_t i = 0; i < count; i++) { x = ((x + a) ^ b) * c; x = (x << 5) | (x >> 27); }
  return x;
}

int main(int argc, char** argv) {
  long rounds = bench_arg(argc, argv, 50000);
  uint8_t* page = mmap(0, 4 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) { puts("mmap failed"); return 1; }
  uint64_t sum = 0;
  for (long r = 0; r < rounds; r++) {
    uint8_t* code = page + (size_t)(r % 8) * 1024;  // eight slots over four pages, reused
    uint32_t seed = (uint32_t)bench_rand(), a = (uint32_t)bench_rand(), b = (uint32_t)bench_rand();
    uint32_t c = (uint32_t)bench_rand() | 1;
    size_t imm[3];
    gen(code, seed, 1000, a, b, c, imm);
    uint32_t got = ((Fn)code)();
    // Patch immediates in place and call again: the translated block must be invalidated.
    a ^= 0x5a5a; c += 2;
    memcpy(code + imm[0], &a, 4);
    memcpy(code + imm[2], &c, 4);
    uint32_t got2 = ((Fn)code)();
    if ((r & 255) == 0 && (got != reference(seed, 1000, a ^ 0x5a5a, b, c - 2) || got2 != reference(seed, 1000, a, b, c))) {
      printf("mismatch at round %ld\n", r);
      return 1;
    }
    sum = bench_mix(sum, got);
    sum = bench_mix(sum, got2);
  }
  bench_print("jitgen", sum);
  return 0;
}
