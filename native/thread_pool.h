// Threads the addon owns for blocking socket calls.
//
// Why not libuv's threadpool (AsyncWorker): it has 4 threads by default,
// shared by the whole process with fs, dns.lookup, crypto and zlib. A read
// that blocks for its full timeout would hold one of them, and four such
// reads would stall every fs call in the process. So blocking calls run
// here instead: a thread is started whenever no idle one is free (each task
// may block until its timeout), idle threads retire after a while, and
// Shutdown joins them all. Threads start with asynchronous signals blocked,
// so Node's handlers (SIGCHLD, SIGWINCH, ...) never interrupt their calls,
// and with a small explicit stack, so thousands of pending reads stay cheap.
#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace kts {

class ThreadPool {
 public:
  using Task = std::function<void()>;

  // spin_us: how long one thread that has just finished a task looks for
  // the next before sleeping (0: never spin).
  explicit ThreadPool(size_t stack_bytes = 256 * 1024, int idle_ms = 5000, int spin_us = 50);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Runs task on an owned thread, starting one when none is idle. Returns 0,
  // or the errno of pthread_create (task not queued), or ESHUTDOWN after
  // Shutdown began.
  int Submit(Task task);

  // Stops accepting tasks, lets queued ones run, wakes idle threads and joins
  // every thread. The caller must first make blocked tasks return (close
  // their sockets). Idempotent.
  void Shutdown();

  size_t threads();  // live threads, for diagnostics and the benchmarks

 private:
  static void* Main(void* self);
  void Loop();
  int StartThreadLocked();
  void JoinRetired();
  void SpinForTask(std::unique_lock<std::mutex>& lock);

  const size_t stack_bytes_;
  const int idle_ms_;
  const int spin_us_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  size_t idle_ = 0;
  bool stopping_ = false;
  bool spinning_ = false;          // one thread at most spins (under mu_)
  std::atomic<size_t> queued_{0};  // tasks_.size(), readable without mu_
  std::vector<pthread_t> live_;
  std::vector<pthread_t> retired_;  // exited on their own, not yet joined
};

}  // namespace kts
