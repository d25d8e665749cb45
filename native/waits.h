// The waits the driver (driver.cc) plugs in between steps. The kernel-timed
// wait is not here: it is the blocking call itself, with the time left in
// SO_RCVTIMEO/SO_SNDTIMEO (io_steps.h ArmTimeo).
#pragma once

#include "handle.h"
#include "op.h"

namespace kts {

// Waits in poll(2)/ppoll(2) until fd is ready for `events` or op's deadline
// passes; a Retime's wake-up signal ends the wait early and it recomputes
// the time left. Returns 1 when ready (or in an error state the next call
// reports), 0 once the deadline has passed, -1 when poll failed (op failed).
int WaitReady(Op& op, int fd, short events);

// A Unix connect whose listener's backlog was full (op.connect_would_block):
// a blocking connect, which waits for room and honours SO_SNDTIMEO, made in
// slices so that close, which cannot wake it, is seen between them. Always
// finishes the op.
void ConnectInSlices(Op& op, Handle& h, int fd);

}  // namespace kts
