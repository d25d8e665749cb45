// Drives the native core (handle, thread pool, engine, io, platform) without
// Node, with real sockets and threads, so it can run under ThreadSanitizer
// and AddressSanitizer + UndefinedBehaviorSanitizer. scripts/sanitizers.sh
// builds and runs it in each variant.
//
// Usage: kts_native_test [--seed N] [--budget-ms N] [--only NAME]
//   NAME: gate | pool | mask | engine | retime | late | shutdown | unix-backlog
// Each stress scenario stops at its round count or its time budget, whichever
// comes first. The seed is printed so a failure can be replayed.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "check.h"
#include "deadline_test.h"
#include "engine_test.h"
#include "gate_test.h"
#include "late_test.h"
#include "mask_test.h"
#include "pool_test.h"
#include "retime_test.h"
#include "support.h"

namespace {

// Ends the process when a scenario hangs: a hang is a failure, and the test
// must say so rather than wait forever.
class Watchdog {
 public:
  explicit Watchdog(int64_t limit_ms) : thread_([this, limit_ms] { Watch(limit_ms); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Phase(const char* name) {
    std::lock_guard<std::mutex> lock(mu_);
    phase_ = name;
  }

 private:
  void Watch(int64_t limit_ms) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::milliseconds(limit_ms), [this] { return done_; })) {
      std::fprintf(stderr, "WATCHDOG: %s still running after %lld ms: hang\n", phase_,
                   static_cast<long long>(limit_ms));
      std::_Exit(4);
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  const char* phase_ = "startup";
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace kts_test;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  uint64_t seed = static_cast<uint64_t>(NowNs());
  int64_t budget_ms = 4000;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seed"))
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--budget-ms"))
      budget_ms = std::strtoll(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--only"))
      only = argv[i + 1];
  }
  const int64_t budget_ns = budget_ms * 1000000;
  auto want = [&](const char* name) { return only.empty() || only == name; };
  std::printf("kts_native_test seed=%llu budget=%lld ms per scenario\n",
              static_cast<unsigned long long>(seed), static_cast<long long>(budget_ms));
  std::fflush(stdout);
  // ThreadSanitizer starts a helper thread of its own with the first thread
  // the program creates: start one first, so the baselines include it.
  std::thread([] {}).join();
  const int fds_at_start = CountFds();
  const int threads_at_start = CountThreads();
  Rng rng(seed);
  {
    Watchdog dog(budget_ms * 4 + 60000);
    if (want("pool")) {
      dog.Phase("pool");
      PoolStats s = RunPoolTest(rng, budget_ns / 2, 400);
      std::printf("pool: %d rounds, %ld tasks, peak %zu threads\n", s.rounds, s.tasks, s.peak_threads);
    }
    if (want("mask")) {
      dog.Phase("mask");
      RunMaskTest();
      std::printf("mask: owned threads block async signals, not faults; wake-up signal as asked\n");
    }
    if (want("gate")) {
      dog.Phase("gate");
      GateStats s = RunGateTest(rng, budget_ns, 3000);
      std::printf("gate: %d rounds, %ld calls under Acquire, number reused at once in %d rounds\n", s.rounds,
                  s.syscalls, s.reused);
    }
    if (want("engine")) {
      dog.Phase("engine");
      EngineStats s = RunEngineTest(rng, budget_ns, 2000);
      std::printf(
          "engine: %d rounds, %ld ops (%ld settled inline, %ld closed, %ld timed out, %ld removed, "
          "%ld abandoned), %ld bytes read in order, %ld written, number reused at once %d times\n",
          s.rounds, s.ops, s.sync_ops, s.closed_ops, s.timeouts, s.removed, s.abandoned, s.bytes_read,
          s.bytes_written, s.reused);
    }
    if (want("retime")) {
      dog.Phase("retime");
      RetimeStats s = RunRetimeTest(rng, budget_ns, 400);
      std::printf(
          "retime: %d rounds: %d moved into the past while blocked, %d moved later while blocked, "
          "%d raced (%d timed out), no byte lost or doubled; %d with the wake-up signal's disposition "
          "changed\n",
          s.rounds, s.earlier, s.later, s.raced, s.raced_timeouts, s.disposition);
    }
    if (want("late")) {
      dog.Phase("late");
      int cases = RunLateStartTest();
      std::printf(
          "late: %d cases: ops started past their deadline took what came in time; a queued one timed out on "
          "time\n",
          cases);
    }
    if (want("deadline")) {
      dog.Phase("deadline");
      RunDeadlineScenarios();
      DeadlineStats s = RunDeadlineRace(rng, budget_ns / 2, 3000);
      std::printf(
          "deadline: scenarios done; race %d rounds, %ld decided on readiness, %ld at the deadline "
          "(%ld timed out)\n",
          s.rounds, s.ready_wins, s.deadline_wins, s.timeouts);
    }
    if (want("shutdown")) {
      dog.Phase("shutdown");
      RunShutdownTest();
      std::printf("shutdown: blocked read/write/accept/connect settled as closed, threads joined\n");
    }
    if (want("unix-backlog")) {
      dog.Phase("unix-backlog");
      KTS_CHECK(RunUnixBacklogCloseTest(), "close did not wake a connect waiting on a full Unix backlog");
    }
  }
  KTS_CHECK(CountFds() == fds_at_start, "fds: %d at start, %d at end", fds_at_start, CountFds());
  KTS_CHECK(CountThreads() == threads_at_start, "threads: %d at start, %d at end", threads_at_start,
            CountThreads());
  int failures = g_failures.load();
  std::printf("%s (%d failed checks) seed=%llu\n", failures ? "FAIL" : "PASS", failures,
              static_cast<unsigned long long>(seed));
  return failures ? 1 : 0;
}
