// backend/x64/jit.cpp: the JIT driver: code-cache region, Enter trampoline and epilogue, block
// structure (budget check, op dispatch, exits and their stubs), chaining and disassembly.
#include "backend/x64/jit.h"

#include <Zydis/Zydis.h>
#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "backend/x64/codegen.h"

namespace doppel::x64 {

using ir::Opcode;

namespace {

// The trampoline and the epilogue live in their own page in front of the blocks, so Reset() can
// rewind the block area without regenerating them.
constexpr size_t kTrampolineBytes = 4096;
constexpr size_t kBlockAlign = 16;

size_t RoundUpPage(size_t n) { return (n + 4095) & ~size_t{4095}; }

// asmjit reports encoding errors through this handler; an error here is a JIT bug, so it is
// fatal rather than a silent nullopt that callers would take for "cache full".
class AbortOnError : public asmjit::ErrorHandler {
 public:
  void handleError(asmjit::Error err, const char* message, asmjit::BaseEmitter*) override {
    fprintf(stderr, "doppel x64 jit: asmjit error %u: %s\n", err, message);
    abort();
  }
};

void WriteRel32(uint8_t* jump, const uint8_t* target) {
  int32_t rel = static_cast<int32_t>(target - (jump + 5));
  // The rel32 field is 4-byte aligned (see EmitLinkSite), so this store is a single atomic write.
  __atomic_store_n(reinterpret_cast<int32_t*>(jump + 1), rel, __ATOMIC_RELEASE);
}

}  // namespace

struct Jit::Impl {
  backend::Helpers helpers;
  uint8_t* region = nullptr;
  size_t region_bytes = 0;
  uint8_t* blocks = nullptr;  // first byte of the block area
  size_t capacity = 0;
  size_t used = 0;
  uint32_t (*enter)(CpuState*, const uint8_t*) = nullptr;
  uint64_t epilogue = 0;
  uint64_t x87_enter = 0, x87_leave = 0;  // the stubs above (Codegen::X87Stubs)
  asmjit::Environment env = asmjit::Environment::host();
  asmjit::CodeHolder code;
  AbortOnError on_error;

  void BuildTrampoline();
};

void Jit::Impl::BuildTrampoline() {
  code.reset();
  code.init(env, reinterpret_cast<uint64_t>(region));
  code.setErrorHandler(&on_error);
  x86::Assembler a(&code);
  // Enter(state = rdi, entry = rsi).
  a.push(x86::rbx);
  a.push(x86::rbp);
  a.push(x86::r12);
  a.push(x86::r13);
  a.push(x86::r14);
  a.push(x86::r15);
  a.sub(x86::rsp, kFrameSize);
  a.mov(kState, x86::rdi);
  a.jmp(x86::rsi);
  // x87 enter/leave stubs for block bodies: call the helper with every register preserved
  // (pool registers, rax..r11 in use by the surrounding code, and xmm0..15, since C++ may use
  // them).
  auto x87_stub = [&](void (*fn)(CpuState*)) {
    a.align(asmjit::AlignMode::kCode, 16);
    asmjit::Label l = a.newLabel();
    a.bind(l);
    static const x86::Gp kSaved[] = {x86::rax, x86::rcx, x86::rdx, x86::rsi, x86::rdi,
                                     x86::r8,  x86::r9,  x86::r10, x86::r11};
    for (const x86::Gp& r : kSaved) a.push(r);  // 9 pushes after the call: rsp is 16-aligned
    a.sub(x86::rsp, 256);
    for (int i = 0; i < 16; ++i) a.movdqu(x86::dqword_ptr(x86::rsp, 16 * i), x86::xmm(i));
    a.mov(x86::rdi, kState);
    a.mov(x86::rax, reinterpret_cast<uint64_t>(fn));
    a.call(x86::rax);
    for (int i = 0; i < 16; ++i) a.movdqu(x86::xmm(i), x86::dqword_ptr(x86::rsp, 16 * i));
    a.add(x86::rsp, 256);
    for (int i = 8; i >= 0; --i) a.pop(kSaved[i]);
    a.ret();
    return l;
  };
  asmjit::Label x87_enter_stub = x87_stub(helpers.x87_enter);
  asmjit::Label x87_leave_stub = x87_stub(helpers.x87_leave);

  a.align(asmjit::AlignMode::kCode, 16);
  size_t epilogue_off = a.offset();
  // The guest x87 state may still be in the host FPU (blocks keep it there across chains).
  const size_t live = offsetof(CpuState, x87) + offsetof(X87State, live);
  a.mov(x86::dword_ptr(kState, static_cast<int32_t>(offsetof(CpuState, mxcsr_kept))), 0);
  asmjit::Label x87_done = a.newLabel();
  a.cmp(x86::byte_ptr(kState, static_cast<int32_t>(live)), 0);
  a.je(x87_done);
  a.call(x87_leave_stub);
  a.bind(x87_done);
  a.add(x86::rsp, kFrameSize);
  a.pop(x86::r15);
  a.pop(x86::r14);
  a.pop(x86::r13);
  a.pop(x86::r12);
  a.pop(x86::rbp);
  a.pop(x86::rbx);
  a.ret();
  code.flatten();
  code.resolveUnresolvedLinks();
  code.copyFlattenedData(region, kTrampolineBytes);
  enter = reinterpret_cast<uint32_t (*)(CpuState*, const uint8_t*)>(region);
  epilogue = reinterpret_cast<uint64_t>(region) + epilogue_off;
  x87_enter = reinterpret_cast<uint64_t>(region) + code.labelOffset(x87_enter_stub);
  x87_leave = reinterpret_cast<uint64_t>(region) + code.labelOffset(x87_leave_stub);
}

Jit::Jit(const backend::Helpers& helpers, size_t code_cache_bytes)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.helpers = helpers;
  m.capacity = code_cache_bytes;
  m.region_bytes = kTrampolineBytes + RoundUpPage(code_cache_bytes);
  void* p = mmap(nullptr, m.region_bytes, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("doppel x64 jit: mmap");
    abort();
  }
  m.region = static_cast<uint8_t*>(p);
  m.blocks = m.region + kTrampolineBytes;
  m.BuildTrampoline();
}

