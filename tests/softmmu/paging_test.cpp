// tests/softmmu/paging_test.cpp: the architectural page walk on real page tables: translations for
// every page size, each fault with its exact error code, accessed/dirty write-back.
#include "softmmu/paging.h"

#include <gtest/gtest.h>

#include "tests/softmmu/page_table_builder.h"

namespace doppel::softmmu {
namespace {

using namespace testing;  // NOLINT: the builder's flag names

AccessInfo Read(bool user = false) { return AccessInfo{kRead, user, false, false}; }
AccessInfo WriteAt(bool user = false) { return AccessInfo{kWrite, user, false, false}; }
AccessInfo Fetch(bool user = false) { return AccessInfo{kExec, user, false, false}; }

class PagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    ASSERT_TRUE(mem.Init(16 << 20, &err)) << err;
  }
  PhysicalMemory mem;
};

TEST_F(PagingTest, PagingOffIsIdentityWithEveryRight) {
  PagingRegs regs;
  WalkResult r = Walk(mem, regs, 0x12345678, WriteAt(true));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.paddr, 0x12345678u);
  EXPECT_TRUE(r.perms.writable && r.perms.user && r.perms.executable);
  EXPECT_EQ(r.entry_count, 0u);
}

TEST_F(PagingTest, ThirtyTwoBitFourKibPage) {
  PageTableBuilder b(mem, PagingMode::k32Bit);
  uint64_t pte = b.Map(0x00401000, 0x5000, kKiB4, kRW | kUS);
  WalkResult r = Walk(mem, b.Regs(), 0x00401234, Read(true));
  ASSERT_TRUE(r.ok) << r.error_code;
  EXPECT_EQ(r.paddr, 0x5234u);
  EXPECT_EQ(r.page_size, kKiB4);
  EXPECT_TRUE(r.perms.writable && r.perms.user && r.perms.executable);
  ASSERT_EQ(r.entry_count, 2u);
  EXPECT_EQ(r.entry_addr[0], b.root() + 1 * 4);
  EXPECT_EQ(r.entry_addr[1], pte);
  // Linear addresses are 32 bits outside 4-level paging.
  EXPECT_EQ(Walk(mem, b.Regs(), 0x1'00401234ull, Read(true)).paddr, 0x5234u);
}

TEST_F(PagingTest, ThirtyTwoBitFourMibPageNeedsPseAndReachesAbove4GiB) {
  PageTableBuilder b(mem, PagingMode::k32Bit);
  b.Map(0x00800000, 0x12'00400000ull, kMiB4, kRW);  // PSE-36: physical bits 39:32 in PDE 20:13
  WalkResult r = Walk(mem, b.Regs(0, kCr4Pse), 0x00923456, Read());
  ASSERT_TRUE(r.ok) << r.error_code;
  EXPECT_EQ(r.paddr, 0x12'00523456ull);
  EXPECT_EQ(r.page_size, kMiB4);
  EXPECT_EQ(r.entry_count, 1u);

  // Without CR4.PSE the PS bit is ignored: the PDE names a page table.
  b.Map(0x00c00000, 0x00400000, kMiB4, kRW);
  b.Write32(0x00400000 + 0x5 * 4, 0x7000 | kP);  // PTE 5 of the "table" at 4 MiB
  r = Walk(mem, b.Regs(), 0x00c05010, Read());
  ASSERT_TRUE(r.ok) << r.error_code;
  EXPECT_EQ(r.page_size, kKiB4);
  EXPECT_EQ(r.paddr, 0x7010u);

  // PDE bit 21 is reserved in a 4 MiB page with MAXPHYADDR 40.
  b.Write32(b.EntryAddr(0x00800000, 2), b.Read32(b.EntryAddr(0x00800000, 2)) | (1u << 21));
  r = Walk(mem, b.Regs(0, kCr4Pse), 0x00800000, Read(true));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, kPfPresent | kPfReserved | kPfUser);
}

TEST_F(PagingTest, PaeFourKibAndTwoMibPages) {
  PageTableBuilder b(mem, PagingMode::kPae);
  b.Map(0xc0001000, 0x9000, kKiB4, kRW);
  b.Map(0x40200000, 0x00600000, kMiB2, 0);
  WalkResult r = Walk(mem, b.Regs(), 0xc0001abc, Read());
  ASSERT_TRUE(r.ok) << r.error_code;
  EXPECT_EQ(r.paddr, 0x9abcu);
  ASSERT_EQ(r.entry_count, 3u);
  EXPECT_EQ(r.entry_addr[0], b.root() + 3 * 8);  // the PDPTE is listed for write-tracking
  r = Walk(mem, b.Regs(), 0x40312345, Read());
  ASSERT_TRUE(r.ok) << r.error_code;
  EXPECT_EQ(r.paddr, 0x00712345u);
  EXPECT_EQ(r.page_size, kMiB2);
  EXPECT_FALSE(r.perms.writable);
}

TEST_F(PagingTest, PaeReservedBits) {
  PageTableBuilder b(mem, PagingMode::kPae);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kRW);
  const uint32_t rsvd = kPfPresent | kPfReserved;
  // XD without EFER.NXE, and bit 62 (PAE reserves 62:M, unlike 4-level).
  b.Write64(pte, b.Read64(pte) | kXD);
  EXPECT_EQ(Walk(mem, b.Regs(), 0x1000, Read()).error_code, rsvd);
  EXPECT_TRUE(Walk(mem, b.Regs(0, 0, kEferNxe), 0x1000, Read()).ok);
  b.Write64(pte, (b.Read64(pte) & ~kXD) | (1ull << 62));
  EXPECT_EQ(Walk(mem, b.Regs(), 0x1000, Read()).error_code, rsvd);
  b.Write64(pte, (b.Read64(pte) & ~(1ull << 62)) | (1ull << 40));
  EXPECT_EQ(Walk(mem, b.Regs(), 0x1000, WriteAt()).error_code, rsvd | kPfWrite);
  b.Write64(pte, b.Read64(pte) & ~(1ull << 40));
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x1000, Read()).ok);
  // PDPTE: R/W is reserved there (bits 2:1), which also makes MOV CR3 raise #GP.
  EXPECT_TRUE(PaePdptesValid(mem, b.root()));
  b.Write64(b.root(), b.Read64(b.root()) | kRW);
  EXPECT_EQ(Walk(mem, b.Regs(), 0x1000, Read()).error_code, rsvd);
  EXPECT_FALSE(PaePdptesValid(mem, b.root()));
}

