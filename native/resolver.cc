#include "resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "clock.h"
#include "delivery.h"
#include "errno_names.h"

namespace kts {
namespace {

constexpr size_t kMaxThreads = 4;

// One name to resolve. The fields below `mu_` are guarded by Resolver::mu_.
struct Request {
  uint32_t id = 0;
  std::string host;
  int family = AF_UNSPEC;
  int flags = 0;
  int64_t deadline = 0;  // CLOCK_MONOTONIC ns; 0: none
  bool decided = false;  // a verdict was given (by a worker or the watcher)
  bool timed_out = false;
  int gai_error = 0;  // getaddrinfo's result
  int sys_errno = 0;  // errno when gai_error is EAI_SYSTEM
  int64_t decided_at = 0;
  std::vector<std::pair<std::string, int>> addresses;  // text, 4 or 6
};

using RequestPtr = std::shared_ptr<Request>;

// Synchronous faults stay deliverable; every other signal is blocked, so
// no handler of Node's ever runs on (or interrupts) a resolver thread.
sigset_t AsyncSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&set, sig);
  return set;
}

// getaddrinfo as libuv's uv_getaddrinfo calls it for dns.lookup: no
// service, SOCK_STREAM, the family and flags given. Addresses in the order
// the system gives them ('verbatim'), each once.
void Lookup(Request* r) {
  addrinfo hints{};
  hints.ai_family = r->family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = r->flags;
  addrinfo* res = nullptr;
  r->gai_error = getaddrinfo(r->host.c_str(), nullptr, &hints, &res);
  if (r->gai_error == EAI_SYSTEM) r->sys_errno = errno;
  if (r->gai_error != 0) return;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN] = {0};
    const void* src;
    int family;
    if (ai->ai_family == AF_INET) {
      src = &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr;
      family = 4;
    } else if (ai->ai_family == AF_INET6) {
      src = &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr;
      family = 6;
    } else {
      continue;
    }
    if (inet_ntop(ai->ai_family, src, text, sizeof text) == nullptr) continue;
    r->addresses.emplace_back(text, family);
  }
  freeaddrinfo(res);
}

const char* GaiName(int err) {
  switch (err) {
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
#endif
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_BADFLAGS: return "EAI_BADFLAGS";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_MEMORY: return "EAI_MEMORY";
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
    case EAI_NODATA: return "EAI_NODATA";
#endif
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_SOCKTYPE: return "EAI_SOCKTYPE";
    default: return "EAI_FAIL";
  }
}

class Resolver {
 public:
  explicit Resolver(Napi::Env env) {
    tsfn_ = Tsfn::New(env, "kernel-timeout-socket resolver", 0, 1, this);
    tsfn_.Unref(env);
  }

