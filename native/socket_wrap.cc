#include "socket_wrap.h"

#include <netinet/in.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "addon.h"
#include "address.h"
#include "clock.h"
#include "platform.h"
#include "result.h"

namespace kts {

namespace {

// Cheap re-checks of what lib/ validated; a failure here is a bug in lib/.
// Each is one N-API call whose status is the type check.
double NumberArg(const Napi::CallbackInfo& info, size_t i) {
  double v = 0;
  if (napi_get_value_double(info.Env(), info[i], &v) != napi_ok)
    throw Napi::TypeError::New(info.Env(), "argument must be a number");
  if (!std::isfinite(v) || v < 0) throw Napi::RangeError::New(info.Env(), "argument out of range");
  return v;
}

bool BoolArg(const Napi::CallbackInfo& info, size_t i) {
  bool v = false;
  if (napi_get_value_bool(info.Env(), info[i], &v) != napi_ok)
    throw Napi::TypeError::New(info.Env(), "argument must be a boolean");
  return v;
}

// The optional timer mode at i (TimerMode: 0 sockopt, 1 poll); undefined
// leaves the default.
TimerMode TimerArg(const Napi::CallbackInfo& info, size_t i) {
  int32_t v = 0;
  if (napi_get_value_int32(info.Env(), info[i], &v) != napi_ok) {
    if (info[i].IsUndefined()) return TimerMode::kSockopt;
    throw Napi::TypeError::New(info.Env(), "timer mode must be a number");
  }
  if (v != 0 && v != 1) throw Napi::RangeError::New(info.Env(), "timer mode must be 0 or 1");
  return static_cast<TimerMode>(v);
}

int FacadeFamily(int ss_family) {
  if (ss_family == AF_INET) return 4;
  if (ss_family == AF_INET6) return 6;
  return 0;
}

}  // namespace

Napi::Function SocketWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeSocket",
                     {
                         StaticMethod<&SocketWrap::Open>("open"),
                         StaticMethod<&SocketWrap::TimeoutReadback>("timeoutReadback"),
                         StaticMethod<&SocketWrap::DeadlineEntries>("deadlineEntries"),
                         StaticMethod<&SocketWrap::NotACell>("notACell"),
                         InstanceMethod<&SocketWrap::Connect>("connect"),
                         InstanceMethod<&SocketWrap::Listen>("listen"),
                         InstanceMethod<&SocketWrap::Accept>("accept"),
                         InstanceMethod<&SocketWrap::Cancel>("cancel"),
                         InstanceMethod<&SocketWrap::SetDeadline>("setDeadline"),
                         InstanceMethod<&SocketWrap::Close>("close"),
                         InstanceMethod<&SocketWrap::Address>("address"),
                         InstanceAccessor<&SocketWrap::GetFd>("fd"),
                         InstanceMethod<&SocketWrap::SetRef>("setRef"),
                         StaticMethod<&SocketWrap::Capabilities>("capabilities"),
                         InstanceMethod<&SocketWrap::SetUserTimeout>("setUserTimeout"),
                         InstanceMethod<&SocketWrap::SetKeepAlive>("setKeepAlive"),
                         InstanceMethod<&SocketWrap::SetLinger>("setLinger"),
                         InstanceMethod<&SocketWrap::SetNoDelay>("setNoDelay"),
                         InstanceMethod<&SocketWrap::TcpOptions>("tcpOptions"),
                         InstanceMethod<&SocketWrap::Info>("info"),
                     });
}

Napi::Object SocketWrap::NewInstance(Napi::Env env, AddonData& data, std::shared_ptr<Handle> h,
                                     int ss_family) {
  // The constructor moves the handle out; should the construction fail (a
  // terminating env fails every call), the handle is freed here and its fd
  // closed, not left to the env's teardown.
  struct Adopting {
    AddonData& data;
    ~Adopting() { data.adopting = nullptr; }
  } adopting{data};
  data.adopting = &h;
  return data.socket_ctor.New({Napi::Number::New(env, FacadeFamily(ss_family))});
}

SocketWrap::SocketWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SocketWrap>(info) {
  Napi::Env env = info.Env();
  AddonData& data = AddonData::Of(env);
  if (data.adopting == nullptr)
    throw Napi::TypeError::New(env, "NativeSocket is created by NativeSocket.open()");
  handle_ = std::move(*data.adopting);
  data.adopting = nullptr;
  family_ = info[0].As<Napi::Number>().Int32Value();
  // Held by cell_ from here, so a throw below frees it with the members.
  cell_.reset(new SocketCell{SocketCell::kTag, this, &data, 1});
  auto ext =
      Napi::External<SocketCell>::New(env, cell_.get(), [](Napi::Env, SocketCell* c) { CellRelease()(c); });
  ++cell_->holders;  // the External's, dropped by its finalizer
  info.This().As<Napi::Object>().DefineProperty(Napi::PropertyDescriptor::Value("cell", ext, napi_default));
}

