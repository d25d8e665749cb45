// What every engine offers the Node side (and the sanitizer tests): start an
// op, cancel it, close a handle, move a direction's deadline, and whether a
// handle keeps the event loop alive. Two engines implement it:
// ThreadsEngine (threads_engine.h: a blocking call with the timeout in the
// kernel, on an owned thread) and LoopEngine (loop_engine.h: readiness on
// the event loop, the verdict from a deadline thread). A socket's engine is
// fixed when it is created: a polled fd is non-blocking, so one socket
// cannot serve both.
#pragma once

#include <cstddef>
#include <cstdint>

#include "handle.h"
#include "op.h"

namespace kts {

enum class SubmitResult {
  kFinished,  // finished on the calling thread: the caller keeps op and reads its outcome
  kRunning,   // pending, started: the engine owns op until it passes it to the sink
  kQueued,    // pending, waiting behind another op of its lane (not started yet)
};

enum class CancelResult {
  kRemoved = 0,    // was queued, never started: settled as kCancelled via the sink
  kAbandoned = 1,  // in a syscall now; its outcome will be delivered but is
                   // the caller's to ignore (read bytes and accepted
                   // connections go to the next read or accept)
  kTooLate = 2,    // already finished; its outcome is on the way
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Starts op (op->handle set). Call from one thread only (the JS thread).
  // A plain read finished here may hold its bytes in that thread's scratch
  // buffer: copy them out before the next Submit.
  virtual SubmitResult Submit(Op* op) = 0;

  // Cancels op (an AbortSignal fired).
  virtual CancelResult Cancel(Op* op) = 0;

  // Begins closing h: pending ops settle as kClosed through the sink. Returns
  // true when the fd was closed before returning; otherwise the sink's
  // FdClosed(h) is called once it is.
  virtual bool Close(Handle& h) = 0;

  // Sets h's socket-wide deadline of one direction (CLOCK_MONOTONIC ns, 0 =
  // none) and makes that direction's pending ops honour it: moved earlier or
  // into the past, they end promptly with their timeout (the kernel
  // deciding, bytes that came in time still taken); moved later, they wait
  // longer. Returns false when h is closing. Call from the JS thread.
  virtual bool Retime(Handle& h, Direction dir, int64_t deadline_ns) = 0;

  // Readies a listener's fd, bound and listening, for this engine's accepts.
  // Returns 0, or -1 with errno set.
  virtual int PrepareListener(int fd) {
    (void)fd;
    return 0;
  }

  // Whether h's pending ops keep the event loop alive (JS thread).
  virtual void SetRef(Handle& h, bool ref) = 0;

  // The JS thread has taken op from the sink and is about to free it.
  virtual void Delivered(Op* op) { (void)op; }

  // Closes every live handle and joins every thread. Idempotent.
  virtual void Shutdown() = 0;

  // Owned threads alive now.
  virtual size_t threads() = 0;
};

// The earlier of op's own deadline and its handle's for its direction
// (0 = none on either side).
int64_t EffectiveDeadline(const Op& op);

}  // namespace kts
