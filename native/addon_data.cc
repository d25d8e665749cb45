// Per-env state of the addon: its construction (engines, delivery, the
// owned threads' tuning knobs) and its teardown (env cleanup hook).
#include <cstdlib>
#include <cstring>
#include <memory>

#include "addon.h"
#include "io.h"

namespace kts {

namespace {

// How long an owned thread may sit idle before it retires. KTS_THREAD_IDLE_MS
// overrides the default (5 s) for tests and for diagnosing thread churn.
int ThreadIdleMs() {
  const char* v = std::getenv("KTS_THREAD_IDLE_MS");
  if (v == nullptr || *v == '\0') return 5000;
  long ms = std::strtol(v, nullptr, 10);
  return ms >= 10 && ms <= 3600000 ? static_cast<int>(ms) : 5000;
}

// How long one owned thread spins for work before sleeping: after a task
// (the pool) and before a read sleeps in recv (io_steps.cc). Wake-ups of sleeping
// threads dominate ping-pong latency, above all on VMs whose idle vCPUs
// halt. KTS_SPIN_US=0 turns both off, trading latency for idle CPU.
int SpinMicros() {
  const char* v = std::getenv("KTS_SPIN_US");
  if (v == nullptr || *v == '\0') return 50;
  long us = std::strtol(v, nullptr, 10);
  return us >= 0 && us <= 10000 ? static_cast<int>(us) : 50;
}

bool AcceptResultThrows() {
  const char* v = std::getenv("KTS_TEST_ACCEPT_RESULT_THROWS");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace

uv_loop_t* LoopOf(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr)
    Napi::Error::Fatal("kernel-timeout-socket", "napi_get_uv_event_loop failed");
  return loop;
}

AddonData::AddonData(Napi::Env env)
    : delivery(env, &AddonData::Drain, this),
      threads_engine(&delivery, 256 * 1024, ThreadIdleMs(), SpinMicros()),
      loop_engine(LoopOf(env), &delivery, &AddonData::SettleFromLoop, this, &threads_engine.runner()),
      accept_result_throws(AcceptResultThrows()),
      env_(env) {
  SetBusyPollMicros(SpinMicros());
  async_context_ = std::make_unique<Napi::AsyncContext>(env, "kernel-timeout-socket");
}

void AddonData::Teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  // Wake every blocked call and join every owned thread before the env goes.
  // The loop engine first: it closes the handles libuv polls, so the threads
  // engine's Shutdown, which closes every other handle, meets none.
  loop_engine.Shutdown();
  threads_engine.Shutdown();
  for (Op* op : delivery.TakeAll()) op_pool.Free(static_cast<JsOp*>(op));
  ops.Clear();
  delivery.Release();
}

}  // namespace kts