void CellRelease::operator()(SocketCell* cell) const {
  if (--cell->holders != 0) return;
  cell->tag = 0;
  delete cell;
}

// A socket dropped without close() is closed when collected (README). The
// handle alone cannot do it on the loop engine: its watcher holds a
// reference until uv_close, so the engine must close it. Nothing is pending
// (JavaScript's record of a pending op keeps this object alive), so Close settles no op; once the
// env's teardown has begun every live handle is closing already, so the
// engines are never touched after they are gone.
SocketWrap::~SocketWrap() {
  if (cell_) cell_->wrap = nullptr;
  if (!handle_) return;
  {
    std::lock_guard<std::mutex> lock(handle_->mu);
    if (handle_->closing()) return;
  }
  handle_->engine->Close(*handle_);
}

// open(family: 4 | 6 | 0, listener: boolean, engine?: 0 threads | 1 loop): NativeSocket | ErrorResult
Napi::Value SocketWrap::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int family = static_cast<int>(NumberArg(info, 0));
  bool listener = info[1].ToBoolean();
  int engine = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  if (engine != 0 && engine != 1) throw Napi::RangeError::New(env, "engine must be 0 or 1");
  int af = SocketFamily(family);
  if (af < 0) throw Napi::RangeError::New(env, "family must be 4, 6 or 0");
  int fd = platform::OpenSocket(af);
  if (fd < 0) return ErrorResult(env, errno, "socket");
  AddonData& data = AddonData::Of(env);
  auto h = std::make_shared<Handle>(fd, listener, data.threads_engine.registry());
  h->engine = engine == 1 ? static_cast<Engine*>(&data.loop_engine) : &data.threads_engine;
  return NewInstance(env, data, std::move(h), af);
}

// timeoutReadback(ms, 'recv' | 'send'): what the kernel stores for that
// SO_RCVTIMEO / SO_SNDTIMEO, measured on a scratch socket (so it never
// disturbs a call in flight on a real one).
Napi::Value SocketWrap::TimeoutReadback(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double ms = NumberArg(info, 0);
  int opt = info[1].ToString().Utf8Value() == "send" ? SO_SNDTIMEO : SO_RCVTIMEO;
  int fd = platform::OpenSocket(AF_INET);
  if (fd < 0) return ErrorResult(env, errno, "socket");
  int64_t us = static_cast<int64_t>(std::ceil(ms * 1000));
  timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  socklen_t len = sizeof tv;
  Napi::Value out;
  if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) < 0) {
    out = ErrorResult(env, errno, "setsockopt");
  } else if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0) {
    out = ErrorResult(env, errno, "getsockopt");
  } else {
    out = Napi::Number::New(env, tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0);
  }
  close(fd);
  return out;
}

// deadlineEntries(): entries in the loop engine's deadline heap (tests).
Napi::Value SocketWrap::DeadlineEntries(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(AddonData::Of(info.Env()).loop_engine.deadline_entries()));
}

// notACell(): an External whose data is not a cell, as another addon's
// would be (tests: read, write and end must refuse it).
Napi::Value SocketWrap::NotACell(const Napi::CallbackInfo& info) {
  // Not zeroed: a cell check that only looked for a null wrap would take
  // these bytes for a pointer.
  static uint64_t stray[4] = {1, 0x5a5a5a5a5a5a5a5aULL, 2, 3};
  return Napi::External<uint64_t>::New(info.Env(), stray);
}

void SocketWrap::DefineCalls(Napi::Env env, Napi::Object exports) {
  exports.Set("read", Napi::Function::New<&SocketWrap::Read>(env, "read"));
  exports.Set("write", Napi::Function::New<&SocketWrap::Write>(env, "write"));
  exports.Set("end", Napi::Function::New<&SocketWrap::End>(env, "end"));
}

SocketWrap& SocketWrap::FromCell(const Napi::CallbackInfo& info) {
  void* cell = nullptr;
  if (napi_get_value_external(info.Env(), info[0], &cell) != napi_ok || cell == nullptr ||
      static_cast<SocketCell*>(cell)->tag != SocketCell::kTag)
    throw Napi::TypeError::New(info.Env(), "socket must be a NativeSocket's cell");
  SocketWrap* wrap = static_cast<SocketCell*>(cell)->wrap;
  // The wrapper's weak reference is empty from the GC that collected it on,
  // before its finalizer (which clears wrap) has run.
  if (wrap == nullptr || wrap->Value().IsEmpty())
    throw Napi::TypeError::New(info.Env(), "socket was collected");
  return *wrap;
}

