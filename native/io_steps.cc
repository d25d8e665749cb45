// The single syscalls of io_steps.h.
#include "io_steps.h"

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "clock.h"
#include "engine.h"
#include "handle.h"
#include "io.h"
#include "platform.h"
#include "scratch.h"

namespace kts {

namespace {

// Busy-poll state of BusyPollRead (below): one poller at a time, and the
// window (SetBusyPollMicros).
std::atomic<int> g_busy_pollers{0};
std::atomic<int64_t> g_busy_poll_ns{50 * 1000};

}  // namespace

// Time left before op's deadline, in ns: -1 for "no deadline", 0 for
// "expired" (never passed to the kernel), otherwise > 0.
int64_t Remaining(const Op& op) {
  if (op.cut_short.load(std::memory_order_relaxed)) return 0;
  int64_t deadline = EffectiveDeadline(op);
  if (deadline == 0) return -1;
  int64_t left = deadline - MonoNowNs();
  return left > 0 ? left : 0;
}

// Puts the remaining time into SO_RCVTIMEO/SO_SNDTIMEO, rounded up to the
// microsecond so it is never zero; *cache skips the call when unchanged.
bool SetTimeo(int fd, int opt, int64_t left_ns, int64_t* cache) {
  int64_t us = TimeoUs(left_ns);
  if (*cache == us) return true;
  timeval tv = TimevalFromUs(us);
  if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) < 0) return false;
  *cache = us;
  return true;
}

bool ArmTimeo(Op& op, Handle& h, int fd, uint64_t gen, int64_t left_ns, bool* failed) {
  Direction dir = DirectionOf(op.kind);
  int opt = dir == Direction::kRead ? SO_RCVTIMEO : SO_SNDTIMEO;
  Lane& lane = h.lane(dir);
  if (lane.timeo_gen != gen) {
    lane.timeo_us = -1;
    lane.timeo_gen = gen;
  }
  *failed = !SetTimeo(fd, opt, left_ns, &lane.timeo_us);
  if (*failed) {
    op.Fail(OpStatus::kError, errno, "setsockopt");
    return false;
  }
  return h.deadline_gen[static_cast<int>(dir)].load() == gen;
}

uint64_t DeadlineGen(const Op& op, const Handle& h) {
  return h.deadline_gen[static_cast<int>(DirectionOf(op.kind))].load();
}

