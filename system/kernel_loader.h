// system/kernel_loader.h: firmware-free kernel loaders for `doppel boot`: multiboot v1 (a.out
// kludge or ELF32) and plain ELF32 kernels, loaded into guest RAM with the CPU set to their entry
// state.
#pragma once
#include <cstdint>
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

// Loads the kernel (and for multiboot its modules and boot information) into `mem` and sets the
// CPU to the kernel's entry state. False with a one-line message "<file>: <problem>" in *error;
// every file is validated before anything is written to `mem` or `cpu`.
bool LoadKernel(const BootConfig& config, softmmu::PhysicalMemory& mem, CpuState& cpu,
                std::string* error);

// Where the loader puts its data in low RAM, between the BIOS data area (below 0x500) and the
// EBDA at 0x9fc00. The mmap and info addresses are the ones QEMU's multiboot loader uses
// (MULTIBOOT_STRUCT_ADDR 0x9000, info 0x500 above it), so kernels see the same EBX as under QEMU.
// The module list and all strings (kernel command line, module command lines, loader name)
// follow the GDT; the area ends where they end, at most at kBootAreaLimit.
namespace multiboot {
constexpr uint32_t kBootloaderMagic = 0x2BADB002;  // EAX at entry
constexpr uint32_t kHeaderMagic = 0x1BADB002;
constexpr uint64_t kMmapAddr = 0x9000;
constexpr uint64_t kInfoAddr = 0x9500;
constexpr uint64_t kInfoSize = 0x80;  // struct multiboot_info is 116 bytes
constexpr uint64_t kGdtAddr = kInfoAddr + kInfoSize;
constexpr uint64_t kModListAddr = kGdtAddr + 0x20;
constexpr uint64_t kBootAreaLimit = 0x9fc00;
// QEMU's multiboot option ROM GDT: 0x08 flat 32-bit code, 0x10 flat 32-bit data.
constexpr uint16_t kCodeSelector = 0x08;
constexpr uint16_t kDataSelector = 0x10;
// Multiboot info flags the loader sets.
constexpr uint32_t kInfoMemory = 1 << 0, kInfoCmdline = 1 << 2, kInfoMods = 1 << 3,
                   kInfoMmap = 1 << 6, kInfoLoaderName = 1 << 9;
}  // namespace multiboot

}  // namespace doppel::system
