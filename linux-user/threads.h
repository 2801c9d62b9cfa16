// linux-user/threads.h: guest threads under one giant lock: each guest thread is a host thread
// with its own saved registers and signal state, and only the lock holder runs guest code.
//
// The giant lock guards the Machine (registers, translation cache, guest memory), the Process
// and every GuestThread. A thread holds it while it runs guest code or a system call, drops it
// around host calls that can block (BlockingSection) and at the end of each time slice when
// another thread waits. Blocking host calls never see guest memory: the system calls copy guest
// buffers into host bounce buffers (thread-local) before dropping the lock and copy results back
// after taking it again, re-checking the mapping then, so an munmap by another thread meanwhile
// gives the guest EFAULT, never a host crash. (Even a direct host access would be memory-safe
// today, as softmmu's Unmap keeps the host pages, but nothing relies on that.)
//
// Signals: faults and tgkill/tkill go to one thread, kill and host arrivals to the process;
// masks, sigsuspend, the alternate stack are per thread. A thread blocked in a host call is
// interrupted for a signal it should take (KickForSignal). The process ends (exit_group, a
// fatal signal, the last thread's exit) by _exit once it has had threads, so threads blocked
// anywhere cannot hold it up.
// Not emulated: robust futex lists are recorded but not walked at thread exit; futexes are
// private to the process (a MAP_SHARED word does not synchronize with other processes); PI
// futexes; i386 futex/tgkill (i386 glibc does not run yet).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>

#include "linux-user/signals.h"
#include "runtime/cpu_state.h"

namespace doppel::linux_user {

class Process;
constexpr int kMaxSignal = 64;

struct GuestStack {  // stack_t of x86-64
  uint64_t sp = 0;
  int32_t flags = 2;  // SS_DISABLE
  int32_t pad = 0;
  uint64_t size = 0;
};

// A fair lock: threads take it in the order they asked (a ticket lock over a condition
// variable), so a thread that yields at the end of its slice queues behind the waiting ones; a
// plain std::mutex lets the releasing thread take it straight back.
class GiantLock {
 public:
  void Lock();
  void Unlock();
  // Another thread is waiting for the lock (read by the holder).
  bool Contended() const {
    return next_ticket_.load(std::memory_order_relaxed) !=
           now_serving_.load(std::memory_order_relaxed) + 1;
  }
  // In the child of a fork, which has only the calling thread: it holds the lock, nobody waits,
  // and the internal mutex may have been copied in a locked state.
  void ResetAfterFork();

 private:
  std::mutex mutex_;
  std::condition_variable turn_;
  std::atomic<uint64_t> next_ticket_{0};
  std::atomic<uint64_t> now_serving_{0};
};

// The architectural registers of a thread that is not running: everything in CpuState but the
// TLB, jump cache and runtime bookkeeping (which belong to the machine, not the thread).
struct ThreadRegs {
  uint64_t gpr[16] = {};
  uint64_t rip = 0;
  uint64_t rflags = 0x202;
  uint64_t seg_base[6] = {};
  SegmentCache segments[6];  // selectors (i386 GS names a per-thread TLS descriptor)
  alignas(16) uint8_t xmm[16][16] = {};
  uint32_t mxcsr = 0x1f80;
  X87State x87;

  void Save(const CpuState& cpu);
  void Load(CpuState& cpu) const;
};

// One waiter in a futex queue; lives on its thread's host stack while it waits. `state` is also
// the host futex word the thread sleeps on.
struct FutexWaiter {
  enum : uint32_t { kWaiting = 0, kWoken = 1, kInterrupted = 2 };
  uint64_t addr = 0;
  uint32_t bitset = 0;
  std::atomic<uint32_t> state{kWaiting};
};

// The per-thread half of the kernel's task state; the shared half is in Process.
struct GuestThread {
  int tid = 0;      // the host thread's own tid: gettid() and what tgkill names
  ThreadRegs regs;  // valid while another thread's registers are loaded in the machine
  uint64_t sigmask = 0;
  // Signals sent to this thread (faults, tgkill); process-wide ones are in Process.
  uint64_t pending = 0;
  PendingSignal pending_info[kMaxSignal + 1];
  // sigsuspend/pause: the mask to restore once a handler has run (the frame saves this one).
  std::optional<uint64_t> saved_mask;
  // The number of a system call a host signal interrupted (EINTR), to restart it under
  // SA_RESTART; -1 when none.
  int64_t interrupted_syscall = -1;
  GuestStack altstack;
  uint64_t clear_child_tid = 0;  // CLONE_CHILD_CLEARTID / set_tid_address
  uint64_t robust_list = 0;      // recorded only: the list is not walked at exit
  // The i386 GDT's three TLS entries (set_thread_area): struct user_desc words.
  uint32_t tls_entries[3][4] = {};