Jit::~Jit() {
  if (impl_ && impl_->region) munmap(impl_->region, impl_->region_bytes);
}

std::optional<CompiledBlock> Jit::Compile(const ir::Block& b, void* block_id,
                                          const CompileOptions& o) {
  Impl& m = *impl_;
  size_t start = (m.used + kBlockAlign - 1) & ~(kBlockAlign - 1);
  if (start >= m.capacity) return std::nullopt;
  uint8_t* dest = m.blocks + start;
  uint64_t base = reinterpret_cast<uint64_t>(dest);

  m.code.reset();
  m.code.init(m.env, base);
  m.code.setErrorHandler(&m.on_error);
  x86::Assembler a(&m.code);
  Codegen cg(a, m.helpers, base, m.epilogue, X87Stubs{m.x87_enter, m.x87_leave});
  if (!cg.Run(b, block_id, o)) return std::nullopt;
  m.code.flatten();
  m.code.resolveUnresolvedLinks();
  size_t size = m.code.codeSize();
  if (size > m.capacity - start) return std::nullopt;

  uint8_t* buf = m.code.textSection()->buffer().data();
  for (const Codegen::PendingLink& p : cg.pending_links()) {
    int32_t rel = static_cast<int32_t>(static_cast<int64_t>(m.code.labelOffset(p.stub)) -
                                       static_cast<int64_t>(p.jump + 5));
    memcpy(buf + p.jump + 1, &rel, 4);
  }
  m.code.copyFlattenedData(dest, m.capacity - start);

  CompiledBlock cb;
  cb.entry = dest;
  cb.size = size;
  for (const ExitOffsets& e : cg.exits()) {
    cb.exits.push_back(ExitSite{dest + e.jump, dest + e.stub, e.target_pc});
  }
  m.used = start + size;
  return cb;
}

uint32_t Jit::Enter(CpuState* s, const uint8_t* entry) { return impl_->enter(s, entry); }

void Jit::Chain(const ExitSite& site, const uint8_t* target) { WriteRel32(site.jump, target); }
void Jit::Unchain(const ExitSite& site) { WriteRel32(site.jump, site.stub); }

void Jit::Reset() { impl_->used = 0; }
size_t Jit::used() const { return impl_->used; }
size_t Jit::capacity() const { return impl_->capacity; }

std::string Jit::Disassemble(const uint8_t* code, size_t size) const {
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisFormatter fmt;
  ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
  std::string out;
  size_t off = 0;
  while (off < size) {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    uint64_t addr = reinterpret_cast<uint64_t>(code + off);
    char line[256];
    char text[192];
    if (ZYAN_FAILED(ZydisDecoderDecodeFull(&dec, code + off, size - off, &insn, ops))) {
      snprintf(line, sizeof line, "%016" PRIx64 "  db 0x%02x\n", addr, code[off]);
      out += line;
      ++off;
      continue;
    }
    ZydisFormatterFormatInstruction(&fmt, &insn, ops, insn.operand_count_visible, text, sizeof text,
                                    addr, nullptr);
    snprintf(line, sizeof line, "%016" PRIx64 "  %s\n", addr, text);
    out += line;
    off += insn.length;
  }
  return out;
}

