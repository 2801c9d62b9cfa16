// frontend/x86/translate.h: guest x86 decode (Zydis) and translation of one block into IR.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ir/ir.h"

namespace doppel::frontend {

// Code size of the guest mode, stored in the low bits of ir::Block::mode.
enum ModeBits : uint32_t { kMode64 = 0, kMode32 = 1, kMode16 = 2, kModeSizeMask = 3 };

class CodeReader {
 public:
  virtual ~CodeReader() = default;
  // Copies up to n code bytes at guest pc into buf; returns how many are readable (0: none).
  virtual size_t Fetch(uint64_t pc, uint8_t* buf, size_t n) = 0;
};

struct TranslateOptions {
  unsigned max_insns = 64;
  uint64_t stop_before = ~0ull;  // a block never contains this PC except as its first instruction
};

// Decodes from pc until a control transfer, a sensitive instruction, a page boundary or the
// length cap and appends the IR (with its terminal) to `out`.
void TranslateBlock(uint64_t pc, uint32_t mode, CodeReader& code, const TranslateOptions& opts,
                    ir::Block& out);

}  // namespace doppel::frontend