TEST_F(PagingTest, FourLevelPagesOfEverySize) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x00007fff'ffffe000ull, 0x3000, kKiB4, kRW | kUS);
  b.Map(0xffff8000'00200000ull, 0x00a00000, kMiB2, kRW);
  b.Map(0x00000080'40000000ull, 0xc0000000ull, kGiB1, kRW);
  WalkResult r = Walk(mem, b.Regs(), 0x00007fff'ffffe010ull, Read(true));
  ASSERT_TRUE(r.ok) << r.error_code;
  EXPECT_EQ(r.paddr, 0x3010u);
  EXPECT_EQ(r.entry_count, 4u);
  r = Walk(mem, b.Regs(), 0xffff8000'002fffffull, Read());
  ASSERT_TRUE(r.ok) << r.error_code;
  EXPECT_EQ(r.paddr, 0x00afffffu);
  EXPECT_EQ(r.page_size, kMiB2);
  EXPECT_EQ(r.entry_count, 3u);
  r = Walk(mem, b.Regs(), 0x00000080'7fff0001ull, Read());
  ASSERT_TRUE(r.ok) << r.error_code;
  EXPECT_EQ(r.page_size, kGiB1);
  EXPECT_EQ(r.paddr, 0xc0000000ull + 0x3fff0001ull);
  EXPECT_EQ(r.entry_count, 2u);
}

TEST_F(PagingTest, FourLevelReservedBits) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kRW);
  uint64_t pdpte = b.Map(0x80000000ull, 0x80000000ull, kGiB1, kRW);
  const uint32_t rsvd = kPfPresent | kPfReserved;
  // Bits 62:52 are ignored in 4-level paging; 51:40 are reserved.
  b.Write64(pte, b.Read64(pte) | (0x7ffull << 52));
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x1000, Read()).ok);
  b.Write64(pte, b.Read64(pte) | (1ull << 51));
  EXPECT_EQ(Walk(mem, b.Regs(), 0x1000, Read()).error_code, rsvd);
  // PS in a PML4E.
  uint64_t pml4e = b.EntryAddr(0x1000, 4);
  b.Write64(pml4e, b.Read64(pml4e) | kPS);
  EXPECT_EQ(Walk(mem, b.Regs(), 0x80000000ull, Fetch(true)).error_code, rsvd | kPfUser);
  b.Write64(pml4e, b.Read64(pml4e) & ~kPS);
  // A 1 GiB page's bits 29:13 (bit 12 is PAT).
  b.Write64(pdpte, b.Read64(pdpte) | (1ull << 12));
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x80000000ull, Read()).ok);
  b.Write64(pdpte, b.Read64(pdpte) | (1ull << 13));
  EXPECT_EQ(Walk(mem, b.Regs(), 0x80000000ull, Read()).error_code, rsvd);
}