// --- Codegen: block structure ---------------------------------------------------------------

void Codegen::JmpAbs(uint64_t target) {
  // Every block is in the same mapping as the epilogue, so rel32 always reaches.
  uint64_t end = base_ + a_.offset() + 5;
  a_.db(0xE9);
  a_.dd(static_cast<uint32_t>(static_cast<int32_t>(static_cast<int64_t>(target - end))));
}

void Codegen::ExitWith(uint32_t reason) {
  a_.mov(x86::eax, reason);
  JmpAbs(epilogue_);
}

bool Codegen::Run(const ir::Block& b, void* block_id, const CompileOptions& o) {
  b_ = &b;
  block_id_ = block_id;
  opts_ = o;
  ra_.Init(b);
  PlanAddresses();
  fault_ = a_.newLabel();

  // Budget check: the dispatcher regains control even in chained loops.
  asmjit::Label budget_out = a_.newLabel();
  a_.cmp(StateField(offsetof(CpuState, budget), 8), 0);
  a_.jle(budget_out);
  if (b.guest_insns <= 0x7fffffffu) {
    a_.sub(StateField(offsetof(CpuState, budget), 8), static_cast<int32_t>(b.guest_insns));
  } else {
    a_.mov(x86::rax, b.guest_insns);
    a_.sub(StateField(offsetof(CpuState, budget), 8), x86::rax);
  }

  // A Cond that is the last op and feeds only the conditional terminal becomes the terminal's
  // own flag test (the flags image stays where it is: nothing is allocated after it).
  fused_cond_ = ir::kNoValue;
  uint32_t last = static_cast<uint32_t>(b.insts.size());
  while (last > 0 && b.insts[last - 1].op == Opcode::kNop) --last;
  if (last > 0 && b.term.kind == ir::Terminal::Kind::kCondLink && b.term.value == last - 1 &&
      b.insts[last - 1].op == Opcode::kCond && ((b.insts[last - 1].imm >> 1) & 7) <= 5) {
    fused_cond_ = last - 1;
  }

  for (uint32_t i = 0; i < b.insts.size(); ++i) {
    const ir::Inst& in = b.insts[i];
    if (in.op == Opcode::kNop || i == fused_cond_ || folded_[i]) continue;
    dst_ = Loc{};
    if (in.type != ir::Type::kVoid) {
      RegAlloc::Eviction ev;
      dst_ = ra_.Define(i, i, &ev);
      if (ev.happened) a_.mov(Slot(ev.slot), x86::gpq(ev.reg));
    }
    if (!KeepsGuestMxcsr(in)) LeaveGuestMxcsr();
    if (TouchesX87State(in)) EmitX87Leave();
    if (!KeepsVecCache(in)) VecFlush(true);
    EmitInst(in);
    ra_.Release(i, in);
  }
  LeaveGuestMxcsr();
  VecFlush(false);
  EmitTerminal(b.term);

  // Out-of-line code: budget exit, slow paths, exit sites, stubs, the shared fault exit.
  a_.bind(budget_out);
  MovImm(x86::rax, b.guest_pc);
  a_.mov(StateField(offsetof(CpuState, rip), 8), x86::rax);
  ExitWith(static_cast<uint32_t>(ir::ExitReason::kBudget));
  for (size_t k = 0; k < deferred_.size(); ++k) deferred_[k]();  // may append more
  EmitStubs();
  if (fault_used_) {
    a_.bind(fault_);
    a_.mov(x86::eax, StateField(offsetof(CpuState, exit_reason), 4));
    JmpAbs(epilogue_);
  }
  return !ra_.overflow();
}

