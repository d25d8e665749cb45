// An op's outcome, as the plain object lib/native.ts describes
// ({ status, errno, code, syscall, bytes, data?, socket?, peer? }: what an op
// that finished at once returns) or as the same values in that order as
// plain arguments (what the settle callback gets after a delivered op's id:
// no object to build, each N-API property set cost ~300 ns).
#pragma once

#include <napi.h>

#include "op.h"

namespace kts {

class AddonData;

Napi::Object MakeResult(Napi::Env env, AddonData& data, Op& op);

// The callback's arguments: status, bytes, decidedAt, errno, code, syscall,
// data, socket, peer (undefined where absent), into out[0..kResultArgs).
// Takes an accepted fd.
constexpr size_t kResultArgs = 9;
void ResultArgs(Napi::Env env, AddonData& data, Op& op, napi_value* out);

// The bytes a read took (op.done > 0), as a Buffer of their own.
Napi::Buffer<uint8_t> ReadData(Napi::Env env, Op& op);

// { status: kError, errno, code, syscall } for a failure before any op.
Napi::Object ErrorResult(Napi::Env env, int err, const char* syscall);

}  // namespace kts
