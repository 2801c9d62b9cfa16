// backend/x64/jit.h: the x86-64 JIT. Turns an IR block into host code with asmjit's Assembler,
// keeps it in a bounded code cache, and patches/unpatches the direct jumps that chain blocks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/helpers.h"
#include "ir/ir.h"

namespace doppel::x64 {

struct ExitSite {
  uint8_t* jump =
      nullptr;  // a 5-byte `E9 rel32` jump: to `stub` when unchained, to a block when chained
  uint8_t* stub =
      nullptr;  // stores RIP, the exit index and the block id, returns to the dispatcher
  uint64_t target_pc = 0;
};

struct CompiledBlock {
  uint8_t* entry = nullptr;
  size_t size = 0;
  std::vector<ExitSite> exits;  // numbered as backend::BlockExit::exit_index
};

struct CompileOptions {
  bool inline_jump_cache = true;  // indirect exits probe CpuState::jump_cache before returning
};

class Jit {
 public:
  Jit(const backend::Helpers& helpers, size_t code_cache_bytes);
  ~Jit();
  Jit(const Jit&) = delete;
  Jit& operator=(const Jit&) = delete;

  // `block_id` is stored into CpuState::last_exit_block by the exit stubs. Returns nullopt when the
  // code cache is full: the caller flushes (Reset) and compiles again.
  std::optional<CompiledBlock> Compile(const ir::Block& b, void* block_id, const CompileOptions& o);

  // Runs host code from `entry` until some exit returns to the dispatcher; returns the
  // ir::ExitReason. On kLink, CpuState::last_exit_block/last_exit_index name the exit taken.
  uint32_t Enter(CpuState* s, const uint8_t* entry);

  static void Chain(const ExitSite& site, const uint8_t* target);  // jump -> target
  static void Unchain(const ExitSite& site);                       // jump -> stub

  void Reset();  // drops every block (the caller forgets all CompiledBlocks)
  size_t used() const;
  size_t capacity() const;
  std::string Disassemble(const uint8_t* code, size_t size) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace doppel::x64
