// Module init: per-env instance data, the cleanup hook that tears it down,
// and the class registration. Nothing here is process-global except the
// atexit flag, so the addon loads in any number of Workers at once.
#include "addon.h"

#include <cstdlib>
#include <memory>
#include <mutex>

#include "io.h"
#include "result.h"
#include "socket_wrap.h"

namespace kts {

namespace {

// How long an owned thread may sit idle before it retires. KTS_THREAD_IDLE_MS
// overrides the default (5 s) for tests and for diagnosing thread churn.
int ThreadIdleMs() {
  const char* v = std::getenv("KTS_THREAD_IDLE_MS");
  if (v == nullptr || *v == '\0') return 5000;
  long ms = std::strtol(v, nullptr, 10);
  return ms >= 10 && ms <= 3600000 ? static_cast<int>(ms) : 5000;
}

// How long one owned thread spins for work before sleeping: after a task
// (the pool) and before a read sleeps in recv (io_steps.cc). Wake-ups of sleeping
// threads dominate ping-pong latency, above all on VMs whose idle vCPUs
// halt. KTS_SPIN_US=0 turns both off, trading latency for idle CPU.
int SpinMicros() {
  const char* v = std::getenv("KTS_SPIN_US");
  if (v == nullptr || *v == '\0') return 50;
  long us = std::strtol(v, nullptr, 10);
  return us >= 0 && us <= 10000 ? static_cast<int>(us) : 50;
}

}  // namespace

uv_loop_t* LoopOf(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    Napi::Error::Fatal("kernel-timeout-socket", "napi_get_uv_event_loop failed");
  return loop;
}

AddonData::AddonData(Napi::Env env)
    : delivery(env, &AddonData::Drain, this),
      engine(&delivery, 256 * 1024, ThreadIdleMs(), SpinMicros()),
      loop_engine(LoopOf(env), &delivery, &AddonData::SettleFromLoop, this, &engine),
      env_(env) {
  SetBusyPollMicros(SpinMicros());
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "kernel-timeout-socket");
}

Napi::Value AddonData::Start(Napi::Env env, JsOp* op, Napi::Object owner, Napi::Function cb) {
  SubmitResult started = op->handle->engine->Submit(op);
  if (started == SubmitResult::kFinished) {
    Napi::Object r = MakeResult(env, *this, *op);
    delete op;
    return r;
  }
  // Pending: nothing can deliver it before this tick ends (delivery runs
  // on this thread), so these fields are set in time.
  op->callback = Napi::Persistent(cb);
  op->owner = Napi::Persistent(owner);
  double id = static_cast<double>(ops.Add(op));
  // Negative: queued behind another op of its lane (JavaScript then expires
  // it at its deadline if it never starts); positive: in a syscall now.
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
  std::unique_ptr<JsOp> op(raw);  // freed whatever happens
  if (ops.Remove(op.get()) && op->socket->close_ready) {
    // Its fd was closed before this op was delivered: the close(cb) waiters
    // go on now, on the next drain, after every op of the socket.
    delivery.FdClosed(op->handle.get());
  }
  // JavaScript already settled an aborted or cancelled op's promise.
  if (op->abandoned || op->status == OpStatus::kCancelled) return true;
  try {
    Napi::Value result = MakeResult(env, *this, *op);
    Napi::Function cb = op->callback.Value();
    op.reset();  // drop our references before user code can run
    if (from_loop) {
      // Not inside a JavaScript call: MakeCallback runs the microtasks
      // (the promise reactions) when it returns, as Node's own callbacks do.
      cb.MakeCallback(env.Global(), {result}, *async_context_);
    } else {
      cb.Call({result});
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

void AddonData::Teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  // Wake every blocked call and join every owned thread before the env goes.
  loop_engine.Shutdown();
  engine.Shutdown();
  for (Op* op : delivery.TakeAll()) delete static_cast<JsOp*>(op);
  ops.Clear();
  delivery.Release();
}

namespace {

void MarkProcessExiting() { g_process_exiting.store(true, std::memory_order_release); }

Napi::Value Threads(const Napi::CallbackInfo& info) {
  AddonData& data = AddonData::Of(info.Env());
  return Napi::Number::New(info.Env(),
                           static_cast<double>(data.engine.threads() + data.loop_engine.threads()));
}

Napi::Value Pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(AddonData::Of(info.Env()).delivery.pending()));
}

// setNextOpId(id): a test hook; the next pending op gets this id, so the
// wrap of the id counter is reached without 2^53 ops.
Napi::Value SetNextOpId(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "id must be a number");
  AddonData::Of(info.Env()).ops.SetNextId(static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(MarkProcessExiting); });
  auto* data = new AddonData(env);
  env.SetInstanceData(data);
  // Registered after the TSFN exists, so it runs before Node finalizes it.
  env.AddCleanupHook([data] { data->Teardown(); });
  data->socket_ctor = Napi::Persistent(SocketWrap::Define(env));
  exports.Set("NativeSocket", data->socket_ctor.Value());
  exports.Set("threads", Napi::Function::New<Threads>(env, "threads"));
  exports.Set("pending", Napi::Function::New<Pending>(env, "pending"));
  exports.Set("setNextOpId", Napi::Function::New<SetNextOpId>(env, "setNextOpId"));
  return exports;
}

}  // namespace

}  // namespace kts

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return kts::Init(env, exports); }

NODE_API_MODULE(kernel_timeout_socket, InitModule)
