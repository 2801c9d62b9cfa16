// backend/interp/vector.cpp: portable reference semantics of the SSE/SSE2 operations. Integer
// operations are computed bit-exactly lane by lane; floating point uses the host's IEEE arithmetic
// under <cfenv> (rounding mode and exception flags mapped from/to MXCSR), with x86's own rules
// layered on top: NaN propagation and the default NaN, DAZ/FTZ, the integer indefinite, MIN/MAX
// and compare semantics, and the denormal flag (which <cfenv> does not report).
#include "backend/interp/vector.h"

#include <cfenv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "backend/interp/vector_lanes.h"
#include "ir/vector.h"

namespace doppel::interp {

namespace {

using ir::VecOp;

constexpr uint32_t kIE = 1, kDE = 2, kZE = 4, kOE = 8, kUE = 16, kPE = 32;

uint8_t* Slot(CpuState& s, unsigned n) { return s.xmm[0] + 16 * n; }
Vec Read(CpuState& s, unsigned n) {
  Vec v;
  memcpy(v.b, Slot(s, n), 16);
  return v;
}
void Write(CpuState& s, unsigned n, const Vec& v) { memcpy(Slot(s, n), v.b, 16); }

// --- integer lanes -----------------------------------------------------------------------------

template <typename T>
Vec ShiftLeft(const Vec& d, uint64_t count) {
  using U = std::make_unsigned_t<T>;
  return Lanes<U>(
      d, d, [&](U a, U) { return count >= sizeof(T) * 8 ? U{0} : static_cast<U>(a << count); });
}
template <typename T>
Vec ShiftRight(const Vec& d, uint64_t count) {
  if constexpr (std::is_signed_v<T>) {
    unsigned c = count >= sizeof(T) * 8 ? sizeof(T) * 8 - 1 : static_cast<unsigned>(count);
    return Lanes<T>(d, d, [&](T a, T) { return static_cast<T>(a >> c); });
  } else {
    return Lanes<T>(
        d, d, [&](T a, T) { return count >= sizeof(T) * 8 ? T{0} : static_cast<T>(a >> count); });
  }
}

template <typename Wide, typename Narrow>
Vec Pack(const Vec& d, const Vec& s) {
  Vec r;
  constexpr unsigned n = 16 / sizeof(Wide);
  for (unsigned i = 0; i < n; ++i) {
    r.Set<Narrow>(i, Saturate<Narrow>(d.Get<Wide>(i)));
    r.Set<Narrow>(i + n, Saturate<Narrow>(s.Get<Wide>(i)));
  }
  return r;
}

template <typename T>
Vec Unpack(const Vec& d, const Vec& s, bool high) {
  Vec r;
  constexpr unsigned n = 8 / sizeof(T);
  unsigned base = high ? n : 0;
  for (unsigned i = 0; i < n; ++i) {
    r.Set<T>(2 * i, d.Get<T>(base + i));
    r.Set<T>(2 * i + 1, s.Get<T>(base + i));
  }
  return r;
}

Vec IntOp(VecOp op, const Vec& d, const Vec& s, uint8_t imm) {
  using i8 = int8_t;
  using u8 = uint8_t;
  using i16 = int16_t;
  using u16 = uint16_t;
  using i32 = int32_t;
  using u32 = uint32_t;
  using u64 = uint64_t;
  const u64 count = s.Get<u64>(0);
  Vec r = d;
  switch (op) {
    case VecOp::kPaddb: return Lanes<u8>(d, s, [](u8 a, u8 b) { return a + b; });
    case VecOp::kPaddw: return Lanes<u16>(d, s, [](u16 a, u16 b) { return a + b; });
    case VecOp::kPaddd: return Lanes<u32>(d, s, [](u32 a, u32 b) { return a + b; });
    case VecOp::kPaddq: return Lanes<u64>(d, s, [](u64 a, u64 b) { return a + b; });
    case VecOp::kPsubb: return Lanes<u8>(d, s, [](u8 a, u8 b) { return a - b; });
    case VecOp::kPsubw: return Lanes<u16>(d, s, [](u16 a, u16 b) { return a - b; });
    case VecOp::kPsubd: return Lanes<u32>(d, s, [](u32 a, u32 b) { return a - b; });
    case VecOp::kPsubq: return Lanes<u64>(d, s, [](u64 a, u64 b) { return a - b; });
    case VecOp::kPaddsb: return Lanes<i8>(d, s, [](i8 a, i8 b) { return Saturate<i8>(a + b); });
    case VecOp::kPaddsw: return Lanes<i16>(d, s, [](i16 a, i16 b) { return Saturate<i16>(a + b); });
    case VecOp::kPaddusb: return Lanes<u8>(d, s, [](u8 a, u8 b) { return Saturate<u8>(a + b); });
    case VecOp::kPaddusw:
      return Lanes<u16>(d, s, [](u16 a, u16 b) { return Saturate<u16>(a + b); });
    case VecOp::kPsubsb: return Lanes<i8>(d, s, [](i8 a, i8 b) { return Saturate<i8>(a - b); });
    case VecOp::kPsubsw: return Lanes<i16>(d, s, [](i16 a, i16 b) { return Saturate<i16>(a - b); });
    case VecOp::kPsubusb: return Lanes<u8>(d, s, [](u8 a, u8 b) { return Saturate<u8>(a - b); });
    case VecOp::kPsubusw:
      return Lanes<u16>(d, s, [](u16 a, u16 b) { return Saturate<u16>(a - b); });
    case VecOp::kPmullw:
      return Lanes<i16>(d, s, [](i16 a, i16 b) { return static_cast<u16>(a * b); });
    case VecOp::kPmulhw:
      return Lanes<i16>(d, s, [](i16 a, i16 b) { return static_cast<u16>((a * b) >> 16); });
    case VecOp::kPmulhuw: return Lanes<u16>(d, s, [](u16 a, u16 b) { return (u32{a} * b) >> 16; });
    case VecOp::kPmuludq:
      return Lanes<u64>(d, s, [](u64 a, u64 b) { return (a & 0xffffffff) * (b & 0xffffffff); });
    case VecOp::kPmaddwd:
      for (unsigned i = 0; i < 4; ++i) {
        int32_t lo = d.Get<i16>(2 * i) * s.Get<i16>(2 * i);
        int32_t hi = d.Get<i16>(2 * i + 1) * s.Get<i16>(2 * i + 1);
        r.Set<u32>(i, static_cast<u32>(lo) + static_cast<u32>(hi));  // wraps as the hardware does
      }
      return r;
    case VecOp::kPavgb: return Lanes<u8>(d, s, [](u8 a, u8 b) { return (u32{a} + b + 1) >> 1; });
    case VecOp::kPavgw: return Lanes<u16>(d, s, [](u16 a, u16 b) { return (u32{a} + b + 1) >> 1; });
    case VecOp::kPsadbw:
      for (unsigned q = 0; q < 2; ++q) {
        u64 sum = 0;
        for (unsigned i = 0; i < 8; ++i) {
          int diff = d.Get<u8>(8 * q + i) - s.Get<u8>(8 * q + i);
          sum += diff < 0 ? -diff : diff;
        }
        r.Set<u64>(q, sum);
      }
      return r;
    case VecOp::kPminub: return Lanes<u8>(d, s, [](u8 a, u8 b) { return a < b ? a : b; });
    case VecOp::kPmaxub: return Lanes<u8>(d, s, [](u8 a, u8 b) { return a > b ? a : b; });
    case VecOp::kPminsw: return Lanes<i16>(d, s, [](i16 a, i16 b) { return a < b ? a : b; });
    case VecOp::kPmaxsw: return Lanes<i16>(d, s, [](i16 a, i16 b) { return a > b ? a : b; });
    case VecOp::kPcmpeqb: return Lanes<u8>(d, s, [](u8 a, u8 b) { return a == b ? 0xff : 0; });
    case VecOp::kPcmpeqw: return Lanes<u16>(d, s, [](u16 a, u16 b) { return a == b ? 0xffff : 0; });
    case VecOp::kPcmpeqd: return Lanes<u32>(d, s, [](u32 a, u32 b) { return a == b ? ~0u : 0; });
    case VecOp::kPcmpgtb: return Lanes<i8>(d, s, [](i8 a, i8 b) { return a > b ? -1 : 0; });
    case VecOp::kPcmpgtw: return Lanes<i16>(d, s, [](i16 a, i16 b) { return a > b ? -1 : 0; });
    case VecOp::kPcmpgtd: return Lanes<i32>(d, s, [](i32 a, i32 b) { return a > b ? -1 : 0; });
    case VecOp::kPand: return Lanes<u64>(d, s, [](u64 a, u64 b) { return a & b; });
    case VecOp::kPandn: return Lanes<u64>(d, s, [](u64 a, u64 b) { return ~a & b; });
    case VecOp::kPor: return Lanes<u64>(d, s, [](u64 a, u64 b) { return a | b; });
    case VecOp::kPxor: return Lanes<u64>(d, s, [](u64 a, u64 b) { return a ^ b; });
    case VecOp::kPsllw: return ShiftLeft<u16>(d, count);
    case VecOp::kPslld: return ShiftLeft<u32>(d, count);
    case VecOp::kPsllq: return ShiftLeft<u64>(d, count);
    case VecOp::kPsrlw: return ShiftRight<u16>(d, count);
    case VecOp::kPsrld: return ShiftRight<u32>(d, count);
    case VecOp::kPsrlq: return ShiftRight<u64>(d, count);
    case VecOp::kPsraw: return ShiftRight<i16>(d, count);
    case VecOp::kPsrad: return ShiftRight<i32>(d, count);
    case VecOp::kPsllwImm: return ShiftLeft<u16>(d, imm);
    case VecOp::kPslldImm: return ShiftLeft<u32>(d, imm);
    case VecOp::kPsllqImm: return ShiftLeft<u64>(d, imm);
    case VecOp::kPsrlwImm: return ShiftRight<u16>(d, imm);
    case VecOp::kPsrldImm: return ShiftRight<u32>(d, imm);
    case VecOp::kPsrlqImm: return ShiftRight<u64>(d, imm);
    case VecOp::kPsrawImm: return ShiftRight<i16>(d, imm);
    case VecOp::kPsradImm: return ShiftRight<i32>(d, imm);
    case VecOp::kPslldq:
      for (unsigned i = 0; i < 16; ++i) r.b[i] = imm <= i ? d.b[i - imm] : 0;
      return r;
    case VecOp::kPsrldq:
      for (unsigned i = 0; i < 16; ++i) r.b[i] = i + imm < 16 ? d.b[i + imm] : 0;
      return r;
    case VecOp::kPacksswb: return Pack<i16, i8>(d, s);
    case VecOp::kPackssdw: return Pack<i32, i16>(d, s);
    case VecOp::kPackuswb: return Pack<i16, u8>(d, s);
    case VecOp::kPunpcklbw: return Unpack<u8>(d, s, false);
    case VecOp::kPunpcklwd: return Unpack<u16>(d, s, false);
    case VecOp::kPunpckldq:
    case VecOp::kUnpcklps: return Unpack<u32>(d, s, false);
    case VecOp::kPunpcklqdq:
    case VecOp::kUnpcklpd: return Unpack<u64>(d, s, false);
    case VecOp::kPunpckhbw: return Unpack<u8>(d, s, true);
    case VecOp::kPunpckhwd: return Unpack<u16>(d, s, true);
    case VecOp::kPunpckhdq:
    case VecOp::kUnpckhps: return Unpack<u32>(d, s, true);
    case VecOp::kPunpckhqdq:
    case VecOp::kUnpckhpd: return Unpack<u64>(d, s, true);
    case VecOp::kPshufd:
      for (unsigned i = 0; i < 4; ++i) r.Set<u32>(i, s.Get<u32>((imm >> (2 * i)) & 3));
      return r;
    case VecOp::kPshuflw:
      r = s;
      for (unsigned i = 0; i < 4; ++i) r.Set<u16>(i, s.Get<u16>((imm >> (2 * i)) & 3));
      return r;
    case VecOp::kPshufhw:
      r = s;
      for (unsigned i = 0; i < 4; ++i) r.Set<u16>(4 + i, s.Get<u16>(4 + ((imm >> (2 * i)) & 3)));
      return r;
    case VecOp::kShufps:
      r.Set<u32>(0, d.Get<u32>(imm & 3));
      r.Set<u32>(1, d.Get<u32>((imm >> 2) & 3));
      r.Set<u32>(2, s.Get<u32>((imm >> 4) & 3));
      r.Set<u32>(3, s.Get<u32>((imm >> 6) & 3));
      return r;
    case VecOp::kShufpd:
      r.Set<u64>(0, d.Get<u64>(imm & 1));
      r.Set<u64>(1, s.Get<u64>((imm >> 1) & 1));
      return r;
    case VecOp::kMovaps: return s;
    case VecOp::kMovss: r.Set<u32>(0, s.Get<u32>(0)); return r;
    case VecOp::kMovsd: r.Set<u64>(0, s.Get<u64>(0)); return r;
    case VecOp::kMovq:
      r.Set<u64>(0, s.Get<u64>(0));
      r.Set<u64>(1, 0);
      return r;
    case VecOp::kMovlhps: r.Set<u64>(1, s.Get<u64>(0)); return r;
    case VecOp::kMovhlps: r.Set<u64>(0, s.Get<u64>(1)); return r;
    case VecOp::kMmxStore:
      r = Vec{};
      r.Set<u64>(0, s.Get<u64>(0));
      r.Set<u16>(4, 0xffff);
      return r;
    default: return r;  // not an integer op (FpOp handles the rest)
  }
}

// --- floating point ----------------------------------------------------------------------------

template <typename F>
using Bits = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;

template <typename F>
constexpr Bits<F> kQuietBit = sizeof(F) == 4 ? Bits<F>{1} << 22 : Bits<F>{1} << 51;
template <typename F>
constexpr Bits<F> kSignBit = Bits<F>{1} << (sizeof(F) * 8 - 1);
// The x86 "QNaN floating-point indefinite".
template <typename F>
constexpr Bits<F> kDefaultNan = static_cast<Bits<F>>(sizeof(F) == 4 ? 0xffc00000ull
                                                                    : 0xfff8000000000000ull);

template <typename F>
F FromBits(Bits<F> b) {
  F f;
  memcpy(&f, &b, sizeof f);
  return f;
}
template <typename F>
Bits<F> ToBits(F f) {
  Bits<F> b;
  memcpy(&b, &f, sizeof b);
  return b;
}
template <typename F>
bool IsNan(Bits<F> b) {
  return std::isnan(FromBits<F>(b));
}
template <typename F>
bool IsSnan(Bits<F> b) {
  return IsNan<F>(b) && !(b & kQuietBit<F>);
}
template <typename F>
bool IsDenormal(Bits<F> b) {
  return std::fpclassify(FromBits<F>(b)) == FP_SUBNORMAL;
}

// One FP operation's environment: the guest rounding mode in the host, the MXCSR flags raised.
class FpEnv {
 public:
  explicit FpEnv(uint32_t mxcsr) : mxcsr_(mxcsr) {
    static constexpr int kModes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
    saved_round_ = fegetround();
    fesetround(kModes[(mxcsr >> 13) & 3]);
    feclearexcept(FE_ALL_EXCEPT);
  }
  ~FpEnv() {
    feclearexcept(FE_ALL_EXCEPT);
    fesetround(saved_round_);
  }
  uint32_t flags = 0;
  // Set by multi-stage operations (dpps/dppd) that already applied the #XM flag rules per stage.
  bool staged = false;
  uint32_t mxcsr() const { return mxcsr_; }
  // After one stage of a multi-stage operation: true when it raised an unmasked exception (the
  // instruction then stops there), with an unmasked pre-computation exception dropping the
  // stage's post-computation flags. `before` holds the earlier stages' flags.
  bool StageFaults(uint32_t before) {
    const uint32_t stage = flags;
    const uint32_t unmasked = stage & ~(mxcsr_ >> ir::kMxcsrMaskShift) & ir::kMxcsrFlags;
    staged = true;
    if (!unmasked) {
      flags = before | stage;
      return false;
    }
    flags = before | ((unmasked & (kIE | kDE | kZE)) ? stage & (kIE | kDE | kZE) : stage);
    return true;
  }

