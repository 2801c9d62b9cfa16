// linux-user/threads.cpp: the giant lock, thread register switching, clone of threads and their
// exit, emulated futex queues, and interrupting blocked threads for signals.
#include "linux-user/threads.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <new>
#include <system_error>
#include <thread>

#include "linux-user/process.h"
#include "linux-user/syscalls.h"

namespace doppel::linux_user {
namespace {

// The host futex on a host word (the waiter's own state, never guest memory).
long HostFutex(std::atomic<uint32_t>* word, int op, uint32_t val, const timespec* ts,
               uint32_t val3) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), op, val, ts, nullptr, val3);
}

// The kernel's handle_futex_death for one lock word of an exiting owner: marks it
// FUTEX_OWNER_DIED (keeping FUTEX_WAITERS) and wakes one waiter, so a robust mutex's next
// locker gets EOWNERDEAD.
void ReleaseDeadOwner(Process& p, uint64_t addr, int tid, bool pending_op) {
  uint32_t word;
  if ((addr & 3) || !p.Get(addr, &word)) return;
  if (pending_op && word == 0) {
    // Died between taking the lock in user space and listing it: a waiter may need waking.
    p.futexes.Wake(addr, 1);
    return;
  }
  if ((word & FUTEX_TID_MASK) != static_cast<uint32_t>(tid)) return;
  const uint32_t next = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
  if (!p.Put(addr, next)) return;
  if (word & FUTEX_WAITERS) p.futexes.Wake(addr, 1);
}

// exit_robust_list: the locks the thread still holds, from its set_robust_list head
// { next, futex_offset, list_op_pending } in guest words. PI entries (bit 0) are skipped: PI
// futexes are not emulated.
void WalkRobustList(Process& p, const GuestThread& t) {
  if (!t.robust_list) return;
  const size_t word = p.is32 ? 4 : 8;
  auto read_word = [&](uint64_t addr, uint64_t* v) {
    *v = 0;
    return p.CopyIn(addr, v, word);
  };
  uint64_t next, offset, pending;
  if (!read_word(t.robust_list, &next) || !read_word(t.robust_list + word, &offset) ||
      !read_word(t.robust_list + 2 * word, &pending))
    return;
  if (word == 4) offset = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(offset)));
  constexpr int kRobustListLimit = 2048;  // the kernel's ROBUST_LIST_LIMIT against cycles
  for (int i = 0; next != t.robust_list && i < kRobustListLimit; ++i) {
    const uint64_t entry = next;
    if (!read_word(entry & ~uint64_t{1}, &next)) return;
    // The pending one is handled last, in case the list does not hold it yet.
    if (!(entry & 1) && entry != pending) ReleaseDeadOwner(p, entry + offset, t.tid, false);
  }
  if (pending && !(pending & 1)) ReleaseDeadOwner(p, pending + offset, t.tid, true);
}

}  // namespace

void GiantLock::Lock() {
  std::unique_lock<std::mutex> guard(mutex_);
  const uint64_t ticket = next_ticket_.fetch_add(1);
  turn_.wait(guard, [&] { return now_serving_.load() == ticket; });
}

void GiantLock::Unlock() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    now_serving_.fetch_add(1);
  }
  turn_.notify_all();
}

void GiantLock::ResetAfterFork() {
  // The other threads are gone, and one of them may have held mutex_ at the fork: start over
  // with fresh objects, held by the caller.
  new (&mutex_) std::mutex;
  new (&turn_) std::condition_variable;
  next_ticket_.store(1);
  now_serving_.store(0);
}

void ThreadRegs::Save(const CpuState& cpu) {
  memcpy(gpr, cpu.gpr, sizeof gpr);
  rip = cpu.rip;
  rflags = cpu.rflags;
  memcpy(seg_base, cpu.seg_base, sizeof seg_base);
  memcpy(segments, cpu.sys.seg, sizeof segments);
  memcpy(xmm, cpu.xmm, sizeof xmm);
  mxcsr = cpu.mxcsr;
  x87 = cpu.x87;
}

void ThreadRegs::Load(CpuState& cpu) const {
  memcpy(cpu.gpr, gpr, sizeof gpr);
  cpu.rip = rip;
  cpu.rflags = rflags;
  memcpy(cpu.seg_base, seg_base, sizeof seg_base);
  memcpy(cpu.sys.seg, segments, sizeof segments);
  memcpy(cpu.xmm, xmm, sizeof xmm);
  cpu.mxcsr = mxcsr;
  cpu.x87 = x87;
}

