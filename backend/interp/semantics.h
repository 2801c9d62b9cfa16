// backend/interp/semantics.h: reference semantics of the x86 integer operations and flags on
// values of 8..64 bits, shared by the interpreter and the runtime's helpers.
#pragma once
#include <cstdint>

#include "backend/helpers.h"

namespace doppel::interp {

inline uint64_t Mask(unsigned w) { return w >= 64 ? ~0ull : (1ull << w) - 1; }
inline uint64_t Msb(uint64_t v, unsigned w) { return (v >> (w - 1)) & 1; }
inline int64_t SignExtend(uint64_t v, unsigned w) {
  return w >= 64 ? static_cast<int64_t>(v) : static_cast<int64_t>(v << (64 - w)) >> (64 - w);
}

// Flags helpers producing RFLAGS images.
uint64_t FlagsSZP(uint64_t r, unsigned w);
uint64_t FlagsAdd(uint64_t a, uint64_t b, uint64_t cin, unsigned w);
uint64_t FlagsSub(uint64_t a, uint64_t b, uint64_t cin, unsigned w);
uint64_t FlagsLogic(uint64_t r, unsigned w);
uint64_t FlagsInc(uint64_t a, unsigned w);
uint64_t FlagsDec(uint64_t a, unsigned w);
uint64_t FlagsShl(uint64_t a, unsigned c, unsigned w);
uint64_t FlagsShr(uint64_t a, unsigned c, unsigned w);
uint64_t FlagsSar(uint64_t a, unsigned c, unsigned w);
uint64_t FlagsRol(uint64_t a, unsigned c, unsigned w);
uint64_t FlagsRor(uint64_t a, unsigned c, unsigned w);
uint64_t FlagsRcl(uint64_t a, unsigned c, uint64_t cf, unsigned w);
uint64_t FlagsRcr(uint64_t a, unsigned c, uint64_t cf, unsigned w);
uint64_t FlagsShld(uint64_t a, uint64_t b, unsigned c, unsigned w);
uint64_t FlagsShrd(uint64_t a, uint64_t b, unsigned c, unsigned w);
uint64_t FlagsUMul(uint64_t a, uint64_t b, unsigned w);
uint64_t FlagsSMul(uint64_t a, uint64_t b, unsigned w);

uint64_t Shl(uint64_t a, unsigned c, unsigned w);
uint64_t Shr(uint64_t a, unsigned c, unsigned w);
uint64_t Sar(uint64_t a, unsigned c, unsigned w);
uint64_t Rol(uint64_t a, unsigned c, unsigned w);
uint64_t Ror(uint64_t a, unsigned c, unsigned w);
uint64_t Rcl(uint64_t a, unsigned c, uint64_t cf, unsigned w, uint64_t* cf_out = nullptr);
uint64_t Rcr(uint64_t a, unsigned c, uint64_t cf, unsigned w, uint64_t* cf_out = nullptr);
uint64_t Shld(uint64_t a, uint64_t b, unsigned c, unsigned w);
uint64_t Shrd(uint64_t a, uint64_t b, unsigned c, unsigned w);
uint64_t UMulHi(uint64_t a, uint64_t b, unsigned w);
uint64_t SMulHi(uint64_t a, uint64_t b, unsigned w);
// BMI2 PDEP/PEXT: deposit the low bits of a at the set bits of mask / gather them from there.
uint64_t Pdep(uint64_t a, uint64_t mask);
uint64_t Pext(uint64_t a, uint64_t mask);
// SSE4.2 CRC32: CRC-32C (Castagnoli, reflected) of the low `bits` of data onto crc.
uint64_t Crc32c(uint32_t crc, uint64_t data, unsigned bits);
// (hi:lo) divided by d; false on #DE (zero divisor or quotient overflow).
bool Divide(backend::DivKind kind, unsigned w, uint64_t hi, uint64_t lo, uint64_t d, uint64_t* out);
bool EvalCond(unsigned cc, uint64_t flags);

}  // namespace doppel::interp
