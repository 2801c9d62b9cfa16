// backend/interp/vector_ext.cpp: portable reference semantics of the SSE3/SSSE3/SSE4.1/SSE4.2
// integer vecops (shuffles, horizontal and saturating arithmetic, blends, min/max, extensions,
// pmovsx/zx, mpsadbw, phminposuw) and of the SSE4.2 string compares (pcmp[ei]str[im]), lane by
// lane as the Intel SDM describes them.
#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "backend/interp/vector_lanes.h"
#include "ir/ir.h"

namespace doppel::interp {

namespace {

using ir::VecOp;
using i8 = int8_t;
using u8 = uint8_t;
using i16 = int16_t;
using u16 = uint16_t;
using i32 = int32_t;
using u32 = uint32_t;
using i64 = int64_t;
using u64 = uint64_t;

// phadd/phsub: the pairs of d, then the pairs of s.
template <typename T, typename F>
Vec Horizontal(const Vec& d, const Vec& s, F f) {
  Vec r;
  constexpr unsigned half = 8 / sizeof(T);
  for (unsigned i = 0; i < half; ++i) {
    r.Set<T>(i, static_cast<T>(f(d.Get<T>(2 * i), d.Get<T>(2 * i + 1))));
    r.Set<T>(half + i, static_cast<T>(f(s.Get<T>(2 * i), s.Get<T>(2 * i + 1))));
  }
  return r;
}

template <typename T>
Vec Sign(const Vec& d, const Vec& s) {
  return Lanes<T>(d, s, [](T a, T b) {
    using U = std::make_unsigned_t<T>;
    if (b < 0) return static_cast<T>(U{0} - static_cast<U>(a));  // -MIN stays MIN
    return b == 0 ? T{0} : a;
  });
}

template <typename T>
Vec Abs(const Vec& s) {
  using U = std::make_unsigned_t<T>;
  return Lanes<T>(s, s, [](T a, T) {
    return static_cast<T>(a < 0 ? U{0} - static_cast<U>(a) : static_cast<U>(a));
  });
}

// pmovsx/pmovzx: the low lanes of s, From widened to To.
template <typename From, typename To>
Vec Extend(const Vec& s) {
  Vec r;
  for (unsigned i = 0; i < 16 / sizeof(To); ++i) r.Set<To>(i, static_cast<To>(s.Get<From>(i)));
  return r;
}

// Blend lanes of T: s where `pick(i)`, else d.
template <typename T, typename P>
Vec Blend(const Vec& d, const Vec& s, P pick) {
  Vec r = d;
  for (unsigned i = 0; i < 16 / sizeof(T); ++i)
    if (pick(i)) r.Set<T>(i, s.Get<T>(i));
  return r;
}

}  // namespace

// RCP/RSQRT approximations: their exact bits differ between CPU models, so the reference is the
// host's instruction (like the x87, this part of the interpreter needs an x86 host).
Vec Approximate(VecOp op, const Vec& d, const Vec& s) {
  __m128 dv, sv;
  memcpy(&dv, d.b, 16);
  memcpy(&sv, s.b, 16);
  __m128 rv;
  switch (op) {
    case VecOp::kRcpps: rv = _mm_rcp_ps(sv); break;
    case VecOp::kRsqrtps: rv = _mm_rsqrt_ps(sv); break;
    case VecOp::kRcpss: rv = _mm_move_ss(dv, _mm_rcp_ss(sv)); break;
    default: rv = _mm_move_ss(dv, _mm_rsqrt_ss(sv)); break;
  }
  Vec r;
  memcpy(r.b, &rv, 16);
  return r;
}

bool ExtIntOp(VecOp op, const Vec& d, const Vec& s, uint8_t imm, const Vec& mask, Vec* out) {
  Vec r = d;
  switch (op) {
    case VecOp::kRcpps:
    case VecOp::kRcpss:
    case VecOp::kRsqrtps:
    case VecOp::kRsqrtss: r = Approximate(op, d, s); break;
    // --- SSE3 moves ---
    case VecOp::kMovddup:
      r.Set<u64>(0, s.Get<u64>(0));
      r.Set<u64>(1, s.Get<u64>(0));
      break;
    case VecOp::kMovshdup:
    case VecOp::kMovsldup: {
      unsigned odd = op == VecOp::kMovshdup ? 1 : 0;
      for (unsigned i = 0; i < 4; ++i) r.Set<u32>(i, s.Get<u32>((i & ~1u) + odd));
      break;
    }
    // --- SSSE3 ---
    case VecOp::kPabsb: r = Abs<i8>(s); break;
    case VecOp::kPabsw: r = Abs<i16>(s); break;
    case VecOp::kPabsd: r = Abs<i32>(s); break;
    case VecOp::kPalignr:
      // (d:s) as 32 bytes, shifted right by imm bytes; bytes past the pair are zero.
      for (unsigned i = 0; i < 16; ++i) {
        unsigned k = i + imm;
        r.b[i] = k < 16 ? s.b[k] : k < 32 ? d.b[k - 16] : 0;
      }
      break;
    case VecOp::kPhaddw: r = Horizontal<u16>(d, s, [](u16 a, u16 b) { return a + b; }); break;
    case VecOp::kPhaddd: r = Horizontal<u32>(d, s, [](u32 a, u32 b) { return a + b; }); break;
    case VecOp::kPhaddsw:
      r = Horizontal<i16>(d, s, [](i16 a, i16 b) { return Saturate<i16>(a + b); });
      break;
    case VecOp::kPhsubw: r = Horizontal<u16>(d, s, [](u16 a, u16 b) { return a - b; }); break;
    case VecOp::kPhsubd: r = Horizontal<u32>(d, s, [](u32 a, u32 b) { return a - b; }); break;
    case VecOp::kPhsubsw:
      r = Horizontal<i16>(d, s, [](i16 a, i16 b) { return Saturate<i16>(a - b); });
      break;
    case VecOp::kPmaddubsw:
      // Unsigned bytes of d times signed bytes of s, adjacent pairs summed with saturation.
      for (unsigned i = 0; i < 8; ++i) {
        int32_t lo = d.Get<u8>(2 * i) * s.Get<i8>(2 * i);
        int32_t hi = d.Get<u8>(2 * i + 1) * s.Get<i8>(2 * i + 1);
        r.Set<i16>(i, Saturate<i16>(lo + hi));
      }
      break;
    case VecOp::kPmulhrsw:
      r = Lanes<i16>(
          d, s, [](i16 a, i16 b) { return static_cast<u16>((((int32_t{a} * b) >> 14) + 1) >> 1); });
      break;
    case VecOp::kPshufb:
      for (unsigned i = 0; i < 16; ++i) r.b[i] = s.b[i] & 0x80 ? 0 : d.b[s.b[i] & 15];
      break;
    case VecOp::kPsignb: r = Sign<i8>(d, s); break;
    case VecOp::kPsignw: r = Sign<i16>(d, s); break;
    case VecOp::kPsignd: r = Sign<i32>(d, s); break;
    // --- SSE4.1 ---
    case VecOp::kBlendps: r = Blend<u32>(d, s, [&](unsigned i) { return (imm >> i) & 1; }); break;
    case VecOp::kBlendpd: r = Blend<u64>(d, s, [&](unsigned i) { return (imm >> i) & 1; }); break;
    case VecOp::kPblendw: r = Blend<u16>(d, s, [&](unsigned i) { return (imm >> i) & 1; }); break;
    case VecOp::kBlendvps:
      r = Blend<u32>(d, s, [&](unsigned i) { return mask.Get<u32>(i) >> 31; });
      break;
    case VecOp::kBlendvpd:
      r = Blend<u64>(d, s, [&](unsigned i) { return mask.Get<u64>(i) >> 63; });
      break;
    case VecOp::kPblendvb: r = Blend<u8>(d, s, [&](unsigned i) { return mask.b[i] >> 7; }); break;
    case VecOp::kInsertps:
      r.Set<u32>((imm >> 4) & 3, s.Get<u32>(imm >> 6));
      for (unsigned i = 0; i < 4; ++i)
        if ((imm >> i) & 1) r.Set<u32>(i, 0);
      break;
    case VecOp::kPmaxsb: r = Lanes<i8>(d, s, [](i8 a, i8 b) { return a > b ? a : b; }); break;
    case VecOp::kPmaxsd: r = Lanes<i32>(d, s, [](i32 a, i32 b) { return a > b ? a : b; }); break;
    case VecOp::kPmaxud: r = Lanes<u32>(d, s, [](u32 a, u32 b) { return a > b ? a : b; }); break;
    case VecOp::kPmaxuw: r = Lanes<u16>(d, s, [](u16 a, u16 b) { return a > b ? a : b; }); break;
    case VecOp::kPminsb: r = Lanes<i8>(d, s, [](i8 a, i8 b) { return a < b ? a : b; }); break;
    case VecOp::kPminsd: r = Lanes<i32>(d, s, [](i32 a, i32 b) { return a < b ? a : b; }); break;
    case VecOp::kPminud: r = Lanes<u32>(d, s, [](u32 a, u32 b) { return a < b ? a : b; }); break;
    case VecOp::kPminuw: r = Lanes<u16>(d, s, [](u16 a, u16 b) { return a < b ? a : b; }); break;
    case VecOp::kPmovsxbw: r = Extend<i8, i16>(s); break;
    case VecOp::kPmovsxbd: r = Extend<i8, i32>(s); break;
    case VecOp::kPmovsxbq: r = Extend<i8, i64>(s); break;
    case VecOp::kPmovsxwd: r = Extend<i16, i32>(s); break;
    case VecOp::kPmovsxwq: r = Extend<i16, i64>(s); break;
    case VecOp::kPmovsxdq: r = Extend<i32, i64>(s); break;
    case VecOp::kPmovzxbw: r = Extend<u8, u16>(s); break;
    case VecOp::kPmovzxbd: r = Extend<u8, u32>(s); break;
    case VecOp::kPmovzxbq: r = Extend<u8, u64>(s); break;
    case VecOp::kPmovzxwd: r = Extend<u16, u32>(s); break;
    case VecOp::kPmovzxwq: r = Extend<u16, u64>(s); break;
    case VecOp::kPmovzxdq: r = Extend<u32, u64>(s); break;
    case VecOp::kPmuldq:
      for (unsigned i = 0; i < 2; ++i) r.Set<i64>(i, i64{d.Get<i32>(2 * i)} * s.Get<i32>(2 * i));
      break;
    case VecOp::kPmulld:
      r = Lanes<u32>(d, s, [](u32 a, u32 b) { return static_cast<u32>(u64{a} * b); });
      break;
    case VecOp::kPackusdw:
      for (unsigned i = 0; i < 4; ++i) {
        r.Set<u16>(i, Saturate<u16>(d.Get<i32>(i)));
        r.Set<u16>(4 + i, Saturate<u16>(s.Get<i32>(i)));
      }
      break;
    case VecOp::kPcmpeqq:
      r = Lanes<u64>(d, s, [](u64 a, u64 b) { return a == b ? ~0ull : 0; });
      break;
    case VecOp::kPcmpgtq: r = Lanes<i64>(d, s, [](i64 a, i64 b) { return a > b ? -1 : 0; }); break;
    case VecOp::kMpsadbw: {
      // Eight sums of absolute differences of a sliding 4-byte window of d (from byte 0 or 4)
      // against the 4-byte block of s that imm[1:0] selects.
      const unsigned doff = (imm >> 2) & 1 ? 4 : 0, soff = (imm & 3) * 4;
      for (unsigned i = 0; i < 8; ++i) {
        unsigned sum = 0;
        for (unsigned j = 0; j < 4; ++j) sum += std::abs(d.b[doff + i + j] - s.b[soff + j]);
        r.Set<u16>(i, static_cast<u16>(sum));
      }
      break;
    }
    case VecOp::kPhminposuw: {
      unsigned best = 0;
      for (unsigned i = 1; i < 8; ++i)
        if (s.Get<u16>(i) < s.Get<u16>(best)) best = i;
      r = Vec{};
      r.Set<u16>(0, s.Get<u16>(best));
      r.Set<u16>(1, static_cast<u16>(best));
      break;
    }
    default: return false;
  }
  *out = r;
  return true;
}

// The SDM's pcmpXstrX pipeline: element validity from the lengths, the comparison matrix with the
// invalid-element overrides of each aggregation, aggregation into IntRes1, polarity into IntRes2,
// then the index or mask output and the flags.
uint64_t StringCompare(VecOp op, const Vec& a, const Vec& b, uint8_t imm, uint64_t lengths,
                       Vec* mask) {
  const bool words = imm & 1, is_signed = imm & 2;
  const unsigned n = words ? 8 : 16;
  auto elem = [&](const Vec& v, unsigned i) -> int32_t {
    if (words) return is_signed ? int32_t{v.Get<i16>(i)} : int32_t{v.Get<u16>(i)};
    return is_signed ? int32_t{v.Get<i8>(i)} : int32_t{v.Get<u8>(i)};
  };
  unsigned la = n, lb = n;
  if (op == VecOp::kPcmpestri || op == VecOp::kPcmpestrm) {
    la = static_cast<unsigned>(lengths & 0xffffffff);
    lb = static_cast<unsigned>(lengths >> 32);
    if (la > n) la = n;
    if (lb > n) lb = n;
  } else {
    for (unsigned i = 0; i < n; ++i)
      if (elem(a, i) == 0) {
        la = i;
        break;
      }
    for (unsigned i = 0; i < n; ++i)
      if (elem(b, i) == 0) {
        lb = i;
        break;
      }
  }
  const unsigned agg = (imm >> 2) & 3;
  // BoolRes[i][j]: a element i against b element j, with the override for invalid elements.
  auto boolres = [&](unsigned i, unsigned j) -> bool {
    const bool va = i < la, vb = j < lb;
    switch (agg) {
      case 0:  // equal any
        return va && vb && elem(a, i) == elem(b, j);
      case 1:  // ranges: a holds (low, high) pairs
        if (!va || !vb) return false;
        return i % 2 == 0 ? elem(b, j) >= elem(a, i) : elem(b, j) <= elem(a, i);
      case 2:  // equal each
        if (!va && !vb) return true;
        return va && vb && elem(a, i) == elem(b, j);
      default:  // equal ordered
        if (!va) return true;
        return vb && elem(a, i) == elem(b, j);
    }
  };
  uint32_t res1 = 0;
  for (unsigned j = 0; j < n; ++j) {
    bool bit = false;
    switch (agg) {
      case 0:
        for (unsigned i = 0; i < n && !bit; ++i) bit = boolres(i, j);
        break;
      case 1:
        for (unsigned i = 0; i + 1 < n && !bit; i += 2) bit = boolres(i, j) && boolres(i + 1, j);
        break;
      case 2: bit = boolres(j, j); break;
      default:
        bit = true;
        for (unsigned k = 0; k + j < n && bit; ++k) bit = boolres(k, j + k);
        break;
    }
    if (bit) res1 |= 1u << j;
  }
  const uint32_t all = (1u << n) - 1;
  uint32_t res2 = res1;
  switch ((imm >> 4) & 3) {
    case 1: res2 = ~res1 & all; break;
    case 3: res2 = (res1 ^ ((1u << lb) - 1)) & all; break;  // negate the valid elements only
    default: break;
  }
  uint64_t index = 0;
  if (op == VecOp::kPcmpestri || op == VecOp::kPcmpistri) {
    if (res2 == 0) {
      index = n;
    } else {
      index = (imm & 0x40) ? 31 - __builtin_clz(res2) : __builtin_ctz(res2);
    }
  } else {
    Vec m{};
    if (imm & 0x40) {
      for (unsigned j = 0; j < n; ++j) {
        if (!((res2 >> j) & 1)) continue;
        if (words) {
          m.Set<u16>(j & 7, 0xffff);  // j < 8 for words
        } else {
          m.b[j] = 0xff;
        }
      }
    } else {
      m.Set<u32>(0, res2);
    }
    *mask = m;
  }
  uint64_t flags = 0;
  if (res2 != 0) flags |= ir::kCF;
  if (lb < n) flags |= ir::kZF;
  if (la < n) flags |= ir::kSF;
  if (res2 & 1) flags |= ir::kOF;
  return flags | index << 32;
}

}  // namespace doppel::interp
