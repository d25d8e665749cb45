// Waking an owned thread blocked in recv/send/accept/ppoll when its op's
// deadline moves (Engine::Retime), without closing or shutting down the
// socket: a dedicated signal with a no-op handler installed without
// SA_RESTART, unblocked only on owned threads and sent with pthread_kill to
// the one thread running the op. The blocked call returns EINTR and the
// thread recomputes its time left from the new deadline.
//
// Lost wake-ups are closed by ordering, not by luck:
// - sockopt waits: the waiter reads deadline_gen g, computes the time left,
//   sets SO_RCVTIMEO/SO_SNDTIMEO, re-reads the generation and only calls the
//   kernel if it is still g. The waker stores the deadline, bumps the
//   generation, sets the kernel timeout itself to the new time left, then
//   signals. A call entered after the waker's setsockopt waits the new time;
//   one entered before it gets the signal (EINTR).
// - poll waits: the wait runs with the signal blocked (WaitScope) and ppoll
//   unblocks it atomically, so a signal sent after the time left was
//   computed is pending and ends the ppoll at once. Where ppoll is missing
//   (-DKTS_PORTABLE, macOS) poll(2) is used and a wake-up landing between the
//   computation and the poll is missed until that wait ends (documented gap).
#pragma once

#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <cstdint>

namespace kts {
namespace wake {

// The wake-up signal, installed on first use (thread-safe): the first of
// SIGRTMIN+3 .. SIGRTMAX-1 (Linux) or SIGUSR2 (elsewhere) that nobody
// handles or ignores. 0 when none is free: then deadline changes still reach
// every call that starts later, but not one already blocked.
int Signal();

// Sends the wake-up signal to t (a thread that blocks every other async
// signal). Returns 0 or an errno. Another library may later set SIG_IGN or
// SIG_DFL on the signal (the signal would then be lost, or kill the
// process), so each send first checks the disposition with sigaction; on a
// change it puts the no-op handler back before sending (a call already
// blocked is still woken) and marks the signal unreliable (Slice).
int Thread(pthread_t t);

// The longest an owned thread waits in one kernel call before it looks at
// its deadline again: left_ns itself (-1: no limit) until the signal's
// disposition was once found changed; from then on at most 50 ms, so a
// deadline move reaches the wait even if the disposition changes again
// between a check and a send.
int64_t Slice(int64_t left_ns);

// Blocks the wake-up signal on this thread for its lifetime, so a poll wait
// can compute its timeout and then unblock the signal atomically in ppoll.
class WaitScope {
 public:
  WaitScope();
  ~WaitScope();
  WaitScope(const WaitScope&) = delete;
  WaitScope& operator=(const WaitScope&) = delete;
  // poll/ppoll on one fd for at most timeout_ns (-1: no limit) with the
  // signal unblocked during the wait only. Returns as poll does.
  int Poll(pollfd* p, int64_t timeout_ns);

 private:
  sigset_t before_;  // this thread's mask before the scope
  sigset_t during_;  // the same with the signal unblocked, for ppoll
  bool blocked_ = false;
};

}  // namespace wake
}  // namespace kts
