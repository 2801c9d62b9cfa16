// system/kernel_loader.cpp: multiboot v1 and plain ELF32 kernel loading: file validation (every
// offset and size checked, overflow-safe), placement in guest RAM, multiboot info and entry state.
#include "system/kernel_loader.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>

namespace doppel::system {
namespace {

using namespace multiboot;

constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024, k4GiB = 1ull << 32;
constexpr uint64_t kPage = 4096;
// The multiboot header must lie in the first 8192 bytes, 32-bit aligned (spec 3.1).
constexpr uint64_t kHeaderSearch = 8192;
// Low memory the kernel must not be loaded over: the real-mode IVT and BIOS data area, and the
// EBDA, VGA and BIOS ROM window that the memory map reports as reserved or absent.
constexpr uint64_t kBdaEnd = 0x500;
constexpr uint64_t kEbdaStart = 0x9fc00, kHighMemory = 0x100000;

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string SizeText(uint64_t bytes) {
  char buf[40];
  if (bytes % kMiB == 0)
    snprintf(buf, sizeof buf, "%" PRIu64 " MiB", bytes / kMiB);
  else
    snprintf(buf, sizeof buf, "%" PRIu64 " KiB", bytes / kKiB);
  return buf;
}

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

uint32_t Le32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

const char* MachineName(uint16_t m) {
  switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "AArch64";
    case EM_ARM: return "ARM";
    case EM_RISCV: return "RISC-V";
    case EM_PPC: return "PowerPC";
    case EM_PPC64: return "PowerPC64";
    case EM_S390: return "S/390";
    case EM_MIPS: return "MIPS";
    case EM_SPARC: return "SPARC";
    case EM_SPARCV9: return "SPARC V9";
    case EM_IA_64: return "IA-64";
    case EM_68K: return "m68k";
    case 258: return "LoongArch";
    default: return nullptr;
  }
}

std::string MachineText(uint16_t m) {
  const char* name = MachineName(m);
  return name ? name : "machine " + std::to_string(m);
}

// A whole file mapped read-only: kernels with debug info can be far larger than guest RAM, and
// only the loaded parts are touched.
class MappedFile {
 public:
  ~MappedFile() {
    if (data_ && size_) munmap(const_cast<uint8_t*>(data_), size_);
  }
  // The error has no path prefix.
  bool Open(const std::string& path, std::string* error) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail(std::string("cannot open: ") + strerror(errno), error);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int e = errno;
      close(fd);
      return Fail(std::string("cannot stat: ") + strerror(e), error);
    }
    if (S_ISDIR(st.st_mode)) {
      close(fd);
      return Fail("is a directory", error);
    }
    if (!S_ISREG(st.st_mode)) {
      close(fd);
      return Fail("not a regular file", error);
    }
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ == 0) {
      close(fd);
      return true;
    }
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
      size_ = 0;
      return Fail(std::string("cannot read: ") + strerror(e), error);
    }
    data_ = static_cast<const uint8_t*>(p);
    return true;
  }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  static bool Fail(std::string msg, std::string* error) {
    *error = std::move(msg);
    return false;
  }
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// One piece of the kernel image: file bytes [file_offset, file_offset+file_size) copied to
// paddr, then zeros up to paddr+mem_size.
struct Segment {
  uint64_t paddr = 0, file_offset = 0, file_size = 0, mem_size = 0;
};

struct KernelImage {
  std::vector<Segment> segments;
  uint64_t entry = 0;
  bool multiboot = false;
};

// The parts of an ELF header both classes share, read without alignment assumptions.
struct ElfInfo {
  bool is64 = false;
  uint16_t type = 0, machine = 0;
  uint64_t entry = 0, phoff = 0;
  uint16_t phentsize = 0, phnum = 0;
};

bool IsElf(const MappedFile& f) {
  return f.size() >= SELFMAG && memcmp(f.data(), ELFMAG, SELFMAG) == 0;
}

