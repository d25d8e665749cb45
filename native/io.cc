#include "io.h"

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

// Busy-poll state of BusyPollRead (below): one poller at a time, and the
// window (SetBusyPollMicros).
std::atomic<int> g_busy_pollers{0};
std::atomic<int64_t> g_busy_poll_ns{50 * 1000};

// issue 12: an op's deadline is the earlier of its own (per call) and its
// socket's for its direction, read afresh each time: Engine::Retime may move
// the socket's while the op is pending.
int64_t EffectiveDeadline(const Op& op) {
  Direction d = DirectionOf(op.kind);
  return EarlierDeadline(op.deadline_ns, op.handle->deadline_ns[static_cast<int>(d)].load());
}

// Time left before op's deadline, in ns: -1 for "no deadline", 0 for
// "expired" (never passed to the kernel), otherwise > 0.
int64_t Remaining(const Op& op) {
  int64_t deadline = EffectiveDeadline(op);
  if (deadline == 0) return -1;
  int64_t left = deadline - MonoNowNs();
  return left > 0 ? left : 0;
}

// Puts the remaining time into SO_RCVTIMEO/SO_SNDTIMEO, rounded up to the
// microsecond so it is never zero; *cache skips the call when unchanged.
bool SetTimeo(int fd, int opt, int64_t left_ns, int64_t* cache) {
  int64_t us = TimeoUs(left_ns);
  if (*cache == us) return true;
  timeval tv = TimevalFromUs(us);
  if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) < 0) return false;
  *cache = us;
  return true;
}

// issue 12: arms the kernel timeout of a blocking call for op's time left
// and says whether the call may go ahead: false when the socket deadline of
// op's direction changed since `gen` was read (the time left is stale: the
// caller loops). The generation check after setsockopt closes the lost
// wake-up window (wake.h). A change also voids *cache: Retime set the
// kernel's timeout itself.
bool ArmTimeo(Op& op, Handle& h, int fd, uint64_t gen, int64_t left_ns, bool* failed) {
  int d = static_cast<int>(DirectionOf(op.kind));
  int opt = d == 0 ? SO_RCVTIMEO : SO_SNDTIMEO;
  int64_t* cache = d == 0 ? &h.rcvtimeo_us : &h.sndtimeo_us;
  if (h.timeo_gen[d] != gen) {
    *cache = -1;
    h.timeo_gen[d] = gen;
  }
  *failed = !SetTimeo(fd, opt, left_ns, cache);
  if (*failed) {
    op.Fail(OpStatus::kError, errno, "setsockopt");
    return false;
  }
  return h.deadline_gen[d].load() == gen;
}

uint64_t DeadlineGen(const Op& op, const Handle& h) {
  return h.deadline_gen[static_cast<int>(DirectionOf(op.kind))].load();
}

bool IsWouldBlock(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

// Points a fresh plain read at this thread's scratch (scratch.h): a pending
// read then holds no buffer of its own. Anything else gets its own buffer.
void PrepareReadBuffer(Op& op, uint8_t* scratch) {
  if (op.data.size() == op.size) return;
  if (scratch != nullptr && !op.exact && op.done == 0 && op.size <= kScratchBytes) {
    op.data.Borrow(scratch, op.size);
    return;
  }
  op.data.resize(op.size);
}

// On every way out of a blocking read: keep what arrived, not the scratch.
struct KeepOwnBytes {
  Op& op;
  ~KeepOwnBytes() {
    if (op.data.borrowed()) op.data.Own(op.done);
  }
};

// One recv; returns true when the op is finished.
bool ReadStep(Op& op, int fd, int flags, bool* would_block) {
  ssize_t n = recv(fd, op.data.data() + op.done, op.size - op.done, flags);
  if (n > 0) {
    op.done += static_cast<size_t>(n);
    if (!op.exact || op.done == op.size) {
      op.status = OpStatus::kOk;
      return true;
    }
    return false;
  }
  if (n == 0) {
    op.Fail(OpStatus::kEof, 0, "recv");
    return true;
  }
  if (errno == EINTR) return false;
  if (IsWouldBlock(errno)) {
    *would_block = true;
    return false;
  }
  op.Fail(OpStatus::kError, errno, "recv");
  return true;
}

// One send of what is left; returns true when the op is finished.
bool WriteStep(Op& op, int fd, int flags, const uint8_t* base, size_t len,
               size_t* off, bool* would_block) {
  ssize_t n = send(fd, base + *off, len - *off, flags | platform::SendFlags());
  if (n >= 0) {
    *off += static_cast<size_t>(n);
    op.done += static_cast<size_t>(n);
    if (*off == len) {
      op.status = OpStatus::kOk;
      return true;
    }
    return false;
  }
  if (errno == EINTR) return false;
  if (IsWouldBlock(errno)) {
    *would_block = true;
    return false;
  }
  op.Fail(OpStatus::kError, errno, "send");
  return true;
}

bool ConnectResult(Op& op, int fd) {
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
    op.Fail(OpStatus::kError, errno, "getsockopt");
  } else if (soerr != 0) {
    op.Fail(OpStatus::kError, soerr, "connect");
  } else if (platform::SetNonBlocking(fd, false) < 0) {
    op.Fail(OpStatus::kError, errno, "fcntl");
  } else {
    op.status = OpStatus::kOk;
  }
  return true;
}

