// runtime/machine_impl.h: the machine's internals shared by the dispatcher, the helpers and
// compare mode (not part of the public API).
#pragma once
#include <memory>

#include "backend/helpers.h"
#include "runtime/block_cache.h"
#include "runtime/machine.h"
#include "softmmu/address_space.h"
#if DOPPEL_HAVE_JIT
#include "backend/x64/jit.h"
#endif

namespace doppel {

struct Machine::Impl {
  explicit Impl(const MachineConfig& c);

  MachineConfig config;
  CpuState state;
  softmmu::AddressSpace mem;
  runtime::BlockCache cache;
  backend::Helpers helpers{};
#if DOPPEL_HAVE_JIT
  std::unique_ptr<x64::Jit> jit;
#endif
  Stats stats;
  std::optional<uint64_t> stop_pc;  // blocks are translated to end before it
  // A block that faulted on its first fetch is not cached (the page may be mapped later).
  std::unique_ptr<runtime::TranslatedBlock> transient;

  // Translation: looks up or translates the block at pc. single_insn blocks are not cached.
  runtime::TranslatedBlock* GetBlock(uint64_t pc, bool* fetch_fault);
  std::unique_ptr<runtime::TranslatedBlock> Translate(uint64_t pc, unsigned max_insns);
  bool CompileHost(runtime::TranslatedBlock* tb);
  void Flush();
  void InvalidateCodePage(uint64_t page);

  // Executes one block on the configured engine; returns the ir::ExitReason.
  uint32_t Execute(runtime::TranslatedBlock* tb, Engine engine, backend::BlockExit* exit);
  // Compare mode: runs tb under both engines from the same state; false on divergence.
  bool ExecuteCompared(runtime::TranslatedBlock* tb, backend::BlockExit* exit, std::string* diff);
  void ChainExit(runtime::TranslatedBlock* from, uint32_t index, runtime::TranslatedBlock* to);
  void FillJumpCache(runtime::TranslatedBlock* tb);
};

backend::Helpers MakeHelpers();

}  // namespace doppel
