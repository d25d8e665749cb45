// Monotonic time for deadlines. An operation's deadline is fixed when the
// user calls it (on the JS thread) and every syscall gets only what is left.
// Every conversion here saturates: a time too far away to represent becomes
// kForever ("not yet", for as long as the process can run), never a wrapped
// value in the past.
#pragma once
#include <sys/time.h>

#include <cstdint>
#include <ctime>

namespace kts {

// The latest representable deadline: about 292 years of CLOCK_MONOTONIC,
// which counts from boot. Deadlines past it are clamped to it.
constexpr int64_t kForever = INT64_MAX;

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

// Wall-clock time in ms, as Date.now() reads it.
inline double EpochNowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// now_ns + ms, saturating: ms <= 0 (or NaN) gives 0 ("no deadline" for a
// timeout), anything past kForever gives kForever.
inline int64_t DeadlineFromMs(double ms, int64_t now_ns) {
  if (!(ms > 0)) return 0;
  double ns = ms * 1e6;
  // Compared as doubles: a cast of a double >= 2^63 to int64 is undefined.
  if (ns >= static_cast<double>(kForever - now_ns)) return kForever;
  int64_t n = static_cast<int64_t>(ns);
  return now_ns + (n < 1 ? 1 : n);
}

// A socket deadline given as epoch ms (Date.now()'s clock), converted on the
// calling thread to CLOCK_MONOTONIC ns: 0 stays "none"; a deadline already
// passed becomes 1 (long past, but not "none"); a far one saturates.
inline int64_t MonoDeadlineFromEpochMs(double epoch_ms, double epoch_now_ms, int64_t mono_now_ns) {
  double left_ms = epoch_ms - epoch_now_ms;
  if (!(left_ms > 0)) return 1;
  return DeadlineFromMs(left_ms, mono_now_ns);
}

// A time left (ns; < 0: no limit) as SO_RCVTIMEO/SO_SNDTIMEO microseconds:
// rounded up and never 0 for a limit (0 means "forever" to the kernel), 0
// for none, at most kMaxTimeoUs (~68 years, within any time_t; Linux itself
// treats anything near that as "forever"). Computed without overflow.
constexpr int64_t kMaxTimeoUs = static_cast<int64_t>(INT32_MAX) * 1000000;
inline int64_t TimeoUs(int64_t left_ns) {
  if (left_ns < 0) return 0;
  int64_t us = left_ns / 1000 + (left_ns % 1000 != 0);
  if (us < 1) us = 1;
  return us > kMaxTimeoUs ? kMaxTimeoUs : us;
}

inline timeval TimevalFromUs(int64_t us) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(us / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
  return tv;
}

// The earlier of two deadlines, where 0 means "none".
inline int64_t EarlierDeadline(int64_t a, int64_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return a < b ? a : b;
}

}  // namespace kts
