/* tests/guest/process32.c: i386 process calls through int 0x80: fork, waitpid and wait4 (the
   32-bit rusage), execve of itself with new argv/envp, a pipe between parent and child. */
#include "nolibc32.h"

enum { SYS_fork = 2, SYS_waitpid = 7, SYS_execve = 11, SYS_pipe = 42, SYS_wait4 = 114 };

int guest_main(long* sp) {
  long argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  if (argc > 1 && streq(argv[1], "child")) {
    put("child argv0=");
    put(argv[0]);
    put(" env=");
    put(envp[0] ? envp[0] : "(none)");
    put("\n");
    return 33;
  }
  int fds[2];
  check("pipe", sys1(SYS_pipe, fds) == 0);
  long pid = sys0(SYS_fork);
  if (pid == 0) {
    sys3(SYS_write, fds[1], "from child", 10);
    return 7;
  }
  char buf[16] = {0};
  check("read from child", sys3(SYS_read, fds[0], buf, 10) == 10 && streq(buf, "from child"));
  int status = 0;
  check("waitpid", sys3(SYS_waitpid, pid, &status, 0) == pid);
  put("status ");
  put_dec(status);
  put("\n");
  pid = sys0(SYS_fork);
  if (pid == 0) {
    char* nargv[] = {"exec32", "child", 0};
    char* nenvp[] = {"E32=yes", 0};
    sys3(SYS_execve, argv[0], nargv, nenvp);
    return 99;
  }
  long ru[18];
  for (int i = 0; i < 18; ++i) ru[i] = -1;
  check("wait4", sys5(SYS_wait4, pid, &status, 0, ru, 0) == pid);
  check("rusage written", ru[0] >= 0 && ru[1] >= 0 && ru[1] < 1000000 && ru[17] >= 0);
  put("exec status ");
  put_dec(status);
  put("\n");
  char* bad[] = {"x", 0};
  put("execve missing ");
  put_dec(sys3(SYS_execve, "/nonexistent/x", bad, bad + 1));
  put("\n");
  return 0;
}
