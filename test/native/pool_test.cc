// ThreadPool under churn. Bursts of blocking tasks make it grow; pauses just
// longer than the idle time make threads retire while the next burst is
// being submitted (retire races Submit's join of retired threads). Proves:
// every task runs exactly once, including tasks still queued when Shutdown
// begins; each owned thread has asynchronous signals blocked and fault
// signals not; Shutdown joins every thread (threads() == 0 and the process's
// /proc/self/task count is back to where it was); no task waits behind the
// thread that spins for work.
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../../native/thread_pool.h"
#include "check.h"
#include "counter.h"
#include "pool_test.h"
#include "support.h"

namespace kts_test {

namespace {

constexpr int kIdleMs = 5;

void CheckSignalMask() {
  sigset_t cur;
  pthread_sigmask(SIG_BLOCK, nullptr, &cur);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGWINCH, SIGPIPE, SIGALRM, SIGUSR1})
    KTS_CHECK(sigismember(&cur, sig) == 1, "signal %d not blocked on an owned thread", sig);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    KTS_CHECK(sigismember(&cur, sig) == 0, "fault signal %d blocked on an owned thread", sig);
}

struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void Open() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return open; });
  }
};

// A thread that has just finished a task spins for the next one, and Submit
// does not signal while it spins: it may skip the signal for one task only.
// With three threads idle (one spinning, two asleep) two tasks arrive at
// once; the first blocks, so the second must wake a sleeper at once, not
// wait for the idle timeout (10 s here).
void CheckSecondTaskDuringSpin() {
  kts::ThreadPool pool(64 * 1024, 10000, 200000);
  Gate first, second;
  Counter warmed, started;
  for (int i = 0; i < 3; ++i)
    KTS_CHECK(pool.Submit([&] {
      first.Wait();
      warmed.Add();
    }) == 0,
              "Submit");
  first.Open();
  KTS_CHECK(warmed.WaitFor(3, 5000000000LL), "warm-up tasks did not finish");
  for (int i = 0; i < 2; ++i)
    KTS_CHECK(pool.Submit([&] {
      started.Add();
      second.Wait();
    }) == 0,
              "Submit");
  KTS_CHECK(started.WaitFor(2, 2000000000LL), "a task waited behind the spinning thread");
  second.Open();
  pool.Shutdown();
}

}  // namespace

PoolStats RunPoolTest(Rng& rng, int64_t budget_ns, int max_rounds) {
  PoolStats stats;
  const int threads_before = CountThreads();
  const int64_t end = NowNs() + budget_ns;
  {
    kts::ThreadPool pool(64 * 1024, kIdleMs);
    std::vector<std::unique_ptr<std::atomic<int>>> runs;
    Counter counter;
    long submitted = 0;
    for (int round = 0; round < max_rounds && NowNs() < end; ++round) {
      int burst = static_cast<int>(rng.Between(1, 12));
      int block_us = static_cast<int>(rng.Between(0, 2000));
      for (int i = 0; i < burst; ++i) {
        runs.push_back(std::make_unique<std::atomic<int>>(0));
        std::atomic<int>* slot = runs.back().get();
        int err = pool.Submit([slot, block_us, &counter] {
          CheckSignalMask();
          if (block_us > 0) usleep(static_cast<useconds_t>(block_us));  // a "blocking call"
          slot->fetch_add(1);
          counter.Add();
        });
        KTS_CHECK(err == 0, "Submit: %d", err);
        if (err == 0) ++submitted;
      }
      size_t live = pool.threads();
      if (live > stats.peak_threads) stats.peak_threads = live;
      KTS_CHECK(counter.WaitFor(submitted, 5000000000LL), "tasks did not finish within 5 s");
      // Sometimes wait out the idle time so threads retire as the next burst
      // arrives; sometimes go straight on so idle threads are reused.
      if (rng.OneIn(3)) usleep(static_cast<useconds_t>(kIdleMs * 1000 + rng.Between(0, 3000)));
      ++stats.rounds;
    }
    // Shutdown with work still queued: every queued task still runs once.
    for (int i = 0; i < 8; ++i) {
      runs.push_back(std::make_unique<std::atomic<int>>(0));
      std::atomic<int>* slot = runs.back().get();
      if (pool.Submit([slot, &counter] {
            usleep(1000);
            slot->fetch_add(1);
            counter.Add();
          }) == 0)
        ++submitted;
    }
    pool.Shutdown();
    KTS_CHECK(pool.threads() == 0, "%zu threads live after Shutdown", pool.threads());
    KTS_CHECK(pool.Submit([] {}) == ESHUTDOWN, "Submit after Shutdown was accepted");
    pool.Shutdown();  // idempotent
    long ran_once = 0;
    for (auto& r : runs) {
      KTS_CHECK(r->load() <= 1, "a task ran %d times", r->load());
      if (r->load() == 1) ++ran_once;
    }
    KTS_CHECK(ran_once == submitted, "%ld of %ld tasks ran", ran_once, submitted);
    stats.tasks = submitted;
  }
  CheckSecondTaskDuringSpin();
  KTS_CHECK(CountThreads() == threads_before, "threads: %d before, %d after Shutdown", threads_before,
            CountThreads());
  return stats;
}

}  // namespace kts_test
