#include "deadline_thread.h"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "clock.h"
#include "owned_thread.h"
#include "platform.h"

namespace kts {

namespace {

// How long the deadline thread waits before it tries a socket's mutex again
// when the JS thread holds it (for one non-blocking syscall at most).
constexpr int64_t kRetryNs = 20 * 1000;
// The most entries one batch takes: bounds how long the first decided op
// of a burst waits for the batch to reach the sink (~1-3 µs each). Under
// the opt-in SCHED_FIFO (StartRealtime) it is also the most this thread
// decides before it hands the JS thread work: it does not sleep between
// batches while more are due, so its longest run is the burst's size times
// a few µs (2-6 µs per decision measured), then it waits again.
constexpr size_t kBatchMax = 256;
// The slice this thread asks the scheduler for (platform.h): the least the
// kernel takes (0.1 ms). Most batches run well under it (~10 ops, ~25 µs);
// a batch of kBatchMax may be preempted after it, as any thread's run.
constexpr int64_t kSliceNs = 100 * 1000;
// Compaction runs when stale entries outnumber live ones and exceed this.
constexpr size_t kCompactAbove = 1024;

std::chrono::steady_clock::time_point AtMono(int64_t ns) {
  // steady_clock is CLOCK_MONOTONIC (libstdc++ waits with
  // pthread_cond_clockwait on it), the clock of MonoNowNs.
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}

}  // namespace

DeadlineThread::DeadlineThread(CompletionSink* sink, std::function<void(Op*)> next_in_lane)
    : sink_(sink), next_in_lane_(std::move(next_in_lane)) {}

DeadlineThread::~DeadlineThread() { Stop(); }

int DeadlineThread::Add(const std::shared_ptr<Waiter>& w, int64_t at) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return ESHUTDOWN;
  if (!started_) {
    int err = StartLocked();
    if (err != 0) return err;
  }
  if (w->entry_at != 0 && w->entry_at <= at) return 0;  // its entry comes first and looks again
  if (w->entry_at != 0) stale_.fetch_add(1, std::memory_order_relaxed);  // superseded
  w->entry_at = at;
  uint64_t gen = ++w->entry_gen;
  bool earliest = heap_.empty() || at < heap_.front().at;
  heap_.push_back({at, w, gen});
  std::push_heap(heap_.begin(), heap_.end(), Later());
  if (stale_.load(std::memory_order_relaxed) > kCompactAbove &&
      stale_.load(std::memory_order_relaxed) * 2 > heap_.size())
    CompactLocked();
  if (earliest) cv_.notify_one();
  return 0;
}

int DeadlineThread::StartLocked() {
  // Never blocked in a call a Retime must interrupt: no wake-up signal.
  int err = StartOwnedThread(&thread_, nullptr, &DeadlineThread::Main, this, false);
  if (err == 0) started_ = true;
  return err;
}

int DeadlineThread::StartRealtime(int priority) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) return ESHUTDOWN;
  bool fresh = !started_;
  if (fresh) {
    priority_ = priority;
    int err = StartLocked();
    if (err != 0) {
      priority_ = 0;
      return err;
    }
  }
  // A started thread always gets there (Run, before its loop); until then it
  // may still be making its own requests, which a change from here must
  // follow, not race.
  ready_cv_.wait(lock, [this] { return ready_; });
  if (fresh) return priority_err_;
  if (stop_) return ESHUTDOWN;  // Stop may be joining it: thread_ is not ours to use
  return platform::SetRealtimePriority(thread_, priority);
}

void DeadlineThread::NoteStale() { stale_.fetch_add(1, std::memory_order_relaxed); }

void DeadlineThread::Retire(Waiter& w) {
  {
    std::lock_guard<std::mutex> guard(w.handle_mu);
    w.op.store(nullptr);
    w.handle.reset();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (w.entry_at != 0) stale_.fetch_add(1, std::memory_order_relaxed);
}

void DeadlineThread::CompactLocked() {
  // Drops superseded entries and those of idle or retired waiters. A live
  // entry dropped leaves its waiter with none (entry_at 0), so the next op
  // stored into it is queued by its Add rather than trusted to an entry
  // that is gone (an op with no entry would never time out). An op stored
  // before this runs is seen here (its Add, which follows the store, waits
  // for mu_); one stored after finds entry_at 0.
  heap_.erase(std::remove_if(heap_.begin(), heap_.end(),
                             [](const Entry& e) {
                               if (e.gen != e.w->entry_gen) return true;
                               if (e.w->op.load() != nullptr) return false;
                               e.w->entry_at = 0;
                               return true;
                             }),
              heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), Later());
  stale_.store(0, std::memory_order_relaxed);
  ++compactions_;
}

void DeadlineThread::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
    cv_.notify_all();
    if (!started_) return;
  }
  pthread_join(thread_, nullptr);
  std::lock_guard<std::mutex> lock(mu_);
  heap_.clear();
}

