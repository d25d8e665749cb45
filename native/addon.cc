// Module init: per-env instance data, the cleanup hook that tears it down,
// and the class registration. Nothing here is process-global except the
// atexit flag, so the addon loads in any number of Workers at once.
#include <mutex>

#include "addon.h"
#include "bind_local.h"
#include "deadline_priority.h"
#include "resolver.h"
#include "socket_wrap.h"

namespace kts {

namespace {

void MarkProcessExiting() { g_process_exiting.store(true, std::memory_order_release); }

Napi::Value Threads(const Napi::CallbackInfo& info) {
  AddonData& data = AddonData::Of(info.Env());
  return Napi::Number::New(info.Env(),
                           static_cast<double>(data.threads_engine.threads() + data.loop_engine.threads()));
}

Napi::Value Pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(AddonData::Of(info.Env()).delivery.pending()));
}

// setLastOpGeneration(g): a test hook; every slot of the op registry last
// handed out generation g, so the wrap of generations is reached without
// 2^31 ops per slot.
Napi::Value SetLastOpGeneration(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "generation must be a number");
  AddonData::Of(info.Env())
      .ops.SetLastGeneration(static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
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
  SocketWrap::DefineCalls(env, exports);
  exports.Set("threads", Napi::Function::New<Threads>(env, "threads"));
  exports.Set("pending", Napi::Function::New<Pending>(env, "pending"));
  RegisterResolver(env, exports);
  RegisterBindLocal(env, exports);
  RegisterDeadlinePriority(env, exports);
  exports.Set("setSettle", Napi::Function::New<&AddonData::SetSettle>(env, "setSettle"));
  exports.Set("setLastOpGeneration", Napi::Function::New<SetLastOpGeneration>(env, "setLastOpGeneration"));
  return exports;
}

}  // namespace

}  // namespace kts

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return kts::Init(env, exports); }

NODE_API_MODULE(kernel_timeout_socket, InitModule)
