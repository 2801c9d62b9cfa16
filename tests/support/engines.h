// tests/support/engines.h: the engines a test runs under in this build (the JIT ones only when
// the JIT is compiled in).
#pragma once
#include <vector>

#include "runtime/machine.h"

namespace doppel::test {

inline std::vector<Engine> AllEngines() {
  if (JitAvailable()) return {Engine::kInterp, Engine::kJit, Engine::kCompare};
  return {Engine::kInterp};
}

inline std::string EngineTestName(const testing::TestParamInfo<Engine>& info) {
  return EngineName(info.param);
}

}  // namespace doppel::test
