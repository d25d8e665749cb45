#include "deadline_test.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <thread>
#include <vector>

#include "../../native/claim.h"
#include "../../native/deadline_thread.h"
#include "../../native/engine.h"
#include "check.h"
#include "counting_sink.h"

namespace kts_test {

namespace {

constexpr int64_t kMs = 1000000;

// A socket pair whose side a is a Handle (the socket under test) and side b
// the peer; one read op waiting on it, lane held, as LoopEngine::Wait
// leaves it.
struct Waiting {
  FdPair pair;
  std::shared_ptr<kts::Handle> handle;
  TestOp op;
  std::shared_ptr<kts::Waiter> waiter = std::make_shared<kts::Waiter>();

  bool Open(size_t size, bool exact, int64_t deadline_ns) {
    if (!UnixPair(&pair)) return false;
    handle = std::make_shared<kts::Handle>(pair.a, false, nullptr);
    pair.a = -1;  // the handle owns it
    op.kind = kts::OpKind::kRead;
    op.handle = handle;
    op.size = size;
    op.exact = exact;
    op.deadline_ns = deadline_ns;
    op.timer = kts::TimerMode::kPoll;
    handle->read_lane.head = &op;
    op.state = kts::OpState::kWaiting;
    waiter->handle = handle;
    waiter->op.store(&op);
    return true;
  }
  ~Waiting() { CloseQuietly(&pair.b); }
};

void NoNext(kts::Op*) {}

// Hands w to the deadline thread at `at` and waits for its one decision.
bool Decided(CountingSink& sink, kts::DeadlineThread& dt, Waiting& w, int64_t at) {
  long before = sink.delivered();
  KTS_CHECK(dt.Add(w.waiter, at) == 0, "Add");
  return sink.WaitForTotal(before + 1, 5000 * kMs);
}

void Timeout(CountingSink& sink, kts::DeadlineThread& dt) {
  Waiting w;
  int64_t deadline = NowNs() + 20 * kMs;
  KTS_CHECK(w.Open(16, false, deadline), "socketpair");
  KTS_CHECK(Decided(sink, dt, w, deadline), "no decision at the deadline");
  KTS_CHECK(w.op.completions.load() == 1, "completions %d", w.op.completions.load());
  KTS_CHECK(w.op.status == kts::OpStatus::kTimeout && w.op.err == EAGAIN, "status %d err %d",
            static_cast<int>(w.op.status), w.op.err);
  KTS_CHECK(w.op.decided_ns >= deadline, "decided %lld ns before its deadline",
            static_cast<long long>(deadline - w.op.decided_ns));
  KTS_CHECK(w.handle->read_lane.head == nullptr, "lane still held");
}

void BytesInTimeWin(CountingSink& sink, kts::DeadlineThread& dt) {
  Waiting w;
  int64_t deadline = NowNs() + 20 * kMs;
  KTS_CHECK(w.Open(16, false, deadline), "socketpair");
  // They arrive before the deadline; nobody claims on readiness.
  KTS_CHECK(write(w.pair.b, "hello", 5) == 5, "write");
  KTS_CHECK(Decided(sink, dt, w, deadline), "no decision");
  KTS_CHECK(w.op.status == kts::OpStatus::kOk && w.op.done == 5, "status %d done %zu",
            static_cast<int>(w.op.status), w.op.done);
}

// An exact read with part of its bytes at the deadline: a timeout, and the
// bytes go back to the stash for the next read.
void ExactPartialStashed(CountingSink& sink, kts::DeadlineThread& dt) {
  Waiting w;
  int64_t deadline = NowNs() + 20 * kMs;
  KTS_CHECK(w.Open(10, true, deadline), "socketpair");
  KTS_CHECK(write(w.pair.b, "abc", 3) == 3, "write");
  KTS_CHECK(Decided(sink, dt, w, deadline), "no decision");
  KTS_CHECK(w.op.status == kts::OpStatus::kTimeout, "status %d", static_cast<int>(w.op.status));
  std::lock_guard<std::mutex> lock(w.handle->mu);
  KTS_CHECK(w.handle->stash.size() == 3, "stash holds %zu bytes", w.handle->stash.size());
}

void RetimeEarlierAndLater(CountingSink& sink, kts::DeadlineThread& dt) {
  {
    // No deadline of its own; the socket-wide one set while it waits.
    Waiting w;
    KTS_CHECK(w.Open(16, false, 0), "socketpair");
    int64_t at = NowNs() + 10 * kMs;
    w.handle->deadline_ns[0].store(at);
    KTS_CHECK(Decided(sink, dt, w, at), "socket-wide deadline not honoured");
    KTS_CHECK(w.op.status == kts::OpStatus::kTimeout, "status %d", static_cast<int>(w.op.status));
    KTS_CHECK(w.op.decided_ns >= at, "decided early");
  }
  {
    // Moved later before the first entry's time: decided at the new one.
    Waiting w;
    KTS_CHECK(w.Open(16, false, 0), "socketpair");
    int64_t first = NowNs() + 10 * kMs;
    w.handle->deadline_ns[0].store(first);
    KTS_CHECK(dt.Add(w.waiter, first) == 0, "Add");
    int64_t later = NowNs() + 120 * kMs;
    w.handle->deadline_ns[0].store(later);
    long before = sink.delivered();
    KTS_CHECK(sink.WaitForTotal(before + 1, 5000 * kMs), "not decided after moving later");
    KTS_CHECK(w.op.decided_ns >= later, "decided %lld ms before the later deadline",
              static_cast<long long>((later - w.op.decided_ns) / kMs));
  }
}

// While the "JS thread" holds one socket's mutex past its deadline, the
// deadline thread still decides another socket's op on time.
void NeverBlocksBehindJs(CountingSink& sink, kts::DeadlineThread& dt) {
  Waiting held, other;
  int64_t deadline = NowNs() + 20 * kMs;
  KTS_CHECK(held.Open(16, false, deadline) && other.Open(16, false, deadline), "socketpair");
  long before = sink.delivered();
  {
    std::lock_guard<std::mutex> lock(held.handle->mu);
    KTS_CHECK(dt.Add(held.waiter, deadline) == 0 && dt.Add(other.waiter, deadline + 1) == 0, "Add");
    KTS_CHECK(sink.WaitForTotal(before + 1, 5000 * kMs), "blocked behind a held mutex");
    KTS_CHECK(other.op.completions.load() == 1 && held.op.completions.load() == 0, "other %d held %d",
              other.op.completions.load(), held.op.completions.load());
  }
  KTS_CHECK(sink.WaitForTotal(before + 2, 5000 * kMs), "held op never decided");
  KTS_CHECK(held.op.status == kts::OpStatus::kTimeout, "held status %d", static_cast<int>(held.op.status));
}

// Deadlines that fall together are decided as batches: each batch goes to
// the sink in one hand-over (one lock, one wake-up of the JS thread), at
// most 256 ops each, and every op exactly once.
void Batched(CountingSink& sink, kts::DeadlineThread& dt) {
  constexpr int kOps = 300;
  std::vector<std::unique_ptr<Waiting>> ws;
  int64_t deadline = NowNs() + 300 * kMs;
  for (int i = 0; i < kOps; ++i) {
    ws.push_back(std::make_unique<Waiting>());
    KTS_CHECK(ws.back()->Open(16, false, deadline), "socketpair %d", i);
  }
  long before = sink.delivered();
  long batches = sink.batches();
  for (auto& w : ws) KTS_CHECK(dt.Add(w->waiter, deadline) == 0, "Add");
  // All queued before their common deadline, so one look finds them all due.
  KTS_CHECK(NowNs() < deadline, "adding %d entries outlasted their deadline", kOps);
  KTS_CHECK(sink.WaitForTotal(before + kOps, 5000 * kMs), "not all decided");
  for (auto& w : ws) {
    KTS_CHECK(w->op.completions.load() == 1 && w->op.status == kts::OpStatus::kTimeout,
              "completions %d status %d", w->op.completions.load(), static_cast<int>(w->op.status));
  }
  KTS_CHECK(sink.batches() - batches == 2 && sink.largest_batch() == 256, "%ld batches, the largest %zu",
            sink.batches() - batches, sink.largest_batch());
}

void Compaction(kts::DeadlineThread& dt) {
  auto handle = std::make_shared<kts::Handle>(-1, false, nullptr);
  TestOp op;
  op.handle = handle;
  int64_t far = NowNs() + 3600 * 1000 * kMs;
  size_t base = dt.entries();
  std::vector<std::shared_ptr<kts::Waiter>> ws;
  for (int i = 0; i < 5000; ++i) {
    auto w = std::make_shared<kts::Waiter>();
    w->handle = handle;
    w->op.store(&op);
    KTS_CHECK(dt.Add(w, far) == 0, "Add");
    ws.push_back(w);
  }
  // Decided elsewhere: stale entries.
  for (auto& w : ws) {
    w->op.store(nullptr);
    dt.NoteStale();
  }
  size_t compactions = dt.compactions();
  auto last = std::make_shared<kts::Waiter>();
  last->handle = handle;
  KTS_CHECK(dt.Add(last, far) == 0, "Add");
  KTS_CHECK(dt.compactions() == compactions + 1, "no compaction");
  KTS_CHECK(dt.entries() <= base + 1, "%zu entries after compaction", dt.entries());
  handle.reset();
}

// A reused waiter (the loop engine's, one per socket and direction) whose
// live entry a compaction dropped while it was idle: the next op stored into
// it, with a deadline later than the dropped entry's time, must get an
// entry of its own and time out, not be trusted to the entry that is gone.
void CompactionDropsIdleEntry(CountingSink& sink, kts::DeadlineThread& dt) {
  Waiting w;
  int64_t first = NowNs() + 1000 * kMs;
  KTS_CHECK(w.Open(16, false, first), "socketpair");
  KTS_CHECK(dt.Add(w.waiter, first) == 0, "Add");
  w.waiter->op.store(nullptr);  // claimed by the JS thread: idle, entry kept
  // Enough stale entries to compact at the next Add.
  for (int i = 0; i < 3000; ++i) dt.NoteStale();
  size_t compactions = dt.compactions();
  auto other = std::make_shared<kts::Waiter>();
  KTS_CHECK(dt.Add(other, NowNs() + 3600 * 1000 * kMs) == 0, "Add");
  KTS_CHECK(dt.compactions() == compactions + 1, "no compaction");
  // The next op, due after the dropped entry's time.
  w.op.deadline_ns = first + 100 * kMs;
  w.waiter->op.store(&w.op);
  long before = sink.delivered();
  KTS_CHECK(dt.Add(w.waiter, w.op.deadline_ns) == 0, "Add");
  KTS_CHECK(sink.WaitForTotal(before + 1, 5000 * kMs), "reused waiter's op never decided");
  KTS_CHECK(w.op.status == kts::OpStatus::kTimeout, "status %d", static_cast<int>(w.op.status));
  KTS_CHECK(NowNs() >= w.op.deadline_ns, "decided before its deadline");
}

// The opt-in real-time start (KTS_DEADLINE_PRIORITY): granted (root) or
// refused (EPERM; ENOTSUP on the portable paths), the thread is running
// when it returns and decides as before; asking a running thread again
// changes it from outside (the same answer, as the privilege is the same).
void Realtime(CountingSink& sink) {
  kts::DeadlineThread dt(&sink, &NoNext);
  int first = dt.StartRealtime(1);
  KTS_CHECK(first == 0 || first == EPERM || first == ENOTSUP, "StartRealtime: %d", first);
  KTS_CHECK(dt.running(), "not running after StartRealtime");
  Timeout(sink, dt);
  int again = dt.StartRealtime(1);
  KTS_CHECK(again == first, "again: %d, first: %d", again, first);
  Timeout(sink, dt);
  dt.Stop();
  KTS_CHECK(dt.StartRealtime(1) == ESHUTDOWN, "StartRealtime after Stop");
}

}  // namespace

void RunDeadlineScenarios() {
  CountingSink sink;
  kts::DeadlineThread dt(&sink, &NoNext);
  Timeout(sink, dt);
  BytesInTimeWin(sink, dt);
  ExactPartialStashed(sink, dt);
  RetimeEarlierAndLater(sink, dt);
  NeverBlocksBehindJs(sink, dt);
  Batched(sink, dt);
  Compaction(dt);
  CompactionDropsIdleEntry(sink, dt);
  dt.Stop();
  Realtime(sink);
}

DeadlineStats RunDeadlineRace(Rng& rng, int64_t budget_ns, int max_rounds) {
  DeadlineStats stats;
  CountingSink sink;
  kts::DeadlineThread dt(&sink, &NoNext);
  int64_t until = NowNs() + budget_ns;
  while (stats.rounds < max_rounds && NowNs() < until) {
    ++stats.rounds;
    Waiting w;
    int64_t deadline = NowNs() + static_cast<int64_t>(rng.Between(0, 2000)) * 1000;
    if (!w.Open(64, false, deadline)) {
      KTS_CHECK(false, "socketpair");
      break;
    }
    long before = sink.delivered();
    KTS_CHECK(dt.Add(w.waiter, deadline) == 0, "Add");
    // The peer writes a byte at a random moment around the deadline while
    // this thread plays the event loop: poll, then ClaimReady.
    int64_t write_at = deadline - 1000 * 1000 + static_cast<int64_t>(rng.Between(0, 2000)) * 1000;
    std::thread peer([&] {
      while (NowNs() < write_at) std::this_thread::yield();
      KTS_CHECK(write(w.pair.b, "x", 1) == 1, "peer write");
    });
    bool mine = false;
    int64_t give_up = NowNs() + 5000 * kMs;
    while (NowNs() < give_up) {
      if (w.waiter->op.load() == nullptr) break;
      pollfd p{w.handle->fd_for_diagnostics(), POLLIN, 0};
      if (poll(&p, 1, 1) <= 0) continue;
      kts::Op* claimed = nullptr;
      kts::ReadyClaim c = kts::ClaimReady(*w.waiter, &claimed);
      if (c == kts::ReadyClaim::kFinished) {
        mine = true;
        break;
      }
      if (c == kts::ReadyClaim::kGone || c == kts::ReadyClaim::kPastDeadline) break;
    }
    peer.join();
    if (mine) {
      ++stats.ready_wins;
      KTS_CHECK(w.op.decided_ns < deadline + 1000 * kMs, "claimed on readiness");
      KTS_CHECK(w.op.status == kts::OpStatus::kOk && w.op.done == 1, "ready win status %d done %zu",
                static_cast<int>(w.op.status), w.op.done);
      // The deadline thread must leave it alone: its entry is stale.
      KTS_CHECK(w.op.completions.load() == 0, "deadline thread decided a claimed op");
    } else {
      KTS_CHECK(sink.WaitForTotal(before + 1, 5000 * kMs), "op never decided");
      ++stats.deadline_wins;
      KTS_CHECK(w.op.completions.load() == 1, "completions %d", w.op.completions.load());
      if (w.op.status == kts::OpStatus::kTimeout) {
        ++stats.timeouts;
        // Timed out: the byte must still be in the kernel (not lost).
        // The peer has written by now (joined).
        char c;
        ssize_t n = recv(w.handle->fd_for_diagnostics(), &c, 1, MSG_DONTWAIT);
        KTS_CHECK(n == 1, "a timed-out op lost the byte (n=%zd)", n);
      } else {
        KTS_CHECK(w.op.status == kts::OpStatus::kOk && w.op.done == 1, "deadline status %d done %zu",
                  static_cast<int>(w.op.status), w.op.done);
      }
    }
    // Either way, exactly one decision: the op is no longer claimable.
    KTS_CHECK(w.waiter->op.load() == nullptr, "op still claimable after a decision");
  }
  dt.Stop();
  return stats;
}

}  // namespace kts_test
