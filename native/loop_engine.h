// The loop engine: an op that cannot finish on the fast path waits for
// readiness through one libuv uv_poll_t per socket, its PollWatch
// (poll_watch.h: both directions share it, kept armed while ops wait). When the event
// loop reports the fd ready and the op's deadline has not passed, the JS
// thread claims the op, makes the non-blocking call with the socket's mutex
// held and settles it at once (no thread hop). The env's DeadlineThread
// decides every op still waiting at its deadline; an op queued behind one it
// decided is handed back to the JS thread, where it starts and waits on the
// loop like any other (no owned thread per queued op). An op that needs more
// than one syscall (a write bigger than the send buffer's free room, an
// exact read longer than what is queued) goes on to an owned thread of the
// lane runner (lane_runner.h) in timer mode kPoll (ppoll), so a stalled
// event loop never stops a transfer the peer keeps up with.
#pragma once

#include <uv.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "deadline_thread.h"
#include "engine.h"
#include "lane_runner.h"
#include "poll_watch.h"

namespace kts {

class LoopEngine : public Engine {
 public:
  // settle_now(owner, op): on the JS thread, from an event-loop callback,
  // deliver op to JavaScript now (it may call into JavaScript). Ops decided
  // elsewhere go to sink (any thread). runner runs the ops that continue
  // on an owned thread.
  using SettleNow = void (*)(void* owner, Op* op);
  LoopEngine(uv_loop_t* loop, CompletionSink* sink, SettleNow settle_now, void* owner, LaneRunner* runner);
  ~LoopEngine() override;

  SubmitResult Submit(Op* op) override;
  CancelResult Cancel(Op* op) override;
  // uv_close first, close(2) in its callback (closing an fd libuv still
  // polls makes libuv abort): the fd is never closed at once while a
  // watcher exists.
  bool Close(Handle& h) override;
  bool Retime(Handle& h, Direction dir, int64_t deadline_ns) override;
  void SetRef(Handle& h, bool ref) override;
  void Delivered(Op* op) override;
  void Shutdown() override;
  size_t threads() override { return deadline_.running() ? 1 : 0; }
  // Entries in the deadline thread's heap (a test's view of its bound).
  size_t deadline_entries() { return deadline_.entries(); }
  // The opt-in real-time priority of the deadline thread
  // (DeadlineThread::StartRealtime): 0 or an errno.
  int StartDeadlineRealtime(int priority) { return deadline_.StartRealtime(priority); }

  // Makes a freshly created listener non-blocking (the loop accepts
  // without waiting, then waits for readiness).
  int PrepareListener(int fd) override;

 private:
  // op holds its lane (kRunning): attempt it, then wait, continue on a
  // thread, or finish. Returns true when it finished (outcome in op).
  bool Start(Op* op);
  // Whether Submit may make op's first attempt itself, with the socket's
  // mutex held (held): a read with nothing stashed, or a small write.
  bool CanTryLocked(const Op& op) const;
  // Whether read op's first non-blocking recv would almost surely find
  // nothing (PollWatch::read_waited): it then waits for readiness at once,
  // with no EAGAIN probe. Notes op (a read or a write) for later reads.
  static bool ProbeWouldFail(const Op& op);
  // op's attempt did not finish it: wait, continue on a thread, or fail
  // (then true, outcome in op).
  bool AfterAttempt(Op* op);
  // Whether op, not finished by a non-blocking attempt, continues on an
  // owned thread rather than waiting for readiness.
  static bool NeedsThread(const Op& op);
  bool Wait(Op* op);
  PollWatch* WatchOf(const std::shared_ptr<Handle>& handle);
  static void OnPoll(void* self, PollWatch* w, int status, int events);
  void OnReady(PollWatch* w, int status, int events);
  // Finishes op (decided on this thread) and starts what was queued behind
  // it; deliver_now: settle through settle_now, else through the sink.
  void FinishHere(Op* op, bool deliver_now);
  void Fail(Op* op, int err, const char* call);
  // The deadline thread decided an op with next queued behind it: next
  // (kRunning, its lane held) is kept for the JS thread, which the decided
  // op's delivery wakes (Delivered).
  void HandOff(Op* next);
  // JS thread: starts the ops handed over, each on the loop's path.
  void StartHandedOff();
  std::vector<Op*> TakeHandedOff();
  static bool SkipReadAttempt();

  uv_loop_t* loop_;
  CompletionSink* sink_;
  SettleNow settle_now_;
  void* owner_;
  LaneRunner* runner_;
  DeadlineThread deadline_;
  PollWatchList open_;  // every watcher not yet closed (Handle::poll_watch finds one); JS thread only
  std::mutex handoff_mu_;
  std::vector<Op*> handed_off_;              // under handoff_mu_
  std::atomic<bool> any_handed_off_{false};  // set with handed_off_ non-empty
  int closing_ = 0;                          // watchers whose uv_close callback has not run
  bool shut_down_ = false;
  const bool skip_read_attempt_;  // the test hook of SkipReadAttempt
};

}  // namespace kts
