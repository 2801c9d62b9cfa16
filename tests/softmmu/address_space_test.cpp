// tests/softmmu/address_space_test.cpp: mappings, protections, TLB fills, code pages, journal.
#include "softmmu/address_space.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>

namespace doppel::softmmu {
namespace {

TEST(AddressSpace, MapRejectsMisalignedAndOverlapping) {
  AddressSpace as;
  std::string err;
  EXPECT_FALSE(as.Map(0x1001, 0x1000, kRead, &err));
  EXPECT_TRUE(as.Map(0x1000, 0x2000, kRead | kWrite, &err)) << err;
  EXPECT_FALSE(as.Map(0x2000, 0x1000, kRead, &err));
  EXPECT_EQ(err, "mapping overlaps an existing one");
}

TEST(AddressSpace, TranslateHonoursProtection) {
  AddressSpace as;
  ASSERT_TRUE(as.Map(0x10000, 0x1000, kRead, nullptr));
  EXPECT_NE(as.Translate(0x10010, kRead), nullptr);
  EXPECT_EQ(as.Translate(0x10010, kWrite), nullptr);
  EXPECT_EQ(as.Translate(0x20000, kRead), nullptr);
  as.Protect(0x10000, 0x1000, kRead | kWrite);
  EXPECT_NE(as.Translate(0x10010, kWrite), nullptr);
}

TEST(AddressSpace, ReadWriteAcrossPages) {
  AddressSpace as;
  ASSERT_TRUE(as.Map(0x10000, 0x2000, kRead, nullptr));
  uint8_t in[16], out[16];
  for (int i = 0; i < 16; ++i) in[i] = static_cast<uint8_t>(i * 7);
  EXPECT_TRUE(as.Write(0x10ff8, in, 16));  // ignores protection, crosses a page
  EXPECT_TRUE(as.Read(0x10ff8, out, 16));
  EXPECT_EQ(memcmp(in, out, 16), 0);
  EXPECT_FALSE(as.Read(0x11ff8, out, 16));  // runs off the mapping
}

TEST(AddressSpace, TlbFillAndCodePagesAreNotWritableInTheFastPath) {
  AddressSpace as;
  TlbEntry tlb[kTlbSize];
  as.RegisterTlb(tlb);
  ASSERT_TRUE(as.Map(0x40000, 0x1000, kRead | kWrite | kExec, nullptr));
  ASSERT_TRUE(as.FillTlb(tlb, 0x40008, kWrite));
  TlbEntry& e = tlb[TlbIndex(0x40008)];
  EXPECT_EQ(e.read_tag, 0x40000u);
  EXPECT_EQ(e.write_tag, 0x40000u);
  EXPECT_EQ(reinterpret_cast<uint8_t*>(0x40008 + e.addend), as.Translate(0x40008, kRead));
  // The probe of an access crossing the page end never matches the tag.
  EXPECT_NE(TlbProbe(0x40ffc, 8), e.read_tag);
  as.MarkCode(0x40000);
  EXPECT_EQ(e.write_tag, kTlbInvalid);  // marking flushed the entry
  ASSERT_TRUE(as.FillTlb(tlb, 0x40008, kRead));
  EXPECT_EQ(e.read_tag, 0x40000u);
  EXPECT_EQ(e.write_tag, kTlbInvalid);
  uint64_t seen = 0;
  as.on_code_write = [&](uint64_t page) { seen = page; };
  uint8_t b = 1;
  as.Write(0x40010, &b, 1);
  EXPECT_EQ(seen, 0x40000u);
  EXPECT_FALSE(as.IsCode(0x40000));
}

TEST(AddressSpace, UnmapAndProtectFlushTheTlb) {
  AddressSpace as;
  TlbEntry tlb[kTlbSize];
  as.RegisterTlb(tlb);
  ASSERT_TRUE(as.Map(0x40000, 0x1000, kRead | kWrite, nullptr));
  as.FillTlb(tlb, 0x40000, kWrite);
  as.Protect(0x40000, 0x1000, kRead);
  EXPECT_EQ(tlb[TlbIndex(0x40000)].write_tag, kTlbInvalid);
  as.FillTlb(tlb, 0x40000, kRead);
  as.Unmap(0x40000, 0x1000);
  EXPECT_EQ(tlb[TlbIndex(0x40000)].read_tag, kTlbInvalid);
  EXPECT_EQ(as.Translate(0x40000, 0), nullptr);
}

// munmap gives the memory back to the host (the pages stop being resident) while the host range
// stays reserved.
TEST(AddressSpace, UnmapReleasesHostMemory) {
  AddressSpace as;
  ASSERT_TRUE(as.Map(0x40000, 0x4000, kRead | kWrite, nullptr));
  uint8_t* host = as.Translate(0x40000, kWrite);
  ASSERT_NE(host, nullptr);
  memset(host, 0x5a, 0x4000);
  unsigned char resident[4] = {};
  ASSERT_EQ(mincore(host, 0x4000, resident), 0);
  EXPECT_EQ(resident[0] & 1, 1);
  ASSERT_TRUE(as.Unmap(0x40000, 0x2000));
  ASSERT_EQ(mincore(host, 0x4000, resident), 0);
  EXPECT_EQ(resident[0] & 1, 0);
  EXPECT_EQ(resident[1] & 1, 0);
  EXPECT_EQ(resident[2] & 1, 1);  // still mapped
  EXPECT_EQ(host[0x2000], 0x5a);
}

TEST(AddressSpace, JournalRollsBack) {
  AddressSpace as;
  ASSERT_TRUE(as.Map(0x40000, 0x1000, kRead | kWrite, nullptr));
  uint32_t v = 0x11223344;
  as.Write(0x40000, &v, 4);
  as.SetJournaling(true);
  as.journal().push_back({0x40000, 4, 0x11223344});
  uint32_t w = 0xdeadbeef;
  as.Write(0x40000, &w, 4);
  as.RollBack();
  uint32_t r = 0;
  as.Read(0x40000, &r, 4);
  EXPECT_EQ(r, 0x11223344u);
  EXPECT_TRUE(as.journal().empty());
}

}  // namespace
}  // namespace doppel::softmmu
