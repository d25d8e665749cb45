// An op's outcome as the plain object lib/native.ts describes:
// { status, errno, code, syscall, bytes, data?, socket?, peer? }.
#pragma once

#include <napi.h>

#include "op.h"

namespace kts {

class AddonData;

Napi::Object MakeResult(Napi::Env env, AddonData& data, Op& op);

// { status: kError, errno, code, syscall } for a failure before any op.
Napi::Object ErrorResult(Napi::Env env, int err, const char* syscall);

}  // namespace kts
