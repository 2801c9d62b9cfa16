// devices/fw_cfg.h: QEMU's firmware configuration device through its legacy x86 port interface
// (selector 0x510, 16-bit writes; data 0x511, byte reads). Guests and loaders written for QEMU read
// the RAM size, CPU count, command line and named files ("etc/...") from it.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "devices/bus.h"

namespace doppel::devices {

struct FwCfgConfig {
  uint64_t ram_bytes = 0;
  uint16_t cpus = 1;
  std::string cmdline;
};

class FwCfg : public PortDevice {
 public:
  static constexpr uint16_t kPort = 0x510;  // selector; data at kPort + 1
  static constexpr unsigned kPortCount = 2;

  // Well-known selectors (QEMU include/standard-headers/linux/qemu_fw_cfg.h).
  static constexpr uint16_t kSignature = 0x0000;
  static constexpr uint16_t kId = 0x0001;
  static constexpr uint16_t kRamSize = 0x0003;
  static constexpr uint16_t kNbCpus = 0x0005;
  static constexpr uint16_t kMaxCpus = 0x000f;
  static constexpr uint16_t kCmdlineSize = 0x0014;
  static constexpr uint16_t kCmdlineData = 0x0015;
  static constexpr uint16_t kFileDir = 0x0019;
  static constexpr uint16_t kFileFirst = 0x0020;
  static constexpr size_t kMaxFileName = 56;   // including the terminating NUL
  static constexpr size_t kMaxFiles = 0x3fe0;  // selectors up to the write-channel bit

  explicit FwCfg(const FwCfgConfig& config);

  uint32_t PortRead(uint16_t port, unsigned size) override;
  void PortWrite(uint16_t port, unsigned size, uint32_t value) override;

  // Adds a named file, listed in the file directory sorted by name as QEMU does (so selectors are
  // reassigned as files are added). False for an empty, too long or duplicate name.
  bool AddFile(std::string_view name, std::vector<uint8_t> bytes);
  // Sets a raw item (e.g. an arch-local 0x8000+ key such as QEMU's e820 table).
  void SetItem(uint16_t key, std::vector<uint8_t> bytes);

 private:
  void Select(uint16_t key);
  void RebuildFiles();

  struct File {
    std::string name;
    std::vector<uint8_t> bytes;
  };
  std::map<uint16_t, std::vector<uint8_t>> items_;
  std::vector<File> files_;  // sorted by name
  const std::vector<uint8_t>* current_ = nullptr;
  size_t offset_ = 0;
};

}  // namespace doppel::devices
