// tests/guest/libc_basics.c: glibc (static) under doppel: printf of integers, doubles and long
// doubles, string and memory functions at odd alignments, malloc churn, qsort, setjmp/longjmp.
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void Formatting(void) {
  printf("%d %i %u %ld %lld %hhd %hu\n", -42, INT_MIN, UINT_MAX, LONG_MAX, LLONG_MIN,
         (signed char)200, (unsigned short)70000);
  printf("%x %X %#o %#x %08.3d|%-6d|%+d\n", 0xdeadbeef, 0xcafe, 8, 255, 7, 12, 5);
  printf("%" PRIu64 " %" PRId64 " %zu %p\n", UINT64_MAX, INT64_MIN, sizeof(long double),
         (void*)0x1234);
  double ds[] = {0.0, -0.0, 1.0 / 3, 2.5e-310, 1e300, 123456.789, -2.5, 0.1 + 0.2};
  for (size_t i = 0; i < sizeof ds / sizeof ds[0]; ++i)
    printf("%g %.17g %e %.3f %a\n", ds[i], ds[i], ds[i], ds[i], ds[i]);
  printf("%f %f %f\n", INFINITY, -INFINITY, NAN);
  long double ls[] = {1.0L / 3, 1e4000L, -1.5L, 3.14159265358979323846264338327950288L};
  for (size_t i = 0; i < sizeof ls / sizeof ls[0]; ++i)
    printf("%Lg %.21Lg %Le %La\n", ls[i], ls[i], ls[i], ls[i]);
  printf("%.10f %.10f %.10f\n", sqrt(2.0), sin(1.0), exp(1.0));
  printf("%.15Lf %.15Lf\n", sqrtl(2.0L), logl(10.0L));
  char buf[64];
  snprintf(buf, sizeof buf, "%s|%10.4s|%-5c|", "hello", "truncate", 'x');
  puts(buf);
  printf("%g %ld %lu %s\n", strtod("6.02e23", NULL), strtol("-0x7f", NULL, 16),
         strtoul("777", NULL, 8), "done");
}

static void Strings(void) {
  static char src[300], dst[300];
  unsigned sum = 0;
  for (int i = 0; i < 300; ++i) src[i] = (char)('a' + i % 26);
  for (int so = 0; so < 8; ++so) {
    for (int d = 0; d < 8; ++d) {
      for (int len = 0; len < 70; len += 3) {
        memset(dst, '#', sizeof dst);
        memcpy(dst + d, src + so, len);
        dst[d + len] = 0;
        sum = sum * 31 + (unsigned)strlen(dst + d) + (unsigned)memcmp(dst + d, src + so, len);
        memmove(dst + d + 1, dst + d, len);
        sum = sum * 31 + (unsigned)(unsigned char)dst[d + len / 2];
        char* c = memchr(dst + d, 'q', len);
        sum = sum * 31 + (c ? (unsigned)(c - dst) : 999u);
        sum = sum * 31 + (unsigned)(strncmp(dst + d, src + so, len) > 0);
      }
    }
  }
  printf("strings %u\n", sum);
  char s[] = "the quick brown fox jumps over the lazy dog";
  printf("%s %s %zu %zu\n", strstr(s, "fox"), strrchr(s, 'o'), strspn(s, "the "),
         strcspn(s, "xyz"));
  char* save = NULL;
  for (char* t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save)) printf("[%s]", t);
  printf("\n");
  char* dup = strdup("duplicate");
  printf("%s %d %d\n", dup, strcmp(dup, "dup"), strcasecmp("HeLLo", "hello"));
  free(dup);
}

static void MallocChurn(void) {
  enum { kSlots = 512 };
  static void* slots[kSlots];
  static size_t sizes[kSlots];
  uint32_t x = 12345;
  unsigned long check = 0;
  for (int round = 0; round < 20000; ++round) {
    x = x * 1103515245u + 12345u;
    int i = (int)((x >> 8) % kSlots);
    if (slots[i]) {
      for (size_t k = 0; k < sizes[i]; k += 61) check += ((unsigned char*)slots[i])[k];
      free(slots[i]);
      slots[i] = NULL;
    } else {
      sizes[i] = (x >> 4) % ((x & 1) ? 200000 : 300) + 1;
      slots[i] = malloc(sizes[i]);
      memset(slots[i], i & 0xff, sizes[i]);
      if (round % 7 == 0) {
        sizes[i] += 1000;
        slots[i] = realloc(slots[i], sizes[i]);
        memset(slots[i], i & 0xff, sizes[i]);
      }
    }
  }
  for (int i = 0; i < kSlots; ++i) free(slots[i]);
  void* c = calloc(1000, 8);
  unsigned zero = 0;
  for (int i = 0; i < 8000; ++i) zero |= ((unsigned char*)c)[i];
  free(c);
  printf("malloc %lu %u\n", check, zero);
}

static int CmpInt(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}
static int CmpStr(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void Sorting(void) {
  static int v[5000];
  uint32_t x = 7;
  for (int i = 0; i < 5000; ++i) v[i] = (int)((x = x * 69069u + 1) >> 3) - (1 << 27);
  qsort(v, 5000, sizeof v[0], CmpInt);
  int ok = 1;
  long long sum = 0;
  for (int i = 1; i < 5000; ++i) ok &= v[i - 1] <= v[i];
  for (int i = 0; i < 5000; i += 97) sum += v[i];
  const char* words[] = {"pear", "apple", "fig", "banana", "cherry", "apricot"};
  qsort(words, 6, sizeof words[0], CmpStr);
  printf("qsort %d %lld %s %s\n", ok, sum, words[0], words[5]);
  int key = v[1234];
  int* found = bsearch(&key, v, 5000, sizeof v[0], CmpInt);
  printf("bsearch %d\n", found && *found == key);
}

static jmp_buf env;
static int depth;
static void Dive(int n) {
  char pad[128];
  memset(pad, n, sizeof pad);
  depth = n + pad[5];
  if (n == 10) longjmp(env, n * 3);
  Dive(n + 1);
}

static void Jumps(void) {
  volatile int stage = 0;
  int r = setjmp(env);
  if (r == 0) {
    stage = 1;
    Dive(0);
  }
  printf("longjmp %d stage %d depth %d\n", r, stage, depth);
}

int main(void) {
  Formatting();
  Strings();
  MallocChurn();
  Sorting();
  Jumps();
  fflush(stdout);
  fprintf(stderr, "stderr line\n");
  return 17;
}
