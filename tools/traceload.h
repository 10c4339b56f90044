// Shared pieces of traceload (tools/traceload.cc): a keep-alive HTTP/1.1
// connection over blocking sockets, node targets, percentiles, and the two
// modes that live in their own files (journeys: realistic load; read: trace
// and cockpit read benchmark).
//
// Thread-safety: a Conn belongs to one thread; the functions are pure.
#ifndef TRACELEDGER_TOOLS_TRACELOAD_H_
#define TRACELEDGER_TOOLS_TRACELOAD_H_

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "ledger/status.h"
#include "tools/cli.h"
#include "tools/http_client.h"

namespace traceledger::traceload {

using Clock = std::chrono::steady_clock;

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One keep-alive HTTP/1.1 connection (plain blocking sockets).
class Conn {
 public:
  Conn(std::string host, uint16_t port) : host_(std::move(host)), port_(port) {}
  ~Conn() { Close(); }

  // POSTs body to path; returns the status and fills *out with the body, or -1.
  int Post(const std::string& path, const std::string& body, std::string* out) {
    return Call("POST " + path + " HTTP/1.1\r\nHost: " + host_ +
                    "\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body,
                out);
  }
  // GETs path (already URL-encoded); as Post.
  int Get(const std::string& path, std::string* out) {
    return Call("GET " + path + " HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n", out);
  }

 private:
  int Call(const std::string& req, std::string* out) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !Open()) return -1;
      if (!SendAll(req)) {
        Close();
        continue;  // the server closed an idle connection: reconnect once
      }
      int status = ReadResponse(out);
      if (status < 0) {
        Close();
        continue;
      }
      return status;
    }
    return -1;
  }

  bool Open() {
    addrinfo hints{}, *res = nullptr;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res) != 0) return false;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd_ >= 0 && ::connect(fd_, res->ai_addr, res->ai_addrlen) == 0;
    freeaddrinfo(res);
    if (!ok) {
      Close();
      return false;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{60, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    buf_.clear();
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool SendAll(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  bool Fill() {
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int ReadResponse(std::string* body) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (buf_.size() > 65536 || !Fill()) return -1;
    }
    std::string head = buf_.substr(0, end);
    int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : -1;
    size_t length = 0;
    for (size_t p = 0; p < head.size();) {
      size_t nl = head.find("\r\n", p);
      std::string line = head.substr(p, nl == std::string::npos ? std::string::npos : nl - p);
      std::string lower = line;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.rfind("content-length:", 0) == 0) length = std::stoul(line.substr(15));
      if (nl == std::string::npos) break;
      p = nl + 2;
    }
    while (buf_.size() < end + 4 + length) {
      if (!Fill()) return -1;
    }
    *body = buf_.substr(end + 4, length);
    buf_.erase(0, end + 4 + length);
    return status;
  }

  std::string host_;
  uint16_t port_;
  int fd_ = -1;
  std::string buf_;
};

struct Target {
  std::string url, host;
  uint16_t port = 0;
};

inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  return v[i];
}

inline int Fail(const std::string& s) {
  std::fprintf(stderr, "traceload: %s\n", s.c_str());
  return 1;
}

// The flags of one traceload mode (cli::ParseArgs: "--name value" or
// "--name=value"; `mode` is the switch that chose the mode, "" for writes).
// Prints `usage` and returns nothing on an unknown flag or a missing value.
inline std::optional<cli::Args> ParseFlags(int argc, char** argv,
                                           const std::vector<std::string>& with_value,
                                           const char* mode, const char* usage) {
  std::vector<std::string> switches;
  if (*mode) switches.push_back(mode);
  auto args = cli::ParseArgs(argc - 1, argv + 1, with_value, switches);
  if (!args.ok() || !args->positional.empty()) {
    if (!args.ok()) std::fprintf(stderr, "traceload: %s\n", args.status().message().c_str());
    std::fprintf(stderr, "%s", usage);
    return std::nullopt;
  }
  return *args;
}

using cli::NumberFlags;

inline Result<std::vector<Target>> ParseTargets(const std::string& nodes_arg) {
  std::vector<Target> targets;
  for (size_t p = 0; p <= nodes_arg.size();) {
    size_t c = nodes_arg.find(',', p);
    std::string url = nodes_arg.substr(p, c == std::string::npos ? std::string::npos : c - p);
    auto u = cli::ParseHttpUrl(url);
    if (!u.ok()) return u.status();
    targets.push_back({url, u->host, u->port});
    if (c == std::string::npos) break;
    p = c + 1;
  }
  return targets;
}

// Percent-encodes everything but unreserved characters (RFC 3986).
inline std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// The modes of traceload_journeys.cc and traceload_read.cc (usage in traceload.cc).
int RunJourneys(int argc, char** argv);
int RunReads(int argc, char** argv);

}  // namespace traceledger::traceload

#endif  // TRACELEDGER_TOOLS_TRACELOAD_H_
