// The signal mask every owned thread starts with (owned_thread.h).
#pragma once

namespace kts_test {

void RunMaskTest();

}  // namespace kts_test
