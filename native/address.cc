#include "address.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace kts {

namespace {

// An IPv6 zone: an interface name (as libuv, so node:net, reads it) or a
// number. An unknown name is 0, no zone, as in libuv: the kernel then
// rejects a link-local address (EINVAL) as it does for net.
uint32_t ZoneIndex(const std::string& zone) {
  unsigned int index = if_nametoindex(zone.c_str());
  if (index != 0) return index;
  if (zone.empty() || zone.size() > 10 || zone.find_first_not_of("0123456789") != std::string::npos) return 0;
  unsigned long n = std::strtoul(zone.c_str(), nullptr, 10);
  return n <= UINT32_MAX ? static_cast<uint32_t>(n) : 0;
}

}  // namespace

int SocketFamily(int family) {
  switch (family) {
    case 4: return AF_INET;
    case 6: return AF_INET6;
    case 0: return AF_UNIX;
    default: return -1;
  }
}

int ParseAddress(int family, const std::string& host_or_path, int port, sockaddr_storage* out,
                 socklen_t* len) {
  std::memset(out, 0, sizeof *out);
  if (family == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host_or_path.c_str(), &sin->sin_addr) != 1) return EINVAL;
    *len = sizeof *sin;
    return 0;
  }
  if (family == 6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    std::string host = host_or_path;
    size_t pct = host.find('%');  // fe80::1%eth0 or fe80::1%2: the zone (scope id)
    if (pct != std::string::npos) {
      sin6->sin6_scope_id = ZoneIndex(host.substr(pct + 1));
      host.resize(pct);
    }
    if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) != 1) return EINVAL;
    *len = sizeof *sin6;
    return 0;
  }
  if (family == 0) {
    auto* sun = reinterpret_cast<sockaddr_un*>(out);
    sun->sun_family = AF_UNIX;
    if (host_or_path.empty() || host_or_path.size() >= sizeof sun->sun_path) return ENAMETOOLONG;
    std::memcpy(sun->sun_path, host_or_path.data(), host_or_path.size());
    *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + host_or_path.size() + 1);
    return 0;
  }
  return EAFNOSUPPORT;
}

Napi::Object FormatAddress(Napi::Env env, const sockaddr_storage& addr, socklen_t len) {
  Napi::Object o = Napi::Object::New(env);
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    o.Set("address", text);
    o.Set("port", ntohs(sin->sin_port));
    o.Set("family", "IPv4");
  } else if (addr.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    o.Set("address", text);
    o.Set("port", ntohs(sin6->sin6_port));
    o.Set("family", "IPv6");
  } else if (addr.ss_family == AF_UNIX) {
    const auto* sun = reinterpret_cast<const sockaddr_un*>(&addr);
    size_t max = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    o.Set("path", std::string(sun->sun_path, strnlen(sun->sun_path, max)));
  }
  return o;
}

}  // namespace kts
