// runtime/machine.cpp: the machine and its dispatcher loop: look up or translate the block at RIP,
// run it, chain the exit it took to its successor, handle stops, faults and self-modifying code.
#include "runtime/machine.h"

#include <Zydis/Zydis.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "backend/interp/interp.h"
#include "frontend/x86/translate.h"
#include "ir/opt/passes.h"
#include "runtime/machine_impl.h"
#include "runtime/system_cpu.h"

namespace doppel {

using runtime::TranslatedBlock;

std::optional<Engine> ParseEngine(std::string_view name) {
  if (name == "interp") return Engine::kInterp;
  if (name == "jit") return Engine::kJit;
  if (name == "compare") return Engine::kCompare;
  return std::nullopt;
}

const char* EngineName(Engine e) {
  switch (e) {
    case Engine::kInterp: return "interp";
    case Engine::kJit: return "jit";
    case Engine::kCompare: return "compare";
  }
  return "?";
}

bool JitAvailable() { return DOPPEL_HAVE_JIT; }

const char* StopReasonName(StopReason r) {
  switch (r) {
    case StopReason::kHalt: return "halt";
    case StopReason::kException: return "exception";
    case StopReason::kSyscall: return "syscall";
    case StopReason::kStopPc: return "stop-pc";
    case StopReason::kInsnLimit: return "insn-limit";
    case StopReason::kDivergence: return "divergence";
    case StopReason::kShutdown: return "shutdown";
    case StopReason::kStopRequested: return "stop-requested";
  }
  return "?";
}

bool ParseLogItems(std::string_view list, LogOptions* log, std::string* error) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    if (item == "in_asm")
      log->in_asm = true;
    else if (item == "ir")
      log->ir = true;
    else if (item == "ir_opt")
      log->ir_opt = true;
    else if (item == "out_asm")
      log->out_asm = true;
    else if (item == "exec")
      log->exec = true;
    else if (item == "perfmap")
      log->perfmap = true;
    else {
      *error = "unknown -d item '" + std::string(item) +
               "' (known: in_asm, ir, ir_opt, out_asm, exec, perfmap)";
      return false;
    }
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return true;
}

namespace {

// System mode: fault_addr before a block runs, to tell a translator-raised fetch fault (which sets
// no address) from a page fault raised by a helper.
constexpr uint64_t kNoFaultAddr = 0xdead'0000'0000'0001ull;

// Delivers the exception a block or helper raised (software interrupts carry their marker).
bool DeliverSystemException(Machine::Impl& m) {
  CpuState& s = m.state;
  uint32_t vector = s.exception_vector, error = s.error_code;
  sys::EventKind kind = sys::EventKind::kException;
  uint64_t insn_pc = s.rip;
  if ((error & ir::kSoftwareInterrupt) || vector == ir::kBreakpoint) {
    kind = sys::EventKind::kSoftware;
    unsigned length = (error >> ir::kSoftwareInterruptLengthShift) & 0xf;
    insn_pc = s.rip - (length ? length : 1);  // INT3 is one byte
    error = 0;
  }
  return sys::DeliverEvent(m, vector, kind, error, insn_pc);
}

class MemoryCodeReader : public frontend::CodeReader {
 public:
  explicit MemoryCodeReader(const softmmu::AddressSpace& mem) : mem_(mem) {}
  size_t Fetch(uint64_t pc, uint8_t* buf, size_t n) override {
    size_t got = 0;
    while (got < n) {
      const uint8_t* host = mem_.Translate(pc + got, softmmu::kExec);
      if (!host) break;
      size_t chunk =
          std::min<size_t>(n - got, softmmu::kPageSize - ((pc + got) & (softmmu::kPageSize - 1)));
      memcpy(buf + got, host, chunk);
      got += chunk;
    }
    return got;
  }