  // JS thread: queues host; cb gets the verdict. Returns the request id.
  Napi::Value Resolve(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsNumber() || !info[4].IsFunction()) {
      Napi::TypeError::New(env, "resolve(host, family, hints, timeoutMs, cb)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto r = std::make_shared<Request>();
    r->id = next_id_++;
    if (next_id_ == 0) next_id_ = 1;
    r->host = info[0].As<Napi::String>().Utf8Value();
    int family = info[1].As<Napi::Number>().Int32Value();
    r->family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
    r->flags = info[2].As<Napi::Number>().Int32Value();
    r->deadline = DeadlineFromMs(info[3].As<Napi::Number>().DoubleValue(), MonoNowNs());
    int err = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(r);
      if (r->deadline != 0) timed_.push_back(r);
      if (idle_ == 0 && workers_.size() < kMaxThreads) err = StartLocked(&Resolver::WorkerMain, &workers_);
      // A worker that could not start is no loss while another runs.
      if (err != 0 && !workers_.empty()) err = 0;
      if (err == 0 && r->deadline != 0 && !watcher_started_) {
        err = StartLocked(&Resolver::WatcherMain, &watchers_);
        watcher_started_ = err == 0;
      }
    }
    if (err != 0) {
      // No thread to take it (or no watcher to time it): refuse it now.
      std::lock_guard<std::mutex> lock(mu_);
      queue_.pop_back();
      if (r->deadline != 0) timed_.pop_back();
      Napi::Error e = Napi::Error::New(env, std::string("resolver thread: ") + ErrnoName(err));
      e.Set("code", Napi::String::New(env, ErrnoName(err)));
      e.Set("syscall", Napi::String::New(env, "pthread_create"));
      e.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    work_cv_.notify_one();
    watch_cv_.notify_one();
    callbacks_.emplace(r->id, Napi::Persistent(info[4].As<Napi::Function>()));
    if (callbacks_.size() == 1) tsfn_.Ref(env);
    return Napi::Number::New(env, r->id);
  }

  // JS thread: the caller no longer wants id's answer (its signal fired).
  // The getaddrinfo, if running, finishes and is dropped.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) return info.Env().Undefined();
    Forget(info.Env(), info[0].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  // Env cleanup: stop, join every thread, drop every callback.
  void Teardown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    watch_cv_.notify_all();
    for (pthread_t t : workers_) pthread_join(t, nullptr);
    for (pthread_t t : watchers_) pthread_join(t, nullptr);
    workers_.clear();
    watchers_.clear();
    callbacks_.clear();
    tsfn_.Release();
  }

 private:
  int StartLocked(void* (*main)(void*), std::vector<pthread_t>* into) {
    sigset_t blocked = AsyncSignals(), old;
    int err = pthread_sigmask(SIG_SETMASK, &blocked, &old);
    if (err != 0) return err;
    pthread_t tid;
    err = pthread_create(&tid, nullptr, main, this);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (err == 0) into->push_back(tid);
    return err;
  }

  static void* WorkerMain(void* self) {
    static_cast<Resolver*>(self)->Work();
    return nullptr;
  }
  static void* WatcherMain(void* self) {
    static_cast<Resolver*>(self)->Watch();
    return nullptr;
  }

  // A worker: one getaddrinfo at a time; the verdict is its own when the
  // watcher has not yet ruled the request out of time.
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      ++idle_;
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (stopping_) return;
      RequestPtr r = queue_.front();
      queue_.pop_front();
      if (r->decided) continue;  // its deadline passed while it waited
      lock.unlock();
      Request answer;
      answer.host = r->host;
      answer.family = r->family;
      answer.flags = r->flags;
      Lookup(&answer);
      int64_t now = MonoNowNs();
      lock.lock();
      if (r->decided) continue;  // the watcher ruled at the deadline: dropped
      r->decided = true;
      r->decided_at = now;
      r->timed_out = r->deadline != 0 && now >= r->deadline;
      r->gai_error = answer.gai_error;
      r->sys_errno = answer.sys_errno;
      r->addresses = std::move(answer.addresses);
      FinishLocked(r);
    }
  }

  // The watcher: rules every request whose deadline passes undecided.
  void Watch() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      int64_t now = MonoNowNs();
      int64_t next = 0;
      for (size_t i = 0; i < timed_.size();) {
        RequestPtr& r = timed_[i];
        if (!r->decided && now >= r->deadline) {
          r->decided = true;
          r->timed_out = true;
          r->decided_at = now;
          FinishLocked(r);
        }
        if (r->decided) {
          timed_[i] = timed_.back();
          timed_.pop_back();
          continue;
        }
        next = EarlierDeadline(next, r->deadline);
        ++i;
      }
      if (next == 0) {
        watch_cv_.wait(lock);
      } else {
        watch_cv_.wait_for(lock, std::chrono::nanoseconds(next - now));
      }
    }
  }

  void FinishLocked(const RequestPtr& r) {
    bool first = done_.empty();
    done_.push_back(r);
    if (!first || g_process_exiting.load(std::memory_order_acquire)) return;
    tsfn_.NonBlockingCall();  // napi_closing at teardown: the callbacks are dropped anyway
  }

  static void CallJs(Napi::Env env, Napi::Function, Resolver* self, void*) {
    if (env == nullptr) return;
    self->Drain(env);
  }

  // JS thread: every verdict reached so far, to its callback.
  void Drain(Napi::Env env) {
    std::vector<RequestPtr> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done.swap(done_);
    }
    std::unique_ptr<Napi::Error> first_error;
    for (const RequestPtr& r : done) {
      auto it = callbacks_.find(r->id);
      if (it == callbacks_.end()) continue;  // cancelled
      Napi::FunctionReference cb = std::move(it->second);
      Forget(env, r->id);
      Napi::HandleScope scope(env);
      Napi::Object out = Napi::Object::New(env);
      out.Set("decidedAt", Napi::Number::New(env, static_cast<double>(r->decided_at) / 1e6));
      if (r->deadline != 0) {
        double left = static_cast<double>(r->deadline - r->decided_at) / 1e6;
        out.Set("left", Napi::Number::New(env, left > 0 ? left : 0));
      }
      if (r->timed_out) {
        out.Set("timedOut", Napi::Boolean::New(env, true));
      } else if (r->gai_error != 0) {
        out.Set("code", Napi::String::New(env, r->gai_error == EAI_SYSTEM ? ErrnoName(r->sys_errno)
                                                                          : GaiName(r->gai_error)));
      } else {
        Napi::Array list = Napi::Array::New(env, r->addresses.size());
        for (size_t i = 0; i < r->addresses.size(); ++i) {
          Napi::Object a = Napi::Object::New(env);
          a.Set("address", Napi::String::New(env, r->addresses[i].first));
          a.Set("family", Napi::Number::New(env, r->addresses[i].second));
          list.Set(static_cast<uint32_t>(i), a);
        }
        out.Set("addresses", list);
      }
      try {
        cb.Call({out});
      } catch (const Napi::Error& e) {
        // The others still get theirs; the first throw then reaches Node
        // as an uncaught exception, as any callback's.
        if (!first_error) first_error = std::make_unique<Napi::Error>(e);
      }
    }
    if (first_error) first_error->ThrowAsJavaScriptException();
  }

  void Forget(Napi::Env env, uint32_t id) {
    if (callbacks_.erase(id) == 1 && callbacks_.empty()) tsfn_.Unref(env);
  }

  using Tsfn = Napi::TypedThreadSafeFunction<Resolver, void, &Resolver::CallJs>;
  Tsfn tsfn_;
  uint32_t next_id_ = 1;
  std::unordered_map<uint32_t, Napi::FunctionReference> callbacks_;  // JS thread only

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable watch_cv_;
  std::deque<RequestPtr> queue_;   // waiting for a worker
  std::vector<RequestPtr> timed_;  // undecided with a deadline, for the watcher
  std::vector<RequestPtr> done_;   // decided, for the JS thread
  size_t idle_ = 0;
  bool stopping_ = false;
  bool watcher_started_ = false;
  std::vector<pthread_t> workers_;   // JS thread only (started under mu_)
  std::vector<pthread_t> watchers_;  // at most one
};

}  // namespace

void RegisterResolver(Napi::Env env, Napi::Object exports) {
  auto* resolver = new Resolver(env);
  env.AddCleanupHook([resolver] {
    resolver->Teardown();
    delete resolver;
  });
  exports.Set(
      "resolve",
      Napi::Function::New(
          env, [resolver](const Napi::CallbackInfo& info) { return resolver->Resolve(info); }, "resolve"));
  exports.Set("cancelResolve",
              Napi::Function::New(
                  env, [resolver](const Napi::CallbackInfo& info) { return resolver->Cancel(info); },
                  "cancelResolve"));
}

}  // namespace kts
