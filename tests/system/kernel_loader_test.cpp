// tests/system/kernel_loader_test.cpp: multiboot (a.out kludge and ELF32) and plain ELF32 kernels
// built byte by byte: what lands in guest RAM, the multiboot info, the entry state, and the errors.
#include "system/kernel_loader.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace doppel::system {
namespace {

using namespace multiboot;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t kRam = 64ull << 20;

void Put16(Bytes& b, size_t off, uint16_t v) {
  if (b.size() < off + 2) b.resize(off + 2);
  memcpy(&b[off], &v, 2);
}
void Put32(Bytes& b, size_t off, uint32_t v) {
  if (b.size() < off + 4) b.resize(off + 4);
  memcpy(&b[off], &v, 4);
}
void Append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }

Bytes Pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// A multiboot header: magic, flags, checksum, and the a.out kludge fields when given.
Bytes MultibootHeader(uint32_t flags, std::vector<uint32_t> kludge = {}, uint32_t fix = 0) {
  Bytes h;
  Put32(h, 0, kHeaderMagic);
  Put32(h, 4, flags);
  Put32(h, 8, static_cast<uint32_t>(0u - kHeaderMagic - flags) + fix);
  for (size_t i = 0; i < kludge.size(); ++i) Put32(h, 12 + 4 * i, kludge[i]);
  return h;
}

struct ElfSegment {
  uint32_t vaddr, paddr;
  Bytes data;
  uint32_t memsz;
  uint32_t type = PT_LOAD;
};

// An ELF32 executable: header, program headers, then each segment's bytes 16-byte aligned.
Bytes Elf32(const std::vector<ElfSegment>& segs, uint32_t entry, uint16_t machine = EM_386) {
  Bytes b(sizeof(Elf32_Ehdr) + segs.size() * sizeof(Elf32_Phdr));
  Elf32_Ehdr eh = {};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS32;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = entry;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf32_Phdr);
  eh.e_phnum = static_cast<uint16_t>(segs.size());
  memcpy(b.data(), &eh, sizeof eh);
  for (size_t i = 0; i < segs.size(); ++i) {
    b.resize((b.size() + 15) & ~size_t{15});
    Elf32_Phdr ph = {};
    ph.p_type = segs[i].type;
    ph.p_offset = static_cast<uint32_t>(b.size());
    ph.p_vaddr = segs[i].vaddr;
    ph.p_paddr = segs[i].paddr;
    ph.p_filesz = static_cast<uint32_t>(segs[i].data.size());
    ph.p_memsz = segs[i].memsz;
    ph.p_flags = PF_R | PF_X;
    memcpy(&b[sizeof eh + i * sizeof ph], &ph, sizeof ph);
    Append(b, segs[i].data);
  }
  return b;
}

Elf32_Phdr* Phdr(Bytes& elf, unsigned i) {
  return reinterpret_cast<Elf32_Phdr*>(&elf[sizeof(Elf32_Ehdr) + i * sizeof(Elf32_Phdr)]);
}

// An ELF64 header without program headers, followed by `rest`.
Bytes Elf64(uint16_t machine, const Bytes& rest = {}) {
  Elf64_Ehdr eh = {};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_type = ET_EXEC;
  eh.e_machine = machine;
  eh.e_ehsize = sizeof eh;
  Bytes b(sizeof eh + rest.size());
  memcpy(b.data(), &eh, sizeof eh);
  if (!rest.empty()) memcpy(&b[sizeof eh], rest.data(), rest.size());
  return b;
}

class KernelLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string err;
    ASSERT_TRUE(mem.Init(kRam, &err)) << err;
  }
  void TearDown() override {
    for (const std::string& p : files_) unlink(p.c_str());
  }
  std::string Write(const Bytes& bytes) {
    std::string tmpl = ::testing::TempDir() + "/doppel_kernel_XXXXXX";
    int fd = mkstemp(tmpl.data());
    EXPECT_GE(fd, 0);
    if (!bytes.empty()) {
      EXPECT_EQ(write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
    }
    close(fd);
    files_.push_back(tmpl);
    return tmpl;
  }
  bool Load(const Bytes& kernel, const std::string& cmdline = "",
            std::vector<BootModule> mods = {}) {
    path = Write(kernel);
    return LoadKernel({path, cmdline, mods}, mem, *cpu, &error);
  }
  // The error with the kernel path prefix removed.
  std::string Problem() const {
    EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
    return error.substr(std::min(error.size(), path.size() + 2));
  }
  uint32_t R32(uint64_t paddr) {
    uint32_t v = 0;
    EXPECT_TRUE(mem.Read(paddr, &v, 4));
    return v;
  }
  uint64_t R64(uint64_t paddr) {
    uint64_t v = 0;
    EXPECT_TRUE(mem.Read(paddr, &v, 8));
    return v;
  }
  Bytes ReadBytes(uint64_t paddr, size_t n) {
    Bytes b(n);
    EXPECT_TRUE(mem.Read(paddr, b.data(), n));
    return b;
  }
  std::string ReadString(uint64_t paddr) {
    std::string s;
    for (char c; mem.Read(paddr++, &c, 1) && c;) s += c;
    return s;
  }
  void ExpectFlatProtectedMode(uint64_t entry, uint32_t eax, uint32_t ebx) {
    EXPECT_EQ(cpu->rip, entry);
    EXPECT_EQ(cpu->gpr[RAX], eax);
    EXPECT_EQ(cpu->gpr[RBX], ebx);
    EXPECT_EQ(cpu->rflags, 0x2u);
    EXPECT_EQ(cpu->sys.cr0, 0x11u);
    EXPECT_EQ(cpu->sys.cpl, 0u);
    EXPECT_EQ(cpu->sys.efer, 0u);
    for (unsigned s = 0; s < 6; ++s) {
      SCOPED_TRACE(s);
      bool code = s == CS;
      EXPECT_EQ(cpu->sys.seg[s].selector, code ? kCodeSelector : kDataSelector);
      EXPECT_EQ(cpu->sys.seg[s].limit, 0xffffffffu);
      EXPECT_EQ(cpu->seg_base[s], 0u);
      uint16_t a = cpu->sys.seg[s].attrs;
      EXPECT_TRUE(a & kSegPresent);
      EXPECT_TRUE(a & kSegS);
      EXPECT_TRUE(a & kSegDb);
      EXPECT_TRUE(a & kSegGranularity);
      EXPECT_FALSE(a & kSegLong);
      EXPECT_EQ(SegDpl(a), 0u);
      EXPECT_EQ(bool(a & kSegCode), code);
      EXPECT_TRUE(a & kSegWritable);  // readable code, writable data
      // The cache matches the GDT descriptor the selector names (attrs = descriptor bits 40..55,
      // limit 19:16 aside).
      uint64_t d = R64(cpu->sys.gdtr_base + cpu->sys.seg[s].selector);
      EXPECT_EQ((d >> 40) & 0xf0ff, a);
      EXPECT_EQ((d & 0xffff) | ((d >> 32) & 0xf0000), 0xfffffu);  // limit 0xfffff pages
      EXPECT_EQ((d >> 16 & 0xffffff) | (d >> 56 << 24), 0u);      // base 0
    }
    EXPECT_EQ(cpu->sys.gdtr_base, kGdtAddr);
    EXPECT_EQ(cpu->sys.gdtr_limit, 23u);
    EXPECT_EQ(R64(kGdtAddr), 0u);  // the null descriptor
    EXPECT_EQ(cpu->sys.idtr_base, 0u);
    EXPECT_EQ(cpu->sys.idtr_limit, 0x3ffu);
  }

  softmmu::PhysicalMemory mem;
  std::unique_ptr<CpuState> cpu = std::make_unique<CpuState>();
  std::string path, error;

 private:
  std::vector<std::string> files_;
};

// An a.out-kludge kernel: 0x40 bytes of padding, the header at file offset 0x40 = 0x100040, code
// up to load_end, bss to 0x102000.
Bytes AoutKernel(uint32_t flags = 1 << 16, uint32_t load_end = 0x101000,
                 uint32_t bss_end = 0x102000) {
  Bytes k = Pattern(0x40, 0x11);
  Append(k, MultibootHeader(flags, {0x100040, 0x100000, load_end, bss_end, 0x100080}));
  Append(k, Pattern(0x1000 - k.size(), 0x22));
  return k;
}

