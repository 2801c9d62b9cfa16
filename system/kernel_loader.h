// TEMPORARY stub (replaced by the loader branch)
#pragma once
#include <string>
#include <vector>
#include "runtime/cpu_state.h"
#include "softmmu/physical_memory.h"
namespace doppel::system {
struct BootModule { std::string path; std::string cmdline; };
struct BootConfig { std::string kernel_path; std::string cmdline; std::vector<BootModule> modules; };
bool LoadKernel(const BootConfig&, softmmu::PhysicalMemory& mem, CpuState& cpu, std::string* error);
}
