/* tests/guest/hello.c: the smallest linux-user guest: write a line, exit with a status. */
#include "nolibc.h"

int guest_main(long sp, long rdx) {
  put("hello from a guest\n");
  return 7;
}
