// The opt-in real-time priority of the loop engine's deadline thread
// (KTS_DEADLINE_PRIORITY, read and validated in lib/deadline-priority.ts).
#pragma once

#include <napi.h>

namespace kts {

// Adds to exports:
// `realtimePriorityMax() -> number`: the highest priority the next call
// takes (the lowest is 1); 0 where the package offers none (platform.h).
// `startDeadlineRealtime(priority) -> undefined | { status, errno, code,
// syscall }`: puts this env's loop-engine deadline thread under SCHED_FIFO
// at priority, starting it now (DeadlineThread::StartRealtime); the error
// when the kernel or the OS refuses, the thread then running as before.
// JS thread only.
void RegisterDeadlinePriority(Napi::Env env, Napi::Object exports);

}  // namespace kts
