// TEMPORARY stub
#include "system/kernel_loader.h"
#include <elf.h>
#include <cstring>
#include <fstream>
#include <iterator>
namespace doppel::system {
bool LoadKernel(const BootConfig& c, softmmu::PhysicalMemory& mem, CpuState& cpu, std::string* error) {
  std::ifstream f(c.kernel_path, std::ios::binary);
  std::vector<uint8_t> img((std::istreambuf_iterator<char>(f)), {});
  if (img.size() < sizeof(Elf32_Ehdr)) { *error = "bad"; return false; }
  Elf32_Ehdr eh; memcpy(&eh, img.data(), sizeof eh);
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf32_Phdr ph; memcpy(&ph, img.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    if (ph.p_type != PT_LOAD) continue;
    std::vector<uint8_t> seg(ph.p_memsz, 0); memcpy(seg.data(), img.data() + ph.p_offset, ph.p_filesz);
    mem.Write(ph.p_paddr, seg.data(), seg.size());
  }
  uint32_t info[32] = {}; info[0] = 1 | 4; info[1] = 640; info[2] = (mem.ram_bytes() >> 10) - 1024;
  mem.Write(0x9000, c.cmdline.c_str(), c.cmdline.size() + 1); info[4] = 0x9000;
  mem.Write(0x8000, info, sizeof info);
  uint64_t gdt[4] = {0, 0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull};
  mem.Write(0x7000, gdt, sizeof gdt);
  cpu.sys.gdtr_base = 0x7000; cpu.sys.gdtr_limit = 31;
  cpu.sys.cr0 = 0x11; cpu.rflags = 2; cpu.rip = eh.e_entry;
  cpu.gpr[RAX] = 0x2badb002; cpu.gpr[RBX] = 0x8000;
  for (unsigned s = 0; s < 6; ++s) { cpu.sys.seg[s] = SegmentCache{0x18, 0xc093, 0xffffffff}; cpu.seg_base[s] = 0; }
  cpu.sys.seg[CS] = SegmentCache{0x10, 0xc09b, 0xffffffff};
  cpu.sys.cpl = 0;
  return true;
}
}
