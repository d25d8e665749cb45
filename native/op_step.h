// Each op kind as one resumable step: one call that either finishes the op,
// makes progress (a part of an exact read or of a write, EINTR), or says it
// would block on the fd's readiness for EventsOf(kind). The driver
// (driver.cc) repeats steps and waits between them; the steps know nothing
// of deadlines or of how the wait is made. Private to the io files: the
// rest of the addon uses io.h.
#pragma once

#include "op.h"

namespace kts {

enum class StepResult : uint8_t {
  kDone,        // the op is finished: outcome in op (status, err, syscall)
  kProgress,    // not finished; call again without waiting
  kWouldBlock,  // not finished; the fd must become ready first
};

// How the step's call may wait.
enum class CallMode : uint8_t {
  kBlocking,                  // a blocking call whose wait the kernel times (SO_RCVTIMEO/SO_SNDTIMEO)
  kNoWait,                    // must not wait (MSG_DONTWAIT, a non-blocking fd)
  kNoWaitOnBlockingListener,  // kNoWait, on a listener that blocks: poll(2) it first
};

// One step of op on fd (kRead, kWrite, kAccept, and a TCP kConnect whose
// handshake is under way). A read's buffer must be prepared (io_steps.h
// PrepareReadBuffer); a write sends from op.wptr while it points at the
// caller's bytes, else from op.data, from op.sent on.
StepResult StepOnce(Op& op, int fd, CallMode mode);

// Steps until op is done (true) or a step would block (false).
bool StepNow(Op& op, int fd, CallMode mode);

// What a blocked step of kind waits for: POLLIN or POLLOUT.
short EventsOf(OpKind kind);

// The call a timeout of kind is reported against ("recv", "send", ...), and
// the errno a blocking call would have given at its expiry.
const char* CallOf(OpKind kind);
int TimeoutErrnoOf(OpKind kind);

}  // namespace kts
