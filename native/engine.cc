#include "engine.h"

#include "clock.h"

namespace kts {

int64_t EffectiveDeadline(const Op& op) {
  int64_t socket_wide = op.handle->deadline_ns[static_cast<int>(DirectionOf(op.kind))].load();
  return EarlierDeadline(op.deadline_ns, socket_wide);
}

}  // namespace kts
