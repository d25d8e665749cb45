// The kernel's view of one TCP connection: TCP_INFO on Linux,
// TCP_CONNECTION_INFO on macOS, and the queue sizes both can tell. Plain
// C++; lib/ shows it as sock.info().
#pragma once

#include <cstdint>

namespace kts {

struct TcpInfo {
  const char* state = "UNKNOWN";  // "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT2", ...
  // Each stays -1 where this OS does not report it.
  int64_t rtt_us = -1;             // smoothed round-trip time
  int64_t rttvar_us = -1;          // its mean deviation
  int64_t rto_us = -1;             // retransmission timeout now
  int64_t retransmits = -1;        // consecutive retransmissions of the oldest unacked segment
  int64_t total_retransmits = -1;  // segments retransmitted over the connection's life
  int64_t unacked = -1;            // segments sent and not yet acknowledged
  int64_t lost = -1;               // segments the kernel considers lost
  int64_t snd_cwnd = -1;           // congestion window: segments (Linux), bytes (macOS)
  int64_t snd_mss = -1;
  int64_t rcv_mss = -1;
  int64_t last_data_recv_ms = -1;  // ms since data last arrived
  int64_t last_ack_recv_ms = -1;   // ms since an ACK last arrived
  int64_t send_queue = -1;         // bytes written and not yet acknowledged by the peer
  int64_t receive_queue = -1;      // bytes received and not yet read
};

// Fills *out for fd. Returns 0, or the errno of the getsockopt that failed
// (ENOPROTOOPT when this build has no TCP_INFO equivalent; EOPNOTSUPP or
// ENOPROTOOPT from the kernel for a Unix-domain socket).
int ReadTcpInfo(int fd, TcpInfo* out);

}  // namespace kts
