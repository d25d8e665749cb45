// Close races through the engine, the way the addon drives it: the main
// thread plays the JS thread (Submit, Cancel, Close), owned threads run the
// blocking calls, a peer thread plays the other ends. Each round opens a few
// connections (Unix pairs and loopback TCP), a listener, and sockets that
// connect to a good or a stuck (full backlog) listener, then runs a seeded
// random mix of reads, exact reads, writes, accepts, connects, cancels and
// closes, opening new sockets right after each close so numbers get reused.
// Proves, per round:
//  - every op settles exactly once: ops that finish inside Submit never
//    reach the sink, every other op reaches it once;
//  - nothing hangs: every op has settled within 5 s of the last close;
//  - reads deliver each connection's own byte sequence, in order, with no
//    byte lost or foreign (bytes an aborted read took come first in the next);
//  - the peer of a Unix connection receives exactly the bytes the writes
//    report (done), all with that connection's tag; reused sockets get
//    exactly their own bytes;
//  - no EBADF/ENOTSOCK ever escapes; ops submitted after close settle at
//    once as kClosed; fds return to their baseline once handles are gone.
#include "engine_test.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "../../native/clock.h"
#include "../../native/platform.h"
#include "../../native/threads_engine.h"
#include "check.h"
#include "counting_sink.h"

namespace kts_test {

namespace {

constexpr int64_t kHangNs = 5000000000LL;  // an op unsettled 5 s after close hangs
constexpr size_t kReuseChunk = 32;

// Raw loopback listeners shared by the rounds: one to make TCP pairs, one
// that connect ops reach, one whose full backlog leaves connects in SYN_SENT.
struct Listeners {
  int pairs = -1, good = -1, stuck = -1;
  sockaddr_storage pairs_addr{}, good_addr{}, stuck_addr{};
  socklen_t pairs_len = 0, good_len = 0, stuck_len = 0;
  std::vector<int> stuck_fill;  // connections that fill the stuck backlog

