#include "handle.h"

#include <unistd.h>

#include "platform.h"
#include "queue_watch.h"

namespace kts {

Op::~Op() {
  if (accepted_fd >= 0) close(accepted_fd);  // accepted, never handed out
}

void HandleRegistry::Add(Handle* h) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.insert(h);
}

void HandleRegistry::Remove(Handle* h) {
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(h);
}

Handle::Handle(int fd, bool listener, std::shared_ptr<HandleRegistry> registry)
    : fd_(fd), listener_(listener), registry_(std::move(registry)) {
  if (registry_) registry_->Add(this);
}

Handle::~Handle() {
  if (registry_) registry_->Remove(this);
  // Every op holds a shared_ptr to its handle, so nothing can be inside a
  // syscall here: closing now is safe.
  if (!fd_closed_) close(fd_);
  for (const StashedConnection& c : stashed_connections) close(c.fd);
}

int Handle::Acquire() {
  std::lock_guard<std::mutex> lock(mu);
  if (closing_) return -1;
  ++refs_;
  return fd_;
}

void Handle::Release() {
  int to_close = -1;
  {
    std::lock_guard<std::mutex> lock(mu);
    --refs_;
    if (closing_ && refs_ == 0) CloseFdLocked(&to_close);
  }
  if (to_close >= 0) {
    close(to_close);
    if (registry_) registry_->FdClosed(this);
  }
}

void Handle::CloseFdLocked(int* to_close) {
  if (fd_closed_) return;
  fd_closed_ = true;
  *to_close = fd_;
}

bool Handle::BeginClose(std::vector<Op*>* unstarted, bool polled) {
  int to_close = -1;
  std::list<StashedConnection> stashed;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (closing_) return false;
    closing_ = true;
    // Connections accepted for aborted accepts: no accept can take them now,
    // and their peers must see the close, not wait for garbage collection.
    stashed.swap(stashed_connections);
    for (Lane* lane : {&read_lane, &write_lane}) {
      for (Op* op : lane->queue) {
        UnwatchQueuedLocked(op);
        op->state = OpState::kFinished;
        op->Fail(OpStatus::kClosed, 0, "");
        unstarted->push_back(op);
      }
      lane->queue.clear();
    }
    if (refs_ == 0) {
      CloseFdLocked(&to_close);
    } else {
      // refs_ > 0 keeps fd_ open while we wake the calls holding it.
      platform::WakeBlocked(fd_, listener_, polled);
    }
  }
  // close(2) outside the lock: it can linger (SO_LINGER) and nothing else
  // needs the mutex for it.
  if (to_close >= 0) {
    close(to_close);
    if (registry_) registry_->FdClosed(this);
  }
  for (const StashedConnection& c : stashed) close(c.fd);
  return true;
}

}  // namespace kts
