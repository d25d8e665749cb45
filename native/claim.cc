#include "claim.h"

#include "clock.h"
#include "engine.h"
#include "io.h"
#include "lane.h"
#include "queue_watch.h"

namespace kts {

ReadyClaim ClaimReady(Waiter& w, Op** claimed) {
  Handle& h = *w.handle;
  std::lock_guard<std::mutex> lock(h.mu);
  Op* op = w.op.load();
  if (op == nullptr) return ReadyClaim::kGone;
  int fd = h.fd_locked();
  if (h.closing() || fd < 0) return ReadyClaim::kGone;  // Close settles it
  int64_t deadline = EffectiveDeadline(*op);
  if (deadline != 0 && MonoNowNs() >= deadline) return ReadyClaim::kPastDeadline;
  op->status = OpStatus::kOk;
  bool finished = ContinueNow(*op, fd);
  bool partial = !finished && op->kind == OpKind::kRead && op->exact && op->done > 0;
  if (!finished && !partial) return ReadyClaim::kNotReady;
  w.op.store(nullptr);
  op->state = OpState::kRunning;
  op->decided_ns = MonoNowNs();
  *claimed = op;
  return finished ? ReadyClaim::kFinished : ReadyClaim::kContinue;
}

DeadlineClaim ClaimAtDeadline(Waiter& w, int64_t now, int64_t retry_ns, int64_t* again_at, Op** claimed,
                              Op** next) {
  std::shared_ptr<Handle> held;
  {
    std::lock_guard<std::mutex> guard(w.handle_mu);
    if (w.op.load() == nullptr) return DeadlineClaim::kGone;
    held = w.handle;
  }
  Handle& h = *held;
  // Never block behind the JS thread: it holds the mutex for one
  // non-blocking syscall at most.
  std::unique_lock<std::mutex> lock(h.mu, std::try_to_lock);
  if (!lock.owns_lock()) {
    *again_at = now + retry_ns;
    return DeadlineClaim::kBusy;
  }
  Op* op = w.op.load();
  if (op == nullptr) return DeadlineClaim::kGone;
  int64_t deadline = EffectiveDeadline(*op);
  if (deadline == 0) return DeadlineClaim::kGone;  // readiness alone decides it now
  if (deadline > MonoNowNs()) {
    *again_at = deadline;
    return DeadlineClaim::kLater;
  }
  if (op->state == OpState::kQueued) {
    // Behind another op of its lane: the verdict of queue_watch.h.
    DeadlineClaim c = DecideQueuedLocked(w, op, again_at);
    *claimed = op;
    *next = nullptr;
    return c;
  }
  w.op.store(nullptr);
  op->state = OpState::kRunning;
  int fd = h.fd_locked();
  if (h.closing() || fd < 0) {
    op->Fail(OpStatus::kClosed, 0, "");
  } else {
    DecideAtDeadline(*op, fd);
  }
  op->decided_ns = MonoNowNs();
  *claimed = op;
  *next = FinishAndNextLocked(op);
  return DeadlineClaim::kDecided;
}

}  // namespace kts
