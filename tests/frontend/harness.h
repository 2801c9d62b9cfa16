// tests/frontend/harness.h: runs a guest snippet natively on the host and through the frontend
// and the IR interpreter, so translator tests compare doppel with the host CPU (the oracle).
// Guest addresses are host addresses: code, data and stack live in one RWX mapping below 2 GiB
// (so 32-bit address-size forms work natively too).
#pragma once
#include <asmjit/x86.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/interp/interp.h"
#include "backend/interp/semantics.h"
#include "frontend/x86/translate.h"
#include "ir/ir.h"

namespace doppel::test {

using AsmFn = std::function<void(asmjit::x86::Assembler&)>;

struct RunState {
  uint64_t gpr[16] = {};
  uint64_t rflags = 0x202;  // IF: user code cannot clear it natively
  std::vector<uint8_t> data;
  std::vector<uint8_t> stack;
  bool exception = false;
  uint32_t vector = 0;
  uint64_t rip = 0;
};

class Harness {
 public:
  static constexpr size_t kRegion = 0x10000;
  static constexpr size_t kCodeMax = 0x3000;
  static constexpr size_t kDataOff = 0x4000, kDataSize = 0x2000;
  static constexpr size_t kStackOff = 0x8000, kStackSize = 0x4000;

  Harness() {
    void* p = mmap(nullptr, kRegion, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    region_ = static_cast<uint8_t*>(p);
    data_init.assign(kDataSize, 0);
    for (size_t i = 0; i < kDataSize; ++i) data_init[i] = static_cast<uint8_t>(i * 37 + 11);
    init.gpr[4] = stack_top();
  }
  ~Harness() { munmap(region_, kRegion); }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  uint64_t data_addr() const { return reinterpret_cast<uint64_t>(region_ + kDataOff); }
  uint64_t stack_top() const {
    return reinterpret_cast<uint64_t>(region_ + kStackOff + kStackSize - 0x800);
  }
  uint64_t code_addr() const { return reinterpret_cast<uint64_t>(region_) + snippet_off_; }
  uint64_t code_end() const { return code_addr() + snippet_len_; }

  // Assembles the snippet and the native wrapper around it (prologue, snippet, epilogue, frame).
  void Assemble(const AsmFn& fn) {
    using namespace asmjit;
    using namespace asmjit::x86;
    const uint64_t base = reinterpret_cast<uint64_t>(region_);
    CodeHolder code;
    code.init(Environment::host(), base);
    Assembler a(&code);
    Label frame = a.newLabel();
    Label start = a.newLabel();
    Label end = a.newLabel();
    const Gp regs[16] = {rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi,
                         r8,  r9,  r10, r11, r12, r13, r14, r15};
    auto slot = [&](int i) {
      return qword_ptr(frame, i * 8);
    };  // 0..15 gpr, 16 rflags, 17 host rsp
    for (const Gp& r : {rbx, rbp, r12, r13, r14, r15}) a.push(r);
    a.mov(slot(17), rsp);
    a.push(slot(16));
    a.popfq();
    for (int i = 15; i >= 0; --i) a.mov(regs[i], slot(i));
    a.bind(start);
    fn(a);
    a.bind(end);
    for (int i = 0; i < 16; ++i) a.mov(slot(i), regs[i]);
    a.mov(rsp, slot(17));
    a.pushfq();
    a.pop(slot(16));
    a.cld();
    for (const Gp& r : {r15, r14, r13, r12, rbp, rbx}) a.pop(r);
    a.ret();
    a.align(AlignMode::kData, 16);
    a.bind(frame);
    for (int i = 0; i < 18; ++i) a.dq(0);
    code.flatten();
    code.resolveUnresolvedLinks();
    code.relocateToBase(base);
    ASSERT_LE(code.codeSize(), kCodeMax);
    code.copyFlattenedData(region_, kCodeMax);
    snippet_off_ = code.labelOffsetFromBase(start);
    snippet_len_ = code.labelOffsetFromBase(end) - snippet_off_;
    frame_off_ = code.labelOffsetFromBase(frame);
  }

  RunState RunNative() {
    Reset();
    uint64_t* f = reinterpret_cast<uint64_t*>(region_ + frame_off_);
    memcpy(f, init.gpr, sizeof init.gpr);
    f[16] = init.rflags;
    reinterpret_cast<void (*)()>(region_)();
    RunState out;
    memcpy(out.gpr, f, sizeof out.gpr);
    out.rflags = f[16];
    Capture(out);
    out.rip = code_end();
    return out;
  }

  RunState RunDoppel() {
    Reset();
    auto s = std::make_unique<CpuState>();
    memcpy(s->gpr, init.gpr, sizeof init.gpr);
    s->rflags = init.rflags;
    s->rip = code_addr();
    s->budget = 1 << 30;
    current_ = this;
    backend::Helpers h{&Load, &Store, &Div, &Cpuid, &Rdtsc};
    RunState out;
    Reader reader(this);
    for (int blocks = 0; blocks < 100000 && s->rip != code_end(); ++blocks) {
      ir::Block b;
      frontend::TranslateOptions opts;
      opts.stop_before = code_end();
      frontend::TranslateBlock(s->rip, frontend::kMode64, reader, opts, b);
      std::string err = ir::Verify(b);
      EXPECT_EQ(err, "") << ir::Print(b);
      if (!err.empty()) break;
      if (print_ir) fprintf(stderr, "%s\n", ir::Print(b).c_str());
      s->exit_reason = 0;
      backend::BlockExit e = interp::Run(b, *s, h);
      auto reason = static_cast<ir::ExitReason>(e.reason);
      if (reason == ir::ExitReason::kLink || reason == ir::ExitReason::kIndirect) continue;
      out.exception = reason == ir::ExitReason::kException;
      out.vector = s->exception_vector;
      break;
    }
    memcpy(out.gpr, s->gpr, sizeof out.gpr);
    out.rflags = s->rflags;
    out.rip = s->rip;
    Capture(out);
    return out;
  }

  // Runs both ways and compares registers, the flags in `flag_mask`, data and stack memory.
  void ExpectSame(const AsmFn& fn, uint64_t flag_mask = ir::kArithFlags | ir::kDF,
                  const std::string& what = "") {
    Assemble(fn);
    RunState native = RunNative();
    RunState emu = RunDoppel();
    EXPECT_FALSE(emu.exception) << what << " vector " << emu.vector;
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(emu.gpr[i], native.gpr[i]) << what << ": gpr " << i;
    }
    EXPECT_EQ(emu.rflags & flag_mask, native.rflags & flag_mask)
        << what << std::hex << ": rflags native 0x" << native.rflags << " doppel 0x" << emu.rflags;
    EXPECT_TRUE(emu.data == native.data) << what << ": data memory differs";
    EXPECT_TRUE(emu.stack == native.stack) << what << ": stack memory differs";
    EXPECT_EQ(emu.rip, native.rip) << what;
  }

