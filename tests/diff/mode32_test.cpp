// tests/diff/mode32_test.cpp: differential tests of 32-bit code (issue 4): the host runs each
// sequence natively in compatibility mode, doppel with MachineConfig::mode kMode32. Integer groups
// at 8/16/32-bit operand sizes, every 32-bit ModRM/SIB form, 16-bit addressing, segment
// overrides, stack forms and the short INC/DEC encodings.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tests/diff/mode32_cases.h"

namespace doppel::test {
namespace {

namespace x86 = asmjit::x86;
namespace Inst = x86::Inst;

class DiffMode32 : public Mode32Fixture {
 protected:
  // `id dst, src` in register, immediate and memory forms at width w over edge values.
  void Binary(uint32_t id, unsigned w, bool memory_source = true) {
    std::vector<uint64_t> vals = EdgeValues(w, rng);
    const uint64_t ea = kBaseValue + 0x21;  // misaligned on purpose
    auto inputs = [&](unsigned dst, unsigned src, bool high_dst = false, bool mem_src = false) {
      std::vector<CaseInput> v;
      for (size_t k = 0; k < vals.size(); k++) {
        CaseInput in = Input32(rng);
        uint64_t a = vals[k], b = vals[(k * 7 + 3) % vals.size()];
        SetReg(in, dst, w, a, high_dst);
        if (mem_src) {
          in.mem.push_back({ea, b, w / 8});
        } else {
          SetReg(in, src, w, b);
        }
        v.push_back(in);
      }
      return v;
    };
    x86::Mem mem = x86::ptr(x86::ebp, static_cast<int32_t>(ea - kBaseValue), w / 8);
    x86::Mem abs = x86::ptr(ea, w / 8);
    RunAsm([&](Asm& a) { a.emit(id, Reg(0, w), Reg(3, w)); }, inputs(0, 3));
    if (w == 8) {
      RunAsm([&](Asm& a) { a.emit(id, x86::ah, x86::cl); }, inputs(0, 1, true));
      RunAsm([&](Asm& a) { a.emit(id, x86::dh, x86::bh); }, inputs(2, 3, true));
    }
    RunAsm([&](Asm& a) { a.emit(id, Reg(2, w), asmjit::Imm(-3)); }, inputs(2, 0));
    RunAsm([&](Asm& a) { a.emit(id, Reg(0, w), asmjit::Imm(0x5a)); }, inputs(0, 1));
    if (w > 8) RunAsm([&](Asm& a) { a.emit(id, Reg(6, w), asmjit::Imm(0x7ffa)); }, inputs(6, 0));
    const unsigned mr_src = w == 8 ? 3 : 7;  // no DIL without REX
    RunAsm([&](Asm& a) { a.emit(id, mem, Reg(mr_src, w)); }, inputs(mr_src, 0, false, true));
    if (memory_source)
      RunAsm([&](Asm& a) { a.emit(id, Reg(1, w), abs); }, inputs(1, 0, false, true));
    RunAsm([&](Asm& a) { a.emit(id, abs, asmjit::Imm(-0x70)); }, inputs(1, 0, false, true));
  }
  void Unary(uint32_t id, unsigned w) {
    std::vector<CaseInput> v;
    for (uint64_t x : EdgeValues(w, rng)) {
      CaseInput in = Input32(rng);
      SetReg(in, 1, w, x);
      in.mem.push_back({kBaseValue + 0x40, x, w / 8});
      v.push_back(in);
    }
    RunAsm([&](Asm& a) { a.emit(id, Reg(1, w)); }, v);
    RunAsm([&](Asm& a) { a.emit(id, x86::ptr(x86::ebp, 0x40, w / 8)); }, v);
  }
  void Shift(uint32_t id, unsigned w) {
    std::vector<CaseInput> v;
    std::vector<uint64_t> vals = EdgeValues(w, rng);
    for (uint64_t count : CountValues(w, rng)) {
      for (int k = 0; k < 3; k++) {
        CaseInput in = Input32(rng);
        uint64_t x = rng.Pick(vals);
        SetReg(in, 0, w, x);
        SetReg(in, 1, 8, count);
        in.mem.push_back({kBaseValue + 0x13, x, w / 8});
        v.push_back(in);
      }
    }
    RunAsm([&](Asm& a) { a.emit(id, Reg(0, w), x86::cl); }, v);
    RunAsm([&](Asm& a) { a.emit(id, x86::ptr(x86::ebp, 0x13, w / 8), x86::cl); }, v);
    for (int imm : {1, 3, static_cast<int>(w - 1), static_cast<int>(w + 1)}) {
      RunAsm([&](Asm& a) { a.emit(id, Reg(0, w), asmjit::Imm(imm)); }, v);
    }
  }
};

// The native side alone gives the architectural results of 32-bit code and its faults.
TEST(DiffNative32, RunsCompatibilityModeCodeAndReportsFaults) {
  NativeRunner& n = NativeRunner::Get();
  Rng rng(3);
  CaseInput in = Input32(rng);
  in.regs.gpr[0] = 0xffffffff'0000000a;  // only EAX reaches 32-bit code
  std::vector<uint8_t> data = DiffHarness::InitialData();
  // 40 = INC EAX, 37 = AAA: AL 0x0B after the INC adjusts to AX 0x0101 with AF and CF.
  n.SetCode({0x40, 0x37}, 32);
  NativeResult r = n.Run(in.regs, data.data());
  ASSERT_FALSE(r.faulted);
  EXPECT_EQ(r.regs.gpr[0], 0x0101u);
  EXPECT_EQ(r.regs.rflags & 0x11, 0x11u);
  EXPECT_EQ(r.regs.gpr[4], kStackInit);
  // BOUND EAX, [EBP] with bounds 5..6: #BR (vector 5) at the instruction.
  data = DiffHarness::InitialData();
  memcpy(&data[kBaseValue - kDataAddr], "\x05\0\0\0\x06\0\0\0", 8);
  n.SetCode({0x90, 0x62, 0x45, 0x00}, 32);
  r = n.Run(in.regs, data.data());
  ASSERT_TRUE(r.faulted);
  EXPECT_EQ(r.vector, 5u);
  EXPECT_EQ(r.regs.rip, kCodeAddr + 1);
  // AAM 0: #DE.
  n.SetCode({0xD4, 0x00}, 32);
  r = n.Run(in.regs, data.data());
  ASSERT_TRUE(r.faulted);
  EXPECT_EQ(r.vector, 0u);
  // And 64-bit code still runs after 32-bit runs.
  n.SetCode({0x48, 0xff, 0xc0});  // inc rax
  r = n.Run(in.regs, data.data());
  ASSERT_FALSE(r.faulted);
  EXPECT_EQ(r.regs.gpr[0], 0xffffffff'0000000bu);
}

TEST_P(DiffMode32, NativeRunnerReturnsFromCompatibilityMode) {
  // Only 32-bit code decodes these bytes this way: 0x40 is INC EAX (a REX prefix in 64-bit mode).
  Run("inc eax\ninc eax\ndec ebx\nadd eax, ebx", Inputs(8));
}

TEST_P(DiffMode32, AluAllSizes) {
  for (uint32_t id : {Inst::kIdAdd, Inst::kIdAdc, Inst::kIdSub, Inst::kIdSbb, Inst::kIdAnd,
                      Inst::kIdOr, Inst::kIdXor, Inst::kIdCmp, Inst::kIdMov}) {
    for (unsigned w : {8, 16, 32}) Binary(id, w);
  }
  for (unsigned w : {8, 16, 32}) Binary(Inst::kIdTest, w, false);
}

TEST_P(DiffMode32, UnaryAllSizes) {
  for (uint32_t id : {Inst::kIdInc, Inst::kIdDec, Inst::kIdNeg, Inst::kIdNot}) {
    for (unsigned w : {8, 16, 32}) Unary(id, w);
  }
}

TEST_P(DiffMode32, ShiftsAndRotatesAllSizes) {
  for (uint32_t id : {Inst::kIdShl, Inst::kIdShr, Inst::kIdSar, Inst::kIdRol, Inst::kIdRor,
                      Inst::kIdRcl, Inst::kIdRcr}) {
    for (unsigned w : {8, 16, 32}) Shift(id, w);
  }
  std::vector<CaseInput> v;
  for (uint64_t count : CountValues(32, rng)) {
    CaseInput in = Input32(rng);
    SetReg(in, 1, 8, count);
    v.push_back(in);
  }
  Run("shld eax, ebx, cl\nshrd dx, si, cl\nshld di, bx, 5\nshrd eax, edx, 31", v);
}

TEST_P(DiffMode32, MulDivAllSizes) {
  std::vector<CaseInput> v;
  for (int k = 0; k < 24; k++) {
    CaseInput in = Input32(rng);
    if (k % 3 == 0) in.regs.gpr[2] = rng.Below(3);  // small EDX: fewer #DE
    if (k % 4 == 1) in.regs.gpr[3] = 0;             // divisor 0: #DE
    v.push_back(in);
  }
  for (const char* op : {"mul", "imul", "div", "idiv"}) {
    for (const char* operand :
         {"bl", "bh", "bx", "ebx", "byte [ebp+3]", "word [ebp+5]", "dword [ebp+9]"}) {
      Run(std::string(op) + " " + operand, v);
    }
  }
  Run("imul ax, bx\nimul ecx, [ebp+0x11]\nimul si, di, -7\nimul edi, ebx, 0x12345", v);
}

TEST_P(DiffMode32, BitOpsBswapAndScans) {
  std::vector<CaseInput> v;
  for (int k = 0; k < 16; k++) {
    CaseInput in = Input32(rng);
    in.regs.gpr[1] = k < 8 ? rng.Below(200) - 100 : in.regs.gpr[1];  // bit offsets around EBP
    if (k % 5 == 0) in.regs.gpr[3] = 0;
    v.push_back(in);
  }
  for (const char* op : {"bt", "bts", "btr", "btc"}) {
    for (const char* form : {"eax, ecx", "ax, cx", "[ebp+0x40], ecx", "word [ebp+0x40], cx",
                             "dword [ebp+0x40], 33", "word [ebp+0x40], 17", "edx, 70"}) {
      Run(std::string(op) + " " + form, v);
    }
  }
  Run("bsf eax, ebx\nbsr cx, bx\nbsf dx, word [ebp+0x20]\nbsr esi, [ebp+0x60]", v);
  Run("bswap eax\nbswap ebx\nbswap esp\nbswap esi\nbswap esp", v);
}

TEST_P(DiffMode32, StringOpsAllSizesWithRepAndDirection) {
  for (const char* op : {"movs", "stos", "lods", "cmps", "scas"}) {
    for (char size : {'b', 'w', 'd'}) {
      for (const char* rep : {"", "rep ", "repne "}) {
        if (*rep == 'r' && (op[0] == 'l')) continue;
        for (bool down : {false, true}) {
          std::vector<CaseInput> v;
          for (uint64_t count : {0, 1, 3, 9}) {
            CaseInput in = Input32(rng);
            in.regs.gpr[1] = count;
            in.regs.gpr[6] = kBaseValue + 0x200 + count;
            in.regs.gpr[7] = kBaseValue + 0x400;
            for (int i = 0; i < 4; i++) {  // equal prefixes, so repe/repne stop at different points
              uint64_t x = 0x0101010101010101ull * (i + 1);
              in.mem.push_back({in.regs.gpr[6] + 8 * i - (down ? 32 : 0), x, 8});
              in.mem.push_back({in.regs.gpr[7] + 8 * i - (down ? 32 : 0), i < 2 ? x : ~x, 8});
            }
            v.push_back(in);
          }
          Run(std::string(down ? "std\n" : "") + rep + op + size, v);
        }
      }
    }
  }
}

TEST_P(DiffMode32, EveryModRmAndSibForm) {
  // LEA computes every 32-bit address form without touching memory; each result is stored so
  // the comparison sees all of them. EAX (the destination) also serves as a base and index.
  for (unsigned mod = 0; mod < 3; mod++) {
    std::vector<uint8_t> code;
    unsigned slot = 0;
    auto add = [&](std::vector<uint8_t> bytes) {
      code.insert(code.end(), bytes.begin(), bytes.end());
      // mov [kDataAddr + 0x400 + 4 * slot], eax
      uint32_t at = static_cast<uint32_t>(kDataAddr + 0x400 + 4 * slot++);
      code.insert(code.end(), {0xA3, static_cast<uint8_t>(at), static_cast<uint8_t>(at >> 8),
                               static_cast<uint8_t>(at >> 16), static_cast<uint8_t>(at >> 24)});
    };
    auto disp = [&](std::vector<uint8_t>& b, bool no_base) {
      if (mod == 1) b.push_back(0x85);
      if (mod == 2 || no_base) b.insert(b.end(), {0x78, 0x56, 0x34, 0x92});
    };
    for (unsigned rm = 0; rm < 8; rm++) {
      if (rm == 4) {
        for (unsigned sib = 0; sib < 256; sib++) {
          std::vector<uint8_t> b = {0x8D, static_cast<uint8_t>(mod << 6 | 4),
                                    static_cast<uint8_t>(sib)};
          disp(b, mod == 0 && (sib & 7) == 5);
          add(b);
        }
      } else {
        std::vector<uint8_t> b = {0x8D, static_cast<uint8_t>(mod << 6 | rm)};
        disp(b, mod == 0 && rm == 5);
        add(b);
      }
    }
    h.SetCode(code);
    for (const CaseInput& in : Inputs(3)) h.Check(in);
  }
}

TEST_P(DiffMode32, MemoryOperandsThroughSibForms) {
  // Loads and stores through base+index*scale forms that land in the data region.
  std::vector<CaseInput> v = Inputs(6);
  for (CaseInput& in : v) {
    in.regs.gpr[6] = rng.Below(0x40);     // ESI: a small index
    in.regs.gpr[3] = kBaseValue + 0x100;  // EBX: a second base
  }
  Run("mov eax, [ebp+esi*4+0x10]\nmov cx, [ebx+esi*2-8]\nmov dl, [esi+ebp]\n"
      "add [ebx+esi*8+0x40], eax\nmov edi, [esi*4+0x10001000]\nxchg [ebp+esi], ch\n"
      "mov eax, [esp]\nmov ecx, [esp+esi*2+4]\nmov [esp+ebp*1-0x10001000+0x10], edx",
      v);
}

TEST_P(DiffMode32, AddressesWrapAt4GiB) {
  // base + index * scale + disp is computed modulo 2^32 (the JIT folds it into one 32-bit LEA).
  std::vector<CaseInput> v = Inputs(4);
  for (CaseInput& in : v) {
    in.regs.gpr[1] = 0xFFFFFF00;  // ECX: -0x100
    in.regs.gpr[3] = 0x40000000;  // EBX: scaled by 4 it is 2^32
  }
  Run("mov eax, [ebp+ecx+0x120]\nmov edx, [ecx*4+ebp+0x420]\nmov esi, [ebx*4+ebp+8]\n"
      "add [ebp+ebx*4+0x10], eax\nlea edi, [ecx*8+ebp]",
      v);
}

TEST_P(DiffMode32, SixteenBitAddressingForms) {
  // 67-prefixed forms: the address is 16 bits, below the lowest mapped page here, so every load
  // faults (#PF) on both sides at the address the form computes; LEA gives it without faulting.
  std::vector<CaseInput> v = Inputs(6);
  const char* forms[] = {"bx+si",      "bx+di",      "bp+si",        "bp+di",
                         "si",         "di",         "0x1234",       "bx",
                         "bx+si+0x7f", "bx+di-0x80", "bp+si+0x1234", "bp+di-2",
                         "si+0x8000",  "di-1",       "bp+0x10",      "bx+0xfff0"};
  std::string lea;
  unsigned slot = 0;
  for (const char* f : forms) {
    for (const char* dst : {"eax", "cx"}) {
      lea += std::string("a16 lea ") + dst + ", [" + f + "]\nmov [" +
             std::to_string(kDataAddr + 0x400 + 4 * slot++) + "], " + dst + "\n";
    }
  }
  Run(lea, v);
  for (const char* f : forms) Run(std::string("a16 mov eax, [") + f + "]", v);
  Run("a16 mov ax, [ss:bp+di+4]", v);
  Run("a16 add word [es:bx+si], 5", v);
}

TEST_P(DiffMode32, SegmentOverridesWithFlatSegments) {
  std::vector<CaseInput> v = Inputs(4);
  Run("mov eax, [es:ebp+4]\nmov ebx, [cs:ebp+8]\nmov ecx, [ss:ebp+12]\nmov edx, [ds:ebp+16]\n"
      "add [es:ebp+20], eax\nmov [ss:esp-4], ebx\npush dword [cs:ebp+24]\npop dword [es:ebp+28]",
      v);
  Run("es movsb\ncs lodsd\nss cmpsw", [&] {
    auto w = Inputs(4);
    for (CaseInput& in : w) {
      in.regs.gpr[6] = kBaseValue + 0x30;
      in.regs.gpr[7] = kBaseValue + 0x60;
    }
    return w;
  }());
  // CS is execute/read: a write through it is #GP on both sides.
  Run("mov [cs:ebp], eax", v);
}

TEST_P(DiffMode32, StackForms16And32) {
  std::vector<CaseInput> v = Inputs(6);
  Run("push eax\npush bx\npush word 0x1234\npush dword -5\npush byte -2\no16 push byte 3\n"
      "push dword [ebp+4]\npush word [ebp+8]\npop dword [ebp+0x20]\npop word [ebp+0x30]\n"
      "pop cx\npop edx\npop si\npop edi",
      v);
  Run("pushad\npopad\npusha\nmov eax, [esp+4]\npopa", v);
  Run("pushad\nmov dword [esp+12], 0\nmov dword [esp+28], 7\npopad", v);  // popad skips ESP
  Run("pushfd\npop eax\npushf\npop bx\npush eax\npopfd\npush word 0x8d5\npopf", v);
  Run("enter 0x10, 0\nmov [ebp-4], eax\nleave", v);
  Run("enter 8, 1\nenter 4, 3\nmov eax, ebp\nleave\nleave", v);
  Run("o16 enter 6, 2\no16 leave", v);
  Run("call .f\njmp .end\n.f: push eax\npop ebx\nret\n.end:", v);
  Run("call .f\njmp .end\n.f: ret 8\n.end:", v);
  Run("mov ebx, .f\ncall ebx\njmp .end\n.f: mov [ebp], esp\nret\n.end:", v);
}

TEST_P(DiffMode32, IncDecShortFormsXchgAndCmpxchg) {
  std::vector<CaseInput> v = Inputs(10);
  std::vector<uint8_t> inc_dec;
  for (uint8_t op = 0x40; op < 0x50; op++) {
    if (op == 0x44 || op == 0x4C) continue;  // ESP
    inc_dec.push_back(op);
    inc_dec.push_back(0x66);  // and the 16-bit form
    inc_dec.push_back(op);
  }
  h.SetCode(inc_dec);
  for (const CaseInput& in : v) h.Check(in);
  Run("xchg eax, ebx\nxchg cx, ax\nxchg dl, dh\nxchg [ebp+4], esi\nxchg di, [ebp+8]\n"
      "xchg eax, eax\nxchg ax, ax",
      v);
  Run("cmpxchg ebx, ecx\ncmpxchg [ebp+0x10], si\ncmpxchg dl, bh\nxadd eax, edx\n"
      "xadd [ebp+0x20], cx\nlock xadd [ebp+0x24], bl",
      v);
  std::vector<CaseInput> c8 = Inputs(6);
  for (size_t i = 0; i < c8.size(); i++) {
    if (i % 2) continue;  // equal: the store happens
    uint64_t m = (c8[i].regs.gpr[2] << 32) | c8[i].regs.gpr[0];
    c8[i].mem.push_back({kBaseValue + 0x50, m, 8});
  }
  Run("cmpxchg8b [ebp+0x50]", c8);
  Run("lock cmpxchg8b [ebp+0x50]", c8);
}

TEST_P(DiffMode32, LoopAndJcxzWithAddressSize) {
  std::vector<CaseInput> v;
  // ECX 0 would run LOOP 2^32 times; 0x10000 gives CX 0, which 16-bit LOOP runs 65536 times.
  for (uint64_t ecx : {0x1ull, 0x5ull, 0x10000ull, 0x10003ull, 0x20001ull}) {
    CaseInput in = Input32(rng);
    in.regs.gpr[1] = ecx;
    v.push_back(in);
  }
  Run(".l: inc eax\nloop .l", v);
  Run(".l: inc eax\na16 loop .l", v);  // CX counts: ECX's upper half survives
  Run(".l: inc eax\ncmp eax, ebx\nloopne .l\n.l2: inc ebx\ncmp ebx, eax\na16 loope .l2", v);
  Run("jecxz .z\nmov eax, 1\n.z: a16 jcxz .z2\nmov ebx, 2\n.z2:", v);
}

TEST_P(DiffMode32, Xlat) {
  std::vector<CaseInput> v = Inputs(8);
  for (CaseInput& in : v) in.regs.gpr[3] = kBaseValue + 0x80 + rng.Below(0x100);
  Run("xlatb", v);
  Run("es xlatb\nmov ah, al\nss xlatb", v);
  Run("a16 xlatb", v);  // BX + AL below the lowest mapped page: #PF at that address
}

TEST_P(DiffMode32, LeaOperandAndAddressSizes) {
  std::vector<CaseInput> v = Inputs(8);
  Run("lea ax, [ebx+esi*2+0x1234]\nlea ecx, [edx+0x7fffffff]\na16 lea edx, [bx+di+0x10]\n"
      "a16 lea si, [bp-1]\nlea edi, [eax*8]",
      v);
}

INSTANTIATE_TEST_SUITE_P(Engines, DiffMode32, testing::ValuesIn(AllEngines()), EngineTestName);

}  // namespace
}  // namespace doppel::test
