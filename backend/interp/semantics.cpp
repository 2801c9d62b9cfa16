// backend/interp/semantics.cpp: x86 integer and flag semantics, written from the Intel SDM
// pseudocode. Where the SDM leaves a flag undefined we pick what common Intel/AMD parts do; the
// differential tests mask those flags.
#include "backend/interp/semantics.h"

#include "ir/ir.h"

namespace doppel::interp {

using namespace ir;  // Flag bits

uint64_t FlagsSZP(uint64_t r, unsigned w) {
  r &= Mask(w);
  uint64_t f = 0;
  if (r == 0) f |= kZF;
  if (Msb(r, w)) f |= kSF;
  if (!__builtin_parity(static_cast<unsigned>(r & 0xff))) f |= kPF;
  return f;
}

uint64_t FlagsAdd(uint64_t a, uint64_t b, uint64_t cin, unsigned w) {
  uint64_t m = Mask(w);
  a &= m;
  b &= m;
  uint64_t r = (a + b + cin) & m;
  uint64_t f = FlagsSZP(r, w);
  if (r < a || (cin && r == a)) f |= kCF;
  if (Msb((a ^ r) & (b ^ r), w)) f |= kOF;
  if ((a ^ b ^ r) & 0x10) f |= kAF;
  return f;
}

uint64_t FlagsSub(uint64_t a, uint64_t b, uint64_t cin, unsigned w) {
  uint64_t m = Mask(w);
  a &= m;
  b &= m;
  uint64_t r = (a - b - cin) & m;
  uint64_t f = FlagsSZP(r, w);
  if (a < b || (cin && a == b)) f |= kCF;
  if (Msb((a ^ b) & (a ^ r), w)) f |= kOF;
  if ((a ^ b ^ r) & 0x10) f |= kAF;
  return f;
}

uint64_t FlagsLogic(uint64_t r, unsigned w) { return FlagsSZP(r, w); }

uint64_t FlagsInc(uint64_t a, unsigned w) { return FlagsAdd(a, 1, 0, w) & ~kCF; }
uint64_t FlagsDec(uint64_t a, unsigned w) { return FlagsSub(a, 1, 0, w) & ~kCF; }

// OF of shifts and rotates is defined by the SDM for a count of 1 only; Intel parts compute it
// for every count as the OF of the first one-bit step on the original operand (measured on the
// host with all 8-bit operands and counts), which for count 1 is the SDM's definition.
static bool FirstStepOverflowLeft(uint64_t a, unsigned w) {
  return Msb(a, w) ^ ((a >> (w - 2)) & 1);
}

uint64_t Shl(uint64_t a, unsigned c, unsigned w) { return c >= w ? 0 : (a << c) & Mask(w); }
uint64_t Shr(uint64_t a, unsigned c, unsigned w) { return c >= w ? 0 : (a & Mask(w)) >> c; }
uint64_t Sar(uint64_t a, unsigned c, unsigned w) {
  int64_t s = SignExtend(a, w);
  return static_cast<uint64_t>(s >> (c >= w ? w - 1 : c)) & Mask(w);
}
uint64_t Rol(uint64_t a, unsigned c, unsigned w) {
  a &= Mask(w);
  c %= w;
  return c == 0 ? a : ((a << c) | (a >> (w - c))) & Mask(w);
}
uint64_t Ror(uint64_t a, unsigned c, unsigned w) {
  a &= Mask(w);
  c %= w;
  return c == 0 ? a : ((a >> c) | (a << (w - c))) & Mask(w);
}

uint64_t FlagsShl(uint64_t a, unsigned c, unsigned w) {
  uint64_t r = Shl(a, c, w);
  uint64_t f = FlagsSZP(r, w);
  uint64_t cf = c <= w ? (a >> (w - c)) & 1 : 0;
  if (cf) f |= kCF;
  if (FirstStepOverflowLeft(a, w)) f |= kOF;
  return f;
}
uint64_t FlagsShr(uint64_t a, unsigned c, unsigned w) {
  a &= Mask(w);
  uint64_t r = Shr(a, c, w);
  uint64_t f = FlagsSZP(r, w);
  if (c <= w && ((a >> (c - 1)) & 1)) f |= kCF;
  if (Msb(a, w)) f |= kOF;
  return f;
}
uint64_t FlagsSar(uint64_t a, unsigned c, unsigned w) {
  uint64_t r = Sar(a, c, w);
  uint64_t f = FlagsSZP(r, w);
  uint64_t cf = c < w ? (a >> (c - 1)) & 1 : Msb(a, w);
  if (cf) f |= kCF;
  return f;
}
uint64_t FlagsRol(uint64_t a, unsigned c, unsigned w) {
  uint64_t r = Rol(a, c, w);
  uint64_t f = 0;
  if (r & 1) f |= kCF;
  if (FirstStepOverflowLeft(a, w)) f |= kOF;
  return f;
}
uint64_t FlagsRor(uint64_t a, unsigned c, unsigned w) {
  uint64_t r = Ror(a, c, w);
  uint64_t f = 0;
  if (Msb(r, w)) f |= kCF;
  if (Msb(a, w) ^ (a & 1)) f |= kOF;
  return f;
}

static unsigned ThroughCarryCount(unsigned c, unsigned w) { return w <= 16 ? c % (w + 1) : c; }

uint64_t Rcl(uint64_t a, unsigned c, uint64_t cf, unsigned w, uint64_t* cf_out) {
  a &= Mask(w);
  for (unsigned i = ThroughCarryCount(c, w); i > 0; --i) {
    uint64_t out = Msb(a, w);
    a = ((a << 1) | cf) & Mask(w);
    cf = out;
  }
  if (cf_out) *cf_out = cf;
  return a;
}
uint64_t Rcr(uint64_t a, unsigned c, uint64_t cf, unsigned w, uint64_t* cf_out) {
  a &= Mask(w);
  for (unsigned i = ThroughCarryCount(c, w); i > 0; --i) {
    uint64_t out = a & 1;
    a = (a >> 1) | (cf << (w - 1));
    cf = out;
  }
  if (cf_out) *cf_out = cf;
  return a;
}
uint64_t FlagsRcl(uint64_t a, unsigned c, uint64_t cf, unsigned w) {
  uint64_t cf_out;
  uint64_t r = Rcl(a, c, cf, w, &cf_out);
  (void)r;
  uint64_t f = cf_out ? uint64_t{kCF} : 0;
  if (FirstStepOverflowLeft(a, w)) f |= kOF;
  return f;
}
uint64_t FlagsRcr(uint64_t a, unsigned c, uint64_t cf, unsigned w) {
  uint64_t cf_out;
  uint64_t r = Rcr(a, c, cf, w, &cf_out);
  (void)r;
  uint64_t f = cf_out ? uint64_t{kCF} : 0;
  if (Msb(a, w) ^ (cf & 1)) f |= kOF;
  return f;
}

uint64_t Shld(uint64_t a, uint64_t b, unsigned c, unsigned w) {
  a &= Mask(w);
  b &= Mask(w);
  if (c == 0) return a;
  if (w == 16) {  // counts above 16 shift in the destination again (a:b:a), as Intel parts do
    uint64_t wide = (a << 32) | (b << 16) | a;
    return (wide >> (32 - c)) & 0xffff;
  }
  return ((a << c) | (b >> (w - c))) & Mask(w);
}
uint64_t Shrd(uint64_t a, uint64_t b, unsigned c, unsigned w) {
  a &= Mask(w);
  b &= Mask(w);
  if (c == 0) return a;
  if (w == 16) {
    uint64_t wide = (a << 32) | (b << 16) | a;
    return (wide >> c) & 0xffff;
  }
  return ((a >> c) | (b << (w - c))) & Mask(w);
}
uint64_t FlagsShld(uint64_t a, uint64_t b, unsigned c, unsigned w) {
  uint64_t r = Shld(a, b, c, w);
  uint64_t f = FlagsSZP(r, w);
  uint64_t cf = c <= w ? (a >> (w - c)) & 1 : (b >> (2 * w - c)) & 1;
  if (cf) f |= kCF;
  if (FirstStepOverflowLeft(a, w)) f |= kOF;
  return f;
}
uint64_t FlagsShrd(uint64_t a, uint64_t b, unsigned c, unsigned w) {
  uint64_t r = Shrd(a, b, c, w);
  uint64_t f = FlagsSZP(r, w);
  uint64_t cf = c <= w ? (a >> (c - 1)) & 1 : (b >> (c - 1 - w)) & 1;
  if (cf) f |= kCF;
  if (Msb(a, w) ^ (b & 1)) f |= kOF;
  return f;
}

uint64_t UMulHi(uint64_t a, uint64_t b, unsigned w) {
  unsigned __int128 p = static_cast<unsigned __int128>(a & Mask(w)) * (b & Mask(w));
  return static_cast<uint64_t>(p >> w) & Mask(w);
}
uint64_t SMulHi(uint64_t a, uint64_t b, unsigned w) {
  __int128 p = static_cast<__int128>(SignExtend(a, w)) * SignExtend(b, w);
  return static_cast<uint64_t>(p >> w) & Mask(w);
}
uint64_t FlagsUMul(uint64_t a, uint64_t b, unsigned w) {
  uint64_t lo = (a * b) & Mask(w);
  uint64_t f = FlagsSZP(lo, w) & ~kZF;
  if (UMulHi(a, b, w) != 0) f |= kCF | kOF;
  return f;
}
uint64_t FlagsSMul(uint64_t a, uint64_t b, unsigned w) {
  __int128 p = static_cast<__int128>(SignExtend(a, w)) * SignExtend(b, w);
  uint64_t lo = static_cast<uint64_t>(p) & Mask(w);
  uint64_t f = FlagsSZP(lo, w) & ~kZF;
  if (static_cast<__int128>(SignExtend(lo, w)) != p) f |= kCF | kOF;
  return f;
}

bool Divide(backend::DivKind kind, unsigned w, uint64_t hi, uint64_t lo, uint64_t d,
            uint64_t* out) {
  uint64_t m = Mask(w);
  hi &= m;
  lo &= m;
  d &= m;
  if (d == 0) return false;
  bool is_signed = kind == backend::DivKind::kSDiv || kind == backend::DivKind::kSRem;
  bool want_rem = kind == backend::DivKind::kURem || kind == backend::DivKind::kSRem;
  if (!is_signed) {
    unsigned __int128 n = (static_cast<unsigned __int128>(hi) << w) | lo;
    unsigned __int128 q = n / d;
    if (q > m) return false;
    *out = want_rem ? static_cast<uint64_t>(n % d) : static_cast<uint64_t>(q);
    return true;
  }
  // Signed: the dividend is the 2w-bit value hi:lo.
  unsigned __int128 un = (static_cast<unsigned __int128>(hi) << w) | lo;
  __int128 n =
      w == 64
          ? static_cast<__int128>(un)
          : static_cast<__int128>(static_cast<int64_t>(static_cast<uint64_t>(un) << (64 - 2 * w)) >>
                                  (64 - 2 * w));
  if (w == 32) n = static_cast<int64_t>(static_cast<uint64_t>(un));
  __int128 dv = SignExtend(d, w);
  if (w == 64 && n == (static_cast<__int128>(1) << 127) && dv == -1)
    return false;  // would trap in C
  __int128 q = n / dv;
  __int128 r = n % dv;
  __int128 qmax = (static_cast<__int128>(1) << (w - 1)) - 1;
  __int128 qmin = -(static_cast<__int128>(1) << (w - 1));
  if (q > qmax || q < qmin) return false;
  *out = static_cast<uint64_t>(want_rem ? r : q) & m;
  return true;
}

uint64_t Pdep(uint64_t a, uint64_t mask) {
  uint64_t r = 0;
  for (uint64_t bit = 1; mask != 0; bit <<= 1) {
    const uint64_t lowest = mask & (0 - mask);
    if (a & bit) r |= lowest;
    mask &= mask - 1;
  }
  return r;
}

uint64_t Pext(uint64_t a, uint64_t mask) {
  uint64_t r = 0;
  for (uint64_t bit = 1; mask != 0; bit <<= 1) {
    const uint64_t lowest = mask & (0 - mask);
    if (a & lowest) r |= bit;
    mask &= mask - 1;
  }
  return r;
}

uint64_t Crc32c(uint32_t crc, uint64_t data, unsigned bits) {
  constexpr uint32_t kPolyReflected = 0x82f63b78;
  for (unsigned i = 0; i < bits; ++i) {
    const uint32_t in = static_cast<uint32_t>((data >> i) & 1);
    const uint32_t feedback = (crc ^ in) & 1;
    crc = (crc >> 1) ^ (feedback ? kPolyReflected : 0);
  }
  return crc;
}

bool EvalCond(unsigned cc, uint64_t f) {
  bool of = f & kOF, cf = f & kCF, zf = f & kZF, sf = f & kSF, pf = f & kPF;
  bool r = false;
  switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf || zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    case 7: r = zf || sf != of; break;
  }
  return (cc & 1) ? !r : r;
}

}  // namespace doppel::interp
