// One socket's readiness watcher on the event loop: a libuv uv_poll_t
// shared by both directions (libuv allows one per fd), and the op waiting in
// each. Like libuv's own uv__io_t it is a small type its owner (the loop
// engine) drives: Rearm arms it for the directions with an op waiting, and
// it stays armed while nothing waits (a stop and start would cost an
// epoll_ctl DEL and ADD per round trip) but then holds the loop open no
// longer. JS thread only. The watcher holds a reference on the fd
// (Handle::Acquire) until its uv_close callback: close(2) never runs while
// libuv may still poll the number (libuv aborts if it does).
#pragma once

#include <uv.h>

#include <memory>

#include "claim.h"
#include "handle.h"

namespace kts {

class PollWatch {
  friend class PollWatchList;

 public:
  // Called from the event loop when the fd is ready (or in error).
  using OnReady = void (*)(void* owner, PollWatch* w, int status, int events);

  // Starts watching handle's fd (a reference taken with Acquire) on loop,
  // stopped; null when the handle is closing or libuv refused.
  // *closing_count is incremented by Close and decremented once libuv has
  // closed the watcher.
  static PollWatch* Open(uv_loop_t* loop, std::shared_ptr<Handle> handle, OnReady on_ready, void* owner,
                         int* closing_count);

  // Arms it for the directions whose op waits and has not passed its
  // deadline; with none, leaves it armed but unreferenced (Stop then
  // follows on its next callback, if it fires before an op waits again).
  void Rearm();
  // Stops it (it fired with nothing waiting: level-triggered, it would spin).
  void Stop();
  // SetRef(false): never keeps the loop alive.
  void SetUnref(bool unref);
  // uv_close, then (in its callback) the fd reference is released and the
  // watcher deleted. libuv must not be touched for it after this.
  void Close();
  // libuv stopped it itself (an error event, POLLERR): no longer armed.
  void LostArm() { armed_ = 0; }

  Handle& handle() { return *handle_; }
  bool closing() const { return closing_; }
  bool idle() const { return idle_; }

  // Each direction's Waiter (Direction), made at its first wait and reused
  // by every later one: a wait stores its op into it (Waiter::op), so no
  // wait allocates, and its one heap entry in the deadline thread serves
  // the next op too (DeadlineThread::Add). Null until then. waits(dir):
  // an op waits in dir now. past_deadline: the loop saw that direction
  // ready after its deadline: the deadline thread decides that op, so the
  // watcher stops watching for it (a level-triggered watcher left armed
  // would spin the loop).
  std::shared_ptr<Waiter> waiter[2];
  bool past_deadline[2] = {false, false};
  bool waits(int dir) const { return waiter[dir] && waiter[dir]->op.load() != nullptr; }

  // The loop engine's guess that a read's first recv would find nothing
  // (LoopEngine::ProbeWouldFail): the latest read of this socket waited for
  // readiness, and a write was started since that read was (a read
  // made right after a request waits for its reply).
  bool read_waited = false;
  bool wrote_since_read = false;

 private:
  PollWatch() = default;
  static void OnPoll(uv_poll_t* poll, int status, int events);
  static void OnClosed(uv_handle_t* handle);

  uv_poll_t poll_;
  std::shared_ptr<Handle> handle_;
  OnReady on_ready_ = nullptr;
  void* owner_ = nullptr;
  int* closing_count_ = nullptr;
  int armed_ = 0;       // the events uv_poll_start was last given (0: stopped)
  bool idle_ = false;   // armed with no op waiting: unreferenced, stopped on its next callback
  bool unref_ = false;  // SetRef(false): never keeps the loop alive
  bool closing_ = false;
  PollWatch* prev_ = nullptr;  // PollWatchList's links
  PollWatch* next_ = nullptr;
};

// The loop engine's open watchers, so its Shutdown can close them all.
// Intrusive (each watcher holds its links): opening one allocates no node.
// JS thread only.
class PollWatchList {
 public:
  void PushFront(PollWatch* w);
  void Remove(PollWatch* w);
  PollWatch* front() const { return head_; }

 private:
  PollWatch* head_ = nullptr;
};

}  // namespace kts
