#include "result.h"

#include <cstdint>
#include <cstring>

#include "addon.h"
#include "address.h"
#include "errno_names.h"
#include "handle.h"
#include "scratch.h"
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

void Landing::Set(Napi::Buffer<uint8_t> buffer) {
  size_t length = buffer.Length();
  ref_ = Napi::Persistent(static_cast<Napi::Object>(buffer));  // strong: refcount 1
  base_ = buffer.Data();
  room_ = length >= 8 ? length - 8 : 0;
}

Napi::Value Landing::Land(const uint8_t* bytes, size_t n) {
  uint32_t count = static_cast<uint32_t>(n);
  std::memcpy(base_, &count, sizeof count);
  std::memcpy(base_ + 8, bytes, n);
  return ref_.Value();
}

Spare::~Spare() {
  if (base_ != nullptr) (void)SetThreadScratch(nullptr);  // the slot exists: it was set
}

bool Spare::Holds(const Op& op) const {
  return base_ != nullptr && op.data.borrowed() && op.data.data() == base_ && op.done == kScratchBytes;
}

bool Spare::Make(Napi::Env env) {
  // Back to the mapped scratch first: no read may land in a Buffer that
  // JavaScript has, even if no new one can be made.
  if (!SetThreadScratch(nullptr)) return false;
  base_ = nullptr;
  ref_.Reset();
  try {
    Napi::Buffer<uint8_t> b = Napi::Buffer<uint8_t>::New(env, kScratchBytes);
    if (!SetThreadScratch(b.Data())) return true;
    ref_ = Napi::Persistent(static_cast<Napi::Object>(b));
    base_ = b.Data();
  } catch (const Napi::Error&) {
    // No memory for it: reads go on through the mapped scratch, copied.
  }
  return true;
}

Napi::Value Spare::Take(Napi::Env env, const Op& op) {
  Napi::Value full = ref_.Value();
  if (Make(env)) return full;
  return Napi::Buffer<uint8_t>::Copy(env, op.data.data(), op.done);  // still the scratch: copied
}

void Spare::Ensure(Napi::Env env) {
  if (base_ == nullptr) (void)Make(env);  // false: stays without one
}

Napi::Value ReadData(Napi::Env env, AddonData& data, Op& op) {
  if (data.spare.Holds(op)) return data.spare.Take(env, op);
  if (data.landing.Fits(op.done)) return data.landing.Land(op.data.data(), op.done);
  Napi::Value copy = Napi::Buffer<uint8_t>::Copy(env, op.data.data(), op.done);
  if (op.done == kScratchBytes && op.data.borrowed()) data.spare.Ensure(env);
  return copy;
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
    out[6] = ReadData(env, data, op);
  }
  if (op.kind == OpKind::kAccept && op.status == OpStatus::kOk && op.accepted_fd >= 0) {
    if (data.accept_result_throws) throw Napi::Error::New(env, "KTS_TEST_ACCEPT_RESULT_THROWS");
    auto h = std::make_shared<Handle>(op.accepted_fd, false, data.threads_engine.registry());
    h->engine = op.handle->engine;  // accepted sockets take their server's engine
    op.accepted_fd = -1;            // the new handle owns it now
    out[7] = SocketWrap::NewInstance(env, data, std::move(h), op.address->ss.ss_family);
    out[8] = FormatAddress(env, op.address->ss, op.address->len);
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
