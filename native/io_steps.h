// The single syscalls every op step is built from (one recv, one send, one
// accept, the connect verdict), and the time arithmetic around them.
// Private to the io files (op_step.cc, driver.cc, waits.cc, io_fast.cc):
// the rest of the addon uses io.h.
#pragma once

#include <cstdint>

#include "io.h"
#include "op.h"

namespace kts {

class Handle;

// Time left before op's deadline, in ns: -1 for "no deadline", 0 for
// "expired" (never passed to the kernel; also once op is cut short),
// otherwise > 0.
int64_t Remaining(const Op& op);

// Puts the remaining time into SO_RCVTIMEO/SO_SNDTIMEO, rounded up to the
// microsecond so it is never zero; *cache skips the call when unchanged.
bool SetTimeo(int fd, int opt, int64_t left_ns, int64_t* cache);

// Arms the kernel timeout of a blocking call for op's time left and says
// whether the call may go ahead: false when the socket deadline of op's
// direction changed since `gen` was read (the time left is stale: the
// caller loops), or when setsockopt failed (*failed; op failed). The
// generation check after setsockopt closes the lost wake-up window
// (wake.h). A change also voids the timeout cache: Retime set the kernel's
// timeout itself.
bool ArmTimeo(Op& op, Handle& h, int fd, uint64_t gen, int64_t left_ns, bool* failed);

// The generation of op's direction's socket deadline (Handle::deadline_gen).
uint64_t DeadlineGen(const Op& op, const Handle& h);

bool IsWouldBlock(int e);

// A read's buffer is not allocated up front: ReadStep grows it as bytes
// arrive (sized to what fd has queued, then doubling), and fails the op
// with ENOMEM when memory runs out. This points a fresh plain read whose
// first recv fits at this thread's scratch (scratch.h) instead: a pending
// read then holds no buffer of its own.
void PrepareReadBuffer(Op& op, uint8_t* scratch, int fd);

// On every way out of a blocking read: keep what arrived, not the scratch
// (the read fails with ENOMEM if memory for it ran out).
struct KeepOwnBytes {
  Op& op;
  ~KeepOwnBytes() { KeepReadBytes(op); }
};

// One recv (first growing the buffer if it is full, io_steps.cc); returns
// true when the op is finished.
bool ReadStep(Op& op, int fd, int flags, bool* would_block);

// One send of what is left; returns true when the op is finished.
bool WriteStep(Op& op, int fd, int flags, const uint8_t* base, size_t len, size_t* off, bool* would_block);

// A connect's verdict from SO_ERROR (the socket back to blocking on success).
bool ConnectResult(Op& op, int fd);

void AcceptOne(Op& op, int fd, bool* would_block);

bool Finished(const Op& op);

void TimedOut(Op& op, int err, const char* call);

// Before a read sleeps, one thread at a time looks for its bytes for a few
// microseconds without waiting (io_steps.cc says why).
bool BusyPollRead(Op& op, int fd);

}  // namespace kts
