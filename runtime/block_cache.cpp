// runtime/block_cache.cpp: the block hash table, chain bookkeeping and page invalidation.
#include "runtime/block_cache.h"

#include <xxhash.h>

#include <algorithm>

namespace doppel::runtime {

std::vector<TranslatedBlock::Exit> ExitsOf(const ir::Block& b) {
  std::vector<TranslatedBlock::Exit> exits;
  for (const ir::Inst& in : b.insts) {
    if (in.op == ir::Opcode::kSideExit) exits.push_back({in.imm, nullptr});
  }
  if (b.term.kind == ir::Terminal::Kind::kLink) exits.push_back({b.term.pc, nullptr});
  if (b.term.kind == ir::Terminal::Kind::kCondLink) {
    exits.push_back({b.term.pc, nullptr});
    exits.push_back({b.term.pc_false, nullptr});
  }
  return exits;
}

size_t BlockCache::KeyHash::operator()(const Key& k) const { return XXH3_64bits(&k, sizeof k); }

BlockCache::Key BlockCache::KeyOf(const TranslatedBlock& tb) {
  return Key{tb.guest_pc, tb.mode | uint64_t{tb.cs_limit} << 32, tb.cs_base, tb.phys_pc};
}

TranslatedBlock* BlockCache::Lookup(uint64_t pc, uint32_t mode, uint64_t cs_base, uint64_t phys_pc,
                                    uint32_t cs_limit) const {
  auto it = blocks_.find(Key{pc, mode | uint64_t{cs_limit} << 32, cs_base, phys_pc});
  return it == blocks_.end() ? nullptr : it->second.get();
}

TranslatedBlock* BlockCache::Insert(std::unique_ptr<TranslatedBlock> tb) {
  TranslatedBlock* raw = tb.get();
  Key key = KeyOf(*tb);
  auto old = blocks_.find(key);
  if (old != blocks_.end()) {
    Unlink(old->second.get());
    removed_.push_back(std::move(old->second));
    blocks_.erase(old);
  }
  by_page_[raw->pages[0]].push_back(raw);
  if (raw->pages[1] != raw->pages[0]) by_page_[raw->pages[1]].push_back(raw);
  blocks_.emplace(key, std::move(tb));
  return raw;
}

void BlockCache::Chain(TranslatedBlock* from, uint32_t index, TranslatedBlock* to) {
  from->exits[index].chained_to = to;
  to->incoming.emplace_back(from, index);
}

void BlockCache::Unlink(TranslatedBlock* tb) {
  tb->valid = false;
  for (auto [from, index] : tb->incoming) {
    if (from->exits[index].chained_to != tb) continue;
    if (unchain_hook) unchain_hook(from, index, hook_ctx);
    from->exits[index].chained_to = nullptr;
  }
  tb->incoming.clear();
  // Our own outgoing links: drop us from the successors' incoming lists.
  for (uint32_t i = 0; i < tb->exits.size(); ++i) {
    TranslatedBlock* to = tb->exits[i].chained_to;
    if (!to) continue;
    auto& in = to->incoming;
    in.erase(std::remove(in.begin(), in.end(), std::make_pair(tb, i)), in.end());
    tb->exits[i].chained_to = nullptr;
  }
  for (uint64_t page : {tb->pages[0], tb->pages[1]}) {
    auto it = by_page_.find(page);
    if (it == by_page_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), tb), v.end());
    if (v.empty()) by_page_.erase(it);
  }
}

std::vector<TranslatedBlock*> BlockCache::InvalidatePage(uint64_t page) {
  std::vector<TranslatedBlock*> gone;
  auto it = by_page_.find(page);
  if (it == by_page_.end()) return gone;
  std::vector<TranslatedBlock*> victims = it->second;
  for (TranslatedBlock* tb : victims) {
    Unlink(tb);
    auto found = blocks_.find(KeyOf(*tb));
    if (found != blocks_.end() && found->second.get() == tb) {
      removed_.push_back(std::move(found->second));
      blocks_.erase(found);
    }
    gone.push_back(tb);
  }
  return gone;
}

void BlockCache::ReleaseRemoved() { removed_.clear(); }

void BlockCache::Clear() {
  for (auto& [key, tb] : blocks_) {
    tb->valid = false;
    removed_.push_back(std::move(tb));
  }
  blocks_.clear();
  by_page_.clear();
}

}  // namespace doppel::runtime