  bool Open() {
    pairs = TcpListener(16, &pairs_addr, &pairs_len);
    good = TcpListener(128, &good_addr, &good_len);
    stuck = TcpListener(0, &stuck_addr, &stuck_len);
    if (pairs < 0 || good < 0 || stuck < 0) return false;
    if (kts::platform::SetNonBlocking(good, true) < 0) return false;  // DrainGood must not wait
    for (int i = 0; i < 4; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd < 0) return false;
      connect(fd, reinterpret_cast<sockaddr*>(&stuck_addr), stuck_len);
      stuck_fill.push_back(fd);
    }
    return true;
  }
  // Connections the good listener queued for connect ops.
  void DrainGood() {
    for (;;) {
      int fd = accept4(good, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      close(fd);
    }
  }
  ~Listeners() {
    for (int& fd : stuck_fill) CloseQuietly(&fd);
    CloseQuietly(&pairs);
    CloseQuietly(&good);
    CloseQuietly(&stuck);
  }
};

struct Conn {
  uint32_t stream = 0;
  bool tcp = false;
  std::shared_ptr<kts::Handle> h;
  int peer = -1;  // the other end (peer thread, then main)
  std::atomic<uint64_t> peer_got{0};
  uint64_t sent = 0;  // peer thread only
  bool closed = false;
  std::vector<TestOp*> reads;  // submission order
  std::vector<TestOp*> writes;
};

struct Reuse {
  FdPair p;
  uint8_t tag = 0;
};

struct RoundState {
  std::vector<std::unique_ptr<Conn>> conns;
  std::shared_ptr<kts::Handle> listener;
  bool listener_closed = false;
  std::vector<std::shared_ptr<kts::Handle>> connectors;
  std::vector<bool> connector_closed;
  std::vector<TestOp*> ops;  // every op of the round
  std::vector<Reuse> reuse;
  std::atomic<bool> stop{false};
};

bool BadErrno(int e) { return e == EBADF || e == ENOTSOCK || e == EFAULT; }

// The peer ends: sends each connection's pattern in small bursts, drains and
// checks what the writes sent, and connects to the accept listener now and
// then. Non-blocking throughout, paced so the round is a real interleaving.
void PeerLoop(RoundState* rs, sockaddr_storage accept_addr, socklen_t accept_len, uint64_t seed) {
  Rng rng(seed);
  std::vector<int> dialed;
  std::vector<uint8_t> buf(65536);
  while (!rs->stop.load(std::memory_order_acquire)) {
    for (auto& c : rs->conns) {
      if (c->sent < 256 * 1024 && rng.OneIn(2)) {
        size_t n = rng.Between(1, 3000);
        for (size_t i = 0; i < n; ++i) buf[i] = PatternByte(c->stream, c->sent + i);
        ssize_t w = send(c->peer, buf.data(), n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) c->sent += static_cast<uint64_t>(w);
      }
      for (int k = 0; k < 4; ++k) {
        ssize_t r = recv(c->peer, buf.data(), buf.size(), MSG_DONTWAIT);
        if (r <= 0) break;
        uint8_t tag = TagOf(c->stream);
        for (ssize_t i = 0; i < r; ++i)
          KTS_CHECK(buf[i] == tag, "peer of stream %u got byte %u, tag %u", c->stream, buf[i], tag);
        c->peer_got.fetch_add(static_cast<uint64_t>(r), std::memory_order_relaxed);
      }
    }
    if (dialed.size() < 16 && rng.OneIn(8)) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (fd >= 0) {
        connect(fd, reinterpret_cast<sockaddr*>(&accept_addr), accept_len);
        dialed.push_back(fd);
      }
    }
    usleep(static_cast<useconds_t>(rng.Between(20, 200)));
  }
  for (int& fd : dialed) CloseQuietly(&fd);
}

TestOp* NewOp(kts::OpKind kind, std::shared_ptr<kts::Handle> h, int conn, double timeout_ms) {
  auto* op = new TestOp();
  op->kind = kind;
  op->MakeAddress();
  op->handle = std::move(h);
  op->conn = conn;
  op->timeout_ms = timeout_ms;
  op->deadline_ns = kts::DeadlineFromMs(timeout_ms, kts::MonoNowNs());
  return op;
}

double RandomTimeout(Rng& rng) { return rng.OneIn(3) ? 0 : static_cast<double>(rng.Between(1, 30)); }

class Round {
 public:
  Round(kts::ThreadsEngine& engine, CountingSink& sink, Rng& rng, EngineStats& stats)
      : engine_(engine), sink_(sink), rng_(rng), stats_(stats) {}

  void Run(uint32_t first_stream, const Listeners& l);

 private:
  void Submit(TestOp* op, bool closed);
  void SubmitRead(int i);
  void SubmitWrite(int i);
  void SubmitAccept();
  void SubmitConnect(bool stuck);
  void CancelSome();
  void CloseSome();
  void CloseHandle(kts::Handle& h);
  void Validate();