TEST_F(PagingTest, NotPresentAtEachLevel) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x201000, 0x9000, kKiB4, kRW | kUS);
  EXPECT_EQ(Walk(mem, b.Regs(), 0x8000000000ull, Read()).error_code, 0u);  // PML4E
  EXPECT_EQ(Walk(mem, b.Regs(), 0x40000000, WriteAt(true)).error_code, kPfWrite | kPfUser);
  EXPECT_EQ(Walk(mem, b.Regs(), 0x400000, Read(true)).error_code, kPfUser);  // PDE
  EXPECT_EQ(Walk(mem, b.Regs(), 0x202000, Read()).error_code, 0u);           // PTE
  // Present bits below a non-present entry do not matter, nor do its reserved bits.
  b.Write64(pte, (b.Read64(pte) & ~kP) | (1ull << 51));
  EXPECT_EQ(Walk(mem, b.Regs(), 0x201000, WriteAt()).error_code, kPfWrite);
}

TEST_F(PagingTest, WriteProtection) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kUS);        // user, read-only
  b.Map(0x2000, 0xa000, kKiB4, 0);          // supervisor, read-only
  b.Map(0x400000, 0xb000, kKiB4, kRW, kP);  // writable PTE under a read-only PDE
  WalkResult r = Walk(mem, b.Regs(), 0x1000, WriteAt(true));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, kPfPresent | kPfWrite | kPfUser);
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x1000, Read(true)).ok);
  // CPL 0: CR0.WP decides, on supervisor and user pages alike.
  EXPECT_EQ(Walk(mem, b.Regs(kCr0Wp), 0x2000, WriteAt()).error_code, kPfPresent | kPfWrite);
  EXPECT_EQ(Walk(mem, b.Regs(kCr0Wp), 0x1000, WriteAt()).error_code, kPfPresent | kPfWrite);
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x2000, WriteAt()).ok);
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x1000, WriteAt()).ok);
  // R/W is the AND over all levels.
  r = Walk(mem, b.Regs(kCr0Wp), 0x400000, WriteAt());
  EXPECT_FALSE(r.perms.writable);
  EXPECT_EQ(r.error_code, kPfPresent | kPfWrite);
}

TEST_F(PagingTest, UserAccessToSupervisorPage) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x2000, 0xa000, kKiB4, kRW);
  b.Map(0x400000, 0xb000, kKiB4, kRW | kUS, kP | kRW);  // user PTE, supervisor PDE
  EXPECT_EQ(Walk(mem, b.Regs(), 0x2000, Read(true)).error_code, kPfPresent | kPfUser);
  EXPECT_EQ(Walk(mem, b.Regs(), 0x400000, WriteAt(true)).error_code,
            kPfPresent | kPfWrite | kPfUser);
  // Instruction fetch: I/D only with SMEP or PAE+NXE.
  EXPECT_EQ(Walk(mem, b.Regs(), 0x2000, Fetch(true)).error_code, kPfPresent | kPfUser);
  EXPECT_EQ(Walk(mem, b.Regs(0, 0, kEferNxe), 0x2000, Fetch(true)).error_code,
            kPfPresent | kPfUser | kPfFetch);
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x2000, Read()).ok);
}

TEST_F(PagingTest, ExecuteDisable) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kRW | kUS | kXD);
  b.Map(0x400000, 0xb000, kKiB4, kRW | kUS, kP | kRW | kUS | kXD);  // XD on the PDE only
  PagingRegs nx = b.Regs(0, 0, kEferNxe);
  WalkResult r = Walk(mem, nx, 0x1000, Fetch());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, kPfPresent | kPfFetch);
  EXPECT_EQ(Walk(mem, nx, 0x1000, Fetch(true)).error_code, kPfPresent | kPfFetch | kPfUser);
  EXPECT_TRUE(Walk(mem, nx, 0x1000, WriteAt(true)).ok);
  r = Walk(mem, nx, 0x400000, Read());
  ASSERT_TRUE(r.ok);
  EXPECT_FALSE(r.perms.executable);
  EXPECT_FALSE(Walk(mem, nx, 0x400000, Fetch()).ok);
}

