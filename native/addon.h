// Per-env state of the addon (one per main thread or Worker): the engine,
// completion delivery, the ops JavaScript is waiting for, and teardown.
#pragma once

#include <napi.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "delivery.h"
#include "engine.h"

namespace kts {

// An op started from JavaScript: what to call back, and the wrapper to keep
// alive meanwhile. These fields are touched on the JS thread only.
struct JsOp : Op {
  uint32_t id = 0;
  bool holds_ref = true;  // keeps the event loop alive while pending
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

  // NativeSocket#setRef: whether the pending ops of h keep the event loop
  // alive (later ops follow the wrap's flag, set by the caller).
  void SetRef(const Handle* h, bool ref);

  // close(cb) bookkeeping: wraps waiting for their fd to be closed.
  void WaitForClose(SocketWrap* wrap);

  void Teardown();  // env cleanup hook: close all, join threads, drop refs

  Delivery delivery;
  Engine engine;
  Napi::FunctionReference socket_ctor;

 private:
  static void Drain(Napi::Env env, void* self);
  void SettleCloses(Napi::Env env);

  std::unordered_map<uint32_t, JsOp*> pending_;
  uint32_t next_id_ = 1;
  std::vector<SocketWrap*> close_waiters_;
  bool torn_down_ = false;
};

}  // namespace kts
