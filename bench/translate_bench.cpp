// bench/translate_bench.cpp: translation cost per guest instruction, stage by stage: Zydis
// decode, decode + IR, + passes, + JIT emission.
#include <Zydis/Zydis.h>
#include <benchmark/benchmark.h>

#include <cstring>

#include "frontend/x86/translate.h"
#include "ir/opt/passes.h"
#include "runtime/machine.h"
#if DOPPEL_HAVE_JIT
#include "backend/x64/jit.h"
#endif

namespace {

// 20 typical integer instructions (loads, stores, ALU, shifts, lea, imul, movzx), no branch.
const uint8_t kSequence[] = {
    0x48, 0x8b, 0x47, 0x08, 0x48, 0x01, 0xd8, 0x48, 0x89, 0x47, 0x10, 0x48, 0x8d, 0x4c, 0x98,
    0x0c, 0x31, 0xd2, 0x48, 0x83, 0xe9, 0x07, 0x81, 0xe1, 0xff, 0x00, 0x00, 0x00, 0x48, 0x09,
    0xca, 0x48, 0xc1, 0xe2, 0x03, 0x48, 0x39, 0xf2, 0x4c, 0x8b, 0x04, 0xce, 0x4d, 0x0f, 0xaf,
    0xc1, 0x4d, 0x01, 0xc2, 0x0f, 0xb6, 0x04, 0x0f, 0x49, 0xff, 0xc3, 0x85, 0xc0, 0x4c, 0x89,
    0x5c, 0x24, 0xf8, 0x49, 0xc1, 0xfa, 0x02, 0x4c, 0x31, 0xd0, 0x48, 0x89, 0xc3};
constexpr int kSequenceInsns = 20;

class BufferReader : public doppel::frontend::CodeReader {
 public:
  size_t Fetch(uint64_t pc, uint8_t* buf, size_t n) override {
    if (pc >= sizeof kSequence) return 0;
    size_t got = std::min(n, sizeof kSequence - pc);
    memcpy(buf, kSequence + pc, got);
    return got;
  }
};

void BM_Decode(benchmark::State& state) {
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  for (auto _ : state) {
    size_t off = 0;
    while (off < sizeof kSequence) {
      ZydisDecoderDecodeFull(&dec, kSequence + off, sizeof kSequence - off, &insn, ops);
      off += insn.length;
    }
    benchmark::DoNotOptimize(insn);
  }
  state.SetItemsProcessed(state.iterations() * kSequenceInsns);
}
BENCHMARK(BM_Decode);

void BM_DecodeAndTranslate(benchmark::State& state) {
  BufferReader reader;
  for (auto _ : state) {
    doppel::ir::Block b;
    doppel::frontend::TranslateBlock(0, 0, reader, {}, b);
    benchmark::DoNotOptimize(b.insts.data());
  }
  state.SetItemsProcessed(state.iterations() * kSequenceInsns);
}
BENCHMARK(BM_DecodeAndTranslate);

void BM_DecodeTranslateOptimize(benchmark::State& state) {
  BufferReader reader;
  for (auto _ : state) {
    doppel::ir::Block b;
    doppel::frontend::TranslateBlock(0, 0, reader, {}, b);
    doppel::ir::opt::Optimize(b);
    benchmark::DoNotOptimize(b.insts.data());
  }
  state.SetItemsProcessed(state.iterations() * kSequenceInsns);
}
BENCHMARK(BM_DecodeTranslateOptimize);

#if DOPPEL_HAVE_JIT
void BM_FullTranslationWithJit(benchmark::State& state) {
  BufferReader reader;
  doppel::backend::Helpers helpers{};
  doppel::x64::Jit jit(helpers, 256u << 20);
  for (auto _ : state) {
    doppel::ir::Block b;
    doppel::frontend::TranslateBlock(0, 0, reader, {}, b);
    doppel::ir::opt::Optimize(b);
    auto compiled = jit.Compile(b, nullptr, {});
    if (!compiled) {
      jit.Reset();
      compiled = jit.Compile(b, nullptr, {});
    }
    benchmark::DoNotOptimize(compiled->entry);
  }
  state.SetItemsProcessed(state.iterations() * kSequenceInsns);
}
BENCHMARK(BM_FullTranslationWithJit);
#endif

}  // namespace