 private:
  const softmmu::AddressSpace& mem_;
};

// System mode: code through the MMU at the current privilege (a fetch never faults here; the
// dispatcher has translated the block's first byte, and a later page that faults ends the block).
class SystemCodeReader : public frontend::CodeReader {
 public:
  explicit SystemCodeReader(Machine::Impl& m) : m_(m) {}
  size_t Fetch(uint64_t pc, uint8_t* buf, size_t n) override {
    softmmu::AccessInfo fetch;
    fetch.access = softmmu::kExec;
    fetch.user = m_.state.sys.cpl == 3;
    size_t got = 0;
    while (got < n) {
      uint64_t paddr = 0;
      if (!m_.mmu->Translate(pc + got, fetch, &paddr, nullptr)) break;
      const uint8_t* host = m_.phys->Host(paddr);
      if (!host) break;
      size_t chunk =
          std::min<size_t>(n - got, softmmu::kPageSize - ((pc + got) & (softmmu::kPageSize - 1)));
      memcpy(buf + got, host, chunk);
      got += chunk;
    }
    return got;
  }

 private:
  Machine::Impl& m_;
};

void LogGuestCode(FILE* out, frontend::CodeReader& code, uint64_t code_base, const ir::Block& b) {
  ZydisDecoder dec;
  uint32_t size = b.mode & frontend::kModeSizeMask;
  if (size == frontend::kMode32)
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
  else if (size == frontend::kMode16)
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16);
  else
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisFormatter fmt;
  ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
  fprintf(out, "IN: guest 0x%" PRIx64 "\n", b.guest_pc);
  uint64_t pc = b.guest_pc;
  for (uint32_t i = 0; i < b.guest_insns; ++i) {
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH] = {};
    code.Fetch(code_base + pc, bytes, sizeof bytes);
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes, sizeof bytes, &insn, ops))) break;
    char text[256];
    ZydisFormatterFormatInstruction(&fmt, &insn, ops, insn.operand_count_visible, text, sizeof text,
                                    pc, nullptr);
    fprintf(out, "0x%016" PRIx64 ":  %s\n", pc, text);
    pc += insn.length;
  }
  fprintf(out, "\n");
}

}  // namespace

Machine::Impl::Impl(const MachineConfig& c) : config(c), helpers(MakeHelpers()) {
  state.opaque = this;
  if (!config.system) {
    // Process mode runs at CPL 3 in protected mode with paging; the GDT holds Linux's flat user
    // segments (i386: CS 0x23, data 0x2b; x86-64: CS 0x33).
    user_gdt[4] = 0x00cffa000000ffffull;
    user_gdt[5] = 0x00cff2000000ffffull;
    user_gdt[6] = 0x00affa000000ffffull;
    state.sys.cpl = 3;
    state.sys.cr0 = 0x80000011;
    bool i386 = (config.mode & frontend::kModeSizeMask) == frontend::kMode32;
    state.sys.efer = i386 ? 0 : 0xd01;
    state.sys.seg[CS] = SegmentCache{static_cast<uint16_t>(i386 ? 0x23 : 0x33),
                                     static_cast<uint16_t>(i386 ? 0xc0fb : 0xa0fb), 0xffffffff};
    // A 64-bit process has null DS/ES (as Linux leaves them); an i386 one has the data selector.
    for (unsigned seg : {ES, SS, DS}) {
      if (i386 || seg == SS) state.sys.seg[seg] = SegmentCache{0x2b, 0xc0f3, 0xffffffff};
    }
  }
  mem.RegisterTlb(state.tlb);
  mem.on_code_write = [this](uint64_t page) { InvalidateCodePage(page); };
#if DOPPEL_HAVE_JIT
  if (config.engine != Engine::kInterp)
    jit = std::make_unique<x64::Jit>(helpers, config.code_cache_bytes);
  cache.hook_ctx = this;
  cache.unchain_hook = [](TranslatedBlock* from, uint32_t index, void*) {
    if (from->jit.entry) x64::Jit::Unchain(from->jit.exits[index]);
  };
#endif
}

void Machine::Impl::FlushJumpCache() {
  for (JumpCacheEntry& e : state.jump_cache) e = JumpCacheEntry{};
}

void Machine::Impl::SyncContext() {
  TranslationContext now{sys::CurrentMode(state), state.seg_base[CS], state.sys.cr3};
  if (now == context) return;
  if (frontend::ModeCpl(now.mode) != frontend::ModeCpl(context.mode))
    softmmu::TlbFlushAll(state.tlb);
  FlushJumpCache();
  context = now;
}

