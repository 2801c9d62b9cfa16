// tests/ir/ir_test.cpp: emitter, printer and verifier.
#include <gtest/gtest.h>

#include "ir/emitter.h"

namespace doppel::ir {
namespace {

TEST(Ir, EmitterBuildsVerifiedBlock) {
  Block b;
  Emitter e(b);
  e.SetGuestPc(0x1000);
  Value a = e.GetReg(Type::kI64, 0);
  Value c = e.Const(Type::kI64, 5);
  Value s = e.Add(a, c);
  e.SetFlags(kArithFlags, e.FlagsAdd(a, c));
  e.SetReg(0, s);
  e.Link(0x1004);
  EXPECT_EQ(Verify(b), "");
  std::string text = Print(b);
  EXPECT_NE(text.find("Add v0, v1"), std::string::npos) << text;
  EXPECT_NE(text.find("link 0x1004"), std::string::npos) << text;
}

TEST(Ir, VerifierRejectsTypeMismatch) {
  Block b;
  Emitter e(b);
  Value a = e.GetReg(Type::kI64, 0);
  Value c = e.Const(Type::kI32, 5);
  e.Emit(Opcode::kAdd, Type::kI64, a, c);
  e.Link(0);
  EXPECT_NE(Verify(b), "");
}

TEST(Ir, VerifierRejectsMissingTerminalAndForwardUse) {
  Block b;
  Emitter e(b);
  e.GetReg(Type::kI64, 0);
  EXPECT_EQ(Verify(b), "block has no terminal");
  b.insts[0].op = Opcode::kAdd;
  b.insts[0].args[0] = 0;
  b.insts[0].args[1] = 0;
  e.Link(0);
  EXPECT_NE(Verify(b), "");
}

}  // namespace
}  // namespace doppel::ir
