// One resumable step per op kind (op_step.h), built from io_steps.h's calls.
#include "op_step.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "handle.h"
#include "io_steps.h"
#include "platform.h"

namespace kts {

namespace {

StepResult Of(bool finished, bool would_block) {
  if (finished) return StepResult::kDone;
  return would_block ? StepResult::kWouldBlock : StepResult::kProgress;
}

// Whether fd is ready for events now (poll(2) without waiting); when not,
// *step says what the step returns (would block, call again after EINTR, or
// done: poll failed and op with it).
bool ReadyNow(Op& op, int fd, short events, StepResult* step) {
  pollfd now{fd, events, 0};
  int r = poll(&now, 1, 0);
  if (r > 0) return true;
  if (r == 0) {
    *step = StepResult::kWouldBlock;
  } else if (errno == EINTR) {
    *step = StepResult::kProgress;
  } else {
    op.Fail(OpStatus::kError, errno, "poll");
    *step = StepResult::kDone;
  }
  return false;
}

StepResult Read(Op& op, int fd, CallMode mode) {
  bool would_block = false;
  bool finished = ReadStep(op, fd, mode == CallMode::kBlocking ? 0 : MSG_DONTWAIT, &would_block);
  return Of(finished, would_block);
}

StepResult Write(Op& op, int fd, CallMode mode) {
  bool would_block = false;
  bool caller = op.wptr != nullptr;  // still the caller's bytes (the fast path)
  const uint8_t* base = caller ? op.wptr : op.data.data();
  size_t len = caller ? op.wlen : op.data.size();
  bool finished =
      WriteStep(op, fd, mode == CallMode::kBlocking ? 0 : MSG_DONTWAIT, base, len, &op.sent, &would_block);
  return Of(finished, would_block);
}

// A listener that blocks has no "don't wait" accept: poll(2) says whether a
// connection is queued. One taken meanwhile by another process leaves the
// accept blocked until SO_RCVTIMEO, which the driver arms as a backstop.
StepResult Accept(Op& op, int fd, CallMode mode) {
  StepResult not_ready;
  if (mode == CallMode::kNoWaitOnBlockingListener && !ReadyNow(op, fd, POLLIN, &not_ready)) return not_ready;
  bool would_block = false;
  op.status = OpStatus::kOk;
  AcceptOne(op, fd, &would_block);
  return Of(Finished(op), would_block);
}

// The handshake's verdict once the socket is writable; SO_ERROR alone cannot
// tell "still connecting" from "connected".
StepResult Connect(Op& op, int fd) {
  StepResult not_ready;
  if (!ReadyNow(op, fd, POLLOUT, &not_ready)) return not_ready;
  ConnectResult(op, fd);
  return StepResult::kDone;
}

}  // namespace

StepResult StepOnce(Op& op, int fd, CallMode mode) {
  switch (op.kind) {
    case OpKind::kRead: return Read(op, fd, mode);
    case OpKind::kWrite: return Write(op, fd, mode);
    case OpKind::kAccept: return Accept(op, fd, mode);
    case OpKind::kConnect: return Connect(op, fd);
    case OpKind::kEnd:
      if (shutdown(fd, SHUT_WR) < 0) op.Fail(OpStatus::kError, errno, "shutdown");
      return StepResult::kDone;
  }
  return StepResult::kDone;
}

bool StepNow(Op& op, int fd, CallMode mode) {
  for (;;) {
    switch (StepOnce(op, fd, mode)) {
      case StepResult::kDone: return true;
      case StepResult::kWouldBlock: return false;
      case StepResult::kProgress: continue;
    }
  }
}

short EventsOf(OpKind kind) { return DirectionOf(kind) == Direction::kRead ? POLLIN : POLLOUT; }

const char* CallOf(OpKind kind) {
  switch (kind) {
    case OpKind::kRead: return "recv";
    case OpKind::kWrite: return "send";
    case OpKind::kAccept: return "accept";
    case OpKind::kConnect: return "connect";
    case OpKind::kEnd: return "shutdown";
  }
  return "";
}

int TimeoutErrnoOf(OpKind kind) { return kind == OpKind::kConnect ? EINPROGRESS : EAGAIN; }

}  // namespace kts