void Machine::Impl::InvalidateCodePage(uint64_t page) {
  if (config.system)
    phys->ClearCode(page);
  else
    mem.ClearCode(page);
  for (TranslatedBlock* tb : cache.InvalidatePage(page)) {
    stats.blocks_invalidated++;
    JumpCacheEntry& e = state.jump_cache[JumpCacheIndex(tb->guest_pc)];
    if (e.block == tb) e = JumpCacheEntry{};
  }
}

void Machine::Impl::Flush() {
  cache.Clear();
  for (JumpCacheEntry& e : state.jump_cache) e = JumpCacheEntry{};
#if DOPPEL_HAVE_JIT
  if (jit) jit->Reset();
#endif
  stats.code_cache_flushes++;
}

std::unique_ptr<TranslatedBlock> Machine::Impl::Translate(uint64_t pc, unsigned max_insns) {
  auto tb = std::make_unique<TranslatedBlock>();
  tb->guest_pc = pc;
  tb->mode = config.mode;
  MemoryCodeReader process_reader(mem);
  SystemCodeReader system_reader(*this);
  frontend::CodeReader* reader = &process_reader;
  frontend::TranslateOptions opts;
  opts.max_insns = max_insns;
  if (stop_pc) opts.stop_before = *stop_pc;
  if (config.system) {
    tb->mode = sys::CurrentMode(state);
    tb->cs_base = sys::Mode64(state) ? 0 : state.seg_base[CS];
    tb->cs_limit = sys::Mode64(state) ? 0 : state.sys.seg[CS].limit;
    opts.code_base = tb->cs_base;
    // Fetches past a CS limit that is not the flat 4 GiB are #GP(0).
    if (tb->mode & (1u << (unsigned{frontend::kModeSegCheckShift} + unsigned{CS})))
      opts.code_limit = tb->cs_limit;
    reader = &system_reader;
  }
  frontend::TranslateBlock(pc, tb->mode, *reader, opts, tb->ir);
  const LogOptions& log = config.log;
  if (log.in_asm) LogGuestCode(log.out, *reader, opts.code_base, tb->ir);
  if (log.ir) fprintf(log.out, "IR:\n%s\n", ir::Print(tb->ir).c_str());
  std::string problem = config.optimize ? ir::opt::Optimize(tb->ir) : ir::Verify(tb->ir);
  if (!problem.empty()) {
    fprintf(stderr, "doppel: internal error: invalid IR at 0x%" PRIx64 ": %s\n%s", pc,
            problem.c_str(), ir::Print(tb->ir).c_str());
    abort();
  }
  if (log.ir_opt) fprintf(log.out, "IR after passes:\n%s\n", ir::Print(tb->ir).c_str());
  uint64_t end = pc + (tb->ir.guest_bytes ? tb->ir.guest_bytes - 1 : 0);
  tb->pages[0] = pc & softmmu::kPageMask;
  tb->pages[1] = end & softmmu::kPageMask;
  if (config.system) {
    // Physical pages: the block stays valid under every alias and address space.
    uint64_t linear = tb->cs_base + pc, last = tb->cs_base + end, paddr = 0;
    softmmu::AccessInfo fetch;
    fetch.access = softmmu::kExec;
    fetch.user = state.sys.cpl == 3;
    mmu->Translate(linear, fetch, &paddr, nullptr);
    tb->phys_pc = paddr;
    tb->pages[0] = tb->pages[1] = paddr & softmmu::kPageMask;
    if ((last & softmmu::kPageMask) != (linear & softmmu::kPageMask) &&
        mmu->Translate(last, fetch, &paddr, nullptr)) {
      tb->pages[1] = paddr & softmmu::kPageMask;
    }
  }
  tb->exits = runtime::ExitsOf(tb->ir);
  stats.blocks_translated++;
  stats.insns_translated += tb->ir.guest_insns;
  return tb;
}

