// bench/execution_bench.cpp: execution cost: dispatch of a chained vs an unchained loop, and the
// same compute loop under the interpreter and the JIT (items = guest instructions executed).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "runtime/machine.h"

namespace {

constexpr uint64_t kCode = 0x100000;
constexpr uint64_t kData = 0x200000;

// top: dec ecx ; jnz top ; hlt  -- one two-instruction block per iteration.
const uint8_t kTightLoop[] = {0xff, 0xc9, 0x75, 0xfc, 0xf4};
// A compute loop over 1024 qwords (nasm): xor ecx,ecx; top: mov rax,[rdi+rcx*8]; add rdx,rax;
// imul rdx,rdx,3; xor rdx,rcx; shr rdx,1; mov [rdi+rcx*8],rdx; inc ecx; and ecx,1023; dec esi;
// jnz top; hlt
const uint8_t kComputeLoop[] = {0x31, 0xc9, 0x48, 0x8b, 0x04, 0xcf, 0x48, 0x01, 0xc2,
                                0x48, 0x6b, 0xd2, 0x03, 0x48, 0x31, 0xca, 0x48, 0xd1,
                                0xea, 0x48, 0x89, 0x14, 0xcf, 0xff, 0xc1, 0x81, 0xe1,
                                0xff, 0x03, 0x00, 0x00, 0xff, 0xce, 0x75, 0xdf, 0xf4};
constexpr int kComputeLoopBodyInsns = 10;

std::unique_ptr<doppel::Machine> MakeMachine(doppel::Engine engine, bool chaining,
                                             const uint8_t* code, size_t n) {
  doppel::MachineConfig cfg;
  cfg.engine = engine;
  cfg.chaining = chaining;
  auto m = std::make_unique<doppel::Machine>(cfg);
  m->Map(kCode, 0x1000, doppel::kProtRWX);
  m->Map(kData, 0x10000, doppel::kProtRead | doppel::kProtWrite);
  m->WriteMemory(kCode, code, n);
  return m;
}

void RunTightLoop(benchmark::State& state, doppel::Engine engine, bool chaining) {
  auto m = MakeMachine(engine, chaining, kTightLoop, sizeof kTightLoop);
  const uint64_t iterations = 100000;
  for (auto _ : state) {
    m->cpu().rip = kCode;
    m->cpu().gpr[doppel::RCX] = iterations;
    m->Run();
  }
  state.SetItemsProcessed(state.iterations() * iterations);  // items = loop iterations (blocks)
}

void BM_DispatchInterpLinked(benchmark::State& s) {
  RunTightLoop(s, doppel::Engine::kInterp, true);
}
BENCHMARK(BM_DispatchInterpLinked);
void BM_DispatchInterpUnlinked(benchmark::State& s) {
  RunTightLoop(s, doppel::Engine::kInterp, false);
}
BENCHMARK(BM_DispatchInterpUnlinked);

void RunCompute(benchmark::State& state, doppel::Engine engine) {
  auto m = MakeMachine(engine, true, kComputeLoop, sizeof kComputeLoop);
  const uint64_t iterations = 100000;
  for (auto _ : state) {
    m->cpu().rip = kCode;
    m->cpu().gpr[doppel::RSI] = iterations;
    m->cpu().gpr[doppel::RDI] = kData;
    m->Run();
  }
  state.SetItemsProcessed(state.iterations() * iterations * kComputeLoopBodyInsns);
}

void BM_ComputeLoopInterp(benchmark::State& s) { RunCompute(s, doppel::Engine::kInterp); }
BENCHMARK(BM_ComputeLoopInterp);

#if DOPPEL_HAVE_JIT
void BM_DispatchJitChained(benchmark::State& s) { RunTightLoop(s, doppel::Engine::kJit, true); }
BENCHMARK(BM_DispatchJitChained);
void BM_DispatchJitUnchained(benchmark::State& s) { RunTightLoop(s, doppel::Engine::kJit, false); }
BENCHMARK(BM_DispatchJitUnchained);
void BM_ComputeLoopJit(benchmark::State& s) { RunCompute(s, doppel::Engine::kJit); }
BENCHMARK(BM_ComputeLoopJit);
#endif

}  // namespace

BENCHMARK_MAIN();
