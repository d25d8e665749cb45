// Monotonic time for deadlines. An operation's deadline is fixed when the
// user calls it (on the JS thread) and every syscall gets only what is left.
#pragma once
#include <cstdint>
#include <ctime>

namespace kts {

// The clock libuv's uv_hrtime (process.hrtime) reads, so native timestamps
// compare with JavaScript's.
inline int64_t MonoNowNs() {
  timespec ts;
#ifdef __APPLE__
  clock_gettime(CLOCK_UPTIME_RAW, &ts);
#else
  clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Deadline from a relative timeout in milliseconds; 0 means "no deadline".
inline int64_t DeadlineFromMs(double ms, int64_t now_ns) {
  if (!(ms > 0)) return 0;
  int64_t ns = static_cast<int64_t>(ms * 1e6);
  if (ns < 1) ns = 1;
  return now_ns + ns;
}

}  // namespace kts
