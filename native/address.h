// Socket addresses between JavaScript and the kernel: numeric IPv4/IPv6
// (the facade resolves names with Node's dns first), an IPv6 zone by
// interface name or number (fe80::1%eth0), and Unix paths.
#pragma once

#include <napi.h>
#include <sys/socket.h>

#include <string>

namespace kts {

// family: 4, 6, or 0 for a Unix path. Returns 0, or EINVAL (not a numeric
// address of that family), ENAMETOOLONG (path too long), EAFNOSUPPORT.
int ParseAddress(int family, const std::string& host_or_path, int port, sockaddr_storage* out,
                 socklen_t* len);

// The kernel's socket family for a facade family code, or -1.
int SocketFamily(int family);

// { address, port, family: 'IPv4' | 'IPv6' } or { path }, as Node prints them.
Napi::Object FormatAddress(Napi::Env env, const sockaddr_storage& addr, socklen_t len);

}  // namespace kts