  kts::ThreadsEngine& engine_;
  CountingSink& sink_;
  Rng& rng_;
  EngineStats& stats_;
  RoundState rs_;
  std::vector<TestOp*> pending_;  // not known to be settled (for Cancel)
  long expected_deliveries_ = 0;
  const sockaddr_storage* good_addr_ = nullptr;
  socklen_t good_len_ = 0;
  const sockaddr_storage* stuck_addr_ = nullptr;
  socklen_t stuck_len_ = 0;
};

void Round::Submit(TestOp* op, bool closed) {
  // Both ways of timing a wait: SO_RCVTIMEO/SO_SNDTIMEO, and poll(2).
  op->timer = rng_.OneIn(2) ? kts::TimerMode::kPoll : kts::TimerMode::kSockopt;
  rs_.ops.push_back(op);
  op->submitted_after_close = closed;
  ++stats_.ops;
  if (engine_.Submit(op) == kts::SubmitResult::kFinished) {
    // As the addon does (MakeResult): a read finished inside Submit may hold
    // its bytes in this thread's scratch, valid until the next Submit.
    if (op->data.borrowed()) op->data.Own(op->done);
    op->sync = true;
    ++stats_.sync_ops;
    KTS_CHECK(!closed || op->status == kts::OpStatus::kClosed, "op on a closed handle: status %d",
              static_cast<int>(op->status));
  } else {
    KTS_CHECK(!closed, "op on a closed handle did not settle at once");
    ++expected_deliveries_;
    pending_.push_back(op);
  }
}

void Round::SubmitRead(int i) {
  Conn& c = *rs_.conns[i];
  TestOp* op = NewOp(kts::OpKind::kRead, c.h, i, RandomTimeout(rng_));
  op->exact = rng_.OneIn(4);
  op->size = op->exact ? rng_.Between(1, 512) : rng_.Between(1, 4096);
  c.reads.push_back(op);
  Submit(op, c.closed);
}

void Round::SubmitWrite(int i) {
  Conn& c = *rs_.conns[i];
  TestOp* op = NewOp(kts::OpKind::kWrite, c.h, i, RandomTimeout(rng_));
  op->wbuf.assign(rng_.OneIn(4) ? rng_.Between(100000, 400000) : rng_.Between(1, 5000), TagOf(c.stream));
  op->wptr = op->wbuf.data();
  op->wlen = op->wbuf.size();
  c.writes.push_back(op);
  Submit(op, c.closed);
  // The addon's contract: the caller's memory is used during Submit only.
  // Scribble over it so a later use by a thread would send wrong bytes.
  std::memset(op->wbuf.data(), 0, op->wbuf.size());
}

void Round::SubmitAccept() {
  TestOp* op = NewOp(kts::OpKind::kAccept, rs_.listener, -1, RandomTimeout(rng_));
  Submit(op, rs_.listener_closed);
}

void Round::SubmitConnect(bool stuck) {
  int fd = kts::platform::OpenSocket(AF_INET);
  if (fd < 0) {
    KTS_CHECK(false, "socket: errno %d", errno);
    return;
  }
  auto h = std::make_shared<kts::Handle>(fd, false, engine_.registry());
  rs_.connectors.push_back(h);
  rs_.connector_closed.push_back(false);
  TestOp* op = NewOp(kts::OpKind::kConnect, h, -1,
                     stuck ? static_cast<double>(rng_.Between(0, 40)) : RandomTimeout(rng_));
  const sockaddr_storage& a = stuck ? *stuck_addr_ : *good_addr_;
  std::memcpy(&op->address->ss, &a, sizeof a);
  op->address->len = stuck ? stuck_len_ : good_len_;
  Submit(op, false);
}

void Round::CancelSome() {
  if (pending_.empty()) return;
  size_t k = rng_.Between(0, pending_.size() - 1);
  TestOp* op = pending_[k];
  if (op->completions.load() > 0) return;  // settled: the JS side would have forgotten its id
  switch (engine_.Cancel(op)) {
    case kts::CancelResult::kRemoved:
      ++stats_.removed;
      pending_.erase(pending_.begin() + static_cast<ptrdiff_t>(k));
      break;
    case kts::CancelResult::kAbandoned:
      op->abandoned_by_cancel = true;
      ++stats_.abandoned;
      pending_.erase(pending_.begin() + static_cast<ptrdiff_t>(k));
      break;
    default: break;
  }
}

void Round::CloseHandle(kts::Handle& h) {
  int number = h.fd_for_diagnostics();
  engine_.Close(h);
  // Open new sockets at once: one may take the number if it was freed.
  Reuse r;
  if (!UnixPair(&r.p)) {
    KTS_CHECK(false, "socketpair: errno %d", errno);
    return;
  }
  r.tag = static_cast<uint8_t>(rng_.Between(1, 255));
  std::vector<uint8_t> fill(kReuseChunk, r.tag);
  KTS_CHECK(send(r.p.a, fill.data(), fill.size(), MSG_DONTWAIT) == static_cast<ssize_t>(kReuseChunk), "fill");
  KTS_CHECK(send(r.p.b, fill.data(), fill.size(), MSG_DONTWAIT) == static_cast<ssize_t>(kReuseChunk), "fill");
  if (r.p.a == number || r.p.b == number) ++stats_.reused;
  rs_.reuse.push_back(r);
}

void Round::CloseSome() {
  size_t n = rs_.conns.size() + 1 + rs_.connectors.size();
  size_t k = rng_.Between(0, n - 1);
  if (k < rs_.conns.size()) {
    Conn& c = *rs_.conns[k];
    if (!c.closed) CloseHandle(*c.h);
    c.closed = true;
  } else if (k == rs_.conns.size()) {
    if (!rs_.listener_closed) CloseHandle(*rs_.listener);
    rs_.listener_closed = true;
  } else {
    size_t j = k - rs_.conns.size() - 1;
    if (!rs_.connector_closed[j]) CloseHandle(*rs_.connectors[j]);
    rs_.connector_closed[j] = true;
  }
}

void Round::Run(uint32_t first_stream, const Listeners& l) {
  good_addr_ = &l.good_addr;
  good_len_ = l.good_len;
  stuck_addr_ = &l.stuck_addr;
  stuck_len_ = l.stuck_len;
  const long delivered_before = sink_.delivered();
  int nconns = static_cast<int>(rng_.Between(2, 5));
  for (int i = 0; i < nconns; ++i) {
    auto c = std::make_unique<Conn>();
    c->stream = first_stream + static_cast<uint32_t>(i);
    c->tcp = rng_.OneIn(2);
    FdPair p;
    bool ok = c->tcp ? TcpPair(l.pairs, l.pairs_addr, l.pairs_len, &p) : UnixPair(&p);
    if (!ok) {
      KTS_CHECK(false, "pair: errno %d", errno);
      return;
    }
    c->h = std::make_shared<kts::Handle>(p.a, false, engine_.registry());
    c->peer = p.b;
    rs_.conns.push_back(std::move(c));
  }
  sockaddr_storage acc_addr;
  socklen_t acc_len;
  int lfd = TcpListener(64, &acc_addr, &acc_len);
  if (lfd < 0) {
    KTS_CHECK(false, "listener: errno %d", errno);
    return;
  }
  KTS_CHECK(kts::platform::PrepareListener(lfd) == 0, "PrepareListener: errno %d", errno);
  rs_.listener = std::make_shared<kts::Handle>(lfd, true, engine_.registry());

  std::thread peer(PeerLoop, &rs_, acc_addr, acc_len, rng_.Next());
  int steps = static_cast<int>(rng_.Between(10, 60));
  for (int s = 0; s < steps; ++s) {
    uint64_t pick = rng_.Between(0, 99);
    int i = static_cast<int>(rng_.Between(0, rs_.conns.size() - 1));
    if (pick < 35)
      SubmitRead(i);
    else if (pick < 55)
      SubmitWrite(i);
    else if (pick < 65)
      SubmitAccept();
    else if (pick < 72)
      SubmitConnect(rng_.OneIn(2));
    else if (pick < 85)
      CancelSome();
    else
      CloseSome();
    if (rng_.OneIn(3)) usleep(static_cast<useconds_t>(rng_.Between(0, 500)));
  }
  // Close everything that is left, in a random order, with ops in flight.
  while (true) {
    bool open = !rs_.listener_closed;
    for (auto& c : rs_.conns) open = open || !c->closed;
    for (bool closed : rs_.connector_closed) open = open || !closed;
    if (!open) break;
    CloseSome();
  }
  bool settled = sink_.WaitForTotal(delivered_before + expected_deliveries_, kHangNs);
  rs_.stop.store(true, std::memory_order_release);
  peer.join();
  if (!settled) {
    std::fprintf(stderr, "HANG: %ld of %ld ops unsettled 5 s after close\n",
                 delivered_before + expected_deliveries_ - sink_.delivered(), expected_deliveries_);
    std::_Exit(3);  // threads are still using the ops: nothing can be freed
  }
  Validate();
}

void Round::Validate() {
  {
    // A closed listener keeps no connection it accepted for an aborted
    // accept: each is a peer left waiting on a socket nobody will read.
    std::lock_guard<std::mutex> lock(rs_.listener->mu);
    KTS_CHECK(rs_.listener->stashed_connections.empty(), "closed listener still holds %zu accepted fds",
              rs_.listener->stashed_connections.size());
  }
  for (TestOp* op : rs_.ops) {
    int n = op->completions.load();
    KTS_CHECK(n == (op->sync ? 0 : 1), "op kind %d delivered %d times (sync %d)", static_cast<int>(op->kind),
              n, op->sync);
    KTS_CHECK(!BadErrno(op->err), "errno %d (%s) escaped from %s", op->err, std::strerror(op->err),
              op->syscall);
    switch (op->status) {
      case kts::OpStatus::kClosed: ++stats_.closed_ops; break;
      case kts::OpStatus::kTimeout: ++stats_.timeouts; break;
      case kts::OpStatus::kError:
        // Only a connect may fail, and only as the kernel refusing it.
        KTS_CHECK(op->kind == kts::OpKind::kConnect && (op->err == ECONNREFUSED || op->err == ETIMEDOUT),
                  "kind %d failed: %s errno %d", static_cast<int>(op->kind), op->syscall, op->err);
        break;
      case kts::OpStatus::kEof:
        KTS_CHECK(false, "EOF where no peer closed (kind %d)", static_cast<int>(op->kind));
        break;
      default: break;
    }
    if (op->kind == kts::OpKind::kAccept && op->status == kts::OpStatus::kOk && !op->abandoned_by_cancel)
      KTS_CHECK(op->accepted_fd >= 0 && InodeOf(op->accepted_fd) != 0, "accept ok without a connection");
  }
  for (auto& c : rs_.conns) {
    uint64_t off = 0;
    for (TestOp* op : c->reads) {
      bool delivered =
          (op->status == kts::OpStatus::kOk || op->status == kts::OpStatus::kEof) && !op->abandoned_by_cancel;
      if (!delivered) continue;
      KTS_CHECK(op->done >= 1 && op->done <= op->size, "read of %zu returned %zu", op->size, op->done);
      KTS_CHECK(!op->exact || op->done == op->size, "exact read of %zu returned %zu", op->size, op->done);
      for (size_t i = 0; i < op->done; ++i, ++off) {
        if (op->data.data()[i] != PatternByte(c->stream, off)) {
          KTS_CHECK(false, "stream %u byte %llu: got %u, expected %u (foreign, lost or reordered)", c->stream,
                    static_cast<unsigned long long>(off), op->data.data()[i], PatternByte(c->stream, off));
          break;
        }
      }
    }
    stats_.bytes_read += static_cast<long>(off);
    uint64_t written = 0;
    for (TestOp* op : c->writes) written += op->done;
    stats_.bytes_written += static_cast<long>(written);
    // Our end is closed: what is left in flight reaches the peer, then EOF.
    uint8_t buf[65536];
    uint64_t got = c->peer_got.load();
    for (int tries = 0; tries < 1000; ++tries) {
      ssize_t r = recv(c->peer, buf, sizeof buf, MSG_DONTWAIT);
      if (r <= 0) break;
      for (ssize_t i = 0; i < r; ++i)
        KTS_CHECK(buf[i] == TagOf(c->stream), "peer of stream %u got byte %u", c->stream, buf[i]);
      got += static_cast<uint64_t>(r);
    }
    // TCP may reset on close with unread data and drop the tail; Unix never.
    if (c->tcp) {
      KTS_CHECK(got <= written, "TCP peer got %llu bytes, writes report %llu",
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(written));
    } else {
      KTS_CHECK(got == written, "Unix peer got %llu bytes, writes report %llu",
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(written));
    }
    CloseQuietly(&c->peer);
  }
  for (Reuse& r : rs_.reuse) {
    for (int fd : {r.p.a, r.p.b}) {
      uint8_t buf[256];
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      KTS_CHECK(n == static_cast<ssize_t>(kReuseChunk), "a reused socket holds %zd bytes, not %zu", n,
                kReuseChunk);
      for (ssize_t i = 0; i < n; ++i) KTS_CHECK(buf[i] == r.tag, "a reused socket got a foreign byte");
    }
    CloseQuietly(&r.p.a);
    CloseQuietly(&r.p.b);
  }
  for (TestOp* op : rs_.ops) delete op;
  rs_.ops.clear();
}

}  // namespace

