// A CompletionSink that stands in for Node's delivery: it counts every
// completion on the op itself (so a second delivery is caught even before
// the main thread looks) and queues the op for the main thread, which plays
// the JS thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "../../native/op.h"
#include "counter.h"

namespace kts_test {

struct TestOp : kts::Op {
  int conn = -1;  // index of its connection in the round
  std::atomic<int> completions{0};
  bool sync = false;  // finished inside Submit (never reaches the sink)
  bool abandoned_by_cancel = false;
  bool submitted_after_close = false;
  std::vector<uint8_t> wbuf;  // a write's bytes, valid during Submit only
};

class CountingSink : public kts::CompletionSink {
 public:
  void Complete(kts::Op* op) override {
    static_cast<TestOp*>(op)->completions.fetch_add(1, std::memory_order_relaxed);
    delivered_.Add();
  }

  // A batch (the deadline thread's): counted as one hand-over, then each op.
  void CompleteAll(kts::Op* const* ops, size_t n) override {
    batches_.fetch_add(1, std::memory_order_relaxed);
    size_t most = largest_batch_.load(std::memory_order_relaxed);
    while (n > most && !largest_batch_.compare_exchange_weak(most, n, std::memory_order_relaxed)) {
    }
    for (size_t i = 0; i < n; ++i) Complete(ops[i]);
  }

  long batches() const { return batches_.load(std::memory_order_relaxed); }
  size_t largest_batch() const { return largest_batch_.load(std::memory_order_relaxed); }

  // Waits until `n` completions in total have been delivered.
  bool WaitForTotal(long n, int64_t timeout_ns) { return delivered_.WaitFor(n, timeout_ns); }

  long delivered() { return delivered_.value(); }

 private:
  Counter delivered_;
  std::atomic<long> batches_{0};
  std::atomic<size_t> largest_batch_{0};
};

}  // namespace kts_test
