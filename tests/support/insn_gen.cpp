// tests/support/insn_gen.cpp: operand/value helpers and the seeded random sequence generator.
#include "tests/support/insn_gen.h"

#include <cstring>

namespace doppel::test {

namespace x86 = asmjit::x86;
using asmjit::Imm;
using asmjit::Label;
using Id = x86::Inst::Id;

uint64_t WidthMask(unsigned width) { return width >= 64 ? ~0ull : (1ull << width) - 1; }

std::vector<uint64_t> EdgeValues(unsigned width, Rng& rng) {
  uint64_t m = WidthMask(width), smin = 1ull << (width - 1), smax = smin - 1;
  std::vector<uint64_t> v = {0,
                             1,
                             2,
                             m,
                             smin,
                             smax,
                             smin + 1,
                             smax - 1,
                             1ull << (width / 2),
                             1ull << (width - 2),
                             0x5555555555555555ull & m,
                             rng.Next() & m,
                             rng.Next() & m};
  return v;
}

std::vector<uint64_t> CountValues(unsigned width, Rng& rng) {
  return {0, 1, width - 1u, width, width + 1u, 31, 32, 63, 64, rng.Next() & 0xff};
}

CaseInput RandomInput(Rng& rng) {
  CaseInput in;
  for (auto& r : in.regs.gpr) r = rng.Next();
  // Some registers hold small values, which make interesting shift counts and divisors.
  for (unsigned i : {1u, 2u}) {
    if (rng.Chance(30)) in.regs.gpr[i] = rng.Below(70);
  }
  in.regs.gpr[4] = kStackInit;
  in.regs.gpr[kBaseReg] = kBaseValue;
  in.regs.gpr[kBase2Reg] = kBase2Value;
  in.regs.gpr[kIndexReg] = kIndexValue;
  in.regs.rflags = rng.Next() & kStatusFlags;
  return in;
}

x86::Gp Reg(unsigned idx, unsigned width, bool high) {
  if (high) return x86::gpb_hi(idx);
  switch (width) {
    case 8: return x86::gpb(idx);
    case 16: return x86::gpw(idx);
    case 32: return x86::gpd(idx);
    default: return x86::gpq(idx);
  }
}

void SetReg(CaseInput& in, unsigned idx, unsigned width, uint64_t value, bool high) {
  uint64_t& r = in.regs.gpr[idx];
  if (high) {
    r = (r & ~0xff00ull) | ((value & 0xff) << 8);
  } else {
    r = (r & ~WidthMask(width)) | (value & WidthMask(width));
  }
}

x86::Mem MemAt(uint64_t ea, unsigned width, unsigned form) {
  uint32_t size = width / 8;
  auto disp = [](uint64_t a, uint64_t b) { return static_cast<int32_t>(a - b); };
  switch (form % kMemForms) {
    case 0: return x86::ptr(x86::r15, disp(ea, kBaseValue), size);
    case 1: return x86::ptr(x86::r15, x86::r13, 3, disp(ea, kBaseValue + kIndexValue * 8), size);
    case 2: return x86::ptr(x86::r14, disp(ea, kBase2Value), size);
    case 3: return x86::ptr_rel(ea, size);
    case 4: return x86::ptr_abs(ea, size);
    case 5: return x86::ptr(x86::r15, x86::r13, 0, disp(ea, kBaseValue + kIndexValue), size);
    default: return x86::ptr(x86::r13, x86::r15, 1, disp(ea, kBaseValue * 2 + kIndexValue), size);
  }
}

std::vector<uint8_t> Build(const std::function<void(Asm&)>& body) {
  return AssembleAt(kCodeAddr, body);
}

void RunAll(DiffHarness& h, const std::function<void(Asm&)>& body,
            const std::vector<CaseInput>& inputs) {
  h.SetCode(Build(body));
  for (const CaseInput& in : inputs) h.Check(in);
}

// ---------------------------------------------------------------------------------------------
// Random sequences.

namespace {

// Registers the generator may write.
const std::vector<unsigned> kFree = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12};
const std::vector<unsigned> kFreeNoRcx = {0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12};
constexpr uint32_t kReadable = 0x8C5;  // CF PF ZF SF OF: what jcc/setcc/cmov/adc/... read
// Random memory operands stay below the stack area (see native_runner.h for the layout).
constexpr uint64_t kRandMemLo = kDataAddr + 0x400, kRandMemHi = kDataAddr + 0x1800;

class SeqGen {
 public:
  SeqGen(Rng& rng, Asm& a) : rng_(rng), a_(a) {}

