// Proves that a thread started by StartOwnedThread blocks asynchronous
// signals (SIGINT, SIGCHLD, SIGTERM), leaves every fault signal unblocked,
// and leaves the wake-up signal unblocked exactly when asked; and that the
// caller's own mask is unchanged.
#include "mask_test.h"

#include <csignal>
#include <initializer_list>

#include "../../native/owned_thread.h"
#include "../../native/wake.h"
#include "check.h"

namespace kts_test {

namespace {

void* SaveMask(void* out) {
  pthread_sigmask(SIG_BLOCK, nullptr, static_cast<sigset_t*>(out));
  return nullptr;
}

void CheckMask(bool wake_unblocked) {
  sigset_t before, seen, after;
  pthread_sigmask(SIG_BLOCK, nullptr, &before);
  sigemptyset(&seen);
  pthread_t tid;
  int err = kts::StartOwnedThread(&tid, nullptr, &SaveMask, &seen, wake_unblocked);
  KTS_CHECK(err == 0, "StartOwnedThread: %d", err);
  if (err != 0) return;
  pthread_join(tid, nullptr);
  for (int sig : {SIGINT, SIGCHLD, SIGTERM, SIGWINCH})
    KTS_CHECK(sigismember(&seen, sig) == 1, "async signal %d not blocked on an owned thread", sig);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS})
    KTS_CHECK(sigismember(&seen, sig) == 0, "fault signal %d blocked on an owned thread", sig);
  if (int wake_sig = kts::wake::Signal())
    KTS_CHECK(sigismember(&seen, wake_sig) == (wake_unblocked ? 0 : 1), "wake-up signal %s",
              wake_unblocked ? "blocked where asked unblocked" : "unblocked where asked blocked");
  pthread_sigmask(SIG_BLOCK, nullptr, &after);
  for (int sig = 1; sig < 32; ++sig)
    KTS_CHECK(sigismember(&before, sig) == sigismember(&after, sig), "caller's mask changed at %d", sig);
}

}  // namespace

void RunMaskTest() {
  CheckMask(true);
  CheckMask(false);
}

}  // namespace kts_test
