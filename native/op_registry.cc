#include "op_registry.h"

namespace kts {

uint64_t OpRegistry::Add(JsOp* op) {
  // At most ops_.size() + 1 tries: the ids in use are that many.
  do {
    next_id_ = next_id_ >= kMaxId ? 1 : next_id_ + 1;
  } while (ops_.count(next_id_) != 0);
  op->id = next_id_;
  ops_.emplace(op->id, op);
  ++op->socket->pending;
  delivery_->Hold(op->socket->ref);
  return op->id;
}

JsOp* OpRegistry::Find(uint64_t id, const SocketOps* socket) const {
  auto it = ops_.find(id);
  if (it == ops_.end() || it->second->socket != socket) return nullptr;
  return it->second;
}

bool OpRegistry::Remove(JsOp* op) {
  if (ops_.erase(op->id) == 0) return false;
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

}  // namespace kts
