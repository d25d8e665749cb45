// NativeSocket methods for TCP options and introspection: thin conversions
// between JavaScript and tcp_options.h / tcp_info.h, each with the fd held
// (Acquire/Release) so close cannot free the number under them.
#include <napi.h>

#include <cerrno>
#include <climits>

#include "platform.h"
#include "result.h"
#include "socket_wrap.h"
#include "tcp_info.h"
#include "tcp_options.h"

namespace kts {

namespace {

// An integer argument in [min, max]; lib/ validated it, so a failure here
// is a bug in lib/.
int IntArg(const Napi::CallbackInfo& info, size_t i, int min, int max) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= min && v <= max)) throw Napi::RangeError::New(info.Env(), "argument out of range");
  return static_cast<int>(v);
}

// -1 (not reported) becomes undefined, so JavaScript sees only real values.
void SetKnown(Napi::Object o, const char* key, int64_t v) {
  if (v >= 0) o.Set(key, Napi::Number::New(o.Env(), static_cast<double>(v)));
}

void SetName(Napi::Object o, const char* key, const char* name) {
  if (name == nullptr) {
    o.Set(key, o.Env().Null());
  } else {
    o.Set(key, name);
  }
}

// Runs fn(fd) with the fd held; EBADF once close has begun.
template <typename Fn>
int OnFd(Handle& h, Fn fn) {
  int fd = h.Acquire();
  if (fd < 0) return EBADF;
  int err = fn(fd);
  h.Release();
  return err;
}

Napi::Value Done(Napi::Env env, int err) {
  return err ? Napi::Value(ErrorResult(env, err, "setsockopt")) : env.Undefined();
}

}  // namespace

// capabilities(): what this build can set and read.
Napi::Value SocketWrap::Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcpCapabilities c = GetTcpCapabilities();
  Napi::Object o = Napi::Object::New(env);
  SetName(o, "userTimeout", c.user_timeout);
  o.Set("userTimeoutUnitMs", c.user_timeout_unit_ms);
  SetName(o, "keepAliveIdle", c.keepalive_idle);
  o.Set("keepAliveInterval", c.keepalive_interval);
  o.Set("keepAliveCount", c.keepalive_count);
  o.Set("linger", true);
  SetName(o, "info", c.info);
  o.Set("pollTimer", platform::PollTimerName());
  return o;
}

// setUserTimeout(ms): undefined | ErrorResult
Napi::Value SocketWrap::SetUserTimeout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto ms = static_cast<uint32_t>(IntArg(info, 0, 0, INT_MAX));
  return Done(env, OnFd(*handle_, [&](int fd) { return kts::SetUserTimeout(fd, ms); }));
}

// setKeepAlive(enable, idleSeconds, intervalSeconds, count): each number 0
// to leave the kernel's value. undefined | ErrorResult
Napi::Value SocketWrap::SetKeepAlive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  KeepAlive k;
  k.enabled = info[0].ToBoolean();
  k.idle_s = IntArg(info, 1, 0, INT_MAX);
  k.interval_s = IntArg(info, 2, 0, INT_MAX);
  k.count = IntArg(info, 3, 0, INT_MAX);
  return Done(env, OnFd(*handle_, [&](int fd) { return kts::SetKeepAlive(fd, k); }));
}

// setLinger(seconds): -1 off (graceful close), 0 abortive.
// undefined | ErrorResult
Napi::Value SocketWrap::SetLinger(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int seconds = IntArg(info, 0, -1, INT_MAX);
  return Done(env, OnFd(*handle_, [&](int fd) { return kts::SetLinger(fd, seconds); }));
}

// setNoDelay(enable): TCP_NODELAY. undefined | ErrorResult
Napi::Value SocketWrap::SetNoDelay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool enable = info[0].ToBoolean();
  return Done(env, OnFd(*handle_, [&](int fd) { return kts::SetNoDelay(fd, enable); }));
}

// tcpOptions(): { userTimeout (ms), keepAlive, keepIdle?, keepInterval?
// (s), keepCount?, linger (-1 off), noDelay } as the kernel reads them back, or
// ErrorResult.
Napi::Value SocketWrap::TcpOptions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t user_timeout = 0;
  KeepAlive k;
  int linger = -1;
  bool no_delay = false;
  int err = OnFd(*handle_, [&](int fd) {
    int e = GetUserTimeout(fd, &user_timeout);
    if (e == 0) e = GetKeepAlive(fd, &k);
    if (e == 0) e = GetLinger(fd, &linger);
    if (e == 0) e = GetNoDelay(fd, &no_delay);
    return e;
  });
  if (err) return ErrorResult(env, err, "getsockopt");
  Napi::Object o = Napi::Object::New(env);
  o.Set("userTimeout", static_cast<double>(user_timeout));
  o.Set("keepAlive", k.enabled);
  SetKnown(o, "keepIdle", k.idle_s);
  SetKnown(o, "keepInterval", k.interval_s);
  SetKnown(o, "keepCount", k.count);
  o.Set("linger", linger);
  o.Set("noDelay", no_delay);
  return o;
}

// info(): the kernel's view of the connection (tcp_info.h), or ErrorResult.
Napi::Value SocketWrap::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TcpInfo ti;
  int err = OnFd(*handle_, [&](int fd) { return ReadTcpInfo(fd, &ti); });
  if (err) return ErrorResult(env, err, "getsockopt");
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", ti.state);
  SetKnown(o, "rtt", ti.rtt_us);
  SetKnown(o, "rttVar", ti.rttvar_us);
  SetKnown(o, "rto", ti.rto_us);
  SetKnown(o, "retransmits", ti.retransmits);
  SetKnown(o, "totalRetransmits", ti.total_retransmits);
  SetKnown(o, "unacked", ti.unacked);
  SetKnown(o, "lost", ti.lost);
  SetKnown(o, "sndCwnd", ti.snd_cwnd);
  SetKnown(o, "sndMss", ti.snd_mss);
  SetKnown(o, "rcvMss", ti.rcv_mss);
  SetKnown(o, "lastDataReceived", ti.last_data_recv_ms);
  SetKnown(o, "lastAckReceived", ti.last_ack_recv_ms);
  SetKnown(o, "sendQueue", ti.send_queue);
  SetKnown(o, "receiveQueue", ti.receive_queue);
  return o;
}

}  // namespace kts
