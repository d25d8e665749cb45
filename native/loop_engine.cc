#include "loop_engine.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "clock.h"
#include "io.h"
#include "lane.h"
#include "platform.h"
#include "queue_watch.h"

namespace kts {

LoopEngine::LoopEngine(uv_loop_t* loop, CompletionSink* sink, SettleNow settle_now, void* owner,
                       LaneRunner* runner)
    : loop_(loop),
      sink_(sink),
      settle_now_(settle_now),
      owner_(owner),
      runner_(runner),
      deadline_(sink, [this](Op* op) { HandOff(op); }),
      skip_read_attempt_(SkipReadAttempt()) {}

LoopEngine::~LoopEngine() { deadline_.Stop(); }

// A test hook: KTS_TEST_LOOP_WAIT_FIRST=1 in the environment makes every
// read wait on the loop before its first recv, so a test sees what the
// watcher does with an event (an error, say) that the attempt would
// otherwise have consumed.
bool LoopEngine::SkipReadAttempt() {
  const char* v = std::getenv("KTS_TEST_LOOP_WAIT_FIRST");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

int LoopEngine::PrepareListener(int fd) { return platform::SetNonBlocking(fd, true); }

SubmitResult LoopEngine::Submit(Op* op) {
  Handle& h = *op->handle;
  op->timer = TimerMode::kPoll;  // for the part that may continue on a thread
  bool attempted = false;
  {
    std::lock_guard<std::mutex> lock(h.mu);
    if (shut_down_) {
      op->Fail(OpStatus::kClosed, 0, "");
      op->state = OpState::kFinished;
      return SubmitResult::kFinished;
    }
    SubmitResult admitted = AdmitLocked(op);
    if (admitted == SubmitResult::kQueued) {
      // The deadline thread gives the verdict if it is still queued at its
      // deadline (queue_watch.h); should that thread not start, the op
      // fails now rather than miss its deadline.
      int err = WatchQueuedLocked(op, deadline_);
      if (err == 0) return SubmitResult::kQueued;
      RemoveQueuedLocked(op);
      op->Fail(OpStatus::kError, err, "pthread_create");
      return SubmitResult::kFinished;
    }
    if (admitted != SubmitResult::kRunning) return admitted;
    // The common case in this one critical section: the attempt, made
    // with the mutex held across its one non-blocking call as a claimer
    // holds it (claim.h), so the fd cannot close meanwhile (no Acquire and
    // Release), and the op finished under the same lock. One lock per op
    // that completes at once, where Start takes four more.
    if (CanTryLocked(*op)) {
      attempted = true;
      // No probe: the level-triggered watcher reports data already queued
      // on the next loop turn, and the deadline still counts from the call.
      bool finished = !ProbeWouldFail(*op) && TryNow(*op, h, h.fd_locked());
      if (finished) {
        // decidedAt is a timeout's or failure's: a read or write done with
        // Ok reports none (a clock read saved), and one that waits is timed
        // by whoever decides it (claim.h, lane_runner.h).
        if (op->status != OpStatus::kOk) op->decided_ns = MonoNowNs();
        FinishAndNextLocked(op);  // nothing can be queued behind it yet
        return SubmitResult::kFinished;
      }
    }
  }
  if (!(attempted ? AfterAttempt(op) : Start(op))) return SubmitResult::kRunning;
  std::lock_guard<std::mutex> lock(h.mu);
  FinishAndNextLocked(op);  // nothing can be queued behind it yet
  return SubmitResult::kFinished;
}

namespace {

// An exact read up to this size fits in the kernel's receive queue (64 KiB
// is below Linux's default TCP and Unix stream buffers), so the peer can
// send all of it while JavaScript is stalled and the deadline thread's one
// look takes it whole: it can wait on the loop. A bigger one needs reads
// while it arrives.
constexpr size_t kExactOnLoopMax = 64 * 1024;

// A write no bigger than this may be copied (what the kernel did not take)
// with the mutex held: a few microseconds at most. A bigger one is tried by
// Start, outside it.
constexpr size_t kLockedWriteMax = 64 * 1024;

}  // namespace

bool LoopEngine::CanTryLocked(const Op& op) const {
  const Handle& h = *op.handle;
  if (h.closing() || h.fd_locked() < 0) return false;
  if (op.kind == OpKind::kRead) return !skip_read_attempt_ && h.stash.empty();
  return op.kind == OpKind::kWrite && op.wlen <= kLockedWriteMax;
}

bool LoopEngine::ProbeWouldFail(const Op& op) {
  PollWatch* w = op.handle->poll_watch;  // none until the socket's first wait
  if (w == nullptr) return false;
  if (op.kind != OpKind::kRead) {
    w->wrote_since_read = true;
    return false;
  }
  // A reply cannot be back before the request went out: a read started
  // after a write, when the read before it had to wait too, is one of a
  // request/response exchange (ping-pong) whose probe finds EAGAIN. A read
  // after a read (a length prefix, then its body) probes: its data often
  // came with the one before.
  bool would_fail = w->read_waited && w->wrote_since_read;
  w->read_waited = false;  // Wait sets it again
  w->wrote_since_read = false;
  return would_fail;
}

bool LoopEngine::NeedsThread(const Op& op) {
  if (op.kind == OpKind::kWrite) return true;  // the send buffer is full: more calls needed
  if (op.kind == OpKind::kRead) return op.exact && (op.done > 0 || op.size > kExactOnLoopMax);
  return op.kind == OpKind::kConnect && op.connect_would_block;
}

bool LoopEngine::Start(Op* op) {
  Handle& h = *op->handle;
  if (TakeFromStash(op)) return true;
  int fd = h.Acquire();
  if (fd < 0) {
    op->Fail(OpStatus::kClosed, 0, "");
    return true;
  }
  // The listener is non-blocking here (PrepareListener), so accept can be
  // tried at once on every OS. A read skips its attempt under the test hook
  // (SkipReadAttempt).
  bool finished = op->kind == OpKind::kAccept                       ? TryAcceptNow(*op, fd)
                  : op->kind == OpKind::kRead && skip_read_attempt_ ? false
                                                                    : TryNow(*op, h, fd);
  op->decided_ns = MonoNowNs();
  h.Release();
  return finished || AfterAttempt(op);
}

bool LoopEngine::AfterAttempt(Op* op) {
  if (!NeedsThread(*op)) return Wait(op);
  if (op->kind == OpKind::kWrite && !DetachWriteData(*op)) return true;
  int err = runner_->Run(op);
  if (err == 0) return false;
  Fail(op, err, "pthread_create");
  return true;
}

void LoopEngine::Fail(Op* op, int err, const char* call) {
  if (op->data.borrowed()) op->data.Clear();
  op->Fail(OpStatus::kError, err, call);
}

// Returns true when op could not be made to wait (it failed: outcome in op).
bool LoopEngine::Wait(Op* op) {
  Handle& h = *op->handle;
  if (op->data.borrowed()) op->data.Clear();
  int err = 0;
  PollWatch* w = WatchOf(op->handle);
  if (w == nullptr) {
    std::lock_guard<std::mutex> lock(h.mu);
    if (h.closing()) {
      op->Fail(OpStatus::kClosed, 0, "");
    } else {
      op->Fail(OpStatus::kError, EBADF, "uv_poll_init");
    }
    return true;
  }
  int dir = static_cast<int>(DirectionOf(op->kind));
  std::shared_ptr<Waiter>& waiter = w->waiter[dir];
  if (!waiter) {
    // The direction's first wait: its Waiter serves every later one.
    waiter = std::make_shared<Waiter>();
    waiter->handle = op->handle;
  }
  int64_t deadline;
  {
    std::lock_guard<std::mutex> lock(h.mu);
    op->state = OpState::kWaiting;
    waiter->op.store(op);
    deadline = EffectiveDeadline(*op);
  }
  if (deadline != 0) err = deadline_.Add(waiter, deadline);
  if (err != 0) {
    std::lock_guard<std::mutex> lock(h.mu);
    waiter->op.store(nullptr);
    op->state = OpState::kRunning;
    op->Fail(OpStatus::kError, err, "pthread_create");
    return true;
  }
  w->past_deadline[dir] = false;
  if (op->kind == OpKind::kRead) w->read_waited = true;
  w->Rearm();
  return false;
}

PollWatch* LoopEngine::WatchOf(const std::shared_ptr<Handle>& handle) {
  Handle& h = *handle;
  if (h.poll_watch != nullptr) return h.poll_watch;
  PollWatch* w = PollWatch::Open(loop_, handle, &LoopEngine::OnPoll, this, &closing_);
  if (w == nullptr) return nullptr;
  w->SetUnref(h.unref);  // SetRef(false) may have come before the watcher
  h.poll_watch = w;
  open_.PushFront(w);
  return w;
}

void LoopEngine::OnPoll(void* self, PollWatch* w, int status, int events) {
  static_cast<LoopEngine*>(self)->OnReady(w, status, events);
}

void LoopEngine::OnReady(PollWatch* w, int status, int events) {
  // On an error event (POLLERR) libuv has stopped the watcher itself before
  // calling back (status UV_EBADF): it is no longer armed, so the Rearm
  // below must start it again for the ops that still wait, or a later op
  // with no deadline would wait forever.
  if (status < 0) w->LostArm();
  for (int dir = 0; dir < 2 && !w->closing(); ++dir) {
    // Not touched after FinishHere, whose callbacks may close the socket
    // (Close retires the waiter) or store a new op into it.
    Waiter* waiter = w->waiter[dir].get();
    if (waiter == nullptr) continue;
    int want = dir == 0 ? UV_READABLE : UV_WRITABLE;
    if (status == 0 && (events & (want | UV_DISCONNECT)) == 0) continue;
    Op* op = nullptr;
    switch (ClaimReady(*waiter, &op)) {
      case ReadyClaim::kGone:
      case ReadyClaim::kNotReady: continue;
      case ReadyClaim::kPastDeadline:
        w->past_deadline[dir] = true;  // the deadline thread decides it
        continue;
      case ReadyClaim::kContinue:
        // The waiter's heap entry, if any, stays: the next op of this
        // direction uses it (DeadlineThread::Add), or it is dropped at its
        // time.
        if (int err = runner_->Run(op)) {
          Fail(op, err, "pthread_create");
          FinishHere(op, true);
        }
        continue;
      case ReadyClaim::kFinished: FinishHere(op, true); continue;
    }
  }
  // The callbacks FinishHere ran may have closed the socket: uv_close is
  // under way, and libuv forbids touching the watcher now.
  if (w->closing()) return;
  if (w->idle()) {
    w->Stop();  // fired with nothing waiting: level-triggered, it would spin
    return;
  }
  w->Rearm();
}

void LoopEngine::FinishHere(Op* op, bool deliver_now) {
  Handle& h = *op->handle;
  while (op != nullptr) {
    HoldBeforeHandoffForTest(op);
    Op* next;
    {
      std::lock_guard<std::mutex> lock(h.mu);
      next = FinishAndNextLocked(op);
    }
    if (deliver_now) {
      settle_now_(owner_, op);  // copies the bytes out before anything else runs
    } else {
      // Delivered later: a read finished on the fast path may hold its bytes
      // in this thread's scratch, which the next fast-path read reuses.
      KeepReadBytes(*op);
      sink_->Complete(op);
    }
    op = next != nullptr && Start(next) ? next : nullptr;
  }
}

CancelResult LoopEngine::Cancel(Op* op) {
  Handle& h = *op->handle;
  std::unique_lock<std::mutex> lock(h.mu);
  switch (op->state) {
    case OpState::kQueued: {
      RemoveQueuedLocked(op);
      lock.unlock();
      sink_->Complete(op);
      return CancelResult::kRemoved;
    }
    case OpState::kWaiting: {
      int dir = static_cast<int>(DirectionOf(op->kind));
      PollWatch* w = h.poll_watch;
      if (w == nullptr || !w->waiter[dir] || w->waiter[dir]->op.load() != op) {
        // Not reachable (a waiting op is always its watcher's); should it
        // happen, leave the op to whoever holds it.
        op->abandoned = true;
        return CancelResult::kAbandoned;
      }
      w->waiter[dir]->op.store(nullptr);  // its heap entry stays for the next op
      // Nothing was taken from the kernel for it, but it was started (a
      // connect is under way): the caller treats it as abandoned in flight
      // (an aborted connect closes its socket), and its outcome, delivered
      // through the sink, is ignored.
      op->abandoned = true;
      op->Fail(OpStatus::kCancelled, 0, "");
      lock.unlock();
      FinishHere(op, false);
      w->Rearm();
      return CancelResult::kAbandoned;
    }
    default: return CancelStartedLocked(op);
  }
}

bool LoopEngine::Close(Handle& h) {
  std::vector<Op*> unstarted;
  PollWatch* w = h.poll_watch;
  h.BeginClose(&unstarted, w != nullptr);
  for (Op* op : unstarted) sink_->Complete(op);
  if (w == nullptr) {
    std::lock_guard<std::mutex> lock(h.mu);
    return h.fd_closed();
  }
  h.poll_watch = nullptr;
  open_.Remove(w);
  for (auto& waiter : w->waiter) {
    if (!waiter) continue;
    Op* op;
    {
      std::lock_guard<std::mutex> lock(h.mu);
      op = waiter->op.exchange(nullptr);
      if (op != nullptr) {
        op->Fail(OpStatus::kClosed, 0, "");
        FinishAndNextLocked(op);  // the queue was emptied by BeginClose
      }
    }
    // Never given an op again: its heap entry, if any, must not keep the
    // Handle alive until the entry's time.
    deadline_.Retire(*waiter);
    waiter.reset();
    if (op != nullptr) sink_->Complete(op);
  }
  w->Close();
  return false;
}

bool LoopEngine::Retime(Handle& h, Direction dir, int64_t deadline_ns) {
  std::shared_ptr<Waiter> waiter;
  PollWatch* w = h.poll_watch;
  if (w != nullptr) waiter = w->waiter[static_cast<int>(dir)];
  int64_t effective = 0;  // the waiting op's, after the move
  {
    // The store, the queued ops' new verdict times, and the wake-up of an
    // op handed to an owned thread (a big write or exact read).
    std::lock_guard<std::mutex> lock(h.mu);
    if (h.closing()) return false;
    RetimeLaneLocked(h, dir, deadline_ns, deadline_);
    Op* op = waiter ? waiter->op.load() : nullptr;
    if (op != nullptr) effective = EffectiveDeadline(*op);
  }
  // Earlier: a new entry decides it then. Later: the old entry finds the
  // deadline moved and looks again at the new one (Add adds nothing).
  if (effective != 0) deadline_.Add(waiter, effective);
  if (w != nullptr) {
    w->past_deadline[static_cast<int>(dir)] = false;
    w->Rearm();
  }
  return true;
}

void LoopEngine::SetRef(Handle& h, bool ref) {
  h.unref = !ref;
  if (h.poll_watch != nullptr) h.poll_watch->SetUnref(!ref);
}

void LoopEngine::HandOff(Op* next) {
  std::lock_guard<std::mutex> lock(handoff_mu_);
  handed_off_.push_back(next);
  any_handed_off_.store(true, std::memory_order_release);
}

std::vector<Op*> LoopEngine::TakeHandedOff() {
  std::vector<Op*> ops;
  std::lock_guard<std::mutex> lock(handoff_mu_);
  ops.swap(handed_off_);
  any_handed_off_.store(false, std::memory_order_relaxed);
  return ops;
}

void LoopEngine::StartHandedOff() {
  for (Op* op : TakeHandedOff()) {
    bool finished;
    {
      // Aborted while it waited for this thread (Cancel, on this thread,
      // marked it abandoned): it never starts, and takes no byte.
      std::lock_guard<std::mutex> lock(op->handle->mu);
      finished = op->abandoned;
    }
    if (finished) {
      op->Fail(OpStatus::kCancelled, 0, "");
    } else {
      finished = Start(op);
    }
    if (finished) FinishHere(op, false);
  }
}

void LoopEngine::Delivered(Op* op) {
  if (any_handed_off_.load(std::memory_order_acquire)) StartHandedOff();
  PollWatch* w = op->handle->poll_watch;
  if (w != nullptr) w->Rearm();
}

void LoopEngine::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  deadline_.Stop();
  // Each Close takes its watcher off the list (bounded by its length).
  while (PollWatch* w = open_.front()) Close(w->handle());
  // Handed over by the deadline thread (stopped now) and not started yet:
  // closed like the rest of their socket's ops.
  for (Op* op : TakeHandedOff()) {
    Close(*op->handle);
    op->Fail(OpStatus::kClosed, 0, "");
    FinishHere(op, false);  // the socket is closing: nothing behind it starts
  }
  // The env is going away: give libuv the turns it needs to run the close
  // callbacks (which close the fds), without waiting for anything else.
  for (int i = 0; i < 100 && closing_ > 0; ++i) uv_run(loop_, UV_RUN_NOWAIT);
}

}  // namespace kts
