// One socket operation (read, write, end, accept, connect) as the native
// side sees it: what to do, its deadline, its progress and its outcome.
// Plain C++ with no N-API, so the core can be driven without Node under
// sanitizers. Fields marked "under handle->mu" are touched only with the
// handle's mutex held; the rest belong to whichever thread runs the op (the
// JS thread on the fast path, one owned thread after that), never both.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

namespace kts {

class Handle;
struct Waiter;

enum class OpKind : uint8_t { kRead, kWrite, kEnd, kAccept, kConnect };

// A byte buffer whose resize leaves new bytes uninitialized: a read's
// buffer is filled by recv, so zeroing 64 KiB first would only cost time.
// Allocation never throws: resize, assign and Own return false when memory
// ran out (the buffer unchanged), and the op fails with ENOMEM.
class Bytes {
 public:
  uint8_t* data() { return borrowed_ ? borrowed_ : buf_.get(); }
  const uint8_t* data() const { return borrowed_ ? borrowed_ : buf_.get(); }
  size_t size() const { return size_; }
  uint8_t* begin() { return data(); }
  uint8_t* end() { return data() + size_; }
  bool resize(size_t n) {
    if (n > cap_) {
      std::unique_ptr<uint8_t[]> bigger(new (std::nothrow) uint8_t[n]);
      if (!bigger) return false;
      if (size_ > 0) std::memcpy(bigger.get(), data(), size_);
      buf_ = std::move(bigger);
      borrowed_ = nullptr;
      cap_ = n;
    }
    size_ = n;
    return true;
  }
  // first..last must not lie in this buffer's own storage past size n.
  bool assign(const uint8_t* first, const uint8_t* last) {
    size_t n = static_cast<size_t>(last - first);
    if (n > cap_) {
      std::unique_ptr<uint8_t[]> mine(new (std::nothrow) uint8_t[n]);
      if (!mine) return false;
      std::memcpy(mine.get(), first, n);
      buf_ = std::move(mine);
      borrowed_ = nullptr;
      size_ = cap_ = n;
      return true;
    }
    if (n > 0) std::memmove(data(), first, n);
    size_ = n;
    return true;
  }

  // Uses someone else's n bytes (a scratch buffer) until Own or Clear, so a
  // read that has nothing to return yet holds no memory of its own.
  void Borrow(uint8_t* p, size_t n) {
    buf_.reset();
    borrowed_ = p;
    size_ = cap_ = n;
  }
  bool borrowed() const { return borrowed_ != nullptr; }
  // Keeps the first n bytes in storage of its own, exactly n long.
  bool Own(size_t n) {
    uint8_t* from = data();
    std::unique_ptr<uint8_t[]> mine(n > 0 ? new (std::nothrow) uint8_t[n] : nullptr);
    if (n > 0 && !mine) return false;
    if (n > 0) std::memcpy(mine.get(), from, n);
    borrowed_ = nullptr;
    buf_ = std::move(mine);
    size_ = cap_ = n;
    return true;
  }
  void Clear() {
    buf_.reset();
    borrowed_ = nullptr;
    size_ = cap_ = 0;
  }

