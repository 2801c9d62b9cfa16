// linux-user/elf_loader.cpp: strict ELF validation (every offset and size checked against the
// file, overflow-safe) and mapping of PT_LOAD segments with their protections and zeroed bss.
#include "linux-user/elf_loader.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace doppel::linux_user {
namespace {

// Where Linux puts an i386 PIE (ELF_ET_DYN_BASE of compat tasks).
constexpr uint64_t kPieBase32 = 0x56555000;

const char* MachineName(uint16_t m) {
  switch (m) {
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
    case EM_SH: return "SuperH";
    case 258: return "LoongArch";
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    default: return nullptr;
  }
}

// Owns a file descriptor for the duration of a load.
struct File {
  int fd = -1;
  uint64_t size = 0;
  ~File() {
    if (fd >= 0) close(fd);
  }
  bool ReadAt(uint64_t off, void* dst, uint64_t n) const {
    if (off > size || n > size - off) return false;
    auto* out = static_cast<uint8_t*>(dst);
    while (n > 0) {
      ssize_t got = pread(fd, out, n, static_cast<off_t>(off));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      out += got;
      off += static_cast<uint64_t>(got);
      n -= static_cast<uint64_t>(got);
    }
    return true;
  }
};

int ProtOf(uint32_t flags) {
  return (flags & PF_R ? kProtRead : 0) | (flags & PF_W ? kProtWrite : 0) |
         (flags & PF_X ? kProtExec : 0);
}

}  // namespace

bool LooksLikeElf32(const std::string& path) {
  File f;
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return false;
  f.size = 20;
  unsigned char h[20];
  if (!f.ReadAt(0, h, sizeof h) || memcmp(h, ELFMAG, SELFMAG) != 0) return false;
  return h[EI_CLASS] == ELFCLASS32 && h[18] == EM_386 && h[19] == 0;
}