// Reads and checks the ELF header; the error has no path prefix.
bool ParseElfHeader(const MappedFile& f, ElfInfo* info, std::string* error) {
  if (f.size() < EI_NIDENT) return *error = "truncated ELF header", false;
  uint8_t cls = f.data()[EI_CLASS];
  if (cls != ELFCLASS32 && cls != ELFCLASS64)
    return *error = "bad ELF class " + std::to_string(cls), false;
  info->is64 = cls == ELFCLASS64;
  if (f.data()[EI_DATA] != ELFDATA2LSB) return *error = "big-endian or invalid ELF data", false;
  if (info->is64) {
    Elf64_Ehdr eh;
    if (f.size() < sizeof eh) return *error = "truncated ELF header", false;
    memcpy(&eh, f.data(), sizeof eh);
    *info = {true, eh.e_type, eh.e_machine, eh.e_entry, eh.e_phoff, eh.e_phentsize, eh.e_phnum};
  } else {
    Elf32_Ehdr eh;
    if (f.size() < sizeof eh) return *error = "truncated ELF header", false;
    memcpy(&eh, f.data(), sizeof eh);
    *info = {false, eh.e_type, eh.e_machine, eh.e_entry, eh.e_phoff, eh.e_phentsize, eh.e_phnum};
  }
  return true;
}

// Collects the PT_LOAD segments of an i386 ELF32 kernel, loaded by physical address (p_paddr)
// as QEMU's multiboot loader and GRUB do. An entry point given as a virtual address inside a
// segment (higher-half kernels) is translated to its physical address, since paging is off.
bool ParseElf32Kernel(const MappedFile& f, const ElfInfo& info, KernelImage* image,
                      std::string* error) {
  if (info.machine != EM_386) return *error = "ELF for machine " + MachineText(info.machine), false;
  if (info.type != ET_EXEC && info.type != ET_DYN)
    return *error = "ELF is not an executable (type " + std::to_string(info.type) + ")", false;
  if (info.phnum == 0) return *error = "ELF has no program headers", false;
  if (info.phentsize < sizeof(Elf32_Phdr))
    return *error = "bad ELF program header size " + std::to_string(info.phentsize), false;
  uint64_t table_bytes = uint64_t{info.phnum} * info.phentsize;
  if (info.phoff > f.size() || table_bytes > f.size() - info.phoff)
    return *error = "truncated ELF: program headers extend past the end of the file", false;
  uint64_t entry = info.entry;
  bool entry_found = false;
  for (unsigned i = 0; i < info.phnum; ++i) {
    Elf32_Phdr ph;
    memcpy(&ph, f.data() + info.phoff + uint64_t{i} * info.phentsize, sizeof ph);
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    std::string which = "segment " + std::to_string(i);
    if (ph.p_filesz > ph.p_memsz)
      return *error = "bad ELF: " + which + " has p_filesz > p_memsz", false;
    if (ph.p_offset > f.size() || ph.p_filesz > f.size() - ph.p_offset)
      return *error = "truncated ELF: " + which + " extends past the end of the file", false;
    image->segments.push_back({ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz});
    if (!entry_found && info.entry >= ph.p_vaddr && info.entry - ph.p_vaddr < ph.p_memsz) {
      entry = info.entry - ph.p_vaddr + ph.p_paddr;
      entry_found = true;
    }
  }
  if (image->segments.empty()) return *error = "ELF has no loadable segments", false;
  image->entry = entry;
  return true;
}

// Finds a multiboot header with a valid checksum; *bad_checksum_at reports a magic whose
// checksum fails when no valid header exists.
bool FindMultibootHeader(const MappedFile& f, uint64_t* offset, int64_t* bad_checksum_at) {
  *bad_checksum_at = -1;
  uint64_t end = std::min<uint64_t>(f.size(), kHeaderSearch);
  for (uint64_t off = 0; off + 12 <= end; off += 4) {
    const uint8_t* p = f.data() + off;
    if (Le32(p) != kHeaderMagic) continue;
    if (static_cast<uint32_t>(Le32(p) + Le32(p + 4) + Le32(p + 8)) == 0) {
      *offset = off;
      return true;
    }
    if (*bad_checksum_at < 0) *bad_checksum_at = static_cast<int64_t>(off);
  }
  return false;
}

