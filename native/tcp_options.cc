#include "tcp_options.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace kts {

namespace {

int SetInt(int fd, int level, int opt, int value) {
  return setsockopt(fd, level, opt, &value, sizeof value) < 0 ? errno : 0;
}

int GetInt(int fd, int level, int opt, int* value) {
  socklen_t len = sizeof *value;
  return getsockopt(fd, level, opt, value, &len) < 0 ? errno : 0;
}

// The option that sets the keepalive idle time: Linux and the BSDs call it
// TCP_KEEPIDLE, macOS TCP_KEEPALIVE.
#if defined(TCP_KEEPIDLE)
constexpr int kKeepIdle = TCP_KEEPIDLE;
constexpr const char* kKeepIdleName = "TCP_KEEPIDLE";
#elif defined(TCP_KEEPALIVE)
constexpr int kKeepIdle = TCP_KEEPALIVE;
constexpr const char* kKeepIdleName = "TCP_KEEPALIVE";
#else
constexpr int kKeepIdle = -1;
constexpr const char* kKeepIdleName = nullptr;
#endif

}  // namespace

TcpCapabilities GetTcpCapabilities() {
  TcpCapabilities c{};
#if defined(TCP_USER_TIMEOUT)
  c.user_timeout = "TCP_USER_TIMEOUT";
  c.user_timeout_unit_ms = 1;
#elif defined(TCP_RXT_CONNDROPTIME)
  c.user_timeout = "TCP_RXT_CONNDROPTIME";
  c.user_timeout_unit_ms = 1000;
#else
  c.user_timeout = nullptr;
  c.user_timeout_unit_ms = 0;
#endif
  c.keepalive_idle = kKeepIdleName;
#if defined(TCP_KEEPINTVL)
  c.keepalive_interval = true;
#endif
#if defined(TCP_KEEPCNT)
  c.keepalive_count = true;
#endif
#if defined(TCP_INFO)
  c.info = "TCP_INFO";
#elif defined(TCP_CONNECTION_INFO)
  c.info = "TCP_CONNECTION_INFO";
#else
  c.info = nullptr;
#endif
  return c;
}

int SetUserTimeout(int fd, uint32_t ms) {
#if defined(TCP_USER_TIMEOUT)
  return SetInt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(ms));
#elif defined(TCP_RXT_CONNDROPTIME)
  return SetInt(fd, IPPROTO_TCP, TCP_RXT_CONNDROPTIME, static_cast<int>((ms + 999) / 1000));
#else
  (void)fd;
  (void)ms;
  return ENOPROTOOPT;
#endif
}

int GetUserTimeout(int fd, uint32_t* ms) {
  int v = 0;
#if defined(TCP_USER_TIMEOUT)
  int err = GetInt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v);
  if (err == 0) *ms = static_cast<uint32_t>(v);
  return err;
#elif defined(TCP_RXT_CONNDROPTIME)
  int err = GetInt(fd, IPPROTO_TCP, TCP_RXT_CONNDROPTIME, &v);
  if (err == 0) *ms = static_cast<uint32_t>(v) * 1000;
  return err;
#else
  (void)fd;
  (void)ms;
  (void)v;
  return ENOPROTOOPT;
#endif
}

int SetKeepAlive(int fd, const KeepAlive& k) {
  // The timings first: turning keepalive on arms its timer with the idle
  // time in force at that moment.
  if (k.idle_s > 0) {
    if (kKeepIdle < 0) return ENOPROTOOPT;
    if (int err = SetInt(fd, IPPROTO_TCP, kKeepIdle, k.idle_s)) return err;
  }
  if (k.interval_s > 0) {
#if defined(TCP_KEEPINTVL)
    if (int err = SetInt(fd, IPPROTO_TCP, TCP_KEEPINTVL, k.interval_s)) return err;
#else
    return ENOPROTOOPT;
#endif
  }
  if (k.count > 0) {
#if defined(TCP_KEEPCNT)
    if (int err = SetInt(fd, IPPROTO_TCP, TCP_KEEPCNT, k.count)) return err;
#else
    return ENOPROTOOPT;
#endif
  }
  return SetInt(fd, SOL_SOCKET, SO_KEEPALIVE, k.enabled ? 1 : 0);
}

int GetKeepAlive(int fd, KeepAlive* out) {
  int v = 0;
  if (int err = GetInt(fd, SOL_SOCKET, SO_KEEPALIVE, &v)) return err;
  out->enabled = v != 0;
  if (kKeepIdle >= 0) {
    if (int err = GetInt(fd, IPPROTO_TCP, kKeepIdle, &out->idle_s)) return err;
  }
#if defined(TCP_KEEPINTVL)
  if (int err = GetInt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &out->interval_s)) return err;
#endif
#if defined(TCP_KEEPCNT)
  if (int err = GetInt(fd, IPPROTO_TCP, TCP_KEEPCNT, &out->count)) return err;
#endif
  return 0;
}

int SetNoDelay(int fd, bool enable) {
  int v = enable ? 1 : 0;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) < 0 ? errno : 0;
}

int GetNoDelay(int fd, bool* enabled) {
  int v = 0;
  socklen_t len = sizeof v;
  if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) < 0) return errno;
  *enabled = v != 0;
  return 0;
}

int SetLinger(int fd, int seconds) {
  linger l{};
  l.l_onoff = seconds >= 0 ? 1 : 0;
  l.l_linger = seconds >= 0 ? seconds : 0;
  return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0 ? errno : 0;
}

int GetLinger(int fd, int* seconds) {
  linger l{};
  socklen_t len = sizeof l;
  if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) < 0) return errno;
  *seconds = l.l_onoff ? l.l_linger : -1;
  return 0;
}

}  // namespace kts
