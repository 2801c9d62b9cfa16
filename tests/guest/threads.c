// tests/guest/threads.c: POSIX threads under doppel (built with gcc -m64 -pthread, static and
// dynamic): mutexes, condition variables, join values, __thread, barriers, threads blocked in
// read() while others run, raw futex operations, per-thread signals, exit_group while threads
// are blocked. Only results collected by the main thread are printed, so the output is the same
// on every run and equals the native one.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                    \
  do {                                                 \
    if (!(cond)) {                                     \
      printf("FAILED line %d: %s\n", __LINE__, #cond); \
      exit(1);                                         \
    }                                                  \
  } while (0)

static pid_t Gettid(void) { return (pid_t)syscall(SYS_gettid); }

// ---- a counter under a mutex ----
enum { kCounterThreads = 4, kIncrements = 20000 };
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void* Increment(void* arg) {
  for (int i = 0; i < kIncrements; ++i) {
    pthread_mutex_lock(&counter_lock);
    long v = counter;
    if ((i & 255) == 0) sched_yield();  // invite a switch while holding the lock
    counter = v + 1;
    pthread_mutex_unlock(&counter_lock);
  }
  return (void*)((intptr_t)arg * 100);
}

static void TestCounter(void) {
  pthread_t t[kCounterThreads];
  for (intptr_t i = 0; i < kCounterThreads; ++i)
    CHECK(pthread_create(&t[i], NULL, Increment, (void*)i) == 0);
  long joined = 0;
  for (int i = 0; i < kCounterThreads; ++i) {
    void* ret;
    CHECK(pthread_join(t[i], &ret) == 0);
    joined += (intptr_t)ret;
  }
  printf("counter: %ld (expected %d), join values sum %ld\n", counter,
         kCounterThreads * kIncrements, joined);
}

// ---- producer/consumer on a bounded queue ----
enum { kQueueSize = 4, kItems = 2000, kConsumers = 3 };
static int queue[kQueueSize];
static int q_head, q_count, q_done;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;

static void* Produce(void* arg) {
  (void)arg;
  for (int i = 1; i <= kItems; ++i) {
    pthread_mutex_lock(&q_lock);
    while (q_count == kQueueSize) pthread_cond_wait(&q_not_full, &q_lock);
    queue[(q_head + q_count++) % kQueueSize] = i;
    pthread_cond_signal(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
  }
  pthread_mutex_lock(&q_lock);
  q_done = 1;
  pthread_cond_broadcast(&q_not_empty);
  pthread_mutex_unlock(&q_lock);
  return NULL;
}

static void* Consume(void* arg) {
  (void)arg;
  long sum = 0, n = 0;
  while (1) {
    pthread_mutex_lock(&q_lock);
    while (q_count == 0 && !q_done) pthread_cond_wait(&q_not_empty, &q_lock);
    if (q_count == 0) {
      pthread_mutex_unlock(&q_lock);
      break;
    }
    int v = queue[q_head];
    q_head = (q_head + 1) % kQueueSize;
    --q_count;
    pthread_cond_signal(&q_not_full);
    pthread_mutex_unlock(&q_lock);
    sum += v;
    ++n;
  }
  long* r = malloc(2 * sizeof(long));
  r[0] = sum;
  r[1] = n;
  return r;
}

static void TestProducerConsumer(void) {
  pthread_t prod, cons[kConsumers];
  for (int i = 0; i < kConsumers; ++i) CHECK(pthread_create(&cons[i], NULL, Consume, NULL) == 0);
  CHECK(pthread_create(&prod, NULL, Produce, NULL) == 0);
  CHECK(pthread_join(prod, NULL) == 0);
  long sum = 0, n = 0;
  for (int i = 0; i < kConsumers; ++i) {
    long* r;
    CHECK(pthread_join(cons[i], (void**)&r) == 0);
    sum += r[0];
    n += r[1];
    free(r);
  }
  printf("producer/consumer: %ld items, sum %ld (expected %d)\n", n, sum,
         kItems * (kItems + 1) / 2);
}

// ---- thread-local variables ----
static __thread int tls_value = 7;
static __thread char tls_buf[64];

static void* TlsWorker(void* arg) {
  int id = (int)(intptr_t)arg;
  int initial = tls_value;
  tls_value = id * 10;
  snprintf(tls_buf, sizeof tls_buf, "thread %d", id);
  for (int i = 0; i < 5; ++i) sched_yield();
  // Unchanged by the other threads' writes in the meantime.
  int ok = initial == 7 && tls_value == id * 10 && strcmp(tls_buf, "thread ") > 0;
  char expect[64];
  snprintf(expect, sizeof expect, "thread %d", id);
  ok = ok && strcmp(tls_buf, expect) == 0;
  return (void*)(intptr_t)(ok ? id : -1);
}

static void TestTls(void) {
  pthread_t t[4];
  tls_value = 1;
  for (intptr_t i = 0; i < 4; ++i)
    CHECK(pthread_create(&t[i], NULL, TlsWorker, (void*)(i + 1)) == 0);
  int results[4];
  for (int i = 0; i < 4; ++i) {
    void* r;
    CHECK(pthread_join(t[i], &r) == 0);
    results[i] = (int)(intptr_t)r;
  }
  printf("tls: %d %d %d %d, main still %d\n", results[0], results[1], results[2], results[3],
         tls_value);
}

// ---- a barrier ----
enum { kBarrierThreads = 4, kRounds = 20 };
static pthread_barrier_t barrier;
static int slots[kBarrierThreads];

static void* BarrierWorker(void* arg) {
  int id = (int)(intptr_t)arg;
  long agree = 0;
  for (int round = 0; round < kRounds; ++round) {
    slots[id] = round * 10 + id;
    pthread_barrier_wait(&barrier);
    int sum = 0;
    for (int i = 0; i < kBarrierThreads; ++i) sum += slots[i];
    if (sum == round * 10 * kBarrierThreads + 6) ++agree;
    pthread_barrier_wait(&barrier);  // nobody writes the next round's slot before all read
  }
  return (void*)agree;
}

static void TestBarrier(void) {
  pthread_t t[kBarrierThreads];
  CHECK(pthread_barrier_init(&barrier, NULL, kBarrierThreads) == 0);
  for (intptr_t i = 0; i < kBarrierThreads; ++i)
    CHECK(pthread_create(&t[i], NULL, BarrierWorker, (void*)i) == 0);
  long agree = 0;
  for (int i = 0; i < kBarrierThreads; ++i) {
    void* r;
    CHECK(pthread_join(t[i], &r) == 0);
    agree += (long)r;
  }
  pthread_barrier_destroy(&barrier);
  printf("barrier: %ld of %d rounds agreed\n", agree, kBarrierThreads * kRounds);
}

// ---- threads blocked in read() while another computes ----
static int pipes[2][2];

static void* Reader(void* arg) {
  int id = (int)(intptr_t)arg;
  char* buf = calloc(1, 64);
  ssize_t n = read(pipes[id][0], buf, 63);
  if (n < 0) snprintf(buf, 64, "error %d", errno);
  return buf;
}

static void* Compute(void* arg) {
  (void)arg;
  uint64_t x = 1;
  for (int i = 0; i < 300000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return (void*)(uintptr_t)(x & 0xffff);
}

static void TestBlockedReaders(void) {
  pthread_t readers[2], computer;
  for (int i = 0; i < 2; ++i) CHECK(pipe(pipes[i]) == 0);
  for (intptr_t i = 0; i < 2; ++i) CHECK(pthread_create(&readers[i], NULL, Reader, (void*)i) == 0);
  // The readers block in the kernel; the computation must still finish.
  CHECK(pthread_create(&computer, NULL, Compute, NULL) == 0);
  void* result;
  CHECK(pthread_join(computer, &result) == 0);
  CHECK(write(pipes[1][1], "second", 6) == 6);
  CHECK(write(pipes[0][1], "first", 5) == 5);
  char* got[2];
  for (int i = 0; i < 2; ++i) CHECK(pthread_join(readers[i], (void**)&got[i]) == 0);
  printf("readers: '%s' '%s', computed %lu\n", got[0], got[1], (unsigned long)(uintptr_t)result);
  free(got[0]);
  free(got[1]);
}

// ---- two threads taking turns by spinning, without any system call ----
enum { kTurns = 40 };
static volatile int turn;  // whose turn: 0 or 1

static void* TakeTurns(void* arg) {
  int me = (int)(intptr_t)arg;
  long spins = 0;
  for (int i = 0; i < kTurns; ++i) {
    while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me) ++spins;
    __atomic_store_n(&turn, 1 - me, __ATOMIC_RELEASE);
  }
  return (void*)(intptr_t)(spins >= 0);
}

static void TestSpinTurns(void) {
  pthread_t t[2];
  turn = 0;
  for (intptr_t i = 0; i < 2; ++i) CHECK(pthread_create(&t[i], NULL, TakeTurns, (void*)i) == 0);
  long ok = 0;
  for (int i = 0; i < 2; ++i) {
    void* r;
    CHECK(pthread_join(t[i], &r) == 0);
    ok += (long)r;
  }
  printf("spinning turns: %d each, both done: %ld\n", kTurns, ok);
}

// ---- raw futex operations ----
static long Futex(uint32_t* addr, int op, uint32_t val, const struct timespec* ts, uint32_t* addr2,
                  uint32_t val3) {
  long r = syscall(SYS_futex, addr, op, val, ts, addr2, val3);
  return r < 0 ? -errno : r;
}

static uint32_t word_a, word_b;
static volatile int waiter_started;

static void* FutexWaiter(void* arg) {
  uint32_t* word = arg;
  waiter_started = 1;
  // The word stays 0: only a wake (after a requeue, perhaps) ends the wait.
  long r;
  do {
    r = Futex(word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  } while (r == -EINTR);
  return (void*)r;
}

static void TestFutex(void) {
  uint32_t w = 5, misaligned[2] = {0, 0};
  struct timespec short_ts = {0, 1000000};  // 1 ms
  printf("futex wait mismatch: %ld\n", Futex(&w, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0));
  printf("futex wait timeout: %ld\n", Futex(&w, FUTEX_WAIT_PRIVATE, 5, &short_ts, NULL, 0));
  struct timespec bad_ts = {0, 2000000000};
  printf("futex bad timeout: %ld\n", Futex(&w, FUTEX_WAIT_PRIVATE, 5, &bad_ts, NULL, 0));
  printf("futex misaligned: %ld\n",
         Futex((uint32_t*)((char*)misaligned + 1), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  printf("futex fault: %ld\n", Futex((uint32_t*)16, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
  struct timespec past;
  clock_gettime(CLOCK_REALTIME, &past);
  past.tv_sec -= 1;
  printf("futex bitset absolute past: %ld\n",
         Futex(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &past, NULL,
               FUTEX_BITSET_MATCH_ANY));
  printf("futex bitset zero: %ld\n", Futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0));
  printf("futex wake nobody: %ld\n", Futex(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
  uint32_t w2 = 10;
  // FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 10): w2 += 3, old value compared with 10.
  long r = Futex(&w, FUTEX_WAKE_OP_PRIVATE, 1, (void*)1, &w2,
                 FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 10));
  printf("futex wake_op: %ld, word now %u\n", r, w2);
  r = Futex(&w, FUTEX_WAKE_OP_PRIVATE, 1, (void*)1, &w2,
            FUTEX_OP((FUTEX_OP_OPARG_SHIFT | FUTEX_OP_OR), 4, FUTEX_OP_CMP_GT, 100));
  printf("futex wake_op shift/or: %ld, word now %u\n", r, w2);
  printf("futex cmp_requeue mismatch: %ld\n",
         Futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void*)1, &w2, 6));

  // A real waiter, woken: FUTEX_WAKE reports it once it is queued.
  pthread_t t;
  word_a = 0;
  waiter_started = 0;
  CHECK(pthread_create(&t, NULL, FutexWaiter, &word_a) == 0);
  while (!waiter_started) sched_yield();
  long woken = 0;
  // It is queued once a wake finds it.
  while ((woken = Futex(&word_a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)) == 0) sched_yield();
  void* ret;
  CHECK(pthread_join(t, &ret) == 0);
  printf("futex wake of a waiter: %ld, its wait returned %ld\n", woken, (long)ret);

  // Requeued from word_a to word_b, then woken there.
  word_a = 0;
  word_b = 0;
  waiter_started = 0;
  CHECK(pthread_create(&t, NULL, FutexWaiter, &word_a) == 0);
  while (!waiter_started) sched_yield();
  long moved;
  while ((moved = Futex(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void*)1, &word_b, 0)) == 0)
    sched_yield();
  long left = Futex(&word_a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  woken = Futex(&word_b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  CHECK(pthread_join(t, &ret) == 0);
  printf("futex requeue: moved %ld, left on a %ld, woken on b %ld, wait returned %ld\n", moved,
         left, woken, (long)ret);
}

// ---- a robust mutex whose owner exits ----
static pthread_mutex_t robust;

static void* LockAndLeave(void* arg) {
  (void)arg;
  return (void*)(intptr_t)pthread_mutex_lock(&robust);  // and exits holding it
}

static void TestRobustMutex(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  CHECK(pthread_mutex_init(&robust, &attr) == 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, LockAndLeave, NULL) == 0);
  void* r;
  CHECK(pthread_join(t, &r) == 0);
  int e = pthread_mutex_lock(&robust);
  printf("robust mutex: owner locked %ld, next lock %s\n", (long)r,
         e == EOWNERDEAD ? "EOWNERDEAD" : strerror(e));
  if (e == EOWNERDEAD) pthread_mutex_consistent(&robust);
  pthread_mutex_unlock(&robust);
}

// ---- signals and threads ----
static volatile pid_t handler_tid;
static sigjmp_buf fault_jmp;
static __thread volatile int in_fault_test;

static void RecordTid(int sig) {
  (void)sig;
  handler_tid = Gettid();
}

static void OnFault(int sig) {
  (void)sig;
  handler_tid = Gettid();
  if (in_fault_test) siglongjmp(fault_jmp, 1);
}

static volatile int pauser_ready;

// Waits for signal `sig` in sigsuspend, keeping it blocked until then so that one sent early is
// not lost; reports whether the handler ran in this thread.
static void* Pauser(void* arg) {
  int sig = (int)(intptr_t)arg;
  sigset_t set, wait_mask;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, &wait_mask);
  sigdelset(&wait_mask, sig);
  pid_t self = Gettid();
  pauser_ready = 1;
  sigsuspend(&wait_mask);
  return (void*)(intptr_t)(handler_tid == self && self != getpid());
}

static void* Faulter(void* arg) {
  (void)arg;
  in_fault_test = 1;
  if (sigsetjmp(fault_jmp, 1) == 0) {
    *(volatile int*)8 = 1;
    return (void*)-1;
  }
  return (void*)(intptr_t)(handler_tid == Gettid());
}

static void TestSignals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = RecordTid;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  sa.sa_handler = OnFault;
  sigaction(SIGSEGV, &sa, NULL);

  // pthread_kill reaches the thread it names.
  pthread_t t;
  pauser_ready = 0;
  CHECK(pthread_create(&t, NULL, Pauser, (void*)SIGUSR1) == 0);
  while (!pauser_ready) sched_yield();
  CHECK(pthread_kill(t, SIGUSR1) == 0);
  void* r;
  CHECK(pthread_join(t, &r) == 0);
  printf("pthread_kill handled by the target: %ld\n", (long)r);

  // A fault is taken by the thread that faulted.
  handler_tid = 0;
  CHECK(pthread_create(&t, NULL, Faulter, NULL) == 0);
  CHECK(pthread_join(t, &r) == 0);
  printf("fault handled by the faulting thread: %ld\n", (long)r);

  // getpid is the process's, gettid the thread's own.
  printf("main tid is pid: %d\n", Gettid() == getpid());
}

static void TestProcessSignal(void) {
  sigset_t usr2, old;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &usr2, &old);
  pthread_t t;
  pauser_ready = 0;
  handler_tid = 0;
  CHECK(pthread_create(&t, NULL, Pauser, (void*)SIGUSR2) == 0);
  while (!pauser_ready) sched_yield();
  // Every thread blocks it but the one in sigsuspend, which takes it then.
  kill(getpid(), SIGUSR2);
  void* r;
  CHECK(pthread_join(t, &r) == 0);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  printf("process signal taken by the thread not blocking it: %ld\n", (long)r);
}

// ---- the end: exit_group while threads are blocked ----
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static int never_written[2];

static void* BlockInRead(void* arg) {
  (void)arg;
  char c;
  read(never_written[0], &c, 1);
  return NULL;
}

static void* BlockOnMutex(void* arg) {
  (void)arg;
  pthread_mutex_lock(&held);
  return NULL;
}

// ---- the main thread leaves first: the process lives on in the other thread ----
static pthread_t main_thread;

static void* Survivor(void* arg) {
  (void)arg;
  // Waits for the main thread's exit (the kernel clears its set_tid_address word).
  CHECK(pthread_join(main_thread, NULL) == 0);
  printf("survivor ran after main's pthread_exit, joined it\n");
  fflush(stdout);
  return NULL;  // the last thread: the process exits with status 0
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "main-exit") == 0) {
    pthread_t t;
    main_thread = pthread_self();
    CHECK(pthread_create(&t, NULL, Survivor, NULL) == 0);
    printf("main leaving\n");
    fflush(stdout);
    pthread_exit(NULL);
  }
  TestCounter();
  TestProducerConsumer();
  TestTls();
  TestBarrier();
  TestBlockedReaders();
  TestSpinTurns();
  TestFutex();
  TestRobustMutex();
  TestSignals();
  TestProcessSignal();

  CHECK(pipe(never_written) == 0);
  pthread_mutex_lock(&held);
  pthread_t a, b;
  pthread_attr_t detached;
  pthread_attr_init(&detached);
  pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
  CHECK(pthread_create(&a, &detached, BlockInRead, NULL) == 0);
  CHECK(pthread_create(&b, NULL, BlockOnMutex, NULL) == 0);
  usleep(20000);
  printf("exiting with threads blocked\n");
  fflush(stdout);
  exit(3);
}