  // A source operand: DAZ turns denormals into signed zeros; otherwise they raise DE.
  template <typename F>
  Bits<F> In(Bits<F> b, bool denormal_flag = true) {
    if (!IsDenormal<F>(b)) return b;
    if (mxcsr_ & ir::kMxcsrDaz) return b & kSignBit<F>;
    if (denormal_flag) flags |= kDE;
    return b;
  }
  // Host exception flags raised since the last call, as MXCSR bits.
  uint32_t Take() {
    uint32_t f = 0;
    if (fetestexcept(FE_INVALID)) f |= kIE;
    if (fetestexcept(FE_DIVBYZERO)) f |= kZE;
    if (fetestexcept(FE_OVERFLOW)) f |= kOE;
    if (fetestexcept(FE_UNDERFLOW)) f |= kUE;
    if (fetestexcept(FE_INEXACT)) f |= kPE;
    feclearexcept(FE_ALL_EXCEPT);
    return f;
  }
  // The result rounded with an unbounded exponent: its binary exponent and whether rounding it
  // was inexact. With overflow or underflow unmasked, x86 reports them on that result (SDM
  // 11.5.2.4-5): underflow for every tiny non-zero one, exact or not, and PE as for it.
  struct Unbounded {
    bool nonzero = false;
    int exponent = 0;
    bool inexact = false;
  };
  bool OverflowOrUnderflowUnmasked() const {
    return (mxcsr_ & ((kOE | kUE) << ir::kMxcsrMaskShift)) != ((kOE | kUE) << ir::kMxcsrMaskShift);
  }
  // A computed result, with `unbounded` (a callable returning Unbounded) consulted when overflow
  // or underflow is unmasked.
  template <typename F, typename U>
  Bits<F> Out(F r, U unbounded) {
    uint32_t lane = Take();
    if (OverflowOrUnderflowUnmasked() && !(lane & (kIE | kZE)) && !std::isnan(r)) {
      const Unbounded u = unbounded();
      Take();  // the recomputation's own flags
      const bool om = !(mxcsr_ & (kOE << ir::kMxcsrMaskShift));
      const bool um = !(mxcsr_ & (kUE << ir::kMxcsrMaskShift));
      const uint32_t pe = u.inexact ? kPE : 0;
      if (u.nonzero && u.exponent > std::numeric_limits<F>::max_exponent - 1 && om) {
        lane = (lane & ~kPE) | kOE | pe;
      } else if (u.nonzero && u.exponent < std::numeric_limits<F>::min_exponent - 1 && um) {
        lane = (lane & ~(kUE | kPE)) | kUE | pe;
      }
    }
    return Finish<F>(r, lane);
  }
  // A computed result: host flags collected, the x86 default NaN, FTZ.
  template <typename F>
  Bits<F> Out(F r) {
    return Finish<F>(r, Take());
  }
  template <typename F>
  Bits<F> Finish(F r, uint32_t lane) {
    flags |= lane;
    Bits<F> b = ToBits<F>(r);
    if (std::isnan(r)) return kDefaultNan<F>;  // inputs were not NaN: an invalid operation
    // FTZ (with underflow masked) flushes tiny results to zero, raising UE and PE.
    if ((mxcsr_ & ir::kMxcsrFtz) && (mxcsr_ & (kUE << ir::kMxcsrMaskShift)) && IsDenormal<F>(b)) {
      flags |= kUE | kPE;
      return b & kSignBit<F>;
    }
    return b;
  }

