// linux-user/memory_map.cpp: the VMA list: split/merge on partial unmap and mprotect, free-range
// search, and permission checks for guest pointers handed to system calls.
#include "linux-user/memory_map.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace doppel::linux_user {

void MemoryMap::SplitAt(uint64_t addr) {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return;
  --it;
  Vma& v = it->second;
  if (v.start >= addr || v.end <= addr) return;
  Vma tail = v;
  tail.start = addr;
  v.end = addr;
  vmas_.emplace(addr, tail);
}

void MemoryMap::Merge() {
  for (auto it = vmas_.begin(); it != vmas_.end();) {
    auto next = std::next(it);
    if (next == vmas_.end()) break;
    if (it->second.end == next->second.start && it->second.prot == next->second.prot &&
        it->second.name == next->second.name) {
      it->second.end = next->second.end;
      vmas_.erase(next);
    } else {
      it = next;
    }
  }
}

int MemoryMap::MapFixed(uint64_t start, uint64_t len, int prot, const std::string& name) {
  if ((start | len) & (kPageSize - 1) || len == 0) return -EINVAL;
  if (start > task_size_ || len > task_size_ - start) return -ENOMEM;
  // softmmu keeps one entry per page, so a huge reservation would take time and memory in
  // proportion to its size: refuse it like an overcommit failure.
  if (len > kMaxMappingBytes) return -ENOMEM;
  Unmap(start, len);
  std::string error;
  if (!machine_.Map(start, len, EffectiveProt(prot), &error)) return -ENOMEM;
  vmas_.emplace(start, Vma{start, start + len, prot, name});
  Merge();
  return 0;
}

void MemoryMap::AddSharedFile(uint64_t start, uint64_t len, int fd, uint64_t offset) {
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 512);
  if (own >= 0) shared_files_.push_back(SharedFile{start, len, own, offset});
}

void MemoryMap::WriteBack(uint64_t start, uint64_t len) {
  const uint64_t end = start + len;
  std::vector<uint8_t> buf;
  for (const SharedFile& f : shared_files_) {
    uint64_t lo = std::max(start, f.start), hi = std::min(end, f.start + f.len);
    if (lo >= hi) continue;
    // Only bytes the file already has: stores through a mapping never extend a file.
    struct stat st;
    if (fstat(f.fd, &st) != 0) continue;
    uint64_t file_end = static_cast<uint64_t>(st.st_size);
    uint64_t file_lo = f.offset + (lo - f.start);
    if (file_lo >= file_end) continue;
    uint64_t n = std::min(hi - lo, file_end - file_lo);
    buf.resize(n);
    if (!machine_.ReadMemory(lo, buf.data(), n)) continue;
    for (uint64_t done = 0; done < n;) {
      ssize_t put = pwrite(f.fd, buf.data() + done, n - done, static_cast<off_t>(file_lo + done));
      if (put < 0 && errno == EINTR) continue;
      if (put <= 0) break;
      done += static_cast<uint64_t>(put);
    }
  }
}

void MemoryMap::DropSharedFiles(uint64_t start, uint64_t end) {
  if (shared_files_.empty()) return;
  WriteBack(start, end - start);
  std::vector<SharedFile> kept;
  for (const SharedFile& f : shared_files_) {
    uint64_t f_end = f.start + f.len;
    if (f_end <= start || f.start >= end) {
      kept.push_back(f);
      continue;
    }
    // The parts outside [start, end) stay, each with its own descriptor.
    if (f.start < start)
      kept.push_back(
          SharedFile{f.start, start - f.start, fcntl(f.fd, F_DUPFD_CLOEXEC, 512), f.offset});
    if (f_end > end)
      kept.push_back(SharedFile{end, f_end - end, fcntl(f.fd, F_DUPFD_CLOEXEC, 512),
                                f.offset + (end - f.start)});
    close(f.fd);
  }
  shared_files_ = std::move(kept);
}

int MemoryMap::Unmap(uint64_t start, uint64_t len) {
  if (start & (kPageSize - 1) || len == 0) return -EINVAL;
  if (start > task_size_ || len > task_size_ - start) return -EINVAL;
  uint64_t end = PageUp(start + len);
  DropSharedFiles(start, end);
  SplitAt(start);
  SplitAt(end);
  for (auto it = vmas_.lower_bound(start); it != vmas_.end() && it->first < end;) {
    machine_.Unmap(it->second.start, it->second.end - it->second.start);
    it = vmas_.erase(it);
  }
  return 0;
}

int MemoryMap::Protect(uint64_t start, uint64_t len, int prot) {
  if (start & (kPageSize - 1)) return -EINVAL;
  if (len == 0) return 0;
  if (start > task_size_ || len > task_size_ - start) return -ENOMEM;
  uint64_t end = PageUp(start + len);
  if (!IsMapped(start, end - start)) return -ENOMEM;
  SplitAt(start);
  SplitAt(end);
  for (auto it = vmas_.lower_bound(start); it != vmas_.end() && it->first < end; ++it) {
    it->second.prot = prot;
    machine_.Protect(it->second.start, it->second.end - it->second.start, EffectiveProt(prot));
  }
  Merge();
  return 0;
}

const Vma* MemoryMap::Find(uint64_t addr) const {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second : nullptr;
}

bool MemoryMap::IsFree(uint64_t start, uint64_t len) const {
  if (len == 0 || start > task_size_ || len > task_size_ - start) return false;
  auto it = vmas_.lower_bound(start);
  if (it != vmas_.end() && it->first < start + len) return false;
  if (it != vmas_.begin() && std::prev(it)->second.end > start) return false;
  return true;
}

bool MemoryMap::IsMapped(uint64_t start, uint64_t len) const { return Check(start, len, 0); }

bool MemoryMap::Check(uint64_t addr, uint64_t len, int access) const {
  if (len == 0) return true;
  if (addr > task_size_ || len > task_size_ - addr) return false;
  uint64_t end = addr + len;
  while (addr < end) {
    const Vma* v = Find(addr);
    if (!v || (EffectiveProt(v->prot) & access) != access) return false;
    addr = v->end;
  }
  return true;
}

std::optional<uint64_t> MemoryMap::FindFree(uint64_t len, uint64_t hint) const {
  len = PageUp(len);
  if (len == 0 || len > task_size_) return std::nullopt;
  hint = PageDown(hint);
  if (hint >= kMinMapAddr && IsFree(hint, len)) return hint;
  // Top-down: walk the gaps below mmap_base_ from the highest.
  uint64_t top = mmap_base_;
  auto it = vmas_.lower_bound(top);
  while (true) {
    uint64_t gap_lo = kMinMapAddr;
    if (it != vmas_.begin()) gap_lo = std::max(gap_lo, std::prev(it)->second.end);
    if (top >= gap_lo && top - gap_lo >= len) return top - len;
    if (it == vmas_.begin()) break;
    --it;
    top = std::min(top, it->second.start);
  }
  // Then bottom-up above mmap_base_ (only the stack lives there normally).
  uint64_t lo = mmap_base_;
  for (auto i = vmas_.lower_bound(mmap_base_); i != vmas_.end(); ++i) {
    if (i->first >= lo && i->first - lo >= len) return lo;
    lo = std::max(lo, i->second.end);
  }
  if (lo <= task_size_ && task_size_ - lo >= len) return lo;
  return std::nullopt;
}

}  // namespace doppel::linux_user