  void Sync() {
    const uint8_t* buf = a_.bufferData();
    size_t size = a_.offset();
    while (decoded_ < size) {
      FlagEffect e = FlagEffectOf(buf + decoded_, size - decoded_);
      if (e.length == 0) break;
      undef_ = ApplyFlagEffect(e, undef_);
      decoded_ += e.length;
    }
  }
  void EnsureFlagsDefined() {
    Sync();
    if (undef_ & kReadable) {
      x86::Gp r = Reg(rng_.Pick(kFree), 32);
      a_.test(r, r);
      Sync();
    }
  }
  void JumpTo(Label l) {
    Sync();
    pending_.push_back({l.id(), undef_});
  }
  void Bind(Label l) {
    Sync();
    for (auto& [id, u] : pending_) {
      if (id == l.id()) undef_ |= u;
    }
    a_.bind(l);
  }

  unsigned Width() { return 8u << rng_.Below(4); }
  unsigned Width16Plus() { return 16u << rng_.Below(3); }
  unsigned FreeReg() { return rng_.Pick(kFree); }
  x86::Gp RandReg(unsigned w) { return Reg(FreeReg(), w); }
  x86::Mem RandMem(unsigned w) {
    uint64_t ea = kRandMemLo + rng_.Below(kRandMemHi - kRandMemLo - 8);
    return MemAt(ea, w, static_cast<unsigned>(rng_.Below(kMemForms)));
  }
  Imm RandImm(unsigned w) {
    static const int64_t kImms[] = {0, 1, -1, 0x7f, -0x80, 0x7fff, 0x7fffffff, -0x80000000ll, 2};
    int64_t v = rng_.Chance(50) ? kImms[rng_.Below(9)] : static_cast<int64_t>(rng_.Next());
    if (w == 8) v = static_cast<int8_t>(v);
    if (w == 16) v = static_cast<int16_t>(v);
    if (w >= 32) v = static_cast<int32_t>(v);
    return Imm(v);
  }

  // A flag-defining or flag-neutral instruction that does not read flags and leaves rcx alone.
  void Simple() {
    static const Id kOps[] = {x86::Inst::kIdAdd, x86::Inst::kIdSub, x86::Inst::kIdXor,
                              x86::Inst::kIdAnd, x86::Inst::kIdOr,  x86::Inst::kIdMov,
                              x86::Inst::kIdCmp, x86::Inst::kIdImul};
    unsigned w = Width16Plus();
    Id id = kOps[rng_.Below(8)];
    x86::Gp d = Reg(rng_.Pick(kFreeNoRcx), w);
    if (rng_.Chance(50) || id == x86::Inst::kIdImul) {
      a_.emit(id, d, Reg(rng_.Pick(kFreeNoRcx), w));
    } else {
      a_.emit(id, d, RandImm(w));
    }
  }

  void Alu2() {
    static const Id kOps[] = {x86::Inst::kIdAdd, x86::Inst::kIdOr,  x86::Inst::kIdAdc,
                              x86::Inst::kIdSbb, x86::Inst::kIdAnd, x86::Inst::kIdSub,
                              x86::Inst::kIdXor, x86::Inst::kIdCmp, x86::Inst::kIdTest,
                              x86::Inst::kIdMov};
    Id id = kOps[rng_.Below(10)];
    if (id == x86::Inst::kIdAdc || id == x86::Inst::kIdSbb) EnsureFlagsDefined();
    unsigned w = Width();
    switch (rng_.Below(5)) {
      case 0: {
        if (w == 8 && rng_.Chance(40)) {  // high-byte registers with legacy partners
          a_.emit(id, Reg(rng_.Below(4), 8, rng_.Chance(50)), Reg(rng_.Below(4), 8, true));
        } else {
          a_.emit(id, RandReg(w), RandReg(w));
        }
        break;
      }
      case 1: a_.emit(id, RandReg(w), RandImm(w)); break;
      case 2:
        if (id == x86::Inst::kIdTest)
          a_.emit(id, RandMem(w), RandReg(w));  // test has no r, m form
        else
          a_.emit(id, RandReg(w), RandMem(w));
        break;
      case 3: a_.emit(id, RandMem(w), RandReg(w)); break;
      default: a_.emit(id, RandMem(w), RandImm(w)); break;
    }
    if (id == x86::Inst::kIdMov && w == 64 && rng_.Chance(20)) {
      a_.mov(RandReg(64), Imm(static_cast<int64_t>(rng_.Next())));  // movabs
    }
  }

