// The kernel's own dead-peer timeouts and close behaviour of a TCP
// connection: TCP_USER_TIMEOUT (TCP_RXT_CONNDROPTIME on macOS), keepalive
// (SO_KEEPALIVE with idle / interval / count), SO_LINGER and TCP_NODELAY, plus what this
// build can set. Plain C++: every function takes the fd and returns 0 or the
// errno of the call that failed (ENOPROTOOPT when this build has no such
// option).
#pragma once

#include <cstdint>

namespace kts {

// What the OS headers this was built against offer (feature macros).
struct TcpCapabilities {
  const char* user_timeout;    // "TCP_USER_TIMEOUT", "TCP_RXT_CONNDROPTIME" or nullptr
  int user_timeout_unit_ms;    // 1 (milliseconds) or 1000 (whole seconds)
  const char* keepalive_idle;  // "TCP_KEEPIDLE", "TCP_KEEPALIVE" (macOS) or nullptr
  bool keepalive_interval;     // TCP_KEEPINTVL
  bool keepalive_count;        // TCP_KEEPCNT
  const char* info;            // "TCP_INFO", "TCP_CONNECTION_INFO" or nullptr
};

TcpCapabilities GetTcpCapabilities();

// How long sent data may stay unacknowledged before the kernel drops the
// connection with ETIMEDOUT. 0 = the system default. On macOS the kernel
// keeps whole seconds: ms is rounded up.
int SetUserTimeout(int fd, uint32_t ms);
int GetUserTimeout(int fd, uint32_t* ms);

// Keepalive on or off; idle / interval in whole seconds and count of probes,
// each 0 to leave the kernel's value as it is.
struct KeepAlive {
  bool enabled = false;
  int idle_s = -1;  // -1: not readable on this OS
  int interval_s = -1;
  int count = -1;
};
int SetKeepAlive(int fd, const KeepAlive& k);
int GetKeepAlive(int fd, KeepAlive* out);

// TCP_NODELAY: on, segments go out at once instead of waiting (Nagle) for
// the ACK of the previous small one.
int SetNoDelay(int fd, bool enable);
int GetNoDelay(int fd, bool* enabled);

// SO_LINGER. seconds < 0: off (close returns at once and the kernel sends
// what is queued, then FIN: the default). 0: abortive close, an RST at
// close(2), queued data discarded, no TIME_WAIT. > 0: close(2) blocks up to
// that long (the facade does not offer it: close runs on the JS thread).
int SetLinger(int fd, int seconds);
int GetLinger(int fd, int* seconds);

}  // namespace kts