// The a.out kludge (header flag 16): the header gives the load addresses directly (spec 3.1.3).
bool ParseAoutKludge(const MappedFile& f, uint64_t hdr, KernelImage* image, std::string* error) {
  if (hdr + 32 > f.size()) return *error = "truncated multiboot header (a.out kludge)", false;
  const uint8_t* p = f.data() + hdr;
  uint32_t header_addr = Le32(p + 12), load_addr = Le32(p + 16), load_end = Le32(p + 20),
           bss_end = Le32(p + 24), entry = Le32(p + 28);
  if (load_addr > header_addr)
    return *error = "multiboot load_addr " + Hex(load_addr) + " is above header_addr " +
                    Hex(header_addr),
           false;
  if (header_addr - load_addr > hdr)
    return *error = "multiboot header_addr - load_addr (" + Hex(header_addr - load_addr) +
                    ") exceeds the header's file offset " + Hex(hdr),
           false;
  uint64_t text_offset = hdr - (header_addr - load_addr);
  uint64_t size = f.size() - text_offset;
  if (load_end != 0) {
    if (load_end < load_addr)
      return *error = "multiboot load_end_addr " + Hex(load_end) + " is below load_addr " +
                      Hex(load_addr),
             false;
    if (load_end - load_addr > size)
      return *error = "truncated kernel: multiboot load_end_addr " + Hex(load_end) +
                      " is past the end of the file",
             false;
    size = load_end - load_addr;
  }
  uint64_t mem_size = size;
  if (bss_end != 0) {
    if (bss_end < load_addr + size)
      return *error = "multiboot bss_end_addr " + Hex(bss_end) + " is below the end of the image " +
                      Hex(load_addr + size),
             false;
    mem_size = bss_end - load_addr;
  }
  if (mem_size == 0) return *error = "multiboot a.out kludge loads nothing", false;
  image->segments.push_back({load_addr, text_offset, size, mem_size});
  image->entry = entry;
  return true;
}

// Recognises the kernel format and collects what to load; the error has no path prefix.
bool ParseKernel(const MappedFile& f, KernelImage* image, std::string* error) {
  if (f.size() == 0) return *error = "empty file", false;
  uint64_t hdr = 0;
  int64_t bad_checksum_at = -1;
  bool multiboot = FindMultibootHeader(f, &hdr, &bad_checksum_at);
  if (!multiboot && bad_checksum_at >= 0)
    return *error = "multiboot header at offset " + Hex(static_cast<uint64_t>(bad_checksum_at)) +
                    " has a bad checksum",
           false;
  bool elf = IsElf(f);
  ElfInfo info;
  // The a.out kludge does not need the ELF header (QEMU uses it even for ELF64 files).
  bool kludge = multiboot && (Le32(f.data() + hdr + 4) & (1u << 16));
  if (elf && !kludge && !ParseElfHeader(f, &info, error)) return false;
  if (multiboot) {
    image->multiboot = true;
    uint32_t flags = Le32(f.data() + hdr + 4);
    // Bits 0-15 are requirements: 0 (page-aligned modules) and 1 (memory info) are always
    // met; 2 (video mode) is only a preference, which QEMU ignores too. Bits 16-31 are optional.
    uint32_t unsupported = flags & 0xfff8;
    if (unsupported)
      return *error =
                 "multiboot header requires unsupported features (flags " + Hex(unsupported) + ")",
             false;
    if (kludge) return ParseAoutKludge(f, hdr, image, error);
    if (!elf)
      return *error = "multiboot header without the a.out kludge (flag 16) in a non-ELF file",
             false;
    // QEMU's words for a 64-bit ELF behind a multiboot header.
    if (info.is64) return *error = "cannot load x86-64 image, give a 32bit one", false;
    return ParseElf32Kernel(f, info, image, error);
  }
  if (!elf) {
    if (f.size() < 12)
      return *error = "too small to be a kernel (" + std::to_string(f.size()) + " bytes)", false;
    return *error = "not a multiboot or ELF kernel", false;
  }
  if (info.is64) {
    if (info.machine == EM_X86_64)
      return *error = "64-bit ELF kernels need the Linux boot protocol (not supported yet)", false;
    return *error = "ELF for machine " + MachineText(info.machine), false;
  }
  return ParseElf32Kernel(f, info, image, error);
}

bool Overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end) {
  return a < b_end && b < a_end;
}