  void Alu1() {
    static const Id kOps[] = {x86::Inst::kIdInc, x86::Inst::kIdDec, x86::Inst::kIdNeg,
                              x86::Inst::kIdNot};
    Id id = kOps[rng_.Below(4)];
    unsigned w = Width();
    if (rng_.Chance(60)) {
      a_.emit(id, RandReg(w));
    } else {
      a_.emit(id, RandMem(w));
    }
  }

  void Shift() {
    static const Id kOps[] = {x86::Inst::kIdShl, x86::Inst::kIdShr, x86::Inst::kIdSar,
                              x86::Inst::kIdRol, x86::Inst::kIdRor, x86::Inst::kIdRcl,
                              x86::Inst::kIdRcr, x86::Inst::kIdSal};
    Id id = kOps[rng_.Below(8)];
    if (id == x86::Inst::kIdRcl || id == x86::Inst::kIdRcr) EnsureFlagsDefined();
    unsigned w = Width();
    asmjit::Operand dst =
        rng_.Chance(70) ? asmjit::Operand(RandReg(w)) : asmjit::Operand(RandMem(w));
    switch (rng_.Below(3)) {
      case 0: a_.emit(id, dst, Imm(1)); break;
      case 1: a_.emit(id, dst, Imm(rng_.Pick(CountValues(w, rng_)) & 0xff)); break;
      default: a_.emit(id, dst, x86::cl); break;
    }
  }

  void DoubleShift() {
    Id id = rng_.Chance(50) ? x86::Inst::kIdShld : x86::Inst::kIdShrd;
    unsigned w = Width16Plus();
    asmjit::Operand dst =
        rng_.Chance(70) ? asmjit::Operand(RandReg(w)) : asmjit::Operand(RandMem(w));
    x86::Gp src = RandReg(w);
    if (rng_.Chance(50)) {
      uint64_t c = rng_.Pick(CountValues(w, rng_));
      if (w == 16) c %= 17;  // larger 16-bit counts leave the result undefined
      a_.emit(id, dst, src, Imm(c));
    } else {
      if (w == 16) a_.and_(x86::ecx, 15);
      a_.emit(id, dst, src, x86::cl);
    }
  }

  void MulDiv() {
    unsigned w = Width();
    switch (rng_.Below(4)) {
      case 0: {
        Id id = rng_.Chance(50) ? x86::Inst::kIdMul : x86::Inst::kIdImul;
        if (rng_.Chance(60))
          a_.emit(id, RandReg(w));
        else
          a_.emit(id, RandMem(w));
        break;
      }
      case 1: {
        Id id = rng_.Chance(50) ? x86::Inst::kIdDiv : x86::Inst::kIdIdiv;
        // Usually make the division succeed: small high half, odd divisor.
        unsigned d = rng_.Pick(std::vector<unsigned>{1, 3, 5, 6, 7, 8, 9, 10, 11, 12});
        if (rng_.Chance(80)) {
          if (w == 8)
            a_.movzx(x86::eax, x86::al);
          else
            a_.xor_(x86::edx, x86::edx);
          a_.or_(Reg(d, w == 8 ? 8 : w), 1);
          if (w == 8 && d < 4) a_.or_(Reg(d, 8), 0x81);
        }
        a_.emit(id, Reg(d, w));
        break;
      }
      case 2: {
        unsigned w2 = Width16Plus();
        if (rng_.Chance(50))
          a_.imul(RandReg(w2), RandReg(w2));
        else
          a_.imul(RandReg(w2), RandMem(w2));
        break;
      }
      default: {
        unsigned w2 = Width16Plus();
        asmjit::Operand src =
            rng_.Chance(50) ? asmjit::Operand(RandReg(w2)) : asmjit::Operand(RandMem(w2));
        a_.emit(x86::Inst::kIdImul, RandReg(w2), src, RandImm(w2 == 64 ? 32 : w2));
        break;
      }
    }
  }

