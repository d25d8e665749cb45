// What both engines do with a handle's lanes and stash: which lane an op
// runs in, serving a read or accept from what an abandoned op left behind,
// and finishing an op (its leftover bytes back to the stash, "closed" when
// close began) while handing the lane to the next queued op.
#pragma once

#include "handle.h"
#include "op.h"

namespace kts {

Lane& LaneOf(Op* op);

// Reads and accepts first take what an abandoned op left behind. Returns
// true when that alone finished op. Locks op->handle->mu.
bool TakeFromStash(Op* op);

// Marks op finished and returns the next queued op of its lane (now
// kRunning, the lane still busy), or null (the lane freed). Call with
// op->handle->mu held.
Op* FinishAndNextLocked(Op* op);

}  // namespace kts
