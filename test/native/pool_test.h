// The owned thread pool of native/thread_pool.cc: growth, retirement racing
// new work, signal masks, Shutdown.
#pragma once

#include <cstdint>

#include "support.h"

namespace kts_test {

struct PoolStats {
  int rounds = 0;
  long tasks = 0;
  size_t peak_threads = 0;
};

PoolStats RunPoolTest(Rng& rng, int64_t budget_ns, int max_rounds);

}  // namespace kts_test
