// Proves, in timer modes kSockopt and kPoll, that the owned thread's one
// look after a deadline is the driver's, not one wait strategy's: a read
// (and an accept) whose thread starts it after its deadline, with its bytes
// (connection) already there, returns them; it is never a timeout. Both
// drive the driver directly (ReadCase says why). And a read queued behind
// another, with nothing arriving, is timed out at its deadline by the
// engine's deadline thread, not left to wait for the op ahead.
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
  op->MakeAddress();
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

// A read whose owned thread starts after its deadline with its byte
// already waiting (it was queued, or its thread was scheduled late): the
// driver's one last look returns the byte. Called on the driver directly,
// as the accept case below: a byte sent while B is queued behind a blocked
// read A wakes A, which hands over before B's deadline.
// Runs op to its end on this thread, as an owned thread would.
void DriveNow(TestOp* op, kts::Handle& h) {
  int fd = h.Acquire();
  KTS_CHECK(fd >= 0, "Acquire");
  if (fd < 0) return;
  kts::Drive(*op, h, fd);
  h.Release();
}

void ReadCase(kts::ThreadsEngine& engine, kts::TimerMode timer) {
  FdPair p;
  if (!UnixPair(&p)) {
    KTS_CHECK(false, "socketpair: errno %d", errno);
    return;
  }
  auto h = std::make_shared<kts::Handle>(p.a, false, engine.registry());
  int64_t deadline = kts::MonoNowNs() + kMs;
  std::unique_ptr<TestOp> b(NewOp(h, kts::OpKind::kRead, timer, deadline));
  KTS_CHECK(send(p.b, "b", 1, MSG_NOSIGNAL) == 1, "peer send: errno %d", errno);
  PassDeadline(deadline);
  DriveNow(b.get(), *h);
  KTS_CHECK(b->status == kts::OpStatus::kOk && b->done == 1 && b->data.data()[0] == 'b',
            "%s: B, started after its deadline with its byte waiting, got status %d err %d (%s)",
            NameOf(timer), static_cast<int>(b->status), b->err, b->syscall);
  engine.Close(*h);
  CloseQuietly(&p.b);
}

// A read B queued behind a blocked read A, nothing arriving: the engine's
// deadline thread times B out at its deadline (queue_watch.h), taking
// nothing, while A waits on; A then gets the byte that comes.
void QueuedCase(kts::ThreadsEngine& engine, CountingSink& sink, kts::TimerMode timer) {
  FdPair p;
  if (!UnixPair(&p)) {
    KTS_CHECK(false, "socketpair: errno %d", errno);
    return;
  }
  auto h = std::make_shared<kts::Handle>(p.a, false, engine.registry());
  long before = sink.delivered();
  std::unique_ptr<TestOp> a(NewOp(h, kts::OpKind::kRead, timer, 0));
  KTS_CHECK(engine.Submit(a.get()) == kts::SubmitResult::kRunning, "%s: A did not wait", NameOf(timer));
  int64_t deadline = kts::MonoNowNs() + 20 * kMs;
  std::unique_ptr<TestOp> b(NewOp(h, kts::OpKind::kRead, timer, deadline));
  KTS_CHECK(engine.Submit(b.get()) == kts::SubmitResult::kQueued, "%s: B not queued behind A", NameOf(timer));
  KTS_CHECK(sink.WaitForTotal(before + 1, kSettleNs), "%s: queued B was not decided", NameOf(timer));
  KTS_CHECK(b->status == kts::OpStatus::kTimeout && b->err == EAGAIN && b->done == 0,
            "%s: queued B got status %d err %d done %zu", NameOf(timer), static_cast<int>(b->status), b->err,
            b->done);
  KTS_CHECK(b->decided_ns >= deadline, "%s: B decided %lld ns before its deadline", NameOf(timer),
            static_cast<long long>(deadline - b->decided_ns));
  KTS_CHECK(send(p.b, "a", 1, MSG_NOSIGNAL) == 1, "peer send: errno %d", errno);
  KTS_CHECK(sink.WaitForTotal(before + 2, kSettleNs), "%s: A did not settle", NameOf(timer));
  KTS_CHECK(a->status == kts::OpStatus::kOk && a->done == 1 && a->data.data()[0] == 'a',
            "%s: A did not get 'a'", NameOf(timer));
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
  DriveNow(b.get(), *h);
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
    ReadCase(engine, timer);
    QueuedCase(engine, sink, timer);
    AcceptCase(engine, timer);
    cases += 3;
  }
  engine.Shutdown();
  return cases;
}

}  // namespace kts_test