void AcceptOne(Op& op, int fd, bool* would_block) {
  op.peer_len = sizeof op.peer;
  int cfd = platform::AcceptSocket(fd, reinterpret_cast<sockaddr*>(&op.peer), &op.peer_len);
  if (cfd >= 0) {
    op.accepted_fd = cfd;
    op.status = OpStatus::kOk;
    return;
  }
  if (errno == EINTR || errno == ECONNABORTED) return;  // try again
  if (IsWouldBlock(errno)) {
    *would_block = true;
    return;
  }
  op.Fail(OpStatus::kError, errno, "accept");
}

bool Finished(const Op& op) {
  return op.status != OpStatus::kOk || op.accepted_fd >= 0;
}

void TimedOut(Op& op, int err, const char* call) { op.Fail(OpStatus::kTimeout, err, call); }

}  // namespace

void SetBusyPollMicros(int us) { g_busy_poll_ns.store(static_cast<int64_t>(us) * 1000); }

void DetachWriteData(Op& op) {
  if (op.wptr == nullptr) return;
  op.data.assign(op.wptr, op.wptr + op.wlen);
  op.wptr = nullptr;
  op.wlen = 0;
}

bool TryNow(Op& op, Handle& h, int fd) {
  (void)h;
  bool would_block = false;
  switch (op.kind) {
    case OpKind::kRead:
      // A result read here is copied out on this thread before the next
      // TryNow, so the scratch stays valid for it; a read that must wait
      // lets go of the scratch.
      PrepareReadBuffer(op, ThreadScratch());
      while (!would_block)
        if (ReadStep(op, fd, MSG_DONTWAIT, &would_block)) return true;
      if (op.data.borrowed()) op.data.Clear();
      return false;
    case OpKind::kWrite: {
      size_t off = 0;
      while (!would_block)
        if (WriteStep(op, fd, MSG_DONTWAIT, op.wptr, op.wlen, &off, &would_block)) return true;
      // The caller's memory is only ours during this call: keep the rest.
      op.wptr += off;
      op.wlen -= off;
      DetachWriteData(op);
      return false;
    }
    case OpKind::kEnd:
      if (shutdown(fd, SHUT_WR) < 0) op.Fail(OpStatus::kError, errno, "shutdown");
      return true;
    case OpKind::kAccept:
      // A blocking Linux listener has no "don't wait" accept: go to a thread.
      if (platform::AcceptHonoursRcvTimeout()) return false;
      for (;;) {
        op.status = OpStatus::kOk;
        AcceptOne(op, fd, &would_block);
        if (Finished(op)) return true;
        if (would_block) return false;
      }
    case OpKind::kConnect:
      if (platform::SetNonBlocking(fd, true) < 0) {
        op.Fail(OpStatus::kError, errno, "fcntl");
        return true;
      }
      if (connect(fd, reinterpret_cast<const sockaddr*>(&op.addr), op.addr_len) == 0)
        return ConnectResult(op, fd);
      if (errno == EINPROGRESS || errno == EINTR) {
        op.connect_in_progress = true;  // completes in the background
        return false;
      }
      if (IsWouldBlock(errno)) {  // Unix listener's backlog is full (Linux)
        op.connect_would_block = true;
        return false;
      }
      op.Fail(OpStatus::kError, errno, "connect");
      return true;
  }
  return true;
}

