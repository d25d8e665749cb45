// Proves, per round, on a Unix pair with a seeded mix of timer modes:
//  - earlier: a read blocked in the kernel (seen in /proc/self/task/*/syscall)
//    whose socket deadline is moved into the past settles once, as kTimeout,
//    within 2 s (its own deadline is 30 s away), and the byte sent after it
//    goes to the next read: nothing consumed, the socket still usable;
//  - later: a read blocked under a deadline 30 ms away, moved to 60-100 ms,
//    is decided no earlier than the new deadline;
//  - raced: up to 8 retimes (past, near, far, none) from the "JS thread"
//    while the peer sends one byte at a random moment: the read settles
//    exactly once, with that byte or as a timeout, and then the byte is read
//    by the next read (never lost, never twice);
//  - disposition: the wake-up signal set to SIG_IGN, then SIG_DFL, by
//    someone else while a read is blocked: a deadline moved into the past
//    still ends it promptly, and the process is not killed.
// Run under TSan and ASan+UBSan by scripts/sanitizers.sh.
#include "retime_test.h"

#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "../../native/clock.h"
#include "../../native/platform.h"
#include "../../native/threads_engine.h"
#include "../../native/wake.h"
#include "check.h"
#include "counting_sink.h"

namespace kts_test {

namespace {

constexpr int64_t kMs = 1000000;

// True once some thread of this process sleeps in syscall nr (its number
// in /proc/self/task/*/syscall), within limit_ns.
bool ThreadBlockedIn(long nr, int64_t limit_ns) {
  int64_t until = NowNs() + limit_ns;
  while (NowNs() < until) {
    DIR* d = opendir("/proc/self/task");
    if (d == nullptr) return false;
    bool found = false;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string base = std::string("/proc/self/task/") + e->d_name;
      char buf[256] = {0};
      FILE* f = std::fopen((base + "/syscall").c_str(), "r");
      if (f == nullptr) continue;
      size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      buf[n] = 0;
      if (std::strtol(buf, nullptr, 10) != nr) continue;
      f = std::fopen((base + "/stat").c_str(), "r");
      if (f == nullptr) continue;
      n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      buf[n] = 0;
      const char* close_paren = std::strrchr(buf, ')');
      if (close_paren != nullptr && close_paren[1] == ' ' && close_paren[2] == 'S') found = true;
    }
    closedir(d);
    if (found) return true;
    usleep(200);
  }
  return false;
}

TestOp* NewRead(const std::shared_ptr<kts::Handle>& h, kts::TimerMode timer, int64_t own_deadline) {
  auto* op = new TestOp();
  op->kind = kts::OpKind::kRead;
  op->handle = h;
  op->size = 16;
  op->timer = timer;
  op->deadline_ns = own_deadline;
  return op;
}

// Submits op and waits for its single completion (inline or via the sink).
// Returns false when it did not settle within limit_ns.
bool Settle(kts::ThreadsEngine& engine, CountingSink& sink, TestOp* op, long* delivered, bool submit,
            int64_t limit_ns) {
  if (submit && engine.Submit(op) == kts::SubmitResult::kFinished) {
    op->sync = true;
    return true;
  }
  ++*delivered;
  return sink.WaitForTotal(*delivered, limit_ns);
}

void SendByte(int fd, uint8_t b) {
  KTS_CHECK(send(fd, &b, 1, MSG_NOSIGNAL) == 1, "peer send: errno %d", errno);
}

// Another library sets SIG_IGN, then SIG_DFL, on the wake-up signal after
// the engine installed it (SIG_IGN: the wake-up would be lost and a read
// with no deadline of its own pending for good; SIG_DFL: it would kill the
// process). A read blocked in recv whose socket deadline moves into the
// past still times out within 2 s, and the process lives. Leaves waits
// sliced for the rest of the run (wake::Slice): run it last.
void RunDispositionRounds(RetimeStats* st) {
  for (auto disposition : {SIG_IGN, SIG_DFL}) {
    CountingSink sink;
    kts::ThreadsEngine engine(&sink, 64 * 1024, 5000);
    FdPair p;
    KTS_CHECK(UnixPair(&p), "socketpair: errno %d", errno);
    auto h = std::make_shared<kts::Handle>(p.a, false, engine.registry());
    TestOp* op = NewRead(h, kts::TimerMode::kSockopt, 0);
    KTS_CHECK(engine.Submit(op) != kts::SubmitResult::kFinished,
              "a read with nothing to read finished inline");
    KTS_CHECK(ThreadBlockedIn(SYS_recvfrom, 2000 * kMs), "read never blocked");
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = disposition;
    sigemptyset(&sa.sa_mask);
    KTS_CHECK(sigaction(kts::wake::Signal(), &sa, nullptr) == 0, "sigaction: errno %d", errno);
    KTS_CHECK(engine.Retime(*h, kts::Direction::kRead, 1), "Retime on an open handle");
    KTS_CHECK(sink.WaitForTotal(1, 2000 * kMs),
              "disposition changed: the moved deadline never reached the read");
    KTS_CHECK(op->status == kts::OpStatus::kTimeout, "status %d, not a timeout",
              static_cast<int>(op->status));
    delete op;
    CloseQuietly(&p.b);
    engine.Close(*h);
    engine.Shutdown();
    ++st->disposition;
  }
}

}  // namespace