TEST_F(KernelLoaderTest, AoutKludgeLoadsImageZeroesBssAndEntersProtectedMode) {
  Bytes k = AoutKernel();
  // Stale bytes where the bss goes must be cleared.
  Bytes stale(0x1000, 0xaa);
  ASSERT_TRUE(mem.Write(0x101000, stale.data(), stale.size()));
  ASSERT_TRUE(Load(k, "console=ttyS0 debug")) << error;
  EXPECT_EQ(ReadBytes(0x100000, k.size()), k);
  EXPECT_EQ(ReadBytes(0x101000, 0x1000), Bytes(0x1000, 0));
  EXPECT_EQ(R32(0x102000), 0u);  // nothing beyond bss_end
  ExpectFlatProtectedMode(0x100080, 0x2BADB002, kInfoAddr);
}

TEST_F(KernelLoaderTest, MultibootInfoMatchesQemuFor64MiB) {
  ASSERT_TRUE(Load(AoutKernel(1 << 16 | 3), "console=ttyS0 debug")) << error;
  uint64_t mbi = cpu->gpr[RBX];
  EXPECT_EQ(R32(mbi), kInfoMemory | kInfoCmdline | kInfoMods | kInfoMmap | kInfoLoaderName);
  EXPECT_EQ(R32(mbi + 4), 639u);  // below the EBDA, as QEMU with SeaBIOS reports
  EXPECT_EQ(R32(mbi + 8), 64u * 1024 - 1024);  // (64 MiB - 1 MiB) / 1 KiB
  EXPECT_EQ(R32(mbi + 12), 0u);                // boot_device: flag clear
  EXPECT_EQ(ReadString(R32(mbi + 16)), path + " console=ttyS0 debug");
  EXPECT_EQ(R32(mbi + 20), 0u);  // no modules
  EXPECT_EQ(ReadString(R32(mbi + 64)), "doppel");
  // mmap: 24-byte entries, each led by its size (20).
  struct {
    uint64_t base, length;
    uint32_t type;
  } want[] = {
      {0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2}, {0x100000, kRam - 0x100000, 1}};
  ASSERT_EQ(R32(mbi + 44), sizeof want / sizeof want[0] * 24);
  uint64_t e = R32(mbi + 48);
  EXPECT_EQ(e, kMmapAddr);
  for (const auto& w : want) {
    SCOPED_TRACE(w.base);
    EXPECT_EQ(R32(e), 20u);
    EXPECT_EQ(R64(e + 4), w.base);
    EXPECT_EQ(R64(e + 12), w.length);
    EXPECT_EQ(R32(e + 20), w.type);
    e += 24;
  }
  // Every pointer in the info structure points into the boot area, clear of the BIOS data area.
  for (unsigned off : {16u, 48u, 64u}) {
    EXPECT_GE(R32(mbi + off), kMmapAddr);
    EXPECT_LT(R32(mbi + off), kBootAreaLimit);
  }
}

TEST_F(KernelLoaderTest, MemUpperFollowsRamSize) {
  softmmu::PhysicalMemory small;
  ASSERT_TRUE(small.Init(3 << 20, nullptr));
  path = Write(AoutKernel());
  ASSERT_TRUE(LoadKernel({path, "", {}}, small, *cpu, &error)) << error;
  uint32_t v = 0;
  ASSERT_TRUE(small.Read(kInfoAddr + 8, &v, 4));
  EXPECT_EQ(v, 2048u);
  uint64_t len = 0;
  ASSERT_TRUE(small.Read(kMmapAddr + 3 * 24 + 12, &len, 8));
  EXPECT_EQ(len, 2u << 20);
}

TEST_F(KernelLoaderTest, AoutKludgeWithoutLoadEndLoadsTheWholeFile) {
  Bytes k = Pattern(0x40, 0x11);
  Append(k, MultibootHeader(1 << 16, {0x200040, 0x200000, 0, 0, 0x200040}));
  Append(k, Pattern(0x3000, 0x33));
  ASSERT_TRUE(Load(k)) << error;
  EXPECT_EQ(ReadBytes(0x200000, k.size()), k);
  EXPECT_EQ(cpu->rip, 0x200040u);
}

