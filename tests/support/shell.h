// tests/support/shell.h: running commands and finding guest sources for end-to-end tests.
#pragma once
#include <ctime>
#include <string>

namespace doppel::test {

struct ShellResult {
  int status = -1;  // exit status, or 128 + signal as a shell reports it
  std::string out;  // stdout and stderr together
};

// Runs `cmd` through /bin/sh with stderr joined to stdout.
ShellResult Shell(const std::string& cmd);

// tests/guest in the source tree, and the build directory linux-user test programs go to.
std::string GuestSourceDir();
std::string LinuxUserGuestDir();

// Modification time of `path`, 0 if it does not exist.
time_t MTime(const std::string& path);

}  // namespace doppel::test
