// system/kernel_loader.cpp: multiboot v1 and ELF32 kernel loading, the multiboot information
// structure (memory sizes, command line, modules, memory map, loader name) and the entry state.
#include "system/kernel_loader.h"

#include <elf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace doppel::system {

namespace {

constexpr uint32_t kMultibootMagic = 0x1BADB002, kBootMagic = 0x2BADB002;
constexpr uint32_t kFlagAout = 1u << 16, kFlagVideo = 1u << 2;
// Low memory the loader uses: the GDT, then the information structure and its strings. Kernels
// load at 1 MiB and above, so this never overlaps them (QEMU's loader also works below 1 MiB).
constexpr uint64_t kGdtAddr = 0x7000, kInfoAddr = 0x8000, kStringsAddr = 0x9000;
constexpr uint64_t kLowEnd = 0x9fc00;

struct Image {
  std::string path;
  std::vector<uint8_t> bytes;
};

bool ReadImage(const std::string& path, Image* out, std::string* error) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    *error = path + ": cannot open: " + strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = path + ": not a regular file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  out->path = path;
  out->bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (out->bytes.empty()) {
    *error = path + ": empty file";
    return false;
  }
  return true;
}

uint32_t Le32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  memcpy(&v, b.data() + off, 4);
  return v;
}

long FindMultibootHeader(const std::vector<uint8_t>& b) {
  for (size_t off = 0; off + 12 <= b.size() && off < 8192; off += 4) {
    if (Le32(b, off) == kMultibootMagic && Le32(b, off) + Le32(b, off + 4) + Le32(b, off + 8) == 0)
      return static_cast<long>(off);
  }
  return -1;
}

bool Place(softmmu::PhysicalMemory& mem, uint64_t paddr, const uint8_t* data, uint64_t n,
           uint64_t zero, const std::string& path, std::string* error) {
  uint64_t end = paddr + n + zero;
  if (end < paddr || end > mem.ram_bytes() || (paddr < 0x100000 && end > kGdtAddr)) {
    *error = path + ": kernel does not fit in " + std::to_string(mem.ram_bytes() >> 20) +
             " MiB of RAM (or overlaps the loader's low memory)";
    return false;
  }
  std::vector<uint8_t> buf(data, data + n);
  buf.resize(n + zero, 0);
  if (!buf.empty()) mem.Write(paddr, buf.data(), buf.size());
  return true;
}

// ELF32 i386: PT_LOAD segments at their physical addresses. Returns the entry point.
bool LoadElf32(const Image& img, softmmu::PhysicalMemory& mem, uint32_t* entry, uint64_t* end,
               std::string* error) {
  const std::vector<uint8_t>& b = img.bytes;
  if (b.size() < sizeof(Elf32_Ehdr)) {
    *error = img.path + ": truncated ELF header";
    return false;
  }
  if (b[EI_CLASS] == ELFCLASS64) {
    *error = img.path + ": 64-bit ELF kernels need a multiboot a.out header (not supported)";
    return false;
  }
  Elf32_Ehdr eh;
  memcpy(&eh, b.data(), sizeof eh);
  if (b[EI_CLASS] != ELFCLASS32 || b[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_386) {
    *error = img.path + ": not an i386 ELF32 kernel (machine " + std::to_string(eh.e_machine) + ")";
    return false;
  }
  if (eh.e_phentsize != sizeof(Elf32_Phdr) ||
      static_cast<uint64_t>(eh.e_phoff) + uint64_t{eh.e_phnum} * sizeof(Elf32_Phdr) > b.size()) {
    *error = img.path + ": truncated ELF program headers";
    return false;
  }
  *end = 0;
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf32_Phdr ph;
    memcpy(&ph, b.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type != PT_LOAD) continue;
    if (uint64_t{ph.p_offset} + ph.p_filesz > b.size() || ph.p_filesz > ph.p_memsz) {
      *error = img.path + ": truncated ELF segment";
      return false;
    }
    if (!Place(mem, ph.p_paddr, b.data() + ph.p_offset, ph.p_filesz, ph.p_memsz - ph.p_filesz,
               img.path, error))
      return false;
    *end = std::max<uint64_t>(*end, uint64_t{ph.p_paddr} + ph.p_memsz);
  }
  *entry = eh.e_entry;
  return true;
}

// The multiboot a.out kludge: the header gives load and entry addresses.
bool LoadAout(const Image& img, long hdr, softmmu::PhysicalMemory& mem, uint32_t* entry,
              uint64_t* end, std::string* error) {
  const std::vector<uint8_t>& b = img.bytes;
  if (static_cast<size_t>(hdr) + 32 > b.size()) {
    *error = img.path + ": truncated multiboot header";
    return false;
  }
  uint32_t header_addr = Le32(b, hdr + 12), load_addr = Le32(b, hdr + 16);
  uint32_t load_end = Le32(b, hdr + 20), bss_end = Le32(b, hdr + 24);
  *entry = Le32(b, hdr + 28);
  if (load_addr > header_addr || header_addr - load_addr > static_cast<uint32_t>(hdr)) {
    *error = img.path + ": bad multiboot a.out addresses";
    return false;
  }
  uint64_t file_off = hdr - (header_addr - load_addr);
  uint64_t n = load_end ? uint64_t{load_end} - load_addr : b.size() - file_off;
  if (load_end && load_end < load_addr) n = 0;
  if (file_off + n > b.size()) {
    *error = img.path + ": truncated multiboot a.out image";
    return false;
  }
  uint64_t zero = bss_end > load_addr + n ? bss_end - (load_addr + n) : 0;
  *end = load_addr + n + zero;
  return Place(mem, load_addr, b.data() + file_off, n, zero, img.path, error);
}