TEST_F(PagingTest, Smep) {
  PageTableBuilder b(mem, PagingMode::k32Bit);
  b.Map(0x1000, 0x9000, kKiB4, kRW | kUS);
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x1000, Fetch()).ok);
  // 32-bit paging has no XD, but SMEP alone sets I/D.
  WalkResult r = Walk(mem, b.Regs(0, kCr4Smep), 0x1000, Fetch());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, kPfPresent | kPfFetch);
  EXPECT_TRUE(Walk(mem, b.Regs(0, kCr4Smep), 0x1000, Fetch(true)).ok);
  EXPECT_TRUE(Walk(mem, b.Regs(0, kCr4Smep), 0x1000, Read()).ok);
  // Non-present fetch with SMEP: I/D set, P clear.
  EXPECT_EQ(Walk(mem, b.Regs(0, kCr4Smep), 0x5000, Fetch()).error_code, kPfFetch);
  // No I/D in 32-bit paging for NXE alone.
  EXPECT_EQ(Walk(mem, b.Regs(0, 0, kEferNxe), 0x5000, Fetch()).error_code, 0u);
}

TEST_F(PagingTest, SmapWithAndWithoutAcAndImplicitAccesses) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kRW | kUS);
  b.Map(0x2000, 0xa000, kKiB4, kRW);
  PagingRegs smap = b.Regs(kCr0Wp, kCr4Smap);
  EXPECT_TRUE(Walk(mem, b.Regs(kCr0Wp), 0x1000, Read()).ok);
  EXPECT_EQ(Walk(mem, smap, 0x1000, Read()).error_code, kPfPresent);
  EXPECT_EQ(Walk(mem, smap, 0x1000, WriteAt()).error_code, kPfPresent | kPfWrite);
  AccessInfo with_ac{kWrite, false, false, true};
  EXPECT_TRUE(Walk(mem, smap, 0x1000, with_ac).ok);
  EXPECT_TRUE(Walk(mem, smap, 0x1000, Read(true)).ok);  // user accesses are not affected
  EXPECT_TRUE(Walk(mem, smap, 0x1000, Fetch()).ok);     // fetches are SMEP's business
  // Implicit supervisor accesses (a GDT read at CPL 3): supervisor rights, SMAP despite AC, and
  // U/S clear in the error code.
  AccessInfo implicit{kRead, true, true, true};
  EXPECT_TRUE(Walk(mem, smap, 0x2000, implicit).ok);
  EXPECT_EQ(Walk(mem, smap, 0x1000, implicit).error_code, kPfPresent);
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x1000, implicit).ok);
  EXPECT_EQ(Walk(mem, b.Regs(), 0x2000, Read(true)).error_code, kPfPresent | kPfUser);
}

TEST_F(PagingTest, AccessedAndDirtyBitsAreWrittenBack) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kRW | kUS);
  uint64_t pde = b.EntryAddr(0x1000, 2), pdpte = b.EntryAddr(0x1000, 3),
           pml4e = b.EntryAddr(0x1000, 4);
  ASSERT_TRUE(Walk(mem, b.Regs(), 0x1000, Read(true)).ok);
  for (uint64_t e : {pml4e, pdpte, pde, pte}) EXPECT_EQ(b.Read64(e) & (kA | kD), kA) << e;
  WalkResult r = Walk(mem, b.Regs(), 0x1000, WriteAt(true));
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.dirty);
  EXPECT_EQ(b.Read64(pte) & (kA | kD), kA | kD);
  EXPECT_EQ(b.Read64(pde) & kD, 0u);  // D only in the final entry
  // Reads report the current D bit.
  EXPECT_TRUE(Walk(mem, b.Regs(), 0x1000, Read(true)).dirty);
  b.Write64(pte, b.Read64(pte) & ~kD);
  EXPECT_FALSE(Walk(mem, b.Regs(), 0x1000, Read(true)).dirty);
}

