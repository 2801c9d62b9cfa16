// bench/guest/memstr.c: memory and string functions of libc over large buffers: memcpy, memset,
// strlen, memcmp, memchr, strchr (whatever variants glibc's ifuncs pick for the CPU doppel reports).
#include <string.h>
#include "common.h"

int main(int argc, char** argv) {
  long reps = bench_arg(argc, argv, 300);
  size_t n = 4u << 20;
  char* a = malloc(n + 64);
  char* b = malloc(n + 64);
  for (size_t i = 0; i < n; i++) a[i] = (char)('a' + bench_rand() % 26);
  a[n] = 0;
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    size_t off = (size_t)r % 16;
    memcpy(b + off, a, n - 64);
    b[off + n - 64] = 0;
    sum = bench_mix(sum, strlen(b + off));
    b[off + n / 2 + r] = '#';
    const char* hit = memchr(b + off, '#', n - 64);
    sum = bench_mix(sum, (uint64_t)(hit - (b + off)));
    int c = memcmp(a, b + off, n - 64);
    sum = bench_mix(sum, (uint64_t)(c < 0 ? -1 : c > 0));
    b[off + n / 4] = 0;
    const char* z = strchr(b + off, '#');
    sum = bench_mix(sum, z ? 1u : 0u);
    memset(b, (int)r, n / 2);
    sum = bench_mix(sum, (uint8_t)b[n / 3]);
  }
  bench_print("memstr", sum);
  return 0;
}
