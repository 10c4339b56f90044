// Raw HTTP/1.1 over a loopback socket, for tests that must see the bytes a
// server sends (framing, headers, HEAD answers without a body).
#ifndef TRACELEDGER_TESTS_API_RAW_HTTP_H_
#define TRACELEDGER_TESTS_API_RAW_HTTP_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace traceledger::api::testing {

// Sends raw bytes to 127.0.0.1:port and reads until the server closes, 5 s
// pass without data, or `until` appears `count` times. Returns what was read.
inline std::string Exchange(uint16_t port, const std::string& request,
                            const std::string& until = "", int count = 1) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "CONNECT FAILED";
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string out;
  char buf[4096];
  while (true) {
    if (!until.empty()) {
      int seen = 0;
      for (size_t p = out.find(until); p != std::string::npos; p = out.find(until, p + 1)) ++seen;
      if (seen >= count) break;
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// One parsed response off the front of `raw` (which is advanced past it):
// the status, the headers (names lowercased) and the body, framed by
// Content-Length. ok is false if `raw` does not start with a full response.
struct RawResponse {
  bool ok = false;
  int status = 0;
  std::string head;  // status line and headers, lowercased names
  std::string body;
  long content_length = -1;
  std::string Header(const std::string& lower_name) const {
    auto p = head.find("\r\n" + lower_name + ": ");
    if (p == std::string::npos) return "";
    p += 4 + lower_name.size();
    return head.substr(p, head.find("\r\n", p) - p);
  }
};

// `body_follows` false for the answer to a HEAD: Content-Length describes the
// GET body, and no body bytes follow.
inline RawResponse TakeResponse(std::string* raw, bool body_follows = true) {
  RawResponse r;
  auto end = raw->find("\r\n\r\n");
  if (raw->rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return r;
  r.status = std::atoi(raw->c_str() + 9);
  r.head = raw->substr(0, end + 2);
  // Lowercase the header names (not the values).
  for (size_t p = r.head.find("\r\n"); p != std::string::npos; p = r.head.find("\r\n", p + 2)) {
    for (size_t i = p + 2; i < r.head.size() && r.head[i] != ':' && r.head[i] != '\r'; ++i) {
      r.head[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(r.head[i])));
    }
  }
  std::string cl = r.Header("content-length");
  r.content_length = cl.empty() ? -1 : std::atol(cl.c_str());
  size_t n = body_follows && r.content_length > 0 ? static_cast<size_t>(r.content_length) : 0;
  if (raw->size() < end + 4 + n) return r;
  r.body = raw->substr(end + 4, n);
  raw->erase(0, end + 4 + n);
  r.ok = true;
  return r;
}

}  // namespace traceledger::api::testing

#endif  // TRACELEDGER_TESTS_API_RAW_HTTP_H_