namespace {

// Before a read sleeps in the kernel, one thread at a time looks for its
// bytes for a few microseconds without waiting: a reply often arrives that
// soon, and a sleeping thread costs a wake-up (slow on an idle VM's halted
// vCPU). Each look is an atomic MSG_DONTWAIT recv and the looking stops at
// the deadline, so the kernel's verdict stays the only verdict.
bool BusyPollRead(Op& op, int fd) {
  int64_t window = g_busy_poll_ns.load(std::memory_order_relaxed);
  if (window <= 0) return false;
  if (g_busy_pollers.fetch_add(1, std::memory_order_acq_rel) != 0) {
    g_busy_pollers.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  int64_t until = MonoNowNs() + window;
  int64_t deadline = EffectiveDeadline(op);
  if (deadline != 0 && deadline < until) until = deadline;
  bool finished = false;
  while (!finished && MonoNowNs() < until) {
    bool would_block = false;
    finished = ReadStep(op, fd, MSG_DONTWAIT, &would_block);
    if (!finished && would_block) sched_yield();
  }
  g_busy_pollers.fetch_sub(1, std::memory_order_acq_rel);
  return finished;
}

void BlockingRead(Op& op, Handle& h, int fd) {
  PrepareReadBuffer(op, ThreadScratch());
  KeepOwnBytes keep{op};
  if (BusyPollRead(op, fd)) return;
  for (;;) {
    uint64_t gen = DeadlineGen(op, h);
    int64_t left = Remaining(op);
    if (left == 0) {
      // The deadline passed before this thread could ask the kernel (it was
      // scheduled late, a recv was interrupted, or the deadline was moved
      // into the past): bytes that came in time are still the caller's, so
      // look once without waiting (bench race). Never a zero SO_RCVTIMEO:
      // that would mean "forever".
      bool would_block = false;
      while (!would_block)
        if (ReadStep(op, fd, MSG_DONTWAIT, &would_block)) return;
      return TimedOut(op, EAGAIN, "recv");
    }
    bool failed = false;
    if (!ArmTimeo(op, h, fd, gen, left, &failed)) {
      if (failed) return;
      continue;  // retimed meanwhile: recompute
    }
    bool would_block = false;
    if (ReadStep(op, fd, 0, &would_block)) return;
    // EAGAIN at a deadline that has since moved later: wait the rest.
    if (would_block && Remaining(op) == 0) return TimedOut(op, EAGAIN, "recv");
  }
}

void BlockingWrite(Op& op, Handle& h, int fd) {
  size_t off = 0;
  for (;;) {
    uint64_t gen = DeadlineGen(op, h);
    int64_t left = Remaining(op);
    if (left == 0) {
      // Late thread, as in BlockingRead: take whatever room the kernel has
      // now, without waiting, before calling it a timeout.
      bool would_block = false;
      while (!would_block)
        if (WriteStep(op, fd, MSG_DONTWAIT, op.data.data(), op.data.size(), &off, &would_block)) return;
      return TimedOut(op, EAGAIN, "send");
    }
    bool failed = false;
    if (!ArmTimeo(op, h, fd, gen, left, &failed)) {
      if (failed) return;
      continue;  // retimed meanwhile: recompute
    }
    bool would_block = false;
    if (WriteStep(op, fd, 0, op.data.data(), op.data.size(), &off, &would_block)) return;
    // EAGAIN at a deadline that has since moved later: wait the rest.
    if (would_block && Remaining(op) == 0) return TimedOut(op, EAGAIN, "send");
  }
}

// Waits for fd to be ready for `events` within op's time; returns true when
// it is (or poll reports an error condition the next call will surface).
bool PollReady(Op& op, int fd, short events, const char* call) {
  wake::WaitScope scope;  // issue 12: a Retime's signal ends the wait
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
    int r = scope.Poll(&p, left);
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
      if (!ArmTimeo(op, h, fd, gen, left, &failed)) {
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
    if (platform::SetNonBlocking(fd, false) < 0)
      return op.Fail(OpStatus::kError, errno, "fcntl");
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

int WaitPrecise(Op& op, int fd, short events) {
  wake::WaitScope scope;  // issue 12: a Retime's signal ends the wait
  for (;;) {
    int64_t left = Remaining(op);
    if (left == 0) return 0;
    int64_t wait = left > kShortWaitNs ? left - left / 100 : left;
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

void PolledRead(Op& op, Handle& h, int fd) {
  PrepareReadBuffer(op, ThreadScratch());
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
    // Taken by someone else, aborted by the peer, or interrupted: wait again.
  }
}

void PolledConnect(Op& op, int fd) {
  int ready = WaitPrecise(op, fd, POLLOUT);
  if (ready < 0) return;
  if (ready == 0) return TimedOut(op, EINPROGRESS, "connect");
  ConnectResult(op, fd);
}

}  // namespace

void RunBlocking(Op& op, Handle& h, int fd) {
  op.status = OpStatus::kOk;
  bool polled = op.timer == TimerMode::kPoll;
  switch (op.kind) {
    case OpKind::kRead:
      return polled ? PolledRead(op, h, fd) : BlockingRead(op, h, fd);
    case OpKind::kWrite:
      return polled ? PolledWrite(op, h, fd) : BlockingWrite(op, h, fd);
    case OpKind::kAccept:
      return polled ? PolledAccept(op, h, fd) : BlockingAccept(op, h, fd);
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
