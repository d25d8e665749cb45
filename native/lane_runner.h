// The thread-running part both engines compose: owned threads (thread_pool.h)
// and, on them, the lane runner. A runner takes an op that holds its lane,
// drives it to its end (the op driver, io.h Drive), hands the lane to the
// next queued op and runs that one too, until the lane is free. While it
// runs an op it is recorded as the lane's runner (Lane::running, runner),
// so a Retime or an abort can wake it (lane.h WakeRunnerLocked). The
// threads engine runs every op that must wait here; the loop engine runs
// here only the ops one look at readiness cannot finish (a write whose
// send buffer filled, a large or partly read exact read, a connect in
// slices: LoopEngine::NeedsThread and claim.h kContinue). Plain C++.
#pragma once

#include <cstddef>

#include "op.h"
#include "thread_pool.h"

namespace kts {

class LaneRunner {
 public:
  // sink receives every op a runner finishes.
  LaneRunner(CompletionSink* sink, size_t stack_bytes, int idle_ms, int spin_us);

  // Runs op (state kRunning, its lane held), then the ops queued behind it,
  // on an owned thread. Returns 0, or the errno of pthread_create (op
  // untouched).
  int Run(Op* op);

  // Joins every thread; call once the handles are closing (their blocked
  // calls woken).
  void Shutdown() { pool_.Shutdown(); }

  size_t threads() { return pool_.threads(); }

 private:
  void RunLane(Op* op);
  void Execute(Op* op);
  void SetRunner(Op* op, bool running);

  CompletionSink* const sink_;
  ThreadPool pool_;
};

}  // namespace kts