  void Bits() {
    static const Id kBt[] = {x86::Inst::kIdBt, x86::Inst::kIdBts, x86::Inst::kIdBtr,
                             x86::Inst::kIdBtc};
    static const Id kScan[] = {x86::Inst::kIdBsf, x86::Inst::kIdBsr, x86::Inst::kIdTzcnt,
                               x86::Inst::kIdLzcnt, x86::Inst::kIdPopcnt};
    unsigned w = Width16Plus();
    if (rng_.Chance(50)) {
      Id id = kBt[rng_.Below(4)];
      switch (rng_.Below(4)) {
        case 0: a_.emit(id, RandReg(w), RandReg(w)); break;
        case 1: a_.emit(id, RandReg(w), Imm(rng_.Below(256))); break;
        case 2: a_.emit(id, RandMem(w), Imm(rng_.Below(256))); break;
        default: {
          unsigned r = rng_.Pick(kFree);
          a_.and_(Reg(r, 32), 0x7f);  // bit offsets into memory stay within 16 bytes
          a_.emit(id, RandMem(w), Reg(r, w));
          break;
        }
      }
    } else {
      Id id = kScan[rng_.Below(5)];
      if (rng_.Chance(60))
        a_.emit(id, RandReg(w), RandReg(w));
      else
        a_.emit(id, RandReg(w), RandMem(w));
    }
  }

  void DataMove() {
    switch (rng_.Below(8)) {
      case 0: {
        unsigned sw = rng_.Chance(50) ? 8 : 16,
                 dw = sw == 8 ? Width16Plus() : (rng_.Chance(50) ? 32 : 64);
        Id id = rng_.Chance(50) ? x86::Inst::kIdMovzx : x86::Inst::kIdMovsx;
        if (rng_.Chance(60))
          a_.emit(id, RandReg(dw), RandReg(sw));
        else
          a_.emit(id, RandReg(dw), RandMem(sw));
        break;
      }
      case 1:
        if (rng_.Chance(50))
          a_.movsxd(RandReg(64), RandReg(32));
        else
          a_.movsxd(RandReg(64), RandMem(32));
        break;
      case 2: {  // lea with arbitrary registers (no memory access)
        unsigned w = Width16Plus();
        x86::Mem m = x86::ptr(RandReg(64), RandReg(64), static_cast<uint32_t>(rng_.Below(4)),
                              static_cast<int32_t>(rng_.Next()));
        if (rng_.Chance(30)) m = x86::ptr(RandReg(64), static_cast<int32_t>(rng_.Below(256)) - 128);
        a_.lea(RandReg(w), m);
        break;
      }
      case 3: a_.bswap(RandReg(rng_.Chance(50) ? 32 : 64)); break;
      case 4: {
        unsigned w = Width();
        if (rng_.Chance(60))
          a_.xchg(RandReg(w), RandReg(w));
        else
          a_.xchg(RandMem(w), RandReg(w));
        break;
      }
      case 5: {
        unsigned w = Width();
        if (rng_.Chance(50))
          a_.xadd(RandReg(w), RandReg(w));
        else
          a_.xadd(RandMem(w), RandReg(w));
        break;
      }
      case 6: {
        unsigned w = Width();
        x86::Gp ax = Reg(0, w);
        if (rng_.Chance(50))
          a_.cmpxchg(RandReg(w), RandReg(w), ax);
        else
          a_.cmpxchg(RandMem(w), RandReg(w), ax);
        break;
      }
      default: {
        static const uint8_t kConv[][2] = {{0x66, 0x98}, {0x98, 0}, {0x48, 0x98},
                                           {0x66, 0x99}, {0x99, 0}, {0x48, 0x99}};
        const uint8_t* c = kConv[rng_.Below(6)];
        a_.db(c[0]);
        if (c[1]) a_.db(c[1]);
        break;
      }
    }
  }

