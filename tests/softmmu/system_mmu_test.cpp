// tests/softmmu/system_mmu_test.cpp: shadow page tables: hits and re-walks, address-space reuse
// across CR3 switches, coherence through paging-structure write tracking, TLB fill rules, flushes.
#include "softmmu/system_mmu.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tests/softmmu/page_table_builder.h"

namespace doppel::softmmu {
namespace {

using namespace testing;  // NOLINT: the builder's flag names

AccessInfo Read(bool user = false) { return AccessInfo{kRead, user, false, false}; }
AccessInfo WriteAt(bool user = false) { return AccessInfo{kWrite, user, false, false}; }

class SystemMmuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(mem.Init(16 << 20, nullptr));
    mmu.RegisterTlb(tlb);
  }
  uint64_t Tr(uint64_t linear, const AccessInfo& a = Read()) {
    uint64_t paddr = 0;
    PageFault f;
    EXPECT_TRUE(mmu.Translate(linear, a, &paddr, &f)) << std::hex << linear << " " << f.error_code;
    return paddr;
  }
  uint32_t Fault(uint64_t linear, const AccessInfo& a) {
    uint64_t paddr = 0;
    PageFault f;
    EXPECT_FALSE(mmu.Translate(linear, a, &paddr, &f)) << std::hex << linear;
    EXPECT_EQ(f.linear, linear);
    return f.error_code;
  }
  TlbEntry& Entry(uint64_t linear) { return tlb[TlbIndex(linear)]; }
  uint8_t* HostVia(uint64_t linear) {
    return reinterpret_cast<uint8_t*>(linear + Entry(linear).addend);
  }

  PhysicalMemory mem;
  SystemMmu mmu{mem};
  TlbEntry tlb[kTlbSize];
};

TEST_F(SystemMmuTest, WalksOnceThenHits) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x400000, 0x9000, kKiB4, kRW | kUS);
  mmu.SetPagingRegs(b.Regs());
  EXPECT_EQ(Tr(0x400010, Read(true)), 0x9010u);
  EXPECT_EQ(mmu.stats().walks, 1u);
  EXPECT_EQ(Tr(0x400ff8, Read(true)), 0x9ff8u);
  EXPECT_EQ(Tr(0x400000), 0x9000u);
  EXPECT_EQ(mmu.stats().walks, 1u);
  EXPECT_EQ(mmu.stats().shadow_hits, 2u);
  EXPECT_EQ(mmu.ShadowEntryCount(), 1u);
}

TEST_F(SystemMmuTest, ProtectionFaultsComeFromTheShadowAndMissesAreNotCached) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kUS);
  mmu.SetPagingRegs(b.Regs(kCr0Wp));
  Tr(0x1000, Read(true));
  EXPECT_EQ(Fault(0x1234, WriteAt(true)), kPfPresent | kPfWrite | kPfUser);
  EXPECT_EQ(Fault(0x1234, WriteAt()), kPfPresent | kPfWrite);
  EXPECT_EQ(mmu.stats().walks, 1u);
  EXPECT_EQ(Fault(0x5000, Read(true)), kPfUser);
  EXPECT_EQ(Fault(0x5000, Read(true)), kPfUser);
  EXPECT_EQ(mmu.stats().walks, 3u);
}

TEST_F(SystemMmuTest, FirstWriteToACleanPageRewalksToSetDirty) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kRW);
  mmu.SetPagingRegs(b.Regs());
  Tr(0x1000);
  EXPECT_EQ(b.Read64(pte) & (kA | kD), kA);
  EXPECT_EQ(Tr(0x1008, WriteAt()), 0x9008u);
  EXPECT_EQ(b.Read64(pte) & (kA | kD), kA | kD);
  EXPECT_EQ(mmu.stats().walks, 2u);
  Tr(0x1010, WriteAt());
  EXPECT_EQ(mmu.stats().walks, 2u);
  EXPECT_EQ(mmu.stats().pt_write_invalidations, 0u);  // the walk's own A/D writes drop nothing
}

