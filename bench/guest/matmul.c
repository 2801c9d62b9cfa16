// bench/guest/matmul.c: floating point: dense double matrix multiply (i-k-j order, vectorisable).
#include "common.h"

int main(int argc, char** argv) {
  long reps = bench_arg(argc, argv, 60);
  enum { N = 256 };
  static double a[N][N], b[N][N], c[N][N];
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      a[i][j] = (double)((i * 7 + j * 3) % 17) / 8.0 - 1.0;
      b[i][j] = (double)((i * 5 + j * 11) % 13) / 4.0 - 1.5;
    }
  uint64_t sum = 0;
  for (long r = 0; r < reps; r++) {
    for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) c[i][j] = 0;
    for (int i = 0; i < N; i++)
      for (int k = 0; k < N; k++) {
        double aik = a[i][k];
        for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
      }
    // Inputs are multiples of 1/8 and 1/4 with small sums: every product and sum is exact, so
    // the result does not depend on vectorisation or x87 precision.
    for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) sum = bench_mix(sum, (uint64_t)(int64_t)(c[i][j] * 32.0));
    a[r % N][(r * 3) % N] += 0.125;
  }
  bench_print("matmul", sum);
  return 0;
}
