// tests/guest/libc_process.c: glibc (static) under doppel: caught SIGSEGV and SIGFPE, file I/O,
// pipes, fork+wait, execve of itself, and mmap of a file (private and shared). Run with a scratch
// directory.
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf recover;
static volatile sig_atomic_t last_sig, last_code;
static void* volatile last_addr;

static void OnFault(int sig, siginfo_t* info, void* ctx) {
  (void)ctx;
  last_sig = sig;
  last_code = info->si_code;
  last_addr = info->si_addr;
  siglongjmp(recover, 1);
}

static void Faults(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = OnFault;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  if (sigsetjmp(recover, 1) == 0) {
    *(volatile int*)0x10 = 1;
  }
  printf("SIGSEGV caught=%d code=%d addr=%p\n", last_sig == SIGSEGV, (int)last_code, last_addr);
  char* ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (sigsetjmp(recover, 1) == 0) ro[100] = 1;
  printf("SIGSEGV write ro=%d code=%d offset=%ld\n", last_sig == SIGSEGV, (int)last_code,
         (long)((char*)last_addr - ro));
  volatile int zero = 0, num = 10;
  if (sigsetjmp(recover, 1) == 0) printf("%d\n", num / zero);
  printf("SIGFPE caught=%d code=%d\n", last_sig == SIGFPE, (int)last_code);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  printf("mask restored=%d\n", !sigismember(&cur, SIGSEGV) && !sigismember(&cur, SIGFPE));
}

static void Files(const char* dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/data.txt", dir);
  FILE* f = fopen(path, "w");
  for (int i = 0; i < 1000; ++i) fprintf(f, "line %d %x\n", i, i * 7919);
  fclose(f);
  f = fopen(path, "r");
  char line[64];
  long total = 0;
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    total += (long)strlen(line);
    ++n;
  }
  fseek(f, 100, SEEK_SET);
  int c = fgetc(f);
  printf("file lines=%d bytes=%ld ftell=%ld c=%c\n", n, total, ftell(f), c);
  fclose(f);
  struct stat st;
  stat(path, &st);
  printf("stat size=%lld reg=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));

  int fd = open(path, O_RDONLY);
  char* m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  printf("mmap file: %.12s ... %.10s", m, m + st.st_size - 10);
  munmap(m, (size_t)st.st_size);
  unlink(path);
  printf("unlinked=%d\n", access(path, F_OK) != 0);
}

// A MAP_SHARED mapping of a file: stores reach the file by msync and by munmap.
static void SharedMapping(const char* dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/shared.bin", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  char block[6000];
  memset(block, '.', sizeof block);
  if (fd < 0 || write(fd, block, sizeof block) != (ssize_t)sizeof block) return;
  char* m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return;
  memcpy(m + 10, "synced", 6);
  int r = msync(m, 8192, MS_SYNC);
  char back[8] = {0};
  pread(fd, back, 6, 10);
  printf("msync=%d file has '%s'\n", r, back);
  memcpy(m + 5000, "unmapped", 8);
  munmap(m, 8192);
  pread(fd, back, 8, 5000);
  struct stat st;
  fstat(fd, &st);
  printf("after munmap file has '%.8s', size %ld\n", back, (long)st.st_size);
  close(fd);
  unlink(path);
}

static void Pipes(void) {
  int fds[2];
  pipe(fds);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    for (int i = 0; i < 200; ++i) dprintf(fds[1], "chunk %03d|", i);
    _exit(9);
  }
  close(fds[1]);
  char buf[8192];
  size_t got = 0;
  ssize_t r;
  while ((r = read(fds[0], buf + got, sizeof buf - got)) > 0) got += (size_t)r;
  close(fds[0]);
  int status = 0;
  pid_t w = waitpid(pid, &status, 0);
  printf("pipe bytes=%zu last=%.10s child=%d exited=%d status=%d\n", got, buf + got - 10, w == pid,
         WIFEXITED(status), WEXITSTATUS(status));
  pid = fork();
  if (pid == 0) {
    raise(SIGTERM);
    _exit(0);
  }
  waitpid(pid, &status, 0);
  printf("child signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));
  pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);  // the handler above would jump back into the parent's code
    *(volatile int*)0 = 0;
  }
  waitpid(pid, &status, 0);
  printf("child segv=%d\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
  pid = fork();
  if (pid == 0) {
    for (;;) pause();
  }
  kill(pid, SIGUSR2);
  waitpid(pid, &status, 0);
  printf("killed other=%d\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR2);
  printf("pgid=%d sid=%d\n", getpgid(0) == getpgrp(), getsid(0) > 0);
}

static void Exec(const char* self) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {"renamed-child", "child", "x y", NULL};
    char* envp[] = {"DOPPEL_EXEC_VAR=42", NULL};
    execve(self, argv, envp);
    _exit(99);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  printf("exec child status=%d\n", WEXITSTATUS(status));
  char* bad[] = {"x", NULL};
  int r = execve("/nonexistent/program", bad, bad + 1);
  printf("exec missing r=%d\n", r);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    char exe[256] = {0};
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char* base = n > 0 ? strrchr(exe, '/') + 1 : "?";
    printf("child argv0=%s argc=%d arg=%s env=%s exe=%s\n", argv[0], argc, argv[2],
           getenv("DOPPEL_EXEC_VAR"), base);
    return 21;
  }
  if (argc < 2) return 2;
  Faults();
  Files(argv[1]);
  SharedMapping(argv[1]);
  Pipes();
  Exec(argv[0]);
  return 0;
}
