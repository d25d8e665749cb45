// The claim protocol of the loop engine: an op waiting for readiness
// (OpState::kWaiting) is decided by exactly one of two threads. The JS
// thread claims it when the event loop reports its fd ready and its
// deadline has not passed; the deadline thread claims it once its deadline
// has passed. Either claims by clearing Waiter::op with the socket's mutex
// held, and keeps holding it across the one non-blocking call that decides
// the op. Plain C++: the sanitizer tests drive both sides without Node.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "handle.h"
#include "op.h"

namespace kts {

// One waiting op as both claimers see it. op is cleared (under
// handle->mu) by whoever claims it; a Waiter whose op is null is stale.
struct Waiter {
  std::shared_ptr<Handle> handle;
  std::atomic<Op*> op{nullptr};
  // The DeadlineThread's bookkeeping (under its mutex): the time of this
  // waiter's one live heap entry (0: none queued), and that entry's
  // generation (older entries are superseded, dropped when met).
  int64_t entry_at = 0;
  uint64_t entry_gen = 0;
};

enum class ReadyClaim {
  kGone,          // decided elsewhere, cancelled or closed: nothing to do
  kPastDeadline,  // its deadline has passed: the deadline thread decides it
  kNotReady,      // the call would still wait: keep waiting
  kFinished,      // claimed and decided here (*claimed: the op, kRunning)
  kContinue,      // claimed; part of an exact read came: continue on a thread
};

// The JS thread's side, when the fd was reported ready. Locks handle->mu.
ReadyClaim ClaimReady(Waiter& w, Op** claimed);

enum class DeadlineClaim {
  kGone,     // stale: claimed elsewhere, or no deadline any more
  kBusy,     // the JS thread holds the mutex: try again at *again_at
  kLater,    // the deadline moved later (Retime): look again at *again_at
  kDecided,  // claimed and decided (*claimed); *next: the op queued behind it, now running
};

// The deadline thread's side, at or after an entry's time `now`: never
// blocks on the mutex (try-lock).
DeadlineClaim ClaimAtDeadline(Waiter& w, int64_t now, int64_t retry_ns, int64_t* again_at, Op** claimed,
                              Op** next);

}  // namespace kts
