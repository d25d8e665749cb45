// Completion delivery: owned threads hand finished ops to the JS thread
// through one thread-safe function per env. The TSFN only says "look";
// the ops wait in our own queue, which the JS thread drains whole, so
// coalesced wake-ups lose nothing. The TSFN is referenced only while ops
// are pending, so the process can exit when nothing is.
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
  // Any thread: the JS thread then looks at the close(cb) waiters.
  void FdClosed(Handle* h) override;

  // JS thread: one more / one fewer op pending (refs the TSFN from 0 to 1).
  void Hold();
  void Drop();
  size_t pending() const { return held_; }

  std::vector<Op*> TakeAll();  // JS thread (or teardown)

  // Teardown: no more calls into Node; owned threads must be joined first.
  void Release();

 private:
  static void CallJs(Napi::Env env, Napi::Function, Delivery* self, void*);
  using Tsfn = Napi::TypedThreadSafeFunction<Delivery, void, &Delivery::CallJs>;

  napi_env env_;
  Tsfn tsfn_;
  DrainFn drain_;
  void* owner_;
  std::mutex mu_;
  std::vector<Op*> queue_;
  size_t held_ = 0;
  bool released_ = false;
};

// Set by an atexit handler: process.exit() skips env cleanup on the main
// thread, so owned threads still blocked then must not call into Node.
extern std::atomic<bool> g_process_exiting;

}  // namespace kts
