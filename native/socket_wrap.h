// The raw socket object JavaScript holds (lib/native.ts types it). It checks
// argument types cheaply and turns read/write/end/connect/accept into ops
// for the engine; read, write and end, the calls of every round trip, are
// plain functions of the addon that reach it through its cell (below). The
// calls that never block it makes itself on the JS thread with the fd held
// (Acquire/Release): bind and listen, addresses, timeout readback, TCP
// options and info (socket_wrap_tcp.cc). It holds the close() callbacks
// until the fd is really closed. The public classes in lib/ validate
// properly and own error mapping.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "handle.h"
#include "op_registry.h"

namespace kts {

class AddonData;
class SocketWrap;

// What read, write and end take as their first argument instead of `this`:
// a napi External the wrapper carries as its read-only `cell` property.
// Reaching the wrap through it is a pointer load, where napi_unwrap costs a
// private-symbol lookup (~700 instructions a call). The wrapper and the
// External each hold the cell and the last to go frees it (both finalizers
// run on the JS thread); the wrapper's destructor clears `wrap`, so an
// External that outlives its wrapper names no socket. `tag` tells a cell
// from another addon's External (type-tagging the External would cost the
// private-symbol lookup the cell avoids); it is cleared when the cell is
// freed.
struct SocketCell {
  static constexpr uint64_t kTag = 0x6c6c65632d73746bULL;  // "kts-cell", little-endian
  uint64_t tag;
  SocketWrap* wrap;
  AddonData* data;
  int holders;
};

// Drops one hold of a cell; frees it at the last.
struct CellRelease {
  void operator()(SocketCell* cell) const;
};

class SocketWrap : public Napi::ObjectWrap<SocketWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object NewInstance(Napi::Env env, AddonData& data, std::shared_ptr<Handle> h, int ss_family);
  // read, write and end onto exports (they take the socket's cell first).
  static void DefineCalls(Napi::Env env, Napi::Object exports);

  explicit SocketWrap(const Napi::CallbackInfo& info);
  // Collected without close(): closes the socket through its engine.
  ~SocketWrap() override;

  // Calls the close(cb) waiters: the fd is really closed and every op of
  // this socket delivered.
  void SettleClose(Napi::Env env);

  SocketOps& ops() { return ops_; }

 private:
  static Napi::Value Open(const Napi::CallbackInfo& info);
  static Napi::Value TimeoutReadback(const Napi::CallbackInfo& info);
  static Napi::Value DeadlineEntries(const Napi::CallbackInfo& info);
  static Napi::Value NotACell(const Napi::CallbackInfo& info);
  // The live wrap whose cell is info[0]; throws a TypeError when info[0] is
  // no cell, or its wrapper was collected (finalized or not yet).
  static SocketWrap& FromCell(const Napi::CallbackInfo& info);
  static Napi::Value Read(const Napi::CallbackInfo& info);
  static Napi::Value Write(const Napi::CallbackInfo& info);
  static Napi::Value End(const Napi::CallbackInfo& info);

  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value Listen(const Napi::CallbackInfo& info);
  Napi::Value Accept(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value SetDeadline(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Address(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value SetRef(const Napi::CallbackInfo& info);

  // TCP options and introspection (socket_wrap_tcp.cc).
  static Napi::Value Capabilities(const Napi::CallbackInfo& info);
  Napi::Value SetUserTimeout(const Napi::CallbackInfo& info);
  Napi::Value SetKeepAlive(const Napi::CallbackInfo& info);
  Napi::Value SetLinger(const Napi::CallbackInfo& info);
  Napi::Value SetNoDelay(const Napi::CallbackInfo& info);
  Napi::Value TcpOptions(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);

  JsOp* NewOp(OpKind kind, double timeout_ms, TimerMode timer);
  Napi::Value Start(Napi::Env env, JsOp* op);

  std::shared_ptr<Handle> handle_;
  int family_ = 0;  // 4, 6 or 0 (Unix)
  SocketOps ops_;   // pending count and ref() state (op_registry.h)
  std::vector<Napi::FunctionReference> close_callbacks_;
  std::unique_ptr<SocketCell, CellRelease> cell_;  // the wrapper's hold
};

}  // namespace kts
