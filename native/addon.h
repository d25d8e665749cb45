// Per-env state of the addon (one per main thread or Worker): the engines,
// completion delivery, the ops JavaScript is waiting for, and teardown.
// Built and torn down in addon_data.cc; ops start and settle in
// completions.cc; addon.cc is module init only.
#pragma once

#include <napi.h>

#include <memory>
#include <unordered_map>
#include <vector>

#include "delivery.h"
#include "loop_engine.h"
#include "op_pool.h"
#include "op_registry.h"
#include "result.h"
#include "threads_engine.h"

namespace kts {

class SocketWrap;

class AddonData {
 public:
  explicit AddonData(Napi::Env env);

  static AddonData& Of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

  // Starts op; returns its id (for cancel), with which its outcome reaches
  // the settle callback later, or, when it finished at once, its outcome:
  // a read's bytes or true (a write or end done) when it succeeded, else 0
  // after its outcome went to the settle callback as id 0 (an outcome
  // object, with no settle callback registered).
  Napi::Value Start(Napi::Env env, JsOp* op);
  // setSettle(fn): the env's one settle callback (lib/native.ts
  // SettleCallback), called with an op's id and outcome. Returns the one
  // it replaces (a second copy of lib/ hands it the ids it does not know).
  static Napi::Value SetSettle(const Napi::CallbackInfo& info);

  // close(cb) bookkeeping: wrap waits for h's fd to be closed (the engine
  // reports it through the sink's FdClosed; the wrap keeps h alive).
  void WaitForClose(Handle* h, SocketWrap* wrap);

  void Teardown();  // env cleanup hook: close all, join threads, drop refs

  OpPool op_pool;  // first: every JsOp is freed into it, so it goes last
  Delivery delivery;
  OpRegistry ops{&delivery};
  // 'threads' (default); owns the registry of every handle and the lane
  // runner (owned threads) that the loop engine borrows.
  ThreadsEngine threads_engine;
  LoopEngine loop_engine;  // 'loop'
  // close(cb) waiters keep the loop alive until their fd is closed.
  void CloseSettled() { delivery.Drop(true); }
  Napi::FunctionReference socket_ctor;
  // The handle SocketWrap::NewInstance is wrapping, for the constructor to
  // take: no JavaScript value ever carries one, so `new NativeSocket(x)`
  // from JavaScript (with a cell, say) throws instead of adopting garbage.
  std::shared_ptr<Handle>* adopting = nullptr;
  Landing landing;  // a read's few bytes on their way to JavaScript (result.h)
  Spare spare;      // a full 64 KiB read's Buffer, filled by recv (result.h)
  // A test hook (KTS_TEST_ACCEPT_RESULT_THROWS=1): building the outcome of
  // an accept that took a connection throws, as every call into a Worker's
  // env does once its termination began, so a test can see that the
  // connection is closed and not leaked.
  const bool accept_result_throws;

 private:
  static void Drain(Napi::Env env, void* self);
  // LoopEngine::SettleNow: delivers op from an event-loop callback.
  static void SettleFromLoop(void* self, Op* op);
  // Calls the settle callback with op's id and outcome and frees op; false
  // when that threw (*error holds the first such error).
  bool Deliver(Napi::Env env, JsOp* op, bool from_loop, Napi::Error* error);
  void SettleCloses(Napi::Env env, const std::vector<Handle*>& closed);

  napi_env env_;
  std::unique_ptr<Napi::AsyncContext> async_context_;  // for callbacks made from the loop
  Napi::FunctionReference settle_;                     // setSettle's callback
  std::unordered_map<Handle*, SocketWrap*> close_waiters_;
  bool torn_down_ = false;
};

}  // namespace kts
