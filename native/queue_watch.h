// The verdict on an op still queued behind another op of its lane when its
// deadline passes, decided natively on the engine's DeadlineThread (never by
// a JavaScript timer, which an event-loop stall makes late and which cannot
// see what the head of the lane is about to hand over).
//
// The rule, at the op's effective deadline D (its own, or its socket's for
// its direction as that is then: a Retime re-watches the queue), looked at
// at an instant T >= D with the socket's mutex held and the op still queued:
//   the lane's head may be about to leave something for it when
//   - the kernel has it now: a non-blocking poll(fd, POLLIN for reads and
//     accepts | POLLOUT for writes, 0) says ready, or
//   - the stash has it (bytes or a connection an earlier op left), or
//   - the head's own verdict is due (its deadline has passed, or it was
//     abandoned): it is handing the lane over now, and what it took may go
//     back to the stash (an exact read's partial frame).
//   Then the op is not expired: the head hands over, and the op gets the
//   driver's "deadline passed: one last step that does not wait decides";
//   should the head take everything and keep waiting, the same rule is
//   applied again a tick later (kQueuedRecheckNs).
//   Otherwise the op times out at T (decided_ns = T, errno EAGAIN from
//   "poll"), taking nothing.
// Why it is exact: the op could only ever receive bytes (room, a connection)
// that the head leaves behind. At T nothing is in the kernel or the stash,
// and the head, whose verdict is not due, holds only bytes it will return
// to its own caller. Anything arriving after T arrived after D: a timeout is
// then the true answer, as the kernel's would have been. No byte is taken by
// the verdict, so a timeout never costs the stream a byte.
#pragma once

#include <cstdint>

#include "claim.h"
#include "deadline_thread.h"
#include "handle.h"
#include "op.h"

namespace kts {

// How soon a queued op found past its deadline but ready is looked at again.
constexpr int64_t kQueuedRecheckNs = 1000 * 1000;

// op was just queued (AdmitLocked gave kQueued), or its socket's deadline
// moved: has dt look at it at its effective deadline, if it has one. Call
// with op->handle->mu held. Returns 0 or the errno of starting dt's thread.
int WatchQueuedLocked(Op* op, DeadlineThread& dt);

// Re-watches every op queued in dir's lane of h after its deadline moved
// (mu held). A failure to start dt's thread leaves an op to the driver's
// look when it starts, as before it was watched.
void WatchQueueLocked(Handle& h, Direction dir, DeadlineThread& dt);

// op leaves its lane's queue (started, cancelled, closed): its watch goes
// stale. Call with op->handle->mu held.
void UnwatchQueuedLocked(Op* op);

// The rule above, for ClaimAtDeadline (claim.h): op is w's, still queued,
// its effective deadline passed; h.mu is held. Returns kDecided (op timed
// out, out of its queue) or kLater (*again_at).
DeadlineClaim DecideQueuedLocked(Waiter& w, Op* op, int64_t* again_at);

// A test hook (KTS_TEST_HOLD_HANDOFF=1 in the environment, read once):
// called by the thread that has just decided head, before it takes the
// mutex to hand the lane over. Holds it (at most 5 s) until the op queued
// behind head has been looked at past its deadline by the deadline thread,
// so a test makes the handoff race of the rule above happen every time.
// Without the variable it costs one load of a flag.
void HoldBeforeHandoffForTest(Op* head);

}  // namespace kts