TEST_F(SystemMmuTest, ShadowTableIsReusedAfterSwitchingCr3AwayAndBack) {
  PageTableBuilder a(mem, PagingMode::k4Level, 0x100000), b(mem, PagingMode::k4Level, 0x200000);
  a.Map(0x1000, 0x9000, kKiB4, kRW);
  b.Map(0x1000, 0xa000, kKiB4, kRW);
  mmu.SetPagingRegs(a.Regs());
  EXPECT_EQ(Tr(0x1000), 0x9000u);
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, Read()));
  mmu.WriteCr3(b.root());
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);  // the TLB belongs to one address space
  EXPECT_EQ(Tr(0x1000), 0xa000u);
  mmu.WriteCr3(a.root() | 0x18);  // PWT/PCD do not name another address space
  EXPECT_EQ(Tr(0x1000), 0x9000u);
  EXPECT_EQ(mmu.stats().walks, 2u);
  EXPECT_EQ(mmu.stats().shadow_tables_created, 2u);
  EXPECT_EQ(mmu.stats().shadow_tables_reused, 1u);
  EXPECT_EQ(mmu.AddressSpaceCount(), 2u);
}

TEST_F(SystemMmuTest, LeastRecentlyUsedSpaceIsEvicted) {
  SystemMmu small(mem, 2);
  PageTableBuilder a(mem, PagingMode::k4Level, 0x100000), b(mem, PagingMode::k4Level, 0x200000),
      c(mem, PagingMode::k4Level, 0x300000);
  for (PageTableBuilder* t : {&a, &b, &c}) t->Map(0x1000, 0x9000, kKiB4, kRW);
  uint64_t paddr;
  small.SetPagingRegs(a.Regs());
  small.Translate(0x1000, Read(), &paddr, nullptr);
  small.WriteCr3(b.root());
  small.Translate(0x1000, Read(), &paddr, nullptr);
  small.WriteCr3(a.root());  // a is now the most recent
  small.WriteCr3(c.root());  // evicts b
  small.Translate(0x1000, Read(), &paddr, nullptr);
  EXPECT_EQ(small.stats().walks, 3u);
  small.WriteCr3(a.root());
  small.Translate(0x1000, Read(), &paddr, nullptr);
  EXPECT_EQ(small.stats().walks, 3u);
  small.WriteCr3(b.root());
  small.Translate(0x1000, Read(), &paddr, nullptr);
  EXPECT_EQ(small.stats().walks, 4u);
  EXPECT_EQ(small.stats().shadow_tables_created, 4u);
  EXPECT_EQ(small.AddressSpaceCount(), 2u);
  // An evicted space leaves no tracking behind: its entries' frames are tracked by the others only.
  EXPECT_TRUE(mem.IsPagingFrame(a.root()));
  EXPECT_FALSE(mem.IsPagingFrame(c.root()));  // c was evicted by b
}

TEST_F(SystemMmuTest, PcidsNameSeparateSpacesAndTheNoFlushBitIsDropped) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kRW);
  PagingRegs regs = b.Regs(0, kCr4Pcide);
  regs.cr3 |= 1;
  mmu.SetPagingRegs(regs);
  Tr(0x1000);
  mmu.WriteCr3(b.root() | 2 | kCr3NoFlush);
  EXPECT_EQ(mmu.regs().cr3, b.root() | 2);
  Tr(0x1000);
  mmu.WriteCr3(b.root() | 1 | kCr3NoFlush);
  Tr(0x1000);
  EXPECT_EQ(mmu.stats().walks, 2u);
  EXPECT_EQ(mmu.stats().shadow_tables_created, 2u);
  EXPECT_EQ(mmu.stats().shadow_tables_reused, 1u);
}

