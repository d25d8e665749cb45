// The close gate alone (native/handle.cc): worker threads loop Acquire ->
// syscall -> Release on one Handle while the main thread calls BeginClose at
// a random moment and at once opens new sockets, so the fd number is reused
// while the workers are still waking up. Proves, per round:
//  - no syscall starts after BeginClose (Acquire returns -1), and a thread
//    blocked in recv is woken promptly (shutdown), not left to its timeout;
//  - the fd number a worker holds always names the original socket (same
//    inode), so no recv/send ever lands on the socket that reused it: the
//    new sockets receive exactly their own bytes, none stolen, none foreign;
//  - the fd is closed once, after the last Release (fd_closed), and never
//    again: the sockets that reused the number stay open after ~Handle.
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <thread>
#include <vector>

#include "../../native/handle.h"
#include "check.h"
#include "gate_test.h"
#include "support.h"

namespace kts_test {

namespace {

constexpr int kWorkers = 3;
constexpr int kReusePairs = 3;
constexpr size_t kChunk = 64;

void Fill(int fd, uint8_t tag, size_t n) {
  std::vector<uint8_t> buf(n, tag);
  ssize_t w = send(fd, buf.data(), n, MSG_DONTWAIT | MSG_NOSIGNAL);
  KTS_CHECK(w == static_cast<ssize_t>(n), "fill send: %zd errno %d", w, errno);
}

// Everything readable on fd now, each byte checked against tag. Returns the count.
size_t DrainTagged(int fd, uint8_t tag, const char* what) {
  size_t total = 0;
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i)
      KTS_CHECK(buf[i] == tag, "%s: byte %u, expected tag %u", what, buf[i], tag);
    total += static_cast<size_t>(n);
  }
  return total;
}

#if defined(__linux__) && !defined(KTS_PORTABLE)
constexpr bool kPortableWake = false;  // shutdown(2) wakes; the number keeps its socket
#else
constexpr bool kPortableWake = true;  // dup2(2) of a dead socket over the number wakes
#endif

bool Closing(kts::Handle* h) {
  std::lock_guard<std::mutex> lock(h->mu);
  return h->closing();
}

struct Round {
  kts::Handle* h;
  int fd;
  uint64_t inode;
  uint8_t tag;
  std::atomic<int> syscalls{0};
};

void Worker(Round* r, int mode) {
  uint8_t buf[kChunk];
  for (;;) {
    int fd = r->h->Acquire();
    if (fd < 0) return;
    KTS_CHECK(fd == r->fd, "Acquire gave %d, handle fd %d", fd, r->fd);
    // The held number names our socket. Only the portable (macOS) wake-up
    // may replace it, with a dead socket of ours, once close has begun.
    bool replaced = InodeOf(fd) != r->inode;
    KTS_CHECK(!replaced || (kPortableWake && Closing(r->h)), "fd %d held but names another socket", fd);
    ssize_t n;
    if (mode == 0) {
      n = recv(fd, buf, sizeof buf, 0);  // blocks: BeginClose must wake it
    } else if (mode == 1) {
      n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    } else {
      std::vector<uint8_t> out(kChunk, r->tag);
      n = send(fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      n = 0;  // nothing read
    }
    for (ssize_t i = 0; i < n; ++i)
      KTS_CHECK(buf[i] == r->tag, "worker read byte %u on fd %d, expected tag %u", buf[i], fd, r->tag);
    if (n < 0) {
      int e = errno;
      bool dead_socket = kPortableWake && (e == EINVAL || e == ENOTCONN) && Closing(r->h);
      KTS_CHECK(e == EAGAIN || e == EPIPE || e == EINTR || dead_socket,
                "syscall on a held fd failed with errno %d", e);
    }
    r->syscalls.fetch_add(1, std::memory_order_relaxed);
    r->h->Release();
    if (mode == 0 && (n == 0 || (n < 0 && kPortableWake && Closing(r->h)))) {
      // Woken by BeginClose's shutdown: the next Acquire must refuse.
      int again = r->h->Acquire();
      KTS_CHECK(again < 0, "Acquire succeeded after the wake-up of close");
      if (again >= 0) r->h->Release();
      return;
    }
  }
}

}  // namespace

GateStats RunGateTest(Rng& rng, int64_t budget_ns, int max_rounds) {
  GateStats stats;
  const int64_t end = NowNs() + budget_ns;
  const int fds_before = CountFds();
  for (int round = 0; round < max_rounds && NowNs() < end; ++round) {
    FdPair p;
    if (!UnixPair(&p)) {
      KTS_CHECK(false, "socketpair: errno %d", errno);
      break;
    }
    timeval tv{2, 0};  // a blocked recv that is not woken would take 2 s
    setsockopt(p.a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const uint8_t tag = TagOf(static_cast<uint32_t>(round * 2));
    const uint8_t other = TagOf(static_cast<uint32_t>(round * 2 + 1));
    Fill(p.b, tag, kChunk * 2);

    auto h = std::make_unique<kts::Handle>(p.a, false, nullptr);
    Round r{h.get(), p.a, InodeOf(p.a), tag};
    std::vector<std::thread> workers;
    for (int i = 0; i < kWorkers; ++i) workers.emplace_back(Worker, &r, i);

    // Close at a random moment: before, during or after the workers start.
    int64_t spin_until = NowNs() + static_cast<int64_t>(rng.Between(0, 300)) * 1000;
    while (NowNs() < spin_until) {
    }
    std::vector<kts::Op*> unstarted;
    int64_t closed_at = NowNs();
    KTS_CHECK(h->BeginClose(&unstarted), "first BeginClose returned false");
    KTS_CHECK(!h->BeginClose(&unstarted), "second BeginClose returned true");
    KTS_CHECK(unstarted.empty(), "ops appeared in empty lanes");
    KTS_CHECK(h->Acquire() < 0, "Acquire succeeded after BeginClose");

    // Reuse the number at once, while workers may still be inside a call.
    FdPair fresh[kReusePairs];
    for (FdPair& f : fresh) {
      if (!UnixPair(&f)) continue;
      Fill(f.a, other, kChunk);
      Fill(f.b, other, kChunk);
      if (f.a == r.fd || f.b == r.fd) ++stats.reused;
    }
    for (std::thread& t : workers) t.join();
    int64_t woke_ns = NowNs() - closed_at;
    KTS_CHECK(woke_ns < 1000000000, "workers took %lld ms to leave after close",
              static_cast<long long>(woke_ns / 1000000));
    {
      std::lock_guard<std::mutex> lock(h->mu);
      KTS_CHECK(h->fd_closed(), "fd not closed after the last Release");
    }
    h.reset();  // must not close the number again

    for (FdPair& f : fresh) {
      if (f.a < 0) continue;
      KTS_CHECK(InodeOf(f.a) != 0 && InodeOf(f.b) != 0, "a reused socket was closed by the old handle");
      KTS_CHECK(DrainTagged(f.a, other, "reused socket") == kChunk, "reused socket lost or gained bytes");
      KTS_CHECK(DrainTagged(f.b, other, "reused socket") == kChunk, "reused socket lost or gained bytes");
      CloseQuietly(&f.a);
      CloseQuietly(&f.b);
    }
    DrainTagged(p.b, tag, "peer of the closed socket");
    CloseQuietly(&p.b);
    stats.syscalls += r.syscalls.load();
    ++stats.rounds;
  }
  KTS_CHECK(CountFds() == fds_before, "fds: %d before, %d after", fds_before, CountFds());
  return stats;
}

}  // namespace kts_test
