// An op queued behind another whose owned thread starts it after its
// deadline, with its bytes (or connection) already waiting, in both timer
// modes.
#pragma once

namespace kts_test {

// Returns the number of cases run (each checks with KTS_CHECK).
int RunLateStartTest();

}  // namespace kts_test
