// The ops JavaScript is waiting for, by id, and what each socket has
// pending. JS thread only. An id names one pending op of one socket: ids are
// never reused while their op is pending, and Find checks the socket, so
// cancel(id) can never reach another socket's op. Counts are kept per
// socket, so ref()/unref() and close() cost O(1) in the ops pending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "delivery.h"
#include "op.h"

namespace kts {

// What the registry keeps per socket (each SocketWrap holds one).
struct SocketOps {
  size_t pending = 0;        // ops started and not yet delivered
  bool ref = true;           // whether those ops keep the event loop alive
  bool close_ready = false;  // the fd is closed, a close(cb) waits for pending to reach 0
};

// An op started from JavaScript: its id, which the env's one settle
// callback gets with the outcome, and its socket's counts. No reference to
// any JavaScript value: JavaScript's record of the op (lib/operation.ts)
// holds the socket wrapper, so `socket` stays alive until the op is
// delivered. These fields are touched on the JS thread only.
struct JsOp : Op {
  uint64_t id = 0;
  SocketOps* socket = nullptr;  // the wrapper's
};

class OpRegistry {
 public:
  // Ids are JavaScript numbers: they stay exact up to 2^53 - 1.
  static constexpr uint64_t kMaxId = (uint64_t{1} << 53) - 1;

  explicit OpRegistry(Delivery* delivery) : delivery_(delivery) {}

  // Registers a pending op of op->socket and gives it an id no pending op has.
  uint64_t Add(JsOp* op);
  // The pending op `id` of `socket`, or null (unknown, settled, or another
  // socket's).
  JsOp* Find(uint64_t id, const SocketOps* socket) const;
  // Unregisters op (being delivered). True when it was the last pending op
  // of its socket.
  bool Remove(JsOp* op);
  // ref()/unref(): the socket's pending ops keep the loop alive or stop.
  void SetRef(SocketOps* socket, bool ref);
  // Teardown: forget every op (their owners free them).
  void Clear() { ops_.clear(); }

  // Test hook: the next id handed out is `id` (to reach the wrap quickly).
  void SetNextId(uint64_t id) { next_id_ = id >= 1 && id <= kMaxId ? id - 1 : 0; }

 private:
  Delivery* delivery_;
  std::unordered_map<uint64_t, JsOp*> ops_;
  uint64_t next_id_ = 0;  // the last id handed out
};

}  // namespace kts