 private:
  uint32_t mxcsr_;
  int saved_round_;
};

// volatile keeps the compiler from folding or moving arithmetic across fesetround/fetestexcept.
template <typename F, typename Op>
F Compute(F a, F b, Op op) {
  volatile F va = a, vb = b;
  volatile F r = op(va, vb);
  return r;
}

enum class Arith { kAdd, kSub, kMul, kDiv, kMin, kMax, kSqrt };

template <typename F>
Bits<F> Arithmetic(FpEnv& e, Arith op, Bits<F> a, Bits<F> b) {
  using B = Bits<F>;
  if (op == Arith::kMin || op == Arith::kMax) {
    // MIN/MAX return the second operand when either is NaN (unquieted) or both are zero.
    if (IsNan<F>(a) || IsNan<F>(b)) {
      e.flags |= kIE;
      return e.In<F>(b, false);  // DAZ still flushes a denormal second operand
    }
    a = e.In<F>(a);
    b = e.In<F>(b);
    F fa = FromBits<F>(a), fb = FromBits<F>(b);
    if (op == Arith::kMin) return fa < fb ? a : b;
    return fa > fb ? a : b;
  }
  if (op == Arith::kSqrt) {
    if (IsNan<F>(b)) {
      if (IsSnan<F>(b)) e.flags |= kIE;
      return b | kQuietBit<F>;
    }
    // A negative denormal is an invalid operand first: IE without DE.
    b = e.In<F>(b, !(b & kSignBit<F>));
    return e.Out<F>(
        Compute<F>(FromBits<F>(b), FromBits<F>(b), [](F x, F) { return std::sqrt(x); }));
  }
  if (IsNan<F>(a) || IsNan<F>(b)) {
    if (IsSnan<F>(a) || IsSnan<F>(b)) e.flags |= kIE;
    return IsNan<F>(a) ? B(a | kQuietBit<F>) : B(b | kQuietBit<F>);
  }
  const Bits<F> a0 = a, b0 = b;
  a = e.In<F>(a0, false);
  b = e.In<F>(b0, false);
  F fa = FromBits<F>(a), fb = FromBits<F>(b);
  // Divide-by-zero outranks the denormal-operand exception.
  if (!(op == Arith::kDiv && fb == 0 && fa != 0 && std::isfinite(fa))) {
    e.In<F>(a0);
    e.In<F>(b0);
  }
  auto add = [](F x, F y) { return x + y; };
  auto sub = [](F x, F y) { return x - y; };
  auto mul = [](F x, F y) { return x * y; };
  auto div = [](F x, F y) { return x / y; };
  const F r = op == Arith::kAdd   ? Compute<F>(fa, fb, add)
              : op == Arith::kSub ? Compute<F>(fa, fb, sub)
              : op == Arith::kMul ? Compute<F>(fa, fb, mul)
                                  : Compute<F>(fa, fb, div);
  return e.Out<F>(r, [&] {
    FpEnv::Unbounded u;
    if (op == Arith::kMul || op == Arith::kDiv) {
      // The significands' product or quotient is in range; the exponents add up exactly.
      int ea = 0, eb = 0;
      const F ma = std::frexp(fa, &ea), mb = std::frexp(fb, &eb);
      const F m = op == Arith::kMul ? Compute<F>(ma, mb, mul) : Compute<F>(ma, mb, div);
      u.inexact = e.Take() & kPE;
      u.nonzero = m != 0 && std::isfinite(fa) && std::isfinite(fb);
      if (u.nonzero) u.exponent = std::ilogb(m) + (op == Arith::kMul ? ea + eb : ea - eb);
    } else if (std::isfinite(r) && std::fabs(r) < 1) {
      // In range, or tiny and then exact (Sterbenz, or both operands on the denormal grid).
      u.nonzero = r != 0;
      if (u.nonzero) u.exponent = std::ilogb(r);
    } else {
      // A large sum (possibly overflowed, or rounded to the largest finite value): halving both
      // operands is exact for any operand that matters at that magnitude.
      const F m = Compute<F>(std::ldexp(fa, -1), std::ldexp(fb, -1), op == Arith::kAdd ? add : sub);
      u.inexact = e.Take() & kPE;
      u.nonzero = std::isfinite(fa) && std::isfinite(fb) && m != 0;
      if (u.nonzero) u.exponent = std::ilogb(m) + 1;
    }
    return u;
  });
}

// CMPPS predicates 0..7: EQ LT LE UNORD NEQ NLT NLE ORD; LT LE NLT NLE signal on QNaN too.
template <typename F>
Bits<F> Compare(FpEnv& e, uint8_t pred, Bits<F> a, Bits<F> b) {
  pred &= 7;
  bool unordered = IsNan<F>(a) || IsNan<F>(b);
  bool signaling = pred == 1 || pred == 2 || pred == 5 || pred == 6;
  if (IsSnan<F>(a) || IsSnan<F>(b) || (unordered && signaling)) e.flags |= kIE;
  bool r = false;
  if (!unordered) {
    F fa = FromBits<F>(e.In<F>(a)), fb = FromBits<F>(e.In<F>(b));
    switch (pred) {
      case 0: r = fa == fb; break;
      case 1: r = fa < fb; break;
      case 2: r = fa <= fb; break;
      case 4: r = fa != fb; break;
      case 5: r = !(fa < fb); break;
      case 6: r = !(fa <= fb); break;
      case 7: r = true; break;
      default: r = false; break;
    }
  } else {
    r = pred == 3 || pred == 4 || pred == 5 || pred == 6;
  }
  return r ? static_cast<Bits<F>>(~Bits<F>{0}) : 0;
}

// Float to integer (32 or 64 bits): NaN and out-of-range give the integer indefinite and IE only.
template <typename F>
uint64_t ToInt(FpEnv& e, Bits<F> a, unsigned bits, bool truncate) {
  const uint64_t indefinite = bits == 64 ? 0x8000000000000000ull : 0x80000000ull;
  if (IsNan<F>(a)) {
    e.flags |= kIE;
    return indefinite;
  }
  a = e.In<F>(a, false);
  F x = FromBits<F>(a);
  volatile F vx = x;
  F r = truncate ? std::trunc(vx) : std::nearbyint(vx);
  const F limit = bits == 64 ? F(9223372036854775808.0) : F(2147483648.0);
  e.Take();  // nearbyint/trunc raise nothing the guest sees; inexactness is decided below
  if (!(r >= -limit && r < limit)) {
    e.flags |= kIE;
    return indefinite;
  }
  if (r != x) e.flags |= kPE;
  int64_t v = static_cast<int64_t>(r);
  return bits == 64 ? static_cast<uint64_t>(v) : static_cast<uint32_t>(v);
}

// Float/double conversions: NaNs keep their payload (quieted), as CVTSS2SD/CVTSD2SS do.
template <typename To, typename From>
Bits<To> Convert(FpEnv& e, Bits<From> a) {
  if (IsNan<From>(a)) {
    if (IsSnan<From>(a)) e.flags |= kIE;
    From q = FromBits<From>(a | kQuietBit<From>);
    volatile From vq = q;
    To r = static_cast<To>(vq);
    e.Take();
    return ToBits<To>(r);
  }
  a = e.In<From>(a);
  volatile From va = FromBits<From>(a);
  volatile To r = static_cast<To>(va);
  return e.Out<To>(r, [&] {
    FpEnv::Unbounded u;
    int ex = 0;
    volatile From m = std::frexp(static_cast<From>(va), &ex);
    volatile To mr = static_cast<To>(m);  // the significand rounded to To's precision
    u.inexact = e.Take() & kPE;
    u.nonzero = mr != 0 && std::isfinite(static_cast<From>(va));
    if (u.nonzero) u.exponent = std::ilogb(static_cast<To>(mr)) + ex;
    return u;
  });
}

template <typename F, typename I>
Bits<F> FromInt(FpEnv& e, I v) {
  volatile I vv = v;
  volatile F r = static_cast<F>(vv);
  return e.Out<F>(r);
}

// Applies f to `n` lanes of type F (n = 1 for scalar forms, which keep dst's upper lanes).
template <typename F, typename Fn>
Vec FpLanes(const Vec& d, const Vec& s, unsigned n, Fn f) {
  Vec r = d;
  if (n > 16 / sizeof(F)) n = 16 / sizeof(F);
  for (unsigned i = 0; i < n; ++i) r.Set<Bits<F>>(i, f(d.Get<Bits<F>>(i), s.Get<Bits<F>>(i)));
  return r;
}

// roundps/pd/ss/sd: imm[1:0] the rounding mode unless imm[2] (then MXCSR.RC); imm[3] suppresses
// PE. A QNaN passes through, an SNaN is quieted with IE (the SDM lists only IE and PE).
template <typename F>
Bits<F> Round(FpEnv& e, Bits<F> a, uint8_t imm) {
  if (IsNan<F>(a)) {
    if (IsSnan<F>(a)) e.flags |= kIE;
    return a | kQuietBit<F>;
  }
  a = e.In<F>(a, false);
  const unsigned mode = imm & 4 ? (e.mxcsr() >> 13) & 3 : imm & 3;
  // nearbyint in the chosen mode keeps the sign of zero results (libm's floor does not under
  // a downward guest rounding mode).
  static constexpr int kModes[4] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
  volatile F x = FromBits<F>(a);
  const int saved = fegetround();
  fesetround(kModes[mode]);
  volatile F r = std::nearbyint(x);
  fesetround(saved);
  e.Take();
  if (r != x && !(imm & 8)) e.flags |= kPE;
  return ToBits<F>(static_cast<F>(r));
}

// dpps/dppd: the products selected by imm[7:4] (others +0.0), summed pairwise with a rounding
// after each step, the sum written to the lanes imm[3:0] selects (others +0.0). Hardware checks
// for unmasked exceptions after each stage (multiply, first add, second add) and stops at the
// first that raised one, with the flags of the stages so far.
template <typename F>
Vec DotProduct(FpEnv& e, const Vec& d, const Vec& s, uint8_t imm) {
  using B = Bits<F>;
  constexpr unsigned n = 16 / sizeof(F);
  Vec r{};
  const uint32_t before = e.flags;
  e.flags = 0;
  B t[n];
  for (unsigned i = 0; i < n; ++i) {
    t[i] = (imm >> (4 + i)) & 1 ? Arithmetic<F>(e, Arith::kMul, d.Get<B>(i), s.Get<B>(i)) : B{0};
  }
  if (e.StageFaults(before)) return r;
  // Each lane sums in its own operand order (which picks the NaN that propagates), as measured
  // on hardware: dpps pair[i] = t[i^1] + t[i], then pair[i] + pair[i^2]; dppd t[i] + t[i^1].
  uint32_t so_far = e.flags;
  e.flags = 0;
  B pair[n];
  for (unsigned i = 0; i < n; ++i) {
    pair[i] = n == 4 ? Arithmetic<F>(e, Arith::kAdd, t[i ^ 1], t[i])
                     : Arithmetic<F>(e, Arith::kAdd, t[i], t[i ^ 1]);
  }
  if (e.StageFaults(so_far)) return r;
  B sum[n];
  for (unsigned i = 0; i < n; ++i) sum[i] = pair[i];
  if constexpr (n == 4) {
    so_far = e.flags;
    e.flags = 0;
    for (unsigned i = 0; i < n; ++i) sum[i] = Arithmetic<F>(e, Arith::kAdd, pair[i], pair[i ^ 2]);
    if (e.StageFaults(so_far)) return r;
  }
  for (unsigned i = 0; i < n; ++i) r.Set<B>(i, (imm >> i) & 1 ? sum[i] : B{0});
  return r;
}

// haddps/hsubps/haddpd/hsubpd: adjacent pairs of d, then of s.
template <typename F>
Vec HorizontalFp(FpEnv& e, const Vec& d, const Vec& s, Arith op) {
  using B = Bits<F>;
  constexpr unsigned half = 8 / sizeof(F);
  Vec r;
  for (unsigned i = 0; i < half; ++i) {
    r.Set<B>(i, Arithmetic<F>(e, op, d.Get<B>(2 * i), d.Get<B>(2 * i + 1)));
  }
  for (unsigned i = 0; i < half; ++i) {
    r.Set<B>(half + i, Arithmetic<F>(e, op, s.Get<B>(2 * i), s.Get<B>(2 * i + 1)));
  }
  return r;
}

// addsubps/addsubpd: even lanes subtract, odd lanes add.
template <typename F>
Vec AddSub(FpEnv& e, const Vec& d, const Vec& s) {
  using B = Bits<F>;
  Vec r;
  for (unsigned i = 0; i < 16 / sizeof(F); ++i) {
    r.Set<B>(i, Arithmetic<F>(e, i % 2 ? Arith::kAdd : Arith::kSub, d.Get<B>(i), s.Get<B>(i)));
  }
  return r;
}

Vec FpOp(FpEnv& e, VecOp op, const Vec& d, const Vec& s, uint8_t imm) {
  auto arith = [&](Arith a, bool dbl, unsigned n) {
    if (dbl)
      return FpLanes<double>(
          d, s, n, [&](uint64_t x, uint64_t y) { return Arithmetic<double>(e, a, x, y); });
    return FpLanes<float>(d, s, n,
                          [&](uint32_t x, uint32_t y) { return Arithmetic<float>(e, a, x, y); });
  };
  auto cmp = [&](bool dbl, unsigned n) {
    if (dbl)
      return FpLanes<double>(d, s, n,
                             [&](uint64_t x, uint64_t y) { return Compare<double>(e, imm, x, y); });
    return FpLanes<float>(d, s, n,
                          [&](uint32_t x, uint32_t y) { return Compare<float>(e, imm, x, y); });
  };
  Vec r = d;
  switch (op) {
    case VecOp::kAddss: return arith(Arith::kAdd, false, 1);
    case VecOp::kAddsd: return arith(Arith::kAdd, true, 1);
    case VecOp::kAddps: return arith(Arith::kAdd, false, 4);
    case VecOp::kAddpd: return arith(Arith::kAdd, true, 2);
    case VecOp::kSubss: return arith(Arith::kSub, false, 1);
    case VecOp::kSubsd: return arith(Arith::kSub, true, 1);
    case VecOp::kSubps: return arith(Arith::kSub, false, 4);
    case VecOp::kSubpd: return arith(Arith::kSub, true, 2);
    case VecOp::kMulss: return arith(Arith::kMul, false, 1);
    case VecOp::kMulsd: return arith(Arith::kMul, true, 1);
    case VecOp::kMulps: return arith(Arith::kMul, false, 4);
    case VecOp::kMulpd: return arith(Arith::kMul, true, 2);
    case VecOp::kDivss: return arith(Arith::kDiv, false, 1);
    case VecOp::kDivsd: return arith(Arith::kDiv, true, 1);
    case VecOp::kDivps: return arith(Arith::kDiv, false, 4);
    case VecOp::kDivpd: return arith(Arith::kDiv, true, 2);
    case VecOp::kMinss: return arith(Arith::kMin, false, 1);
    case VecOp::kMinsd: return arith(Arith::kMin, true, 1);
    case VecOp::kMinps: return arith(Arith::kMin, false, 4);
    case VecOp::kMinpd: return arith(Arith::kMin, true, 2);
    case VecOp::kMaxss: return arith(Arith::kMax, false, 1);
    case VecOp::kMaxsd: return arith(Arith::kMax, true, 1);
    case VecOp::kMaxps: return arith(Arith::kMax, false, 4);
    case VecOp::kMaxpd: return arith(Arith::kMax, true, 2);
    case VecOp::kSqrtss: return arith(Arith::kSqrt, false, 1);
    case VecOp::kSqrtsd: return arith(Arith::kSqrt, true, 1);
    case VecOp::kSqrtps: return arith(Arith::kSqrt, false, 4);
    case VecOp::kSqrtpd: return arith(Arith::kSqrt, true, 2);
    case VecOp::kCmpss: return cmp(false, 1);
    case VecOp::kCmpsd: return cmp(true, 1);
    case VecOp::kCmpps: return cmp(false, 4);
    case VecOp::kCmppd: return cmp(true, 2);
    case VecOp::kAddsubps: return AddSub<float>(e, d, s);
    case VecOp::kAddsubpd: return AddSub<double>(e, d, s);
    case VecOp::kHaddps: return HorizontalFp<float>(e, d, s, Arith::kAdd);
    case VecOp::kHaddpd: return HorizontalFp<double>(e, d, s, Arith::kAdd);
    case VecOp::kHsubps: return HorizontalFp<float>(e, d, s, Arith::kSub);
    case VecOp::kHsubpd: return HorizontalFp<double>(e, d, s, Arith::kSub);
    case VecOp::kDpps: return DotProduct<float>(e, d, s, imm);
    case VecOp::kDppd: return DotProduct<double>(e, d, s, imm);
    case VecOp::kRoundss:
    case VecOp::kRoundps:
      return FpLanes<float>(d, s, op == VecOp::kRoundss ? 1 : 4,
                            [&](uint32_t, uint32_t y) { return Round<float>(e, y, imm); });
    case VecOp::kRoundsd:
    case VecOp::kRoundpd:
      return FpLanes<double>(d, s, op == VecOp::kRoundsd ? 1 : 2,
                             [&](uint64_t, uint64_t y) { return Round<double>(e, y, imm); });
    case VecOp::kCvtss2sd:
      r.Set<uint64_t>(0, Convert<double, float>(e, s.Get<uint32_t>(0)));
      return r;
    case VecOp::kCvtsd2ss:
      r.Set<uint32_t>(0, Convert<float, double>(e, s.Get<uint64_t>(0)));
      return r;
    case VecOp::kCvtps2pd:
      for (unsigned i = 0; i < 2; ++i)
        r.Set<uint64_t>(i, Convert<double, float>(e, s.Get<uint32_t>(i)));
      return r;
    case VecOp::kCvtpd2ps:
      for (unsigned i = 0; i < 2; ++i)
        r.Set<uint32_t>(i, Convert<float, double>(e, s.Get<uint64_t>(i)));
      r.Set<uint64_t>(1, 0);
      return r;
    case VecOp::kCvtdq2ps:
      for (unsigned i = 0; i < 4; ++i) r.Set<uint32_t>(i, FromInt<float>(e, s.Get<int32_t>(i)));
      return r;
    case VecOp::kCvtps2dq:
    case VecOp::kCvttps2dq:
      for (unsigned i = 0; i < 4; ++i) {
        r.Set<uint32_t>(i, static_cast<uint32_t>(
                               ToInt<float>(e, s.Get<uint32_t>(i), 32, op == VecOp::kCvttps2dq)));
      }
      return r;
    case VecOp::kCvtdq2pd:
      for (unsigned i = 0; i < 2; ++i) r.Set<uint64_t>(i, FromInt<double>(e, s.Get<int32_t>(i)));
      return r;
    case VecOp::kCvtpd2dq:
    case VecOp::kCvttpd2dq:
      for (unsigned i = 0; i < 2; ++i) {
        r.Set<uint32_t>(i, static_cast<uint32_t>(
                               ToInt<double>(e, s.Get<uint64_t>(i), 32, op == VecOp::kCvttpd2dq)));
      }
      r.Set<uint64_t>(1, 0);
      return r;
    default: return r;
  }
}

// Commits the flags; false (and #XM raised) when an unmasked exception occurred.
// An unmasked pre-computation exception (IE, DE, ZE) stops the instruction before any result is
// computed, so the post-computation flags (OE, UE, PE) of the host's masked run are dropped.
bool FinishFp(CpuState& s, uint32_t flags, uint64_t pc, bool staged = false) {
  const uint32_t unmasked = flags & ~(s.mxcsr >> ir::kMxcsrMaskShift) & ir::kMxcsrFlags;
  if ((unmasked & (kIE | kDE | kZE)) && !staged) flags &= kIE | kDE | kZE;
  s.mxcsr |= flags;
  if (unmasked) {
    RaiseGuestException(s, ir::kSimdFloatingPoint, pc);
    return false;
  }
  return true;
}

}  // namespace

void RaiseGuestException(CpuState& s, uint32_t vector, uint64_t pc) {
  s.exit_reason = static_cast<uint32_t>(ir::ExitReason::kException);
  s.exception_vector = vector;
  s.error_code = 0;
  s.rip = pc;
}

static_assert(offsetof(CpuState, x87) + offsetof(X87State, fpr) ==
              offsetof(CpuState, xmm) + 16 * ir::kMmxSlot0);

bool VecOp(CpuState& s, uint64_t imm, uint64_t pc) {
  const ir::VecOp op = ir::VecOpOf(imm);
  if (op == VecOp::kMmxEnter) {
    s.x87.ftw = 0xff;
    s.x87.fsw &= static_cast<uint16_t>(~0x3800u);
    return true;
  }
  if (op == VecOp::kEmms) {
    s.x87.ftw = 0;
    return true;
  }
  const unsigned dst = ir::VecDst(imm);
  Vec d = Read(s, dst), src = Read(s, ir::VecSrc(imm));
  switch (ir::Info(op).kind) {
    case ir::VecKind::kInt:
    case ir::VecKind::kIntImm: {
      Vec r;
      if (!ExtIntOp(op, d, src, ir::VecImm8(imm), Read(s, 0), &r))
        r = IntOp(op, d, src, ir::VecImm8(imm));
      Write(s, dst, r);
      return true;
    }
    default: {
      Vec r;
      uint32_t flags;
      bool staged;
      {
        FpEnv e(s.mxcsr);
        r = FpOp(e, op, d, src, ir::VecImm8(imm));
        flags = e.flags;
        staged = e.staged;
      }
      if (!FinishFp(s, flags, pc, staged)) return false;
      Write(s, dst, r);
      return true;
    }
  }
}

bool VecFromGpr(CpuState& s, uint64_t imm, uint64_t value, unsigned bits, uint64_t pc) {
  const ir::VecOp op = ir::VecOpOf(imm);
  const unsigned dst = ir::VecDst(imm);
  Vec r = Read(s, dst);
  const uint8_t sel = ir::VecImm8(imm);
  switch (op) {
    case ir::VecOp::kPinsrw: r.Set<uint16_t>(sel & 7, static_cast<uint16_t>(value)); break;
    case ir::VecOp::kPinsrb: r.Set<uint8_t>(sel & 15, static_cast<uint8_t>(value)); break;
    case ir::VecOp::kPinsrd: r.Set<uint32_t>(sel & 3, static_cast<uint32_t>(value)); break;
    case ir::VecOp::kPinsrq: r.Set<uint64_t>(sel & 1, value); break;
    default: break;
  }
  if (op == ir::VecOp::kPinsrw || op == ir::VecOp::kPinsrb || op == ir::VecOp::kPinsrd ||
      op == ir::VecOp::kPinsrq) {
    Write(s, dst, r);
    return true;
  }
  uint32_t flags;
  {
    FpEnv e(s.mxcsr);
    int64_t v = bits == 64 ? static_cast<int64_t>(value) : static_cast<int32_t>(value);
    if (op == ir::VecOp::kCvtsi2ss) {
      r.Set<uint32_t>(0, FromInt<float>(e, v));
    } else {
      r.Set<uint64_t>(0, FromInt<double>(e, v));
    }
    flags = e.flags;
  }
  if (!FinishFp(s, flags, pc)) return false;
  Write(s, dst, r);
  return true;
}

bool VecToGpr(CpuState& s, uint64_t imm, unsigned bits, uint64_t pc, uint64_t* out) {
  const Vec v = Read(s, ir::VecSrc(imm));
  uint64_t r = 0;
  switch (ir::VecOpOf(imm)) {
    case ir::VecOp::kMovdToGpr: r = v.Get<uint32_t>(0); break;
    case ir::VecOp::kMovqToGpr: r = v.Get<uint64_t>(0); break;
    case ir::VecOp::kPmovmskb:
      for (unsigned i = 0; i < 16; ++i) r |= static_cast<uint64_t>(v.b[i] >> 7) << i;
      break;
    case ir::VecOp::kMovmskps:
      for (unsigned i = 0; i < 4; ++i) r |= static_cast<uint64_t>(v.Get<uint32_t>(i) >> 31) << i;
      break;
    case ir::VecOp::kMovmskpd:
      for (unsigned i = 0; i < 2; ++i) r |= (v.Get<uint64_t>(i) >> 63) << i;
      break;
    case ir::VecOp::kPextrw: r = v.Get<uint16_t>(ir::VecImm8(imm) & 7); break;
    case ir::VecOp::kPextrb: r = v.Get<uint8_t>(ir::VecImm8(imm) & 15); break;
    case ir::VecOp::kPextrd:
    case ir::VecOp::kExtractps: r = v.Get<uint32_t>(ir::VecImm8(imm) & 3); break;
    case ir::VecOp::kPextrq: r = v.Get<uint64_t>(ir::VecImm8(imm) & 1); break;
    default: {
      ir::VecOp op = ir::VecOpOf(imm);
      bool trunc = op == ir::VecOp::kCvttss2si || op == ir::VecOp::kCvttsd2si;
      bool dbl = op == ir::VecOp::kCvtsd2si || op == ir::VecOp::kCvttsd2si;
      uint32_t flags;
      {
        FpEnv e(s.mxcsr);
        r = dbl ? ToInt<double>(e, v.Get<uint64_t>(0), bits, trunc)
                : ToInt<float>(e, v.Get<uint32_t>(0), bits, trunc);
        flags = e.flags;
      }
      if (!FinishFp(s, flags, pc)) return false;
      break;
    }
  }
  *out = r;
  return true;
}

bool VecFlags(CpuState& s, uint64_t imm, uint64_t pc, uint64_t* out) {
  const ir::VecOp op = ir::VecOpOf(imm);
  const Vec a = Read(s, ir::VecDst(imm)), b = Read(s, ir::VecSrc(imm));
  if (op == ir::VecOp::kPtest) {
    // ZF: a AND b is zero; CF: (NOT a) AND b is zero.
    uint64_t and_bits = 0, andn_bits = 0;
    for (unsigned q = 0; q < 2; ++q) {
      and_bits |= a.Get<uint64_t>(q) & b.Get<uint64_t>(q);
      andn_bits |= ~a.Get<uint64_t>(q) & b.Get<uint64_t>(q);
    }
    *out = (and_bits == 0 ? uint64_t{ir::kZF} : 0) | (andn_bits == 0 ? uint64_t{ir::kCF} : 0);
    return true;
  }
  const bool dbl = op == ir::VecOp::kComisd || op == ir::VecOp::kUcomisd;
  const bool signal_qnan = op == ir::VecOp::kComiss || op == ir::VecOp::kComisd;
  uint32_t flags;
  uint64_t image;
  {
    FpEnv e(s.mxcsr);
    // Compare predicates: 3 = unordered, 0 = equal, 1 = less; comis signals on QNaN like LT.
    auto test = [&](uint8_t pred) {
      return dbl ? Compare<double>(e, pred, a.Get<uint64_t>(0), b.Get<uint64_t>(0)) != 0
                 : Compare<float>(e, pred, a.Get<uint32_t>(0), b.Get<uint32_t>(0)) != 0;
    };
    bool unordered = test(3);
    bool equal = test(0);
    bool less = test(1);
    e.flags &= ~kIE;  // the probes above signal as LT would; recompute IE for this instruction
    bool snan = dbl ? IsSnan<double>(a.Get<uint64_t>(0)) || IsSnan<double>(b.Get<uint64_t>(0))
                    : IsSnan<float>(a.Get<uint32_t>(0)) || IsSnan<float>(b.Get<uint32_t>(0));
    if (snan || (unordered && signal_qnan)) e.flags |= kIE;
    image = unordered ? uint64_t{ir::kZF | ir::kPF | ir::kCF}
            : equal   ? uint64_t{ir::kZF}
            : less    ? uint64_t{ir::kCF}
                      : 0;
    flags = e.flags;
  }
  if (!FinishFp(s, flags, pc)) return false;
  *out = image;
  return true;
}

uint64_t VecStrCmp(CpuState& s, uint64_t imm, uint64_t lengths) {
  Vec mask;
  const ir::VecOp op = ir::VecOpOf(imm);
  uint64_t r = StringCompare(op, Read(s, ir::VecDst(imm)), Read(s, ir::VecSrc(imm)),
                             ir::VecImm8(imm), lengths, &mask);
  if (op == ir::VecOp::kPcmpestrm || op == ir::VecOp::kPcmpistrm) Write(s, 0, mask);
  return r;
}

bool SetMxcsr(CpuState& s, uint32_t value, uint64_t pc) {
  if (value & ~ir::kMxcsrWritable) {
    RaiseGuestException(s, ir::kGeneralProtection, pc);
    return false;
  }
  s.mxcsr = value;
  return true;
}

}  // namespace doppel::interp
