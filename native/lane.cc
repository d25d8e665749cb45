// The lane and stash rules both engines share (lane.h).
#include "lane.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "claim.h"
#include "clock.h"
#include "io.h"
#include "queue_watch.h"
#include "wake.h"

namespace kts {

Lane& LaneOf(Op* op) {
  Handle& h = *op->handle;
  switch (op->kind) {
    case OpKind::kRead:
    case OpKind::kAccept: return h.read_lane;
    default: return h.write_lane;
  }
}

SubmitResult AdmitLocked(Op* op) {
  Handle& h = *op->handle;
  Lane& lane = LaneOf(op);
  if (h.closing()) {
    op->Fail(OpStatus::kClosed, 0, "");
    op->state = OpState::kFinished;
    return SubmitResult::kFinished;
  }
  if (lane.head != nullptr) {
    if (op->kind == OpKind::kWrite && !DetachWriteData(*op)) {
      op->state = OpState::kFinished;
      return SubmitResult::kFinished;
    }
    op->state = OpState::kQueued;
    lane.queue.push_back(op);
    return SubmitResult::kQueued;
  }
  lane.head = op;
  op->state = OpState::kRunning;
  return SubmitResult::kRunning;
}

void RemoveQueuedLocked(Op* op) {
  Lane& lane = LaneOf(op);
  for (auto it = lane.queue.begin(); it != lane.queue.end(); ++it) {
    if (*it == op) {
      lane.queue.erase(it);
      break;
    }
  }
  UnwatchQueuedLocked(op);
  op->state = OpState::kFinished;
  op->Fail(OpStatus::kCancelled, 0, "");
}

CancelResult CancelStartedLocked(Op* op) {
  if (op->state != OpState::kRunning) return CancelResult::kTooLate;
  op->abandoned = true;
  Direction dir = DirectionOf(op->kind);
  if (dir == Direction::kRead) {
    // A runner that has not read the generation yet sees cut_short in
    // Remaining; one between its generation check and the call, or in it,
    // is reached by WakeRunnerLocked.
    op->cut_short.store(true);
    op->handle->deadline_gen[static_cast<int>(dir)].fetch_add(1);
    WakeRunnerLocked(*op->handle, dir, 0);
  }
  return CancelResult::kAbandoned;
}

void WakeRunnerLocked(Handle& h, Direction dir, int64_t left_ns) {
  Lane& lane = h.lane(dir);
  // No runner: an op waiting on the loop or queued is its deadline
  // thread's to decide, and reads its deadline again when it starts.
  if (lane.running == nullptr) return;
  // The runner holds a reference (Acquire) until it clears lane.running
  // under mu, which we hold: the fd is open and the thread alive.
  timeval tv = TimevalFromUs(TimeoUs(left_ns));
  // A failure (EBADF after a macOS close's dup2, say) leaves the signal to
  // do the work: the woken thread sets the timeout itself.
  setsockopt(h.fd_held(), SOL_SOCKET, dir == Direction::kRead ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, sizeof tv);
  wake::Thread(lane.runner);
}

void RetimeLaneLocked(Handle& h, Direction dir, int64_t deadline_ns, DeadlineThread& dt) {
  int d = static_cast<int>(dir);
  h.deadline_ns[d].store(deadline_ns);
  h.deadline_gen[d].fetch_add(1);
  WatchQueueLocked(h, dir, dt);
  Op* op = h.lane(dir).running;
  if (op == nullptr) return;
  int64_t deadline = EarlierDeadline(op->deadline_ns, deadline_ns);
  int64_t left = deadline == 0 ? -1 : std::max<int64_t>(deadline - MonoNowNs(), 0);
  if (op->cut_short.load()) left = 0;
  WakeRunnerLocked(h, dir, left);
}

// Reads and accepts first take what an abandoned op left behind. Returns
// true when that alone finished op.
bool TakeFromStash(Op* op) {
  Handle& h = *op->handle;
  std::lock_guard<std::mutex> lock(h.mu);
  if (op->kind == OpKind::kRead && !h.stash.empty()) {
    size_t n = std::min(op->size - op->done, h.stash.size());
    if (op->data.size() < op->done + n && !op->data.resize(op->done + n)) {
      op->Fail(OpStatus::kError, ENOMEM, "recv");  // the stash stays for the next read
      return true;
    }
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
    op->address->ss = c.peer;
    op->address->len = c.peer_len;
    op->status = OpStatus::kOk;
    return true;
  }
  return false;
}

// Settles op's coordination state and hands the lane to the next queued op.
Op* FinishAndNextLocked(Op* op) {
  Handle& h = *op->handle;
  Lane& lane = LaneOf(op);
  op->state = OpState::kFinished;
  bool read_bytes = op->kind == OpKind::kRead && op->done > 0;
  // Bytes the caller will not receive go back in front of the stream: an
  // abandoned read's, and a partial frame of an exact read that timed out
  // or ran out of memory to grow into.
  bool partial = op->exact &&
                 (op->status == OpStatus::kTimeout || (op->status == OpStatus::kError && op->err == ENOMEM));
  if (read_bytes && (op->abandoned || partial)) {
    try {
      h.stash.insert(h.stash.begin(), op->data.begin(), op->data.begin() + static_cast<ptrdiff_t>(op->done));
    } catch (const std::bad_alloc&) {
      // Nowhere to keep them: an error the caller sees (a lost partial
      // frame) rather than a crash.
      op->Fail(OpStatus::kError, ENOMEM, "recv");
    }
    // op->done still says how many, for the error; the bytes are not sent.
  }
  if (op->abandoned && op->accepted_fd >= 0 && !h.closing()) {
    h.stashed_connections.push_front({op->accepted_fd, op->address->ss, op->address->len});
    op->accepted_fd = -1;
  }
  // Every op still pending when close() began reports "closed", whatever
  // errno the wake-up gave it (docs/kernel-facts.md, "Waking a blocked call": report from the flag).
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
    lane.head = nullptr;
    return nullptr;
  }
  Op* next = lane.queue.front();
  lane.queue.pop_front();
  UnwatchQueuedLocked(next);
  next->state = OpState::kRunning;
  lane.head = next;
  return next;
}

}  // namespace kts
