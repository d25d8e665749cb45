// Proves, in timer modes kSockopt and kPoll, that the owned thread's one
// look after a deadline is the driver's, not one wait strategy's: a read
// (and an accept) queued behind another op of its lane, whose deadline
// passes while it waits its turn and whose bytes (connection) arrived in
// time, returns them when the thread finally starts it; it is never a
// timeout. Op A (no deadline) holds the lane; B's deadline is 1 ms away;
// once it has passed, the peer sends A's and B's bytes in one send: A takes
// its own and the same thread starts B late. The accept is driven directly
// (AcceptCase says why).
#include "late_test.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "../../native/clock.h"
#include "../../native/io.h"
#include "../../native/threads_engine.h"
#include "check.h"
#include "counting_sink.h"
#include "support.h"

namespace kts_test {

namespace {

constexpr int64_t kMs = 1000000;
constexpr int64_t kSettleNs = 5000 * kMs;

const char* NameOf(kts::TimerMode timer) { return timer == kts::TimerMode::kPoll ? "poll" : "sockopt"; }

TestOp* NewOp(const std::shared_ptr<kts::Handle>& h, kts::OpKind kind, kts::TimerMode timer,
              int64_t deadline) {
  auto* op = new TestOp();
  op->kind = kind;
  op->handle = h;
  op->size = 1;
  op->timer = timer;
  op->deadline_ns = deadline;
  return op;
}

// Waits (bounded) until the clock is past `deadline`: the scenario, not
// synchronization.
void PassDeadline(int64_t deadline) {
  for (int i = 0; i < 1000 && kts::MonoNowNs() <= deadline; ++i) usleep(1000);
}

void ReadCase(kts::ThreadsEngine& engine, CountingSink& sink, kts::TimerMode timer) {
  FdPair p;
  if (!UnixPair(&p)) {
    KTS_CHECK(false, "socketpair: errno %d", errno);
    return;
  }
  auto h = std::make_shared<kts::Handle>(p.a, false, engine.registry());
  long before = sink.delivered();
  std::unique_ptr<TestOp> a(NewOp(h, kts::OpKind::kRead, timer, 0));
  KTS_CHECK(engine.Submit(a.get()) == kts::SubmitResult::kRunning, "%s: A did not wait", NameOf(timer));
  int64_t deadline = kts::MonoNowNs() + kMs;
  std::unique_ptr<TestOp> b(NewOp(h, kts::OpKind::kRead, timer, deadline));
  KTS_CHECK(engine.Submit(b.get()) == kts::SubmitResult::kQueued, "%s: B not queued behind A", NameOf(timer));
  PassDeadline(deadline);
  KTS_CHECK(send(p.b, "ab", 2, MSG_NOSIGNAL) == 2, "peer send: errno %d", errno);
  KTS_CHECK(sink.WaitForTotal(before + 2, kSettleNs), "%s: A and B did not settle", NameOf(timer));
  KTS_CHECK(a->status == kts::OpStatus::kOk && a->done == 1 && a->data.data()[0] == 'a',
            "%s: A did not get 'a'", NameOf(timer));
  KTS_CHECK(b->status == kts::OpStatus::kOk && b->done == 1 && b->data.data()[0] == 'b',
            "%s: B, started after its deadline with its byte waiting, got status %d err %d (%s)",
            NameOf(timer), static_cast<int>(b->status), b->err, b->syscall);
  engine.Close(*h);
  CloseQuietly(&p.b);
}

// The accept case calls the driver directly: a second connection cannot
// be queued behind the one that wakes a blocked accept A without A's thread
// racing ahead to B. B's deadline has passed and a connection is queued
// when the driver starts it.
void AcceptCase(kts::ThreadsEngine& engine, kts::TimerMode timer) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int listener = TcpListener(8, &addr, &len);
  if (listener < 0) {
    KTS_CHECK(false, "listener: errno %d", errno);
    return;
  }
  auto h = std::make_shared<kts::Handle>(listener, true, engine.registry());
  int client = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  KTS_CHECK(client >= 0 && connect(client, reinterpret_cast<sockaddr*>(&addr), len) == 0, "connect: errno %d",
            errno);
  int64_t deadline = kts::MonoNowNs() + kMs;
  std::unique_ptr<TestOp> b(NewOp(h, kts::OpKind::kAccept, timer, deadline));
  PassDeadline(deadline);
  int fd = h->Acquire();
  KTS_CHECK(fd >= 0, "Acquire");
  if (fd >= 0) {
    kts::Drive(*b, *h, fd);
    h->Release();
  }
  KTS_CHECK(b->status == kts::OpStatus::kOk && b->accepted_fd >= 0,
            "%s: an accept started after its deadline with a connection queued got status %d err %d (%s)",
            NameOf(timer), static_cast<int>(b->status), b->err, b->syscall);
  if (b->accepted_fd >= 0) close(b->accepted_fd);
  engine.Close(*h);
  CloseQuietly(&client);
}

}  // namespace

int RunLateStartTest() {
  CountingSink sink;
  kts::ThreadsEngine engine(&sink, 64 * 1024, 5000);
  int cases = 0;
  for (kts::TimerMode timer : {kts::TimerMode::kSockopt, kts::TimerMode::kPoll}) {
    ReadCase(engine, sink, timer);
    AcceptCase(engine, timer);
    cases += 2;
  }
  engine.Shutdown();
  return cases;
}

}  // namespace kts_test
