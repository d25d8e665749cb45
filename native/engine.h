// Runs operations on handles: the fast path on the calling (JS) thread, the
// rest on owned threads, one op per lane at a time in call order, with
// cancellation and close. Plain C++: the Node side supplies the sink that
// delivers finished ops; the sanitizer tests supply one that counts them.
#pragma once

#include <memory>
#include <vector>

#include "handle.h"
#include "op.h"
#include "thread_pool.h"

namespace kts {

enum class CancelResult {
  kRemoved = 0,    // was queued, never started: settled as kCancelled via the sink
  kAbandoned = 1,  // in a syscall now; its outcome will be delivered but is
                   // the caller's to ignore (read bytes and accepted
                   // connections go to the next read or accept)
  kTooLate = 2,    // already finished; its outcome is on the way
  kStarted = 3,    // only_queued was asked and it has started: left alone
};

class Engine {
 public:
  explicit Engine(CompletionSink* sink, size_t stack_bytes = 256 * 1024, int idle_ms = 5000,
                  int spin_us = 50);
  ~Engine();

  std::shared_ptr<HandleRegistry> registry() const { return registry_; }

  // Starts op (op->handle set). Returns true when it finished on this thread
  // (the caller keeps op and reads its outcome); false when it is pending:
  // the engine owns it until it passes it to the sink, exactly once. Call
  // from one thread only (the JS thread). A plain read finished here may
  // hold its bytes in that thread's scratch buffer: copy them out before
  // the next Submit.
  bool Submit(Op* op);

  // Cancels op. With only_queued, an op that has started is left alone
  // (used when a queued op's own deadline passes while it waits its turn).
  CancelResult Cancel(Op* op, bool only_queued = false);

  // Whether op still waits behind another op of its lane.
  bool IsQueued(Op* op);

  // Begins closing h: queued ops are settled as kClosed through the sink,
  // blocked calls are woken and finish as kClosed. Returns true when the fd
  // was closed before returning (nothing held it).
  bool Close(Handle& h);

  // Sets h's socket-wide deadline for dir (CLOCK_MONOTONIC ns, 0 = none) and
  // makes the pending ops of that direction honour it: an op running on an
  // owned thread is woken (wake.h) and recomputes its time left, so moved
  // earlier or into the past it ends promptly with its timeout (the kernel
  // deciding, bytes that came in time still taken); moved later, it waits
  // longer. Ops still queued read it when they start. Returns false when h
  // is closing (nothing to do). Call from the JS thread.
  bool Retime(Handle& h, Direction dir, int64_t deadline_ns);

  // Closes every live handle and joins every thread. Idempotent.
  void Shutdown();

  size_t threads() { return pool_.threads(); }

 private:
  void RunLane(Op* op);
  void Execute(Op* op);
  bool ServeFromStash(Op* op);
  Op* FinishAndNext(Op* op);
  void SetRunner(Op* op, bool running);
  static Lane& LaneOf(Op* op);

  CompletionSink* sink_;
  std::shared_ptr<HandleRegistry> registry_;
  ThreadPool pool_;
};

}  // namespace kts
