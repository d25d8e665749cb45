// net's localAddress/localPort: bind(2) of a connecting socket, before its
// connect, as libuv's uv_tcp_bind does it (SO_REUSEADDR on).
#pragma once

#include <napi.h>

namespace kts {

// Adds `bindLocal(fd, address, port) -> undefined | { status, errno, code,
// syscall }` to exports. JS thread only; bind(2) never blocks.
void RegisterBindLocal(Napi::Env env, Napi::Object exports);

}  // namespace kts
