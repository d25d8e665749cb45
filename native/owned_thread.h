// How every thread the addon owns is started: with one signal mask, built in
// one place. Asynchronous signals are blocked (Node's handlers must not run
// there: docs/kernel-facts.md, "Signals"); the synchronous ones a fault
// raises (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS) are not,
// so a crash dumps instead of hanging; the wake-up signal of
// Engine::Retime (wake.h) is unblocked only on threads that run ops.
#pragma once

#include <pthread.h>

namespace kts {

// Starts fn(arg) on a new thread with that mask (the caller's own mask is
// unchanged). attr may be null. Returns 0 or an errno.
int StartOwnedThread(pthread_t* tid, const pthread_attr_t* attr, void* (*fn)(void*), void* arg,
                     bool wake_unblocked);

}  // namespace kts