  void Conditional() {
    EnsureFlagsDefined();
    auto cc = static_cast<x86::CondCode>(rng_.Below(16));
    switch (rng_.Below(3)) {
      case 0:
        if (rng_.Chance(70))
          a_.set(cc, RandReg(8));
        else
          a_.set(cc, RandMem(8));
        break;
      case 1: {
        unsigned w = Width16Plus();
        if (rng_.Chance(60))
          a_.cmov(cc, RandReg(w), RandReg(w));
        else
          a_.cmov(cc, RandReg(w), RandMem(w));
        break;
      }
      default: {
        Label l = a_.newLabel();
        a_.j(cc, l);
        JumpTo(l);
        for (uint64_t i = 0, n = 1 + rng_.Below(2); i < n; i++) Simple();
        Bind(l);
        break;
      }
    }
  }

  void Control() {
    switch (rng_.Below(7)) {
      case 0: {  // jmp over dead code
        Label l = a_.newLabel();
        a_.jmp(l);
        JumpTo(l);
        Simple();
        Bind(l);
        break;
      }
      case 1: {  // jrcxz / jecxz
        Label l = a_.newLabel();
        if (rng_.Chance(50))
          a_.jecxz(x86::rcx, l);
        else
          a_.jecxz(x86::ecx, l);
        JumpTo(l);
        Simple();
        Bind(l);
        break;
      }
      case 2: {  // loop / loope / loopne with a small count
        a_.mov(x86::ecx, 1 + rng_.Below(4));
        Label top = a_.newLabel();
        Bind(top);
        for (uint64_t i = 0, n = 1 + rng_.Below(2); i < n; i++) Simple();
        unsigned kind = static_cast<unsigned>(rng_.Below(3));
        if (kind != 0) EnsureFlagsDefined();
        if (kind == 0)
          a_.loop(x86::rcx, top);
        else if (kind == 1)
          a_.loope(x86::rcx, top);
        else
          a_.loopne(x86::rcx, top);
        break;
      }
      case 3: {  // call a local subroutine
        EnsureFlagsDefined();
        Label sub = a_.newLabel(), after = a_.newLabel();
        bool imm = rng_.Chance(30);
        if (imm) a_.push(RandReg(64));
        a_.call(sub);
        a_.jmp(after);
        JumpTo(after);
        Bind(sub);
        Simple();
        EnsureFlagsDefined();
        if (imm)
          a_.ret(8);
        else
          a_.ret();
        Bind(after);
        break;
      }
      case 4: {  // call next; pop the return address
        Label next = a_.newLabel();
        a_.call(next);
        Bind(next);
        a_.pop(RandReg(64));
        break;
      }
      case 5: {  // indirect jmp/call through a register or memory
        EnsureFlagsDefined();
        Label target = a_.newLabel(), after = a_.newLabel();
        unsigned r = FreeReg();
        a_.lea(Reg(r, 64), x86::ptr(target));
        bool via_mem = rng_.Chance(50), call = rng_.Chance(40);
        x86::Mem slot = MemAt(kRandMemLo + 8 * rng_.Below(64), 64,
                              static_cast<unsigned>(rng_.Below(kMemForms)));
        if (via_mem) a_.mov(slot, Reg(r, 64));
        if (call) {
          if (via_mem)
            a_.call(slot);
          else
            a_.call(Reg(r, 64));
          a_.jmp(after);
          JumpTo(after);
          Bind(target);
          Simple();
          EnsureFlagsDefined();
          a_.ret();
        } else {
          if (via_mem)
            a_.jmp(slot);
          else
            a_.jmp(Reg(r, 64));
          JumpTo(target);
          Simple();
          Bind(target);
        }
        Bind(after);
        break;
      }
      default: {  // push / pop
        switch (rng_.Below(5)) {
          case 0: a_.push(rng_.Chance(80) ? RandReg(64) : RandReg(16)); break;
          case 1: a_.pop(rng_.Chance(80) ? RandReg(64) : RandReg(16)); break;
          case 2: a_.push(RandImm(32)); break;
          case 3: a_.push(RandMem(64)); break;
          default: a_.pop(RandMem(64)); break;
        }
        break;
      }
    }
  }

