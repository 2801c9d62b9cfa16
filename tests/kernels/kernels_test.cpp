// tests/kernels/kernels_test.cpp: the built test kernels (build/kernels/) are well-formed multiboot
// v1 images that QEMU's loader accepts: one per checked-in .expected transcript.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string KernelSourceDir() {
  std::string f = __FILE__;  // .../tests/kernels/kernels_test.cpp
  return f.substr(0, f.rfind('/'));
}

std::vector<uint8_t> ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint32_t Le32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

// The multiboot header: 4-byte aligned within the first 8 KiB, magic + flags + checksum == 0.
// Returns its offset or -1.
long FindMultibootHeader(const std::vector<uint8_t>& b) {
  for (size_t off = 0; off + 12 <= b.size() && off < 8192; off += 4) {
    if (Le32(b, off) == 0x1BADB002 && Le32(b, off) + Le32(b, off + 4) + Le32(b, off + 8) == 0)
      return static_cast<long>(off);
  }
  return -1;
}

std::vector<std::string> KernelNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(KernelSourceDir()))
    if (e.path().extension() == ".expected") names.push_back(e.path().stem().string());
  return names;
}

TEST(TestKernels, EveryTranscriptHasAKernel) {
  auto names = KernelNames();
  ASSERT_GE(names.size(), 10u);
  for (const auto& name : names) {
    fs::path elf = fs::path(DOPPEL_KERNEL_DIR) / (name + ".elf");
    fs::path bin = fs::path(DOPPEL_KERNEL_DIR) / (name + ".bin");
    EXPECT_TRUE(fs::exists(elf) || fs::exists(bin)) << name;
  }
}

TEST(TestKernels, ElfKernelsAreElf32WithAMultibootHeader) {
  for (const auto& name : KernelNames()) {
    fs::path elf = fs::path(DOPPEL_KERNEL_DIR) / (name + ".elf");
    if (!fs::exists(elf)) continue;
    auto b = ReadFile(elf);
    ASSERT_GE(b.size(), 52u) << name;
    EXPECT_EQ(0, std::memcmp(b.data(),
                             "\x7f"
                             "ELF",
                             4))
        << name;
    EXPECT_EQ(b[4], 1) << name << ": QEMU's multiboot loader only takes ELFCLASS32";
    EXPECT_EQ(b[18], 3) << name << ": e_machine EM_386";
    long off = FindMultibootHeader(b);
    ASSERT_GE(off, 0) << name;
    EXPECT_EQ(Le32(b, off + 4) & (1u << 16), 0u) << name << ": ELF kernels use the ELF headers";
  }
}

TEST(TestKernels, FlatKernelUsesTheAoutKludge) {
  auto b = ReadFile(fs::path(DOPPEL_KERNEL_DIR) / "aout.bin");
  long off = FindMultibootHeader(b);
  ASSERT_EQ(off, 0);
  EXPECT_NE(Le32(b, 4) & (1u << 16), 0u);
  uint32_t header_addr = Le32(b, 12), load_addr = Le32(b, 16), load_end = Le32(b, 20);
  uint32_t bss_end = Le32(b, 24), entry = Le32(b, 28);
  EXPECT_EQ(header_addr, 0x100000u);
  EXPECT_EQ(load_addr, 0x100000u);
  EXPECT_EQ(load_end - load_addr, b.size()) << "the whole file is loaded";
  EXPECT_GT(bss_end, load_end);
  EXPECT_GT(entry, load_addr);
  EXPECT_LT(entry, load_end);
}

}  // namespace
