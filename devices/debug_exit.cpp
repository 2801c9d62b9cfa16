// devices/debug_exit.cpp: isa-debug-exit writes become exit requests.
#include "devices/debug_exit.h"

namespace doppel::devices {

DebugExit::DebugExit(std::function<void(int)> request_exit)
    : request_exit_(std::move(request_exit)) {}

void DebugExit::PortWrite(uint16_t port, unsigned size, uint32_t value) {
  if (size == 0) return;
  if (size < 4) value &= (1u << (8 * size)) - 1;
  if (request_exit_) request_exit_(ExitStatus(value));
}

}  // namespace doppel::devices
