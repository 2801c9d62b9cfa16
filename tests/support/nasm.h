// tests/support/nasm.h: assembles nasm source at test time (flat binary) for guest test code.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace doppel::test {

// Assembles `source` (without a `bits`/`org` line) for the given mode at `org`; aborts the test
// binary with the nasm error text if it does not assemble.
std::vector<uint8_t> Assemble(const std::string& source, uint64_t org, unsigned bits = 64);

}  // namespace doppel::test
