// runtime/block_cache.h: translated blocks keyed by (guest PC, mode bits, CS base, physical PC)
// through an XXH3 hash, the chaining links between them, and invalidation by page (guest pages in
// process mode, physical pages in system mode).
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/ir.h"
#if DOPPEL_HAVE_JIT
#include "backend/x64/jit.h"
#endif

namespace doppel::runtime {

struct TranslatedBlock {
  const uint8_t* host_entry = nullptr;  // first field: the JIT's jump-cache probe jumps through it
  uint64_t guest_pc = 0;
  uint32_t mode = 0;
  uint64_t cs_base = 0;    // system mode: code is at cs_base + guest_pc
  uint32_t cs_limit = 0;   // system mode, 16/32-bit code: the CS limit it was translated under
  uint64_t phys_pc = 0;    // system mode: physical address of the first byte (else guest_pc)
  uint64_t pages[2] = {};  // pages holding its code (same page twice if only one)
  ir::Block ir;
#if DOPPEL_HAVE_JIT
  x64::CompiledBlock jit;
#endif
  struct Exit {
    uint64_t target_pc = 0;
    TranslatedBlock* chained_to = nullptr;
  };
  std::vector<Exit> exits;  // numbered as backend::BlockExit::exit_index
  std::vector<std::pair<TranslatedBlock*, uint32_t>> incoming;  // (block, exit) chained to us
  bool valid = true;
};
static_assert(offsetof(TranslatedBlock, host_entry) == 0);

// Exit targets in exit-index order: side exits, then the terminal's link targets.
std::vector<TranslatedBlock::Exit> ExitsOf(const ir::Block& b);

class BlockCache {
 public:
  TranslatedBlock* Lookup(uint64_t pc, uint32_t mode, uint64_t cs_base = 0, uint64_t phys_pc = 0,
                          uint32_t cs_limit = 0) const;
  TranslatedBlock* Insert(std::unique_ptr<TranslatedBlock> tb);

  // Links exit `index` of `from` to `to` (the caller patches host code when there is any).
  void Chain(TranslatedBlock* from, uint32_t index, TranslatedBlock* to);
  // Removes every block with code on `page`, unchaining everything that jumps into them.
  // Returns the removed blocks; they stay alive until ReleaseRemoved (they may be running).
  std::vector<TranslatedBlock*> InvalidatePage(uint64_t page);
  void ReleaseRemoved();
  // Drops every block.
  void Clear();
  size_t size() const { return blocks_.size(); }

  // Called for each chain link that must be undone (e.g. to unpatch host jumps).
  void (*unchain_hook)(TranslatedBlock* from, uint32_t index, void* ctx) = nullptr;
  void* hook_ctx = nullptr;

 private:
  struct Key {
    uint64_t pc;
    uint64_t mode;  // the mode bits, and the CS limit in the upper half
    uint64_t cs_base;
    uint64_t phys_pc;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  void Unlink(TranslatedBlock* tb);
  static Key KeyOf(const TranslatedBlock& tb);

  std::unordered_map<Key, std::unique_ptr<TranslatedBlock>, KeyHash> blocks_;
  std::unordered_map<uint64_t, std::vector<TranslatedBlock*>> by_page_;
  std::vector<std::unique_ptr<TranslatedBlock>> removed_;
};

}  // namespace doppel::runtime
