// The one op driver (io.h), in the manner of Go's internal/poll FD.Read with
// its pollDesc: an op is a resumable step (op_step.h) repeated until it is
// done, with a wait between steps that would block. This file decides what
// every way of running an op shares: which buffer a read fills, that a step
// that made progress or met EINTR (op_step.h kProgress) is simply called
// again, and the deadline: once it has passed, one last step that does not wait decides,
// so bytes (room, a connection, a finished handshake) that came in time are
// the caller's however late the deciding thread runs. The waits plug in:
// the kernel-timed blocking call (timer mode kSockopt), poll(2)/ppoll(2)
// (kPoll, waits.h), and the event loop with the deadline thread (for the
// loop engine, claim.cc calls ContinueNow when the fd is ready and
// DecideAtDeadline at the deadline).
#include <sys/socket.h>

#include <cerrno>
#include <mutex>

#include "handle.h"
#include "io.h"
#include "io_steps.h"
#include "op_step.h"
#include "platform.h"
#include "scratch.h"
#include "waits.h"
#include "wake.h"

namespace kts {

namespace {

// The deadline has passed: one last look that does not wait decides; a
// timeout names `call`.
void DecideLate(Op& op, int fd, CallMode mode, const char* call) {
  if (!StepNow(op, fd, mode)) TimedOut(op, TimeoutErrnoOf(op.kind), call);
}

// Whether the kernel can time kind's blocking call itself (SO_RCVTIMEO or
// SO_SNDTIMEO); the others wait in poll(2) even in timer mode kSockopt.
bool KernelTimes(OpKind kind) {
  return kind == OpKind::kRead || kind == OpKind::kWrite ||
         (kind == OpKind::kAccept && platform::AcceptHonoursRcvTimeout());
}

}  // namespace

bool ContinueNow(Op& op, int fd) {
  // A read borrows the JS thread's scratch, as TryNow's does: its bytes
  // are settled from it at once; a read that waits on lets go of it.
  PrepareReadBuffer(op, op.kind == OpKind::kRead ? ThreadScratch() : nullptr, fd);
  if (StepNow(op, fd, CallMode::kNoWait)) return true;
  if (op.data.borrowed()) op.data.Clear();
  return false;
}

bool TryAcceptNow(Op& op, int fd) { return StepNow(op, fd, CallMode::kNoWait); }

void DecideAtDeadline(Op& op, int fd) {
  op.status = OpStatus::kOk;
  PrepareReadBuffer(op, nullptr, fd);
  DecideLate(op, fd, CallMode::kNoWait, CallOf(op.kind));
}

void Drive(Op& op, Handle& h, int fd) {
  op.status = OpStatus::kOk;
  if (op.kind == OpKind::kConnect && op.connect_would_block) return ConnectInSlices(op, h, fd);
  KeepOwnBytes keep{op};  // a read keeps what arrived, not the scratch
  if (op.kind == OpKind::kRead) {
    PrepareReadBuffer(op, ThreadScratch(), fd);
    if (BusyPollRead(op, fd)) return;
  }
  bool kernel_timed = op.timer == TimerMode::kSockopt && KernelTimes(op.kind);
  // A Linux listener blocks (the threads engine's accept waits in it):
  // a step that must not wait polls it first.
  CallMode no_wait = op.kind == OpKind::kAccept && platform::AcceptHonoursRcvTimeout()
                         ? CallMode::kNoWaitOnBlockingListener
                         : CallMode::kNoWait;
  // In timer mode kPoll an accept's timeout names poll(2), whose verdict it
  // is (the one visible difference between the modes).
  const char* timeout_call =
      op.kind == OpKind::kAccept && op.timer == TimerMode::kPoll ? "poll" : CallOf(op.kind);
  bool expired = false;   // the poll wait ran out
  bool ready = false;     // the poll wait said ready
  bool backstop = false;  // the poll path armed SO_*TIMEO
  for (;;) {
    uint64_t gen = DeadlineGen(op, h);
    int64_t left = Remaining(op);
    // The deadline passed before this thread could ask the kernel (it was
    // scheduled late, the op was queued, or the deadline was moved into
    // the past) or while it waited: never a zero SO_*TIMEO (that would mean
    // "forever"), and no timeout without a look.
    if (left == 0 || expired) return DecideLate(op, fd, no_wait, timeout_call);
    if (kernel_timed) {
      bool failed = false;
      if (!ArmTimeo(op, h, fd, gen, wake::Slice(left), &failed)) {
        if (failed) return;
        continue;  // retimed meanwhile: recompute
      }
      StepResult s = StepOnce(op, fd, CallMode::kBlocking);
      if (s == StepResult::kDone) return;
      // EAGAIN at the deadline is the kernel's verdict; at a deadline that
      // has since moved later, wait the rest.
      if (s == StepResult::kWouldBlock && Remaining(op) == 0)
        return TimedOut(op, TimeoutErrnoOf(op.kind), CallOf(op.kind));
      continue;
    }
    if (op.kind != OpKind::kConnect && (!backstop || no_wait == CallMode::kNoWaitOnBlockingListener)) {
      // SO_RCVTIMEO/SO_SNDTIMEO stay set to the time left as a backstop
      // (README "Timer granularity"): a call that blocks after all (a connection
      // taken from a blocking listener by someone else) still ends in time.
      // A Retime may leave it stale; the signal ends the wait regardless.
      bool failed = false;
      ArmTimeo(op, h, fd, gen, wake::Slice(left), &failed);
      if (failed) return;
      backstop = true;
    }
    StepResult s = StepOnce(op, fd, no_wait);
    if (s == StepResult::kDone) return;
    if (s == StepResult::kProgress) continue;
    if (ready) {
      // Ready, yet the call would block: taken by someone else, aborted by
      // the peer, or interrupted. A shut-down listener that does not block
      // answers EAGAIN and polls ready for good: stop once close began.
      std::lock_guard<std::mutex> lock(h.mu);
      if (h.closing()) return op.Fail(OpStatus::kClosed, 0, CallOf(op.kind));
    }
    int r = WaitReady(op, fd, EventsOf(op.kind));
    if (r < 0) return;
    ready = r == 1;
    expired = r == 0;
  }
}

}  // namespace kts
