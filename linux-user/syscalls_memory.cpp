// linux-user/syscalls_memory.cpp: the guest address space: mmap (anonymous and file-backed by
// copying), munmap, mprotect, mremap, brk and madvise, all kept in the VMA list.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vector>

#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

constexpr uint64_t kMap32BitLimit = 0x80000000;

// Replaces [start, start+len) with fresh zero pages carrying each VMA's protection and name.
void ZeroRange(Process& p, uint64_t start, uint64_t len) {
  std::vector<Vma> pieces;
  for (const auto& [vstart, v] : p.memory().vmas()) {
    uint64_t lo = std::max(v.start, start), hi = std::min(v.end, start + len);
    if (lo < hi) pieces.push_back(Vma{lo, hi, v.prot, v.name});
  }
  for (const Vma& v : pieces) p.memory().MapFixed(v.start, v.end - v.start, v.prot, v.name);
}

// Copies guest memory between mappings (used by mremap when it moves a mapping).
void CopyGuest(Process& p, uint64_t to, uint64_t from, uint64_t len) {
  std::vector<uint8_t> buf(1u << 20);
  for (uint64_t done = 0; done < len;) {
    uint64_t n = std::min<uint64_t>(len - done, buf.size());
    p.machine().ReadMemory(from + done, buf.data(), n);
    p.machine().WriteMemory(to + done, buf.data(), n);
    done += n;
  }
}

}  // namespace

DOPPEL_SYSCALL(SysMmap) {
  uint64_t addr = a[0], len = a[1], off = a[5];
  int prot = static_cast<int>(a[2]), flags = static_cast<int>(a[3]), fd = static_cast<int>(a[4]);
  if (len == 0 || (off & (kPageSize - 1))) return -EINVAL;
  if (len >= kTaskSize) return -ENOMEM;
  len = PageUp(len);
  int type = flags & MAP_SHARED_VALIDATE;
  if (type == 0) return -EINVAL;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -EINVAL;
  bool anon = flags & MAP_ANONYMOUS;
  uint64_t file_size = 0;
  if (!anon) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -EBADF;
    int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
    if (acc == O_WRONLY) return -EACCES;
    if (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR) return -EACCES;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5)) {
      anon = true;  // /dev/zero
    } else if (!S_ISREG(st.st_mode)) {
      return -ENODEV;
    }
    file_size = static_cast<uint64_t>(st.st_size);
  }

  uint64_t start;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr & (kPageSize - 1)) return -EINVAL;
    if (addr > kTaskSize || len > kTaskSize - addr) return -ENOMEM;
    if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && !p.memory().IsFree(addr, len))
      return -EEXIST;
    start = addr;
  } else {
    auto found = p.memory().FindFree(len, (flags & MAP_32BIT) && !addr ? 0x40000000 : addr);
    if (!found) return -ENOMEM;
    if ((flags & MAP_32BIT) && *found + len > kMap32BitLimit) return -ENOMEM;
    start = *found;
  }
  if (int e = p.memory().MapFixed(start, len, prot, anon ? "" : "file")) return e;
  if (!anon && off < file_size) {
    // Guest memory is a copy; a writable MAP_SHARED mapping is written back (memory_map.h).
    uint64_t n = std::min(len, file_size - off);
    std::vector<uint8_t> buf(std::min<uint64_t>(n, 1u << 20));
    for (uint64_t done = 0; done < n;) {
      ssize_t got = pread(fd, buf.data(), std::min<uint64_t>(n - done, buf.size()),
                          static_cast<off_t>(off + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      p.machine().WriteMemory(start + done, buf.data(), static_cast<size_t>(got));
      done += static_cast<uint64_t>(got);
    }
  }
  if (!anon && type != MAP_PRIVATE && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR)
    p.memory().AddSharedFile(start, len, fd, off);
  return static_cast<int64_t>(start);
}

DOPPEL_SYSCALL(SysMsync) {
  if ((a[0] & (kPageSize - 1)) || (a[2] & ~uint64_t{MS_ASYNC | MS_SYNC | MS_INVALIDATE}) ||
      ((a[2] & MS_ASYNC) && (a[2] & MS_SYNC)))
    return -EINVAL;
  uint64_t len = PageUp(a[1]);
  if (!p.memory().IsMapped(a[0], len)) return -ENOMEM;
  p.memory().WriteBack(a[0], len);
  return 0;
}

DOPPEL_SYSCALL(SysMunmap) {
  if ((a[0] & (kPageSize - 1)) || a[1] == 0) return -EINVAL;
  return p.memory().Unmap(a[0], a[1]);
}

DOPPEL_SYSCALL(SysMprotect) {
  int prot = static_cast<int>(a[2]);
  // PROT_GROWSDOWN/UP only widen the range to the stack VMA; the range here is exact.
  prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -EINVAL;
  return p.memory().Protect(a[0], a[1], prot);
}

DOPPEL_SYSCALL(SysMremap) {
  uint64_t old_addr = a[0], old_len = a[1], new_len = a[2], flags = a[3], new_addr = a[4];
  if (old_addr & (kPageSize - 1)) return -EINVAL;
  if (flags & ~uint64_t{MREMAP_MAYMOVE | MREMAP_FIXED}) return -EINVAL;
  if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
  if (new_len == 0 || old_len == 0 || old_len >= kTaskSize || new_len >= kTaskSize) return -EINVAL;
  old_len = PageUp(old_len);
  new_len = PageUp(new_len);
  const Vma* v = p.memory().Find(old_addr);
  if (!v || v->end - old_addr < old_len) return -EFAULT;  // must lie within one mapping
  int prot = v->prot;
  std::string name = v->name;
  if (!(flags & MREMAP_FIXED)) {
    if (new_len <= old_len) {
      if (new_len < old_len) p.memory().Unmap(old_addr + new_len, old_len - new_len);
      return static_cast<int64_t>(old_addr);
    }
    if (p.memory().IsFree(old_addr + old_len, new_len - old_len)) {
      if (int e = p.memory().MapFixed(old_addr + old_len, new_len - old_len, prot, name)) return e;
      return static_cast<int64_t>(old_addr);
    }
    if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
    auto found = p.memory().FindFree(new_len);
    if (!found) return -ENOMEM;
    new_addr = *found;
  } else {
    if (new_addr & (kPageSize - 1)) return -EINVAL;
    if (new_addr > kTaskSize || new_len > kTaskSize - new_addr) return -EINVAL;
    if (new_addr < old_addr + old_len && old_addr < new_addr + new_len) return -EINVAL;
  }
  if (int e = p.memory().MapFixed(new_addr, new_len, prot, name)) return e;
  CopyGuest(p, new_addr, old_addr, std::min(old_len, new_len));
  p.memory().Unmap(old_addr, old_len);
  return static_cast<int64_t>(new_addr);
}

DOPPEL_SYSCALL(SysBrk) { return static_cast<int64_t>(p.Brk(a[0])); }

DOPPEL_SYSCALL(SysMadvise) {
  uint64_t start = a[0], len = a[1];
  if (start & (kPageSize - 1)) return -EINVAL;
  if (len == 0) return 0;
  if (len >= kTaskSize) return -EINVAL;
  len = PageUp(len);
  if (!p.memory().IsMapped(start, len)) return -ENOMEM;
  // MADV_DONTNEED discards private pages: the next access sees zeros (malloc relies on it).
  if (a[2] == MADV_DONTNEED) ZeroRange(p, start, len);
  return 0;
}

}  // namespace doppel::linux_user
