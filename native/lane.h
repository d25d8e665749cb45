// What both engines do with a handle's lanes and stash: which lane an op
// runs in, serving a read or accept from what an abandoned op left behind,
// and finishing an op (its leftover bytes back to the stash, "closed" when
// close began) while handing the lane to the next queued op.
#pragma once

#include "deadline_thread.h"
#include "engine.h"
#include "handle.h"
#include "op.h"

namespace kts {

Lane& LaneOf(Op* op);

// Admits op into its lane, with op->handle->mu held: kFinished when the
// handle is closing (op failed as closed), kQueued when another op holds
// the lane (a write's bytes are copied first: it runs after the caller's
// memory is gone; kFinished with ENOMEM when they cannot be), else
// kRunning with the lane now held by op.
SubmitResult AdmitLocked(Op* op);

// Takes a queued op out of its lane and marks it cancelled (mu held).
void RemoveQueuedLocked(Op* op);

// Cancel of an op no longer queued (mu held): a running one is abandoned
// (its outcome is delivered and ignored, its bytes or connection kept for
// the next op); a finished one is too late.
// An abandoned read or accept is also cut short (Op::cut_short) and its
// runner woken, so the lane passes to the next op at once instead of when
// the kernel has enough bytes: the next read gets what it took first.
// Writes run on (a cut would lose the stream's byte position).
CancelResult CancelStartedLocked(Op* op);

// Makes the thread running dir's op (if any) look at its time left again,
// now left_ns (-1: none): the kernel timeout for a call it enters from now
// on, then the wake-up signal for one already blocked (wake.h says why in
// that order). Call with h.mu held, after bumping h.deadline_gen[dir].
void WakeRunnerLocked(Handle& h, Direction dir, int64_t left_ns);

// Sets h's socket-wide deadline of dir (h.mu held, h not closing): stores
// it, has dt look at the ops queued in that lane at their new effective
// deadlines (queue_watch.h), and wakes an owned thread running the lane's
// op so it recomputes its time left.
void RetimeLaneLocked(Handle& h, Direction dir, int64_t deadline_ns, DeadlineThread& dt);

// Reads and accepts first take what an abandoned op left behind. Returns
// true when that alone finished op. Locks op->handle->mu.
bool TakeFromStash(Op* op);

// Marks op finished and returns the next queued op of its lane (now
// kRunning and the lane's head), or null (the lane freed). Call with
// op->handle->mu held.
Op* FinishAndNextLocked(Op* op);

}  // namespace kts
