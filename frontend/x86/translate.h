// frontend/x86/translate.h: guest x86 decode (Zydis) and translation of one block into IR.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ir/ir.h"

namespace doppel::frontend {

// The guest mode a block is translated for, stored in ir::Block::mode: the code size in the low
// bits, then what system mode adds (process mode uses only the code size).
enum ModeBits : uint32_t {
  kMode64 = 0,
  kMode32 = 1,
  kMode16 = 2,
  kModeSizeMask = 3,
  kModeSystem = 1 << 2,     // privileged instructions are emulated (else they raise #GP)
  kModeStackFlip = 1 << 3,  // the stack size differs from the code size (SS.B != CS.D)
  kModeReal = 1 << 4,       // real mode: segment loads set base = selector << 4
  kModeCplShift = 5,        // current privilege level, bits 5..6
  kModeCplMask = 3u << kModeCplShift,
  // CR0.TS / CR0.EM / CR0.MP: x87, MMX and SSE instructions raise #NM (or #UD) as the SDM says.
  kModeTs = 1 << 7,
  kModeEm = 1 << 8,
  kModeMp = 1 << 9,
  // Bit kModeSegCheckShift + n is set when segment n (ES CS SS DS FS GS) is not flat (present,
  // 4 GiB expand-up, writable data or readable code; in real mode: a 4 GiB limit): every access
  // through it is checked against its limit and type. 64-bit code checks nothing.
  kModeSegCheckShift = 10,
  kModeSegCheckMask = 0x3fu << kModeSegCheckShift,
};
inline unsigned ModeCpl(uint32_t mode) { return (mode & kModeCplMask) >> kModeCplShift; }

class CodeReader {
 public:
  virtual ~CodeReader() = default;
  // Copies up to n code bytes at linear address pc into buf; returns how many are readable (0:
  // none).
  virtual size_t Fetch(uint64_t pc, uint8_t* buf, size_t n) = 0;
};

struct TranslateOptions {
  unsigned max_insns = 64;
  uint64_t stop_before = ~0ull;  // a block never contains this PC except as its first instruction
  uint64_t code_base = 0;  // CS base: code is fetched at code_base + PC, pages are linear pages
  uint64_t code_limit = ~0ull;  // CS limit: an instruction reaching past it is #GP(0)
};

// Decodes from pc until a control transfer, a sensitive instruction, a page boundary or the
// length cap and appends the IR (with its terminal) to `out`.
void TranslateBlock(uint64_t pc, uint32_t mode, CodeReader& code, const TranslateOptions& opts,
                    ir::Block& out);

}  // namespace doppel::frontend
