#include "poll_watch.h"

#include <utility>

namespace kts {

PollWatch* PollWatch::Open(uv_loop_t* loop, std::shared_ptr<Handle> handle, OnReady on_ready, void* owner,
                           int* closing_count) {
  int fd = handle->Acquire();
  if (fd < 0) return nullptr;
  auto* w = new PollWatch();
  if (uv_poll_init(loop, &w->poll_, fd) != 0) {
    handle->Release();
    delete w;
    return nullptr;
  }
  w->poll_.data = w;
  w->handle_ = std::move(handle);
  w->on_ready_ = on_ready;
  w->owner_ = owner;
  w->closing_count_ = closing_count;
  return w;
}

void PollWatch::Rearm() {
  if (closing_) return;
  int events = 0;
  for (int dir = 0; dir < 2; ++dir) {
    if (waits(dir) && !past_deadline[dir]) events |= dir == 0 ? UV_READABLE : UV_WRITABLE;
  }
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&poll_);
  if (events == 0) {
    // Nothing waits: it stays armed but stops holding the loop open; if it
    // fires before an op waits again, its owner stops it then (at most one
    // spurious callback).
    if (armed_ != 0 && !idle_) {
      idle_ = true;
      uv_unref(handle);
    }
    return;
  }
  // uv_poll_start on a started watcher stops it first (epoll_ctl DEL+ADD):
  // only when the set of events grows or changes.
  if (events != armed_) {
    if (uv_poll_start(&poll_, events, &PollWatch::OnPoll) != 0) {
      // EBADF cannot happen while the watcher holds its reference; anything
      // else leaves the ops to their deadlines.
      events = 0;
    }
    armed_ = events;
  }
  if (idle_) {
    idle_ = false;
    if (!unref_) uv_ref(handle);
  }
}

void PollWatch::Stop() {
  if (closing_ || armed_ == 0) return;
  uv_poll_stop(&poll_);
  armed_ = 0;
  if (idle_) {
    idle_ = false;
    if (!unref_) uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
  }
}

void PollWatch::SetUnref(bool unref) {
  if (unref_ == unref) return;
  unref_ = unref;
  if (idle_) return;  // already unreferenced while idle
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&poll_);
  if (unref) {
    uv_unref(handle);
  } else {
    uv_ref(handle);
  }
}

void PollWatch::Close() {
  closing_ = true;
  ++*closing_count_;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), &PollWatch::OnClosed);
}

void PollWatchList::PushFront(PollWatch* w) {
  w->prev_ = nullptr;
  w->next_ = head_;
  if (head_ != nullptr) head_->prev_ = w;
  head_ = w;
}

void PollWatchList::Remove(PollWatch* w) {
  if (w->prev_ != nullptr) {
    w->prev_->next_ = w->next_;
  } else {
    head_ = w->next_;
  }
  if (w->next_ != nullptr) w->next_->prev_ = w->prev_;
  w->prev_ = w->next_ = nullptr;
}

void PollWatch::OnPoll(uv_poll_t* poll, int status, int events) {
  auto* w = static_cast<PollWatch*>(poll->data);
  w->on_ready_(w->owner_, w, status, events);
}

void PollWatch::OnClosed(uv_handle_t* handle) {
  auto* w = static_cast<PollWatch*>(handle->data);
  --*w->closing_count_;
  // The watcher's reference: the last one out closes the fd.
  w->handle_->Release();
  delete w;
}

}  // namespace kts