JsOp* SocketWrap::NewOp(OpKind kind, double timeout_ms, TimerMode timer) {
  JsOp* op = cell_->data->op_pool.New();
  op->kind = kind;
  op->MakeAddress();
  op->handle = handle_;
  op->timeout_ms = timeout_ms;
  // The deadline is fixed now, on the caller's tick: a stalled event loop
  // cannot stretch it.
  op->deadline_ns = DeadlineFromMs(timeout_ms, MonoNowNs());
  op->timer = timer;
  return op;
}

Napi::Value SocketWrap::Start(Napi::Env env, JsOp* op) {
  op->socket = &ops_;
  return cell_->data->Start(env, op);
}

// connect(hostOrPath, port, timeoutMs, timer?)
Napi::Value SocketWrap::Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "address must be a string");
  int port = static_cast<int>(NumberArg(info, 1));
  JsOp* op = NewOp(OpKind::kConnect, NumberArg(info, 2), TimerArg(info, 3));
  int err = ParseAddress(family_, info[0].As<Napi::String>().Utf8Value(), port, &op->address->ss,
                         &op->address->len);
  if (err != 0) {
    cell_->data->op_pool.Free(op);
    return ErrorResult(env, err, "connect");
  }
  return Start(env, op);
}

// listen(hostOrPath, port, backlog): undefined | ErrorResult
Napi::Value SocketWrap::Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "address must be a string");
  int port = static_cast<int>(NumberArg(info, 1));
  int backlog = static_cast<int>(NumberArg(info, 2));
  sockaddr_storage addr;
  socklen_t len;
  int err = ParseAddress(family_, info[0].As<Napi::String>().Utf8Value(), port, &addr, &len);
  if (err != 0) return ErrorResult(env, err, "bind");
  int fd = handle_->Acquire();
  if (fd < 0) return ErrorResult(env, EBADF, "listen");
  Napi::Value out = env.Undefined();
  int one = 1;
  if (family_ != 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
    out = ErrorResult(env, errno, "setsockopt");
  } else if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
    out = ErrorResult(env, errno, "bind");
  } else if (listen(fd, backlog) < 0) {
    out = ErrorResult(env, errno, "listen");
  } else if (platform::PrepareListener(fd) < 0) {
    out = ErrorResult(env, errno, "fcntl");
  } else if (handle_->engine->PrepareListener(fd) < 0) {
    out = ErrorResult(env, errno, "fcntl");
  }
  handle_->Release();
  return out;
}

// accept(timeoutMs, timer?)
Napi::Value SocketWrap::Accept(const Napi::CallbackInfo& info) {
  return Start(info.Env(), NewOp(OpKind::kAccept, NumberArg(info, 0), TimerArg(info, 1)));
}

// read(cell, size, timeoutMs, exact, timer?)
Napi::Value SocketWrap::Read(const Napi::CallbackInfo& info) {
  SocketWrap& wrap = FromCell(info);
  double size = NumberArg(info, 1);
  // lib/validate.ts MAX_READ_SIZE; the bound also keeps the cast below defined.
  if (size < 1 || size > 64 * 1024 * 1024) throw Napi::RangeError::New(info.Env(), "size must be 1..64 MiB");
  double timeout_ms = NumberArg(info, 2);
  bool exact = BoolArg(info, 3);
  JsOp* op = wrap.NewOp(OpKind::kRead, timeout_ms, TimerArg(info, 4));
  op->size = static_cast<size_t>(size);
  op->exact = exact;
  return wrap.Start(info.Env(), op);
}

