// cli/boot_command.cpp: `doppel boot`: builds the PC, loads the kernel, connects COM1 to the
// terminal (raw mode while running, so Ctrl-A X reaches the escape) and reports how it ended.
#include "cli/boot_command.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "system/kernel_loader.h"
#include "system/pc.h"

namespace doppel::cli {

namespace {

// Puts a terminal on stdin into raw mode for the run and restores it afterwards.
class RawTerminal {
 public:
  RawTerminal() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST;  // keep "\n" -> "\r\n" for the guest's output
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace

int CommandBoot(const Options& o) {
  if (o.kernel.empty()) {
    fprintf(stderr, "doppel: boot needs --kernel FILE\n");
    return 2;
  }
  if (!o.positional.empty()) {
    fprintf(stderr, "doppel: unexpected argument '%s' for boot\n", o.positional[0].c_str());
    return 2;
  }
  if (o.config.engine == Engine::kCompare) {
    fprintf(stderr, "doppel: --engine compare is not supported for boot (use interp or jit)\n");
    return 2;
  }
  FILE* serial = stdout;
  if (o.serial != "stdio") {
    std::string path = o.serial.substr(5);
    serial = fopen(path.c_str(), "wb");
    if (!serial) {
      fprintf(stderr, "doppel: cannot open serial file '%s': %s\n", path.c_str(), strerror(errno));
      return 1;
    }
  }
  system::PcConfig pc_config;
  pc_config.machine = o.config;
  pc_config.ram_bytes = o.ram_bytes;
  pc_config.cmdline = o.append;
  pc_config.icount = o.icount;
  pc_config.no_reboot = o.no_reboot;
  pc_config.serial_out = [serial](uint8_t c) {
    fputc(c, serial);
    if (c == '\n') fflush(serial);
  };
  pc_config.serial_in_fd = o.serial == "stdio" ? STDIN_FILENO : -1;
  pc_config.debugcon_out = [](uint8_t c) { fputc(c, stderr); };

  system::BootConfig boot;
  boot.kernel_path = o.kernel;
  boot.cmdline = o.append;
  for (const std::string& m : o.initrd) {
    size_t space = m.find(' ');
    boot.modules.push_back(system::BootModule{
        m.substr(0, space), space == std::string::npos ? "" : m.substr(space + 1)});
  }
  system::Pc* board = nullptr;
  pc_config.reload = [&boot, &board](CpuState& cpu, std::string* error) {
    return system::LoadKernel(boot, board->memory(), cpu, error);
  };
  system::Pc pc(pc_config);
  board = &pc;
  std::string error;
  if (!pc.Init(&error)) {
    fprintf(stderr, "doppel: %s\n", error.c_str());
    return 1;
  }
  if (!system::LoadKernel(boot, pc.memory(), pc.machine().cpu(), &error)) {
    fprintf(stderr, "doppel: %s\n", error.c_str());
    return 1;
  }
  pc.machine().SystemStateChanged();
  system::PcExit exit;
  {
    RawTerminal raw;
    exit = pc.Run();
  }
  fflush(serial);
  if (serial != stdout) fclose(serial);
  if (exit.reason != "debug exit") fprintf(stderr, "doppel: %s\n", exit.reason.c_str());
  if (o.stats) fprintf(stderr, "%s", pc.machine().FormatStats().c_str());
  return exit.status;
}

}  // namespace doppel::cli
