// JsOps recycled on the JS thread, where every one is made (SocketWrap) and
// freed (completions.cc, teardown): a finished op's memory makes the next
// op, with no free() and malloc() between (~150 instructions per op,
// callgrind), and no zeroing beyond the members' own initializers. Bounded:
// at most kKept blocks wait here, the rest go back to the allocator. One
// per env (AddonData), so a Worker's blocks go with it.
#pragma once

#include <cstddef>
#include <memory>
#include <new>

#include "op_registry.h"

namespace kts {

class OpPool {
 public:
  OpPool() = default;
  OpPool(const OpPool&) = delete;
  OpPool& operator=(const OpPool&) = delete;
  ~OpPool() {
    while (kept_ > 0) ::operator delete(blocks_[--kept_]);
  }

  // A new op, as `new JsOp` makes it (may throw std::bad_alloc).
  JsOp* New() {
    void* block = kept_ > 0 ? blocks_[--kept_] : ::operator new(sizeof(JsOp));
    return new (block) JsOp;
  }
  // Destroys op (an accepted fd in it is closed) and keeps its memory.
  void Free(JsOp* op) {
    if (op == nullptr) return;
    op->~JsOp();
    if (kept_ < kKept) {
      blocks_[kept_++] = op;
    } else {
      ::operator delete(op);
    }
  }

  struct Deleter {
    OpPool* pool;
    void operator()(JsOp* op) const { pool->Free(op); }
  };
  using Ptr = std::unique_ptr<JsOp, Deleter>;
  // op, freed here when the returned pointer goes.
  Ptr Own(JsOp* op) { return Ptr(op, Deleter{this}); }

 private:
  static constexpr size_t kKept = 64;
  void* blocks_[kKept];
  size_t kept_ = 0;
};

}  // namespace kts