  void Strings() {
    static const uint8_t kOps[] = {0xA4, 0xAA, 0xAC, 0xA6, 0xAE};  // movs stos lods cmps scas
    uint8_t op = kOps[rng_.Below(5)];
    unsigned size = static_cast<unsigned>(rng_.Below(4));  // b w d q
    a_.lea(x86::rsi, x86::ptr(x86::r15, static_cast<int32_t>(0x100 + rng_.Below(0x600)) - 0x1000));
    a_.lea(x86::rdi, x86::ptr(x86::r15, static_cast<int32_t>(0x100 + rng_.Below(0x600)) - 0x1000));
    unsigned rep = static_cast<unsigned>(rng_.Below(3));  // none, rep/repe, repne
    if (rep) a_.mov(x86::ecx, rng_.Below(6));
    bool down = rng_.Chance(40);
    if (down) a_.std();
    if (rep == 1) a_.db(0xF3);
    if (rep == 2) a_.db(op == 0xA6 || op == 0xAE ? 0xF2 : 0xF3);
    if (size == 1) a_.db(0x66);
    if (size == 3) a_.db(0x48);
    a_.db(op + (size ? 1 : 0));
    if (down && rng_.Chance(50)) a_.cld();
  }

  void Nop() {
    switch (rng_.Below(3)) {
      case 0: a_.nop(); break;
      case 1: a_.nop(x86::dword_ptr(x86::rax, x86::rax, 0, 0)); break;
      default: a_.nop(x86::word_ptr(x86::rax, x86::rax, 0, 0x12345678)); break;
    }
  }

  void One() {
    switch (rng_.Below(20)) {
      case 0:
      case 1:
      case 2:
      case 3: Alu2(); break;
      case 4:
      case 5: Alu1(); break;
      case 6:
      case 7: Shift(); break;
      case 8: DoubleShift(); break;
      case 9:
      case 10: MulDiv(); break;
      case 11: Bits(); break;
      case 12:
      case 13: DataMove(); break;
      case 14:
      case 15: Conditional(); break;
      case 16:
      case 17: Control(); break;
      case 18: Strings(); break;
      default: Nop(); break;
    }
  }

 private:
  Rng& rng_;
  Asm& a_;
  uint32_t undef_ = 0;
  size_t decoded_ = 0;
  std::vector<std::pair<uint32_t, uint32_t>> pending_;
};

}  // namespace

RandomSequence GenerateSequence(Rng& rng, unsigned min_insns, unsigned max_insns,
                                unsigned n_inputs) {
  RandomSequence seq;
  unsigned n = min_insns + static_cast<unsigned>(rng.Below(max_insns - min_insns + 1));
  seq.code = Build([&](Asm& a) {
    SeqGen g(rng, a);
    for (unsigned i = 0; i < n; i++) g.One();
  });
  for (unsigned i = 0; i < n_inputs; i++) seq.inputs.push_back(RandomInput(rng));
  return seq;
}

}  // namespace doppel::test

// ---------------------------------------------------------------------------------------------
// Single-instruction drivers.

