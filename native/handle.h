// A socket fd shared by the JS thread and owned threads, with the close gate
// of docs/kernel-facts.md, "Waking a blocked call" (Go's fdMutex model):
// every syscall runs between Acquire and Release; close marks the handle
// closing so no new syscall starts, wakes blocked ones, and the last
// reference out performs the single close(2), so a pending call can never
// land on a new socket that reused the number.
#pragma once

#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "op.h"

namespace kts {

class Handle;
class Engine;
class PollWatch;

// The live handles of one env, so teardown can close them all.
class HandleRegistry {
 public:
  // sink (may be null) hears FdClosed for every handle of the registry.
  explicit HandleRegistry(CompletionSink* sink = nullptr) : sink_(sink) {}
  void Add(Handle* h);
  void Remove(Handle* h);
  // Called, on whichever thread closed it, once h's fd is closed.
  void FdClosed(Handle* h) {
    if (sink_ != nullptr) sink_->FdClosed(h);
  }
  // Calls fn on every live handle with the registry locked.
  template <typename Fn>
  void ForEach(Fn fn) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Handle* h : live_) fn(h);
  }

 private:
  CompletionSink* const sink_;
  std::mutex mu_;
  std::unordered_set<Handle*> live_;
};

// Which lane an op runs in: reads and accepts, or writes, end and connect.
enum class Direction : uint8_t { kRead = 0, kWrite = 1 };

inline Direction DirectionOf(OpKind kind) {
  return kind == OpKind::kRead || kind == OpKind::kAccept ? Direction::kRead : Direction::kWrite;
}

// Operations of one direction run one at a time, in call order.
struct Lane {
  // The op holding the lane (running, waiting or being decided), or null
  // when the lane is free. Under mu.
  Op* head = nullptr;
  // Ops waiting behind the head. A list, not a deque: an empty
  // libstdc++ deque allocates ~576 B at construction, and every socket has
  // two lanes and a stash, nearly always empty (a waiting op costs a node).
  std::list<Op*> queue;
  // The op a lane runner (lane_runner.h) is running on an owned thread, and
  // that thread, between its Acquire and Release (so the thread cannot have
  // exited, nor the fd closed, while a Retime or an abort holds mu and
  // signals it). Under mu.
  Op* running = nullptr;
  pthread_t runner{};

  // The kernel timeout (SO_RCVTIMEO for the read lane, SO_SNDTIMEO for the
  // write lane) last set on the fd, in microseconds (-1: unknown), and the
  // Handle::deadline_gen it was last valid for (Retime sets the kernel's
  // timeout behind the cache's back). Touched only by the lane's holder.
  int64_t timeo_us = -1;
  uint64_t timeo_gen = 0;
};

struct StashedConnection {
  int fd;
  sockaddr_storage peer;
  socklen_t peer_len;
};

class Handle {
 public:
  Handle(int fd, bool listener, std::shared_ptr<HandleRegistry> registry);
  ~Handle();
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  // The fd for one syscall, or -1 once closing has begun.
  int Acquire();
  // Ends the syscall begun by Acquire; the last one out after close closes.
  void Release();

  // Begins closing (idempotent). Moves the ops still queued in both lanes to
  // *unstarted* (the caller settles them), wakes blocked calls, and closes
  // the fd at once when no syscall holds it. Returns true on the first call.
  // polled: libuv watches the fd (the loop engine's PollWatch), so the
  // wake-up must not dup2 over it (platform.h WakeBlocked).
  bool BeginClose(std::vector<Op*>* unstarted, bool polled = false);

  bool closing() const { return closing_; }      // under mu
  bool fd_closed() const { return fd_closed_; }  // under mu
  int fd_for_diagnostics() const { return fd_; }
  // The fd, valid while mu is held and closing() is false; -1 once closed.
  int fd_locked() const { return fd_closed_ ? -1 : fd_; }

  // The engine that runs this handle's ops, fixed at creation (engine.h).
  Engine* engine = nullptr;

  std::mutex mu;
  Lane read_lane;   // reads and accepts
  Lane write_lane;  // writes, end and connect
  Lane& lane(Direction dir) { return dir == Direction::kRead ? read_lane : write_lane; }

  // Bytes taken from the kernel for an op that could not deliver them (an
  // aborted read, a timed-out exact read): the next read gets them first.
  std::vector<uint8_t> stash;  // under mu
  // Connections accepted for an aborted accept: the next accept gets them.
  std::list<StashedConnection> stashed_connections;  // under mu (a list: see Lane::queue)

  // SetRef(false) was called (net.Socket's unref()): the loop engine's
  // watcher of this socket does not keep the event loop alive. JS thread only.
  // Loop-engine state kept here, not in the engine: SetRef may come before
  // the engine has a watcher (PollWatch, opened at the first op that waits)
  // to hold it; a side table keyed by Handle* would need an erase on every
  // path that ends a handle (a missed one hands a stale flag to the next
  // handle at that address), and opening the watcher early would change how
  // close wakes blocked calls (BeginClose's polled).
  bool unref = false;

  // The loop engine's watcher of this socket (poll_watch.h), from the first
  // op that waits until Close: every wait and delivery finds it here, with
  // no lookup. JS thread only.
  PollWatch* poll_watch = nullptr;

  // The socket-wide deadline of each direction (setReadDeadline, setWriteDeadline,
  // setAcceptDeadline), CLOCK_MONOTONIC ns, 0 = none. It applies to pending ops too.
  std::atomic<int64_t> deadline_ns[2] = {{0}, {0}};
  // Bumped by every change of deadline_ns[dir], after the store: a thread
  // that read generation g before computing its wait and still reads g after
  // arming the kernel's timeout knows no change slipped between (wake.h).
  std::atomic<uint64_t> deadline_gen[2] = {{0}, {0}};

  // The fd while a reference is held (Acquire), for Retime.
  int fd_held() const { return fd_; }

 private:
  void CloseFdLocked(int* to_close);

  const int fd_;
  const bool listener_;
  int refs_ = 0;
  bool closing_ = false;
  bool fd_closed_ = false;
  std::shared_ptr<HandleRegistry> registry_;
};

}  // namespace kts