TEST_F(SystemMmuTest, PteWriteThroughNotePhysicalWriteIsSeenAtOnce) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kRW);
  mmu.SetPagingRegs(b.Regs());
  Tr(0x1000);
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, Read()));
  EXPECT_EQ(HostVia(0x1004), mem.Host(0x9004));
  // A store on the runtime's slow path: bytes through Host(), then the report.
  EXPECT_TRUE(mem.IsPagingFrame(pte));
  uint64_t v = 0xb000 | kP | kRW;
  memcpy(mem.Host(pte), &v, 8);
  mmu.NotePhysicalWrite(pte, 8);
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);
  EXPECT_EQ(mmu.stats().pt_write_invalidations, 1u);
  EXPECT_EQ(Tr(0x1004), 0xb004u);
  // A loader write, and a CPU store through WritePhys, report themselves.
  v = 0xc000 | kP;
  ASSERT_TRUE(mem.Write(pte, &v, 8));
  EXPECT_EQ(Tr(0x1004), 0xc004u);
  mem.WritePhys(pte, 8, 0);
  EXPECT_EQ(Fault(0x1004, Read()), 0u);
  EXPECT_EQ(mmu.stats().pt_write_invalidations, 3u);
}

TEST_F(SystemMmuTest, HighHalfTlbEntryIsFlushedByItsPteWrite) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  const uint64_t kernel = 0xffff8000'00001000ull;
  uint64_t pte = b.Map(kernel, 0x9000, kKiB4, kRW);
  mmu.SetPagingRegs(b.Regs());
  Tr(kernel);
  ASSERT_TRUE(mmu.FillTlb(tlb, kernel, Read()));
  EXPECT_EQ(Entry(kernel).read_tag, kernel);
  mem.WritePhys(pte + 4, 4, 0x80000000u);  // the XD half, alone
  EXPECT_EQ(Entry(kernel).read_tag, kTlbInvalid);
  EXPECT_EQ(Fault(kernel, Read()), kPfPresent | kPfReserved);  // XD without NXE is reserved
}

TEST_F(SystemMmuTest, OnlyShadowsOfTheWrittenEntryAreDropped) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kRW);
  b.Map(0x2000, 0xa000, kKiB4, kRW);
  mmu.SetPagingRegs(b.Regs(kCr0Wp));
  Tr(0x1000);
  Tr(0x2000);
  b.Map(0x3000, 0xb000, kKiB4, kRW);  // a neighbouring entry of the same page table
  EXPECT_EQ(mmu.stats().pt_write_invalidations, 0u);
  Tr(0x1000);
  Tr(0x2000);
  EXPECT_EQ(mmu.stats().walks, 2u);
  // An upper-level write drops everything below it.
  uint64_t pde = b.EntryAddr(0x1000, 2);
  mem.WritePhys(pde, 8, b.Read64(pde) & ~kRW);
  EXPECT_EQ(mmu.stats().pt_write_invalidations, 2u);
  EXPECT_EQ(Fault(0x2000, WriteAt()), kPfPresent | kPfWrite);
}

TEST_F(SystemMmuTest, LoaderRewritingAWholePageTableDropsItsShadows) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kRW);
  b.Map(0x5000, 0xa000, kKiB4, kRW);
  b.Map(0x201000, 0xb000, kKiB4, kRW);  // entry 1 of the next page table
  mmu.SetPagingRegs(b.Regs());
  Tr(0x1000);
  Tr(0x5000);
  Tr(0x201000);
  std::vector<uint8_t> table(kKiB4 + 8, 0);  // the page table and 8 bytes past it
  ASSERT_TRUE(mem.Write(pte & ~0xfffull, table.data(), table.size()));
  EXPECT_EQ(mmu.stats().pt_write_invalidations, 2u);
  EXPECT_EQ(Fault(0x5000, Read()), 0u);
  EXPECT_EQ(Tr(0x201000), 0xb000u);
  EXPECT_EQ(mmu.stats().walks, 4u);
}

