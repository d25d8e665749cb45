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

// Where a full 64 KiB read made on the JS thread lands: a Buffer made with
// napi_create_buffer (memory V8 accounts for, freed by its collections),
// set as the JS thread's scratch (scratch.h), so recv writes straight into
// the Buffer JavaScript gets and a read that fills it is handed over with
// no copy; the next spare is made then. A read that does not fill it is
// copied out as before (as Node's own stream reads are). Without it, each
// such read was a 64 KiB memcpy from the scratch (~13 % of a download's
// CPU samples). Made at the first full read, so sockets that never read
// 64 KiB at once never hold one.
class Spare {
 public:
  ~Spare();
  // Whether op's bytes fill the spare (so Take hands them over).
  bool Holds(const Op& op) const;
  // The spare with op's bytes (Holds(op)), and a new spare in its place.
  Napi::Value Take(Napi::Env env, const Op& op);
  // Makes a spare if there is none (after a full read through the mapped scratch).
  void Ensure(Napi::Env env);

 private:
  // Replaces the spare (none when no Buffer can be made); false, with
  // nothing changed, when the scratch could not be set back.
  bool Make(Napi::Env env);
  Napi::ObjectReference ref_;
  uint8_t* base_ = nullptr;
};

// The bytes a read took (op.done > 0): the spare itself when they fill it,
// in the env's Landing when they fit, else as a Buffer of their own.
Napi::Value ReadData(Napi::Env env, AddonData& data, Op& op);

// { status: kError, errno, code, syscall } for a failure before any op.
Napi::Object ErrorResult(Napi::Env env, int err, const char* syscall);

}  // namespace kts
