// Completions reach JavaScript, all through the env's one settle callback
// (setSettle): an op started from JavaScript either finishes at once (its
// outcome goes to the callback as op id 0 before its start call returns, or
// is the call's value when it is a read's bytes or a write or end done)
// or is registered (op_registry.h), and the delivery queue's drain
// (delivery.h) or the loop engine then hands it, by id, to the callback.
// close(cb) waiters go on once their socket's fd is closed and its ops are
// delivered.
#include <cerrno>
#include <memory>
#include <vector>

#include "addon.h"
#include "result.h"
#include "socket_wrap.h"

namespace kts {

Napi::Value AddonData::SetSettle(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "settle must be a function");
  AddonData& data = Of(info.Env());
  Napi::Value previous = data.settle_.IsEmpty() ? info.Env().Undefined() : data.settle_.Value();
  data.settle_ = Napi::Persistent(info[0].As<Napi::Function>());
  if (info[1].IsBuffer()) data.landing.Set(info[1].As<Napi::Buffer<uint8_t>>());
  return previous;
}

Napi::Value AddonData::Start(Napi::Env env, JsOp* op) {
  if (!ops.HasRoom()) {
    // OpRegistry::kSlots ops pending in this env: no id to give this one.
    op_pool.Free(op);
    return ErrorResult(env, ENOBUFS, "start");
  }
  SubmitResult started = op->handle->engine->Submit(op);
  if (started == SubmitResult::kFinished) {
    // Freed whatever happens: building the outcome throws when the env is
    // being torn down (a Worker terminated in this call), and the op may
    // hold an accepted connection that only its destructor closes.
    OpPool::Ptr finished = op_pool.Own(op);
    if (settle_.IsEmpty()) return MakeResult(env, *this, *op);
    // The common outcomes are the call's value, with no callback to make:
    // a read's bytes, or true for a write or end that is done.
    if (op->status == OpStatus::kOk) {
      if (op->kind == OpKind::kRead && op->done > 0) return ReadData(env, *this, *op);
      if (op->kind == OpKind::kWrite || op->kind == OpKind::kEnd) return Napi::Boolean::New(env, true);
    }
    // Any other outcome: before this returns, its outcome goes to the settle callback as op
    // id 0, in plain arguments: no result object to build (each of its
    // property sets cost ~300 ns).
    napi_value args[1 + kResultArgs];
    args[0] = Napi::Number::New(env, 0);
    ResultArgs(env, *this, *op, args + 1);
    finished.reset();
    settle_.Value().Call(1 + kResultArgs, args);
    return Napi::Value(env, args[0]);
  }
  // Pending: nothing can deliver it before this tick ends (delivery runs
  // on this thread), so JavaScript records its id in time.
  double id = static_cast<double>(ops.Add(op));
  // Negative: queued behind another op of its lane (the engine decides it
  // if it is still queued at its deadline: queue_watch.h); positive: started.
  return Napi::Number::New(env, started == SubmitResult::kQueued ? -id : id);
}

void AddonData::WaitForClose(Handle* h, SocketWrap* wrap) { close_waiters_[h] = wrap; }

void AddonData::Drain(Napi::Env env, void* self) {
  auto* data = static_cast<AddonData*>(self);
  Napi::HandleScope scope(env);
  bool threw = false;
  Napi::Error first_error;
  std::vector<Handle*> closed;
  for (Op* raw : data->delivery.TakeAll(&closed)) {
    auto* op = static_cast<JsOp*>(raw);
    op->handle->engine->Delivered(op);
    if (!data->Deliver(env, op, false, &first_error)) threw = true;
  }
  data->SettleCloses(env, closed);
  if (threw) first_error.ThrowAsJavaScriptException();
}

bool AddonData::Deliver(Napi::Env env, JsOp* raw, bool from_loop, Napi::Error* error) {
  OpPool::Ptr op = op_pool.Own(raw);  // freed whatever happens
  if (ops.Remove(op.get()) && op->socket->close_ready) {
    // Its fd was closed before this op was delivered: the close(cb) waiters
    // go on now, on the next drain, after every op of the socket.
    delivery.FdClosed(op->handle.get());
  }
  try {
    if (settle_.IsEmpty()) throw Napi::Error::New(env, "kernel-timeout-socket: no settle callback");
    // The op id, then the outcome (result.h ResultArgs).
    napi_value args[1 + kResultArgs];
    napi_value* outcome = args + 1;
    args[0] = Napi::Number::New(env, static_cast<double>(op->id));
    size_t argc = 1 + kResultArgs;
    if (op->abandoned || op->status == OpStatus::kCancelled) {
      // JavaScript settled it already: this lets its record go. Whatever
      // the op holds (an accepted connection) is freed with it.
      outcome[0] = Napi::Number::New(env, static_cast<int>(OpStatus::kCancelled));
      argc = 2;
    } else {
      ResultArgs(env, *this, *op, outcome);
    }
    op.reset();  // freed before JavaScript runs
    Napi::Function cb = settle_.Value();
    if (from_loop) {
      // Not inside a JavaScript call: MakeCallback runs the microtasks
      // (the promise reactions) when it returns, as Node's own callbacks do.
      // Its receiver must be an object; the callback (an arrow function)
      // ignores it, so it is the callback itself rather than the global
      // object fetched per delivery (napi_get_global, ~90 instructions).
      cb.MakeCallback(cb, argc, args, *async_context_);
    } else {
      cb.Call(argc, args);
    }
    return true;
  } catch (const Napi::Error& e) {
    // A callback threw, or this env is being torn down (a terminated
    // Worker: Node runs a last wake-up while JavaScript can no longer
    // run, so MakeResult fails too). Go on: every op taken must be freed,
    // or an accepted connection in it stays open for good.
    if (error->IsEmpty()) *error = e;
    return false;
  }
}

void AddonData::SettleFromLoop(void* self, Op* op) {
  auto* data = static_cast<AddonData*>(self);
  Napi::Env env(data->env_);
  Napi::HandleScope scope(env);
  Napi::Error error;
  if (!data->Deliver(env, static_cast<JsOp*>(op), true, &error)) {
    // As for any exception thrown by a callback Node makes from the loop.
    napi_fatal_exception(env, error.Value());
  }
}

void AddonData::SettleCloses(Napi::Env env, const std::vector<Handle*>& closed) {
  for (Handle* h : closed) {
    auto it = close_waiters_.find(h);
    if (it == close_waiters_.end()) continue;  // closed at once, or nobody waits
    SocketWrap* wrap = it->second;
    // close() settles after every op of the socket is delivered: a thread
    // can close the fd (its last Release) just before it reports the op
    // that held it.
    if (wrap->ops().pending > 0) {
      wrap->ops().close_ready = true;
      continue;
    }
    close_waiters_.erase(it);
    wrap->SettleClose(env);
  }
}

}  // namespace kts