void Codegen::EmitInst(const ir::Inst& in) {
  switch (in.op) {
    case Opcode::kNop: break;
    case Opcode::kConst: EmitConst(in); break;
    case Opcode::kGetReg:
    case Opcode::kSetReg:
    case Opcode::kGetRegHi8:
    case Opcode::kSetRegHi8:
    case Opcode::kGetFlags:
    case Opcode::kSetFlags:
    case Opcode::kGetSegBase: EmitState(in); break;
    case Opcode::kCond: EmitCond(in); break;
    case Opcode::kAdd:
    case Opcode::kSub:
    case Opcode::kAnd:
    case Opcode::kOr:
    case Opcode::kXor:
    case Opcode::kMul: EmitBinary(in); break;
    case Opcode::kUMulHi:
    case Opcode::kSMulHi: EmitMulHi(in); break;
    case Opcode::kNot:
    case Opcode::kNeg:
    case Opcode::kBswap: EmitUnary(in); break;
    case Opcode::kShl:
    case Opcode::kShr:
    case Opcode::kSar: EmitShift(in); break;
    case Opcode::kRol:
    case Opcode::kRor: EmitRotate(in); break;
    case Opcode::kRcl:
    case Opcode::kRcr: EmitRotateCarry(in); break;
    case Opcode::kShld:
    case Opcode::kShrd: EmitDoubleShift(in); break;
    case Opcode::kUDiv:
    case Opcode::kURem:
    case Opcode::kSDiv:
    case Opcode::kSRem: EmitDiv(in); break;
    case Opcode::kPopcnt:
    case Opcode::kCtz:
    case Opcode::kClz: EmitBitCount(in); break;
    case Opcode::kPdep:
    case Opcode::kPext:
    case Opcode::kCrc32: EmitBitGather(in); break;
    case Opcode::kZExt:
    case Opcode::kSExt:
    case Opcode::kTrunc: EmitCast(in); break;
    case Opcode::kSelect: EmitSelect(in); break;
    case Opcode::kCmpEq:
    case Opcode::kCmpNe:
    case Opcode::kCmpULt:
    case Opcode::kCmpSLt: EmitCompare(in); break;
    case Opcode::kFlagsAdd:
    case Opcode::kFlagsSub:
    case Opcode::kFlagsAdc:
    case Opcode::kFlagsSbb:
    case Opcode::kFlagsLogic:
    case Opcode::kFlagsInc:
    case Opcode::kFlagsDec:
    case Opcode::kFlagsShl:
    case Opcode::kFlagsShr:
    case Opcode::kFlagsSar:
    case Opcode::kFlagsRol:
    case Opcode::kFlagsRor:
    case Opcode::kFlagsRcl:
    case Opcode::kFlagsRcr:
    case Opcode::kFlagsShld:
    case Opcode::kFlagsShrd:
    case Opcode::kFlagsUMul:
    case Opcode::kFlagsSMul: EmitFlags(in); break;
    case Opcode::kLoad: EmitLoad(in); break;
    case Opcode::kStore: EmitStore(in); break;
    case Opcode::kSideExit: {
      // Taken side exits leave through an out-of-line patchable site; the fall-through stays hot.
      // Exit numbers are fixed here (op order), independent of where the site is placed.
      asmjit::Label site = a_.newLabel();
      x86::Gp c = In(in.args[0], x86::rax);
      a_.test(c.r32(), c.r32());
      a_.jnz(site);
      uint32_t index = side_exits_++;
      exits_.push_back(ExitOffsets{0, 0, in.imm});
      deferred_.push_back([this, site, index, live = mxcsr_live_, vec = VecSnapshot()] {
        a_.bind(site);
        if (live) EmitLeaveGuestMxcsr();
        EmitVecWriteBack(vec);
        EmitLinkSite(index);
      });
      break;
    }
    case Opcode::kVLoad:
    case Opcode::kVStore:
    case Opcode::kVOp:
    case Opcode::kVFromGpr:
    case Opcode::kVFromGprOp:
    case Opcode::kVToGpr:
    case Opcode::kVFlags:
    case Opcode::kVStrCmp:
    case Opcode::kGetMxcsr:
    case Opcode::kSetMxcsr: EmitVector(in); break;
    case Opcode::kX87Op:
    case Opcode::kX87Load:
    case Opcode::kX87Store:
    case Opcode::kX87ToGpr: EmitX87(in); break;
    case Opcode::kCpuid: EmitCpuid(in); break;
    case Opcode::kSystem: EmitSystem(in); break;
    case Opcode::kRdtsc: EmitRdtsc(in); break;
    case Opcode::kCount: break;
  }
}

// A patchable exit: `E9 rel32` to its stub, rel32 aligned to 4 bytes so Chain/Unchain rewrite it
// with one atomic store. `index` is the backend::BlockExit number, already reserved in exits_.
void Codegen::EmitLinkSite(uint32_t index) {
  while ((a_.offset() + 1) % 4 != 0) a_.nop();
  StubRequest s{a_.newLabel(), exits_[index].target_pc, index};
  size_t jump = a_.offset();
  a_.db(0xE9);
  a_.dd(0);
  pending_.push_back(PendingLink{jump, s.label});
  stubs_.push_back(s);
  exits_[index].jump = jump;
}

