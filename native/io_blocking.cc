// The blocking path of io.h: the time left goes into SO_RCVTIMEO/SO_SNDTIMEO
// (or poll(2) where the call ignores them), and RunBlocking, which picks
// this path or io_poll.cc's by the op's timer mode.
#include "io.h"
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

namespace {

// A read or write on the blocking path: `step(flags, &would_block)` makes
// one call and returns true when the op is finished. Each call carries the
// time left into the kernel (SO_RCVTIMEO/SO_SNDTIMEO); `call` names it in a
// timeout.
template <typename Step>
void Blocking(Op& op, Handle& h, int fd, const char* call, Step step) {
  for (;;) {
    uint64_t gen = DeadlineGen(op, h);
    int64_t left = Remaining(op);
    if (left == 0) {
      // The deadline passed before this thread could ask the kernel (it was
      // scheduled late, a call was interrupted, or the deadline was moved
      // into the past): bytes (or room) the kernel has now are still the
      // caller's, so look once without waiting (bench race). Never a zero
      // SO_*TIMEO: that would mean "forever".
      bool would_block = false;
      while (!would_block)
        if (step(MSG_DONTWAIT, &would_block)) return;
      return TimedOut(op, EAGAIN, call);
    }
    bool failed = false;
    if (!ArmTimeo(op, h, fd, gen, wake::Slice(left), &failed)) {
      if (failed) return;
      continue;  // retimed meanwhile: recompute
    }
    bool would_block = false;
    if (step(0, &would_block)) return;
    // EAGAIN at a deadline that has since moved later: wait the rest.
    if (would_block && Remaining(op) == 0) return TimedOut(op, EAGAIN, call);
  }
}

void BlockingRead(Op& op, Handle& h, int fd) {
  PrepareReadBuffer(op, ThreadScratch(), fd);
  KeepOwnBytes keep{op};
  if (BusyPollRead(op, fd)) return;
  Blocking(op, h, fd, "recv",
           [&](int flags, bool* would_block) { return ReadStep(op, fd, flags, would_block); });
}

void BlockingWrite(Op& op, Handle& h, int fd) {
  size_t off = 0;
  Blocking(op, h, fd, "send", [&](int flags, bool* would_block) {
    return WriteStep(op, fd, flags, op.data.data(), op.data.size(), &off, would_block);
  });
}

// Waits for fd to be ready for `events` within op's time; returns true when
// it is (or poll reports an error condition the next call will surface).
bool PollReady(Op& op, int fd, short events, const char* call) {
  wake::WaitScope scope;  // a Retime's signal ends the wait
  for (;;) {
    int64_t left = Remaining(op);
    if (left == 0) {
      // Late thread, as in BlockingRead: one look without waiting first.
      pollfd now{fd, events, 0};
      if (poll(&now, 1, 0) > 0) return true;
      TimedOut(op, EAGAIN, call);
      return false;
    }
    pollfd p{fd, events, 0};
    int r = scope.Poll(&p, wake::Slice(left));
    if (r > 0) return true;
    if (r == 0) {
      // poll's timeout may be whole milliseconds, rounded up: loop re-checks.
      continue;
    }
    if (errno != EINTR) {
      op.Fail(OpStatus::kError, errno, "poll");
      return false;
    }
  }
}

void BlockingAccept(Op& op, Handle& h, int fd) {
  for (;;) {
    bool would_block = false;
    if (platform::AcceptHonoursRcvTimeout()) {
      uint64_t gen = DeadlineGen(op, h);
      int64_t left = Remaining(op);
      if (left == 0) {
        // Late thread, as in BlockingRead: a connection queued in time is
        // taken (poll first: this listener blocks, and must not here).
        pollfd now{fd, POLLIN, 0};
        if (poll(&now, 1, 0) <= 0) return TimedOut(op, EAGAIN, "accept");
        op.status = OpStatus::kOk;
        AcceptOne(op, fd, &would_block);
        if (Finished(op)) return;
        return TimedOut(op, EAGAIN, "accept");
      }
      bool failed = false;
      if (!ArmTimeo(op, h, fd, gen, wake::Slice(left), &failed)) {
        if (failed) return;
        continue;  // retimed meanwhile: recompute
      }
      op.status = OpStatus::kOk;
      AcceptOne(op, fd, &would_block);
      if (Finished(op)) return;
      // EAGAIN at a deadline that has since moved later: wait the rest.
      if (would_block && Remaining(op) == 0) return TimedOut(op, EAGAIN, "accept");
    } else {
      if (!PollReady(op, fd, POLLIN, "accept")) return;
      op.status = OpStatus::kOk;
      AcceptOne(op, fd, &would_block);
      if (Finished(op)) return;
    }
  }
}

void BlockingConnect(Op& op, Handle& h, int fd) {
  if (op.connect_would_block) {
    // A Unix listener with a full backlog: a blocking connect waits for room
    // and honours SO_SNDTIMEO (EAGAIN when it expires). shutdown(2) does not
    // wake it (measured, Linux 6.x), so close could not end it: wait in
    // slices and look at the close flag between them.
    constexpr int64_t kSliceNs = 50 * 1000000;
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
      if (connect(fd, reinterpret_cast<const sockaddr*>(&op.addr), op.addr_len) == 0) {
        op.status = OpStatus::kOk;
        return;
      }
      last = errno;
      if (last == EINTR || IsWouldBlock(last) || last == EINPROGRESS) continue;
      return op.Fail(OpStatus::kError, last, "connect");
    }
  }
  // TCP: the handshake runs in the kernel; poll(2) waits for it with the time
  // left, inside the kernel, on Linux and macOS alike.
  if (!PollReady(op, fd, POLLOUT, "connect")) {
    if (op.status == OpStatus::kTimeout) op.err = EINPROGRESS;
    return;
  }
  ConnectResult(op, fd);
}
}  // namespace

void RunBlocking(Op& op, Handle& h, int fd) {
  op.status = OpStatus::kOk;
  bool polled = op.timer == TimerMode::kPoll;
  switch (op.kind) {
    case OpKind::kRead: return polled ? PolledRead(op, h, fd) : BlockingRead(op, h, fd);
    case OpKind::kWrite: return polled ? PolledWrite(op, h, fd) : BlockingWrite(op, h, fd);
    case OpKind::kAccept: return polled ? PolledAccept(op, h, fd) : BlockingAccept(op, h, fd);
    case OpKind::kConnect:
      // A Unix connect waiting for backlog room can only block (both modes).
      if (polled && !op.connect_would_block) return PolledConnect(op, fd);
      return BlockingConnect(op, h, fd);
    case OpKind::kEnd:
      if (shutdown(fd, SHUT_WR) < 0) op.Fail(OpStatus::kError, errno, "shutdown");
      return;
  }
}

}  // namespace kts
