// tests/runtime/cpuid_test.cpp: the CPUID helper (runtime/helpers.cpp) reports exactly the
// extensions doppel implements, and, since the JIT runs them as host instructions, only ones this
// host has too.
#include <cpuid.h>
#include <gtest/gtest.h>

#include "runtime/machine_impl.h"

namespace doppel {
namespace {

struct Regs {
  uint64_t a, b, c, d;
};

Regs Query(uint32_t leaf, uint32_t subleaf) {
  CpuState s{};
  s.gpr[RAX] = leaf | 0xdead000000000000ull;  // upper halves are ignored
  s.gpr[RCX] = subleaf;
  MakeHelpers().cpuid(&s);
  return {s.gpr[RAX], s.gpr[RBX], s.gpr[RCX], s.gpr[RDX]};
}

TEST(Cpuid, ReportsImplementedExtensionsOnly) {
  EXPECT_EQ(Query(0, 0).a, 7u);  // max basic leaf
  const Regs l1 = Query(1, 0);
  const uint64_t sse3 = 1u << 0, ssse3 = 1u << 9, cx16 = 1u << 13, sse41 = 1u << 19,
                 sse42 = 1u << 20, movbe = 1u << 22, popcnt = 1u << 23;
  EXPECT_EQ(l1.c, sse3 | ssse3 | cx16 | sse41 | sse42 | movbe | popcnt);  // no MONITOR, AVX, XSAVE
  const Regs l7 = Query(7, 0);
  EXPECT_EQ(l7.a, 0u);                                  // subleaf 0 is the only one
  EXPECT_EQ(l7.b, (1u << 3) | (1u << 8) | (1u << 19));  // BMI1 BMI2 ADX; no AVX2, no ERMS
  EXPECT_EQ(l7.c | l7.d, 0u);
  const Regs l7s1 = Query(7, 1);
  EXPECT_EQ(l7s1.a | l7s1.b | l7s1.c | l7s1.d, 0u);
  for (uint32_t leaf = 2; leaf <= 6; ++leaf) {
    const Regs r = Query(leaf, 0);
    EXPECT_EQ(r.a | r.b | r.c | r.d, 0u) << "leaf " << leaf;
  }
  const Regs beyond = Query(8, 0);
  EXPECT_EQ(beyond.a | beyond.b | beyond.c | beyond.d, 0u);
}

TEST(Cpuid, ReportsNothingTheHostLacks) {
  uint32_t a, b, c, d;
  __cpuid_count(1, 0, a, b, c, d);
  const Regs l1 = Query(1, 0);
  EXPECT_EQ(l1.c & ~uint64_t{c}, 0u);
  EXPECT_EQ(l1.d & ~uint64_t{d}, 0u);
  __cpuid_count(7, 0, a, b, c, d);
  const Regs l7 = Query(7, 0);
  EXPECT_EQ(l7.b & ~uint64_t{b}, 0u);
  EXPECT_EQ(l7.c & ~uint64_t{c}, 0u);
}

}  // namespace
}  // namespace doppel
