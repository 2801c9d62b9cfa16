/* tests/guest/process32.c: i386 process calls through int 0x80: fork, waitpid and wait4 (the
   32-bit rusage), execve of itself with new argv/envp, a pipe between parent and child, and the
   old-style signal frame (a handler without SA_SIGINFO) with the kernel's retcode signature. */
#include "nolibc32.h"

enum { SYS_fork = 2, SYS_waitpid = 7, SYS_execve = 11, SYS_pipe = 42, SYS_wait4 = 114 };
enum { SYS_kill = 37, SYS_rt_sigaction = 174, SIGUSR1 = 10 };

/* The frame of a handler without SA_SIGINFO starts at its entry ESP (pretcode, signo,
   sigcontext...) and carries "popl %eax; movl $119, %eax; int $0x80", which gdb looks for. */
static volatile long retcode_offset = -1, handled_signo = 0;
static __attribute__((noinline)) void old_style_handler(int signo) {
  const unsigned char* frame = (const unsigned char*)__builtin_frame_address(0) + 4;
  static const unsigned char sig[8] = {0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80};
  handled_signo = *(const long*)(frame + 4);
  (void)signo;
  for (long off = 0; off < 1024; ++off) {
    int same = 1;
    for (int i = 0; i < 8 && same; ++i) same = frame[off + i] == sig[i];
    if (same) {
      retcode_offset = off;
      break;
    }
  }
}

static void test_old_style_frame(void) {
  unsigned long act[4] = {(unsigned long)old_style_handler, 0, 0, 0}; /* no SA_SIGINFO */
  check("rt_sigaction", sys6(SYS_rt_sigaction, SIGUSR1, act, 0, 8, 0, 0) == 0);
  sys2(SYS_kill, sys0(SYS_getpid), SIGUSR1);
  put("old frame: signo ");
  put_dec(handled_signo);
  put(" retcode at ");
  put_dec(retcode_offset);
  put("\n");
}

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
  test_old_style_frame();
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
