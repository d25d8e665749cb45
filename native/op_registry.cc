#include "op_registry.h"

namespace kts {

uint64_t OpRegistry::Add(JsOp* op) {
  uint32_t slot = free_;
  if (slot != kNoSlot) {
    free_ = slots_[slot].next_free;
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(Slot{nullptr, new_generation_, kNoSlot});
  }
  Slot& s = slots_[slot];
  s.generation = s.generation >= kMaxGeneration ? 1 : s.generation + 1;
  s.op = op;
  op->id = s.generation * kSlots + slot;
  ++op->socket->pending;
  delivery_->Hold(op->socket->ref);
  return op->id;
}

JsOp* OpRegistry::Find(uint64_t id, const SocketOps* socket) const {
  uint64_t slot = id % kSlots;
  if (slot >= slots_.size()) return nullptr;
  JsOp* op = slots_[slot].op;
  if (op == nullptr || op->id != id || op->socket != socket) return nullptr;
  return op;
}

bool OpRegistry::Remove(JsOp* op) {
  uint64_t slot = op->id % kSlots;
  if (slot >= slots_.size() || slots_[slot].op != op) return false;
  slots_[slot].op = nullptr;
  slots_[slot].next_free = free_;
  free_ = static_cast<uint32_t>(slot);
  SocketOps* s = op->socket;
  delivery_->Drop(s->ref);
  return --s->pending == 0;
}

void OpRegistry::SetRef(SocketOps* socket, bool ref) {
  if (socket->ref == ref) return;
  socket->ref = ref;
  if (ref) {
    delivery_->AddRefs(socket->pending);
  } else {
    delivery_->RemoveRefs(socket->pending);
  }
}

void OpRegistry::SetLastGeneration(uint64_t g) {
  if (g > kMaxGeneration) g = 0;
  for (Slot& s : slots_) s.generation = g;
  new_generation_ = g;
}

}  // namespace kts