TEST_F(KernelLoaderTest, AoutKludgeHeaderAfterLoadStartSkipsFileHead) {
  // header_addr - load_addr smaller than the header's offset: the file's first bytes are skipped.
  Bytes k = Pattern(0x100, 0x44);
  Append(k, MultibootHeader(1 << 16, {0x100010, 0x100000, 0, 0, 0x100000}));
  Append(k, Pattern(0x200, 0x55));
  ASSERT_TRUE(Load(k)) << error;
  EXPECT_EQ(ReadBytes(0x100000, k.size() - 0xf0), Bytes(k.begin() + 0xf0, k.end()));
}

// A multiboot ELF32 kernel: a higher-half text segment (vaddr 0xc0100000, paddr 0x100000) with
// the header, and a data segment with a .bss.
Bytes MultibootElf(uint32_t flags = 3) {
  Bytes text = MultibootHeader(flags);
  Append(text, Pattern(0x1800 - text.size(), 0x66));
  return Elf32({{0xc0100000, 0x100000, text, 0x1800},
                {0xc0104000, 0x104000, Pattern(0x300, 0x77), 0x2000},
                {0, 0, Pattern(0x10, 0x88), 0x10, PT_NOTE}},
               0xc0100010);
}

TEST_F(KernelLoaderTest, MultibootElfLoadsSegmentsByPhysicalAddress) {
  Bytes stale(0x2000, 0xaa);
  ASSERT_TRUE(mem.Write(0x104000, stale.data(), stale.size()));
  Bytes k = MultibootElf();
  ASSERT_TRUE(Load(k)) << error;
  Bytes text = MultibootHeader(3);
  Append(text, Pattern(0x1800 - text.size(), 0x66));
  EXPECT_EQ(ReadBytes(0x100000, 0x1800), text);
  EXPECT_EQ(ReadBytes(0x104000, 0x300), Pattern(0x300, 0x77));
  EXPECT_EQ(ReadBytes(0x104300, 0x2000 - 0x300), Bytes(0x2000 - 0x300, 0));
  // The virtual entry point is translated to its physical address: paging is off.
  ExpectFlatProtectedMode(0x100010, 0x2BADB002, kInfoAddr);
  EXPECT_EQ(ReadString(R32(kInfoAddr + 16)), path + " ");
}

TEST_F(KernelLoaderTest, VideoModeFlagIsIgnored) {
  ASSERT_TRUE(Load(MultibootElf(1 << 2))) << error;
}

TEST_F(KernelLoaderTest, PlainElf32EntersProtectedModeWithoutMultibootInfo) {
  Bytes k = Elf32({{0x100000, 0x100000, Pattern(0x500, 0x99), 0x800}}, 0x100100);
  ASSERT_TRUE(Load(k, "ignored")) << error;
  EXPECT_EQ(ReadBytes(0x100000, 0x500), Pattern(0x500, 0x99));
  ExpectFlatProtectedMode(0x100100, 0, 0);
  EXPECT_EQ(R32(kInfoAddr), 0u);  // no info structure
}

TEST_F(KernelLoaderTest, ModulesArePageAlignedAfterTheKernelWithCommandLines) {
  std::string m1 = Write(Pattern(0x1234, 0x10));
  std::string m2 = Write(Pattern(0x20, 0x20));
  std::string m3 = Write({});
  ASSERT_TRUE(Load(AoutKernel(), "root=/dev/ram", {{m1, "first arg"}, {m2, ""}, {m3, "empty"}}))
      << error;
  uint64_t mbi = cpu->gpr[RBX];
  ASSERT_EQ(R32(mbi + 20), 3u);
  uint64_t list = R32(mbi + 24);
  // The kernel (with bss) ends at 0x102000.
  EXPECT_EQ(R32(list), 0x102000u);
  EXPECT_EQ(R32(list + 4), 0x102000u + 0x1234);
  EXPECT_EQ(ReadString(R32(list + 8)), m1 + " first arg");
  EXPECT_EQ(R32(list + 12), 0u);
  EXPECT_EQ(R32(list + 16), 0x104000u);
  EXPECT_EQ(R32(list + 20), 0x104020u);
  EXPECT_EQ(ReadString(R32(list + 24)), m2);
  EXPECT_EQ(R32(list + 32), 0x105000u);
  EXPECT_EQ(R32(list + 36), 0x105000u);
  EXPECT_EQ(ReadString(R32(list + 40)), m3 + " empty");
  EXPECT_EQ(ReadBytes(0x102000, 0x1234), Pattern(0x1234, 0x10));
  EXPECT_EQ(ReadBytes(0x104000, 0x20), Pattern(0x20, 0x20));
  EXPECT_EQ(ReadString(R32(mbi + 16)), path + " root=/dev/ram");
}

