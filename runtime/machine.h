// runtime/machine.h: the embeddable API: map guest memory, set registers, run until a stop
// condition, read state. The CLI and the tests use only this.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/cpu_state.h"

namespace doppel {

class Platform;
namespace softmmu {
class PhysicalMemory;
}

enum class Engine { kInterp, kJit, kCompare };
// Parses "interp", "jit" or "compare"; nullopt for anything else.
std::optional<Engine> ParseEngine(std::string_view name);
const char* EngineName(Engine e);
bool JitAvailable();

enum Prot : int { kProtRead = 1, kProtWrite = 2, kProtExec = 4, kProtRWX = 7 };

struct LogOptions {
  bool in_asm = false;   // guest disassembly of each translated block
  bool ir = false;       // IR before the passes
  bool ir_opt = false;   // IR after the passes
  bool out_asm = false;  // host disassembly of each compiled block
  bool exec = false;     // each block executed (through the dispatcher)
  bool perfmap = false;  // /tmp/perf-PID.map: names JIT blocks by guest address for `perf report`
  FILE* out = stderr;
};
// Parses a QEMU-style "-d" list ("in_asm,ir,exec"); returns false and names the bad item.
bool ParseLogItems(std::string_view list, LogOptions* log, std::string* error);

struct MachineConfig {
  Engine engine = Engine::kJit;
  uint32_t mode = 0;                    // frontend::ModeBits (0 = 64-bit)
  size_t code_cache_bytes = 64u << 20;  // JIT code cache; flushed when full
  unsigned max_block_insns = 64;
  bool chaining = true;  // patch direct exits into jumps to their successors
  bool optimize = true;  // run the IR passes
  // System mode (`doppel boot`): privileged instructions, paging over guest-physical RAM and a
  // Platform for devices; `mode` is then derived from the CPU state.
  bool system = false;
  uint64_t ram_bytes = 0;
  LogOptions log;
};

struct Stats {
  uint64_t blocks_translated = 0;
  uint64_t insns_translated = 0;
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t chained_exits = 0;       // exits patched into direct jumps
  uint64_t dispatcher_returns = 0;  // times generated code / the interpreter returned to the loop
  uint64_t jump_cache_fills = 0;
  uint64_t blocks_invalidated = 0;
  uint64_t code_cache_flushes = 0;
  uint64_t code_cache_bytes = 0;  // in use now
  uint64_t insns_executed = 0;
};

// System mode: kHalt means the CPU waits for an interrupt; kShutdown is a triple fault;
// kStopRequested means the Platform asked to stop.
enum class StopReason {
  kHalt,
  kException,
  kSyscall,
  kStopPc,
  kInsnLimit,
  kDivergence,
  kShutdown,
  kStopRequested
};
const char* StopReasonName(StopReason r);

struct RunLimits {
  uint64_t max_insns = ~0ull;  // stops at the first block boundary at or past this many
  // Stops before executing the instruction at this PC (not when the run starts there, so a
  // debugger-style "continue" from a stop makes progress).
  std::optional<uint64_t> stop_pc;
};

struct RunResult {
  StopReason reason = StopReason::kHalt;
  uint32_t vector = 0;  // kException
  uint32_t error_code = 0;
  uint64_t fault_addr = 0;  // kException with #PF
  std::string divergence;   // kDivergence: readable diff of interpreter vs JIT state
};

class Machine {
 public:
  explicit Machine(const MachineConfig& config);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // Maps [addr, addr+size) (page-aligned) to zeroed memory. False with a message on overlap/bad
  // range.
  bool Map(uint64_t addr, uint64_t size, int prot, std::string* error = nullptr);
  bool Unmap(uint64_t addr, uint64_t size);
  bool Protect(uint64_t addr, uint64_t size, int prot);
  // Debugger-style access that ignores protections; writes invalidate translated code.
  bool WriteMemory(uint64_t addr, const void* data, size_t size);
  bool ReadMemory(uint64_t addr, void* data, size_t size) const;

  CpuState& cpu();
  const CpuState& cpu() const;
  RunResult Run(const RunLimits& limits = {});

  // System mode: allocates RAM (config.ram_bytes) and connects the board. False with a message
  // if the RAM cannot be allocated.
  bool AttachPlatform(Platform* platform, std::string* error);
  softmmu::PhysicalMemory* physical();
  // After a loader or debugger changed CpuState::sys (CRs, EFER, segments): resynchronise the
  // MMU and drop cached translations that depend on it.
  void SystemStateChanged();
  // Process mode: GDT entry `index` as user space sees it (i386 TLS via set_thread_area).
  void SetUserDescriptor(unsigned index, uint64_t descriptor);

  const Stats& stats() const;
  // Instructions retired so far, counting the blocks of a chained run still in progress (which
  // stats().insns_executed only adds when the run returns to the dispatcher): the --icount clock.
  uint64_t InsnsRetired() const;
  std::string FormatStats() const;
  void FlushCodeCache();
  const MachineConfig& config() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace doppel
