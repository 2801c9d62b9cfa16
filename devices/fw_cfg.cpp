// devices/fw_cfg.cpp: fw_cfg items, the file directory and the legacy port protocol.
#include "devices/fw_cfg.h"

#include <algorithm>

namespace doppel::devices {

namespace {

// Bit 14 of a selector marks a write (QEMU's write channel, unused by the legacy interface);
// bit 15 selects the architecture-local items.
constexpr uint16_t kWriteChannel = 0x4000;

template <typename T>
std::vector<uint8_t> LittleEndian(T value) {
  std::vector<uint8_t> bytes(sizeof(T));
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  return bytes;
}

void PutBigEndian(std::vector<uint8_t>& out, uint64_t value, unsigned bytes) {
  for (unsigned i = bytes; i-- > 0;) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

}  // namespace

FwCfg::FwCfg(const FwCfgConfig& config) {
  items_[kSignature] = {'Q', 'E', 'M', 'U'};
  items_[kId] = LittleEndian<uint32_t>(1);  // traditional interface only, no DMA
  items_[kRamSize] = LittleEndian<uint64_t>(config.ram_bytes);
  items_[kNbCpus] = LittleEndian<uint16_t>(config.cpus);
  items_[kMaxCpus] = LittleEndian<uint16_t>(config.cpus);
  // QEMU's x86 Linux loader counts and includes the terminating NUL.
  items_[kCmdlineSize] = LittleEndian<uint32_t>(static_cast<uint32_t>(config.cmdline.size() + 1));
  std::vector<uint8_t> cmdline(config.cmdline.begin(), config.cmdline.end());
  cmdline.push_back(0);
  items_[kCmdlineData] = std::move(cmdline);
  RebuildFiles();
}

bool FwCfg::AddFile(std::string_view name, std::vector<uint8_t> bytes) {
  if (name.empty() || name.size() >= kMaxFileName || files_.size() >= kMaxFiles) return false;
  if (name.find('\0') != std::string_view::npos) return false;
  auto pos = std::lower_bound(files_.begin(), files_.end(), name,
                              [](const File& f, std::string_view n) { return f.name < n; });
  if (pos != files_.end() && pos->name == name) return false;
  files_.insert(pos, File{std::string(name), std::move(bytes)});
  RebuildFiles();
  return true;
}

void FwCfg::SetItem(uint16_t key, std::vector<uint8_t> bytes) {
  items_[key & ~kWriteChannel] = std::move(bytes);
  current_ = nullptr;  // the selected item's storage may have moved
  offset_ = 0;
}

void FwCfg::RebuildFiles() {
  // struct FWCfgFiles: be32 count, then per file be32 size, be16 select, be16 reserved,
  // char name[56].
  std::vector<uint8_t> dir;
  PutBigEndian(dir, files_.size(), 4);
  for (size_t i = 0; i < files_.size(); ++i) {
    const File& f = files_[i];
    PutBigEndian(dir, f.bytes.size(), 4);
    PutBigEndian(dir, kFileFirst + i, 2);
    PutBigEndian(dir, 0, 2);
    size_t start = dir.size();
    dir.resize(start + kMaxFileName, 0);
    std::copy(f.name.begin(), f.name.end(), dir.begin() + start);
  }
  items_[kFileDir] = std::move(dir);
  current_ = nullptr;
  offset_ = 0;
}

void FwCfg::Select(uint16_t key) {
  offset_ = 0;
  current_ = nullptr;
  key &= ~kWriteChannel;
  size_t index = key & 0x3fff;
  if (!(key & 0x8000) && index >= kFileFirst && index - kFileFirst < files_.size()) {
    current_ = &files_[index - kFileFirst].bytes;
    return;
  }
  auto it = items_.find(key);
  if (it != items_.end()) current_ = &it->second;
}

uint32_t FwCfg::PortRead(uint16_t port, unsigned size) {
  // QEMU accepts only byte reads on the combined port range (either port reads data); a wider
  // read fails its access check and reads as 0.
  if (size != 1) return 0;
  if (!current_ || offset_ >= current_->size()) return 0;
  return (*current_)[offset_++];
}

void FwCfg::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  // A 16-bit write selects; byte writes are the retired legacy data write, which QEMU ignores.
  if (size == 2) Select(static_cast<uint16_t>(value));
}

}  // namespace doppel::devices
