// bench/guest/sort.c: integer sorting: quicksort (insertion sort below 16) and merge sort.
#include <string.h>
#include "common.h"

static void insertion(uint32_t* a, long n) {
  for (long i = 1; i < n; i++) {
    uint32_t v = a[i];
    long j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

static void quick(uint32_t* a, long n) {
  while (n > 16) {
    uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
    uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      uint32_t t = a[i]; a[i] = a[j]; a[j] = t;
      i++; j--;
    }
    long left = j + 1;
    if (left < n - left) { quick(a, left); a += left; n -= left; }
    else { quick(a + left, n - left); n = left; }
  }
  insertion(a, n);
}

static void merge_sort(uint32_t* a, uint32_t* tmp, long n) {
  for (long width = 1; width < n; width *= 2) {
    for (long lo = 0; lo < n; lo += 2 * width) {
      long mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      long i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
      while (i < mid) tmp[k++] = a[i++];
      while (j < hi) tmp[k++] = a[j++];
    }
    memcpy(a, tmp, n * sizeof *a);
  }
}

int main(int argc, char** argv) {
  long rounds = bench_arg(argc, argv, 16);
  long n = 200000;
  uint32_t* a = malloc(n * sizeof *a);
  uint32_t* tmp = malloc(n * sizeof *a);
  uint64_t sum = 0;
  for (long r = 0; r < rounds; r++) {
    for (long i = 0; i < n; i++) a[i] = (uint32_t)bench_rand();
    if (r & 1) merge_sort(a, tmp, n); else quick(a, n);
    for (long i = 1; i < n; i++) if (a[i - 1] > a[i]) { puts("not sorted"); return 1; }
    for (long i = 0; i < n; i += 97) sum = bench_mix(sum, a[i]);
  }
  bench_print("sort", sum);
  return 0;
}
