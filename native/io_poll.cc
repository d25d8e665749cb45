// Timer mode kPoll (io_steps.h): the wait is poll(2)/ppoll(2) on a
// high-resolution timer; the call itself does not wait.
#include "io_steps.h"

#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "clock.h"
#include "handle.h"
#include "platform.h"
#include "scratch.h"
#include "wake.h"

namespace kts {

// Timer mode kPoll: wait in poll(2)/ppoll(2) for the time left (a
// high-resolution timer, still armed inside the kernel), then make the call
// without waiting. Same outcomes as the blocking path: an expired deadline
// before any syscall is a timeout without one; an expiry is decided by the
// kernel and reported as EAGAIN from the call that would have blocked;
// close wakes the wait (shutdown(2) on Linux, dup2(2) on macOS), and the
// next call then fails or sees end of stream, which FinishAndNext reports as
// closed. SO_RCVTIMEO/SO_SNDTIMEO are still set to the time left, so a call
// that does block (Linux's blocking accept) never outlives the deadline.

// Waits until fd is ready for `events` or op's deadline passes. Returns 1
// when ready (or in an error state the next call reports), 0 once the
// deadline has passed, -1 when poll failed (op failed).
// Linux lets a poll timer fire up to 0.1 % of its timeout late (its slack,
// at least the thread's 50 us timer slack; 0.5 % for a niced process), so a
// 1 s wait ends ~1 ms late. Long waits therefore aim 1 % early and the loop
// waits out the rest with a short timeout, whose slack is ~50 us: one more
// wake-up per factor of 100, and on time.
constexpr int64_t kShortWaitNs = 50 * 1000 * 1000;

namespace {

int WaitPrecise(Op& op, int fd, short events) {
  wake::WaitScope scope;  // a Retime's signal ends the wait
  for (;;) {
    int64_t left = Remaining(op);
    if (left == 0) return 0;
    int64_t wait = wake::Slice(left > kShortWaitNs ? left - left / 100 : left);
    pollfd p{fd, events, 0};
    int r = scope.Poll(&p, wait);
    if (r > 0) {
      if ((p.revents & POLLNVAL) == 0) return 1;
      op.Fail(OpStatus::kError, EBADF, "poll");
      return -1;
    }
    if (r < 0 && errno != EINTR) {
      op.Fail(OpStatus::kError, errno, "poll");
      return -1;
    }
    // Timed out or interrupted: the loop recomputes the time left.
  }
}

// Read or write in timer mode kPoll: `step` makes one non-blocking call and
// returns true when the op is finished, setting *would_block when the call
// would have waited.
template <typename Step>
void Polled(Op& op, Handle& h, int fd, short events, const char* call, Step step) {
  int64_t left = Remaining(op);
  if (left == 0) return TimedOut(op, 0, call);
  bool failed = false;
  ArmTimeo(op, h, fd, DeadlineGen(op, h), left, &failed);  // the backstop: a retime may leave it stale
  if (failed) return;
  bool expired = false;
  for (;;) {
    bool would_block = false;
    if (step(&would_block)) return;
    if (!would_block) continue;  // EINTR, a partial send, part of an exact read
    // One last non-blocking call after the wait expired: what came
    // meanwhile is taken, as a blocking call would have.
    if (expired) return TimedOut(op, EAGAIN, call);
    int ready = WaitPrecise(op, fd, events);
    if (ready < 0) return;
    expired = ready == 0;
  }
}

}  // namespace

void PolledRead(Op& op, Handle& h, int fd) {
  PrepareReadBuffer(op, ThreadScratch(), fd);
  KeepOwnBytes keep{op};
  if (BusyPollRead(op, fd)) return;
  Polled(op, h, fd, POLLIN, "recv",
         [&](bool* would_block) { return ReadStep(op, fd, MSG_DONTWAIT, would_block); });
}

void PolledWrite(Op& op, Handle& h, int fd) {
  size_t off = 0;
  Polled(op, h, fd, POLLOUT, "send", [&](bool* would_block) {
    return WriteStep(op, fd, MSG_DONTWAIT, op.data.data(), op.data.size(), &off, would_block);
  });
}

// A listener that is readable has a connection queued: accept takes it at
// once (blocking listener on Linux, with the backstop; non-blocking
// elsewhere). The expiry is poll's verdict, so syscall says "poll".
void PolledAccept(Op& op, Handle& h, int fd) {
  int64_t left = Remaining(op);
  if (left == 0) return TimedOut(op, 0, "accept");
  for (;;) {
    int ready = WaitPrecise(op, fd, POLLIN);
    if (ready < 0) return;
    if (ready == 0) return TimedOut(op, EAGAIN, "poll");
    if (platform::AcceptHonoursRcvTimeout()) {
      left = Remaining(op);
      if (left == 0) return TimedOut(op, EAGAIN, "poll");
      bool failed = false;
      ArmTimeo(op, h, fd, DeadlineGen(op, h), left, &failed);  // backstop, as in Polled
      if (failed) return;
    }
    bool would_block = false;
    op.status = OpStatus::kOk;
    AcceptOne(op, fd, &would_block);
    if (Finished(op)) return;
    // Taken by someone else, aborted by the peer, or interrupted: wait again,
    // unless close began: a shut-down Unix listener that does not block
    // (the loop engine's) answers accept with EAGAIN, not EINVAL, and polls
    // ready for good, so this loop would spin.
    {
      std::lock_guard<std::mutex> lock(h.mu);
      if (h.closing()) return op.Fail(OpStatus::kClosed, 0, "accept");
    }
  }
}

void PolledConnect(Op& op, int fd) {
  int ready = WaitPrecise(op, fd, POLLOUT);
  if (ready < 0) return;
  if (ready == 0) return TimedOut(op, EINPROGRESS, "connect");
  ConnectResult(op, fd);
}

}  // namespace kts
