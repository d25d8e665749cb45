// Completion delivery: owned threads hand finished ops to the JS thread
// through one thread-safe function per env. The TSFN only says "look";
// the ops wait in our own queue, which the JS thread drains whole, so
// coalesced wake-ups lose nothing. The TSFN is referenced only while ops
// of referenced sockets are pending, so the process can exit when nothing
// is (an unref'd socket's ops are pending without holding it).
#pragma once

#include <napi.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "op.h"

namespace kts {

class Delivery : public CompletionSink {
 public:
  using DrainFn = void (*)(Napi::Env env, void* owner);

  Delivery(Napi::Env env, DrainFn drain, void* owner);

  void Complete(Op* op) override;  // any thread
  // Any thread: the whole batch under one lock, with at most one wake-up.
  void CompleteAll(Op* const* ops, size_t n) override;
  // Any thread: queues h for the JS thread, whose close(cb) waiters of h
  // may then go on.
  void FdClosed(Handle* h) override;

  // JS thread: one more / one fewer op pending. `ref`: whether that op
  // keeps the event loop alive (refs the TSFN from 0 to 1 such ops).
  void Hold(bool ref);
  void Drop(bool ref);
  // JS thread: n pending ops start or stop keeping the loop alive
  // (NativeSocket#setRef).
  void AddRefs(size_t n);
  void RemoveRefs(size_t n);
  size_t pending() const { return held_; }

  // JS thread (or teardown): the finished ops and, into *closed, the
  // handles whose fd was closed, both taken under one lock so no wake-up
  // is lost between them.
  std::vector<Op*> TakeAll(std::vector<Handle*>* closed = nullptr);

  // Teardown: no more calls into Node; owned threads must be joined first.
  void Release();

 private:
  static void CallJs(Napi::Env env, Napi::Function, Delivery* self, void*);
  // Asks the JS thread to drain (the queue was empty): aborts on a status
  // other than ok or closing, naming what was delivered.
  void Wake(const char* what);
  using Tsfn = Napi::TypedThreadSafeFunction<Delivery, void, &Delivery::CallJs>;

  napi_env env_;
  Tsfn tsfn_;
  DrainFn drain_;
  void* owner_;
  std::mutex mu_;
  std::vector<Op*> queue_;
  std::vector<Handle*> closed_;
  size_t held_ = 0;  // ops pending
  size_t refs_ = 0;  // of which keep the loop alive
  bool released_ = false;
};

// Set by an atexit handler: process.exit() skips env cleanup on the main
// thread, so owned threads still blocked then must not call into Node.
extern std::atomic<bool> g_process_exiting;

}  // namespace kts