bool Machine::Impl::CompileHost(TranslatedBlock* tb) {
#if DOPPEL_HAVE_JIT
  if (!jit) return true;
  x64::CompileOptions opts;
  opts.inline_jump_cache = config.engine == Engine::kJit && config.chaining && !config.log.exec;
  auto compiled = jit->Compile(tb->ir, tb, opts);
  if (!compiled) return false;
  tb->jit = std::move(*compiled);
  tb->host_entry = tb->jit.entry;
  stats.code_cache_bytes = jit->used();
  if (config.log.perfmap) WritePerfMapEntry(tb);
  if (config.log.out_asm) {
    fprintf(config.log.out, "OUT: host code for guest 0x%" PRIx64 " (%zu bytes)\n%s\n",
            tb->guest_pc, tb->jit.size, jit->Disassemble(tb->jit.entry, tb->jit.size).c_str());
  }
#endif
  return true;
}

void Machine::Impl::WritePerfMapEntry(const TranslatedBlock* tb) {
#if DOPPEL_HAVE_JIT
  if (!perfmap_file) {
    std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
    perfmap_file.reset(fopen(path.c_str(), "a"));
    if (!perfmap_file) {
      fprintf(stderr, "doppel: cannot write %s; -d perfmap is off\n", path.c_str());
      config.log.perfmap = false;
      return;
    }
  }
  fprintf(perfmap_file.get(), "%" PRIxPTR " %zx guest_%" PRIx64 "\n",
          reinterpret_cast<uintptr_t>(tb->jit.entry), tb->jit.size, tb->guest_pc);
  fflush(perfmap_file.get());
#else
  (void)tb;
#endif
}

TranslatedBlock* Machine::Impl::GetBlock(uint64_t pc, bool*) {
  uint32_t mode = config.mode;
  uint64_t cs_base = 0, phys_pc = 0;
  uint32_t cs_limit = 0;
  if (config.system) {
    mode = sys::CurrentMode(state);
    cs_base = sys::Mode64(state) ? 0 : state.seg_base[CS];
    cs_limit = sys::Mode64(state) ? 0 : state.sys.seg[CS].limit;
    uint64_t linear = cs_base + pc;
    if ((mode & frontend::kModeSizeMask) != frontend::kMode64) linear &= 0xffffffff;
    if (!sys::FetchPhysical(*this, linear, &phys_pc)) return nullptr;
  }
  if (TranslatedBlock* tb = cache.Lookup(pc, mode, cs_base, phys_pc, cs_limit)) {
    stats.cache_hits++;
    return tb;
  }
  stats.cache_misses++;
  std::unique_ptr<TranslatedBlock> tb = Translate(pc, config.max_block_insns);
  if (!CompileHost(tb.get())) {
    // Code cache full: flush everything and compile again into the empty cache. If it still
    // fails the block itself is too big for the cache or the register allocator: halve it.
    Flush();
    while (!CompileHost(tb.get())) {
      if (tb->ir.guest_insns <= 1) {
        fprintf(stderr, "doppel: the code cache is too small for one instruction's code\n");
        exit(70);
      }
      tb = Translate(pc, tb->ir.guest_insns / 2);
    }
  }
  if (tb->ir.guest_bytes == 0) {
    transient = std::move(tb);
    return transient.get();
  }
  if (config.system) {
    mmu->MarkCodePage(tb->pages[0]);
    mmu->MarkCodePage(tb->pages[1]);
  } else {
    mem.MarkCode(tb->pages[0]);
    mem.MarkCode(tb->pages[1]);
  }
  return cache.Insert(std::move(tb));
}

void Machine::Impl::ChainExit(TranslatedBlock* from, uint32_t index, TranslatedBlock* to) {
  if (!from->valid || !to->valid || from->exits[index].chained_to || to == transient.get()) return;
  if (stop_pc && to->guest_pc == *stop_pc) return;
  // System mode: a link is only valid while the successor's linear page maps where it did, which
  // holds for the source block's own page (it was looked up under the current mapping).
  if (config.system &&
      (to->cs_base != from->cs_base || to->cs_limit != from->cs_limit ||
       ((from->cs_base + from->guest_pc) ^ (to->cs_base + to->guest_pc)) >> softmmu::kPageBits !=
           0)) {
    return;
  }
#if DOPPEL_HAVE_JIT
  if (config.engine == Engine::kJit) {
    if (!from->jit.entry || !to->jit.entry) return;
    x64::Jit::Chain(from->jit.exits[index], to->jit.entry);
  }
#endif
  cache.Chain(from, index, to);
  stats.chained_exits++;
}