TEST_F(PagingTest, DirtyBitOnLargePagesAndThirtyTwoBitEntries) {
  PageTableBuilder b(mem, PagingMode::k32Bit);
  uint64_t pde = b.Map(0x00400000, 0x00800000, kMiB4, kRW);
  uint64_t pte = b.Map(0x00001000, 0x9000, kKiB4, kRW);
  ASSERT_TRUE(Walk(mem, b.Regs(0, kCr4Pse), 0x00400010, WriteAt()).ok);
  EXPECT_EQ(b.Read32(pde) & (kA | kD), kA | kD);
  ASSERT_TRUE(Walk(mem, b.Regs(), 0x1000, WriteAt()).ok);
  EXPECT_EQ(b.Read32(pte) & (kA | kD), kA | kD);
  EXPECT_EQ(b.Read32(b.EntryAddr(0x1000, 2)) & (kA | kD), kA);
  EXPECT_EQ(b.Read32(pte + 4), 0u);  // the 4-byte write-back left the neighbour alone
}

TEST_F(PagingTest, FaultingWalkWritesNothing) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kUS);
  b.Map(0x2000, 0xa000, kKiB4, kRW | kUS);
  uint64_t pte2 = b.EntryAddr(0x2000, 1);
  b.Write64(pte2, b.Read64(pte2) | (1ull << 45));  // reserved
  uint64_t pde = b.EntryAddr(0x1000, 2);
  EXPECT_FALSE(Walk(mem, b.Regs(), 0x1000, WriteAt(true)).ok);  // protection
  EXPECT_FALSE(Walk(mem, b.Regs(), 0x2000, Read()).ok);         // reserved bit
  EXPECT_EQ(b.Read64(pte) & (kA | kD), 0u);
  EXPECT_EQ(b.Read64(pte2) & kA, 0u);
  EXPECT_EQ(b.Read64(pde) & kA, 0u);
}

TEST_F(PagingTest, AccessedBitWriteInvalidatesCodeOnThatPage) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kRW);
  uint64_t seen = 0;
  mem.on_code_write = [&](uint64_t page) { seen = page; };
  mem.MarkCode(pte);
  ASSERT_TRUE(Walk(mem, b.Regs(), 0x1000, Read()).ok);
  EXPECT_EQ(seen, pte & ~0xfffull);
  EXPECT_FALSE(mem.IsCode(pte));
}

TEST_F(PagingTest, GlobalAndPcidAreReported) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kRW | kG);
  b.Map(0x200000, 0x400000, kMiB2, kRW | kG);
  b.Map(0x2000, 0xa000, kKiB4, kRW);
  EXPECT_FALSE(Walk(mem, b.Regs(), 0x1000, Read()).global);
  PagingRegs regs = b.Regs(0, kCr4Pge | kCr4Pcide);
  regs.cr3 |= 0x2a;
  WalkResult r = Walk(mem, regs, 0x1000, Read());
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.global);
  EXPECT_EQ(r.pcid, 0x2a);
  EXPECT_TRUE(Walk(mem, regs, 0x200000, Read()).global);
  EXPECT_FALSE(Walk(mem, regs, 0x2000, Read()).global);
}

TEST(Paging, CanonicalAddresses) {
  EXPECT_TRUE(IsCanonical48(0x00007fff'ffffffffull));
  EXPECT_TRUE(IsCanonical48(0xffff8000'00000000ull));
  EXPECT_FALSE(IsCanonical48(0x00008000'00000000ull));
  EXPECT_FALSE(IsCanonical48(0xfff7ffff'ffffffffull));
}

TEST_F(PagingTest, PageTablesOutsideRamReadAllOnes) {
  PagingRegs regs;
  regs.cr0 = 1 | kCr0Pg;
  regs.cr3 = 0x40000000;  // beyond the 16 MiB of RAM: every entry reads as all ones
  WalkResult r = Walk(mem, regs, 0x1000, Read());
  ASSERT_TRUE(r.ok);  // 32-bit paging has no reserved bits in a 4 KiB walk
  EXPECT_EQ(r.paddr, 0xfffff000u);
  regs.cr4 = kCr4Pae;
  regs.efer = kEferLma;
  EXPECT_EQ(Walk(mem, regs, 0x1000, Read()).error_code, kPfPresent | kPfReserved);
}

}  // namespace
}  // namespace doppel::softmmu
