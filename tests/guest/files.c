/* tests/guest/files.c: file-descriptor and path system calls on a temporary directory given as
   argv[1]: open/read/write/lseek/pread/pwrite/readv/writev, stat family, rename, unlink, mkdir,
   getdents64, pipes, dup, getcwd/chdir, readlink of /proc/self/exe, and error returns. */
#include "nolibc.h"

#define ENOENT 2
#define EBADF 9
#define EFAULT 14
#define ENOTTY 25
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_DIRECTORY 0200000
#define AT_FDCWD -100

struct iovec {
  void* base;
  size_t len;
};

static char path_buf[512];
static const char* join(const char* dir, const char* name) {
  size_t n = strlen(dir);
  memcpy(path_buf, dir, n);
  path_buf[n] = '/';
  memcpy(path_buf + n + 1, name, strlen(name) + 1);
  return path_buf;
}

int guest_main(long sp, long rdx) {
  long* stack = (long*)sp;
  if (stack[0] < 2) {
    put("usage: files DIR\n");
    return 2;
  }
  const char* dir = ((char**)(stack + 1))[1];
  char a_path[512], b_path[512];
  memcpy(a_path, join(dir, "a.txt"), sizeof a_path);
  memcpy(b_path, join(dir, "b.txt"), sizeof b_path);

  long fd = sys3(SYS_open, a_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  check("open O_CREAT", fd >= 0);
  show("write", sys3(SYS_write, fd, "hello, file\n", 12));
  show("lseek to 7", sys3(SYS_lseek, fd, 7, 0));
  char buf[64];
  memset(buf, 0, sizeof buf);
  show("read after lseek", sys3(SYS_read, fd, buf, sizeof buf));
  put(buf);
  show("pwrite at 0", sys4(SYS_pwrite64, fd, "HELLO", 5, 0));
  memset(buf, 0, sizeof buf);
  show("pread at 0", sys4(SYS_pread64, fd, buf, 12, 0));
  put(buf);
  struct iovec iov[2] = {{"vec", 3}, {"tor\n", 4}};
  show("writev", sys3(SYS_writev, fd, iov, 2));
  sys3(SYS_lseek, fd, 12, 0);
  char x[3], y[8];
  memset(y, 0, sizeof y);
  struct iovec riov[2] = {{x, 3}, {y, 4}};
  show("readv", sys3(SYS_readv, fd, riov, 2));
  check("readv scatters", memcmp(x, "vec", 3) == 0 && memcmp(y, "tor\n", 4) == 0);
  unsigned long st[18];
  check("fstat", sys2(SYS_fstat, fd, st) == 0);
  show("st_size", (long)st[6]);
  show("close", sys1(SYS_close, fd));
  show("close again", sys1(SYS_close, fd));

  check("stat", sys2(SYS_stat, a_path, st) == 0 && st[6] == 19);
  check("newfstatat", sys4(SYS_newfstatat, AT_FDCWD, a_path, st, 0) == 0 && st[6] == 19);
  show("stat of a missing file", sys2(SYS_stat, join(dir, "missing"), st));
  show("access", sys2(SYS_access, a_path, 4));
  show("rename", sys2(SYS_rename, a_path, b_path));
  show("open the old name", sys3(SYS_open, a_path, O_RDONLY, 0));
  show("mkdir", sys2(SYS_mkdir, join(dir, "sub"), 0755));

  long dfd = sys3(SYS_open, dir, O_RDONLY | O_DIRECTORY, 0);
  check("open the directory", dfd >= 0);
  char dents[1024];
  long n = sys3(SYS_getdents64, dfd, dents, sizeof dents);
  long entries = 0, name_bytes = 0;
  for (long off = 0; off < n;) {
    unsigned short reclen = *(unsigned short*)(dents + off + 16);
    entries++;
    name_bytes += strlen(dents + off + 19);
    off += reclen;
  }
  show("directory entries", entries);
  show("directory name bytes", name_bytes);
  sys1(SYS_close, dfd);
  show("rmdir", sys1(SYS_rmdir, join(dir, "sub")));
  show("unlink", sys1(SYS_unlink, b_path));

  int fds[2];
  check("pipe", sys1(SYS_pipe, fds) == 0);
  show("write to the pipe", sys3(SYS_write, fds[1], "through a pipe\n", 15));
  memset(buf, 0, sizeof buf);
  show("read from the pipe", sys3(SYS_read, fds[0], buf, sizeof buf));
  put(buf);
  long d = sys1(SYS_dup, 1);
  check("dup", d > 2);
  sys3(SYS_write, d, "via dup\n", 8);
  check("dup2", sys2(SYS_dup2, 1, 20) == 20);
  sys3(SYS_write, 20, "via dup2\n", 9);
  sys1(SYS_close, 20);
  show("write to a closed fd", sys3(SYS_write, 20, "x", 1));
  show("ioctl TCGETS on a pipe", sys3(SYS_ioctl, fds[0], 0x5401, buf));
  show("fcntl F_GETFD", sys3(SYS_fcntl, fds[0], 1, 0));

  char cwd[512];
  long c = sys2(SYS_getcwd, cwd, sizeof cwd);
  check("getcwd", c > 0);
  show("chdir", sys1(SYS_chdir, dir));
  memset(cwd, 0, sizeof cwd);
  sys2(SYS_getcwd, cwd, sizeof cwd);
  put("cwd now ");
  put(cwd);
  put("\n");
  show("getcwd with a small buffer", sys2(SYS_getcwd, cwd, 2));
  char link[512];
  memset(link, 0, sizeof link);
  long ln = sys3(SYS_readlink, "/proc/self/exe", link, sizeof link);
  check("readlink /proc/self/exe", ln > 0);
  put("exe ");
  put(link);
  put("\n");
  show("open with a bad path pointer", sys3(SYS_open, 8, O_RDONLY, 0));

  char uts[390];
  check("uname", sys1(SYS_uname, uts) == 0);
  put("machine ");
  put(uts + 4 * 65);
  put("\n");
  long ts[2];
  check("clock_gettime", sys2(SYS_clock_gettime, 0, ts) == 0 && ts[0] > 1600000000);
  unsigned char rnd[16];
  show("getrandom", sys3(SYS_getrandom, rnd, 16, 0));
  check("getpid is gettid", sys0(SYS_getpid) == sys0(SYS_gettid));
  return 3;
}