EngineStats RunEngineTest(Rng& rng, int64_t budget_ns, int max_rounds) {
  EngineStats stats;
  CountingSink sink;
  Listeners l;
  if (!l.Open()) {
    KTS_CHECK(false, "listeners: errno %d", errno);
    return stats;
  }
  const int fds_before = CountFds();
  {
    kts::ThreadsEngine engine(&sink, 64 * 1024, 50);
    const int64_t end = NowNs() + budget_ns;
    for (int round = 0; round < max_rounds && NowNs() < end; ++round) {
      {
        Round r(engine, sink, rng, stats);
        r.Run(static_cast<uint32_t>(round) * 8 + 1, l);
      }
      // Every handle is gone with its ops: the registry must be empty.
      int live = 0;
      engine.registry()->ForEach([&](kts::Handle*) { ++live; });
      KTS_CHECK(live == 0, "%d handles outlived their round", live);
      l.DrainGood();
      KTS_CHECK(CountFds() == fds_before, "round %d: fds %d, baseline %d", round, CountFds(), fds_before);
      ++stats.rounds;
    }
    engine.Shutdown();
    KTS_CHECK(engine.threads() == 0, "%zu threads after Shutdown", engine.threads());
  }
  return stats;
}

void RunShutdownTest() {
  const int threads_before = CountThreads();
  const int fds_before = CountFds();
  CountingSink sink;
  std::vector<TestOp*> ops;
  std::vector<FdPair> peers;
  sockaddr_storage stuck_addr;
  socklen_t stuck_len;
  int stuck = TcpListener(0, &stuck_addr, &stuck_len);
  std::vector<int> fill;
  for (int i = 0; i < 4; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    connect(fd, reinterpret_cast<sockaddr*>(&stuck_addr), stuck_len);
    fill.push_back(fd);
  }
  long pending = 0;
  {
    kts::ThreadsEngine engine(&sink, 64 * 1024, 5000);
    auto submit = [&](TestOp* op) {
      op->timer = ops.size() % 2 ? kts::TimerMode::kPoll : kts::TimerMode::kSockopt;
      ops.push_back(op);
      if (engine.Submit(op) == kts::SubmitResult::kFinished)
        op->sync = true;
      else
        ++pending;
    };
    for (int i = 0; i < 3; ++i) {
      FdPair p;
      KTS_CHECK(UnixPair(&p), "socketpair");
      auto h = std::make_shared<kts::Handle>(p.a, false, engine.registry());
      peers.push_back(p);
      submit(NewOp(kts::OpKind::kRead, h, i, 0));  // no timeout: blocks until closed
      submit(NewOp(kts::OpKind::kRead, h, i, 0));  // queued behind it
      TestOp* w = NewOp(kts::OpKind::kWrite, h, i, 0);
      w->wbuf.assign(4 << 20, 1);  // more than the socket buffers: blocks
      w->wptr = w->wbuf.data();
      w->wlen = w->wbuf.size();
      submit(w);
    }
    sockaddr_storage a;
    socklen_t alen;
    int lfd = TcpListener(8, &a, &alen);
    KTS_CHECK(kts::platform::PrepareListener(lfd) == 0, "PrepareListener: errno %d", errno);
    auto lh = std::make_shared<kts::Handle>(lfd, true, engine.registry());
    submit(NewOp(kts::OpKind::kAccept, lh, -1, 0));
    auto ch = std::make_shared<kts::Handle>(kts::platform::OpenSocket(AF_INET), false, engine.registry());
    TestOp* c = NewOp(kts::OpKind::kConnect, ch, -1, 0);
    std::memcpy(&c->address->ss, &stuck_addr, sizeof stuck_addr);
    c->address->len = stuck_len;
    submit(c);
    usleep(20000);  // let the calls block (the outcome is the same if they have not)
    engine.Shutdown();
    KTS_CHECK(engine.threads() == 0, "%zu threads after Shutdown", engine.threads());
    KTS_CHECK(sink.delivered() == pending, "%ld of %ld ops delivered by Shutdown", sink.delivered(), pending);
    for (TestOp* op : ops) {
      KTS_CHECK(op->completions.load() == (op->sync ? 0 : 1), "delivered %d times", op->completions.load());
      if (!op->sync)
        KTS_CHECK(op->status == kts::OpStatus::kClosed, "status %d after Shutdown",
                  static_cast<int>(op->status));
    }
    for (TestOp* op : ops) delete op;
  }
  for (FdPair& p : peers) CloseQuietly(&p.b);
  for (int& fd : fill) CloseQuietly(&fd);
  CloseQuietly(&stuck);
  KTS_CHECK(CountThreads() == threads_before, "threads %d, before %d", CountThreads(), threads_before);
  KTS_CHECK(CountFds() == fds_before, "fds %d, before %d", CountFds(), fds_before);
}

