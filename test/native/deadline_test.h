// The loop engine's deadline thread and claim protocol (native/claim.cc,
// native/deadline_thread.cc) without Node: the main thread plays the JS
// thread (ClaimReady when the fd is ready), the deadline thread decides at
// deadlines, and every op must be decided exactly once with no byte lost.
#pragma once

#include <cstdint>

#include "support.h"

namespace kts_test {

struct DeadlineStats {
  int rounds = 0;
  long ready_wins = 0;     // decided by the main thread (fd ready in time)
  long deadline_wins = 0;  // decided by the deadline thread
  long timeouts = 0;       // of those, timed out (EAGAIN)
  long busy_retries = 0;
};

// Fixed scenarios: timeout, bytes in time win, Retime earlier and later,
// try-lock never blocks, compaction.
void RunDeadlineScenarios();

// Random races between readiness and deadline.
DeadlineStats RunDeadlineRace(Rng& rng, int64_t budget_ns, int max_rounds);

}  // namespace kts_test
