// tests/support/native_runner.h: runs a guest x86-64 instruction sequence natively on the host at
// fixed addresses (the oracle of the differential tests), capturing registers, flags and faults.
#pragma once
#include <asmjit/x86.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace doppel::test {

// Guest layout, identical natively and in doppel. All addresses are below 2 GiB so the code can
// reach the data with disp32 absolute and RIP-relative operands, and so 32-bit code (run natively
// in compatibility mode) sees the same layout.
constexpr uint64_t kDataAddr = 0x10000000;
constexpr uint64_t kDataSize = 0x4000;
constexpr uint64_t kStackInit = kDataAddr + kDataSize / 2;
constexpr uint64_t kCodeAddr = 0x20000000;
constexpr uint64_t kCodeSize = 0x4000;  // the sequence plus the native epilogue
// Never mapped in doppel; reserved PROT_NONE natively so accesses fault (#PF) on both sides.
constexpr uint64_t kUnmappedAddr = 0x30000000;

// The architectural flags the harness feeds in and compares: CF PF AF ZF SF OF and DF.
constexpr uint64_t kStatusFlags = 0x8D5;
constexpr uint64_t kFlagDF = 0x400;
constexpr uint64_t kComparedFlags = kStatusFlags | kFlagDF;

struct RegState {
  uint64_t gpr[16] = {};  // RAX..R15 order
  uint64_t rflags = 0x2;
  uint64_t rip = 0;
  alignas(16) uint8_t xmm[16][16] = {};  // XMM0..15, fed in and compared
  uint32_t mxcsr = 0x1f80;
};

// The x87 state the harness compares: words, abridged tags (bit i: physical register i in use)
// and the registers in stack order ST(0)..ST(7). Runs start from the FNINIT state.
struct X87Snapshot {
  uint16_t fcw = 0x037F;
  uint16_t fsw = 0;
  uint8_t ftw = 0;
  uint8_t st[8][10] = {};
};
// From a 108-byte FNSAVE image.
X87Snapshot X87FromFnsave(const uint8_t* image);

struct NativeResult {
  RegState regs;  // at the end of the sequence, or at the faulting instruction
  bool faulted = false;
  int signo = 0;
  int si_code = 0;
  uint32_t vector = 0;  // the x86 exception the signal stands for (0 #DE, 6 #UD, 13 #GP, 14 #PF)
  uint64_t fault_addr = 0;
  X87Snapshot x87;  // at the end, or at the fault (from the signal frame)
};

// Owns the fixed native mappings and the entry trampoline; one per process.
class NativeRunner {
 public:
  static NativeRunner& Get();

  // Copies the sequence to kCodeAddr followed by the epilogue; returns END (= kCodeAddr + size).
  // `bits` 32 runs the sequence as 32-bit code: the host thread far-jumps into compatibility
  // mode (Linux's __USER32_CS 0x23, with DS/ES/SS the flat __USER_DS 0x2b) and back to 0x33.
  uint64_t SetCode(const std::vector<uint8_t>& code, unsigned bits = 64);
  // The epilogue bytes placed at `end` (doppel gets the same bytes, though it stops before them).
  static std::vector<uint8_t> Epilogue(uint64_t end, unsigned bits = 64);
  // Copies `data` (kDataSize bytes) into the data region, runs from kCodeAddr with `in` (RIP
  // ignored; only CF PF AF ZF SF OF DF of rflags are used) and copies the region back to `data`.
  // 32-bit runs: the upper halves of RAX..RDI after the run are zero (only EAX..EDI are kept).
  NativeResult Run(const RegState& in, uint8_t* data);

 private:
  NativeRunner();
  uint64_t end_ = 0;
  unsigned bits_ = 64;
  uint64_t entry32_ = 0;
};

// Assembles `body` for the host (or, with bits 32, for IA-32) at `base` and returns the
// relocated bytes.
std::vector<uint8_t> AssembleAt(uint64_t base,
                                const std::function<void(asmjit::x86::Assembler&)>& body,
                                unsigned bits = 64);

// Names the set status flags and DF, e.g. "CF ZF DF".
std::string FlagNames(uint64_t rflags);

}  // namespace doppel::test
