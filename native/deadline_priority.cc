#include "deadline_priority.h"

#include <cerrno>

#include "addon.h"
#include "platform.h"
#include "result.h"

namespace kts {
namespace {

Napi::Value RealtimePriorityMax(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), platform::RealtimePriorityMax());
}

Napi::Value StartDeadlineRealtime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // The facade validated it; a value that is not a whole number in range
  // still gets EINVAL here, never a cast of garbage.
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "startDeadlineRealtime(priority)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double p = info[0].As<Napi::Number>().DoubleValue();
  if (!(p >= 1 && p <= 99) || p != static_cast<double>(static_cast<int>(p)))
    return ErrorResult(env, EINVAL, "pthread_setschedparam");
  int err = AddonData::Of(env).loop_engine.StartDeadlineRealtime(static_cast<int>(p));
  if (err == 0) return env.Undefined();
  // Only pthread_create can fail with EAGAIN here (no thread could start).
  return ErrorResult(env, err, err == EAGAIN ? "pthread_create" : "pthread_setschedparam");
}

}  // namespace

void RegisterDeadlinePriority(Napi::Env env, Napi::Object exports) {
  exports.Set("realtimePriorityMax", Napi::Function::New<RealtimePriorityMax>(env, "realtimePriorityMax"));
  exports.Set("startDeadlineRealtime",
              Napi::Function::New<StartDeadlineRealtime>(env, "startDeadlineRealtime"));
}

}  // namespace kts
