#include "engine.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "clock.h"
#include "io.h"
#include "wake.h"

namespace kts {

Engine::Engine(CompletionSink* sink, size_t stack_bytes, int idle_ms, int spin_us)
    : sink_(sink), registry_(std::make_shared<HandleRegistry>()), pool_(stack_bytes, idle_ms, spin_us) {}

Engine::~Engine() { Shutdown(); }

Lane& Engine::LaneOf(Op* op) {
  Handle& h = *op->handle;
  switch (op->kind) {
    case OpKind::kRead:
    case OpKind::kAccept:
      return h.read_lane;
    default:
      return h.write_lane;
  }
}

bool Engine::Submit(Op* op) {
  Handle& h = *op->handle;
  Lane& lane = LaneOf(op);
  {
    std::lock_guard<std::mutex> lock(h.mu);
    if (h.closing()) {
      op->Fail(OpStatus::kClosed, 0, "");
      op->state = OpState::kFinished;
      return true;
    }
    if (lane.busy) {
      // It will run on a thread after this tick: it must not keep pointing
      // at the caller's memory.
      if (op->kind == OpKind::kWrite) DetachWriteData(*op);
      op->state = OpState::kQueued;
      lane.queue.push_back(op);
      return false;
    }
    lane.busy = true;
  }
  // This thread holds the lane: nothing else can queue behind it until we
  // return, because only this thread submits.
  bool finished = ServeFromStash(op);
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
    return true;
  }
  {
    std::lock_guard<std::mutex> lock(h.mu);
    op->state = OpState::kRunning;
  }
  int err = pool_.Submit([this, op] { RunLane(op); });
  if (err != 0) {
    // No thread could be started (EAGAIN from pthread_create): the op fails
    // here, and so does anything queued behind it meanwhile (none can be).
    op->Fail(OpStatus::kError, err, "pthread_create");
    std::lock_guard<std::mutex> lock(h.mu);
    lane.busy = false;
    op->state = OpState::kFinished;
    return true;
  }
  return false;
}

// Reads and accepts first take what an abandoned op left behind. Returns
// true when that alone finished op.
bool Engine::ServeFromStash(Op* op) {
  Handle& h = *op->handle;
  std::lock_guard<std::mutex> lock(h.mu);
  if (op->kind == OpKind::kRead && !h.stash.empty()) {
    if (op->data.size() != op->size) op->data.resize(op->size);
    size_t n = std::min(op->size - op->done, h.stash.size());
    std::memcpy(op->data.data() + op->done, h.stash.data(), n);
    h.stash.erase(h.stash.begin(), h.stash.begin() + static_cast<ptrdiff_t>(n));
    op->done += n;
    if (!op->exact || op->done == op->size) {
      op->status = OpStatus::kOk;
      return true;
    }
  }
  if (op->kind == OpKind::kAccept && !h.stashed_connections.empty()) {
    StashedConnection c = h.stashed_connections.front();
    h.stashed_connections.pop_front();
    op->accepted_fd = c.fd;
    op->peer = c.peer;
    op->peer_len = c.peer_len;
    op->status = OpStatus::kOk;
    return true;
  }
  return false;
}

void Engine::Execute(Op* op) {
  if (ServeFromStash(op)) return;
  Handle& h = *op->handle;
  int fd = h.Acquire();
  if (fd < 0) return op->Fail(OpStatus::kClosed, 0, "");
  SetRunner(op, true);
  RunBlocking(*op, h, fd);
  SetRunner(op, false);
  op->decided_ns = MonoNowNs();
  h.Release();
}

// Records (or clears) this thread as the one running op, for Retime's
// wake-up. Set after Acquire and cleared before Release.
void Engine::SetRunner(Op* op, bool running) {
  Lane& lane = LaneOf(op);
  std::lock_guard<std::mutex> lock(op->handle->mu);
  lane.running = running ? op : nullptr;
  if (running) lane.runner = pthread_self();
}

