// tests/devices/fw_cfg_test.cpp: fw_cfg selector/data protocol, standard items and the file
// directory.
#include "devices/fw_cfg.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "devices/bus.h"

namespace doppel::devices {
namespace {

struct FwCfgTest : ::testing::Test {
  FwCfg fw{FwCfgConfig{.ram_bytes = 0x1'2345'6000ull, .cpus = 3, .cmdline = "console=ttyS0"}};
  PortBus bus;
  void SetUp() override { ASSERT_TRUE(bus.Add(FwCfg::kPort, FwCfg::kPortCount, &fw)); }
  void Select(uint16_t key) { bus.Write(0x510, 2, key); }
  std::vector<uint8_t> Read(size_t n) {
    std::vector<uint8_t> out;
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(bus.Read(0x511, 1)));
    return out;
  }
  uint64_t ReadLe(size_t n) {
    uint64_t v = 0;
    auto bytes = Read(n);
    for (size_t i = 0; i < n; ++i) v |= uint64_t{bytes[i]} << (8 * i);
    return v;
  }
  uint64_t ReadBe(size_t n) {
    uint64_t v = 0;
    for (uint8_t b : Read(n)) v = (v << 8) | b;
    return v;
  }
};

TEST_F(FwCfgTest, SignatureAndIdAsQemu) {
  Select(FwCfg::kSignature);
  EXPECT_EQ(Read(4), (std::vector<uint8_t>{'Q', 'E', 'M', 'U'}));
  EXPECT_EQ(Read(2), (std::vector<uint8_t>{0, 0}));  // past the end
  Select(FwCfg::kId);
  EXPECT_EQ(ReadLe(4), 1u);
}

TEST_F(FwCfgTest, RamSizeAndCpuCounts) {
  Select(FwCfg::kRamSize);
  EXPECT_EQ(ReadLe(8), 0x1'2345'6000ull);
  Select(FwCfg::kNbCpus);
  EXPECT_EQ(ReadLe(2), 3u);
  Select(FwCfg::kMaxCpus);
  EXPECT_EQ(ReadLe(2), 3u);
}

TEST_F(FwCfgTest, CommandLineIncludesItsNul) {
  std::string cmdline = "console=ttyS0";
  Select(FwCfg::kCmdlineSize);
  EXPECT_EQ(ReadLe(4), cmdline.size() + 1);
  Select(FwCfg::kCmdlineData);
  std::vector<uint8_t> expected(cmdline.begin(), cmdline.end());
  expected.push_back(0);
  EXPECT_EQ(Read(expected.size()), expected);
}

TEST_F(FwCfgTest, SelectingResetsTheOffset) {
  Select(FwCfg::kSignature);
  Read(2);
  Select(FwCfg::kSignature);
  EXPECT_EQ(Read(1), std::vector<uint8_t>{'Q'});
}

TEST_F(FwCfgTest, UnknownKeysReadZero) {
  Select(0x0abc);
  EXPECT_EQ(Read(3), (std::vector<uint8_t>{0, 0, 0}));
  Select(FwCfg::kFileFirst);  // no files yet
  EXPECT_EQ(Read(1), std::vector<uint8_t>{0});
}

TEST_F(FwCfgTest, EmptyFileDirectoryHasCountZero) {
  Select(FwCfg::kFileDir);
  EXPECT_EQ(ReadBe(4), 0u);
  EXPECT_EQ(Read(1), std::vector<uint8_t>{0});
}

TEST_F(FwCfgTest, FilesAreListedSortedWithSelectors) {
  ASSERT_TRUE(fw.AddFile("etc/zeta", {1, 2, 3}));
  ASSERT_TRUE(fw.AddFile("etc/alpha", {9, 8}));
  EXPECT_FALSE(fw.AddFile("etc/alpha", {0}));  // duplicate
  EXPECT_FALSE(fw.AddFile("", {0}));
  EXPECT_FALSE(fw.AddFile(std::string(56, 'x'), {0}));  // no room for the NUL
  EXPECT_TRUE(fw.AddFile(std::string(55, 'y'), {}));
  Select(FwCfg::kFileDir);
  ASSERT_EQ(ReadBe(4), 3u);
  struct Entry {
    uint32_t size;
    uint16_t select;
    std::string name;
  };
  std::vector<Entry> entries;
  for (int i = 0; i < 3; ++i) {
    Entry e;
    e.size = static_cast<uint32_t>(ReadBe(4));
    e.select = static_cast<uint16_t>(ReadBe(2));
    EXPECT_EQ(ReadBe(2), 0u);  // reserved
    auto name = Read(56);
    e.name = std::string(reinterpret_cast<const char*>(name.data()));
    EXPECT_EQ(name.back(), 0);
    entries.push_back(e);
  }
  EXPECT_EQ(entries[0].name, "etc/alpha");
  EXPECT_EQ(entries[0].size, 2u);
  EXPECT_EQ(entries[0].select, 0x20);
  EXPECT_EQ(entries[1].name, "etc/zeta");
  EXPECT_EQ(entries[1].size, 3u);
  EXPECT_EQ(entries[1].select, 0x21);
  EXPECT_EQ(entries[2].name, std::string(55, 'y'));
  EXPECT_EQ(entries[2].select, 0x22);
  Select(entries[1].select);
  EXPECT_EQ(Read(4), (std::vector<uint8_t>{1, 2, 3, 0}));
  Select(entries[0].select);
  EXPECT_EQ(Read(2), (std::vector<uint8_t>{9, 8}));
}

TEST_F(FwCfgTest, ArchLocalItemsAndAccessSizes) {
  fw.SetItem(0x8003, {0xaa, 0xbb});
  Select(0x8003);
  EXPECT_EQ(Read(2), (std::vector<uint8_t>{0xaa, 0xbb}));
  Select(FwCfg::kSignature);
  EXPECT_EQ(bus.Read(0x510, 1), static_cast<uint32_t>('Q'));  // either port reads data
  EXPECT_EQ(bus.Read(0x511, 2), 0u);                          // wide reads are rejected
  bus.Write(0x511, 1, 0x55);                                  // legacy data write: ignored
  bus.Write(0x510, 4, FwCfg::kId);                            // not a 16-bit write: ignored
  EXPECT_EQ(bus.Read(0x511, 1), static_cast<uint32_t>('E'));
}

}  // namespace
}  // namespace doppel::devices
