#include "threads_engine.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "clock.h"
#include "io.h"
#include "lane.h"

namespace kts {

ThreadsEngine::ThreadsEngine(CompletionSink* sink, size_t stack_bytes, int idle_ms, int spin_us)
    : sink_(sink), registry_(std::make_shared<HandleRegistry>(sink)), pool_(stack_bytes, idle_ms, spin_us) {}

ThreadsEngine::~ThreadsEngine() { Shutdown(); }

SubmitResult ThreadsEngine::Submit(Op* op) {
  Handle& h = *op->handle;
  Lane& lane = LaneOf(op);
  {
    std::lock_guard<std::mutex> lock(h.mu);
    if (h.closing()) {
      op->Fail(OpStatus::kClosed, 0, "");
      op->state = OpState::kFinished;
      return SubmitResult::kFinished;
    }
    if (lane.busy) {
      // It will run on a thread after this tick: it must not keep pointing
      // at the caller's memory.
      if (op->kind == OpKind::kWrite) DetachWriteData(*op);
      op->state = OpState::kQueued;
      lane.queue.push_back(op);
      return SubmitResult::kQueued;
    }
    lane.busy = true;
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
    lane.busy = false;
    op->state = OpState::kFinished;
    return SubmitResult::kFinished;
  }
  {
    std::lock_guard<std::mutex> lock(h.mu);
    op->state = OpState::kRunning;
  }
  int err = Continue(op);
  if (err != 0) {
    // No thread could be started (EAGAIN from pthread_create): the op fails
    // here, and so does anything queued behind it meanwhile (none can be).
    op->Fail(OpStatus::kError, err, "pthread_create");
    std::lock_guard<std::mutex> lock(h.mu);
    lane.busy = false;
    op->state = OpState::kFinished;
    return SubmitResult::kFinished;
  }
  return SubmitResult::kRunning;
}

int ThreadsEngine::Continue(Op* op) { return pool_.Submit([this, op] { RunLane(op); }); }

void ThreadsEngine::Execute(Op* op) {
  if (TakeFromStash(op)) return;
  Handle& h = *op->handle;
  int fd = h.Acquire();
  if (fd < 0) return op->Fail(OpStatus::kClosed, 0, "");
  RunBlocking(*op, h, fd);
  op->decided_ns = MonoNowNs();
  h.Release();
}

void ThreadsEngine::RunLane(Op* op) {
  while (op != nullptr) {
    Execute(op);
    Op* next;
    {
      std::lock_guard<std::mutex> lock(op->handle->mu);
      next = FinishAndNextLocked(op);
    }
    sink_->Complete(op);
    op = next;
  }
}

CancelResult ThreadsEngine::Cancel(Op* op, bool only_queued) {
  Handle& h = *op->handle;
  {
    std::lock_guard<std::mutex> lock(h.mu);
    switch (op->state) {
      case OpState::kQueued: {
        Lane& lane = LaneOf(op);
        for (auto it = lane.queue.begin(); it != lane.queue.end(); ++it) {
          if (*it == op) {
            lane.queue.erase(it);
            break;
          }
        }
        op->state = OpState::kFinished;
        op->Fail(OpStatus::kCancelled, 0, "");
        break;
      }
      case OpState::kRunning:
        if (only_queued) return CancelResult::kStarted;
        op->abandoned = true;
        return CancelResult::kAbandoned;
      default:
        return CancelResult::kTooLate;
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
  std::vector<Op*> unstarted;
  registry_->ForEach([&](Handle* h) { h->BeginClose(&unstarted); });
  for (Op* op : unstarted) sink_->Complete(op);
  pool_.Shutdown();
}

bool ThreadsEngine::Retime(Handle& h, Direction dir, int64_t deadline_ns) {
  std::lock_guard<std::mutex> lock(h.mu);
  if (h.closing()) return false;
  h.deadline_ns[static_cast<int>(dir)].store(deadline_ns);
  return true;
}

void ThreadsEngine::SetRef(Handle& h, bool ref) {
  (void)h;
  (void)ref;
}

}  // namespace kts
