// The naive design scenario 6 compares K against: a blocking read with
// SO_RCVTIMEO run as a Napi::AsyncWorker, i.e. on libuv's threadpool (4
// threads by default, shared with fs, dns.lookup, crypto and zlib). Built
// only by the bench, never shipped.
#include <napi.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace {

class BlockingRead : public Napi::AsyncWorker {
 public:
  BlockingRead(Napi::Function cb, int fd, int timeout_ms)
      : Napi::AsyncWorker(cb), fd_(fd), timeout_ms_(timeout_ms) {}

  void Execute() override {
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
      SetError(std::string("setsockopt: ") + std::strerror(errno));
      return;
    }
    char buf[64];
    ssize_t n;
    do {
      n = recv(fd_, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      err_ = errno;
      return;
    }
    bytes_ = n;
  }

  void OnOK() override {
    Napi::Env env = Env();
    Callback().Call({env.Null(), Napi::Number::New(env, err_ ? -err_ : static_cast<double>(bytes_))});
  }

 private:
  int fd_;
  int timeout_ms_;
  int err_ = 0;
  ssize_t bytes_ = 0;
};

// connectLoopback(port) -> fd: a blocking TCP socket connected to 127.0.0.1.
Napi::Value ConnectLoopback(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int port = info[0].As<Napi::Number>().Int32Value();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Napi::Error::New(env, std::string("socket: ") + std::strerror(errno));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    close(fd);
    throw Napi::Error::New(env, std::string("connect: ") + std::strerror(e));
  }
  return Napi::Number::New(env, fd);
}

// read(fd, timeoutMs, cb): cb(null, bytes or -errno) from the threadpool.
Napi::Value Read(const Napi::CallbackInfo& info) {
  auto* w = new BlockingRead(info[2].As<Napi::Function>(), info[0].As<Napi::Number>().Int32Value(),
                             info[1].As<Napi::Number>().Int32Value());
  w->Queue();
  return info.Env().Undefined();
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  if (close(info[0].As<Napi::Number>().Int32Value()) != 0) {
    throw Napi::Error::New(info.Env(), std::string("close: ") + std::strerror(errno));
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("connectLoopback", Napi::Function::New(env, ConnectLoopback));
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("close", Napi::Function::New(env, Close));
  return exports;
}

}  // namespace

NODE_API_MODULE(naive, Init)
