// A deadline thread: each engine of an env has one, started on first use,
// holding in a min-heap the deadline of every op it watches: on the loop
// engine every op that waits for readiness on the event loop, and on both
// engines every op queued behind another of its lane (queue_watch.h). At a
// deadline it claims the op if nobody has (ClaimAtDeadline, claim.h: bytes
// that came in time win, else the kernel's EAGAIN is the timeout; a queued
// op by the rule of queue_watch.h) and hands it to the sink. Entries of ops decided elsewhere stay until
// their time or until they dominate the heap (then it is compacted). Plain C++ (no libuv, no N-API), so the
// sanitizer tests drive it.
//
// Why a condition variable and not ppoll/epoll_pwait2: their timeouts carry
// 0.1 % timer slack (2 ms at 2 s); a condition-variable wait on
// CLOCK_MONOTONIC carries only the thread's 50 µs.
#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "claim.h"
#include "op.h"

namespace kts {

class DeadlineThread {
 public:
  // sink receives every op this thread decides. next_in_lane takes the op
  // that was queued behind a decided one (already kRunning, its lane held)
  // and starts it elsewhere; it is called before the decided op goes to the
  // sink, so whoever receives that one finds the next already handed over.
  // It may be empty for an engine whose ops never wait on the event loop
  // (only those, when decided, can have a next).
  DeadlineThread(CompletionSink* sink, std::function<void(Op*)> next_in_lane);
  ~DeadlineThread();

  // Looks at w at time at (CLOCK_MONOTONIC ns, > 0): if its op is still
  // unclaimed then and its effective deadline (engine.h) has passed, decides
  // it; a deadline moved later is looked at again then. A waiter has one
  // live entry: a later time than its queued one adds nothing (that entry
  // looks again then), an earlier one supersedes it. So moving a deadline a
  // million times does not grow the heap. Any thread. Starts the thread on
  // first use: returns 0 or the errno of pthread_create.
  // A waiter is reused (the loop engine's one per watched socket and
  // direction: poll_watch.h): an op claimed elsewhere leaves its entry in
  // place for the next op stored into it, so steady traffic with a fixed
  // timeout pushes nothing here.
  int Add(const std::shared_ptr<Waiter>& w, int64_t at);

  // An entry will never serve an op again (a queued op's watch, gone):
  // counts toward compaction, so such entries do not pile up until their
  // times.
  void NoteStale();

  // Opt-in (KTS_DEADLINE_PRIORITY, lib/deadline-priority.ts): puts the
  // thread under SCHED_FIFO at priority (1..platform::RealtimePriorityMax()),
  // starting it now if it has not started. A new thread applies it to itself
  // before it requests its short slice (which it then leaves be) and before
  // its first wait; a running one is changed from here. Returns 0, ESHUTDOWN
  // after Stop, the errno of pthread_create, or that of pthread_setschedparam
  // (EPERM without the privilege, ENOTSUP off Linux), in which case the
  // thread runs exactly as it would have without the request. Any thread;
  // waits for a new thread to apply it (microseconds).
  int StartRealtime(int priority);

  // w will never be given an op again (its socket's watcher closed): clears
  // its op and drops its Handle (under handle_mu), so an entry that still
  // holds w until its time keeps no closed socket alive, and counts that
  // entry as stale.
  void Retire(Waiter& w);

  // Stops and joins the thread; entries left are dropped unclaimed.
  void Stop();

  bool running();
  size_t entries();
  size_t compactions();

 private:
  // An entry shares ownership of its waiter rather than pointing at one its
  // watcher owns: Run looks at a popped entry's waiter without mu_ held
  // (Expire), so a watcher closing meanwhile could not free it; a retired
  // waiter costs its ~100 bytes until its entry's time or a compaction.
  struct Entry {
    int64_t at;
    std::shared_ptr<Waiter> w;
    uint64_t gen;  // live while it equals w->entry_gen
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.at > b.at; }
  };
  // Starts the thread (under mu_). Returns 0 or the errno of pthread_create.
  int StartLocked();
  static void* Main(void* self);
  void Run();
  // Takes every entry due at `now` (live ones only) into *due, under mu_.
  void TakeDueLocked(int64_t now, std::vector<Entry>* due);
  // Returns true when w is done with (decided: appended to *decided, or
  // stale); false to look again at *again_at.
  bool Expire(Waiter& w, int64_t now, int64_t* again_at, std::vector<Op*>* decided);
  void CompactLocked();

  CompletionSink* const sink_;
  std::function<void(Op*)> next_in_lane_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> heap_;  // under mu_
  std::atomic<size_t> stale_{0};
  size_t compactions_ = 0;            // under mu_
  bool stop_ = false;                 // under mu_
  bool started_ = false;              // under mu_
  int priority_ = 0;                  // under mu_: what a new thread applies to itself (0: nothing)
  int priority_err_ = 0;              // under mu_: what applying it returned
  bool ready_ = false;                // under mu_: the thread has made its scheduling requests
  std::condition_variable ready_cv_;  // ready_ became true
  pthread_t thread_{};
};

}  // namespace kts