TEST_F(SystemMmuTest, PteWriteDropsEntriesInEveryKeptSpace) {
  PageTableBuilder a(mem, PagingMode::k4Level, 0x100000), b(mem, PagingMode::k4Level, 0x200000);
  uint64_t pte = a.Map(0x1000, 0x9000, kKiB4, kRW);
  b.Map(0x1000, 0xa000, kKiB4, kRW);
  // b shares a's page table (as kernels share their upper-half tables).
  b.Write64(b.EntryAddr(0x1000, 2), (pte & ~0xfffull) | kP | kRW);
  mmu.SetPagingRegs(a.Regs());
  EXPECT_EQ(Tr(0x1000), 0x9000u);
  mmu.WriteCr3(b.root());
  EXPECT_EQ(Tr(0x1000), 0x9000u);
  mem.WritePhys(pte, 8, 0xd000 | kP | kRW);
  EXPECT_EQ(mmu.stats().pt_write_invalidations, 2u);
  EXPECT_EQ(Tr(0x1000), 0xd000u);
  mmu.WriteCr3(a.root());
  EXPECT_EQ(Tr(0x1000), 0xd000u);
  EXPECT_EQ(mmu.stats().walks, 4u);
}

TEST_F(SystemMmuTest, TlbFillFollowsPermissionsAndDirtiness) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kUS);        // read-only user
  b.Map(0x2000, 0xa000, kKiB4, kRW | kUS);  // writable user
  b.Map(0x3000, 0xb000, kKiB4, kRW);        // supervisor
  b.Map(0x4000, 0xc000, kKiB4, 0);          // read-only supervisor
  mmu.SetPagingRegs(b.Regs(kCr0Wp));
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, Read(true)));
  EXPECT_EQ(Entry(0x1000).read_tag, 0x1000u);
  EXPECT_EQ(Entry(0x1000).write_tag, kTlbInvalid);
  EXPECT_EQ(HostVia(0x1010), mem.Host(0x9010));
  // Writable but not yet dirty: the first write must reach the slow path to set D.
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x2000, Read(true)));
  EXPECT_EQ(Entry(0x2000).write_tag, kTlbInvalid);
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x2000, WriteAt(true)));
  EXPECT_EQ(Entry(0x2000).write_tag, 0x2000u);
  EXPECT_EQ(b.Read64(b.EntryAddr(0x2000, 1)) & kD, kD);
  EXPECT_FALSE(mmu.FillTlb(tlb, 0x3000, Read(true)));  // user access, supervisor page
  EXPECT_FALSE(mmu.FillTlb(tlb, 0x1000, WriteAt(true)));
  // CR0.WP=0 lets supervisor writes into read-only pages, through the fast path too.
  EXPECT_FALSE(mmu.FillTlb(tlb, 0x4000, WriteAt()));
  mmu.SetPagingRegs(b.Regs());
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x4000, WriteAt()));
  EXPECT_EQ(Entry(0x4000).write_tag, 0x4000u);
  // Fetches and implicit supervisor accesses never fill.
  EXPECT_FALSE(mmu.FillTlb(tlb, 0x3000, AccessInfo{kExec, false, false, false}));
  EXPECT_FALSE(mmu.FillTlb(tlb, 0x3000, AccessInfo{kRead, true, true, false}));
}

TEST_F(SystemMmuTest, SmapProtectedPagesAreNeverFilledForSupervisorAccesses) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kRW | kUS | kD);
  mmu.SetPagingRegs(b.Regs(kCr0Wp, kCr4Smap));
  AccessInfo with_ac{kWrite, false, false, true};
  EXPECT_EQ(Tr(0x1000, with_ac), 0x9000u);
  EXPECT_FALSE(mmu.FillTlb(tlb, 0x1000, with_ac));
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);
  EXPECT_EQ(Fault(0x1000, Read()), kPfPresent);          // AC=0 now: checked on the slow path
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, WriteAt(true)));  // CPL 3 may use it
  mmu.SetPagingRegs(b.Regs(kCr0Wp));
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);  // SMAP off flushed the TLB
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, Read()));
  EXPECT_EQ(mmu.stats().walks, 1u);  // rights changes keep the shadows
}