// write(cell, buffer: Uint8Array, timeoutMs, timer?). The bytes are used in
// place on this tick only; whatever must wait for a thread is copied first,
// so no thread ever touches JavaScript memory.
Napi::Value SocketWrap::Write(const Napi::CallbackInfo& info) {
  SocketWrap& wrap = FromCell(info);
  // One call for the type check, the pointer and the length (a
  // Napi::Uint8Array makes two, ~200 instructions each).
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(info.Env(), info[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    throw Napi::TypeError::New(info.Env(), "data must be a Uint8Array");
  JsOp* op = wrap.NewOp(OpKind::kWrite, NumberArg(info, 2), TimerArg(info, 3));
  op->wptr = static_cast<const uint8_t*>(data);
  op->wlen = length;
  return wrap.Start(info.Env(), op);
}

// end(cell, timer?): shutdown(SHUT_WR) once the writes before it are done.
Napi::Value SocketWrap::End(const Napi::CallbackInfo& info) {
  SocketWrap& wrap = FromCell(info);
  return wrap.Start(info.Env(), wrap.NewOp(OpKind::kEnd, 0, TimerArg(info, 1)));
}

// cancel(id): 0 removed before it started, 1 abandoned in flight, 2 too
// late (or an id that is no pending op of this socket).
Napi::Value SocketWrap::Cancel(const Napi::CallbackInfo& info) {
  AddonData& data = AddonData::Of(info.Env());
  double id = NumberArg(info, 0);
  JsOp* op = id <= static_cast<double>(OpRegistry::kMaxId) ? data.ops.Find(static_cast<uint64_t>(id), &ops_)
                                                           : nullptr;
  int r = op ? static_cast<int>(handle_->engine->Cancel(op)) : static_cast<int>(CancelResult::kTooLate);
  return Napi::Number::New(info.Env(), r);
}

// setDeadline(dir: 0 read/accept | 1 write, epochMs: number | null): the
// socket-wide deadline of that direction, applied to pending ops too
// (Engine::Retime). Converted here, on the caller's tick, from Date.now()'s
// clock to CLOCK_MONOTONIC, saturating (clock.h). False when closing.
Napi::Value SocketWrap::SetDeadline(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dir = static_cast<int>(NumberArg(info, 0));
  if (dir != 0 && dir != 1) throw Napi::RangeError::New(env, "direction must be 0 or 1");
  int64_t deadline = 0;
  if (!info[1].IsNull()) {
    if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "deadline must be a number or null");
    double epoch_ms = info[1].As<Napi::Number>().DoubleValue();
    if (std::isnan(epoch_ms)) throw Napi::RangeError::New(env, "deadline out of range");
    deadline = MonoDeadlineFromEpochMs(epoch_ms, EpochNowMs(), MonoNowNs());
  }
  bool ok = handle_->engine->Retime(*handle_, static_cast<Direction>(dir), deadline);
  return Napi::Boolean::New(env, ok);
}

// close(cb?): true when the fd is closed already and no op of the socket is
// pending; otherwise cb runs once the last in-flight call has left the fd,
// the fd is closed, and every op of the socket has been delivered.
Napi::Value SocketWrap::Close(const Napi::CallbackInfo& info) {
  AddonData& data = AddonData::Of(info.Env());
  bool fd_closed = handle_->engine->Close(*handle_);
  // Done only once every op of the socket is delivered too: a thread may
  // have released the fd (so it closed at once) and not yet reported its op.
  bool closed = fd_closed && ops_.pending == 0;
  if (!closed && info[0].IsFunction()) {
    if (close_callbacks_.empty()) {
      Ref();                     // stay alive until the fd is closed
      data.delivery.Hold(true);  // and keep the loop alive for its callback
      data.WaitForClose(handle_.get(), this);
    }
    // Settled when the last op is delivered (AddonData::Deliver).
    if (fd_closed) ops_.close_ready = true;
    close_callbacks_.push_back(Napi::Persistent(info[0].As<Napi::Function>()));
  }
  return Napi::Boolean::New(info.Env(), closed);
}

void SocketWrap::SettleClose(Napi::Env env) {
  std::vector<Napi::FunctionReference> callbacks;
  callbacks.swap(close_callbacks_);
  Unref();
  AddonData::Of(env).CloseSettled();
  for (Napi::FunctionReference& cb : callbacks) {
    Napi::Function fn = cb.Value();
    cb.Reset();
    fn.Call({});
  }
  (void)env;
}

// address(peer: boolean): { address, port, family } | { path } | ErrorResult
Napi::Value SocketWrap::Address(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool peer = info[0].ToBoolean();
  int fd = handle_->Acquire();
  if (fd < 0) return ErrorResult(env, EBADF, peer ? "getpeername" : "getsockname");
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
               : getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int err = errno;
  handle_->Release();
  if (r < 0) return ErrorResult(env, err, peer ? "getpeername" : "getsockname");
  return FormatAddress(env, addr, len);
}

// setRef(ref: boolean): whether this socket's pending and later ops keep the
// event loop alive (net.Socket's ref()/unref()). An op that finishes while
// unref'd is still delivered if the loop runs for another reason.
Napi::Value SocketWrap::SetRef(const Napi::CallbackInfo& info) {
  bool ref = info[0].ToBoolean();
  AddonData::Of(info.Env()).ops.SetRef(&ops_, ref);
  handle_->engine->SetRef(*handle_, ref);
  return info.Env().Undefined();
}

Napi::Value SocketWrap::GetFd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), handle_->fd_for_diagnostics());
}

}  // namespace kts