void Machine::Impl::FillJumpCache(TranslatedBlock* tb) {
  if ((stop_pc && tb->guest_pc == *stop_pc) || tb == transient.get()) return;
  state.jump_cache[JumpCacheIndex(tb->guest_pc)] = JumpCacheEntry{tb->guest_pc, tb};
  stats.jump_cache_fills++;
}

uint32_t Machine::Impl::Execute(TranslatedBlock* tb, Engine engine, backend::BlockExit* exit) {
  state.exit_reason = 0;
#if DOPPEL_HAVE_JIT
  if (engine == Engine::kJit) {
    exit->reason = jit->Enter(&state, tb->host_entry);
    exit->exit_index = state.last_exit_index;
    return exit->reason;
  }
#endif
  *exit = interp::Run(tb->ir, state, helpers);
  return exit->reason;
}

Machine::Machine(const MachineConfig& config) : impl_(std::make_unique<Impl>(config)) {}
Machine::~Machine() = default;

bool Machine::Map(uint64_t addr, uint64_t size, int prot, std::string* error) {
  return impl_->mem.Map(addr, size, prot, error);
}
bool Machine::Unmap(uint64_t addr, uint64_t size) { return impl_->mem.Unmap(addr, size); }
bool Machine::Protect(uint64_t addr, uint64_t size, int prot) {
  return impl_->mem.Protect(addr, size, prot);
}
bool Machine::WriteMemory(uint64_t addr, const void* data, size_t size) {
  return impl_->mem.Write(addr, data, size);
}
bool Machine::ReadMemory(uint64_t addr, void* data, size_t size) const {
  return impl_->mem.Read(addr, data, size);
}
CpuState& Machine::cpu() { return impl_->state; }
const CpuState& Machine::cpu() const { return impl_->state; }
bool Machine::AttachPlatform(Platform* platform, std::string* error) {
  Impl& m = *impl_;
  if (!m.config.system) {
    *error = "the machine is not configured for system mode";
    return false;
  }
  m.phys = std::make_unique<softmmu::PhysicalMemory>();
  if (!m.phys->Init(m.config.ram_bytes, error)) return false;
  m.mmu = std::make_unique<softmmu::SystemMmu>(*m.phys);
  m.mmu->RegisterTlb(m.state.tlb);
  m.phys->on_code_write = [&m](uint64_t page) { m.InvalidateCodePage(page); };
  m.platform = platform;
  SystemStateChanged();
  return true;
}

softmmu::PhysicalMemory* Machine::physical() { return impl_->phys.get(); }

void Machine::SystemStateChanged() {
  Impl& m = *impl_;
  if (!m.mmu) return;
  sys::PagingChanged(m, false);
  softmmu::TlbFlushAll(m.state.tlb);
  m.FlushJumpCache();
  m.context = Impl::TranslationContext{};
}

void Machine::SetUserDescriptor(unsigned index, uint64_t descriptor) {
  if (index < impl_->user_gdt.size()) impl_->user_gdt[index] = descriptor;
}

const Stats& Machine::stats() const { return impl_->stats; }

uint64_t Machine::InsnsRetired() const {
  const Impl& m = *impl_;
  return m.stats.insns_executed +
         static_cast<uint64_t>(m.budget_at_entry - m.state.budget - m.budget_stolen);
}
const MachineConfig& Machine::config() const { return impl_->config; }
void Machine::FlushCodeCache() { impl_->Flush(); }

