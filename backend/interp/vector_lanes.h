// backend/interp/vector_lanes.h: the 16-byte vector value and lane helpers shared by the
// interpreter's vector semantics (vector.cpp: SSE/SSE2 and FP, vector_ext.cpp: SSSE3..SSE4.2
// integer and string operations). Private to backend/interp.
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>

#include "ir/vector.h"

namespace doppel::interp {

struct Vec {
  uint8_t b[16];
  template <typename T>
  T Get(unsigned i) const {
    T v;
    memcpy(&v, b + i * sizeof(T), sizeof(T));
    return v;
  }
  template <typename T>
  void Set(unsigned i, T v) {
    memcpy(b + i * sizeof(T), &v, sizeof(T));
  }
};

template <typename T, typename F>
Vec Lanes(const Vec& d, const Vec& s, F f) {
  Vec r;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i)
    r.Set<T>(i, static_cast<T>(f(d.Get<T>(i), s.Get<T>(i))));
  return r;
}

template <typename T>
T Saturate(int64_t v) {
  if (v < std::numeric_limits<T>::min()) return std::numeric_limits<T>::min();
  if (v > std::numeric_limits<T>::max()) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

// The SSSE3/SSE4.1/SSE4.2 integer vecops (vector_ext.cpp): *out = op(d, s[, imm8]) with `mask`
// the implicit XMM0 of the blendv forms. False when `op` is not one of them.
bool ExtIntOp(ir::VecOp op, const Vec& d, const Vec& s, uint8_t imm, const Vec& mask, Vec* out);

// pcmp[ei]str[im] (vector_ext.cpp): the RFLAGS image | index << 32; the mask forms set *mask.
// `lengths` holds the saturated explicit lengths of a (low half) and b (high half).
uint64_t StringCompare(ir::VecOp op, const Vec& a, const Vec& b, uint8_t imm, uint64_t lengths,
                       Vec* mask);

}  // namespace doppel::interp
