// tests/support/diff_harness.h: runs one guest instruction sequence natively and under a doppel
// engine, compares registers, defined flags and data memory, and explains any difference.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/machine.h"
#include "tests/support/native_runner.h"

namespace doppel::test {

struct MemPatch {
  uint64_t addr = 0;
  uint64_t value = 0;
  unsigned size = 8;  // bytes, little endian
};

// Inputs of one case: registers and flags (regs.rip is ignored: runs start at kCodeAddr) and
// bytes written over the seeded data pattern.
struct CaseInput {
  RegState regs;
  std::vector<MemPatch> mem;
};

// Flag effect of one instruction, from Zydis (bits as in RFLAGS).
struct FlagEffect {
  uint32_t tested = 0;
  uint32_t defined = 0;  // modified, set to 0 or set to 1
  uint32_t undefined = 0;
  bool conditional = false;  // count/rep dependent: may leave all flags unchanged
  bool no_effect = false;    // immediate count that masks to 0
  unsigned length = 0;       // instruction length; 0 when undecodable
};
// `bits` is the code size (64 or 32) here and below.
FlagEffect FlagEffectOf(const uint8_t* bytes, size_t size, unsigned bits = 64);
// Undefined flags after the instruction given those before it.
uint32_t ApplyFlagEffect(const FlagEffect& e, uint32_t undefined_before);

// The decoded sequence with, for each instruction boundary (and END), the flags that may be
// architecturally undefined there on some path.
struct SequenceInfo {
  std::vector<uint64_t> addrs;
  std::vector<std::string> text;
  std::map<uint64_t, uint32_t> undefined_at;
  std::string error;  // undecodable bytes or a flag read while undefined
  std::string Listing() const;
  uint32_t UndefinedAt(uint64_t pc) const;
};
SequenceInfo AnalyzeSequence(const std::vector<uint8_t>& code, uint64_t base, unsigned bits = 64);
std::string DisassembleOne(const uint8_t* bytes, size_t size, uint64_t pc, unsigned bits = 64);

class DiffHarness {
 public:
  // `bits` 32: the sequences are 32-bit code, run natively in compatibility mode and in doppel
  // with MachineConfig::mode kMode32; EAX..EDI (inputs zero-extended), XMM0..7 and the rest are
  // compared.
  explicit DiffHarness(Engine engine, unsigned bits = 64);
  ~DiffHarness();

  // Installs a new sequence natively and in doppel (the old translations are flushed).
  void SetCode(const std::vector<uint8_t>& code);
  // Runs the current sequence on `in` both ways; "" when they agree, else a readable report.
  std::string RunCase(const CaseInput& in);
  // RunCase, counting and keeping the first few reports for Summary().
  void Check(const CaseInput& in);

  bool ok() const { return failures_ == 0; }
  uint64_t cases() const { return cases_; }
  uint64_t failures() const { return failures_; }
  std::string Summary() const;
  const SequenceInfo& info() const { return info_; }
  Engine engine() const { return engine_; }

  // Compares the status flags Zydis calls undefined too: for instructions whose undefined flags
  // doppel reproduces as the host sets them.
  bool compare_undefined_flags = false;

  // Self-test hook: applied to the native result before comparing.
  std::function<void(NativeResult&, std::vector<uint8_t>&)> corrupt_native;

  static const std::vector<uint8_t>& InitialData();
  // Instructions doppel raised #UD on though the host ran them, over the whole process.
  static std::set<std::string>& Untranslated();

 private:
  Engine engine_;
  unsigned bits_;
  std::unique_ptr<Machine> machine_;
  std::vector<uint8_t> code_;
  SequenceInfo info_;
  uint64_t end_ = 0;
  bool doppel_data_dirty_ = true;
  uint64_t cases_ = 0;
  uint64_t failures_ = 0;
  std::vector<std::string> reports_;
};

}  // namespace doppel::test
