#include "bind_local.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "result.h"

namespace kts {
namespace {

Napi::Value BindLocal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "bindLocal(fd, address, port)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string address = info[1].As<Napi::String>().Utf8Value();
  uint32_t port = info[2].As<Napi::Number>().Uint32Value();
  if (port > 65535) return ErrorResult(env, EINVAL, "bind");
  // A numeric address only (scope ids included): no name lookup here.
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(address.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return ErrorResult(env, EINVAL, "bind");
  }
  sockaddr_storage ss{};
  std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
  socklen_t len = res->ai_addrlen;
  freeaddrinfo(res);
  if (ss.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(static_cast<uint16_t>(port));
  } else if (ss.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(static_cast<uint16_t>(port));
  } else {
    return ErrorResult(env, EAFNOSUPPORT, "bind");
  }
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0)
    return ErrorResult(env, errno, "setsockopt");
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return ErrorResult(env, errno, "bind");
  return env.Undefined();
}

}  // namespace

void RegisterBindLocal(Napi::Env env, Napi::Object exports) {
  exports.Set("bindLocal", Napi::Function::New<BindLocal>(env, "bindLocal"));
}

}  // namespace kts
