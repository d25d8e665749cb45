// The private per-OS contract for the socket calls whose behaviour differs
// between Linux and macOS: close-on-exec at birth, SIGPIPE, accept and
// whether it honours SO_RCVTIMEO, waking a blocked call, the poll timer
// (docs/kernel-facts.md); and the deadline thread's scheduling (a hint, and
// the opt-in real-time priority).
// platform_posix.cc implements them with feature macros, so building with -DKTS_PORTABLE on Linux exercises
// the paths a Mac takes; the op driver (driver.cc) asks AcceptHonoursRcvTimeout() and waits in poll(2) when
// not. The TCP details each OS names differently (TCP_INFO or TCP_CONNECTION_INFO, TCP_USER_TIMEOUT or
// TCP_RXT_CONNDROPTIME, keepalive options) live in tcp_info.cc and tcp_options.cc, behind their own #ifs.
#pragma once
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdint>

namespace kts {
namespace platform {

// socket(2) with close-on-exec from birth and SIGPIPE suppressed where the
// OS needs a socket option for it. Returns the fd, or -1 with errno set.
int OpenSocket(int family);

// accept(2) of one connection as a blocking, close-on-exec fd.
// Returns the fd, or -1 with errno set (EAGAIN when none is queued and the
// listener is non-blocking or its SO_RCVTIMEO expired).
int AcceptSocket(int listen_fd, sockaddr* addr, socklen_t* len);

// Flags for every send(2): MSG_NOSIGNAL where it exists.
int SendFlags();

// True when a blocking accept(2) honours SO_RCVTIMEO (Linux). Elsewhere the
// listener is kept non-blocking and accept waits in poll(2).
bool AcceptHonoursRcvTimeout();

// Prepare a freshly bound listener for AcceptSocket (non-blocking where
// accept must wait in poll). Returns 0 or -1 with errno set.
int PrepareListener(int fd);

// Wake every thread blocked on fd so it returns promptly; called by close
// with the fd still open (a reference is held). Linux: shutdown(2), which
// persists, so a call that starts later returns at once too. macOS: dup2(2)
// of a dead socket over the fd, which wakes calls and makes later ones fail.
// polled: libuv watches fd (the loop engine): never replace it with dup2,
// which makes libuv's epoll/kqueue bookkeeping fail (loop_engine.h).
void WakeBlocked(int fd, bool listener, bool polled);

// Set O_NONBLOCK on or off. Returns 0 or -1 with errno set.
int SetNonBlocking(int fd, bool on);

// poll(2) on one fd for at most timeout_ns (-1: no limit) on the finest
// timer the OS offers: ppoll(2)'s nanoseconds on Linux, poll(2)'s whole
// milliseconds rounded up elsewhere (so it never returns before the time).
// With a mask, ppoll waits with that signal mask, set atomically (wake.h);
// poll(2) cannot, and ignores it. Timeouts past what the call can take are
// clamped (a wait that ends early is re-armed by its caller's loop).
// Returns as poll does: > 0 ready, 0 timed out, -1 with errno set.
int PollFor(pollfd* p, int64_t timeout_ns, const sigset_t* mask = nullptr);

// True when PollFor honours its signal mask (ppoll), so a wake-up signal
// can stay blocked until the wait begins (wake.h).
bool PollTakesSignalMask();

// "ppoll" or "poll": which of them PollFor uses, for capability reports.
const char* PollTimerName();

// Asks the scheduler to let the calling thread, which runs briefly when it
// wakes, preempt a CPU-bound thread on wake-up instead of waiting for that
// thread's slice to end: on Linux >= 6.12 (EEVDF) a short requested slice
// (sched_setattr's sched_runtime for SCHED_OTHER: same policy, same nice,
// no privilege). Returns 0, or an errno (ENOSYS where there is no such
// request); the thread then runs as before.
int RequestShortSlice(int64_t slice_ns);

// The highest real-time priority SetRealtimePriority takes (the lowest is
// 1): sched_get_priority_max(SCHED_FIFO) on Linux (99); 0 where the package
// offers none. macOS's libpthread maps SCHED_FIFO onto Mach's legacy
// thread_policy(POLICY_FIFO), a fixed priority that is not its real-time
// class (THREAD_TIME_CONSTRAINT_POLICY, a period/computation contract), so
// the package does not offer it there.
int RealtimePriorityMax();

// Puts thread under SCHED_FIFO at priority (1..RealtimePriorityMax()):
// pthread_setschedparam. Returns 0 or its errno: EPERM without
// CAP_SYS_NICE and above RLIMIT_RTPRIO, ENOTSUP where RealtimePriorityMax()
// is 0. The thread keeps its policy when it fails.
int SetRealtimePriority(pthread_t thread, int priority);

// Names the calling thread (at most 15 characters) where the OS keeps thread
// names: what top -H, perf and /proc/PID/task/TID/comm show. Returns 0 or an
// errno (ENOSYS where there are none).
int NameThisThread(const char* name);

}  // namespace platform
}  // namespace kts
