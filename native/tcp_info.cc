#include "tcp_info.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>

#if defined(__linux__)
#include <linux/sockios.h>
#endif
#if !defined(TCP_INFO) && defined(TCP_CONNECTION_INFO)
#include <netinet/tcp_fsm.h>
#endif

namespace kts {

namespace {

#if defined(TCP_INFO) && defined(__linux__)
const char* StateName(int s) {
  switch (s) {
    case TCP_ESTABLISHED: return "ESTABLISHED";
    case TCP_SYN_SENT: return "SYN_SENT";
    case TCP_SYN_RECV: return "SYN_RECV";
    case TCP_FIN_WAIT1: return "FIN_WAIT1";
    case TCP_FIN_WAIT2: return "FIN_WAIT2";
    case TCP_TIME_WAIT: return "TIME_WAIT";
    case TCP_CLOSE: return "CLOSE";
    case TCP_CLOSE_WAIT: return "CLOSE_WAIT";
    case TCP_LAST_ACK: return "LAST_ACK";
    case TCP_LISTEN: return "LISTEN";
    case TCP_CLOSING: return "CLOSING";
    default: return "UNKNOWN";
  }
}

int Fill(int fd, TcpInfo* out) {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) return errno;
  out->state = StateName(ti.tcpi_state);
  out->rtt_us = ti.tcpi_rtt;
  out->rttvar_us = ti.tcpi_rttvar;
  out->rto_us = ti.tcpi_rto;
  out->retransmits = ti.tcpi_retransmits;
  out->total_retransmits = ti.tcpi_total_retrans;
  out->unacked = ti.tcpi_unacked;
  out->lost = ti.tcpi_lost;
  out->snd_cwnd = ti.tcpi_snd_cwnd;
  out->snd_mss = ti.tcpi_snd_mss;
  out->rcv_mss = ti.tcpi_rcv_mss;
  out->last_data_recv_ms = ti.tcpi_last_data_recv;
  out->last_ack_recv_ms = ti.tcpi_last_ack_recv;
  return 0;
}
#elif defined(TCP_CONNECTION_INFO)
// macOS (unverified until a Mac runs it): tcp_connection_info keeps times
// in milliseconds and states as TCPS_* of <netinet/tcp_fsm.h>.
const char* StateName(int s) {
  switch (s) {
    case TCPS_CLOSED: return "CLOSE";
    case TCPS_LISTEN: return "LISTEN";
    case TCPS_SYN_SENT: return "SYN_SENT";
    case TCPS_SYN_RECEIVED: return "SYN_RECV";
    case TCPS_ESTABLISHED: return "ESTABLISHED";
    case TCPS_CLOSE_WAIT: return "CLOSE_WAIT";
    case TCPS_FIN_WAIT_1: return "FIN_WAIT1";
    case TCPS_CLOSING: return "CLOSING";
    case TCPS_LAST_ACK: return "LAST_ACK";
    case TCPS_FIN_WAIT_2: return "FIN_WAIT2";
    case TCPS_TIME_WAIT: return "TIME_WAIT";
    default: return "UNKNOWN";
  }
}

int Fill(int fd, TcpInfo* out) {
  tcp_connection_info ti{};
  socklen_t len = sizeof ti;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONNECTION_INFO, &ti, &len) < 0) return errno;
  out->state = StateName(ti.tcpi_state);
  out->rtt_us = static_cast<int64_t>(ti.tcpi_srtt) * 1000;
  out->rttvar_us = static_cast<int64_t>(ti.tcpi_rttvar) * 1000;
  out->rto_us = static_cast<int64_t>(ti.tcpi_rto) * 1000;
  out->total_retransmits = static_cast<int64_t>(ti.tcpi_txretransmitpackets);
  out->snd_cwnd = ti.tcpi_snd_cwnd;
  out->snd_mss = ti.tcpi_maxseg;
  out->send_queue = ti.tcpi_snd_sbbytes;
  return 0;
}
#else
int Fill(int fd, TcpInfo* out) {
  (void)fd;
  (void)out;
  return ENOPROTOOPT;
}
#endif

}  // namespace

int ReadTcpInfo(int fd, TcpInfo* out) {
  if (int err = Fill(fd, out)) return err;
  int n = 0;
#if defined(SIOCOUTQ)
  if (ioctl(fd, SIOCOUTQ, &n) == 0) out->send_queue = n;
#endif
  if (ioctl(fd, FIONREAD, &n) == 0) out->receive_queue = n;
  return 0;
}

}  // namespace kts