void Process::Acquire(GuestThread& t) {
  lock.Lock();
  if (loaded_ != &t) {
    if (loaded_) loaded_->regs.Save(cpu());
    t.regs.Load(cpu());
    // i386: the GDT's TLS entries are per thread, as Linux switches them with the task.
    if (is32) {
      for (unsigned i = 0; i < 3; ++i)
        machine().SetUserDescriptor(kTlsFirstEntry + i, DescriptorFromUserDesc(t.tls_entries[i]));
    }
    loaded_ = &t;
  }
  current_ = &t;
}

BlockingSection::BlockingSection(Process& p) : p_(p), t_(p.thread()) {
  t_.blocked = true;
  p_.lock.Unlock();
}

BlockingSection::~BlockingSection() {
  const int saved_errno = errno;  // the host call's result, for the code after the section
  p_.Acquire(t_);
  t_.blocked = false;
  errno = saved_errno;
}

int64_t FutexTable::Wait(Process& p, uint64_t addr, uint32_t val, uint32_t bitset,
                         const timespec* deadline, clockid_t clock) {
  FutexWaiter w;
  w.addr = addr;
  w.bitset = bitset;
  waiters_.push_back(&w);
  GuestThread& t = p.thread();
  t.futex_wait = &w;
  long r = 0;
  {
    BlockingSection unlocked(p);
    // A wake sets the state before the host wake, so a wait that starts late returns at once.
    const int op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG |
                   (deadline && clock == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0);
    while (w.state.load() == FutexWaiter::kWaiting) {
      r = HostFutex(&w.state, op, FutexWaiter::kWaiting, deadline, FUTEX_BITSET_MATCH_ANY);
      if (r < 0 && (errno == ETIMEDOUT || errno == EINTR)) break;
    }
  }
  t.futex_wait = nullptr;
  // Woken counts even if the timeout or a signal came at the same time (the waker already
  // counted this waiter).
  if (w.state.load() == FutexWaiter::kWoken) return 0;
  waiters_.remove(&w);
  if (w.state.load() == FutexWaiter::kInterrupted) return -EINTR;
  return r < 0 && errno == ETIMEDOUT ? -ETIMEDOUT : -EINTR;
}

void FutexTable::Release(FutexWaiter* w, uint32_t state) {
  // The waiter cannot leave (and free w) before the caller drops the giant lock.
  w->state.store(state);
  HostFutex(&w->state, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, nullptr, 0);
}

void FutexTable::Interrupt(FutexWaiter* w) {
  if (w->state.load() == FutexWaiter::kWaiting) Release(w, FutexWaiter::kInterrupted);
}

int64_t FutexTable::Wake(uint64_t addr, int64_t n, uint32_t bitset) {
  int64_t woken = 0;
  for (auto it = waiters_.begin(); it != waiters_.end() && woken < n;) {
    FutexWaiter* w = *it;
    if (w->addr != addr || !(w->bitset & bitset)) {
      ++it;
      continue;
    }
    it = waiters_.erase(it);
    Release(w, FutexWaiter::kWoken);
    ++woken;
  }
  return woken;
}

int64_t FutexTable::Requeue(uint64_t addr, uint64_t addr2, int64_t n_wake, int64_t n_requeue,
                            int64_t* requeued) {
  int64_t woken = Wake(addr, n_wake);
  *requeued = 0;
  for (FutexWaiter* w : waiters_) {
    if (*requeued >= n_requeue) break;
    if (w->addr != addr) continue;
    w->addr = addr2;
    ++*requeued;
  }
  return woken;
}

