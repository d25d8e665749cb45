#include "wake.h"

#include <cerrno>
#include <cstring>
#include <mutex>

#include "platform.h"

namespace kts {
namespace wake {

namespace {

// Runs on an owned thread, interrupting its blocking call: nothing to do.
void OnWake(int) {}

bool Free(int sig) {
  struct sigaction cur;
  if (sigaction(sig, nullptr, &cur) != 0) return false;
  if (cur.sa_flags & SA_SIGINFO) return false;
  return cur.sa_handler == SIG_DFL;
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
    if (!Free(sig)) continue;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = OnWake;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the blocked call must return EINTR
    if (sigaction(sig, &sa, nullptr) == 0) return sig;
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
  return pthread_kill(t, sig);
}

WaitScope::WaitScope() {
  int sig = Signal();
  sigemptyset(&during_);
  if (sig == 0) return;
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
