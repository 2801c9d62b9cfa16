// linux-user/signals.h: guest signal state and delivery: pending signals (raised by guest faults,
// sent to itself, or caught from the host by a handler that only records them), the guest mask
// mirrored onto the host, default actions, and signal frames on the guest stack.
#pragma once
#include <cstdint>

namespace doppel::linux_user {

class Process;
struct GuestThread;

// siginfo_t as the x86-64 kernel lays it out (also the host's layout): 128 bytes.
struct GuestSiginfo {
  int32_t signo = 0;
  int32_t err = 0;
  int32_t code = 0;
  int32_t pad = 0;
  union {
    struct {
      int32_t pid;
      uint32_t uid;
    } kill;
    uint64_t addr;  // faults
    uint8_t raw[112];
  } u = {};
};
static_assert(sizeof(GuestSiginfo) == 128);

// One pending signal: its siginfo and, for a fault, what the signal frame's sigcontext reports.
struct PendingSignal {
  GuestSiginfo info;
  uint32_t trapno = 0;
  uint32_t err = 0;
  uint64_t cr2 = 0;
};

constexpr uint64_t SigBit(int sig) { return 1ull << (sig - 1); }

// si_code values the emulation produces.
enum : int32_t {
  kSiUser = 0,
  kSiKernel = 0x80,
  kSiTkill = -6,
  kSegvMaperr = 1,
  kSegvAccerr = 2,
  kFpeIntdiv = 1,
  kFpeFltinv = 7,
  kIllIllopn = 2,
  kIllCoproc = 7,
  kBusAdraln = 1,
  kTrapBrkpt = 1,
  kTrapTrace = 2,
};

// Sets up host-side signal handling once per process (inherited SIG_IGN dispositions, SIGPIPE).
void InitSignals(Process& p);
// In the child of a fork: nothing is pending for the new process (host arrivals included).
void ResetSignalsAfterFork(Process& p);
// A guest disposition changed: the host catches, ignores or defaults the signal to match.
void SyncHostDisposition(Process& p, int sig);
// The guest mask changed: block the same asynchronous signals on the host so that they stay
// pending there (and blocking host calls are not interrupted by them).
void SyncHostMask(Process& p);

// Queues a signal for the process, or for one thread when `target` is set (a standard signal
// already pending is not queued twice).
void QueueSignal(Process& p, const PendingSignal& s, GuestThread* target = nullptr);
// The process sends `sig` to itself (kill) or to one of its threads (tgkill, a broken pipe):
// SI_USER/SI_TKILL from itself. A blocked thread that should take it is interrupted.
void SendSelf(Process& p, int sig, int32_t code, GuestThread* target = nullptr);
// Drops a pending `sig` everywhere (its action became "ignore").
void DiscardSignal(Process& p, int sig);
// Signals doppel lets the host deliver to it on the guest's behalf (the others are raised by
// guest instructions, kept ignored, or reserved by the host's libc).
bool HostForwarded(int sig);
// A guest instruction faulted (vector, error code, fault address at the current RIP): queues the
// signal the kernel would force, unblocking/defaulting it when the guest blocks or ignores it.
void RaiseFault(Process& p, uint32_t vector, uint32_t error_code, uint64_t fault_addr);
// Pending signals the guest could take now (host arrivals included).
uint64_t DeliverableSignals(Process& p);
// Takes every deliverable signal: runs default actions, or builds a frame and points the guest at
// its handler. Returns false when the process ended.
bool DeliverSignals(Process& p);
// Blocks until a signal the guest can take arrives (pause/sigsuspend).
void WaitForSignal(Process& p);

// The x86-64 signal frame (signal_frame_x86_64.cpp): build and undo.
bool PushFrameX86_64(Process& p, int sig, const PendingSignal& s, uint64_t old_mask);
bool SigreturnX86_64(Process& p);
// i386 (signal_frame_i386.cpp): sigframe or rt_sigframe (SA_SIGINFO); sigreturn / rt_sigreturn.
bool PushFrameI386(Process& p, int sig, const PendingSignal& s, uint64_t old_mask);
bool SigreturnI386(Process& p, bool rt);

// "SEGV_MAPERR"-style name of a si_code for --strace.
const char* SiCodeName(int sig, int32_t code);

}  // namespace doppel::linux_user
