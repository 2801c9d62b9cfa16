// runtime/machine_impl.h: the machine's internals shared by the dispatcher, the helpers and
// compare mode (not part of the public API).
#pragma once
#include <array>
#include <cstdio>
#include <memory>

#include "backend/helpers.h"
#include "runtime/block_cache.h"
#include "runtime/machine.h"
#include "runtime/platform.h"
#include "softmmu/address_space.h"
#include "softmmu/physical_memory.h"
#include "softmmu/system_mmu.h"
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

  // System mode.
  std::unique_ptr<softmmu::PhysicalMemory> phys;
  std::unique_ptr<softmmu::SystemMmu> mmu;
  Platform* platform = nullptr;
  struct TranslationContext {
    uint32_t mode = ~0u;
    uint64_t cs_base = 0, cr3 = 0;
    bool operator==(const TranslationContext&) const = default;
  } context;
  int64_t budget_stolen = 0;    // budget a helper zeroed to end a chained run early
  int64_t budget_at_entry = 0;  // state.budget when the running chained run began
  // Process mode: the GDT user space sees (flat code/data and the i386 TLS slots).
  std::array<uint64_t, 16> user_gdt{};

  // Ends the current chained run at the next block entry so the dispatcher checks interrupts.
  void RequestDispatch() {
    if (state.budget > 0) budget_stolen += state.budget;
    state.budget = 0;
  }
  void FlushJumpCache();
  // Flushes what depends on the translation context (jump cache, and the TLB on a CPL change).
  void SyncContext();

  // Translation: looks up or translates the block at pc. single_insn blocks are not cached.
  // In system mode nullptr means the fetch faulted (the exception is raised in `state`).
  runtime::TranslatedBlock* GetBlock(uint64_t pc, bool* fetch_fault);
  std::unique_ptr<runtime::TranslatedBlock> Translate(uint64_t pc, unsigned max_insns);
  bool CompileHost(runtime::TranslatedBlock* tb);
  void WritePerfMapEntry(const runtime::TranslatedBlock* tb);  // -d perfmap
  std::unique_ptr<FILE, int (*)(FILE*)> perfmap_file{nullptr, fclose};
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