  // exit(2) of this thread alone, with its status.
  std::optional<int> exited;
  // In a BlockingSection (a host call that may sleep), and the futex it waits on if any: where a
  // signal for it must interrupt it.
  bool blocked = false;
  FutexWaiter* futex_wait = nullptr;
};

// Drops the giant lock for a host call that may block, and takes it back (with the thread's
// registers loaded) afterwards. Nothing inside may touch guest memory, the Machine or Process.
class BlockingSection {
 public:
  explicit BlockingSection(Process& p);
  ~BlockingSection();
  BlockingSection(const BlockingSection&) = delete;
  BlockingSection& operator=(const BlockingSection&) = delete;

 private:
  Process& p_;
  GuestThread& t_;
};

// Futex queues, emulated: the guest word is read and the queues changed only under the giant
// lock, which every writer of guest memory holds, so "the word still holds val" and "queued"
// are one atomic step as FUTEX_WAIT requires. (The Machine API offers no host address of a
// guest word, so the host futex cannot be used on it directly.)
class FutexTable {
 public:
  // FUTEX_WAIT/FUTEX_WAIT_BITSET: -EAGAIN if the word differs, 0 when woken, -ETIMEDOUT at the
  // deadline (an absolute time on `clock`, or none), -EINTR when a signal interrupts.
  int64_t Wait(Process& p, uint64_t addr, uint32_t val, uint32_t bitset, const timespec* deadline,
               clockid_t clock);
  // Wakes up to n waiters on addr whose bitset intersects `bitset`, oldest first.
  int64_t Wake(uint64_t addr, int64_t n, uint32_t bitset = ~0u);
  // Wakes up to n_wake waiters on addr and moves up to n_requeue of the rest to addr2; returns
  // how many were woken and (in *requeued) moved.
  int64_t Requeue(uint64_t addr, uint64_t addr2, int64_t n_wake, int64_t n_requeue,
                  int64_t* requeued);
  // Ends the wait of `w` as if by a signal.
  static void Interrupt(FutexWaiter* w);
  // The child of a fork: the waiters were other threads, which did not survive.
  void Clear() { waiters_.clear(); }

 private:
  static void Release(FutexWaiter* w, uint32_t state);
  std::list<FutexWaiter*> waiters_;  // FIFO: the kernel wakes in queue order
};

// clone(CLONE_THREAD ...): starts a new guest thread with a copy of the caller's registers, RAX
// = 0, the new stack and TLS. `tls` is the FS base on x86-64 and a struct user_desc address on
// i386. Returns the new tid or -errno.
int64_t CreateThread(Process& p, uint64_t flags, uint64_t newsp, uint64_t parent_tid,
                     uint64_t child_tid, uint64_t tls);
// The calling thread's exit(2): CLONE_CHILD_CLEARTID is honoured and the thread is forgotten.
// Returns true when it was the last thread (the process ends with its status).
bool EndThread(Process& p, GuestThread& t);
// A process-wide signal was queued: interrupt a blocked thread that can take it, if the caller
// cannot. A thread-directed one: interrupt its target if it is blocked.
void KickForSignal(Process& p, int sig, GuestThread* target);
// After a fork in the child: only the calling thread exists.
void ForgetOtherThreads(Process& p);

}  // namespace doppel::linux_user
