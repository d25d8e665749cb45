// The engine (native/engine.cc + io_*.cc) under close races, driven the way
// the addon drives it, with a counting sink instead of Node.
#pragma once

#include <cstdint>

#include "support.h"

namespace kts_test {

struct EngineStats {
  int rounds = 0;
  long ops = 0;
  long sync_ops = 0;
  long closed_ops = 0;  // settled as kClosed
  long abandoned = 0;   // Cancel left them in flight
  long removed = 0;     // Cancel took them from a queue
  long timeouts = 0;
  long bytes_read = 0;
  long bytes_written = 0;
  int reused = 0;  // closes whose number a new socket took at once
};

EngineStats RunEngineTest(Rng& rng, int64_t budget_ns, int max_rounds);

// Engine::Shutdown with every kind of op blocked and no timeouts: all settle
// as kClosed exactly once and every thread is joined.
void RunShutdownTest();

// A connect waiting for room in a full Unix listener backlog, then closed:
// true when close woke it within 2 s. See docs/thread-safety.md.
bool RunUnixBacklogCloseTest();

}  // namespace kts_test