std::string Machine::FormatStats() const {
  const Stats& s = impl_->stats;
  char buf[1024];
  snprintf(buf, sizeof buf,
           "blocks translated:   %" PRIu64
           "\n"
           "insns translated:    %" PRIu64
           "\n"
           "insns executed:      %" PRIu64
           "\n"
           "cache hits:          %" PRIu64
           "\n"
           "cache misses:        %" PRIu64
           "\n"
           "chained exits:       %" PRIu64
           "\n"
           "jump cache fills:    %" PRIu64
           "\n"
           "dispatcher returns:  %" PRIu64
           "\n"
           "blocks invalidated:  %" PRIu64
           "\n"
           "code cache flushes:  %" PRIu64
           "\n"
           "code cache bytes:    %" PRIu64 "\n",
           s.blocks_translated, s.insns_translated, s.insns_executed, s.cache_hits, s.cache_misses,
           s.chained_exits, s.jump_cache_fills, s.dispatcher_returns, s.blocks_invalidated,
           s.code_cache_flushes, s.code_cache_bytes);
  return buf;
}

RunResult Machine::Run(const RunLimits& limits) {
  Impl& m = *impl_;
  CpuState& s = m.state;
  if (m.stop_pc != limits.stop_pc) {
    // Blocks were cut at the old stop PC (and may run through the new one): start afresh.
    if (m.cache.size() > 0) m.Flush();
    m.stop_pc = limits.stop_pc;
  }
  const bool chaining = m.config.chaining && m.config.engine == Engine::kJit && !m.config.log.exec;
  const bool interp_links = m.config.chaining && m.config.engine == Engine::kInterp;
  const bool compare = m.config.engine == Engine::kCompare;
  if (compare) m.mem.SetJournaling(true);
  uint64_t executed = 0;
  RunResult result;
  TranslatedBlock* next = nullptr;  // successor known from an interpreter link
  bool single_step = false;         // re-run one instruction after a store into its own block

  auto finish = [&](StopReason r) {
    if (compare) m.mem.SetJournaling(false);
    m.cache.ReleaseRemoved();
    result.reason = r;
    return result;
  };

  const bool system = m.config.system;
  bool trap_flag = false;  // system mode: the instruction about to run single-steps
  for (bool first = true;; first = false) {
    m.cache.ReleaseRemoved();
    if (!first && limits.stop_pc && s.rip == *limits.stop_pc) return finish(StopReason::kStopPc);
    if (system) {
      if (m.platform->StopRequested()) return finish(StopReason::kStopRequested);
      // An interrupt is taken at a block boundary unless the previous instruction (STI, MOV SS)
      // opened a one-instruction shadow.
      bool inhibit = s.sys.interrupt_shadow;
      s.sys.interrupt_shadow = 0;
      if (inhibit) single_step = true;
      if (!inhibit && (s.rflags & ir::kIF) && m.platform->InterruptPending()) {
        uint8_t vector = m.platform->AcknowledgeInterrupt();
        if (!sys::DeliverEvent(m, vector, sys::EventKind::kExternal, 0, s.rip))
          return finish(StopReason::kShutdown);
        next = nullptr;
      }
      if (s.sys.halted) return finish(StopReason::kHalt);
      m.SyncContext();
      // RFLAGS.TF: one instruction at a time, each followed by a #DB trap.
      trap_flag = (s.rflags & ir::kTF) != 0;
      if (trap_flag) single_step = true;
    }
    if (executed >= limits.max_insns) return finish(StopReason::kInsnLimit);

    std::unique_ptr<TranslatedBlock> single;
    TranslatedBlock* tb;
    if (single_step) {
      single = m.Translate(s.rip, 1);
      if (!m.CompileHost(single.get())) {
        m.Flush();
        m.CompileHost(single.get());
      }
      tb = single.get();
      s.smc_single_step = 1;
    } else {
      tb = next && next->valid ? next : m.GetBlock(s.rip, nullptr);
    }
    next = nullptr;
    if (!tb) {  // system mode: the instruction fetch faulted
      if (!DeliverSystemException(m)) return finish(StopReason::kShutdown);
      continue;
    }
    if (m.config.log.exec) {
      fprintf(m.config.log.out, "Trace: guest 0x%" PRIx64 " [%u insns]\n", tb->guest_pc,
              tb->ir.guest_insns);
    }

    if (system) s.fault_addr = kNoFaultAddr;
    uint64_t remaining = limits.max_insns - executed;
    s.budget = static_cast<int64_t>(std::min<uint64_t>(remaining, 1ull << 62));
    int64_t budget_before = s.budget;
    m.budget_at_entry = budget_before;
    backend::BlockExit exit;
    if (compare) {
      if (!m.ExecuteCompared(tb, &exit, &result.divergence)) return finish(StopReason::kDivergence);
    } else {
      m.Execute(tb, m.config.engine, &exit);
    }
    s.smc_single_step = 0;
    single_step = false;
    const uint64_t ran = static_cast<uint64_t>(budget_before - s.budget - m.budget_stolen);
    m.budget_stolen = 0;
    m.budget_at_entry = s.budget;
    executed += ran;
    m.stats.insns_executed += ran;
    m.stats.dispatcher_returns++;

    if (trap_flag && exit.reason != static_cast<uint32_t>(ir::ExitReason::kException) &&
        exit.reason != static_cast<uint32_t>(ir::ExitReason::kSmcRestart)) {
      s.sys.dr[6] |= 1u << 14;  // BS
      if (!sys::DeliverEvent(m, ir::kDebug, sys::EventKind::kException, 0, s.rip))
        return finish(StopReason::kShutdown);
      next = nullptr;
      continue;
    }
    switch (static_cast<ir::ExitReason>(exit.reason)) {
      case ir::ExitReason::kLink: {
        TranslatedBlock* from = tb;
#if DOPPEL_HAVE_JIT
        if (m.config.engine == Engine::kJit)
          from = static_cast<TranslatedBlock*>(s.last_exit_block);
#endif
        if (single || !from->valid || exit.exit_index >= from->exits.size()) break;
        if (chaining || interp_links) {
          if (TranslatedBlock* to = from->exits[exit.exit_index].chained_to) {
            next = to;  // interpreter: follow the link without a lookup
          } else if (!(limits.stop_pc && s.rip == *limits.stop_pc)) {
            TranslatedBlock* succ = m.GetBlock(s.rip, nullptr);
            if (from->valid) m.ChainExit(from, exit.exit_index, succ);
            next = succ;
          }
        }
        break;
      }
      case ir::ExitReason::kIndirect:
        if (chaining && !(limits.stop_pc && s.rip == *limits.stop_pc)) {
          next = m.GetBlock(s.rip, nullptr);
          m.FillJumpCache(next);
        }
        break;
      case ir::ExitReason::kBudget: break;
      case ir::ExitReason::kDispatch: break;
      case ir::ExitReason::kSmcRestart: single_step = true; break;
      case ir::ExitReason::kHalt:
        if (!system) return finish(StopReason::kHalt);
        s.sys.halted = 1;
        break;
      case ir::ExitReason::kSyscall: return finish(StopReason::kSyscall);
      case ir::ExitReason::kException:
        if (system) {
          if (s.exception_vector == ir::kPageFault && s.fault_addr == kNoFaultAddr) {
            // The translator could not fetch the rest of an instruction: find the fault.
            uint64_t linear = (sys::Mode64(s) ? 0 : s.seg_base[CS]) + s.rip, paddr = 0;
            if (sys::FetchPhysical(m, linear, &paddr))
              sys::FetchPhysical(m, (linear | (softmmu::kPageSize - 1)) + 1, &paddr);
          }
          if (!DeliverSystemException(m)) return finish(StopReason::kShutdown);
          break;
        }
        result.vector = s.exception_vector;
        result.error_code = s.error_code;
        result.fault_addr = s.fault_addr;
        if (s.exception_vector == ir::kPageFault && s.fault_addr == 0 && s.error_code == 0x10) {
          result.fault_addr = s.rip;  // instruction fetch fault raised by the translator
          result.error_code = 0x14;
        }
        return finish(StopReason::kException);
      default:
        fprintf(stderr, "doppel: internal error: unexpected block exit %u\n", exit.reason);
        abort();
    }
  }
}

}  // namespace doppel