bool Engine::Retime(Handle& h, Direction dir, int64_t deadline_ns) {
  int d = static_cast<int>(dir);
  std::lock_guard<std::mutex> lock(h.mu);
  if (h.closing()) return false;
  h.deadline_ns[d].store(deadline_ns);
  h.deadline_gen[d].fetch_add(1);
  Lane& lane = dir == Direction::kRead ? h.read_lane : h.write_lane;
  Op* op = lane.running;
  if (op == nullptr) return true;  // queued ops read the new deadline when they start
  // The runner holds a reference (Acquire) until it clears lane.running
  // under mu, which we hold: the fd is open and the thread alive. First the
  // kernel timeout for any call it enters from now on, then the signal for
  // a call already blocked (wake.h explains the order).
  int64_t deadline = EarlierDeadline(op->deadline_ns, deadline_ns);
  int64_t left = deadline == 0 ? -1 : std::max<int64_t>(deadline - MonoNowNs(), 0);
  timeval tv = TimevalFromUs(TimeoUs(left));
  // A failure (EBADF after a macOS close's dup2, say) leaves the signal to
  // do the work: the woken thread sets the timeout itself.
  setsockopt(h.fd_held(), SOL_SOCKET, dir == Direction::kRead ? SO_RCVTIMEO : SO_SNDTIMEO, &tv,
             sizeof tv);
  wake::Thread(lane.runner);
  return true;
}

void Engine::RunLane(Op* op) {
  while (op != nullptr) {
    Execute(op);
    Op* next = FinishAndNext(op);
    sink_->Complete(op);
    op = next;
  }
}

// Settles op's coordination state and hands the lane to the next queued op.
Op* Engine::FinishAndNext(Op* op) {
  Handle& h = *op->handle;
  Lane& lane = LaneOf(op);
  std::lock_guard<std::mutex> lock(h.mu);
  op->state = OpState::kFinished;
  bool read_bytes = op->kind == OpKind::kRead && op->done > 0;
  // Bytes the caller will not receive go back in front of the stream: an
  // abandoned read's, and a timed-out exact read's partial frame.
  if (read_bytes && (op->abandoned || (op->exact && op->status == OpStatus::kTimeout))) {
    h.stash.insert(h.stash.begin(), op->data.begin(),
                   op->data.begin() + static_cast<ptrdiff_t>(op->done));
    // op->done still says how many, for the error; the bytes are not sent.
  }
  if (op->abandoned && op->accepted_fd >= 0 && !h.closing()) {
    h.stashed_connections.push_front({op->accepted_fd, op->peer, op->peer_len});
    op->accepted_fd = -1;
  }
  // Every op still pending when close() began reports "closed", whatever
  // errno the wake-up gave it (docs/kernel-facts.md, "Waking a blocked call").
  if (h.closing()) {
    if (op->accepted_fd >= 0) {
      // Accepted as close began: nobody can take it, so its peer must see
      // the close now, not when the handle is garbage collected.
      close(op->accepted_fd);
      op->accepted_fd = -1;
    }
    op->Fail(OpStatus::kClosed, 0, op->syscall);
  }
  if (lane.queue.empty()) {
    lane.busy = false;
    return nullptr;
  }
  Op* next = lane.queue.front();
  lane.queue.pop_front();
  next->state = OpState::kRunning;
  return next;
}

CancelResult Engine::Cancel(Op* op, bool only_queued) {
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

bool Engine::Close(Handle& h) {
  std::vector<Op*> unstarted;
  h.BeginClose(&unstarted);
  for (Op* op : unstarted) sink_->Complete(op);
  std::lock_guard<std::mutex> lock(h.mu);
  return h.fd_closed();
}

void Engine::Shutdown() {
  std::vector<Op*> unstarted;
  registry_->ForEach([&](Handle* h) { h->BeginClose(&unstarted); });
  for (Op* op : unstarted) sink_->Complete(op);
  pool_.Shutdown();
}

}  // namespace kts

namespace kts {

bool Engine::IsQueued(Op* op) {
  std::lock_guard<std::mutex> lock(op->handle->mu);
  return op->state == OpState::kQueued;
}

}  // namespace kts
