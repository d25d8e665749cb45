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

// Where a read's bytes reach JavaScript when they are few: one Buffer that
// JavaScript made and registered with setSettle (lib/operation.ts), which
// holds the count (uint32, native byte order) in its first 4 bytes and the
// bytes from offset 8. JavaScript copies them into a Buffer of its own at
// once, before it runs anything else, so the one Buffer serves every read.
// Built here instead, each Buffer cost a malloc, a backing store and its GC
// bookkeeping through N-API: about 3 800 instructions per read, against
// about 1 600 for JavaScript's Buffer.allocUnsafeSlow and the copy.
class Landing {
 public:
  // buffer: JavaScript's (at least 8 bytes); held strongly until replaced.
  void Set(Napi::Buffer<uint8_t> buffer);
  bool Fits(size_t n) const { return n <= room_; }
  // Copies n bytes (Fits(n)) in; the registered Buffer.
  Napi::Value Land(const uint8_t* bytes, size_t n);

 private:
  // Held as an Object: a Reference<Buffer>'s Value() builds a Napi::Buffer,
  // two napi_get_typedarray_info calls (~500 instructions) per read.
  Napi::ObjectReference ref_;
  uint8_t* base_ = nullptr;
  size_t room_ = 0;
};

// The bytes a read took (op.done > 0): in the env's Landing when they fit,
// else as a Buffer of their own.
Napi::Value ReadData(Napi::Env env, AddonData& data, Op& op);

// { status: kError, errno, code, syscall } for a failure before any op.
Napi::Object ErrorResult(Napi::Env env, int err, const char* syscall);

}  // namespace kts
