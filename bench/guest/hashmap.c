// bench/guest/hashmap.c: an open-addressing hash map (linear probing, tombstones): insert, find, erase.
#include <string.h>
#include "common.h"

typedef struct { uint64_t key; uint64_t value; uint8_t state; } Slot;  // 0 empty, 1 full, 2 deleted
enum { kBits = 18, kCap = 1 << kBits };
static Slot table[kCap];

static uint64_t hash64(uint64_t k) {
  k ^= k >> 33; k *= 0xff51afd7ed558ccdull; k ^= k >> 33; k *= 0xc4ceb9fe1a85ec53ull; k ^= k >> 33;
  return k;
}

static Slot* find(uint64_t key) {
  for (uint32_t i = (uint32_t)hash64(key) & (kCap - 1);; i = (i + 1) & (kCap - 1)) {
    if (table[i].state == 0) return 0;
    if (table[i].state == 1 && table[i].key == key) return &table[i];
  }
}

static void insert(uint64_t key, uint64_t value) {
  Slot* grave = 0;
  for (uint32_t i = (uint32_t)hash64(key) & (kCap - 1);; i = (i + 1) & (kCap - 1)) {
    Slot* s = &table[i];
    if (s->state == 1 && s->key == key) { s->value += value; return; }
    if (s->state == 2 && !grave) grave = s;
    if (s->state == 0) {
      if (grave) s = grave;
      s->key = key; s->value = value; s->state = 1;
      return;
    }
  }
}

int main(int argc, char** argv) {
  long ops = bench_arg(argc, argv, 8000000);
  uint64_t sum = 0;
  long live = 0;
  for (long i = 0; i < ops; i++) {
    uint64_t r = bench_rand();
    uint64_t key = (r >> 8) % 150000;
    switch (r & 3) {
      case 0: case 1: insert(key, r >> 40); live++; break;
      case 2: { Slot* s = find(key); if (s) sum = bench_mix(sum, s->value); break; }
      case 3: { Slot* s = find(key); if (s) { s->state = 2; live--; } break; }
    }
    // Rebuild when tombstones pile up, as a real map would.
    if ((i & 0xfffff) == 0xfffff) {
      static Slot old[kCap];
      memcpy(old, table, sizeof table);
      memset(table, 0, sizeof table);
      for (long j = 0; j < kCap; j++) if (old[j].state == 1) insert(old[j].key, old[j].value);
    }
  }
  for (long j = 0; j < kCap; j++) if (table[j].state == 1) sum = bench_mix(sum, table[j].key ^ table[j].value);
  bench_print("hashmap", sum ^ (uint64_t)live);
  return 0;
}
