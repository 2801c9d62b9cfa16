// tests/tools/isa_coverage.cpp: the ISA coverage report (make isa-coverage): every mnemonic Zydis
// decodes from the legacy opcode maps (and the one-byte map in 32-bit mode) and VEX-encoded GPR
// (BMI) forms, grouped by Zydis ISA set, against the mnemonics frontend::Translators() has a
// translator for.
#include <Zydis/Zydis.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "frontend/x86/context.h"

namespace {

using Sets = std::map<std::string, std::set<ZydisMnemonic>>;

void Decode(const ZydisDecoder& dec, const std::vector<uint8_t>& bytes, Sets& sets) {
  ZydisDecodedInstruction insn;
  if (!ZYAN_SUCCESS(
          ZydisDecoderDecodeInstruction(&dec, nullptr, bytes.data(), bytes.size(), &insn)))
    return;
  sets[ZydisISASetGetString(insn.meta.isa_set)].insert(insn.mnemonic);
}

}  // namespace

int main() {
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  Sets sets;
  // Legacy maps with the mandatory prefixes and REX.W, every ModRM; zeros for disp/imm.
  const std::vector<std::vector<uint8_t>> maps = {{}, {0x0f}, {0x0f, 0x38}, {0x0f, 0x3a}};
  for (int prefix : {-1, 0x66, 0xf3, 0xf2}) {
    for (int rex : {-1, 0x48}) {
      for (const auto& map : maps) {
        for (unsigned op = 0; op < 256; ++op) {
          for (unsigned modrm = 0; modrm < 256; ++modrm) {
            std::vector<uint8_t> b;
            if (prefix >= 0) b.push_back(static_cast<uint8_t>(prefix));
            if (rex >= 0) b.push_back(static_cast<uint8_t>(rex));
            b.insert(b.end(), map.begin(), map.end());
            b.push_back(static_cast<uint8_t>(op));
            b.push_back(static_cast<uint8_t>(modrm));
            b.resize(b.size() + 8, 0);
            Decode(dec, b, sets);
          }
        }
      }
    }
  }
  // The one-byte map again in 32-bit mode, where 06/07/0E/16/17/1E/1F (segment push/pop),
  // 27/2F/37/3F/D4/D5 (BCD), 60/61 (PUSHA/POPA), 62 (BOUND), 63 (ARPL), CE (INTO) and D6 (SALC)
  // exist.
  ZydisDecoder dec32;
  ZydisDecoderInit(&dec32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
  for (int prefix : {-1, 0x66}) {
    for (unsigned op = 0; op < 256; ++op) {
      for (unsigned modrm = 0; modrm < 256; ++modrm) {
        std::vector<uint8_t> b(11, 0);  // zeros for disp/imm
        size_t n = 0;
        if (prefix >= 0) b[n++] = static_cast<uint8_t>(prefix);
        b[n++] = static_cast<uint8_t>(op);
        b[n] = static_cast<uint8_t>(modrm);
        Decode(dec32, b, sets);
      }
    }
  }
  // VEX (C4) forms of maps 0F38/0F3A, L=0: the BMI1/BMI2 GPR instructions among them.
  for (unsigned map : {2u, 3u}) {
    for (unsigned w = 0; w < 2; ++w) {
      for (unsigned pp = 0; pp < 4; ++pp) {
        for (unsigned op = 0; op < 256; ++op) {
          for (unsigned modrm : {0xc0u, 0x00u, 0xc8u, 0xd0u, 0xd8u}) {
            std::vector<uint8_t> b = {0xc4, static_cast<uint8_t>(0xe0 | map),
                                      static_cast<uint8_t>(w << 7 | 0x78 | pp),
                                      static_cast<uint8_t>(op), static_cast<uint8_t>(modrm)};
            b.resize(b.size() + 8, 0);
            Decode(dec, b, sets);
          }
        }
      }
    }
  }
  // The extensions of the user-level ISA doppel targets (issue 4).
  const std::vector<std::string> scope = {
      "I86",      "I186",  "I286REAL",  "I386",         "I486REAL",     "I486",       "PENTIUMREAL",
      "PPRO",     "CMOV",  "FCMOV",     "X87",          "SSE3X87",      "PENTIUMMMX", "FAT_NOP",
      "LONGMODE", "RDTSC", "CPUID",     "LAHF",         "CMPXCHG16B",   "FXSAVE",     "FXSAVE64",
      "MMX",      "PAUSE", "SSE",       "SSE_PREFETCH", "SSEMXCSR",     "SSE2",       "SSE2MMX",
      "SSE3",     "SSSE3", "SSSE3MMX",  "SSE4",         "SSE42",        "POPCNT",     "LZCNT",
      "BMI1",     "BMI2",  "ADOX_ADCX", "MOVBE",        "PREFETCH_NOP", "CLFSH",      "LFENCE"};
  const auto& table = doppel::frontend::Translators();
  unsigned total = 0, done = 0;
  std::printf("%-14s %5s %5s  missing\n", "ISA set", "impl", "total");
  for (const auto& [name, mnemonics] : sets) {
    bool in_scope = false;
    for (const auto& s : scope) in_scope |= s == name;
    if (!in_scope) continue;
    unsigned n = 0;
    std::string missing;
    for (ZydisMnemonic m : mnemonics) {
      if (table.Find(m) != nullptr) {
        ++n;
      } else {
        missing += std::string(" ") + ZydisMnemonicGetString(m);
      }
    }
    total += mnemonics.size();
    done += n;
    std::printf("%-14s %5u %5zu  %s\n", name.c_str(), n, mnemonics.size(), missing.c_str());
  }
  std::printf("TOTAL          %5u %5u  (%.1f%%)\n", done, total, total ? 100.0 * done / total : 0);
  std::printf("(other ISA sets decoded but out of scope:");
  for (const auto& [name, m] : sets) {
    bool in_scope = false;
    for (const auto& s : scope) in_scope |= s == name;
    if (!in_scope) std::printf(" %s", name.c_str());
  }
  std::printf(")\n");
  return 0;
}
