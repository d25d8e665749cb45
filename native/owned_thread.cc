#include "owned_thread.h"

#include <csignal>
#include <initializer_list>

#include "wake.h"

namespace kts {

int StartOwnedThread(pthread_t* tid, const pthread_attr_t* attr, void* (*fn)(void*), void* arg,
                     bool wake_unblocked) {
  sigset_t set, old;
  sigfillset(&set);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&set, sig);
  if (wake_unblocked) {
    if (int wake_sig = wake::Signal()) sigdelset(&set, wake_sig);
  }
  int err = pthread_sigmask(SIG_SETMASK, &set, &old);
  if (err != 0) return err;
  // The new thread inherits the mask; ours is restored at once.
  err = pthread_create(tid, attr, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return err;
}

}  // namespace kts
