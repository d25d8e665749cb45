// The native verdict on queued ops at their deadline (queue_watch.h).
#include "queue_watch.h"

#include <poll.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

#include "clock.h"
#include "engine.h"
#include "io_steps.h"
#include "lane.h"
#include "op_step.h"

namespace kts {

int WatchQueuedLocked(Op* op, DeadlineThread& dt) {
  int64_t deadline = EffectiveDeadline(*op);
  if (deadline == 0) return 0;  // none now: a Retime that sets one watches it then
  if (!op->queue_watch) {
    op->queue_watch = std::make_shared<Waiter>();
    op->queue_watch->handle = op->handle;
    op->queue_watch->op.store(op);
    op->queue_watch->queue_dt = &dt;
  }
  return dt.Add(op->queue_watch, deadline);
}

void WatchQueueLocked(Handle& h, Direction dir, DeadlineThread& dt) {
  for (Op* op : h.lane(dir).queue) WatchQueuedLocked(op, dt);
}

void UnwatchQueuedLocked(Op* op) {
  Waiter* w = op->queue_watch.get();
  if (w == nullptr) return;
  {
    // Not the Handle's last reference: op holds one.
    std::lock_guard<std::mutex> guard(w->handle_mu);
    w->op.store(nullptr);
    w->handle.reset();
  }
  if (w->queue_dt != nullptr) w->queue_dt->NoteStale();
  op->queue_watch.reset();
}

namespace {

// Whether the head of op's lane may be about to leave op something (the
// rule in queue_watch.h). h.mu held, h not closing.
bool HeadMayHandOver(Handle& h, Op* op, int fd, int64_t now) {
  if (op->kind == OpKind::kRead && !h.stash.empty()) return true;
  if (op->kind == OpKind::kAccept && !h.stashed_connections.empty()) return true;
  Op* head = LaneOf(op).head;
  if (head != nullptr) {
    int64_t due = EffectiveDeadline(*head);
    if (head->abandoned || (due != 0 && due <= now)) return true;
  }
  pollfd p{fd, EventsOf(op->kind), 0};
  int r;
  do r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  // An error or hang-up is "ready" too: the head is about to learn it, and
  // the op then gets the same news from its own call.
  return r != 0;
}

}  // namespace

DeadlineClaim DecideQueuedLocked(Waiter& w, Op* op, int64_t* again_at) {
  Handle& h = *op->handle;
  int fd = h.fd_locked();
  int64_t now = MonoNowNs();
  // A closing handle has emptied its queues (BeginClose), so fd is valid.
  if (!h.closing() && fd >= 0 && HeadMayHandOver(h, op, fd, now)) {
    w.deferrals.fetch_add(1);
    *again_at = now + kQueuedRecheckNs;
    return DeadlineClaim::kLater;
  }
  LaneOf(op).queue.remove(op);
  UnwatchQueuedLocked(op);
  op->state = OpState::kFinished;
  TimedOut(*op, TimeoutErrnoOf(op->kind), "poll");
  op->decided_ns = now;
  return DeadlineClaim::kDecided;
}

namespace {

bool HoldHandoffHookOn() {
  const char* v = std::getenv("KTS_TEST_HOLD_HANDOFF");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace

void HoldBeforeHandoffForTest(Op* head) {
  static const bool on = HoldHandoffHookOn();
  if (!on) return;
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard<std::mutex> lock(head->handle->mu);
    Lane& lane = LaneOf(head);
    if (!lane.queue.empty()) next = lane.queue.front()->queue_watch;
  }
  if (!next) return;
  // Bounded: 5 000 naps of 1 ms. Polling a flag is fine in a test hook;
  // nothing else waits on this thread.
  for (int i = 0; i < 5000 && next->op.load() != nullptr && next->deferrals.load() == 0; ++i) {
    timespec nap{0, 1000 * 1000};
    nanosleep(&nap, nullptr);
  }
}

}  // namespace kts
