// tests/ir/opt_test.cpp: the IR passes: constant folding, redundant guest-state access
// elimination, dead-flag elimination, dead-code elimination; each checked for what it removes
// and, through the interpreter, that the block still computes the same guest state.
#include <gtest/gtest.h>

#include "backend/interp/interp.h"
#include "ir/emitter.h"
#include "ir/opt/passes.h"

namespace doppel::ir {
namespace {

size_t Count(const Block& b, Opcode op) {
  size_t n = 0;
  for (const Inst& in : b.insts) n += in.op == op;
  return n;
}

CpuState RunBlock(const Block& b, CpuState s) {
  backend::Helpers h{};
  s.budget = 100;
  interp::Run(b, s, h);
  return s;
}

void ExpectSameState(const CpuState& a, const CpuState& b) {
  for (int i = 0; i < 16; ++i) EXPECT_EQ(a.gpr[i], b.gpr[i]) << "gpr " << i;
  EXPECT_EQ(a.rflags, b.rflags);
  EXPECT_EQ(a.rip, b.rip);
}

TEST(Opt, ConstantFoldFoldsArithmeticAndSelects) {
  Block b;
  Emitter e(b);
  Value x = e.Add(e.Const(Type::kI32, 0xfffffff0), e.Const(Type::kI32, 0x20));
  Value c = e.CmpEq(x, e.Const(Type::kI32, 0x10));
  Value r = e.Select(c, e.GetReg(Type::kI64, 1), e.Const(Type::kI64, 7));
  e.SetReg(0, r);
  e.Link(0x10);
  Block before = b;
  opt::ConstantFold(b);
  EXPECT_EQ(Verify(b), "");
  EXPECT_EQ(Count(b, Opcode::kSelect), 0u);
  EXPECT_EQ(b.insts[x].op, Opcode::kConst);
  EXPECT_EQ(b.insts[x].imm, 0x10u);  // wrapped at 32 bits
  CpuState s;
  s.gpr[1] = 1234;
  ExpectSameState(RunBlock(before, s), RunBlock(b, s));
}

TEST(Opt, ConstantFoldDropsIdentities) {
  Block b;
  Emitter e(b);
  Value x = e.GetReg(Type::kI64, 1);
  Value zero = e.Const(Type::kI64, 0);
  Value sum = e.Add(x, zero);  // a flat segment base added to an address
  Value low = e.Trunc(Type::kI32, e.Or(zero, sum));
  Value shifted = e.Shl(low, e.Const(Type::kI8, 0));
  Value keep = e.Sub(zero, x);  // 0 - x is not an identity
  e.SetReg(3, e.Xor(x, x));     // xor rbx, rbx: 0
  e.SetReg(0, e.ZExt(Type::kI64, shifted));
  e.SetReg(2, keep);
  e.Link(0x10);
  Block before = b;
  opt::ConstantFold(b);
  opt::DeadCodeElimination(b);
  EXPECT_EQ(Verify(b), "");
  EXPECT_EQ(Count(b, Opcode::kAdd), 0u);
  EXPECT_EQ(Count(b, Opcode::kOr), 0u);
  EXPECT_EQ(Count(b, Opcode::kShl), 0u);
  EXPECT_EQ(Count(b, Opcode::kSub), 1u);
  EXPECT_EQ(Count(b, Opcode::kXor), 0u);
  CpuState s;
  s.gpr[1] = 0x123456789abcdefull;
  s.gpr[3] = 5;
  ExpectSameState(RunBlock(before, s), RunBlock(b, s));
}

TEST(Opt, ForwardGuestStateReusesReadsAndDropsOverwrittenWrites) {
  Block b;
  Emitter e(b);
  Value a = e.GetReg(Type::kI64, 3);
  e.SetReg(3, e.Add(a, e.Const(Type::kI64, 1)));  // dead: overwritten below with no read between
  Value a2 = e.GetReg(Type::kI64, 3);             // forwarded from the write above
  e.SetReg(3, e.Add(a2, e.Const(Type::kI64, 2)));
  Value again = e.GetReg(Type::kI64, 5);
  Value again2 = e.GetReg(Type::kI64, 5);  // forwarded from the read above
  e.SetReg(6, e.Add(again, again2));
  e.Link(0x10);
  Block before = b;
  std::string v = opt::Optimize(b);
  EXPECT_EQ(v, "");
  EXPECT_EQ(Count(b, Opcode::kGetReg), 2u);
  EXPECT_EQ(Count(b, Opcode::kSetReg), 2u);
  CpuState s;
  s.gpr[3] = 40;
  s.gpr[5] = 21;
  ExpectSameState(RunBlock(before, s), RunBlock(b, s));
}

TEST(Opt, WritesBeforeAPossibleFaultAreKept) {
  Block b;
  Emitter e(b);
  e.SetReg(3, e.Const(Type::kI64, 1));
  e.Load(Type::kI64, e.Const(Type::kI64, 0x1000));  // may fault: RBX must be 1 then
  e.SetReg(3, e.Const(Type::kI64, 2));
  e.Link(0x10);
  opt::Optimize(b);
  EXPECT_EQ(Count(b, Opcode::kSetReg), 2u);
}

TEST(Opt, DeadFlagsAreNarrowedAndRemoved) {
  Block b;
  Emitter e(b);
  Value a = e.GetReg(Type::kI64, 0);
  Value one = e.Const(Type::kI64, 1);
  e.SetFlags(kArithFlags, e.FlagsAdd(a, one));    // fully overwritten below
  e.SetFlags(kArithFlags & ~kCF, e.FlagsInc(a));  // CF stays live from... nothing
  e.SetFlags(kArithFlags, e.FlagsSub(a, one));
  e.Link(0x10);
  Block before = b;
  opt::Optimize(b);
  EXPECT_EQ(Count(b, Opcode::kSetFlags), 1u);
  EXPECT_EQ(Count(b, Opcode::kFlagsAdd), 0u);
  EXPECT_EQ(Count(b, Opcode::kFlagsInc), 0u);
  CpuState s;
  s.gpr[0] = 0x7fffffffffffffff;
  ExpectSameState(RunBlock(before, s), RunBlock(b, s));
}

TEST(Opt, PartialFlagWriteKeepsTheLiveBitsOfTheEarlierOne) {
  Block b;
  Emitter e(b);
  Value a = e.GetReg(Type::kI8, 0);
  e.SetFlags(kArithFlags, e.FlagsAdd(a, e.Const(Type::kI8, 0xff)));  // CF survives the inc
  e.SetFlags(kArithFlags & ~kCF, e.FlagsInc(a));
  e.Link(0x10);
  Block before = b;
  opt::Optimize(b);
  ASSERT_EQ(Count(b, Opcode::kSetFlags), 2u);
  for (const Inst& in : b.insts) {
    if (in.op == Opcode::kSetFlags && b.insts[in.args[0]].op == Opcode::kFlagsAdd) {
      EXPECT_EQ(in.imm, kCF);
    }
  }
  CpuState s;
  s.gpr[0] = 0x80;
  ExpectSameState(RunBlock(before, s), RunBlock(b, s));
}

TEST(Opt, ConditionReadsTheFlagImageDirectly) {
  Block b;
  Emitter e(b);
  Value a = e.GetReg(Type::kI64, 0);
  Value img = e.FlagsSub(a, e.Const(Type::kI64, 5));
  e.SetFlags(kArithFlags, img);
  Value c = e.Cond(12);  // jl
  e.CondLink(c, 0x20, 0x30);
  opt::Optimize(b);
  EXPECT_EQ(b.insts[b.term.value].args[0], img);
  EXPECT_EQ(Count(b, Opcode::kGetFlags), 0u);
}

TEST(Opt, DeadCodeKeepsSideEffects) {
  Block b;
  Emitter e(b);
  e.Add(e.GetReg(Type::kI64, 0), e.Const(Type::kI64, 1));  // unused
  e.Store(e.Const(Type::kI64, 0x1000), e.Const(Type::kI32, 3));
  e.Link(0x10);
  opt::DeadCodeElimination(b);
  EXPECT_EQ(Count(b, Opcode::kAdd), 0u);
  EXPECT_EQ(Count(b, Opcode::kGetReg), 0u);
  EXPECT_EQ(Count(b, Opcode::kStore), 1u);
}

}  // namespace
}  // namespace doppel::ir