bool RunUnixBacklogCloseTest() {
  CountingSink sink;
  char path[] = "/tmp/kts-native-XXXXXX";
  if (mkdtemp(path) == nullptr) return false;
  std::string sock_path = std::string(path) + "/s";
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strncpy(un.sun_path, sock_path.c_str(), sizeof un.sun_path - 1);
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bind(l, reinterpret_cast<sockaddr*>(&un), sizeof un);
  listen(l, 0);
  std::vector<int> fill;
  for (int i = 0; i < 4; ++i) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&un), sizeof un) < 0 && errno == EAGAIN) {
      close(fd);
      break;
    }
    fill.push_back(fd);
  }
  bool woke;
  {
    kts::ThreadsEngine engine(&sink, 64 * 1024, 5000);
    auto h = std::make_shared<kts::Handle>(kts::platform::OpenSocket(AF_UNIX), false, engine.registry());
    TestOp* op = NewOp(kts::OpKind::kConnect, h, -1, 10000);  // 10 s: the bug shows as a 10 s wait
    std::memcpy(&op->address->ss, &un, sizeof un);
    op->address->len = sizeof un;
    bool sync = engine.Submit(op) == kts::SubmitResult::kFinished;
    usleep(50000);
    engine.Close(*h);
    woke = sync || sink.WaitForTotal(1, 2000000000LL);
    std::printf("unix backlog connect: %s\n", woke ? "close woke it" : "close did NOT wake it within 2 s");
    engine.Shutdown();  // waits out the 10 s if close did not wake it
    KTS_CHECK(op->status == kts::OpStatus::kClosed || sync, "status %d", static_cast<int>(op->status));
    delete op;
  }
  for (int& fd : fill) CloseQuietly(&fd);
  close(l);
  unlink(sock_path.c_str());
  rmdir(path);
  return woke;
}

}  // namespace kts_test
