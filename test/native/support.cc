#include "support.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "check.h"

namespace kts_test {

std::atomic<int> g_failures{0};

uint64_t Rng::Next() {
  s_ ^= s_ >> 12;
  s_ ^= s_ << 25;
  s_ ^= s_ >> 27;
  return s_ * 0x2545F4914F6CDD1Dull;
}

uint8_t PatternByte(uint32_t stream, uint64_t offset) {
  uint64_t x = (static_cast<uint64_t>(stream) << 40) ^ offset ^ 0x5bd1e995u;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return static_cast<uint8_t>(x);
}

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool UnixPair(FdPair* p) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return false;
  p->a = sv[0];
  p->b = sv[1];
  return true;
}

int TcpListener(int backlog, sockaddr_storage* addr, socklen_t* len) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  *len = sizeof(sockaddr_storage);
  if (bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in) < 0 || listen(fd, backlog) < 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(addr), len) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool TcpPair(int listener, const sockaddr_storage& addr, socklen_t len, FdPair* p) {
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0) return false;
  if (connect(c, reinterpret_cast<const sockaddr*>(&addr), len) < 0) {
    close(c);
    return false;
  }
  int s = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (s < 0) {
    close(c);
    return false;
  }
  p->a = c;
  p->b = s;
  return true;
}

void CloseQuietly(int* fd) {
  if (*fd >= 0) {
    int r = close(*fd);
    KTS_CHECK(r == 0, "close(%d): errno %d", *fd, errno);
  }
  *fd = -1;
}

namespace {

int CountEntries(const char* dir) {
  DIR* d = opendir(dir);
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

}  // namespace

int CountFds() { return CountEntries("/proc/self/fd") - 1; }  // minus opendir's own
// pthread_join returns once the kernel has cleared the thread's tid, which
// happens before the task leaves /proc/self/task: a thread joined a moment
// ago can still be listed. There is no event for its removal, so read until
// the count has stopped falling for three reads 1 ms apart (at most 500
// reads). A leaked thread never leaves, so it is still counted.
int CountThreads() {
  int count = CountEntries("/proc/self/task");
  int steady = 0;
  for (int i = 0; i < 500 && steady < 3; ++i) {
    usleep(1000);
    int now = CountEntries("/proc/self/task");
    steady = now < count ? 0 : steady + 1;
    if (now < count) count = now;
  }
  return count;
}

uint64_t InodeOf(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

}  // namespace kts_test
