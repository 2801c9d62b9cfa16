// bench/guest/syscalls.c: syscall-heavy small I/O: many small write()s to /dev/null and write/read
// round trips through a pipe, plus cheap calls (getpid, lseek).
#include <fcntl.h>
#include <unistd.h>
#include "common.h"

int main(int argc, char** argv) {
  long iters = bench_arg(argc, argv, 400000);
  int null = open("/dev/null", O_WRONLY);
  int fds[2];
  if (null < 0 || pipe(fds) != 0) { puts("setup failed"); return 1; }
  char buf[64];
  uint64_t sum = 0;
  for (long i = 0; i < iters; i++) {
    int len = 1 + (int)(i % 48);
    for (int k = 0; k < len; k++) buf[k] = (char)(i + k);
    if (write(null, buf, (size_t)len) != len) { puts("write failed"); return 1; }
    if (write(fds[1], buf, (size_t)len) != len) { puts("pipe write failed"); return 1; }
    char in[64];
    ssize_t got = read(fds[0], in, sizeof in);
    if (got != len) { puts("pipe read failed"); return 1; }
    for (int k = 0; k < got; k += 7) sum = bench_mix(sum, (uint8_t)in[k]);
    if ((i & 15) == 0) sum = bench_mix(sum, getpid() > 0);
    if ((i & 15) == 8) sum = bench_mix(sum, (uint64_t)lseek(null, 0, SEEK_CUR) == 0);
  }
  close(null);
  bench_print("syscalls", sum);
  return 0;
}
