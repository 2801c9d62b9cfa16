// tests/softmmu/physical_memory_test.cpp: guest RAM, MMIO ranges and dispatch, unbacked addresses,
// code-page and paging-structure write notifications.
#include "softmmu/physical_memory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace doppel::softmmu {
namespace {

TEST(PhysicalMemory, InitRejectsBadSizes) {
  std::string err;
  PhysicalMemory a, b, c, d;
  EXPECT_FALSE(a.Init(0, &err));
  EXPECT_FALSE(b.Init(0x1800, &err));
  EXPECT_FALSE(c.Init(1ull << 41, &err));
  EXPECT_NE(err, "");
  ASSERT_TRUE(d.Init(1 << 20, &err)) << err;
  EXPECT_FALSE(d.Init(1 << 20, &err));
  EXPECT_EQ(d.ram_bytes(), 1u << 20);
}

TEST(PhysicalMemory, RamIsZeroedAndCopiesStayInside) {
  PhysicalMemory mem;
  ASSERT_TRUE(mem.Init(1 << 20, nullptr));
  ASSERT_NE(mem.Host(0), nullptr);
  EXPECT_EQ(mem.Host(0xfffff), mem.Host(0) + 0xfffff);
  EXPECT_EQ(mem.Host(1 << 20), nullptr);
  EXPECT_EQ(mem.ReadPhys(0x1234, 8), 0u);
  uint8_t in[32], out[32] = {};
  for (int i = 0; i < 32; ++i) in[i] = static_cast<uint8_t>(i + 1);
  EXPECT_TRUE(mem.Write(0xff0, in, 32));  // crosses a page
  EXPECT_TRUE(mem.Read(0xff0, out, 32));
  EXPECT_EQ(memcmp(in, out, 32), 0);
  EXPECT_EQ(mem.ReadPhys(0xffe, 4), 0x1211100fu);
  // Running off the end fails and writes nothing.
  EXPECT_FALSE(mem.Write((1 << 20) - 16, in, 32));
  EXPECT_EQ(mem.ReadPhys((1 << 20) - 16, 8), 0u);
  EXPECT_FALSE(mem.Read((1 << 20) - 16, out, 32));
}

TEST(PhysicalMemory, MmioRangesShadowRamAndDispatch) {
  PhysicalMemory mem;
  std::string err;
  ASSERT_TRUE(mem.Init(1 << 20, nullptr));
  EXPECT_FALSE(mem.AddMmio(0x80010, 0x1000, &err));
  EXPECT_EQ(err, "MMIO range is not page aligned");
  ASSERT_TRUE(mem.AddMmio(0x80000, 0x2000, &err)) << err;
  ASSERT_TRUE(mem.AddMmio(0xfee00000, 0x1000, &err)) << err;
  EXPECT_FALSE(mem.AddMmio(0x81000, 0x1000, &err));
  EXPECT_EQ(err, "MMIO range overlaps an existing one");
  EXPECT_FALSE(mem.AddMmio(0x7f000, 0x2000, &err));
  EXPECT_TRUE(mem.AddMmio(0x7f000, 0x1000, &err)) << err;  // adjacent is fine

  EXPECT_TRUE(mem.IsMmio(0x80000));
  EXPECT_TRUE(mem.IsMmio(0x81fff));
  EXPECT_FALSE(mem.IsMmio(0x82000));
  EXPECT_TRUE(mem.IsMmio(0xfee00030));
  EXPECT_FALSE(mem.IsMmio(0xfee01000));
  EXPECT_EQ(mem.Host(0x80000), nullptr);
  EXPECT_NE(mem.Host(0x82000), nullptr);
  uint8_t b = 0;
  EXPECT_FALSE(mem.Write(0x80004, &b, 1));  // loaders cannot write MMIO
  EXPECT_FALSE(mem.Read(0x7fff0, &b, 0x20));

  // Without a bus connected, MMIO reads all ones.
  EXPECT_EQ(mem.ReadPhys(0xfee00020, 4), 0xffffffffu);
  struct Access {
    uint64_t paddr;
    unsigned size;
    uint64_t value;
  };
  std::vector<Access> reads, writes;
  mem.mmio_read = [&](uint64_t paddr, unsigned size) {
    reads.push_back({paddr, size, 0});
    return 0x1122334455667788ull;
  };
  mem.mmio_write = [&](uint64_t paddr, unsigned size, uint64_t value) {
    writes.push_back({paddr, size, value});
  };
  EXPECT_EQ(mem.ReadPhys(0xfee00020, 4), 0x55667788u);  // masked to the access size
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].paddr, 0xfee00020u);
  EXPECT_EQ(reads[0].size, 4u);
  mem.WritePhys(0x80008, 2, 0xbeef);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].paddr, 0x80008u);
  EXPECT_EQ(writes[0].size, 2u);
  EXPECT_EQ(writes[0].value, 0xbeefu);
  // The RAM under the MMIO range is untouched.
  uint16_t under = 0;
  memcpy(&under, mem.Host(0) + 0x80008, 2);
  EXPECT_EQ(under, 0u);

  // A page-crossing access between MMIO and RAM goes byte by byte to each side.
  mem.WritePhys(0x82000 - 2, 4, 0xaabbccdd);
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[1].paddr, 0x81ffeu);
  EXPECT_EQ(writes[1].size, 1u);
  EXPECT_EQ(writes[1].value, 0xddu);
  EXPECT_EQ(writes[2].paddr, 0x81fffu);
  EXPECT_EQ(writes[2].value, 0xccu);
  EXPECT_EQ(mem.ReadPhys(0x82000, 2), 0xaabbu);
  EXPECT_EQ(mem.ReadPhys(0x7f000 - 2, 4), 0x88880000u);  // RAM zeros, then two MMIO bytes
}