int64_t CreateThread(Process& p, uint64_t flags, uint64_t newsp, uint64_t parent_tid,
                     uint64_t child_tid, uint64_t tls) {
  auto owned = std::make_unique<GuestThread>();
  GuestThread& parent = p.thread();
  GuestThread& child = *owned;
  // The caller's registers are the live ones in the machine.
  child.regs.Save(p.cpu());
  child.regs.gpr[RAX] = 0;
  if (newsp) child.regs.gpr[RSP] = newsp;
  if (flags & CLONE_SETTLS) {
    if (p.is32) {
      // i386: a struct user_desc for a GDT TLS entry; its base becomes the GS base, as
      // set_thread_area does (the selector is loaded by the guest).
      uint32_t desc[4];
      if (!p.Get(tls, &desc)) return -EFAULT;
      memcpy(child.tls_entries, parent.tls_entries, sizeof child.tls_entries);
      if (desc[0] < kTlsFirstEntry || desc[0] >= kTlsFirstEntry + 3) return -EINVAL;
      memcpy(child.tls_entries[desc[0] - kTlsFirstEntry], desc, sizeof desc);
      child.regs.seg_base[GS] = desc[1];
    } else {
      if (tls >= kTaskSize) return -EPERM;
      child.regs.seg_base[FS] = tls;
    }
  }
  // The new thread shares the mask; pending signals and the alternate stack are its own.
  child.sigmask = parent.sigmask;
  if (flags & CLONE_CHILD_CLEARTID) child.clear_child_tid = child_tid;

  std::atomic<int> tid{0};
  p.threads.push_back(std::move(owned));
  p.ever_threaded = true;
  try {
    // The host thread starts with the caller's host signal mask, which mirrors the guest's.
    std::thread host([&p, &child, &tid] {
      tid.store(static_cast<int>(gettid()));
      tid.notify_one();
      p.thread_main(child);
    });
    host.detach();
  } catch (const std::system_error&) {
    p.threads.pop_back();
    return -EAGAIN;
  }
  // The child needs the giant lock to run guest code, so it cannot run before its tid is set.
  tid.wait(0);
  child.tid = tid.load();
  if (flags & CLONE_PARENT_SETTID) p.Put<int32_t>(parent_tid, child.tid);
  if (flags & CLONE_CHILD_SETTID) p.Put<int32_t>(child_tid, child.tid);
  return child.tid;
}

bool EndThread(Process& p, GuestThread& t) {
  WalkRobustList(p, t);  // before the tid is cleared, as the kernel's mm_release does
  if (t.clear_child_tid) {
    // The kernel's mm_release: what pthread_join waits for.
    p.Put<int32_t>(t.clear_child_tid, 0);
    p.futexes.Wake(t.clear_child_tid, 1);
  }
  p.Forget(t);
  const int status = t.exited.value_or(0);
  std::erase_if(p.threads, [&](const std::unique_ptr<GuestThread>& e) { return e.get() == &t; });
  if (!p.threads.empty()) return false;
  p.exit_status = status;
  return true;
}

void KickForSignal(Process& p, int sig, GuestThread* target) {
  const uint64_t bit = SigBit(sig);
  if (!target) {
    // A process-wide signal: the caller takes it unless it blocks it; else any thread that does
    // not (the kernel's complete_signal).
    if (!(p.thread().sigmask & bit)) return;
    for (const auto& t : p.threads) {
      if (!(t->sigmask & bit)) {
        target = t.get();
        break;
      }
    }
    if (!target) return;
  }
  if (target == &p.thread() || (target->sigmask & bit)) return;
  const bool stops = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
  if (p.sigactions[sig].handler == 0 && target->blocked && !stops) {
    // A default action ends the whole process at once (the kernel's complete_signal), whatever
    // the target is blocked in; DieBySignal ignores signals whose default is to ignore.
    p.DieBySignal(sig);
    return;
  }
  if (target->futex_wait) {
    FutexTable::Interrupt(target->futex_wait);
  } else if (target->blocked && HostForwarded(sig) && p.sigactions[sig].handler > 1) {
    // A host call: interrupt it with the same signal, whose host handler (the guest has one)
    // ignores arrivals sent by doppel itself. A kick that lands just before the host call starts
    // is lost, and the signal then waits until the call returns (QEMU closes this window with
    // its safe_syscall; not done here).
    syscall(SYS_tgkill, getpid(), target->tid, sig);
  }
}

void ForgetOtherThreads(Process& p) {
  GuestThread* self = &p.thread();
  std::erase_if(p.threads, [&](const std::unique_ptr<GuestThread>& e) { return e.get() != self; });
  p.futexes.Clear();
  self->tid = static_cast<int>(gettid());
  self->futex_wait = nullptr;
  self->blocked = false;
  p.lock.ResetAfterFork();
}

}  // namespace doppel::linux_user
