// frontend/x86/datamove.cpp: data movement: mov, push, pop.
#include "frontend/x86/context.h"

namespace doppel::frontend {

using ir::Type;
using ir::Value;

namespace {

void Mov(Context& c) { c.Write(0, c.ReadAs(1, c.OpType(0))); }

void Push(Context& c) {
  Type t = c.OperandType();
  Value v = c.Op(0).type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? c.ReadAs(0, t) : c.Read(0);
  c.Push(v);
}

// POP r/m: RSP is incremented before a memory destination's address is computed (SDM).
void Pop(Context& c) {
  Type t = c.OperandType();
  Value v = c.Pop(t);
  c.Write(0, v);
}

}  // namespace

void RegisterDataMove(TranslatorTable& t) {
  t.Add(ZYDIS_MNEMONIC_MOV, Mov);
  t.Add(ZYDIS_MNEMONIC_PUSH, Push);
  t.Add(ZYDIS_MNEMONIC_POP, Pop);
}

}  // namespace doppel::frontend