TEST_F(SystemMmuTest, CodePagesAndTheirAliasesLoseWriteEntries) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x5000, 0xc000, kKiB4, kRW | kD);
  b.Map(0x7000, 0xc000, kKiB4, kRW | kD);  // alias of the same physical page
  b.Map(0x8000, 0xd000, kKiB4, kRW | kD);
  mmu.SetPagingRegs(b.Regs());
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x5000, WriteAt()));
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x7000, WriteAt()));
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x8000, WriteAt()));
  EXPECT_EQ(Entry(0x5000).write_tag, 0x5000u);
  EXPECT_EQ(Entry(0x7000).write_tag, 0x7000u);
  mmu.MarkCodePage(0xc123);
  EXPECT_TRUE(mem.IsCode(0xc000));
  EXPECT_EQ(Entry(0x5000).write_tag, kTlbInvalid);
  EXPECT_EQ(Entry(0x7000).write_tag, kTlbInvalid);
  EXPECT_EQ(Entry(0x5000).read_tag, 0x5000u);  // reads stay fast
  EXPECT_EQ(Entry(0x8000).write_tag, 0x8000u);
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x7000, WriteAt()));
  EXPECT_EQ(Entry(0x7000).write_tag, kTlbInvalid);
}

TEST_F(SystemMmuTest, PagingStructuresNeverGetWriteEntries) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  uint64_t pte = b.Map(0x1000, 0x9000, kKiB4, kRW);
  uint64_t pt = pte & ~0xfffull;
  b.Map(0x6000, pt, kKiB4, kRW | kD);  // a window onto the page table itself
  uint64_t fresh = b.NewFrame();
  b.Map(0x7000, fresh, kKiB4, kRW | kD);
  mmu.SetPagingRegs(b.Regs());
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x6000, WriteAt()));
  EXPECT_EQ(Entry(0x6000).read_tag, 0x6000u);
  EXPECT_EQ(Entry(0x6000).write_tag, kTlbInvalid);
  // A page already writable through the fast path loses that when a walk starts using it.
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x7000, WriteAt()));
  EXPECT_EQ(Entry(0x7000).write_tag, 0x7000u);
  uint64_t pde = b.EntryAddr(0x1000, 2);
  b.Write64(pde + 8, fresh | kP | kRW);  // PD entry 1 -> fresh as a page table
  b.Write64(fresh, 0xe000 | kP);
  EXPECT_EQ(Tr(0x200000), 0xe000u);
  EXPECT_TRUE(mem.IsPagingFrame(fresh));
  EXPECT_EQ(Entry(0x7000).write_tag, kTlbInvalid);
  // Once no shadow depends on it, the page is ordinary again.
  mmu.Invlpg(0x200000);
  EXPECT_FALSE(mem.IsPagingFrame(fresh));
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x7000, WriteAt()));
  EXPECT_EQ(Entry(0x7000).write_tag, 0x7000u);
}

TEST_F(SystemMmuTest, MmioAndUnbackedPagesAreNeverFilled) {
  ASSERT_TRUE(mem.AddMmio(0xfee00000, 0x1000, nullptr));
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0xfee00000, kKiB4, kRW | kD);
  b.Map(0x2000, 0x40000000, kKiB4, kRW | kD);
  mmu.SetPagingRegs(b.Regs());
  EXPECT_EQ(Tr(0x1010, WriteAt()), 0xfee00010u);
  EXPECT_FALSE(mmu.FillTlb(tlb, 0x1010, WriteAt()));
  EXPECT_EQ(Tr(0x2010), 0x40000010u);
  EXPECT_FALSE(mmu.FillTlb(tlb, 0x2010, Read()));
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);
  EXPECT_EQ(Entry(0x2000).read_tag, kTlbInvalid);
}

