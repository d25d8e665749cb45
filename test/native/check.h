// Assertions for the native core tests: a failed check prints where and why
// and counts; main() exits non-zero when any failed. Never aborts mid-round,
// so one failure does not hide the rest of the evidence.
#pragma once

#include <atomic>
#include <cstdio>

namespace kts_test {

extern std::atomic<int> g_failures;

#define KTS_CHECK(cond, ...)                                                         \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      if (::kts_test::g_failures.fetch_add(1) < 20) {                                \
        std::fprintf(stderr, "CHECK failed %s:%d: %s: ", __FILE__, __LINE__, #cond); \
        std::fprintf(stderr, __VA_ARGS__);                                           \
        std::fputc('\n', stderr);                                                    \
      }                                                                              \
    }                                                                                \
  } while (0)

}  // namespace kts_test
