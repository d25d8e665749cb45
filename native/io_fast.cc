// The fast path of io.h: one non-blocking attempt on the calling thread.
#include <sys/socket.h>

#include <cerrno>

#include "handle.h"
#include "io.h"
#include "io_steps.h"
#include "op_step.h"
#include "platform.h"
#include "scratch.h"

namespace kts {

bool DetachWriteData(Op& op) {
  if (op.wptr == nullptr) return true;
  bool copied = op.data.assign(op.wptr, op.wptr + op.wlen);
  op.wptr = nullptr;
  op.wlen = 0;
  op.sent = 0;
  if (!copied) op.Fail(OpStatus::kError, ENOMEM, "send");
  return copied;
}

namespace {

// A non-blocking connect: done at once (a Unix peer), under way (TCP), or
// waiting for room in a full Unix backlog.
bool StartConnect(Op& op, int fd) {
  if (platform::SetNonBlocking(fd, true) < 0) {
    op.Fail(OpStatus::kError, errno, "fcntl");
    return true;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&op.address->ss), op.address->len) == 0)
    return ConnectResult(op, fd);
  if (errno == EINPROGRESS || errno == EINTR) return false;  // completes in the background
  if (IsWouldBlock(errno)) {                                 // Unix listener's backlog is full (Linux)
    op.connect_would_block = true;
    return false;
  }
  op.Fail(OpStatus::kError, errno, "connect");
  return true;
}

}  // namespace

bool TryNow(Op& op, Handle& h, int fd) {
  (void)h;
  switch (op.kind) {
    case OpKind::kRead:
      // A result read here is copied out on this thread before the next
      // TryNow, so the scratch stays valid for it; a read that must wait
      // lets go of the scratch.
      PrepareReadBuffer(op, ThreadScratch(), fd);
      if (StepNow(op, fd, CallMode::kNoWait)) return true;
      if (op.data.borrowed()) op.data.Clear();
      return false;
    case OpKind::kWrite:
      if (StepNow(op, fd, CallMode::kNoWait)) return true;
      // The caller's memory is only ours during this call: keep the rest.
      op.wptr += op.sent;
      op.wlen -= op.sent;
      return !DetachWriteData(op);  // no memory for the copy: failed
    case OpKind::kEnd: return StepNow(op, fd, CallMode::kNoWait);
    case OpKind::kAccept:
      // A blocking Linux listener has no "don't wait" accept: go to a thread.
      if (platform::AcceptHonoursRcvTimeout()) return false;
      return TryAcceptNow(op, fd);
    case OpKind::kConnect: return StartConnect(op, fd);
  }
  return true;
}

}  // namespace kts