bool DeadlineThread::running() {
  std::lock_guard<std::mutex> lock(mu_);
  return started_ && !stop_;
}

size_t DeadlineThread::entries() {
  std::lock_guard<std::mutex> lock(mu_);
  return heap_.size();
}

size_t DeadlineThread::compactions() {
  std::lock_guard<std::mutex> lock(mu_);
  return compactions_;
}

void* DeadlineThread::Main(void* self) {
  static_cast<DeadlineThread*>(self)->Run();
  return nullptr;
}

void DeadlineThread::TakeDueLocked(int64_t now, std::vector<Entry>* due) {
  while (!heap_.empty() && heap_.front().at <= now && due->size() < kBatchMax) {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    Entry e = std::move(heap_.back());
    heap_.pop_back();
    if (e.gen != e.w->entry_gen) continue;  // superseded by an earlier one
    // None queued while it is looked at: an Add meanwhile queues a new one
    // (its deadline may have moved earlier than the again_at found here).
    e.w->entry_at = 0;
    due->push_back(std::move(e));
  }
}

void DeadlineThread::Run() {
  // The batch: every entry due when the thread looks, taken under one lock,
  // decided without it, and the decided ops handed to the sink together
  // (one lock, one wake-up of the JS thread) before the next batch. When
  // thousands of deadlines fall within milliseconds, that is one heap lock,
  // one delivery lock and at most one wake-up per batch, not per op.
  // Late decisions at scale were this thread waiting for a CPU after its
  // timer fired (a batch is decided in ~2 µs per op), behind the JS thread
  // settling the timeouts and V8's helper threads: a short slice lets it
  // preempt them on wake-up (docs/benchmark-results.md). Advisory: where
  // the kernel refuses (not SCHED_OTHER) or has no such request, it runs as
  // before, so the errno changes nothing here.
  // The opt-in real-time priority (StartRealtime) comes first: under
  // SCHED_FIFO the thread preempts every SCHED_OTHER thread on wake-up, and
  // the short-slice request, which only applies to SCHED_OTHER, then leaves
  // it be. Refused, the thread goes on as SCHED_OTHER with its short slice.
  int priority = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    priority = priority_;
  }
  int priority_err = priority > 0 ? platform::SetRealtimePriority(pthread_self(), priority) : 0;
  (void)platform::RequestShortSlice(kSliceNs);
  // Named so a profiler or the bench (bench/scale/holder.js) can tell it
  // from the other threads; a name is only a label, so an errno changes
  // nothing here either.
  (void)platform::NameThisThread("kts-deadline");
  std::vector<Entry> due;
  std::vector<Op*> decided;
  // Never grown in the loop: a batch holds at most kBatchMax.
  due.reserve(kBatchMax);
  decided.reserve(kBatchMax);
  std::unique_lock<std::mutex> lock(mu_);
  priority_err_ = priority_err;
  ready_ = true;
  ready_cv_.notify_all();
  while (!stop_) {
    if (heap_.empty()) {
      cv_.wait(lock);
      continue;
    }
    int64_t now = MonoNowNs();
    if (heap_.front().at > now) {
      cv_.wait_until(lock, AtMono(heap_.front().at));
      continue;
    }
    TakeDueLocked(now, &due);
    if (due.empty()) continue;  // all superseded
    // Deciding takes each socket's mutex and a syscall: not under mu_, so
    // Add never waits for it.
    lock.unlock();
    for (Entry& e : due) {
      int64_t again_at = 0;
      // An entry done with lets go of its waiter; one to look at again
      // keeps it and its new time.
      if (Expire(*e.w, now, &again_at, &decided)) {
        e.w.reset();
      } else {
        e.at = again_at;
      }
    }
    sink_->CompleteAll(decided.data(), decided.size());
    decided.clear();
    lock.lock();
    for (Entry& e : due) {
      if (e.w == nullptr || e.gen != e.w->entry_gen) continue;
      e.w->entry_at = e.at;
      heap_.push_back(std::move(e));
      std::push_heap(heap_.begin(), heap_.end(), Later());
    }
    due.clear();
  }
}

bool DeadlineThread::Expire(Waiter& w, int64_t now, int64_t* again_at, std::vector<Op*>* decided) {
  Op* op = nullptr;
  Op* next = nullptr;
  switch (ClaimAtDeadline(w, now, kRetryNs, again_at, &op, &next)) {
    case DeadlineClaim::kGone: return true;
    case DeadlineClaim::kBusy:
    case DeadlineClaim::kLater: return false;
    case DeadlineClaim::kDecided: break;
  }
  // Handed over before the batch reaches the sink: whoever receives op
  // finds its next already running.
  if (next != nullptr && next_in_lane_) next_in_lane_(next);
  decided->push_back(op);
  return true;
}

}  // namespace kts