bool LoadElf(Process& p, const std::string& path, bool is_interp, LoadedElf* out, LoadError* err) {
  const std::string what = is_interp ? "interpreter '" + path + "'" : "'" + path + "'";
  auto fail = [&](int status, const std::string& msg) {
    err->status = status;
    err->message = what + ": " + msg;
    return false;
  };
  auto bad = [&](const std::string& msg) { return fail(kExitCannotExecute, msg); };

  File f;
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) {
    int e = errno;
    std::string msg = e == ENOENT ? "not found" : strerror(e);
    return fail(e == ENOENT || e == ENOTDIR ? kExitNotFound : kExitCannotExecute,
                e == ENOENT && is_interp ? "not found (the program needs it; see -L PREFIX)" : msg);
  }
  struct stat st;
  if (fstat(f.fd, &st) != 0) return bad(strerror(errno));
  if (S_ISDIR(st.st_mode)) return bad("is a directory");
  if (!S_ISREG(st.st_mode)) return bad("not a regular file");
  f.size = static_cast<uint64_t>(st.st_size);

  unsigned char ident[EI_NIDENT] = {};
  if (f.size < 4 || !f.ReadAt(0, ident, 4) || memcmp(ident, ELFMAG, SELFMAG) != 0) {
    if (f.size >= 2 && f.ReadAt(0, ident, 2) && ident[0] == '#' && ident[1] == '!') {
      return bad("a script, not an ELF executable (run its interpreter under doppel instead)");
    }
    return bad("not an ELF executable");
  }
  if (!f.ReadAt(0, ident, EI_NIDENT)) return bad("truncated ELF header");
  if (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32)
    return bad("invalid ELF class");
  if (ident[EI_DATA] != ELFDATA2LSB) return bad("big-endian ELF, doppel runs x86-64 and i386");
  if (ident[EI_VERSION] != EV_CURRENT) return bad("invalid ELF version");
  // e_machine sits at the same offset in both classes, so name the machine before the class.
  uint16_t machine = 0;
  if (!f.ReadAt(18, &machine, 2)) return bad("truncated ELF header");
  if (machine != EM_X86_64 && machine != EM_386) {
    const char* name = MachineName(machine);
    return bad(std::string("ELF for machine ") + (name ? name : "#" + std::to_string(machine)) +
               ", doppel runs x86-64 and i386");
  }
  const bool is32 = ident[EI_CLASS] == ELFCLASS32;
  if (is32 != (machine == EM_386)) {
    if (machine == EM_X86_64) return bad("x32 ABI programs are not supported");
    return bad("64-bit ELF for i386");
  }
  if (is32 != p.is32) {
    return bad(is_interp ? "interpreter of another class than the program"
                         : "ELF class does not match the process");
  }
  // Both classes are read into the 64-bit structures: the fields mean the same.
  Elf64_Ehdr eh;
  const size_t phent_size = is32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
  if (is32) {
    Elf32_Ehdr e32;
    if (!f.ReadAt(0, &e32, sizeof e32)) return bad("truncated ELF header");
    memcpy(eh.e_ident, e32.e_ident, EI_NIDENT);
    eh.e_type = e32.e_type, eh.e_machine = e32.e_machine, eh.e_version = e32.e_version;
    eh.e_entry = e32.e_entry, eh.e_phoff = e32.e_phoff, eh.e_shoff = e32.e_shoff;
    eh.e_flags = e32.e_flags, eh.e_ehsize = e32.e_ehsize, eh.e_phentsize = e32.e_phentsize;
    eh.e_phnum = e32.e_phnum, eh.e_shentsize = e32.e_shentsize, eh.e_shnum = e32.e_shnum;
    eh.e_shstrndx = e32.e_shstrndx;
  } else if (!f.ReadAt(0, &eh, sizeof eh)) {
    return bad("truncated ELF header");
  }
  if (eh.e_type == ET_REL) return bad("a relocatable object file, not an executable");
  if (eh.e_type == ET_CORE) return bad("a core dump, not an executable");
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return bad("not an executable ELF type");
  if (eh.e_phentsize != phent_size) return bad("bad program header size");
  if (eh.e_phnum == 0 || eh.e_phnum == PN_XNUM) return bad("no program headers");
  uint64_t ph_bytes = uint64_t{eh.e_phnum} * phent_size;
  if (ph_bytes > 65536) return bad("too many program headers");
  if (eh.e_phoff > f.size || ph_bytes > f.size - eh.e_phoff)
    return bad("truncated program headers");
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  if (is32) {
    std::vector<Elf32_Phdr> ph32(eh.e_phnum);
    if (!f.ReadAt(eh.e_phoff, ph32.data(), ph_bytes)) return bad("truncated program headers");
    for (size_t i = 0; i < ph32.size(); ++i) {
      const Elf32_Phdr& h = ph32[i];
      ph[i] = Elf64_Phdr{h.p_type,  h.p_flags,  h.p_offset, h.p_vaddr,
                         h.p_paddr, h.p_filesz, h.p_memsz,  h.p_align};
    }
  } else if (!f.ReadAt(eh.e_phoff, ph.data(), ph_bytes)) {
    return bad("truncated program headers");
  }
  const uint64_t task_size = p.memory().task_size();

  std::vector<const Elf64_Phdr*> loads;
  uint64_t phdr_vaddr = 0;
  bool have_phdr = false;
  for (const Elf64_Phdr& h : ph) {
    switch (h.p_type) {
      case PT_LOAD: {
        if (h.p_memsz == 0) break;
        if (h.p_filesz > h.p_memsz) return bad("segment file size exceeds its memory size");
        if (h.p_offset > f.size || h.p_filesz > f.size - h.p_offset)
          return bad("truncated segment");
        if (h.p_vaddr >= task_size || h.p_memsz > task_size - h.p_vaddr)
          return bad("segment outside user space");
        if ((h.p_vaddr - h.p_offset) % kPageSize != 0)
          return bad("segment offset and address not congruent");
        if (!loads.empty()) {
          const Elf64_Phdr* prev = loads.back();
          // Segments ascend and at most share a page (the kernel maps them in order).
          if (h.p_vaddr < prev->p_vaddr + prev->p_memsz)
            return bad("overlapping or unsorted segments");
        }
        loads.push_back(&h);
        break;
      }
      case PT_INTERP: {
        if (is_interp) return bad("the interpreter itself asks for an interpreter");
        if (!out->interp.empty()) return bad("more than one PT_INTERP");
        if (h.p_filesz < 2 || h.p_filesz > 4096) return bad("bad PT_INTERP size");
        if (h.p_offset > f.size || h.p_filesz > f.size - h.p_offset)
          return bad("truncated PT_INTERP");
        std::string s(h.p_filesz, '\0');
        if (!f.ReadAt(h.p_offset, s.data(), h.p_filesz)) return bad("truncated PT_INTERP");
        if (s.back() != '\0' || s.find('\0') != s.size() - 1)
          return bad("PT_INTERP is not a string");
        s.pop_back();
        out->interp = s;
        break;
      }
      case PT_PHDR:
        have_phdr = true;
        phdr_vaddr = h.p_vaddr;
        break;
      case PT_GNU_STACK: out->exec_stack = (h.p_flags & PF_X) != 0; break;
      default: break;
    }
  }
  if (loads.empty()) return bad("no loadable segments");

  uint64_t lo = PageDown(loads.front()->p_vaddr);
  uint64_t hi = PageUp(loads.back()->p_vaddr + loads.back()->p_memsz);
  uint64_t bias = 0;
  if (eh.e_type == ET_DYN) {
    uint64_t base = p.is32 ? kPieBase32 : kPieBase;
    if (is_interp || !p.memory().IsFree(base, hi - lo)) {
      auto free = p.memory().FindFree(hi - lo);
      if (!free) return bad("no room in the address space");
      base = *free;
    }
    bias = base - lo;
  } else {
    if (lo < kMinMapAddr) return bad("segment below the minimum mapping address");
    if (!p.memory().IsFree(lo, hi - lo)) return bad("segments overlap memory already in use");
  }

  uint64_t mapped_end = 0;  // end of the pages mapped so far, to share a page between segments
  int last_prot = 0;
  std::vector<uint8_t> buf;
  for (const Elf64_Phdr* h : loads) {
    uint64_t start = PageDown(h->p_vaddr + bias), end = PageUp(h->p_vaddr + h->p_memsz + bias);
    int prot = ProtOf(h->p_flags);
    uint64_t map_from = start;
    if (start < mapped_end) {
      // The first page holds the tail of the previous segment: it gets both protections.
      last_prot |= prot;
      p.memory().Protect(start, kPageSize, last_prot);
      map_from = start + kPageSize;
    }
    if (map_from < end) {
      int e = p.memory().MapFixed(map_from, end - map_from, prot, path);
      if (e != 0) return bad("cannot map segment: " + std::string(strerror(-e)));
    }
    // Copy from the start of the file page (as mmap would show it) unless that page is shared.
    uint64_t lead = start < mapped_end ? 0 : (h->p_vaddr + bias) - start;
    uint64_t off = h->p_offset - lead, n = h->p_filesz + lead;
    if (off > f.size) lead = 0, off = h->p_offset, n = h->p_filesz;
    for (uint64_t done = 0; done < n;) {
      uint64_t chunk = std::min<uint64_t>(n - done, 1u << 20);
      buf.resize(chunk);
      if (!f.ReadAt(off + done, buf.data(), chunk)) return bad("truncated segment");
      p.machine().WriteMemory(h->p_vaddr + bias - lead + done, buf.data(), chunk);
      done += chunk;
    }
    mapped_end = end;
    last_prot = prot;
  }

  out->bias = bias;
  out->entry = eh.e_entry + bias;
  out->phnum = eh.e_phnum;
  out->phent = eh.e_phentsize;
  out->end = hi + bias;
  if (have_phdr) {
    out->phdr = phdr_vaddr + bias;
  } else {
    out->phdr = eh.e_phoff + lo + bias;  // the kernel's fallback: load address + e_phoff
    for (const Elf64_Phdr* h : loads) {
      if (eh.e_phoff >= h->p_offset && eh.e_phoff - h->p_offset < h->p_filesz) {
        out->phdr = h->p_vaddr + (eh.e_phoff - h->p_offset) + bias;
        break;
      }
    }
  }
  return true;
}

}  // namespace doppel::linux_user
