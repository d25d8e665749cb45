#include "wake.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "platform.h"

namespace kts {
namespace wake {

namespace {

// Runs on an owned thread, interrupting its blocking call: nothing to do.
void OnWake(int) {}

// Set once the signal's disposition was found changed by someone else.
std::atomic<bool> g_changed{false};

bool Free(int sig) {
  struct sigaction cur;
  if (sigaction(sig, nullptr, &cur) != 0) return false;
  if (cur.sa_flags & SA_SIGINFO) return false;
  return cur.sa_handler == SIG_DFL;
}

bool InstallOn(int sig) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnWake;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the blocked call must return EINTR
  return sigaction(sig, &sa, nullptr) == 0;
}

int Install() {
  int first, last;
#ifdef SIGRTMIN
  first = SIGRTMIN + 3;
  last = SIGRTMAX - 1;
#else
  first = last = SIGUSR2;
#endif
  for (int sig = first; sig <= last; ++sig) {
    if (Free(sig) && InstallOn(sig)) return sig;
  }
  return 0;
}

}  // namespace

int Signal() {
  static std::once_flag once;
  static int sig = 0;
  std::call_once(once, [] { sig = Install(); });
  return sig;
}

int Thread(pthread_t t) {
  int sig = Signal();
  if (sig == 0) return ENOTSUP;
  struct sigaction cur;
  if (sigaction(sig, nullptr, &cur) != 0) return errno;
  if ((cur.sa_flags & SA_SIGINFO) != 0 || cur.sa_handler != OnWake) {
    // Set to SIG_IGN (the signal would be lost) or SIG_DFL (it would kill
    // the process) by someone else: the handler goes back for this wake-up,
    // and waits are sliced from now on (Slice).
    g_changed.store(true);
    if (!InstallOn(sig)) return ENOTSUP;
  }
  return pthread_kill(t, sig);
}

int64_t Slice(int64_t left_ns) {
  constexpr int64_t kSliceNs = 50 * 1000 * 1000;
  if (!g_changed.load(std::memory_order_relaxed)) return left_ns;
  return left_ns < 0 || left_ns > kSliceNs ? kSliceNs : left_ns;
}

WaitScope::WaitScope() {
  int sig = Signal();
  sigemptyset(&during_);
  // poll(2) cannot unblock it during the wait: leave it unblocked (the
  // wake-up then ends a wait already begun, with the window wake.h names).
  if (sig == 0 || !platform::PollTakesSignalMask()) return;
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, sig);
  if (pthread_sigmask(SIG_BLOCK, &block, &before_) != 0) return;
  blocked_ = true;
  during_ = before_;
  sigdelset(&during_, sig);
}

WaitScope::~WaitScope() {
  if (blocked_) pthread_sigmask(SIG_SETMASK, &before_, nullptr);
}

int WaitScope::Poll(pollfd* p, int64_t timeout_ns) {
  return platform::PollFor(p, timeout_ns, blocked_ ? &during_ : nullptr);
}

}  // namespace wake
}  // namespace kts
