// Plumbing shared by the native core tests: a seeded generator, per-stream
// byte patterns, real socket pairs (Unix and loopback TCP), and counters of
// the process's fds and threads read from /proc.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace kts_test {

// xorshift64*: deterministic from the seed main() prints.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  uint64_t Next();
  // Uniform in [lo, hi].
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Next() % (hi - lo + 1); }
  bool OneIn(uint64_t n) { return Next() % n == 0; }

 private:
  uint64_t s_;
};

// Byte `offset` of stream `stream`: every connection sends its own sequence,
// so a byte that lands on the wrong socket (or out of order) is caught.
uint8_t PatternByte(uint32_t stream, uint64_t offset);

// A tag byte per connection for writes (never 0).
inline uint8_t TagOf(uint32_t stream) { return static_cast<uint8_t>(stream % 255 + 1); }

int64_t NowNs();  // CLOCK_MONOTONIC

struct FdPair {
  int a = -1;
  int b = -1;
};

// Connected blocking stream sockets, close-on-exec. Returns false on failure.
bool UnixPair(FdPair* p);
// A loopback TCP listener on an ephemeral port with `backlog`.
int TcpListener(int backlog, sockaddr_storage* addr, socklen_t* len);
// A connected loopback TCP pair through `listener` (accepted side is b).
bool TcpPair(int listener, const sockaddr_storage& addr, socklen_t len, FdPair* p);

void CloseQuietly(int* fd);

int CountFds();      // entries in /proc/self/fd
int CountThreads();  // entries in /proc/self/task, once exiting threads have left

// Inode of the socket behind fd, or 0 when fd is not open.
uint64_t InodeOf(int fd);

}  // namespace kts_test
