// Host names to addresses on threads the addon owns, timed natively.
//
// Why not dns.lookup: it runs getaddrinfo on libuv's threadpool and reports
// on the JS thread, so the only way to bound it was a JavaScript timer, and
// after an event-loop stall that timer runs before the lookup's callback:
// a name resolved in time became a connect timeout. Here getaddrinfo (the
// same call with the same hints as dns.lookup, so /etc/hosts and the system
// resolver answer alike) runs on an owned thread, and the verdict "resolved
// before the deadline?" is taken off the JS thread: by that thread when the
// answer comes, or by a watcher thread at the deadline. A getaddrinfo cannot
// be interrupted: a late answer is dropped and its thread takes the next
// name. At most kMaxThreads run at once; more names wait in a queue (their
// deadline still counts). Teardown joins every thread, which may wait for a
// getaddrinfo in progress.
#pragma once

#include <napi.h>

namespace kts {

// Adds `resolve(host, family, hints, timeoutMs, cb) -> id` and
// `cancelResolve(id)` to exports; their state lives and dies with env.
void RegisterResolver(Napi::Env env, Napi::Object exports);

}  // namespace kts