// Writes zeros over [paddr, paddr+n) (RAM may hold a previous run's bytes).
bool Zero(softmmu::PhysicalMemory& mem, uint64_t paddr, uint64_t n) {
  static const uint8_t zeros[64 * 1024] = {};
  while (n > 0) {
    uint64_t chunk = std::min<uint64_t>(n, sizeof zeros);
    if (!mem.Write(paddr, zeros, chunk)) return false;
    paddr += chunk;
    n -= chunk;
  }
  return true;
}

// The boot information area's contents, built before anything is written.
class BootArea {
 public:
  uint64_t AddString(const std::string& s) {
    uint64_t addr = kModListAddr + mod_list_bytes_ + strings_.size();
    strings_.insert(strings_.end(), s.begin(), s.end());
    strings_.push_back(0);
    return addr;
  }
  void set_module_count(uint64_t n) { mod_list_bytes_ = n * 16; }
  uint64_t end() const { return kModListAddr + mod_list_bytes_ + strings_.size(); }
  const std::vector<uint8_t>& strings() const { return strings_; }
  uint64_t strings_addr() const { return kModListAddr + mod_list_bytes_; }

 private:
  uint64_t mod_list_bytes_ = 0;
  std::vector<uint8_t> strings_;
};

void Put32(std::vector<uint8_t>& buf, uint64_t off, uint32_t v) { memcpy(&buf[off], &v, 4); }
void Put64(std::vector<uint8_t>& buf, uint64_t off, uint64_t v) { memcpy(&buf[off], &v, 8); }

// The memory map a PC with `ram` bytes reports, as SeaBIOS's E820 table under QEMU (which the
// QEMU multiboot ROM copies): conventional memory up to the EBDA, the EBDA, the BIOS ROM, and
// extended memory. QEMU+SeaBIOS additionally reserve the top 128 KiB of RAM for SeaBIOS's own
// tables and the BIOS ROM alias at [0xfffc0000, 4 GiB); doppel has no firmware, so it reports
// neither. RAM beyond 4 GiB, if any, is one more available entry.
std::vector<uint8_t> MemoryMap(uint64_t ram) {
  struct Entry {
    uint64_t base, length;
    uint32_t type;
  };
  std::vector<Entry> entries = {
      {0, kEbdaStart, 1}, {kEbdaStart, 0xa0000 - kEbdaStart, 2}, {0xf0000, 0x10000, 2}};
  uint64_t low_end = std::min(ram, k4GiB);
  if (low_end > kHighMemory) entries.push_back({kHighMemory, low_end - kHighMemory, 1});
  if (ram > k4GiB) entries.push_back({k4GiB, ram - k4GiB, 1});
  std::vector<uint8_t> out(entries.size() * 24);
  for (size_t i = 0; i < entries.size(); ++i) {
    Put32(out, i * 24, 20);  // size of the entry after this field
    Put64(out, i * 24 + 4, entries[i].base);
    Put64(out, i * 24 + 12, entries[i].length);
    Put32(out, i * 24 + 20, entries[i].type);
  }
  return out;
}

// The flat GDT of QEMU's multiboot ROM (null, 0x08 code, 0x10 data; base 0, 4 GiB, DPL 0), with
// the accessed bits already set so the descriptors match the segment caches.
constexpr uint64_t kGdt[3] = {0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull};
constexpr uint16_t kCodeAttrs = 0x9b | kSegDb | kSegGranularity;
constexpr uint16_t kDataAttrs = 0x93 | kSegDb | kSegGranularity;

// Multiboot spec 3.2 machine state: 32-bit protected mode, paging off, interrupts off, flat
// segments; EAX and EBX as given.
void SetEntryState(CpuState& cpu, uint64_t entry, uint32_t eax, uint32_t ebx) {
  for (uint64_t& r : cpu.gpr) r = 0;
  cpu.gpr[RAX] = eax;
  cpu.gpr[RBX] = ebx;
  cpu.rip = entry;
  cpu.rflags = 0x2;
  for (unsigned s = 0; s < 6; ++s) {
    bool code = s == CS;
    cpu.sys.seg[s] = SegmentCache{code ? kCodeSelector : kDataSelector,
                                  code ? kCodeAttrs : kDataAttrs, 0xffffffff};
    cpu.seg_base[s] = 0;
  }
  cpu.sys.cpl = 0;
  cpu.sys.cr0 = 0x11;  // PE | ET
  cpu.sys.cr2 = cpu.sys.cr3 = cpu.sys.cr4 = 0;
  cpu.sys.efer = 0;
  cpu.sys.gdtr_base = kGdtAddr;
  cpu.sys.gdtr_limit = sizeof kGdt - 1;
  cpu.sys.idtr_base = 0;
  cpu.sys.idtr_limit = 0x3ff;
  cpu.sys.halted = 0;
  cpu.sys.interrupt_shadow = 0;
}

