// Per-env state of the addon (one per main thread or Worker): the engine,
// completion delivery, the ops JavaScript is waiting for, and teardown.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "delivery.h"
#include "loop_engine.h"
#include "threads_engine.h"

namespace kts {

// An op started from JavaScript: what to call back, and the wrapper to keep
// alive meanwhile. These fields are touched on the JS thread only.
struct JsOp : Op {
  uint32_t id = 0;
  Napi::FunctionReference callback;
  Napi::ObjectReference owner;
};

class SocketWrap;

class AddonData {
 public:
  explicit AddonData(Napi::Env env);

  static AddonData& Of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

  // Starts op; returns its outcome object when it finished at once, else
  // the op id (for cancel) after arranging for cb to receive the outcome.
  Napi::Value Start(Napi::Env env, JsOp* op, Napi::Object owner, Napi::Function cb);

  JsOp* Find(uint32_t id);

  // close(cb) bookkeeping: wraps waiting for their fd to be closed.
  void WaitForClose(SocketWrap* wrap);

  void Teardown();  // env cleanup hook: close all, join threads, drop refs

  Delivery delivery;
  ThreadsEngine engine;    // 'threads' (default); owns the registry of every handle
  LoopEngine loop_engine;  // 'loop'
  // close(cb) waiters keep the loop alive until their fd is closed.
  void CloseSettled() { delivery.Drop(); }
  Napi::FunctionReference socket_ctor;

 private:
  static void Drain(Napi::Env env, void* self);
  // LoopEngine::SettleNow: delivers op from an event-loop callback.
  static void SettleFromLoop(void* self, Op* op);
  // Calls op's callback with its outcome and frees op; false when that
  // threw (*error holds the first such error).
  bool Deliver(Napi::Env env, JsOp* op, bool from_loop, Napi::Error* error);
  void SettleCloses(Napi::Env env);

  napi_env env_;
  std::unique_ptr<Napi::AsyncContext> async_context_;  // for callbacks made from the loop
  std::unordered_map<uint32_t, JsOp*> pending_;
  uint32_t next_id_ = 1;
  std::vector<SocketWrap*> close_waiters_;
  bool torn_down_ = false;
};

}  // namespace kts
