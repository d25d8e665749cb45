// The claim protocol of the loop engine: an op waiting for readiness
// (OpState::kWaiting) is decided by exactly one of two threads. The JS
// thread claims it when the event loop reports its fd ready and its
// deadline has not passed; the deadline thread claims it once its deadline
// has passed. Either claims by clearing Waiter::op with the socket's mutex
// held, and keeps holding it across the one non-blocking call that decides
// the op. The deadline thread's side also decides ops still queued behind
// another of their lane, on both engines (queue_watch.h). Plain C++: the
// sanitizer tests drive both sides without Node.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "handle.h"
#include "op.h"

namespace kts {

class DeadlineThread;

// One waiting op as both claimers see it. op is cleared (under
// handle->mu) by whoever claims it; a Waiter whose op is null is idle. The
// loop engine reuses one per socket and direction (poll_watch.h): a wait
// stores its op into it. A queued op's watch has one of its own.
struct Waiter {
  // Read by the deadline thread under handle_mu (ClaimAtDeadline). Cleared
  // when the waiter is done with (DeadlineThread::Retire when its socket's
  // watcher closes; UnwatchQueuedLocked when a queued op leaves its queue),
  // so a heap entry still holding it does not keep a closed socket's Handle
  // alive until the entry's time.
  std::shared_ptr<Handle> handle;
  std::mutex handle_mu;
  std::atomic<Op*> op{nullptr};
  // The deadline thread watching a queued op (queue_watch.h): told when the
  // watch goes stale, so it compacts its heap.
  DeadlineThread* queue_dt = nullptr;
  // The DeadlineThread's bookkeeping (under its mutex): the time of this
  // waiter's one live heap entry (0: none queued), and that entry's
  // generation (older entries are superseded, dropped when met).
  int64_t entry_at = 0;
  uint64_t entry_gen = 0;
  // How often the deadline thread found this queued op past its deadline
  // but its lane ready, and looked again later (queue_watch.h): what the
  // handoff test hook waits for.
  std::atomic<uint32_t> deferrals{0};
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
// blocks on the mutex (try-lock). Also decides an op still queued behind
// another of its lane (queue_watch.h), whose Waiter is its queue_watch.
DeadlineClaim ClaimAtDeadline(Waiter& w, int64_t now, int64_t retry_ns, int64_t* again_at, Op** claimed,
                              Op** next);

}  // namespace kts