  RunState init;
  std::vector<uint8_t> data_init;
  bool print_ir = false;

 private:
  struct Reader : frontend::CodeReader {
    explicit Reader(Harness* h) : h(h) {}
    size_t Fetch(uint64_t pc, uint8_t* buf, size_t n) override {
      uint64_t lo = reinterpret_cast<uint64_t>(h->region_), hi = lo + kCodeMax;
      if (pc < lo || pc >= hi) return 0;
      size_t got = std::min<uint64_t>(n, hi - pc);
      memcpy(buf, reinterpret_cast<void*>(pc), got);
      return got;
    }
    Harness* h;
  };

  void Reset() {
    memcpy(region_ + kDataOff, data_init.data(), kDataSize);
    for (size_t i = 0; i < kStackSize; ++i)
      region_[kStackOff + i] = static_cast<uint8_t>(i * 13 + 5);
  }
  void Capture(RunState& out) {
    out.data.assign(region_ + kDataOff, region_ + kDataOff + kDataSize);
    out.stack.assign(region_ + kStackOff, region_ + kStackOff + kStackSize);
  }
  // Data and stack are accessible; code is readable only.
  bool Accessible(uint64_t addr, uint32_t size, bool write) const {
    uint64_t lo = reinterpret_cast<uint64_t>(region_);
    auto in = [&](size_t off, size_t len) {
      return addr >= lo + off && addr + size <= lo + off + len;
    };
    return in(kDataOff, kDataSize) || in(kStackOff, kStackSize) || (!write && in(0, kCodeMax));
  }
  static void Fault(CpuState* s, uint64_t addr, uint64_t pc) {
    s->exit_reason = static_cast<uint32_t>(ir::ExitReason::kException);
    s->exception_vector = ir::kPageFault;
    s->fault_addr = addr;
    s->rip = pc;
  }
  static uint64_t Load(CpuState* s, uint64_t addr, uint32_t size, uint64_t pc) {
    if (!current_->Accessible(addr, size, false)) {
      Fault(s, addr, pc);
      return 0;
    }
    uint64_t v = 0;
    memcpy(&v, reinterpret_cast<void*>(addr), size);
    return v;
  }
  static void Store(CpuState* s, uint64_t addr, uint64_t v, uint32_t size, uint64_t pc) {
    if (!current_->Accessible(addr, size, true)) {
      Fault(s, addr, pc);
      return;
    }
    memcpy(reinterpret_cast<void*>(addr), &v, size);
  }
  static uint64_t Div(CpuState* s, uint32_t kind_and_bits, uint64_t hi, uint64_t lo, uint64_t d,
                      uint64_t pc) {
    uint64_t out = 0;
    auto kind = static_cast<backend::DivKind>(kind_and_bits >> 8);
    if (!interp::Divide(kind, kind_and_bits & 0xff, hi, lo, d, &out)) {
      s->exit_reason = static_cast<uint32_t>(ir::ExitReason::kException);
      s->exception_vector = ir::kDivideError;
      s->rip = pc;
    }
    return out;
  }
  static void Cpuid(CpuState* s) {
    uint32_t a = s->gpr[0], b, c = s->gpr[1], d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    s->gpr[0] = a;
    s->gpr[3] = b;
    s->gpr[1] = c;
    s->gpr[2] = d;
  }
  static uint64_t Rdtsc(CpuState*) { return __builtin_ia32_rdtsc(); }

  static inline Harness* current_ = nullptr;
  uint8_t* region_ = nullptr;
  size_t snippet_off_ = 0, snippet_len_ = 0, frame_off_ = 0;
};

// Values that exercise carries, signs and widths.
inline const std::vector<uint64_t>& InterestingValues() {
  static const std::vector<uint64_t> v = {0,
                                          1,
                                          2,
                                          0x7f,
                                          0x80,
                                          0xff,
                                          0x7fff,
                                          0x8000,
                                          0xffff,
                                          0x7fffffff,
                                          0x80000000,
                                          0xffffffff,
                                          0x100000000ull,
                                          0x7fffffffffffffffull,
                                          0x8000000000000000ull,
                                          0xffffffffffffffffull,
                                          0x123456789abcdef0ull,
                                          0xfedcba9876543210ull,
                                          0x00000000deadbeefull,
                                          0x8000000080008081ull};
  return v;
}

}  // namespace doppel::test
