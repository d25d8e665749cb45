// The close gate of native/handle.cc under concurrent Acquire/Release.
#pragma once

#include <cstdint>

#include "support.h"

namespace kts_test {

struct GateStats {
  int rounds = 0;
  int reused = 0;     // rounds where a new socket got the closed number at once
  long syscalls = 0;  // calls made under Acquire
};

GateStats RunGateTest(Rng& rng, int64_t budget_ns, int max_rounds);

}  // namespace kts_test
