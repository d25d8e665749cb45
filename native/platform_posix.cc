// POSIX implementation of platform.h, choosing by feature macro first and by
// OS only where the behaviour differs in kind (libuv's uv__socket does the
// same). -DKTS_PORTABLE forces the paths macOS takes, so Linux builds and
// tests them too.
#include "platform.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <ctime>

#if defined(__linux__) && !defined(KTS_PORTABLE)
#define KTS_LINUX_PATHS 1
#else
#define KTS_LINUX_PATHS 0
#endif

#if KTS_LINUX_PATHS
#include <sched.h>
#include <sys/syscall.h>
#endif

namespace kts {
namespace platform {

namespace {

[[maybe_unused]] int SetCloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return -1;
  return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

int NoSigpipe(int fd) {
#ifdef SO_NOSIGPIPE
  int one = 1;
  return setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#else
  (void)fd;
  return 0;
#endif
}

int CloseKeepErrno(int fd) {
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

}  // namespace

int OpenSocket(int family) {
#if KTS_LINUX_PATHS && defined(SOCK_CLOEXEC)
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
#else
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (SetCloexec(fd) < 0) return CloseKeepErrno(fd);
#endif
  if (NoSigpipe(fd) < 0) return CloseKeepErrno(fd);
  return fd;
}

int AcceptSocket(int listen_fd, sockaddr* addr, socklen_t* len) {
#if KTS_LINUX_PATHS && defined(SOCK_CLOEXEC)
  return accept4(listen_fd, addr, len, SOCK_CLOEXEC);
#else
  int fd = accept(listen_fd, addr, len);
  if (fd < 0) return -1;
  // BSD accept inherits O_NONBLOCK from the listener; ours must block.
  if (SetCloexec(fd) < 0 || SetNonBlocking(fd, false) < 0 || NoSigpipe(fd) < 0) return CloseKeepErrno(fd);
  return fd;
#endif
}

int SendFlags() {
#ifdef MSG_NOSIGNAL
  return MSG_NOSIGNAL;
#else
  return 0;
#endif
}

bool AcceptHonoursRcvTimeout() { return KTS_LINUX_PATHS; }

int PrepareListener(int fd) {
  if (AcceptHonoursRcvTimeout()) return 0;
  return SetNonBlocking(fd, true);
}

#if KTS_LINUX_PATHS
// SO_LINGER on with 0 s: the user asked for an abortive close (RST).
bool AbortiveLinger(int fd) {
  linger l{};
  socklen_t len = sizeof l;
  return getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 && l.l_onoff && l.l_linger == 0;
}
#endif

void WakeBlocked(int fd, bool listener, bool polled) {
#if KTS_LINUX_PATHS
  if (!listener && AbortiveLinger(fd)) {
    // shutdown(2) would send FIN before close's RST and the peer would read
    // end of stream. A TCP disconnect (connect to AF_UNSPEC) sends the RST
    // now and wakes every blocked call; elsewhere (Unix) it fails: shutdown.
    sockaddr sa{};
    sa.sa_family = AF_UNSPEC;
    if (connect(fd, &sa, sizeof sa) == 0) return;
  }
  (void)polled;
  shutdown(fd, SHUT_RDWR);
#else
  // Portable path. Blocked calls here wait in poll(2) (accept, connect) or in
  // recv/send. shutdown(2) wakes them on Linux and on a connected macOS
  // socket; on a macOS listener it fails with ENOTCONN and wakes nothing, so
  // also replace the fd with a dead socket: XNU's dup2 wakes the blocked call
  // and makes later ones fail. The fd number stays ours until the last
  // reference closes it.
  (void)listener;
  shutdown(fd, SHUT_RDWR);
  // Not on a polled fd: on a macOS listener, an accept the loop engine
  // handed to an owned thread is then not woken by close (a known gap).
  if (polled) return;
  int dead = socket(AF_UNIX, SOCK_STREAM, 0);
  if (dead >= 0) {
    if (dup2(dead, fd) >= 0) SetCloexec(fd);  // dup2 clears FD_CLOEXEC
    close(dead);
  }
#endif
}

int SetNonBlocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -1;
  int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want == flags) return 0;
  return fcntl(fd, F_SETFL, want);
}

#if KTS_LINUX_PATHS
int PollFor(pollfd* p, int64_t timeout_ns, const sigset_t* mask) {
  if (timeout_ns < 0) return ppoll(p, 1, nullptr, mask);
  // int64 ns is at most ~292 years, within a 64-bit time_t; a 32-bit one
  // is clamped to ~68 years.
  int64_t sec = timeout_ns / 1000000000;
  if (sizeof(time_t) < 8 && sec > INT32_MAX) sec = INT32_MAX;
  timespec ts{static_cast<time_t>(sec), static_cast<long>(timeout_ns % 1000000000)};
  return ppoll(p, 1, &ts, mask);
}

bool PollTakesSignalMask() { return true; }

const char* PollTimerName() { return "ppoll"; }
#else
int PollFor(pollfd* p, int64_t timeout_ns, const sigset_t* mask) {
  (void)mask;  // poll(2) has no atomic mask: see wake.h
  if (timeout_ns < 0) return poll(p, 1, -1);
  int64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0);  // up, without overflow
  return poll(p, 1, ms > INT_MAX ? INT_MAX : static_cast<int>(ms));
}

bool PollTakesSignalMask() { return false; }

const char* PollTimerName() { return "poll"; }
#endif

int RequestShortSlice(int64_t slice_ns) {
#if KTS_LINUX_PATHS && defined(SYS_sched_setattr) && defined(SYS_sched_getattr)
  // struct sched_attr, its first version (include/uapi/linux/sched/types.h):
  // glibc wraps these calls only from 2.41.
  struct {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
  } attr{};
  // Policy, nice and flags stay as they are (a lower nice would need
  // privilege): only the requested slice changes. Kernels before 6.12 read
  // sched_runtime for SCHED_DEADLINE only and ignore it here.
  if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0) return errno;
  if (attr.sched_policy != SCHED_OTHER) return EPERM;  // real-time or idle: leave it be
  attr.size = sizeof attr;
  attr.sched_runtime = static_cast<uint64_t>(slice_ns);
  if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) return errno;
  return 0;
#else
  (void)slice_ns;
  return ENOSYS;
#endif
}

int RealtimePriorityMax() {
#if KTS_LINUX_PATHS
  int max = sched_get_priority_max(SCHED_FIFO);
  return max > 0 ? max : 0;
#else
  return 0;
#endif
}

int SetRealtimePriority(pthread_t thread, int priority) {
#if KTS_LINUX_PATHS
  if (priority < 1 || priority > RealtimePriorityMax()) return EINVAL;
  sched_param param{};
  param.sched_priority = priority;
  return pthread_setschedparam(thread, SCHED_FIFO, &param);
#else
  (void)thread;
  (void)priority;
  return ENOTSUP;
#endif
}

int NameThisThread(const char* name) {
#if defined(__linux__)
  return pthread_setname_np(pthread_self(), name);
#elif defined(__APPLE__)
  return pthread_setname_np(name);  // names the calling thread only
#else
  (void)name;
  return ENOSYS;
#endif
}

}  // namespace platform
}  // namespace kts
