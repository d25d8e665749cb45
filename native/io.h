// How the engines run an operation (driver.cc, io_fast.cc). Called between
// Handle::Acquire and Handle::Release with the fd that Acquire returned, by
// the holder of the op's lane. No mutex is held while a call waits: the loop
// engine's claim (claim.h) holds the socket's mutex only across calls that
// do not wait (ContinueNow, DecideAtDeadline), and the busy-poll slot is a
// process-wide try-lock released before recv sleeps. No JavaScript is
// touched.
#pragma once

#include "op.h"

namespace kts {

// The fast path, on the JS thread: a non-blocking attempt (MSG_DONTWAIT,
// O_NONBLOCK connect). Returns true when the op is finished (done or
// failed); false when it would block and must wait.
bool TryNow(Op& op, Handle& h, int fd);

// The loop engine's steps, for an op whose fd the event loop reported ready
// or whose deadline has passed; they never wait.
// ContinueNow: steps until the op is done or a step would block (a read to
// its end or EAGAIN, one accept, the connect verdict if the handshake is
// over). Returns true when the op is finished. On the JS thread only: a
// read lands in its scratch, and a finished one must be settled at once.
bool ContinueNow(Op& op, int fd);
// ContinueNow on a non-blocking listener.
bool TryAcceptNow(Op& op, int fd);
// The one look after a deadline: bytes (or a connection, or a finished
// handshake) that came in time win; otherwise the op times out with the
// kernel's EAGAIN (EINPROGRESS for connect), as a blocking call would.
void DecideAtDeadline(Op& op, int fd);

// How long a read about to sleep in the kernel first looks for its bytes
// without waiting (one thread at a time); 0 turns it off. Default 50 µs.
void SetBusyPollMicros(int us);

// A read's bytes still in this thread's scratch move to storage of the op's
// own (the read fails with ENOMEM, its bytes lost, if memory ran out).
void KeepReadBytes(Op& op);

// Copies the caller's bytes (wptr/wlen, valid only during the call that
// started the write) into the op, for a write that will run on a thread.
// False when memory ran out: op failed with ENOMEM.
bool DetachWriteData(Op& op);

// On an owned thread: runs op to its end, waiting in the way op.timer says.
// kSockopt: each blocking call carries the time left into the kernel
// (SO_RCVTIMEO, SO_SNDTIMEO; poll(2) for connect, and for accept where it
// ignores SO_RCVTIMEO). kPoll: the wait is poll(2)/ppoll(2) on a
// high-resolution timer and the calls do not wait (SO_*TIMEO still set as a
// backstop). Either way EINTR is retried with the time left, never a fresh
// timeout, and a deadline that has passed (before the first call, or
// during a wait) gets one last look without waiting, as DecideAtDeadline.
// Always finishes the op.
void Drive(Op& op, Handle& h, int fd);

}  // namespace kts
