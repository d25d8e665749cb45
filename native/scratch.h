// A per-thread scratch buffer for reads: recv lands here first and only the
// bytes that arrived are kept, so a pending read owns no buffer. It is
// mmap'd on a thread's first use, outside its stack, so its pages become
// resident only when bytes are written into them: thousands of threads
// blocked in recv with nothing to read cost no scratch memory at all.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kts {

constexpr size_t kScratchBytes = 64 * 1024;

// This thread's scratch (kScratchBytes), or nullptr if it could not be
// mapped (callers then use a buffer of their own). Freed at thread exit.
// On a JS thread, the spare Buffer of result.h while one is set.
uint8_t* ThreadScratch();

// Makes p (kScratchBytes, owned by the caller) this thread's scratch until
// called again; nullptr goes back to the mapped one. False (nothing
// changed) when the thread-specific slot could not be set.
bool SetThreadScratch(uint8_t* p);

}  // namespace kts
