// The poll wait and the sliced Unix connect of waits.h.
#include "waits.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "io_steps.h"
#include "platform.h"
#include "wake.h"

namespace kts {

namespace {

// Linux lets a poll timer fire up to 0.1 % of its timeout late (its slack,
// at least the thread's 50 us timer slack; 0.5 % for a niced process), so a
// 1 s wait ends ~1 ms late. Long waits therefore aim 1 % early and the loop
// waits out the rest with a short timeout, whose slack is ~50 us: one more
// wake-up per factor of 100, and on time.
constexpr int64_t kShortWaitNs = 50 * 1000 * 1000;

// How long one slice of ConnectInSlices may block.
constexpr int64_t kSliceNs = 50 * 1000 * 1000;

}  // namespace

int WaitReady(Op& op, int fd, short events) {
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
    // Timed out (poll's timeout may be whole milliseconds) or interrupted:
    // the loop recomputes the time left.
  }
}

// shutdown(2) does not wake a connect blocked on a full Unix backlog
// (measured, Linux 6.x), so close could not end it: hence the slices.
void ConnectInSlices(Op& op, Handle& h, int fd) {
  if (platform::SetNonBlocking(fd, false) < 0) return op.Fail(OpStatus::kError, errno, "fcntl");
  int last = 0;  // errno of the last slice (0: the deadline had passed before any)
  for (;;) {
    int64_t left = Remaining(op);
    if (left == 0) return TimedOut(op, last, "connect");
    {
      std::lock_guard<std::mutex> lock(h.mu);
      if (h.closing()) return op.Fail(OpStatus::kClosed, 0, "connect");
    }
    int64_t slice = left < 0 || left > kSliceNs ? kSliceNs : left;
    bool failed = false;
    ArmTimeo(op, h, fd, DeadlineGen(op, h), slice, &failed);  // a stale slice ends within 50 ms
    if (failed) return;
    if (connect(fd, reinterpret_cast<const sockaddr*>(&op.address->ss), op.address->len) == 0) {
      op.status = OpStatus::kOk;
      return;
    }
    last = errno;
    if (last == EINTR || IsWouldBlock(last) || last == EINPROGRESS) continue;
    return op.Fail(OpStatus::kError, last, "connect");
  }
}

}  // namespace kts
