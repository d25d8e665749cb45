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

Napi::Object MakeResult(Napi::Env env, AddonData& data, Op& op) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("status", static_cast<int>(op.status));
  r.Set("bytes", static_cast<double>(op.done));
  if (op.decided_ns != 0) r.Set("decidedAt", static_cast<double>(op.decided_ns) / 1e6);
  if (op.err != 0) {
    r.Set("errno", op.err);
    r.Set("code", ErrnoName(op.err));
  }
  if (op.syscall[0] != '\0') r.Set("syscall", op.syscall);
  if (op.kind == OpKind::kRead && op.done > 0 &&
      (op.status == OpStatus::kOk || op.status == OpStatus::kEof)) {
    r.Set("data", Napi::Buffer<uint8_t>::Copy(env, op.data.data(), op.done));
  }
  if (op.kind == OpKind::kAccept && op.status == OpStatus::kOk && op.accepted_fd >= 0) {
    if (data.accept_result_throws) throw Napi::Error::New(env, "KTS_TEST_ACCEPT_RESULT_THROWS");
    auto h = std::make_shared<Handle>(op.accepted_fd, false, data.engine.registry());
    h->engine = op.handle->engine;  // accepted sockets take their server's engine
    op.accepted_fd = -1;            // the new handle owns it now
    r.Set("socket", SocketWrap::NewInstance(env, data, std::move(h), op.peer.ss_family));
    r.Set("peer", FormatAddress(env, op.peer, op.peer_len));
  }
  return r;
}

}  // namespace kts