struct LoadedModule {
  const BootModule* config;
  std::unique_ptr<MappedFile> file;
  uint64_t start = 0;
};

}  // namespace

bool LoadKernel(const BootConfig& config, softmmu::PhysicalMemory& mem, CpuState& cpu,
                std::string* error) {
  const std::string& path = config.kernel_path;
  auto fail = [&](const std::string& who, const std::string& msg) {
    *error = who + ": " + msg;
    return false;
  };
  MappedFile file;
  std::string msg;
  if (!file.Open(path, &msg)) return fail(path, msg);
  KernelImage image;
  if (!ParseKernel(file, &image, &msg)) return fail(path, msg);
  if (!image.multiboot && !config.modules.empty())
    return fail(path, "modules need a multiboot kernel");

  const uint64_t ram = mem.ram_bytes();
  if (ram < kHighMemory) return fail(path, "a kernel needs at least 1 MiB of RAM");

  // Lay out the boot information area first: the kernel must not overlap it.
  BootArea area;
  area.set_module_count(config.modules.size());
  uint64_t loader_name = 0, cmdline = 0;
  std::vector<uint64_t> module_cmdlines;
  if (image.multiboot) {
    // QEMU passes "<kernel file> <command line>" and module strings that start with the
    // module's file name, as GRUB does.
    cmdline = area.AddString(path + " " + config.cmdline);
    for (const BootModule& m : config.modules)
      module_cmdlines.push_back(
          area.AddString(m.cmdline.empty() ? m.path : m.path + " " + m.cmdline));
    loader_name = area.AddString("doppel");
    if (area.end() > kBootAreaLimit)
      return fail(path, "command lines and module list need " +
                            SizeText(AlignUp(area.end() - kModListAddr, kKiB)) +
                            " of boot information area, more than the " +
                            SizeText(kBootAreaLimit - kModListAddr) + " below the EBDA");
  }
  // A plain ELF kernel gets only the GDT its segment registers came from.
  const uint64_t area_start = image.multiboot ? kMmapAddr : kGdtAddr;
  const uint64_t area_end = image.multiboot ? area.end() : kGdtAddr + sizeof kGdt;

  uint64_t kernel_end = 0;
  for (const Segment& s : image.segments) {
    uint64_t end = s.paddr + s.mem_size;  // no overflow: 32-bit fields
    // Appended piecewise: GCC 12 gives a false -Wrestrict for "[" + std::string here.
    std::string range = "[";
    range += Hex(s.paddr);
    range += ", ";
    range += Hex(end);
    range += ")";
    if (end > ram)
      return fail(path,
                  "kernel does not fit in " + SizeText(ram) + " of RAM (segment " + range + ")");
    if (Overlaps(s.paddr, end, 0, kBdaEnd))
      return fail(path, "segment " + range + " overlaps the BIOS data area [0x0, 0x500)");
    if (Overlaps(s.paddr, end, area_start, area_end))
      return fail(path, "segment " + range + " overlaps the boot information area [" +
                            Hex(area_start) + ", " + Hex(area_end) + ")");
    if (Overlaps(s.paddr, end, kEbdaStart, kHighMemory))
      return fail(path, "segment " + range + " overlaps the reserved EBDA/VGA/BIOS area [" +
                            Hex(kEbdaStart) + ", " + Hex(kHighMemory) + ")");
    for (uint64_t p = s.paddr & ~(kPage - 1); p < end; p += kPage)
      if (!mem.Host(p))
        return fail(path, "segment " + range + " is not in RAM (MMIO at " + Hex(p) + ")");
    kernel_end = std::max(kernel_end, end);
  }

  // Modules follow the kernel page-aligned (as QEMU places them), never below 1 MiB so they
  // stay clear of the boot information area.
  std::vector<LoadedModule> modules;
  uint64_t next = AlignUp(std::max(kernel_end, kHighMemory), kPage);
  for (const BootModule& m : config.modules) {
    LoadedModule lm{&m, std::make_unique<MappedFile>()};
    if (!lm.file->Open(m.path, &msg)) return fail(m.path, msg);
    lm.start = next;
    uint64_t end = next + lm.file->size();
    if (end > ram)
      return fail(m.path, "module does not fit in " + SizeText(ram) + " of RAM (needs [" +
                              Hex(next) + ", " + Hex(end) + "))");
    if (end > k4GiB) return fail(m.path, "module would end above 4 GiB");
    for (uint64_t p = next; p < end; p += kPage)
      if (!mem.Host(p)) return fail(m.path, "module would overlap MMIO at " + Hex(p));
    next = AlignUp(end, kPage);
    modules.push_back(std::move(lm));
  }

  // Everything is valid: write the kernel, modules and boot information.
  for (const Segment& s : image.segments) {
    if (!mem.Write(s.paddr, file.data() + s.file_offset, s.file_size) ||
        !Zero(mem, s.paddr + s.file_size, s.mem_size - s.file_size))
      return fail(path, "cannot write segment at " + Hex(s.paddr));
  }
  if (!image.multiboot) {
    if (!mem.Write(kGdtAddr, kGdt, sizeof kGdt))
      return fail(path, "cannot write the GDT at " + Hex(kGdtAddr));
    SetEntryState(cpu, image.entry, 0, 0);
    return true;
  }

  std::vector<uint8_t> mod_list(modules.size() * 16);
  for (size_t i = 0; i < modules.size(); ++i) {
    const LoadedModule& m = modules[i];
    uint64_t size = m.file->size();
    if (size && !mem.Write(m.start, m.file->data(), size))
      return fail(m.config->path, "cannot write module at " + Hex(m.start));
    Put32(mod_list, i * 16, static_cast<uint32_t>(m.start));
    Put32(mod_list, i * 16 + 4, static_cast<uint32_t>(m.start + size));
    Put32(mod_list, i * 16 + 8, static_cast<uint32_t>(module_cmdlines[i]));
    Put32(mod_list, i * 16 + 12, 0);
  }

  std::vector<uint8_t> mmap = MemoryMap(ram);
  std::vector<uint8_t> info(kInfoSize);
  Put32(info, 0, kInfoMemory | kInfoCmdline | kInfoMods | kInfoMmap | kInfoLoaderName);
  // mem_lower: conventional memory below the EBDA (639 KiB, what QEMU's boot reports with
  // SeaBIOS); mem_upper: from 1 MiB up, in KiB.
  Put32(info, 4, static_cast<uint32_t>(kEbdaStart / kKiB));
  Put32(info, 8, static_cast<uint32_t>((std::min(ram, k4GiB) - kHighMemory) / kKiB));
  Put32(info, 16, static_cast<uint32_t>(cmdline));
  Put32(info, 20, static_cast<uint32_t>(modules.size()));
  Put32(info, 24, static_cast<uint32_t>(kModListAddr));
  Put32(info, 44, static_cast<uint32_t>(mmap.size()));
  Put32(info, 48, static_cast<uint32_t>(kMmapAddr));
  Put32(info, 64, static_cast<uint32_t>(loader_name));

  bool ok = Zero(mem, kMmapAddr, area.end() - kMmapAddr) &&
            mem.Write(kMmapAddr, mmap.data(), mmap.size()) &&
            mem.Write(kInfoAddr, info.data(), info.size()) &&
            mem.Write(kGdtAddr, kGdt, sizeof kGdt) &&
            (mod_list.empty() || mem.Write(kModListAddr, mod_list.data(), mod_list.size())) &&
            mem.Write(area.strings_addr(), area.strings().data(), area.strings().size());
  if (!ok) return fail(path, "cannot write the boot information area at " + Hex(kMmapAddr));
  SetEntryState(cpu, image.entry, kBootloaderMagic, static_cast<uint32_t>(kInfoAddr));
  return true;
}

}  // namespace doppel::system
