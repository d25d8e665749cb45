#include "thread_pool.h"

#include <sched.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>

#include "owned_thread.h"

namespace kts {

ThreadPool::ThreadPool(size_t stack_bytes, int idle_ms, int spin_us)
    : stack_bytes_(std::max<size_t>(stack_bytes, PTHREAD_STACK_MIN)), idle_ms_(idle_ms), spin_us_(spin_us) {}

ThreadPool::~ThreadPool() { Shutdown(); }

int ThreadPool::Submit(Task task) {
  int err = 0;
  bool wake = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return ESHUTDOWN;
    bool started = false;
    if (idle_ <= tasks_.size()) {
      err = StartThreadLocked();
      started = err == 0;
    }
    if (err == 0) {
      tasks_.push_back(std::move(task));
      queued_.store(tasks_.size(), std::memory_order_release);
      // A new thread finds the task without a signal, and so does the
      // spinner (it re-checks under the lock before it sleeps), but it takes
      // one task only: any more need a sleeping thread woken.
      wake = !started && !(spinning_ && tasks_.size() == 1);
    }
  }
  // Signalled after unlocking, so the woken thread does not block at once on
  // the mutex we still hold.
  if (wake) cv_.notify_one();
  JoinRetired();
  return err;
}

int ThreadPool::StartThreadLocked() {
  pthread_attr_t attr;
  int err = pthread_attr_init(&attr);
  if (err != 0) return err;
  err = pthread_attr_setstacksize(&attr, stack_bytes_);
  if (err == 0) {
    pthread_t tid;
    // Runs ops: the wake-up signal must reach it.
    err = StartOwnedThread(&tid, &attr, &ThreadPool::Main, this, true);
    if (err == 0) {
      live_.push_back(tid);
      ++idle_;  // counted idle until it takes its first task
    }
  }
  pthread_attr_destroy(&attr);
  return err;
}

void* ThreadPool::Main(void* self) {
  static_cast<ThreadPool*>(self)->Loop();
  return nullptr;
}

void ThreadPool::SpinForTask(std::unique_lock<std::mutex>& lock) {
  if (spin_us_ <= 0 || spinning_ || stopping_ || !tasks_.empty()) return;
  spinning_ = true;
  lock.unlock();
  auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
  while (queued_.load(std::memory_order_acquire) == 0 && std::chrono::steady_clock::now() < until)
    sched_yield();
  lock.lock();
  spinning_ = false;
}

void ThreadPool::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  bool ran = false;
  for (;;) {
    if (ran) SpinForTask(lock);
    if (tasks_.empty() && !stopping_) {
      bool woke = cv_.wait_for(lock, std::chrono::milliseconds(idle_ms_),
                               [this] { return !tasks_.empty() || stopping_; });
      if (!woke) break;  // idle too long: retire
    }
    if (tasks_.empty()) break;  // stopping and nothing left to run
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    queued_.store(tasks_.size(), std::memory_order_release);
    --idle_;
    lock.unlock();
    task();
    task = nullptr;  // destroy captures before taking the lock again
    lock.lock();
    ++idle_;
    ran = true;
  }
  --idle_;
  if (!stopping_) {
    // Retire: leave the live list for the retired one; whoever next takes
    // the pool (Submit or Shutdown) joins us.
    pthread_t self = pthread_self();
    live_.erase(
        std::remove_if(live_.begin(), live_.end(), [&](pthread_t t) { return pthread_equal(t, self); }),
        live_.end());
    retired_.push_back(self);
  }
}

void ThreadPool::JoinRetired() {
  std::vector<pthread_t> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done.swap(retired_);
  }
  for (pthread_t t : done) pthread_join(t, nullptr);
}

void ThreadPool::Shutdown() {
  std::vector<pthread_t> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    all.swap(live_);
    all.insert(all.end(), retired_.begin(), retired_.end());
    retired_.clear();
  }
  cv_.notify_all();
  for (pthread_t t : all) pthread_join(t, nullptr);
}

size_t ThreadPool::threads() {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.size();
}

}  // namespace kts