TEST(PhysicalMemory, UnbackedAddressesReadAllOnesAndIgnoreWrites) {
  PhysicalMemory mem;
  ASSERT_TRUE(mem.Init(1 << 20, nullptr));
  bool called = false;
  mem.mmio_read = [&](uint64_t, unsigned) {
    called = true;
    return 0ull;
  };
  mem.mmio_write = [&](uint64_t, unsigned, uint64_t) { called = true; };
  EXPECT_EQ(mem.ReadPhys(0x200000, 1), 0xffu);
  EXPECT_EQ(mem.ReadPhys(0x200000, 2), 0xffffu);
  EXPECT_EQ(mem.ReadPhys(0x200000, 4), 0xffffffffu);
  EXPECT_EQ(mem.ReadPhys(0x200000, 8), ~0ull);
  mem.WritePhys(0x200000, 8, 0);
  EXPECT_EQ(mem.ReadPhys(0x200000, 8), ~0ull);
  EXPECT_FALSE(called);
  EXPECT_FALSE(mem.IsMmio(0x200000));
  // Half RAM, half beyond.
  mem.WritePhys((1 << 20) - 2, 2, 0x1234);
  EXPECT_EQ(mem.ReadPhys((1 << 20) - 2, 4), 0xffff1234u);
  // Sizes the CPU never uses are refused, not overrun.
  EXPECT_EQ(mem.ReadPhys(0, 16), 0u);
  mem.WritePhys(0, 0, 1);
}

TEST(PhysicalMemory, CodePagesAreInvalidatedBeforeWrites) {
  PhysicalMemory mem;
  ASSERT_TRUE(mem.Init(1 << 20, nullptr));
  std::vector<uint64_t> seen;
  uint8_t byte_at_callback = 0xaa;
  mem.on_code_write = [&](uint64_t page) {
    seen.push_back(page);
    byte_at_callback = *mem.Host(0x5010);
  };
  mem.MarkCode(0x5123);
  mem.MarkCode(0x6000);
  mem.MarkCode(0x200000);  // beyond RAM: ignored
  EXPECT_TRUE(mem.IsCode(0x5fff));
  EXPECT_FALSE(mem.IsCode(0x7000));
  EXPECT_FALSE(mem.IsCode(0x200000));
  mem.WritePhys(0x5010, 1, 0x42);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], 0x5000u);
  EXPECT_EQ(byte_at_callback, 0u);  // called before the write
  EXPECT_FALSE(mem.IsCode(0x5000));
  mem.WritePhys(0x5010, 1, 0x43);  // no longer code: no call
  EXPECT_EQ(seen.size(), 1u);
  uint8_t buf[0x2000] = {};
  mem.MarkCode(0x5000);
  EXPECT_TRUE(mem.Write(0x4800, buf, sizeof buf));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1], 0x5000u);
  EXPECT_EQ(seen[2], 0x6000u);
  mem.MarkCode(0x7000);
  mem.ClearCode(0x7000);
  EXPECT_FALSE(mem.IsCode(0x7000));
}

TEST(PhysicalMemory, PagingFrameWritesAreReported) {
  PhysicalMemory mem;
  ASSERT_TRUE(mem.Init(1 << 20, nullptr));
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  mem.on_paging_write = [&](uint64_t paddr, uint64_t n) { seen.push_back({paddr, n}); };
  mem.SetPagingFrame(0x3000, true);
  mem.SetPagingFrame(0x5000, true);
  EXPECT_TRUE(mem.IsPagingFrame(0x3ff8));
  mem.WritePhys(0x2000, 8, 1);  // not tracked
  EXPECT_TRUE(seen.empty());
  mem.WritePhys(0x3008, 8, 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], std::make_pair(uint64_t{0x3008}, uint64_t{8}));
  std::vector<uint8_t> buf(0x3000);
  EXPECT_TRUE(mem.Write(0x2800, buf.data(), buf.size()));  // 0x2800..0x57ff
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1], std::make_pair(uint64_t{0x3000}, uint64_t{0x1000}));
  EXPECT_EQ(seen[2], std::make_pair(uint64_t{0x5000}, uint64_t{0x800}));
  mem.SetPagingFrame(0x3000, false);
  mem.WritePhys(0x3000, 4, 1);
  EXPECT_EQ(seen.size(), 3u);
}

}  // namespace
}  // namespace doppel::softmmu
