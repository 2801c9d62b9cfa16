// tests/diff/mode16_test.cpp: 16-bit code against known vectors worked out from the Intel SDM
// (the host cannot run 16-bit code natively): real-mode ALU, shifts, multiply/divide and #DE,
// 16-bit addressing with its wrap-around, segment overrides and loads, 66/67 prefixes, stack,
// calls, loops, strings and BCD, on each engine of a system-mode machine.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "runtime/machine.h"
#include "runtime/platform.h"
#include "runtime/system_cpu.h"
#include "softmmu/physical_memory.h"
#include "tests/support/engines.h"
#include "tests/support/nasm.h"

namespace doppel::test {
namespace {

// Real-mode layout: code at 0000:7C00, DS = 0200 (base 0x2000), SS = 0300 (base 0x3000, SP =
// 0x100), ES = 0400 (base 0x4000). The #DE, #SS and #GP vectors point at handlers that set SI
// to 0xDE, 0x0C and 0x0D and halt.
constexpr uint64_t kCode = 0x7c00, kDs = 0x2000, kSs = 0x3000, kEs = 0x4000;
constexpr uint32_t CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
constexpr uint32_t kStatus = CF | PF | AF | ZF | SF | OF;
enum Reg { AX, CX, DX, BX, SP, BP, SI, DI };

class NullPlatform : public Platform {
 public:
  uint32_t PortIn(uint16_t, unsigned) override { return 0xffffffff; }
  void PortOut(uint16_t, unsigned, uint32_t) override {}
  bool InterruptPending() override { return false; }
  uint8_t AcknowledgeInterrupt() override { return 0; }
  bool ReadMsr(uint32_t, uint64_t*) override { return false; }
  bool WriteMsr(uint32_t, uint64_t) override { return false; }
  uint64_t ReadCr8() override { return 0; }
  void WriteCr8(uint64_t) override {}
  uint64_t Tsc() override { return 0; }
  bool StopRequested() override { return false; }
};

struct Vector {
  std::string name;
  std::string code;                        // nasm, bits 16; a final hlt is appended
  std::map<Reg, uint32_t> in;              // registers (32-bit values where the code uses 66)
  uint32_t flags_in = 0;                   // status flags before
  std::map<uint32_t, uint16_t> mem_in;     // words at linear addresses
  std::map<Reg, uint32_t> out;             // expected registers (others: unchecked)
  uint32_t flags_mask = 0, flags_out = 0;  // expected status flags under the mask
  std::map<uint32_t, uint16_t> mem_out;    // expected words
};

std::vector<Vector> Vectors() {
  return {
      // --- ALU: results and flags per the SDM's flag definitions ---
      {"add overflow",
       "add ax, bx",
       {{AX, 0x7fff}, {BX, 1}},
       0,
       {},
       {{AX, 0x8000}},
       kStatus,
       OF | SF | AF | PF},  // low byte 0x00: even parity
      {"add carry to zero",
       "add ax, bx",
       {{AX, 0xffff}, {BX, 1}},
       0,
       {},
       {{AX, 0}},
       kStatus,
       CF | PF | AF | ZF},
      {"adc with carry",
       "adc ax, bx",
       {{AX, 0x1234}, {BX, 0x0fff}},
       CF,
       {},
       {{AX, 0x2234}},
       kStatus,
       AF},  // 0x34: odd parity
      {"sub overflow",
       "sub ax, bx",
       {{AX, 0x8000}, {BX, 1}},
       0,
       {},
       {{AX, 0x7fff}},
       kStatus,
       OF | AF | PF},
      {"sbb borrow",
       "sbb ax, bx",
       {{AX, 0}, {BX, 0}},
       CF,
       {},
       {{AX, 0xffff}},
       kStatus,
       CF | PF | AF | SF},
      {"cmp below", "cmp ax, bx", {{AX, 5}, {BX, 7}}, 0, {}, {{AX, 5}}, kStatus, CF | AF | SF},
      {"neg min", "neg ax", {{AX, 0x8000}}, 0, {}, {{AX, 0x8000}}, kStatus, CF | PF | SF | OF},
      {"inc keeps CF", "inc ax", {{AX, 0xffff}}, CF, {}, {{AX, 0}}, kStatus, CF | PF | AF | ZF},
      {"dec overflow", "dec ax", {{AX, 0x8000}}, 0, {}, {{AX, 0x7fff}}, kStatus, OF | AF | PF},
      {"and",
       "and ax, bx",
       {{AX, 0xf0f0}, {BX, 0x8f0f}},
       CF | OF,
       {},
       {{AX, 0x8000}},
       kStatus & ~AF,
       SF | PF},
      {"xor self", "xor ax, ax", {{AX, 0x1234}}, CF | SF, {}, {{AX, 0}}, kStatus & ~AF, ZF | PF},
      {"test",
       "test ax, bx",
       {{AX, 0x0180}, {BX, 0x0080}},
       0,
       {},
       {{AX, 0x0180}},
       kStatus & ~AF,
       0},
      {"or imm", "or ax, 0x8001", {{AX, 0}}, 0, {}, {{AX, 0x8001}}, kStatus & ~AF, SF},
      // --- shifts and rotates: counts masked to 5 bits; RCL/RCR then modulo 17 ---
      {"shl 1", "shl ax, 1", {{AX, 0x8001}}, 0, {}, {{AX, 0x0002}}, kStatus & ~AF, CF | OF},
      {"shr cl",
       "shr ax, cl",
       {{AX, 0x1234}, {CX, 4}},
       CF,
       {},
       {{AX, 0x0123}},
       CF | ZF | SF | PF,
       0},
      {"sar past width",
       "sar ax, cl",
       {{AX, 0x8000}, {CX, 20}},
       0,
       {},
       {{AX, 0xffff}},
       ZF | SF | PF,
       SF | PF},
      {"rcl 17 is no-op", "rcl ax, cl", {{AX, 0x1234}, {CX, 17}}, CF, {}, {{AX, 0x1234}}, CF, CF},
      {"rcl 18 is 1", "rcl ax, cl", {{AX, 0x8000}, {CX, 18}}, 0, {}, {{AX, 0x0000}}, CF, CF},
      {"rcr 33 is 1",
       "rcr ax, cl",
       {{AX, 0x0001}, {CX, 33}},
       CF,
       {},
       {{AX, 0x8000}},
       CF | OF,
       CF | OF},
      {"rol 4", "rol bx, 4", {{BX, 0x1234}}, 0, {}, {{BX, 0x2341}}, CF, CF},
      {"ror 1", "ror bx, 1", {{BX, 0x0001}}, 0, {}, {{BX, 0x8000}}, CF | OF, CF | OF},
      // --- multiply and divide ---
      {"mul",
       "mul bx",
       {{AX, 0x1234}, {BX, 0x0100}},
       0,
       {},
       {{AX, 0x3400}, {DX, 0x0012}},
       CF | OF,
       CF | OF},
      {"imul fits",
       "imul bx",
       {{AX, 0xffff}, {BX, 2}},
       CF | OF,
       {},
       {{AX, 0xfffe}, {DX, 0xffff}},
       CF | OF,
       0},
      {"imul3 overflow", "imul ax, bx, 3", {{BX, 0x4000}}, 0, {}, {{AX, 0xc000}}, CF | OF, CF | OF},
      {"div", "div bx", {{DX, 1}, {AX, 0}, {BX, 0x10}}, 0, {}, {{AX, 0x1000}, {DX, 0}}, 0, 0},
      {"idiv negative",
       "idiv bx",
       {{DX, 0xffff}, {AX, 0xfff9}, {BX, 2}},
       0,
       {},
       {{AX, 0xfffd}, {DX, 0xffff}},
       0,
       0},
      // #DE through the IVT: FLAGS, CS, IP of the divide itself on the stack.
      {"div by zero",
       "div bx",
       {{DX, 0}, {AX, 5}, {BX, 0}},
       0,
       {},
       {{SI, 0xde}, {SP, 0xfa}, {AX, 5}},
       0,
       0,
       {{kSs + 0xfa, kCode}, {kSs + 0xfc, 0}}},
      {"div8 overflow", "div bl", {{AX, 0x0400}, {BX, 2}}, 0, {}, {{SI, 0xde}, {AX, 0x0400}}, 0, 0},
      // --- 16-bit addressing: default segments, wrap at 64 KiB, overrides, 67 ---
      {"[bx+si]",
       "mov ax, [bx+si]",
       {{BX, 0x10}, {SI, 0x20}},
       0,
       {{kDs + 0x30, 0xbeef}},
       {{AX, 0xbeef}}},
      {"[bp+di+d8] uses SS",
       "mov ax, [bp+di+0x10]",
       {{BP, 0x40}, {DI, 2}},
       0,
       {{kSs + 0x52, 0xcafe}, {kDs + 0x52, 0x1111}},
       {{AX, 0xcafe}}},
      {"[bp] is [bp+0]", "mov ax, [bp]", {{BP, 0x60}}, 0, {{kSs + 0x60, 0x600d}}, {{AX, 0x600d}}},
      {"offset wraps",
       "mov ax, [bx+0xfff0]",
       {{BX, 0x20}},
       0,
       {{kDs + 0x10, 0x0ddf}},
       {{AX, 0x0ddf}}},
      {"es override", "mov ax, [es:di]", {{DI, 4}}, 0, {{kEs + 4, 0x4444}}, {{AX, 0x4444}}},
      {"ds override on bp",
       "mov ax, [ds:bp+2]",
       {{BP, 0x70}},
       0,
       {{kDs + 0x72, 0xd5d5}, {kSs + 0x72, 0x5555}},
       {{AX, 0xd5d5}}},
      {"67: 32-bit addressing",
       "mov ax, [ebx+ecx*4]",
       {{BX, 0x100}, {CX, 2}},
       0,
       {{kDs + 0x108, 0x6767}},
       {{AX, 0x6767}}},
      {"66: 32-bit operand",
       "mov eax, [bx]\nadd eax, ebx",
       {{BX, 0x10}},
       0,
       {{kDs + 0x10, 0xfff0}, {kDs + 0x12, 0xffff}},
       {{AX, 0x00000000}},
       CF | ZF,
       CF | ZF},
      {"store word",
       "mov [bx+di], ax",
       {{AX, 0xa55a}, {BX, 0x100}, {DI, 0x10}},
       0,
       {},
       {},
       0,
       0,
       {{kDs + 0x110, 0xa55a}}},
      {"lea wraps", "lea ax, [bx+si+0x10]", {{BX, 0xfff0}, {SI, 0x20}}, 0, {}, {{AX, 0x0020}}},
      // --- stack ---
      {"push pop",
       "push ax\npop bx",
       {{AX, 0x1357}},
       0,
       {},
       {{BX, 0x1357}, {SP, 0x100}},
       0,
       0,
       {{kSs + 0xfe, 0x1357}}},
      {"push imm", "push word 0x1234", {}, 0, {}, {{SP, 0xfe}}, 0, 0, {{kSs + 0xfe, 0x1234}}},
      {"sp wraps",
       "mov sp, 0\npush ax",
       {{AX, 0x7777}},
       0,
       {},
       {{SP, 0xfffe}},
       0,
       0,
       {{kSs + 0xfffe, 0x7777}}},
      {"pusha",
       "pusha",
       {{AX, 1}, {CX, 2}, {DX, 3}, {BX, 4}, {BP, 6}, {SI, 7}, {DI, 8}},
       0,
       {},
       {{SP, 0xf0}},
       0,
       0,
       {{kSs + 0xfe, 1},
        {kSs + 0xfc, 2},
        {kSs + 0xfa, 3},
        {kSs + 0xf8, 4},
        {kSs + 0xf6, 0x100},
        {kSs + 0xf4, 6},
        {kSs + 0xf2, 7},
        {kSs + 0xf0, 8}}},
      {"popa skips sp",
       "popa",
       {{SP, 0xf0}},
       0,
       {{kSs + 0xfe, 1},
        {kSs + 0xfc, 2},
        {kSs + 0xfa, 3},
        {kSs + 0xf8, 4},
        {kSs + 0xf6, 0x999},
        {kSs + 0xf4, 6},
        {kSs + 0xf2, 7},
        {kSs + 0xf0, 8}},
       {{AX, 1}, {CX, 2}, {DX, 3}, {BX, 4}, {SP, 0x100}, {BP, 6}, {SI, 7}, {DI, 8}}},
      {"pushf",
       "pushf",
       {},
       CF | ZF | OF,
       {},
       {{SP, 0xfe}},
       0,
       0,
       {{kSs + 0xfe, CF | ZF | OF | 0x2}}},
      {"popf", "popf", {{SP, 0xfe}}, 0, {{kSs + 0xfe, 0x08d5}}, {{SP, 0x100}}, kStatus, kStatus},
      {"enter",
       "enter 4, 0",
       {{BP, 0x1234}},
       0,
       {},
       {{BP, 0xfe}, {SP, 0xfa}},
       0,
       0,
       {{kSs + 0xfe, 0x1234}}},
      {"leave",
       "leave",
       {{BP, 0xf0}, {SP, 0x80}},
       0,
       {{kSs + 0xf0, 0x4321}},
       {{BP, 0x4321}, {SP, 0xf2}}},
      // --- control transfer ---
      {"call pushes ip", "call l\nl: pop ax", {}, 0, {}, {{AX, kCode + 3}, {SP, 0x100}}},
      {"ret imm",
       "push word 1\npush word 2\ncall f\njmp done\nf: ret 4\ndone:",
       {},
       0,
       {},
       {{SP, 0x100}}},
      {"far call retf",
       "call 0:f\njmp done\nf: mov bp, sp\nmov ax, [bp+2]\nmov bx, [bp]\nretf\ndone:",
       {{AX, 0x55}},
       0,
       {},
       {{AX, 0}, {BX, kCode + 5}, {SP, 0x100}}},
      {"loop", "xor ax, ax\nl: inc ax\nloop l", {{CX, 3}}, 0, {}, {{AX, 3}, {CX, 0}}},
      {"jcxz taken", "jcxz l\nmov ax, 1\nl:", {{AX, 7}, {CX, 0}}, 0, {}, {{AX, 7}}},
      {"loop with 67 uses ecx",
       "xor ax, ax\nl: inc ax\na32 loop l",
       {{CX, 2}},
       0,
       {},
       {{AX, 2}, {CX, 0}}},
      // --- strings: DS:SI to ES:DI, DF ---
      {"rep movsb",
       "rep movsb",
       {{CX, 4}, {SI, 0}, {DI, 0}},
       0,
       {{kDs + 0, 0x4241}, {kDs + 2, 0x4443}},
       {{CX, 0}, {SI, 4}, {DI, 4}},
       0,
       0,
       {{kEs + 0, 0x4241}, {kEs + 2, 0x4443}}},
      {"std rep stosw",
       "std\nrep stosw",
       {{CX, 2}, {AX, 0x5a5a}, {DI, 0x10}},
       0,
       {},
       {{CX, 0}, {DI, 0x0c}},
       0,
       0,
       {{kEs + 0x10, 0x5a5a}, {kEs + 0x0e, 0x5a5a}}},
      {"repe cmpsb",
       "repe cmpsb",
       {{CX, 5}, {SI, 0x40}, {DI, 0x40}},
       0,
       {{kDs + 0x40, 0x4241}, {kDs + 0x42, 0x4443}, {kEs + 0x40, 0x4241}, {kEs + 0x42, 0x4458}},
       {{CX, 2}, {SI, 0x43}, {DI, 0x43}},
       ZF | CF,
       CF},
      {"lodsw", "lodsw", {{SI, 0x20}}, 0, {{kDs + 0x20, 0x1d1d}}, {{AX, 0x1d1d}, {SI, 0x22}}},
      // --- conversions, moves ---
      {"xchg", "xchg ax, bx", {{AX, 1}, {BX, 2}}, 0, {}, {{AX, 2}, {BX, 1}}},
      {"cbw", "cbw", {{AX, 0x1280}}, 0, {}, {{AX, 0xff80}}},
      {"cwd", "cwd", {{AX, 0x8000}, {DX, 0}}, 0, {}, {{DX, 0xffff}}},
      {"cwde", "cwde", {{AX, 0x8000}}, 0, {}, {{AX, 0xffff8000}}},
      {"movzx movsx",
       "movzx ax, bl\nmovsx cx, bl",
       {{BX, 0xf0}},
       0,
       {},
       {{AX, 0x00f0}, {CX, 0xfff0}}},
      // --- BCD (the 386+ forms: AAA/AAS adjust AX) ---
      {"daa", "add al, bl\ndaa", {{AX, 0x79}, {BX, 0x35}}, 0, {}, {{AX, 0x14}}, CF, CF},
      {"das", "sub al, bl\ndas", {{AX, 0x35}, {BX, 0x47}}, 0, {}, {{AX, 0x88}}, CF, CF},
      {"aaa", "aaa", {{AX, 0x000f}}, 0, {}, {{AX, 0x0105}}, CF | AF, CF | AF},
      {"aas", "sub al, bl\naas", {{AX, 0x0102}, {BX, 5}}, 0, {}, {{AX, 0x0007}}, CF | AF, CF | AF},
      {"aam", "aam", {{AX, 0x003f}}, 0, {}, {{AX, 0x0603}}, ZF | SF | PF, PF},
      {"aad", "aad", {{AX, 0x0603}}, 0, {}, {{AX, 0x003f}}, ZF | SF | PF, PF},
      // --- real-mode segment loads: base = selector * 16 ---
      {"mov ds",
       "mov ax, 0x0500\nmov ds, ax\nmov bx, [0x10]",
       {},
       0,
       {{0x5010, 0x5e5e}},
       {{BX, 0x5e5e}}},
      {"push es pop ds",
       "push es\npop ds\nmov ax, [0]",
       {},
       0,
       {{kEs, 0x0e0e}, {kDs, 0x0d0d}},
       {{AX, 0x0e0e}}},
      {"les",
       "les bx, [0x40]\nmov ax, [es:bx]",
       {},
       0,
       {{kDs + 0x40, 0x0008}, {kDs + 0x42, 0x0600}, {0x6008, 0x1e5e}},
       {{BX, 8}, {AX, 0x1e5e}}},
      // --- real-mode limits (64 KiB): an access that crosses offset 0xFFFF faults ---
      {"word at 0xffff is #GP",
       "mov ax, [0xffff]",
       {{AX, 0x1234}},
       0,
       {},
       {{SI, 0x0d}, {AX, 0x1234}, {SP, 0xfa}},
       0,
       0,
       {{kSs + 0xfa, kCode}}},
      {"byte at 0xffff is fine", "mov al, [0xffff]", {}, 0, {{kDs + 0xfffe, 0x9900}}, {{AX, 0x99}}},
      {"ss: word at 0xffff is #SS", "mov ax, [bp]", {{BP, 0xffff}}, 0, {}, {{SI, 0x0c}}},
      {"67: offset above 0xffff is #GP", "mov ax, [ebx]", {{BX, 0x10000}}, 0, {}, {{SI, 0x0d}}},
  };
}

class DiffMode16 : public testing::TestWithParam<Engine> {};

TEST_P(DiffMode16, KnownVectors) {
  NullPlatform platform;
  for (const Vector& v : Vectors()) {
    SCOPED_TRACE(v.name);
    MachineConfig cfg;
    cfg.engine = GetParam();
    cfg.system = true;
    cfg.ram_bytes = 2 << 20;
    Machine m(cfg);
    std::string err;
    ASSERT_TRUE(m.AttachPlatform(&platform, &err)) << err;
    softmmu::PhysicalMemory& ram = *m.physical();
    const std::vector<uint8_t> code = Assemble(v.code + "\nhlt\n", kCode, 16);
    ASSERT_TRUE(ram.Write(kCode, code.data(), code.size()));
    for (uint16_t vector : {0, 12, 13}) {
      const uint16_t at = static_cast<uint16_t>(0x7000 + 0x10 * vector);
      const std::vector<uint8_t> handler =
          Assemble("mov si, " + std::to_string(vector ? vector : 0xde) + "\nhlt\n", at, 16);
      ASSERT_TRUE(ram.Write(at, handler.data(), handler.size()));
      const uint16_t entry[2] = {at, 0};
      ASSERT_TRUE(ram.Write(4 * vector, entry, sizeof entry));
    }
    for (const auto& [addr, word] : v.mem_in) ASSERT_TRUE(ram.Write(addr, &word, 2));

    CpuState& s = m.cpu();
    sys::SetRealSegment(s, CS, 0);
    sys::SetRealSegment(s, DS, kDs >> 4);
    sys::SetRealSegment(s, SS, kSs >> 4);
    sys::SetRealSegment(s, ES, kEs >> 4);
    s.rip = kCode;
    s.gpr[RSP] = 0x100;
    for (const auto& [r, value] : v.in) s.gpr[r] = value;
    s.rflags = 0x2 | v.flags_in;
    m.SystemStateChanged();

    RunResult r = m.Run(RunLimits{10000, std::nullopt});
    ASSERT_EQ(r.reason, StopReason::kHalt) << StopReasonName(r.reason);
    for (const auto& [reg, value] : v.out) {
      const uint64_t width_mask = value > 0xffff ? 0xffffffffull : 0xffffull;
      EXPECT_EQ(s.gpr[reg] & width_mask, value) << "register " << reg;
    }
    EXPECT_EQ(s.rflags & v.flags_mask, v.flags_out) << std::hex << "flags " << s.rflags;
    for (const auto& [addr, word] : v.mem_out) {
      uint16_t got = 0;
      ASSERT_TRUE(ram.Read(addr, &got, 2));
      EXPECT_EQ(got, word) << std::hex << "memory at " << addr;
    }
  }
}

// System mode runs the interpreter or the JIT (compare mode is process-only).
std::vector<Engine> SystemEngines() {
  if (JitAvailable()) return {Engine::kInterp, Engine::kJit};
  return {Engine::kInterp};
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffMode16, testing::ValuesIn(SystemEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
