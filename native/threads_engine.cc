#include "threads_engine.h"

#include <mutex>

#include "clock.h"
#include "io.h"
#include "lane.h"
#include "queue_watch.h"

namespace kts {

ThreadsEngine::ThreadsEngine(CompletionSink* sink, size_t stack_bytes, int idle_ms, int spin_us)
    : sink_(sink),
      registry_(std::make_shared<HandleRegistry>(sink)),
      runner_(sink, stack_bytes, idle_ms, spin_us),
      // Its ops never wait on the event loop, so the deadline thread only
      // ever decides queued ones, which have nothing queued behind them
      // to hand on.
      deadline_(sink, nullptr) {}

ThreadsEngine::~ThreadsEngine() { Shutdown(); }

SubmitResult ThreadsEngine::Submit(Op* op) {
  Handle& h = *op->handle;
  Lane& lane = LaneOf(op);
  {
    std::lock_guard<std::mutex> lock(h.mu);
    SubmitResult admitted = AdmitLocked(op);
    if (admitted == SubmitResult::kQueued) return WatchQueued(op);
    if (admitted != SubmitResult::kRunning) return admitted;
  }
  // This thread holds the lane: nothing else can queue behind it until we
  // return, because only this thread submits.
  bool finished = TakeFromStash(op);
  if (!finished) {
    int fd = h.Acquire();
    if (fd < 0) {
      op->Fail(OpStatus::kClosed, 0, "");
      finished = true;
    } else {
      finished = TryNow(*op, h, fd);
      op->decided_ns = MonoNowNs();
      h.Release();
    }
  }
  if (finished) {
    std::lock_guard<std::mutex> lock(h.mu);
    lane.head = nullptr;
    op->state = OpState::kFinished;
    return SubmitResult::kFinished;
  }
  {
    std::lock_guard<std::mutex> lock(h.mu);
    op->state = OpState::kRunning;
  }
  int err = runner_.Run(op);
  if (err != 0) {
    // No thread could be started (EAGAIN from pthread_create): the op fails
    // here, and so does anything queued behind it meanwhile (none can be).
    op->Fail(OpStatus::kError, err, "pthread_create");
    std::lock_guard<std::mutex> lock(h.mu);
    lane.head = nullptr;
    op->state = OpState::kFinished;
    return SubmitResult::kFinished;
  }
  return SubmitResult::kRunning;
}

// op was just queued (h.mu held): the deadline thread gives the verdict
// if it is still queued at its deadline (queue_watch.h). Should that
// thread not start, the op fails now rather than miss its deadline.
SubmitResult ThreadsEngine::WatchQueued(Op* op) {
  int err = WatchQueuedLocked(op, deadline_);
  if (err == 0) return SubmitResult::kQueued;
  RemoveQueuedLocked(op);
  op->Fail(OpStatus::kError, err, "pthread_create");
  return SubmitResult::kFinished;
}

CancelResult ThreadsEngine::Cancel(Op* op) {
  Handle& h = *op->handle;
  {
    std::lock_guard<std::mutex> lock(h.mu);
    switch (op->state) {
      case OpState::kQueued: RemoveQueuedLocked(op); break;
      default: return CancelStartedLocked(op);
    }
  }
  sink_->Complete(op);
  return CancelResult::kRemoved;
}

bool ThreadsEngine::Close(Handle& h) {
  std::vector<Op*> unstarted;
  h.BeginClose(&unstarted);
  for (Op* op : unstarted) sink_->Complete(op);
  std::lock_guard<std::mutex> lock(h.mu);
  return h.fd_closed();
}

void ThreadsEngine::Shutdown() {
  deadline_.Stop();
  std::vector<Op*> unstarted;
  // The loop engine's Shutdown has closed the handles libuv watches (its
  // teardown runs first), so none here is polled.
  registry_->ForEach([&](Handle* h) { h->BeginClose(&unstarted); });
  for (Op* op : unstarted) sink_->Complete(op);
  runner_.Shutdown();
}

bool ThreadsEngine::Retime(Handle& h, Direction dir, int64_t deadline_ns) {
  std::lock_guard<std::mutex> lock(h.mu);
  if (h.closing()) return false;
  RetimeLaneLocked(h, dir, deadline_ns, deadline_);
  return true;
}

void ThreadsEngine::SetRef(Handle& h, bool ref) {
  (void)h;
  (void)ref;
}

}  // namespace kts