 private:
  std::unique_ptr<uint8_t[]> buf_;
  uint8_t* borrowed_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

// Where a connect goes, or whom an accept took a connection from.
struct SocketAddress {
  sockaddr_storage ss{};
  socklen_t len = 0;
};

// The outcome reported to JavaScript (lib/native.ts mirrors these numbers).
enum class OpStatus : uint8_t {
  kOk = 0,         // done: data read, every byte written, accepted, connected
  kEof = 1,        // read met end of stream (data may hold a partial exact read)
  kTimeout = 2,    // the op's own timeout expired (err: the kernel's errno, or 0
                   // when the deadline had passed before any syscall)
  kError = 3,      // err/syscall say what failed
  kClosed = 4,     // close() began before the op finished
  kCancelled = 5,  // removed from its lane's queue by Cancel before it started
};

// kWaiting: the loop engine waits for readiness on the event loop; the JS
// thread (fd ready) or the deadline thread (deadline passed) claims it by
// moving it on under handle->mu, and the claimer alone decides it.
enum class OpState : uint8_t { kNew, kQueued, kRunning, kWaiting, kFinished };

// How an op that must wait is timed on its owned thread (lib/native.ts
// mirrors these numbers). kSockopt: the remaining time goes into
// SO_RCVTIMEO/SO_SNDTIMEO of a blocking call (jiffy-granular on Linux: a
// 1 ms timeout fires ~5 ms late). kPoll: poll(2)/ppoll(2) waits for the
// remaining time on a high-resolution timer, then a non-blocking call does
// the work; SO_RCVTIMEO/SO_SNDTIMEO are still set as a backstop.
enum class TimerMode : uint8_t { kSockopt = 0, kPoll = 1 };

struct Op {
  virtual ~Op();

  OpKind kind = OpKind::kRead;
  std::shared_ptr<Handle> handle;
  int64_t deadline_ns = 0;  // CLOCK_MONOTONIC; 0 = no timeout
  double timeout_ms = 0;    // the timeout in force, for error messages
  TimerMode timer = TimerMode::kSockopt;

  // kRead: up to `size` bytes (all of them when `exact`) into `data`.
  // kWrite: `data` holds what is left to send once the op leaves the JS
  // thread; `wptr`/`wlen` point at the caller's buffer only on the fast path.
  size_t size = 0;
  bool exact = false;
  Bytes data;
  size_t done = 0;  // bytes read, or bytes written (counting the fast path)
  const uint8_t* wptr = nullptr;
  size_t wlen = 0;
  size_t sent = 0;  // kWrite: bytes of the current buffer (wptr, else data) sent

  // kAccept: the new connection.
  int accepted_fd = -1;
  // kAccept: the peer's address; kConnect: the address to connect to. Only
  // those kinds have one (MakeAddress), so a read or write neither
  // allocates nor zeroes its 128-byte storage.
  std::unique_ptr<SocketAddress> address;

  // kConnect: how far the fast path got.
  bool connect_would_block = false;  // Unix backlog full: blocking retry

  // Outcome, and when the thread that ran the last syscall saw it
  // (MonoNowNs: process.hrtime's clock).
  int64_t decided_ns = 0;
  OpStatus status = OpStatus::kOk;
  int err = 0;
  const char* syscall = "";

  // Coordination with Cancel and Close (under handle->mu).
  OpState state = OpState::kNew;
  bool abandoned = false;
  // Set (under handle->mu) when an abandoned read or accept must give its
  // lane up now: its runner treats the deadline as passed (Remaining), so
  // what it took goes to the stash and the next op runs. Read without mu.
  std::atomic<bool> cut_short{false};
  // While the op is queued with a deadline: the deadline thread's view of
  // it (queue_watch.h), cleared when it leaves the queue. Under handle->mu.
  std::shared_ptr<Waiter> queue_watch;

  // Gives an accept or connect op its address (other kinds get none). Call
  // once its kind is set, where it is made (allocation may throw there).
  void MakeAddress() {
    if (kind == OpKind::kAccept || kind == OpKind::kConnect) address.reset(new SocketAddress());
  }

  void Fail(OpStatus s, int e, const char* call) {
    status = s;
    err = e;
    syscall = call;
  }
};

// Where finished ops go: the Node side delivers them to JavaScript, the
// sanitizer tests count them. Complete may be called from any thread.
class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  virtual void Complete(Op* op) = 0;
  // ops[0..n) finished together (the deadline thread's batch): a sink may
  // take them under one lock with one wake-up; this one hands each over.
  virtual void CompleteAll(Op* const* ops, size_t n) {
    for (size_t i = 0; i < n; ++i) Complete(ops[i]);
  }
  // h's fd has been closed (any thread); close(cb) waiters may go on.
  virtual void FdClosed(Handle* h) { (void)h; }
};

}  // namespace kts
