// tests/runtime/block_cache_test.cpp: lookup by (PC, mode), chain bookkeeping, invalidation of a
// block that other blocks are chained to, and clearing.
#include "runtime/block_cache.h"

#include <gtest/gtest.h>

#include "ir/emitter.h"

namespace doppel::runtime {
namespace {

std::unique_ptr<TranslatedBlock> MakeBlock(uint64_t pc, uint32_t mode, uint64_t target) {
  auto tb = std::make_unique<TranslatedBlock>();
  tb->guest_pc = pc;
  tb->mode = mode;
  tb->pages[0] = tb->pages[1] = pc & ~0xfffull;
  ir::Emitter e(tb->ir);
  e.Link(target);
  tb->exits = ExitsOf(tb->ir);
  return tb;
}

TEST(BlockCache, LookupIsByPcAndMode) {
  BlockCache c;
  TranslatedBlock* a = c.Insert(MakeBlock(0x1000, 0, 0x2000));
  TranslatedBlock* b = c.Insert(MakeBlock(0x1000, 1, 0x2000));
  EXPECT_EQ(c.Lookup(0x1000, 0), a);
  EXPECT_EQ(c.Lookup(0x1000, 1), b);
  EXPECT_EQ(c.Lookup(0x1001, 0), nullptr);
}

TEST(BlockCache, ExitNumberingPutsSideExitsFirst) {
  ir::Block b;
  ir::Emitter e(b);
  e.SideExit(e.True(), 0x500);
  e.CondLink(e.False(), 0x600, 0x700);
  auto exits = ExitsOf(b);
  ASSERT_EQ(exits.size(), 3u);
  EXPECT_EQ(exits[0].target_pc, 0x500u);
  EXPECT_EQ(exits[1].target_pc, 0x600u);
  EXPECT_EQ(exits[2].target_pc, 0x700u);
}

TEST(BlockCache, InvalidatingAChainedToBlockUnchainsItsPredecessors) {
  BlockCache c;
  std::vector<std::pair<TranslatedBlock*, uint32_t>> unchained;
  c.hook_ctx = &unchained;
  c.unchain_hook = [](TranslatedBlock* from, uint32_t index, void* ctx) {
    static_cast<std::vector<std::pair<TranslatedBlock*, uint32_t>>*>(ctx)->emplace_back(from,
                                                                                        index);
  };
  TranslatedBlock* a = c.Insert(MakeBlock(0x1000, 0, 0x5000));
  TranslatedBlock* b = c.Insert(MakeBlock(0x5000, 0, 0x1000));
  c.Chain(a, 0, b);
  c.Chain(b, 0, a);
  auto gone = c.InvalidatePage(0x5000);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], b);
  EXPECT_FALSE(b->valid);
  EXPECT_TRUE(a->valid);
  EXPECT_EQ(a->exits[0].chained_to, nullptr);
  ASSERT_EQ(unchained.size(), 1u);
  EXPECT_EQ(unchained[0].first, a);
  EXPECT_TRUE(a->incoming.empty());  // b's link into a is gone too
  EXPECT_EQ(c.Lookup(0x5000, 0), nullptr);
  c.ReleaseRemoved();
  EXPECT_EQ(c.size(), 1u);
}

TEST(BlockCache, ClearDropsEverything) {
  BlockCache c;
  c.Insert(MakeBlock(0x1000, 0, 0x2000));
  c.Insert(MakeBlock(0x2000, 0, 0x1000));
  c.Clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.Lookup(0x1000, 0), nullptr);
}

}  // namespace
}  // namespace doppel::runtime
