#include "deadline_thread.h"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "clock.h"
#include "owned_thread.h"

namespace kts {

namespace {

// How long the deadline thread waits before it tries a socket's mutex again
// when the JS thread holds it (for one non-blocking syscall at most).
constexpr int64_t kRetryNs = 20 * 1000;
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
    // Never blocked in a call a Retime must interrupt: no wake-up signal.
    int err = StartOwnedThread(&thread_, nullptr, &DeadlineThread::Main, this, false);
    if (err != 0) return err;
    started_ = true;
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

void DeadlineThread::Run() {
  std::unique_lock<std::mutex> lock(mu_);
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
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    Entry e = std::move(heap_.back());
    heap_.pop_back();
    if (e.gen != e.w->entry_gen) continue;  // superseded by an earlier one
    // None queued while it is looked at: an Add meanwhile queues a new one
    // (its deadline may have moved earlier than the again_at found here).
    e.w->entry_at = 0;
    // Deciding takes the socket's mutex and a syscall: not under mu_, so
    // Add never waits for it.
    lock.unlock();
    int64_t again_at = 0;
    bool done = Expire(*e.w, now, &again_at);
    lock.lock();
    if (!done && e.gen == e.w->entry_gen) {
      e.w->entry_at = again_at;
      heap_.push_back({again_at, std::move(e.w), e.gen});
      std::push_heap(heap_.begin(), heap_.end(), Later());
    }
  }
}

bool DeadlineThread::Expire(Waiter& w, int64_t now, int64_t* again_at) {
  Op* op = nullptr;
  Op* next = nullptr;
  switch (ClaimAtDeadline(w, now, kRetryNs, again_at, &op, &next)) {
    case DeadlineClaim::kGone: return true;
    case DeadlineClaim::kBusy:
    case DeadlineClaim::kLater: return false;
    case DeadlineClaim::kDecided: break;
  }
  if (next != nullptr && next_in_lane_) next_in_lane_(next);
  sink_->Complete(op);
  return true;
}

}  // namespace kts
