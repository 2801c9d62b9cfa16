// system/kernel_loader.h: loading a kernel image into guest-physical memory for `doppel boot`:
// multiboot v1 (ELF32 or the a.out kludge) with its information structure, or a plain ELF32.
#pragma once
#include <string>
#include <vector>

#include "runtime/cpu_state.h"
#include "softmmu/physical_memory.h"

namespace doppel::system {

struct BootModule {
  std::string path;
  std::string cmdline;
};
struct BootConfig {
  std::string kernel_path;
  std::string cmdline;
  std::vector<BootModule> modules;
};

// Loads the kernel and sets `cpu` to the multiboot entry state (32-bit protected mode, flat
// segments from a small GDT, paging off, EAX = 0x2BADB002, EBX = the information structure).
// False with a one-line message naming the file and the problem.
bool LoadKernel(const BootConfig& config, softmmu::PhysicalMemory& mem, CpuState& cpu,
                std::string* error);

}  // namespace doppel::system