TEST_F(KernelLoaderTest, ModulesOfALowKernelGoAbove1MiB) {
  Bytes k = Elf32({{0x10000, 0x10000, MultibootHeader(0), 0x1000}}, 0x10000);
  std::string m = Write(Pattern(0x10, 1));
  ASSERT_TRUE(Load(k, "", {{m, ""}})) << error;
  EXPECT_EQ(R32(R32(kInfoAddr + 24)), 0x100000u);
}

TEST_F(KernelLoaderTest, Elf64WithAoutKludgeLoadsThroughTheKludge) {
  Bytes k = Elf64(EM_X86_64, MultibootHeader(1 << 16, {0x100040, 0x100000, 0, 0, 0x100100}));
  Append(k, Pattern(0x200, 3));
  ASSERT_TRUE(Load(k)) << error;
  EXPECT_EQ(ReadBytes(0x100000, k.size()), k);
  EXPECT_EQ(cpu->rip, 0x100100u);
  EXPECT_EQ(cpu->gpr[RAX], 0x2BADB002u);
}

// A higher-half multiboot kernel as a real toolchain lays it out (nasm + GNU ld, both required by
// the build): the header in its own section, .data page-aligned, .bss after it.
TEST_F(KernelLoaderTest, RealToolchainHigherHalfKernel) {
  std::string dir = ::testing::TempDir() + "/doppel_kernel_" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  auto write_text = [](const std::string& file, const char* text) {
    FILE* f = fopen(file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs(text, f);
    fclose(f);
  };
  write_text(dir + "/k.asm",
             "bits 32\nsection .multiboot\nalign 4\ndd 0x1BADB002\ndd 3\ndd -(0x1BADB002+3)\n"
             "section .text\nglobal _start\n_start:\n  mov esp, stack_top\n  hlt\n"
             "section .data\nmsg: db 'hello', 0\nsection .bss\nresb 8192\nstack_top:\n");
  write_text(dir + "/k.ld",
             "ENTRY(_start)\nSECTIONS {\n  . = 0xC0100000;\n"
             "  .text : AT(0x100000) { *(.multiboot) *(.text) }\n"
             "  .data ALIGN(4096) : AT(ADDR(.data) - 0xC0000000) { *(.data) }\n"
             "  .bss : AT(ADDR(.bss) - 0xC0000000) { *(.bss) }\n}\n");
  std::string build =
      "cd " + dir + " && nasm -f elf32 k.asm -o k.o && ld -m elf_i386 -T k.ld k.o -o k.elf";
  ASSERT_EQ(std::system(build.c_str()), 0) << build;
  Bytes stale(0x2008, 0xaa);
  ASSERT_TRUE(mem.Write(0x101006, stale.data(), stale.size()));
  path = dir + "/k.elf";
  ASSERT_TRUE(LoadKernel({path, "", {}}, mem, *cpu, &error)) << error;
  EXPECT_EQ(R32(0x100000), kHeaderMagic);
  EXPECT_EQ(ReadString(0x101000), "hello");
  EXPECT_EQ(ReadBytes(0x101006, 0x2002), Bytes(0x2002, 0));  // .bss
  ExpectFlatProtectedMode(0x100010, 0x2BADB002, kInfoAddr);
  std::system(("rm -rf " + dir).c_str());
}

// Bad input: each case is a one-line error naming the file and the problem.
TEST_F(KernelLoaderTest, FileErrors) {
  path = ::testing::TempDir() + "/doppel_no_such_kernel";
  EXPECT_FALSE(LoadKernel({path, "", {}}, mem, *cpu, &error));
  EXPECT_EQ(Problem(), "cannot open: No such file or directory");
  path = ::testing::TempDir();
  EXPECT_FALSE(LoadKernel({path, "", {}}, mem, *cpu, &error));
  EXPECT_EQ(Problem(), "is a directory");
  path = "/dev/null";
  EXPECT_FALSE(LoadKernel({path, "", {}}, mem, *cpu, &error));
  EXPECT_EQ(Problem(), "not a regular file");
  EXPECT_FALSE(Load({}));
  EXPECT_EQ(Problem(), "empty file");
  EXPECT_FALSE(Load({1, 2, 3}));
  EXPECT_EQ(Problem(), "too small to be a kernel (3 bytes)");
  EXPECT_FALSE(Load(Pattern(100000, 5)));
  EXPECT_EQ(Problem(), "not a multiboot or ELF kernel");
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST_F(KernelLoaderTest, MultibootHeaderErrors) {
  EXPECT_FALSE(Load(MultibootHeader(0, {}, 1)));
  EXPECT_EQ(Problem(), "multiboot header at offset 0x0 has a bad checksum");
  EXPECT_FALSE(Load(AoutKernel(1 << 16 | 1 << 3)));
  EXPECT_EQ(Problem(), "multiboot header requires unsupported features (flags 0x8)");
  Bytes plain = Pattern(8, 1);
  Append(plain, MultibootHeader(0));
  EXPECT_FALSE(Load(plain));
  EXPECT_EQ(Problem(), "multiboot header without the a.out kludge (flag 16) in a non-ELF file");
  // A header past the first 8192 bytes is not found.
  Bytes late = Pattern(8192, 1);
  Append(late, MultibootHeader(1 << 16, {0x100000 + 8192, 0x100000, 0, 0, 0x100000}));
  EXPECT_FALSE(Load(late));
  EXPECT_EQ(Problem(), "not a multiboot or ELF kernel");
  Bytes cut = MultibootHeader(1 << 16, {0x100000, 0x100000});
  EXPECT_FALSE(Load(cut));
  EXPECT_EQ(Problem(), "truncated multiboot header (a.out kludge)");
}

TEST_F(KernelLoaderTest, AoutKludgeErrors) {
  auto kludge = [](std::vector<uint32_t> fields) {
    Bytes k = Pattern(0x40, 0x11);
    Append(k, MultibootHeader(1 << 16, fields));
    Append(k, Pattern(0x1000, 0x22));
    return k;
  };
  EXPECT_FALSE(Load(kludge({0x100040, 0x100080, 0, 0, 0})));
  EXPECT_EQ(Problem(), "multiboot load_addr 0x100080 is above header_addr 0x100040");
  EXPECT_FALSE(Load(kludge({0x100080, 0x100000, 0, 0, 0})));
  EXPECT_EQ(Problem(),
            "multiboot header_addr - load_addr (0x80) exceeds the header's file offset 0x40");
  EXPECT_FALSE(Load(kludge({0x100040, 0x100000, 0xfffff, 0, 0})));
  EXPECT_EQ(Problem(), "multiboot load_end_addr 0xfffff is below load_addr 0x100000");
  EXPECT_FALSE(Load(kludge({0x100040, 0x100000, 0x200000, 0, 0})));
  EXPECT_EQ(Problem(),
            "truncated kernel: multiboot load_end_addr 0x200000 is past the end of the file");
  EXPECT_FALSE(Load(kludge({0x100040, 0x100000, 0x100800, 0x100700, 0})));
  EXPECT_EQ(Problem(), "multiboot bss_end_addr 0x100700 is below the end of the image 0x100800");
  EXPECT_FALSE(Load(kludge({0x4000040, 0x4000000, 0, 0, 0})));
  EXPECT_EQ(Problem(), "kernel does not fit in 64 MiB of RAM (segment [0x4000000, 0x4001060))");
  EXPECT_FALSE(Load(kludge({0x100040, 0x100000, 0, 0xffffffff, 0})));
  EXPECT_EQ(Problem(), "kernel does not fit in 64 MiB of RAM (segment [0x100000, 0xffffffff))");
}

TEST_F(KernelLoaderTest, ElfClassAndMachineErrors) {
  EXPECT_FALSE(Load(Elf64(EM_X86_64)));
  EXPECT_EQ(Problem(), "64-bit ELF kernels need the Linux boot protocol (not supported yet)");
  EXPECT_FALSE(Load(Elf64(EM_AARCH64)));
  EXPECT_EQ(Problem(), "ELF for machine AArch64");
  EXPECT_FALSE(Load(Elf64(EM_X86_64, MultibootHeader(3))));
  EXPECT_EQ(Problem(), "cannot load x86-64 image, give a 32bit one");
  EXPECT_FALSE(Load(Elf32({{0x100000, 0x100000, Pattern(16, 1), 16}}, 0x100000, EM_ARM)));
  EXPECT_EQ(Problem(), "ELF for machine ARM");
  EXPECT_FALSE(Load(Elf32({{0x100000, 0x100000, Pattern(16, 1), 16}}, 0x100000, 4242)));
  EXPECT_EQ(Problem(), "ELF for machine machine 4242");
  Bytes bad_class = Elf32({{0x100000, 0x100000, Pattern(16, 1), 16}}, 0x100000);
  bad_class[EI_CLASS] = 7;
  EXPECT_FALSE(Load(bad_class));
  EXPECT_EQ(Problem(), "bad ELF class 7");
  Bytes big = Elf32({{0x100000, 0x100000, Pattern(16, 1), 16}}, 0x100000);
  big[EI_DATA] = ELFDATA2MSB;
  EXPECT_FALSE(Load(big));
  EXPECT_EQ(Problem(), "big-endian or invalid ELF data");
  Bytes rel = Elf32({{0x100000, 0x100000, Pattern(16, 1), 16}}, 0x100000);
  Put16(rel, offsetof(Elf32_Ehdr, e_type), ET_REL);
  EXPECT_FALSE(Load(rel));
  EXPECT_EQ(Problem(), "ELF is not an executable (type 1)");
}

TEST_F(KernelLoaderTest, TruncatedAndGarbageElfErrors) {
  Bytes good = Elf32({{0x100000, 0x100000, Pattern(0x100, 1), 0x100}}, 0x100000);
  EXPECT_FALSE(Load(Bytes(good.begin(), good.begin() + 40)));
  EXPECT_EQ(Problem(), "truncated ELF header");
  EXPECT_FALSE(Load(Bytes(good.begin(), good.begin() + 60)));
  EXPECT_EQ(Problem(), "truncated ELF: program headers extend past the end of the file");
  Bytes huge_phoff = good;
  Put32(huge_phoff, offsetof(Elf32_Ehdr, e_phoff), 0xfffffff0);
  EXPECT_FALSE(Load(huge_phoff));
  EXPECT_EQ(Problem(), "truncated ELF: program headers extend past the end of the file");
  EXPECT_FALSE(Load(Bytes(good.begin(), good.end() - 1)));
  EXPECT_EQ(Problem(), "truncated ELF: segment 0 extends past the end of the file");
  Bytes huge_offset = good;
  Phdr(huge_offset, 0)->p_offset = 0xffffff00;
  EXPECT_FALSE(Load(huge_offset));
  EXPECT_EQ(Problem(), "truncated ELF: segment 0 extends past the end of the file");
  Bytes huge_filesz = good;
  Phdr(huge_filesz, 0)->p_filesz = 0xffffffff;
  Phdr(huge_filesz, 0)->p_memsz = 0xffffffff;
  EXPECT_FALSE(Load(huge_filesz));
  EXPECT_EQ(Problem(), "truncated ELF: segment 0 extends past the end of the file");
  Bytes file_gt_mem = good;
  Phdr(file_gt_mem, 0)->p_memsz = 0x10;
  EXPECT_FALSE(Load(file_gt_mem));
  EXPECT_EQ(Problem(), "bad ELF: segment 0 has p_filesz > p_memsz");
  Bytes no_phdrs = good;
  Put16(no_phdrs, offsetof(Elf32_Ehdr, e_phnum), 0);
  EXPECT_FALSE(Load(no_phdrs));
  EXPECT_EQ(Problem(), "ELF has no program headers");
  Bytes small_phent = good;
  Put16(small_phent, offsetof(Elf32_Ehdr, e_phentsize), 8);
  EXPECT_FALSE(Load(small_phent));
  EXPECT_EQ(Problem(), "bad ELF program header size 8");
  EXPECT_FALSE(Load(Elf32({{0, 0, Pattern(16, 1), 16, PT_NOTE}}, 0)));
  EXPECT_EQ(Problem(), "ELF has no loadable segments");
}

TEST_F(KernelLoaderTest, SegmentPlacementErrors) {
  auto at = [](uint32_t paddr, uint32_t memsz) {
    return Elf32({{paddr, paddr, Pattern(0x10, 1), memsz}}, paddr);
  };
  EXPECT_FALSE(Load(at(0x3fff000, 0x2000)));
  EXPECT_EQ(Problem(), "kernel does not fit in 64 MiB of RAM (segment [0x3fff000, 0x4001000))");
  EXPECT_FALSE(Load(at(0xfffffff0, 0x10)));
  EXPECT_EQ(Problem(), "kernel does not fit in 64 MiB of RAM (segment [0xfffffff0, 0x100000000))");
  EXPECT_FALSE(Load(at(0x400, 0x200)));
  EXPECT_EQ(Problem(), "segment [0x400, 0x600) overlaps the BIOS data area [0x0, 0x500)");
  EXPECT_FALSE(Load(at(0xa0000, 0x100)));
  EXPECT_EQ(Problem(),
            "segment [0xa0000, 0xa0100) overlaps the reserved EBDA/VGA/BIOS area [0x9fc00, "
            "0x100000)");
  // A plain ELF only needs the GDT; a multiboot kernel the whole boot information area.
  EXPECT_FALSE(Load(at(0x9000, 0x1000)));
  EXPECT_EQ(Problem(),
            "segment [0x9000, 0xa000) overlaps the boot information area [0x9580, 0x9598)");
  EXPECT_TRUE(Load(at(0x9000, 0x500))) << error;
  EXPECT_FALSE(Load(Elf32({{0x8000, 0x8000, MultibootHeader(0), 0x1010}}, 0x8000)));
  EXPECT_EQ(Problem().substr(0, 70),
            "segment [0x8000, 0x9010) overlaps the boot information area [0x9000, 0");
  EXPECT_TRUE(Load(Elf32({{0x8000, 0x8000, MultibootHeader(0), 0x1000}}, 0x8000))) << error;
}

TEST_F(KernelLoaderTest, SegmentOverMmioIsRejected) {
  ASSERT_TRUE(mem.AddMmio(0x200000, 0x1000, &error)) << error;
  EXPECT_FALSE(Load(Elf32({{0x1ff000, 0x1ff000, Pattern(0x10, 1), 0x1800}}, 0x1ff000)));
  EXPECT_EQ(Problem(), "segment [0x1ff000, 0x200800) is not in RAM (MMIO at 0x200000)");
}

TEST_F(KernelLoaderTest, ModuleErrors) {
  std::string missing = ::testing::TempDir() + "/doppel_no_such_module";
  path = Write(AoutKernel());
  EXPECT_FALSE(LoadKernel({path, "", {{missing, ""}}}, mem, *cpu, &error));
  EXPECT_EQ(error, missing + ": cannot open: No such file or directory");
  std::string big = Write(Bytes(kRam - 0x100000, 1));
  EXPECT_FALSE(LoadKernel({path, "", {{big, ""}}}, mem, *cpu, &error));
  EXPECT_EQ(error, big + ": module does not fit in 64 MiB of RAM (needs [0x102000, 0x4002000))");
  std::string ok = Write(Bytes(16, 1));
  std::string plain = Write(Elf32({{0x100000, 0x100000, Pattern(16, 1), 16}}, 0x100000));
  EXPECT_FALSE(LoadKernel({plain, "", {{ok, ""}}}, mem, *cpu, &error));
  EXPECT_EQ(error, plain + ": modules need a multiboot kernel");
  std::string huge_cmdline(kBootAreaLimit, 'x');
  EXPECT_FALSE(LoadKernel({path, huge_cmdline, {}}, mem, *cpu, &error));
  EXPECT_NE(error.find("command lines and module list need"), std::string::npos) << error;
}

TEST_F(KernelLoaderTest, FailedLoadLeavesCpuAndMemoryUntouched) {
  uint64_t rip = cpu->rip;
  std::string missing = ::testing::TempDir() + "/doppel_no_such_module";
  EXPECT_FALSE(Load(AoutKernel(), "", {{missing, ""}}));
  EXPECT_EQ(cpu->rip, rip);
  EXPECT_EQ(R32(0x100000), 0u);
  EXPECT_EQ(R32(kInfoAddr), 0u);
}

}  // namespace
}  // namespace doppel::system
