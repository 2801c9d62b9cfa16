// bench/guest/hash.c: integer hashing: FNV-1a and an xxhash64-like hash over a 1 MiB buffer.
#include <string.h>
#include "common.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fnv1a(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static uint64_t xxlike(const uint8_t* p, size_t n, uint64_t seed) {
  uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    uint64_t w[4];
    memcpy(w, p + i, 32);
    v1 = rotl(v1 + w[0] * P2, 31) * P1;
    v2 = rotl(v2 + w[1] * P2, 31) * P1;
    v3 = rotl(v3 + w[2] * P2, 31) * P1;
    v4 = rotl(v4 + w[3] * P2, 31) * P1;
  }
  uint64_t h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18) + n;
  for (; i < n; i++) h = rotl(h ^ (p[i] * P3), 11) * P1;
  h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
  return h;
}

int main(int argc, char** argv) {
  long reps = bench_arg(argc, argv, 200);
  size_t n = 1 << 20;
  uint8_t* buf = malloc(n);
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)bench_rand();
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    buf[r % n] ^= (uint8_t)r;
    sum = bench_mix(sum, fnv1a(buf, n));
    sum = bench_mix(sum, xxlike(buf, n, sum));
  }
  bench_print("hash", sum);
  free(buf);
  return 0;
}
