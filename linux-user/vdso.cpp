// linux-user/vdso.cpp: mapping the embedded vDSO image and finding its symbols (through the
// image's section headers: .dynsym and its string table).
#include "linux-user/vdso.h"

#include <elf.h>

#include <cstddef>
#include <cstring>

#include "linux-user/process.h"

namespace doppel::linux_user {

extern const uint8_t kVdso64Image[];
extern const size_t kVdso64ImageSize;
extern const uint8_t kVdso32Image[];
extern const size_t kVdso32ImageSize;

namespace {

template <typename Ehdr, typename Shdr, typename Sym>
uint64_t FindSymbol(const uint8_t* image, size_t size, const char* name) {
  Ehdr eh;
  memcpy(&eh, image, sizeof eh);
  if (eh.e_shoff == 0 || eh.e_shoff + uint64_t{eh.e_shnum} * sizeof(Shdr) > size) return 0;
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    Shdr sh;
    memcpy(&sh, image + eh.e_shoff + i * sizeof(Shdr), sizeof sh);
    if (sh.sh_type != SHT_DYNSYM || sh.sh_link >= eh.e_shnum) continue;
    Shdr strtab;
    memcpy(&strtab, image + eh.e_shoff + sh.sh_link * sizeof(Shdr), sizeof strtab);
    for (uint64_t off = 0; off + sizeof(Sym) <= sh.sh_size; off += sizeof(Sym)) {
      Sym sym;
      memcpy(&sym, image + sh.sh_offset + off, sizeof sym);
      if (sym.st_name >= strtab.sh_size) continue;
      const char* s = reinterpret_cast<const char*>(image + strtab.sh_offset + sym.st_name);
      if (strcmp(s, name) == 0) return sym.st_value;
    }
  }
  return 0;
}

}  // namespace

uint64_t VdsoSymbol(bool is32, const char* name) {
  return is32 ? FindSymbol<Elf32_Ehdr, Elf32_Shdr, Elf32_Sym>(kVdso32Image, kVdso32ImageSize, name)
              : FindSymbol<Elf64_Ehdr, Elf64_Shdr, Elf64_Sym>(kVdso64Image, kVdso64ImageSize, name);
}

uint64_t MapVdso(Process& p) {
  const uint8_t* image = p.is32 ? kVdso32Image : kVdso64Image;
  const size_t size = p.is32 ? kVdso32ImageSize : kVdso64ImageSize;
  const uint64_t len = PageUp(size);
  auto at = p.memory().FindFree(len, 0);
  if (!at || p.memory().MapFixed(*at, len, kProtRead | kProtExec, "[vdso]") != 0) return 0;
  p.machine().WriteMemory(*at, image, size);
  return *at;
}

}  // namespace doppel::linux_user