void Codegen::EmitTerminal(const ir::Terminal& t) {
  using K = ir::Terminal::Kind;
  switch (t.kind) {
    case K::kLink: {
      uint32_t index = static_cast<uint32_t>(exits_.size());
      exits_.push_back(ExitOffsets{0, 0, t.pc});
      EmitLinkSite(index);
      break;
    }
    case K::kCondLink: {
      uint32_t index = static_cast<uint32_t>(exits_.size());
      exits_.push_back(ExitOffsets{0, 0, t.pc});
      exits_.push_back(ExitOffsets{0, 0, t.pc_false});
      asmjit::Label not_taken = a_.newLabel();
      if (fused_cond_ != ir::kNoValue) {
        // Codes O B Z BE S P: a test of their flag bits (see EmitCond).
        static constexpr uint32_t kBits[] = {ir::kOF,           ir::kCF, ir::kZF,
                                             ir::kCF | ir::kZF, ir::kSF, ir::kPF};
        const ir::Inst& cond = b_->insts[fused_cond_];
        x86::Gp f = In(cond.args[0], x86::rax);
        a_.test(f.r32(), kBits[(cond.imm >> 1) & 7]);
        if (cond.imm & 1) {
          a_.jnz(not_taken);
        } else {
          a_.jz(not_taken);
        }
      } else {
        x86::Gp c = In(t.value, x86::rax);
        a_.test(c.r32(), c.r32());
        a_.jz(not_taken);
      }
      EmitLinkSite(index);
      a_.bind(not_taken);
      EmitLinkSite(index + 1);
      break;
    }
    case K::kIndirect: {
      x86::Gp v = In(t.value, x86::rax);
      a_.mov(StateField(offsetof(CpuState, rip), 8), v);
      if (opts_.inline_jump_cache) {
        // entry = &jump_cache[(pc ^ pc >> bits) & (size - 1)]; hit when entry.pc == pc and the
        // block's host entry (the first field of the block object) is non-null.
        asmjit::Label miss = a_.newLabel();
        if (v.id() != x86::Gp::kIdAx) a_.mov(x86::rax, v);
        a_.mov(x86::rcx, x86::rax);
        a_.shr(x86::rcx, kJumpCacheBits);
        a_.xor_(x86::rcx, x86::rax);
        a_.and_(x86::ecx, kJumpCacheSize - 1);
        a_.shl(x86::ecx, 4);
        static_assert(sizeof(JumpCacheEntry) == 16);
        a_.lea(x86::rcx, x86::ptr(kState, x86::rcx, 0, offsetof(CpuState, jump_cache)));
        a_.cmp(x86::rax, x86::qword_ptr(x86::rcx, offsetof(JumpCacheEntry, pc)));
        a_.jne(miss);
        a_.mov(x86::rcx, x86::qword_ptr(x86::rcx, offsetof(JumpCacheEntry, block)));
        a_.test(x86::rcx, x86::rcx);
        a_.jz(miss);
        a_.mov(x86::rcx, x86::qword_ptr(x86::rcx));
        a_.test(x86::rcx, x86::rcx);
        a_.jz(miss);
        a_.jmp(x86::rcx);
        a_.bind(miss);
      }
      ExitWith(static_cast<uint32_t>(ir::ExitReason::kIndirect));
      break;
    }
    case K::kExit: {
      if (t.value != ir::kNoValue) {
        a_.mov(StateField(offsetof(CpuState, rip), 8), In(t.value, x86::rax));
      } else {
        MovImm(x86::rax, t.pc);
        a_.mov(StateField(offsetof(CpuState, rip), 8), x86::rax);
      }
      if (t.reason == ir::ExitReason::kException) {
        a_.mov(StateField(offsetof(CpuState, exception_vector), 4), t.vector);
        a_.mov(StateField(offsetof(CpuState, error_code), 4), t.error_code);
      }
      a_.mov(StateField(offsetof(CpuState, exit_reason), 4), static_cast<uint32_t>(t.reason));
      ExitWith(static_cast<uint32_t>(t.reason));
      break;
    }
    case K::kNone: ExitWith(0); break;
  }
}

void Codegen::EmitStubs() {
  for (const StubRequest& s : stubs_) {
    a_.align(asmjit::AlignMode::kCode, 4);
    a_.bind(s.label);
    exits_[s.index].stub = a_.offset();
    MovImm(x86::rax, s.target_pc);
    a_.mov(StateField(offsetof(CpuState, rip), 8), x86::rax);
    a_.mov(x86::rax, reinterpret_cast<uint64_t>(block_id_));
    a_.mov(StateField(offsetof(CpuState, last_exit_block), 8), x86::rax);
    a_.mov(StateField(offsetof(CpuState, last_exit_index), 4), s.index);
    ExitWith(static_cast<uint32_t>(ir::ExitReason::kLink));
  }
}

}  // namespace doppel::x64