void SetEntryState(CpuState& cpu, uint32_t entry, uint32_t eax, uint32_t ebx) {
  cpu.sys.gdtr_base = kGdtAddr;
  cpu.sys.gdtr_limit = 4 * 8 - 1;
  cpu.sys.idtr_base = 0;
  cpu.sys.idtr_limit = 0x3ff;
  cpu.sys.cr0 = 0x11;  // PE, ET
  cpu.sys.cr3 = cpu.sys.cr4 = cpu.sys.efer = 0;
  cpu.sys.cpl = 0;
  cpu.rflags = 2;
  cpu.rip = entry;
  cpu.gpr[RAX] = eax;
  cpu.gpr[RBX] = ebx;
  for (unsigned s = 0; s < 6; ++s) {
    cpu.sys.seg[s] = SegmentCache{0x18, 0xc093, 0xffffffff};
    cpu.seg_base[s] = 0;
  }
  cpu.sys.seg[CS] = SegmentCache{0x10, 0xc09b, 0xffffffff};
}

}  // namespace

bool LoadKernel(const BootConfig& config, softmmu::PhysicalMemory& mem, CpuState& cpu,
                std::string* error) {
  Image img;
  if (!ReadImage(config.kernel_path, &img, error)) return false;
  long hdr = FindMultibootHeader(img.bytes);
  bool elf = img.bytes.size() >= 4 && memcmp(img.bytes.data(), ELFMAG, SELFMAG) == 0;
  uint32_t entry = 0;
  uint64_t end = 0;
  if (hdr >= 0 && (Le32(img.bytes, hdr + 4) & kFlagAout)) {
    if (!LoadAout(img, hdr, mem, &entry, &end, error)) return false;
  } else if (elf) {
    if (!LoadElf32(img, mem, &entry, &end, error)) return false;
  } else {
    *error = img.path + ": not a multiboot or ELF kernel";
    return false;
  }
  // The flat GDT the entry state's selectors name: null, null, code 0x10, data 0x18.
  const uint64_t gdt[4] = {0, 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull};
  mem.Write(kGdtAddr, gdt, sizeof gdt);
  if (hdr < 0) {  // a plain ELF32: no multiboot information
    SetEntryState(cpu, entry, 0, 0);
    return true;
  }
  // Multiboot information: memory sizes, the command line ("kernel path args" like QEMU),
  // modules loaded page-aligned after the kernel, the memory map and the loader name.
  uint32_t info[22] = {};
  std::vector<uint8_t> strings;
  auto add_string = [&](const std::string& s) {
    uint32_t addr = static_cast<uint32_t>(kStringsAddr + strings.size());
    strings.insert(strings.end(), s.begin(), s.end());
    strings.push_back(0);
    return addr;
  };
  info[0] = 1 | 4 | 64 | 512;
  info[1] = kLowEnd >> 10;
  info[2] = static_cast<uint32_t>((mem.ram_bytes() - 0x100000) >> 10);
  std::string cmdline = config.kernel_path;
  if (!config.cmdline.empty()) cmdline += " " + config.cmdline;
  info[4] = add_string(cmdline);
  uint64_t next = (end + 0xfff) & ~0xfffull;
  std::vector<uint32_t> mods;
  for (const BootModule& m : config.modules) {
    Image mod;
    if (!ReadImage(m.path, &mod, error)) return false;
    if (!Place(mem, next, mod.bytes.data(), mod.bytes.size(), 0, mod.path, error)) return false;
    std::string mod_cmdline = m.cmdline.empty() ? m.path : m.path + " " + m.cmdline;
    mods.insert(mods.end(),
                {static_cast<uint32_t>(next), static_cast<uint32_t>(next + mod.bytes.size()),
                 add_string(mod_cmdline), 0});
    next = (next + mod.bytes.size() + 0xfff) & ~0xfffull;
  }
  if (!mods.empty()) {
    info[0] |= 8;
    info[5] = static_cast<uint32_t>(mods.size() / 4);
    info[6] = static_cast<uint32_t>(kStringsAddr + 0x800);
    mem.Write(info[6], mods.data(), mods.size() * 4);
  }
  struct __attribute__((packed)) MmapEntry {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
  };
  const MmapEntry mmap[] = {{20, 0, kLowEnd, 1},
                            {20, kLowEnd, 0xa0000 - kLowEnd, 2},
                            {20, 0xf0000, 0x10000, 2},
                            {20, 0x100000, mem.ram_bytes() - 0x100000, 1}};
  info[11] = sizeof mmap;
  info[12] = static_cast<uint32_t>(kStringsAddr + 0xc00);
  mem.Write(info[12], mmap, sizeof mmap);
  info[16] = add_string("doppel");
  if (strings.size() > 0x800) {
    *error = img.path + ": command line too long";
    return false;
  }
  mem.Write(kStringsAddr, strings.data(), strings.size());
  mem.Write(kInfoAddr, info, sizeof info);
  SetEntryState(cpu, entry, kBootMagic, static_cast<uint32_t>(kInfoAddr));
  return true;
}

}  // namespace doppel::system
