// linux-user/memory_map.h: the guest process's address space as the kernel sees it: a list of
// VMAs with protections, placement of new mappings, and the Machine mappings kept in step.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/machine.h"

namespace doppel::linux_user {

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kTaskSize =
    0x7ffffffff000;                        // top of x86-64 user space (47 bits, last page reserved)
constexpr uint64_t kMinMapAddr = 0x10000;  // the kernel's default vm.mmap_min_addr
constexpr uint64_t kStackTop = kTaskSize;
constexpr uint64_t kStackSize = 8ull << 20;
// Top-down mmap placement starts below the stack and a gap for its growth, as Linux does.
constexpr uint64_t kMmapBase = kStackTop - (128ull << 20);
constexpr uint64_t kPieBase = 0x555555554000;
// An i386 process on a 64-bit kernel (the compat TASK_SIZE): 4 GiB less two pages.
constexpr uint64_t kTaskSize32 = 0xffffe000;
constexpr uint64_t kMmapBase32 = kTaskSize32 - (128ull << 20);
constexpr uint64_t kMaxMappingBytes = 4ull << 30;  // per mmap call; see MemoryMap::MapFixed

inline uint64_t PageDown(uint64_t a) { return a & ~(kPageSize - 1); }
// Rounds up; callers check a < kTaskSize first so this cannot wrap.
inline uint64_t PageUp(uint64_t a) { return (a + kPageSize - 1) & ~(kPageSize - 1); }

struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
  int prot = 0;      // kProt* bits as the guest asked (PROT_* values are the same)
  std::string name;  // file path, "[heap]", "[stack]" or empty for anonymous memory
};

class MemoryMap {
 public:
  explicit MemoryMap(Machine& m) : machine_(m) {}
  // An i386 guest: everything lives below 4 GiB.
  void Use32BitLayout() {
    task_size_ = kTaskSize32;
    mmap_base_ = kMmapBase32;
  }
  uint64_t task_size() const { return task_size_; }
  uint64_t mmap_base() const { return mmap_base_; }
  uint64_t stack_top() const { return task_size_; }

  // Maps [start, start+len) with zeroed pages, replacing whatever was there (MAP_FIXED).
  // Returns 0 or -errno.
  int MapFixed(uint64_t start, uint64_t len, int prot, const std::string& name);
  int Unmap(uint64_t start, uint64_t len);
  // -ENOMEM when part of the range is not mapped (nothing changes then), as mprotect(2).
  int Protect(uint64_t start, uint64_t len, int prot);

  bool IsFree(uint64_t start, uint64_t len) const;
  bool IsMapped(uint64_t start, uint64_t len) const;
  // A free, page-aligned range of len bytes: at hint when free, else the highest one below
  // kMmapBase (the kernel's top-down allocator), else the lowest above kMinMapAddr.
  std::optional<uint64_t> FindFree(uint64_t len, uint64_t hint = 0) const;
  // True when every byte of [addr, addr+len) is mapped with all of `access` (kProt* bits).
  bool Check(uint64_t addr, uint64_t len, int access) const;
  const Vma* Find(uint64_t addr) const;
  const std::map<uint64_t, Vma>& vmas() const { return vmas_; }

  // MAP_SHARED file mappings: guest memory is a copy of the file, written back to it at msync,
  // munmap (or a MAP_FIXED mapping replacing it), execve and process exit, so other readers of
  // the file see the guest's stores from then on (not before, as they would on Linux). The
  // mapping keeps its own descriptor (a duplicate at 512 or above, close-on-exec).
  void AddSharedFile(uint64_t start, uint64_t len, int fd, uint64_t offset);
  void WriteBack(uint64_t start, uint64_t len);
  void WriteBackAll() { WriteBack(0, task_size_); }

 private:
  // Splits VMAs so that addr is a boundary.
  void SplitAt(uint64_t addr);
  void Merge();

  struct SharedFile {
    uint64_t start, len;
    int fd;
    uint64_t offset;
  };
  // Writes back and forgets the shared-file pages in [start, end).
  void DropSharedFiles(uint64_t start, uint64_t end);

  Machine& machine_;
  std::map<uint64_t, Vma> vmas_;  // key: start
  std::vector<SharedFile> shared_files_;
  uint64_t task_size_ = kTaskSize;
  uint64_t mmap_base_ = kMmapBase;
};

// x86 pages cannot be write-only or execute-only: PROT_WRITE and PROT_EXEC imply readability.
inline int EffectiveProt(int prot) {
  return prot & (kProtWrite | kProtExec) ? (prot & kProtRWX) | kProtRead : prot & kProtRWX;
}

}  // namespace doppel::linux_user
