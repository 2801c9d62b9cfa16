// tests/fuzz/fuzz_main.cpp: the opt-in long differential fuzzer: millions of seeded random integer
// sequences run natively and under each doppel engine; stops at the first mismatch.
//   doppel_fuzz [SEED [COUNT [ENGINE [FIRST]]]]
// Defaults: seed 1, 5,000,000 sequences, every engine, starting at sequence 0.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "runtime/machine.h"
#include "tests/support/diff_harness.h"
#include "tests/support/insn_gen.h"

using namespace doppel;
using namespace doppel::test;

int main(int argc, char** argv) {
  uint64_t seed = argc > 1 ? strtoull(argv[1], nullptr, 0) : 1;
  uint64_t count = argc > 2 ? strtoull(argv[2], nullptr, 0) : 5000000;
  std::vector<Engine> engines = {Engine::kInterp};
  if (JitAvailable()) engines = {Engine::kInterp, Engine::kJit, Engine::kCompare};
  if (argc > 3) {
    std::optional<Engine> e = ParseEngine(argv[3]);
    if (!e) {
      fprintf(stderr, "unknown engine %s (interp, jit or compare)\n", argv[3]);
      return 2;
    }
    engines = {*e};
  }
  uint64_t first = argc > 4 ? strtoull(argv[4], nullptr, 0) : 0;
  std::vector<std::unique_ptr<DiffHarness>> harnesses;
  for (Engine e : engines) harnesses.push_back(std::make_unique<DiffHarness>(e));

  printf("doppel_fuzz: seed %" PRIu64 ", %" PRIu64 " sequences, %zu engine(s)\n", seed, count,
         engines.size());
  fflush(stdout);
  for (uint64_t i = first; i < count; i++) {
    // Each sequence has its own seed so a mismatch is reproducible on its own.
    uint64_t seq_seed = seed * 1000003 + i;
    Rng rng(seq_seed);
    RandomSequence seq = GenerateSequence(rng, 5, 20, 2);
    for (auto& h : harnesses) {
      h->SetCode(seq.code);
      for (const CaseInput& in : seq.inputs) {
        std::string report = h->RunCase(in);
        if (!report.empty()) {
          printf("mismatch in sequence %" PRIu64 " (reproduce: doppel_fuzz %" PRIu64 " %" PRIu64
                 " %s %" PRIu64 ")\n%s",
                 i, seed, i + 1, EngineName(h->engine()), i, report.c_str());
          return 1;
        }
      }
    }
    if ((i + 1) % 100000 == 0) {
      printf("%" PRIu64 " sequences ok\n", i + 1);
      fflush(stdout);
    }
  }
  printf("all %" PRIu64 " sequences agree\n", count);
  return 0;
}
