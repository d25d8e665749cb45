// The ops JavaScript is waiting for, by id, and what each socket has
// pending. JS thread only. An id names one pending op of one socket: it is
// the op's slot in a vector plus that slot's generation, so a pending op's
// id can never be handed out again (its slot is taken until it is
// delivered), Find checks the slot's op and its socket, so cancel(id) can
// never reach another socket's op, and registering an op allocates nothing
// once the vector has grown to the most ops ever pending at once. Counts
// are kept per socket, so ref()/unref() and close() cost O(1) in the ops
// pending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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
  // id = generation * kSlots + slot. Generations run 1..kMaxGeneration and
  // wrap, so ids stay exact JavaScript numbers (< 2^53) and are never 0.
  static constexpr uint64_t kSlots = uint64_t{1} << 22;
  static constexpr uint64_t kMaxGeneration = (uint64_t{1} << 31) - 1;
  static constexpr uint64_t kMaxId = kMaxGeneration * kSlots + (kSlots - 1);

  explicit OpRegistry(Delivery* delivery) : delivery_(delivery) {}

  // False when kSlots ops are pending already (Add must not be called).
  bool HasRoom() const { return free_ != kNoSlot || slots_.size() < kSlots; }
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
  void Clear() {
    slots_.clear();
    free_ = kNoSlot;
  }

  // Test hook: every slot's last generation is now `g` (0..kMaxGeneration;
  // the next op in a slot gets g + 1, or 1 after kMaxGeneration), so the
  // wrap is reached without 2^31 ops per slot.
  void SetLastGeneration(uint64_t g);

 private:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  struct Slot {
    JsOp* op = nullptr;       // the pending op, or null while free
    uint64_t generation = 0;  // of the last op in this slot
    uint32_t next_free = kNoSlot;
  };

  Delivery* delivery_;
  std::vector<Slot> slots_;
  uint32_t free_ = kNoSlot;      // free slots, linked through next_free
  uint64_t new_generation_ = 0;  // what a new slot starts from (the test hook moves it)
};

}  // namespace kts
