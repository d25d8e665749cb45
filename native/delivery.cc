#include "delivery.h"

#include <cstdio>
#include <cstdlib>

namespace kts {

std::atomic<bool> g_process_exiting{false};

Delivery::Delivery(Napi::Env env, DrainFn drain, void* owner) : env_(env), drain_(drain), owner_(owner) {
  tsfn_ = Tsfn::New(env, "kernel-timeout-socket completions", 0, 1, this);
  tsfn_.Unref(env);
}

void Delivery::Complete(Op* op) { CompleteAll(&op, 1); }

void Delivery::CompleteAll(Op* const* ops, size_t n) {
  if (n == 0) return;
  bool first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return;  // teardown drains the queue itself
    first = queue_.empty() && closed_.empty();
    queue_.insert(queue_.end(), ops, ops + n);
  }
  // One wake-up for the whole batch, none when the queue was not empty
  // (its wake-up is on the way: the JS thread drains the queue whole).
  if (first) Wake("completion");
}

void Delivery::FdClosed(Handle* h) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return;
    first = queue_.empty() && closed_.empty();
    closed_.push_back(h);
  }
  if (first) Wake("close");
}

void Delivery::Wake(const char* what) {
  if (g_process_exiting.load(std::memory_order_acquire)) return;
  napi_status status = tsfn_.NonBlockingCall();
  switch (status) {
    case napi_ok:
    case napi_closing:  // env teardown under way: it drains the queue
      return;
    default:
      std::fprintf(stderr, "kernel-timeout-socket: %s delivery failed (napi status %d)\n", what,
                   static_cast<int>(status));
      std::abort();
  }
}

void Delivery::CallJs(Napi::Env env, Napi::Function, Delivery* self, void*) {
  if (env == nullptr) return;  // TSFN finalizing; teardown owns the queue
  self->drain_(env, self->owner_);
}

std::vector<Op*> Delivery::TakeAll(std::vector<Handle*>* closed) {
  std::vector<Op*> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.swap(queue_);
  if (closed != nullptr) closed->swap(closed_);
  return out;
}

void Delivery::Hold(bool ref) {
  ++held_;
  if (ref) AddRefs(1);
}

void Delivery::Drop(bool ref) {
  if (held_ > 0) --held_;
  if (ref) RemoveRefs(1);
}

void Delivery::AddRefs(size_t n) {
  if (n == 0) return;
  if (refs_ == 0) tsfn_.Ref(env_);
  refs_ += n;
}

void Delivery::RemoveRefs(size_t n) {
  if (n == 0 || refs_ == 0) return;
  refs_ = n >= refs_ ? 0 : refs_ - n;
  if (refs_ == 0) tsfn_.Unref(env_);
}

void Delivery::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return;
    released_ = true;
  }
  tsfn_.Release();
}

}  // namespace kts