RetimeStats RunRetimeTest(Rng& rng, int64_t budget_ns, int max_rounds) {
  RetimeStats st;
  CountingSink sink;
  long delivered = 0;
  kts::ThreadsEngine engine(&sink, 64 * 1024, 5000);
  const int64_t until = NowNs() + budget_ns;
  // Where a blocked read sleeps in each timer mode (poll(2) on the portable paths).
  const long blocked_nr[2] = {
      SYS_recvfrom, std::strcmp(kts::platform::PollTimerName(), "ppoll") == 0 ? SYS_ppoll : SYS_poll};
  while (st.rounds < max_rounds && NowNs() < until) {
    FdPair p;
    if (!UnixPair(&p)) {
      KTS_CHECK(false, "socketpair: errno %d", errno);
      break;
    }
    auto h = std::make_shared<kts::Handle>(p.a, false, engine.registry());
    int mode = static_cast<int>(rng.Between(0, 1));
    auto timer = static_cast<kts::TimerMode>(mode);
    uint8_t byte = static_cast<uint8_t>(rng.Between(1, 255));
    int kind = static_cast<int>(rng.Between(0, 4));  // 0 earlier, 1 later, 2-4 raced
    TestOp* op = NewRead(h, timer, kts::MonoNowNs() + 30000 * kMs);
    if (kind == 0) {
      KTS_CHECK(engine.Submit(op) != kts::SubmitResult::kFinished,
                "a read with nothing to read finished inline");
      ++delivered;
      KTS_CHECK(ThreadBlockedIn(blocked_nr[mode], 2000 * kMs), "read never blocked (mode %d)", mode);
      int64_t t0 = kts::MonoNowNs();
      KTS_CHECK(engine.Retime(*h, kts::Direction::kRead, 1), "Retime on an open handle");
      KTS_CHECK(sink.WaitForTotal(delivered, 2000 * kMs), "moved into the past, still pending after 2 s");
      KTS_CHECK(op->status == kts::OpStatus::kTimeout, "status %d, not a timeout",
                static_cast<int>(op->status));
      KTS_CHECK(op->decided_ns - t0 < 2000 * kMs, "decided %lld ms after the retime",
                static_cast<long long>((op->decided_ns - t0) / kMs));
      ++st.earlier;
    } else if (kind == 1) {
      engine.Retime(*h, kts::Direction::kRead, kts::MonoNowNs() + 30 * kMs);
      KTS_CHECK(engine.Submit(op) != kts::SubmitResult::kFinished,
                "a read with nothing to read finished inline");
      ++delivered;
      bool blocked = ThreadBlockedIn(blocked_nr[mode], 2000 * kMs);
      int64_t later = kts::MonoNowNs() + static_cast<int64_t>(rng.Between(60, 100)) * kMs;
      engine.Retime(*h, kts::Direction::kRead, later);
      KTS_CHECK(sink.WaitForTotal(delivered, 5000 * kMs), "moved later, still pending after 5 s");
      if (blocked) {  // a slow machine may pass 30 ms before the read blocks: then nothing to prove
        KTS_CHECK(op->status == kts::OpStatus::kTimeout, "status %d, not a timeout",
                  static_cast<int>(op->status));
        KTS_CHECK(op->decided_ns >= later, "decided %lld us before the new deadline",
                  static_cast<long long>((later - op->decided_ns) / 1000));
        ++st.later;
      }
    } else {
      bool sync = engine.Submit(op) == kts::SubmitResult::kFinished;
      if (!sync) ++delivered;
      int n = static_cast<int>(rng.Between(1, 8));
      int send_at = static_cast<int>(rng.Between(0, n));
      for (int i = 0; i <= n; ++i) {
        if (i == send_at) SendByte(p.b, byte);
        if (i == n) break;
        int64_t now = kts::MonoNowNs();
        int64_t d = 0;
        switch (rng.Between(0, 3)) {
          case 0: d = 1; break;                                                        // past
          case 1: d = now + static_cast<int64_t>(rng.Between(0, 3000)) * 1000; break;  // 0-3 ms
          case 2: d = now + 30000 * kMs; break;                                        // far
          default: d = 0; break;                                                       // none
        }
        engine.Retime(*h, kts::Direction::kRead, d);
        if (rng.OneIn(2)) std::this_thread::yield();
      }
      // End the round's waiting: a deadline that cannot outlast the check.
      engine.Retime(*h, kts::Direction::kRead, kts::MonoNowNs() + 50 * kMs);
      KTS_CHECK(sync || sink.WaitForTotal(delivered, 5000 * kMs), "raced read still pending after 5 s");
      KTS_CHECK(op->completions.load() == (sync ? 0 : 1), "delivered %d times", op->completions.load());
      bool got = op->status == kts::OpStatus::kOk;
      KTS_CHECK(got || op->status == kts::OpStatus::kTimeout, "status %d err %d",
                static_cast<int>(op->status), op->err);
      if (got)
        KTS_CHECK(op->done == 1 && op->data.data()[0] == byte, "read %zu bytes, not the byte", op->done);
      if (!got) ++st.raced_timeouts;
      ++st.raced;
      if (got) {
        delete op;
        engine.Retime(*h, kts::Direction::kRead, 0);
        CloseQuietly(&p.b);
        engine.Close(*h);
        ++st.rounds;
        continue;
      }
    }
    // The byte sent after the timeout (or not yet read) goes to the next read.
    delete op;
    engine.Retime(*h, kts::Direction::kRead, 0);
    if (kind < 2) SendByte(p.b, byte);
    TestOp* next = NewRead(h, timer, kts::MonoNowNs() + 5000 * kMs);
    KTS_CHECK(Settle(engine, sink, next, &delivered, true, 6000 * kMs), "next read still pending");
    KTS_CHECK(next->status == kts::OpStatus::kOk && next->done == 1 && next->data.data()[0] == byte,
              "next read: status %d, %zu bytes: the byte was lost", static_cast<int>(next->status),
              next->done);
    delete next;
    CloseQuietly(&p.b);
    engine.Close(*h);
    ++st.rounds;
  }
  engine.Shutdown();
  KTS_CHECK(sink.delivered() == delivered, "%ld delivered, %ld expected", sink.delivered(), delivered);
  RunDispositionRounds(&st);
  return st;
}

}  // namespace kts_test
