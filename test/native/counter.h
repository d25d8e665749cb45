// A count that other threads bump and one thread waits on, with a bound.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace kts_test {

class Counter {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    cv_.notify_all();
  }
  // Waits until the count reaches n; false if timeout_ns passes first.
  bool WaitFor(long n, int64_t timeout_ns) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] { return done_ >= n; });
  }
  long value() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  long done_ = 0;
};

}  // namespace kts_test