namespace doppel::test {

namespace {

struct RegPick {
  unsigned idx;
  bool high;
};

std::vector<std::pair<RegPick, RegPick>> RegPairs(unsigned width) {
  if (width == 8) {
    return {{{0, false}, {3, false}},
            {{0, true}, {1, true}},
            {{2, false}, {3, true}},
            {{6, false}, {9, false}},
            {{10, false}, {7, false}}};
  }
  return {{{0, false}, {3, false}},
          {{6, false}, {9, false}},
          {{10, false}, {5, false}},
          {{2, false}, {12, false}}};
}

std::vector<int64_t> ImmValues(unsigned width, Rng& rng) {
  if (width == 8) return {0, 1, -1, 0x7f, -0x80, 0x40, static_cast<int8_t>(rng.Next())};
  if (width == 16) {
    return {0, 1, -1, 0x7f, -0x80, 0x7fff, -0x8000, static_cast<int16_t>(rng.Next())};
  }
  return {0, 1, -1, 0x7f, -0x80, 0x7fffffff, -0x80000000ll, static_cast<int32_t>(rng.Next())};
}

CaseInput FlagsInput(Rng& rng, size_t k) {
  CaseInput in = RandomInput(rng);
  in.regs.rflags = (in.regs.rflags & ~1ull) | (k & 1);  // carry in alternates
  return in;
}

void PatchOperand(CaseInput& in, uint64_t ea, unsigned width, uint64_t value) {
  in.mem.push_back({ea, value & WidthMask(width), width / 8});
}

}  // namespace

uint64_t OperandAddress(unsigned form) { return kBaseValue + 0x40 + 16 * form + form % 3; }

void CheckBinary(DiffHarness& h, uint32_t id, unsigned w, Rng& rng, unsigned forms) {
  std::vector<uint64_t> vals = EdgeValues(w, rng);
  const size_t n = vals.size();
  if (forms & kFormRR) {
    auto pairs = RegPairs(w);
    for (size_t p = 0; p < pairs.size(); p++) {
      auto [d, s] = pairs[p];
      std::vector<CaseInput> inputs;
      for (size_t k = p; k < n * n; k += pairs.size()) {
        CaseInput in = FlagsInput(rng, k / n + k);
        SetReg(in, s.idx, w, vals[k % n], s.high);
        SetReg(in, d.idx, w, vals[k / n], d.high);
        inputs.push_back(in);
      }
      RunAll(
          h, [&](Asm& a) { a.emit(id, Reg(d.idx, w, d.high), Reg(s.idx, w, s.high)); }, inputs);
    }
    std::vector<CaseInput> same;  // dst == src
    for (size_t k = 0; k < n; k++) {
      CaseInput in = FlagsInput(rng, k);
      SetReg(in, 1, w, vals[k]);
      same.push_back(in);
    }
    RunAll(
        h, [&](Asm& a) { a.emit(id, Reg(1, w), Reg(1, w)); }, same);
  }
  for (unsigned mf : {unsigned{kFormRM}, unsigned{kFormMR}}) {
    if (!(forms & mf)) continue;
    for (unsigned f = 0; f < kMemForms; f++) {
      uint64_t ea = OperandAddress(f);
      std::vector<CaseInput> inputs;
      for (size_t k = f; k < n * n; k += kMemForms) {
        CaseInput in = FlagsInput(rng, k / n + k);
        SetReg(in, 2, w, mf == kFormRM ? vals[k / n] : vals[k % n]);
        PatchOperand(in, ea, w, mf == kFormRM ? vals[k % n] : vals[k / n]);
        inputs.push_back(in);
      }
      RunAll(
          h,
          [&](Asm& a) {
            if (mf == kFormRM)
              a.emit(id, Reg(2, w), MemAt(ea, w, f));
            else
              a.emit(id, MemAt(ea, w, f), Reg(2, w));
          },
          inputs);
    }
  }
  for (unsigned mf : {unsigned{kFormRI}, unsigned{kFormMI}}) {
    if (!(forms & mf)) continue;
    std::vector<int64_t> imms = ImmValues(w, rng);
    for (size_t i = 0; i < imms.size(); i++) {
      unsigned f = static_cast<unsigned>(i % kMemForms);
      uint64_t ea = OperandAddress(f);
      bool high = w == 8 && i % 3 == 1;
      std::vector<CaseInput> inputs;
      for (size_t k = 0; k < n; k++) {
        CaseInput in = FlagsInput(rng, k + i);
        if (mf == kFormRI)
          SetReg(in, 3, w, vals[k], high);
        else
          PatchOperand(in, ea, w, vals[k]);
        inputs.push_back(in);
      }
      RunAll(
          h,
          [&](Asm& a) {
            if (mf == kFormRI)
              a.emit(id, Reg(3, w, high), asmjit::Imm(imms[i]));
            else
              a.emit(id, MemAt(ea, w, f), asmjit::Imm(imms[i]));
          },
          inputs);
    }
  }
}

void CheckUnary(DiffHarness& h, uint32_t id, unsigned w, Rng& rng) {
  std::vector<uint64_t> vals = EdgeValues(w, rng);
  for (unsigned form = 0; form < 4; form++) {
    uint64_t ea = OperandAddress(form);
    std::vector<CaseInput> inputs;
    for (size_t k = 0; k < 2 * vals.size(); k++) {
      CaseInput in = FlagsInput(rng, k);
      uint64_t v = vals[k / 2];
      if (form == 0)
        SetReg(in, 0, w, v);
      else if (form == 1)
        SetReg(in, w == 8 ? 3 : 9, w, v, w == 8);
      else
        PatchOperand(in, ea, w, v);
      inputs.push_back(in);
    }
    RunAll(
        h,
        [&](Asm& a) {
          if (form == 0)
            a.emit(id, Reg(0, w));
          else if (form == 1)
            a.emit(id, Reg(w == 8 ? 3 : 9, w, w == 8));
          else
            a.emit(id, MemAt(ea, w, form + 1));
        },
        inputs);
  }
}

void CheckShift(DiffHarness& h, uint32_t id, unsigned w, Rng& rng) {
  std::vector<uint64_t> vals = EdgeValues(w, rng);
  std::vector<uint64_t> counts = CountValues(w, rng);
  for (bool mem : {false, true}) {
    uint64_t ea = OperandAddress(mem ? 2 : 0);
    auto dst = [&]() -> asmjit::Operand {
      if (mem) return MemAt(ea, w, 2);
      return Reg(w == 8 ? 0 : 6, w, w == 8);
    };
    auto value_input = [&](size_t k, uint64_t v) {
      CaseInput in = FlagsInput(rng, k);
      if (mem)
        PatchOperand(in, ea, w, v);
      else
        SetReg(in, w == 8 ? 0 : 6, w, v, w == 8);
      return in;
    };
    std::vector<CaseInput> inputs;
    for (size_t k = 0; k < 2 * vals.size(); k++) inputs.push_back(value_input(k, vals[k / 2]));
    RunAll(
        h, [&](Asm& a) { a.emit(id, dst(), asmjit::Imm(1)); }, inputs);  // D0/D1 form
    for (uint64_t c : counts) {
      inputs.clear();
      for (size_t k = 0; k < vals.size(); k++) inputs.push_back(value_input(k, vals[k]));
      RunAll(
          h, [&](Asm& a) { a.emit(id, dst(), asmjit::Imm(c)); }, inputs);
    }
    inputs.clear();
    for (size_t k = 0; k < vals.size() * counts.size(); k++) {
      CaseInput in = value_input(k / counts.size() + k, vals[k / counts.size()]);
      SetReg(in, 1, 8, counts[k % counts.size()]);
      inputs.push_back(in);
    }
    RunAll(
        h, [&](Asm& a) { a.emit(id, dst(), asmjit::x86::cl); }, inputs);
  }
}

void CheckDoubleShift(DiffHarness& h, uint32_t id, unsigned w, Rng& rng) {
  std::vector<uint64_t> vals = EdgeValues(w, rng);
  std::vector<uint64_t> counts = CountValues(w, rng);
  // Counts above the operand size leave 16-bit results undefined; keep to defined ones.
  if (w == 16) counts = {0, 1, 8, 15, 16, 32, 48, 63};
  const size_t n = vals.size();
  for (bool mem : {false, true}) {
    uint64_t ea = OperandAddress(4);
    auto dst = [&]() -> asmjit::Operand {
      if (mem) return MemAt(ea, w, 4);
      return Reg(0, w);
    };
    auto pair_input = [&](size_t k) {
      CaseInput in = FlagsInput(rng, k);
      uint64_t dv = vals[(k * 7) % n], sv = vals[k % n];
      if (mem)
        PatchOperand(in, ea, w, dv);
      else
        SetReg(in, 0, w, dv);
      SetReg(in, 3, w, sv);
      return in;
    };
    for (uint64_t c : counts) {
      std::vector<CaseInput> inputs;
      for (size_t k = 0; k < n; k++) inputs.push_back(pair_input(k + c));
      RunAll(
          h, [&](Asm& a) { a.emit(id, dst(), Reg(3, w), asmjit::Imm(c)); }, inputs);
    }
    std::vector<CaseInput> inputs;
    for (size_t k = 0; k < n * counts.size(); k++) {
      CaseInput in = pair_input(k / counts.size() + k);
      SetReg(in, 1, 8, counts[k % counts.size()]);
      inputs.push_back(in);
    }
    RunAll(
        h, [&](Asm& a) { a.emit(id, dst(), Reg(3, w), asmjit::x86::cl); }, inputs);
  }
}

}  // namespace doppel::test
