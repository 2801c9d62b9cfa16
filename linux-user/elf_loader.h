// linux-user/elf_loader.h: validation and loading of ELF executables and their interpreter into
// a guest process, with the exit statuses a shell uses for "cannot execute" and "not found".
#pragma once
#include <cstdint>
#include <string>

#include "linux-user/process.h"

namespace doppel::linux_user {

constexpr int kExitCannotExecute = 126;
constexpr int kExitNotFound = 127;

struct LoadError {
  int status = kExitCannotExecute;
  std::string message;  // one line, without "doppel: "
};

struct LoadedElf {
  uint64_t bias = 0;   // load address - p_vaddr (0 for ET_EXEC)
  uint64_t entry = 0;  // e_entry + bias
  uint64_t phdr = 0;   // guest address of the program headers (AT_PHDR)
  uint16_t phnum = 0;
  uint16_t phent = 0;
  uint64_t end = 0;    // page-aligned end of the highest segment (where brk starts)
  std::string interp;  // PT_INTERP path, empty for a static program
  bool exec_stack = false;
};

// True when `path` starts like an i386 ELF (class 32, EM_386): the process must be 32-bit before
// anything is loaded. Anything else (including errors) is left for LoadElf to report.
bool LooksLikeElf32(const std::string& path);

// Validates the ELF file at `path` and maps its PT_LOAD segments into p. An interpreter is
// loaded at a free address; a PIE main program at kPieBase.
bool LoadElf(Process& p, const std::string& path, bool is_interp, LoadedElf* out, LoadError* err);

}  // namespace doppel::linux_user