bool IsWouldBlock(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

namespace {

// Bytes queued in fd's receive queue now (FIONREAD), 0 when unknown.
size_t Queued(int fd) {
  int n = 0;
  if (ioctl(fd, FIONREAD, &n) < 0 || n < 0) return 0;
  return static_cast<size_t>(n);
}

// How much buffer a read with nothing in it starts with: what is queued,
// at least a scratch's worth, never more than the read's size.
size_t FirstRoom(const Op& op, int fd) {
  size_t want = op.size - op.done;
  if (want <= kScratchBytes) return want;
  return std::min(want, std::max(kScratchBytes, Queued(fd)));
}

// Makes room after op.done for the next recv: a first buffer sized to what
// is queued, then doubling (an exact read's bytes arrive over many calls).
// False (op failed with ENOMEM) when memory ran out.
bool GrowRead(Op& op, int fd) {
  size_t have = op.data.size();
  size_t want = have == 0 ? op.done + FirstRoom(op, fd) : std::max(have * 2, op.done + Queued(fd));
  if (want > op.size) want = op.size;
  if (op.data.resize(want)) return true;
  op.Fail(OpStatus::kError, ENOMEM, "recv");
  return false;
}

}  // namespace

// A read's buffer grows as bytes arrive (GrowRead), so a pending read of
// 64 MiB holds no 64 MiB. A fresh plain read whose first recv fits the
// scratch (scratch.h) borrows it: a pending one then holds no buffer of its
// own.
void PrepareReadBuffer(Op& op, uint8_t* scratch, int fd) {
  if (op.data.size() > op.done) return;
  if (scratch != nullptr && !op.exact && op.done == 0 && op.data.size() == 0) {
    size_t room = FirstRoom(op, fd);
    if (room <= kScratchBytes) op.data.Borrow(scratch, room);
  }
}

void KeepReadBytes(Op& op) {
  if (!op.data.borrowed() || op.data.Own(op.done)) return;
  op.data.Clear();  // the bytes cannot be kept: the read fails instead
  op.done = 0;
  op.Fail(OpStatus::kError, ENOMEM, "recv");
}

// One recv; returns true when the op is finished.
bool ReadStep(Op& op, int fd, int flags, bool* would_block) {
  if (op.data.size() <= op.done && !GrowRead(op, fd)) return true;
  ssize_t n = recv(fd, op.data.data() + op.done, op.data.size() - op.done, flags);
  if (n > 0) {
    op.done += static_cast<size_t>(n);
    if (!op.exact || op.done == op.size) {
      op.status = OpStatus::kOk;
      return true;
    }
    return false;
  }
  if (n == 0) {
    op.Fail(OpStatus::kEof, 0, "recv");
    return true;
  }
  if (errno == EINTR) return false;
  if (IsWouldBlock(errno)) {
    *would_block = true;
    return false;
  }
  op.Fail(OpStatus::kError, errno, "recv");
  return true;
}

// One send of what is left; returns true when the op is finished.
bool WriteStep(Op& op, int fd, int flags, const uint8_t* base, size_t len, size_t* off, bool* would_block) {
  ssize_t n = send(fd, base + *off, len - *off, flags | platform::SendFlags());
  if (n >= 0) {
    *off += static_cast<size_t>(n);
    op.done += static_cast<size_t>(n);
    if (*off == len) {
      op.status = OpStatus::kOk;
      return true;
    }
    return false;
  }
  if (errno == EINTR) return false;
  if (IsWouldBlock(errno)) {
    *would_block = true;
    return false;
  }
  op.Fail(OpStatus::kError, errno, "send");
  return true;
}

bool ConnectResult(Op& op, int fd) {
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
    op.Fail(OpStatus::kError, errno, "getsockopt");
  } else if (soerr != 0) {
    op.Fail(OpStatus::kError, soerr, "connect");
  } else if (platform::SetNonBlocking(fd, false) < 0) {
    op.Fail(OpStatus::kError, errno, "fcntl");
  } else {
    op.status = OpStatus::kOk;
  }
  return true;
}

void AcceptOne(Op& op, int fd, bool* would_block) {
  SocketAddress& peer = *op.address;
  peer.len = sizeof peer.ss;
  int cfd = platform::AcceptSocket(fd, reinterpret_cast<sockaddr*>(&peer.ss), &peer.len);
  if (cfd >= 0) {
    op.accepted_fd = cfd;
    op.status = OpStatus::kOk;
    return;
  }
  if (errno == EINTR || errno == ECONNABORTED) return;  // try again
  if (IsWouldBlock(errno)) {
    *would_block = true;
    return;
  }
  op.Fail(OpStatus::kError, errno, "accept");
}

bool Finished(const Op& op) { return op.status != OpStatus::kOk || op.accepted_fd >= 0; }

void TimedOut(Op& op, int err, const char* call) { op.Fail(OpStatus::kTimeout, err, call); }

void SetBusyPollMicros(int us) { g_busy_poll_ns.store(static_cast<int64_t>(us) * 1000); }

// Before a read sleeps in the kernel, one thread at a time looks for its
// bytes for a few microseconds without waiting: a reply often arrives that
// soon, and a sleeping thread costs a wake-up (slow on an idle VM's halted
// vCPU). Each look is an atomic MSG_DONTWAIT recv and the looking stops at
// the deadline, so the kernel's verdict stays the only verdict.
bool BusyPollRead(Op& op, int fd) {
  int64_t window = g_busy_poll_ns.load(std::memory_order_relaxed);
  if (window <= 0) return false;
  if (g_busy_pollers.fetch_add(1, std::memory_order_acq_rel) != 0) {
    g_busy_pollers.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  int64_t until = MonoNowNs() + window;
  int64_t deadline = EffectiveDeadline(op);
  if (deadline != 0 && deadline < until) until = deadline;
  bool finished = false;
  while (!finished && MonoNowNs() < until) {
    bool would_block = false;
    finished = ReadStep(op, fd, MSG_DONTWAIT, &would_block);
    if (!finished && would_block) sched_yield();
  }
  g_busy_pollers.fetch_sub(1, std::memory_order_acq_rel);
  return finished;
}

}  // namespace kts
