// The fast path of io.h: one non-blocking attempt on the calling thread.
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

namespace kts {

bool DetachWriteData(Op& op) {
  if (op.wptr == nullptr) return true;
  bool copied = op.data.assign(op.wptr, op.wptr + op.wlen);
  op.wptr = nullptr;
  op.wlen = 0;
  if (!copied) op.Fail(OpStatus::kError, ENOMEM, "send");
  return copied;
}

bool TryAcceptNow(Op& op, int fd) {
  for (;;) {
    bool would_block = false;
    op.status = OpStatus::kOk;
    AcceptOne(op, fd, &would_block);
    if (Finished(op)) return true;
    if (would_block) return false;
  }
}

bool ContinueNow(Op& op, int fd) {
  bool would_block = false;
  switch (op.kind) {
    case OpKind::kRead:
      while (!would_block)
        if (ReadStep(op, fd, MSG_DONTWAIT, &would_block)) return true;
      return false;
    case OpKind::kAccept: return TryAcceptNow(op, fd);
    case OpKind::kConnect: {
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, 0) <= 0) return false;
      return ConnectResult(op, fd);
    }
    case OpKind::kWrite: {
      size_t off = 0;
      while (!would_block)
        if (WriteStep(op, fd, MSG_DONTWAIT, op.data.data(), op.data.size(), &off, &would_block)) break;
      // What was sent is gone from data: keep the rest for the next call
      // (in place: no allocation).
      if (!op.data.assign(op.data.data() + off, op.data.data() + op.data.size())) return true;
      return !would_block;
    }
    case OpKind::kEnd:
      if (shutdown(fd, SHUT_WR) < 0) op.Fail(OpStatus::kError, errno, "shutdown");
      return true;
  }
  return true;
}

void DecideAtDeadline(Op& op, int fd) {
  op.status = OpStatus::kOk;
  if (ContinueNow(op, fd)) return;
  TimedOut(op, op.kind == OpKind::kConnect ? EINPROGRESS : EAGAIN,
           op.kind == OpKind::kRead      ? "recv"
           : op.kind == OpKind::kAccept  ? "accept"
           : op.kind == OpKind::kConnect ? "connect"
                                         : "send");
}

bool TryNow(Op& op, Handle& h, int fd) {
  (void)h;
  bool would_block = false;
  switch (op.kind) {
    case OpKind::kRead:
      // A result read here is copied out on this thread before the next
      // TryNow, so the scratch stays valid for it; a read that must wait
      // lets go of the scratch.
      PrepareReadBuffer(op, ThreadScratch(), fd);
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
      return !DetachWriteData(op);  // no memory for the copy: failed
    }
    case OpKind::kEnd:
      if (shutdown(fd, SHUT_WR) < 0) op.Fail(OpStatus::kError, errno, "shutdown");
      return true;
    case OpKind::kAccept:
      // A blocking Linux listener has no "don't wait" accept: go to a thread.
      if (platform::AcceptHonoursRcvTimeout()) return false;
      return TryAcceptNow(op, fd);
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

}  // namespace kts
