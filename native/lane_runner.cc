#include "lane_runner.h"

#include <pthread.h>

#include <mutex>

#include "clock.h"
#include "handle.h"
#include "io.h"
#include "lane.h"
#include "queue_watch.h"

namespace kts {

LaneRunner::LaneRunner(CompletionSink* sink, size_t stack_bytes, int idle_ms, int spin_us)
    : sink_(sink), pool_(stack_bytes, idle_ms, spin_us) {}

int LaneRunner::Run(Op* op) {
  return pool_.Submit([this, op] { RunLane(op); });
}

void LaneRunner::Execute(Op* op) {
  if (TakeFromStash(op)) return;
  Handle& h = *op->handle;
  int fd = h.Acquire();
  if (fd < 0) return op->Fail(OpStatus::kClosed, 0, "");
  SetRunner(op, true);
  Drive(*op, h, fd);
  SetRunner(op, false);
  op->decided_ns = MonoNowNs();
  h.Release();
}

// Records (or clears) this thread as the one running op, for the wake-up of
// a Retime or an abort. Set after Acquire and cleared before Release.
void LaneRunner::SetRunner(Op* op, bool running) {
  Lane& lane = LaneOf(op);
  std::lock_guard<std::mutex> lock(op->handle->mu);
  lane.running = running ? op : nullptr;
  if (running) lane.runner = pthread_self();
}

void LaneRunner::RunLane(Op* op) {
  while (op != nullptr) {
    Execute(op);
    HoldBeforeHandoffForTest(op);
    Op* next;
    {
      std::lock_guard<std::mutex> lock(op->handle->mu);
      next = FinishAndNextLocked(op);
    }
    sink_->Complete(op);
    op = next;
  }
}

}  // namespace kts
