#include "result.h"

#include "addon.h"
#include "address.h"
#include "errno_names.h"
#include "handle.h"
#include "socket_wrap.h"

namespace kts {

Napi::Object ErrorResult(Napi::Env env, int err, const char* syscall) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("status", static_cast<int>(OpStatus::kError));
  r.Set("errno", err);
  r.Set("code", ErrnoName(err));
  r.Set("syscall", syscall);
  return r;
}

Napi::Buffer<uint8_t> ReadData(Napi::Env env, Op& op) {
  return Napi::Buffer<uint8_t>::Copy(env, op.data.data(), op.done);
}

void ResultArgs(Napi::Env env, AddonData& data, Op& op, napi_value* out) {
  napi_value undefined = env.Undefined();
  for (size_t i = 0; i < kResultArgs; ++i) out[i] = undefined;
  out[0] = Napi::Number::New(env, static_cast<int>(op.status));
  out[1] = Napi::Number::New(env, static_cast<double>(op.done));
  if (op.decided_ns != 0) out[2] = Napi::Number::New(env, static_cast<double>(op.decided_ns) / 1e6);
  if (op.err != 0) {
    out[3] = Napi::Number::New(env, op.err);
    out[4] = Napi::String::New(env, ErrnoName(op.err));
  }
  if (op.syscall[0] != '\0') out[5] = Napi::String::New(env, op.syscall);
  if (op.kind == OpKind::kRead && op.done > 0 &&
      (op.status == OpStatus::kOk || op.status == OpStatus::kEof)) {
    out[6] = ReadData(env, op);
  }
  if (op.kind == OpKind::kAccept && op.status == OpStatus::kOk && op.accepted_fd >= 0) {
    if (data.accept_result_throws) throw Napi::Error::New(env, "KTS_TEST_ACCEPT_RESULT_THROWS");
    auto h = std::make_shared<Handle>(op.accepted_fd, false, data.threads_engine.registry());
    h->engine = op.handle->engine;  // accepted sockets take their server's engine
    op.accepted_fd = -1;            // the new handle owns it now
    out[7] = SocketWrap::NewInstance(env, data, std::move(h), op.peer.ss_family);
    out[8] = FormatAddress(env, op.peer, op.peer_len);
  }
}

Napi::Object MakeResult(Napi::Env env, AddonData& data, Op& op) {
  static constexpr const char* kNames[kResultArgs] = {"status",  "bytes", "decidedAt", "errno", "code",
                                                      "syscall", "data",  "socket",    "peer"};
  napi_value args[kResultArgs];
  ResultArgs(env, data, op, args);
  Napi::Object r = Napi::Object::New(env);
  for (size_t i = 0; i < kResultArgs; ++i) {
    if (i < 2 || !Napi::Value(env, args[i]).IsUndefined()) r.Set(kNames[i], args[i]);
  }
  return r;
}

}  // namespace kts
