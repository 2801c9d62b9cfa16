// linux-user/vdso.h: the guest vDSO (linux-user/vdso/*.S, embedded at build time): mapped into
// each process as Linux maps its own, announced by AT_SYSINFO_EHDR (and AT_SYSINFO for i386).
#pragma once
#include <cstdint>

namespace doppel::linux_user {

class Process;

// Maps the image for the process's ABI at a free address below the mmap base, read+execute,
// named [vdso]. Returns its address, or 0 if no room was found (the process then runs without).
uint64_t MapVdso(Process& p);
// Offset of a dynamic symbol in the image for the ABI (is32: i386), 0 if it is not there.
uint64_t VdsoSymbol(bool is32, const char* name);

}  // namespace doppel::linux_user