TEST_F(SystemMmuTest, InvlpgDropsOnePageOfTheCurrentSpace) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kRW);
  b.Map(0x2000, 0xa000, kKiB4, kRW);
  mmu.SetPagingRegs(b.Regs());
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, Read()));
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x2000, Read()));
  mmu.Invlpg(0x1abc);
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);
  EXPECT_EQ(Entry(0x2000).read_tag, 0x2000u);
  EXPECT_EQ(mmu.ShadowEntryCount(), 1u);
  Tr(0x1000);
  Tr(0x2000);
  EXPECT_EQ(mmu.stats().walks, 3u);
}

TEST_F(SystemMmuTest, PagingRegisterChangesFlushWhatTheyAffect) {
  PageTableBuilder b(mem, PagingMode::k4Level);
  b.Map(0x1000, 0x9000, kKiB4, kRW | kD);
  mmu.SetPagingRegs(b.Regs());
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, WriteAt()));
  // CR0.WP changes the rights check only: TLB flushed, shadows kept.
  mmu.SetPagingRegs(b.Regs(kCr0Wp));
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);
  Tr(0x1000);
  EXPECT_EQ(mmu.stats().walks, 1u);
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, Read()));
  // EFER.NXE changes what entries mean: everything goes.
  mmu.SetPagingRegs(b.Regs(kCr0Wp, 0, kEferNxe));
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);
  EXPECT_EQ(mmu.ShadowEntryCount(), 0u);
  Tr(0x1000);
  EXPECT_EQ(mmu.stats().walks, 2u);
  EXPECT_EQ(mmu.stats().full_flushes, 2u);  // enabling paging, then NXE
  // Paging off: identity, no tracking, fast-path writes allowed.
  mmu.SetPagingRegs(PagingRegs{});
  EXPECT_FALSE(mem.IsPagingFrame(b.root()));
  EXPECT_EQ(Tr(0x1000), 0x1000u);
  ASSERT_TRUE(mmu.FillTlb(tlb, 0x1000, WriteAt(true)));
  EXPECT_EQ(Entry(0x1000).write_tag, 0x1000u);
  EXPECT_EQ(HostVia(0x1000), mem.Host(0x1000));
  mmu.FlushAll();
  EXPECT_EQ(Entry(0x1000).read_tag, kTlbInvalid);
}

TEST_F(SystemMmuTest, ThirtyTwoBitAndPaeSpaces) {
  PageTableBuilder b(mem, PagingMode::k32Bit, 0x100000);
  b.Map(0x00401000, 0x9000, kKiB4, kRW);
  mmu.SetPagingRegs(b.Regs());
  EXPECT_EQ(Tr(0x00401010), 0x9010u);
  uint64_t pte = b.EntryAddr(0x00401000, 1);
  mem.WritePhys(pte, 4, 0xa000 | kP);
  EXPECT_EQ(Tr(0x00401010), 0xa010u);

  // Two PAE PDPTs in one page are separate address spaces (CR3 bits 11:5 matter).
  PageTableBuilder p(mem, PagingMode::kPae, 0x200000);
  p.Map(0xc0000000, 0xb000, kKiB4, kRW);
  PagingRegs regs = p.Regs();
  mmu.SetPagingRegs(regs);
  EXPECT_EQ(Tr(0xc0000000), 0xb000u);
  uint64_t pdpt2 = p.root() + 0x20;
  p.Write64(pdpt2 + 3 * 8, p.Read64(p.root() + 3 * 8));
  mmu.WriteCr3(pdpt2);
  EXPECT_EQ(mmu.stats().shadow_tables_created, 3u);
  EXPECT_EQ(Tr(0xc0000000), 0xb000u);
  // Writing the PDPTE drops the shadows derived from it.
  p.Write64(pdpt2 + 3 * 8, 0);
  EXPECT_EQ(Fault(0xc0000000, Read()), 0u);
}

}  // namespace
}  // namespace doppel::softmmu
