// The threads engine: the fast path on the calling (JS) thread, the rest on
// owned threads, each a blocking call that carries the time left into the
// kernel (the op driver, driver.cc), one op per lane at a time in call order, with
// cancellation and close. Plain C++: the Node side supplies the sink that
// delivers finished ops; the sanitizer tests supply one that counts them.
#pragma once

#include <memory>
#include <vector>

#include "deadline_thread.h"
#include "engine.h"
#include "handle.h"
#include "lane_runner.h"
#include "op.h"

namespace kts {

class ThreadsEngine : public Engine {
 public:
  explicit ThreadsEngine(CompletionSink* sink, size_t stack_bytes = 256 * 1024, int idle_ms = 5000,
                         int spin_us = 50);
  ~ThreadsEngine() override;

  std::shared_ptr<HandleRegistry> registry() const { return registry_; }

  SubmitResult Submit(Op* op) override;
  CancelResult Cancel(Op* op) override;

  // Queued ops are settled as kClosed through the sink, blocked calls are
  // woken (platform::WakeBlocked) and finish as kClosed.
  bool Close(Handle& h) override;

  // An op running on an owned thread is woken (wake.h) and recomputes its
  // time left; ops still queued are watched at their new deadlines.
  bool Retime(Handle& h, Direction dir, int64_t deadline_ns) override;

  // Nothing to do: owned threads do not hold the event loop; each pending
  // op's hold on the completion channel does, and the Node side moves those
  // per socket (OpRegistry::SetRef).
  void SetRef(Handle& h, bool ref) override;

  void Shutdown() override;

  size_t threads() override { return runner_.threads() + (deadline_.running() ? 1 : 0); }

  // Its owned threads, which the loop engine also runs its multi-syscall
  // ops on (one pool per env).
  LaneRunner& runner() { return runner_; }

 private:
  SubmitResult WatchQueued(Op* op);

  CompletionSink* sink_;
  std::shared_ptr<HandleRegistry> registry_;
  LaneRunner runner_;
  // Decides ops still queued at their deadlines (queue_watch.h).
  DeadlineThread deadline_;
};

}  // namespace kts
