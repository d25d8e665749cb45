#include "engine.h"

namespace kts {

Direction DirectionOf(OpKind kind) {
  return kind == OpKind::kRead || kind == OpKind::kAccept ? Direction::kRead : Direction::kWrite;
}

int64_t EffectiveDeadline(const Op& op) {
  int64_t own = op.deadline_ns;
  int64_t socket_wide = op.handle->deadline_ns[static_cast<int>(DirectionOf(op.kind))].load();
  if (own == 0) return socket_wide;
  if (socket_wide == 0) return own;
  return own < socket_wide ? own : socket_wide;
}

}  // namespace kts
