// Engine::Retime (issue 12) without Node: socket deadlines moved while a read
// is blocked in recv (timer kSockopt) or ppoll (kPoll), and retimes racing
// the read, its bytes and each other.
#pragma once

#include <cstdint>

#include "support.h"

namespace kts_test {

struct RetimeStats {
  int rounds = 0;
  int earlier = 0;  // moved into the past while blocked: timed out promptly
  int later = 0;    // moved later while blocked: decided after the new deadline
  int raced = 0;    // random retimes racing a read and its byte
  int raced_timeouts = 0;
  int disposition = 0;  // wake-up signal ignored / defaulted meanwhile: still woken
};

RetimeStats RunRetimeTest(Rng& rng, int64_t budget_ns, int max_rounds);

}  // namespace kts_test
