// bench/guest/common.h: shared helpers of the benchmark guest workloads (argument, PRNG, checksum).
// Each workload takes one size argument and prints one checksum line that must match the native
// run.
#ifndef DOPPEL_BENCH_GUEST_COMMON_H
#define DOPPEL_BENCH_GUEST_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline long bench_arg(int argc, char** argv, long fallback) {
  return argc > 1 ? atol(argv[1]) : fallback;
}

// xorshift64*: deterministic, identical for 32- and 64-bit builds.
static uint64_t bench_rng_state = 0x9E3779B97F4A7C15ull;
static inline uint64_t bench_rand(void) {
  uint64_t x = bench_rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  bench_rng_state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t bench_mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h;
}

static inline void bench_print(const char* name, uint64_t sum) {
  printf("%s checksum %016llx\n", name, (unsigned long long)sum);
}
#endif
