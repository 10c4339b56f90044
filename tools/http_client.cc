#include "tools/http_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace traceledger::cli {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Closes the descriptor on every path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Waits for `events` on fd until the deadline; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, MillisLeft(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

Status Connect(const HttpUrl& u, const std::string& url, const HttpCallOptions& o, Fd* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(u.port);
  int gai = ::getaddrinfo(u.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) {
    return Status::Error("UNREACHABLE", "cannot connect to " + url + ": " + ::gai_strerror(gai));
  }
  std::string last = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    Fd fd;
    fd.fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd.fd < 0) {
      last = std::strerror(errno);
      continue;
    }
    ::fcntl(fd.fd, F_SETFL, ::fcntl(fd.fd, F_GETFL) | O_NONBLOCK);
    int r = ::connect(fd.fd, a->ai_addr, a->ai_addrlen);
    if (r != 0 && errno != EINPROGRESS) {
      last = std::strerror(errno);
      continue;
    }
    if (r != 0) {
      auto deadline = Clock::now() + std::chrono::milliseconds(o.connect_timeout_ms);
      if (!WaitFor(fd.fd, POLLOUT, deadline)) {
        last = "timed out after " + std::to_string(o.connect_timeout_ms) + " ms";
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = std::strerror(err);
        continue;
      }
    }
    out->fd = fd.fd;
    fd.fd = -1;
    ::freeaddrinfo(res);
    return Status::OK();
  }
  ::freeaddrinfo(res);
  return Status::Error("UNREACHABLE", "cannot connect to " + url + ": " + last);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Decodes a chunked body; false if it is malformed or incomplete.
bool Dechunk(const std::string& in, std::string* out, bool* complete) {
  size_t pos = 0;
  *complete = false;
  out->clear();
  while (true) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return true;
    size_t n = 0;
    std::string hex = in.substr(pos, eol - pos);
    if (auto semi = hex.find(';'); semi != std::string::npos) hex.resize(semi);
    if (hex.empty() || hex.size() > 8) return false;
    for (char c : hex) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
      n = n * 16 +
          static_cast<size_t>(std::isdigit(static_cast<unsigned char>(c))
                                  ? c - '0'
                                  : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    }
    pos = eol + 2;
    if (n == 0) {
      *complete = true;
      return true;
    }
    if (in.size() < pos + n + 2) return true;
    out->append(in, pos, n);
    pos += n + 2;
  }
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(const std::string& url) {
  const std::string scheme = "http://";
  auto bad = [&](const std::string& why) {
    return Status::Error("BAD_URL", "\"" + url + "\" " + why + " (expected http://HOST:PORT)");
  };
  if (url.size() > 2048) return bad("is too long");
  if (url.rfind(scheme, 0) != 0) return bad("is not an http:// URL");
  std::string rest = url.substr(scheme.size());
  HttpUrl u;
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (hostport.empty()) return bad("has no host");
  size_t colon = hostport.rfind(':');
  if (hostport.front() == '[') {  // [v6]:port
    size_t close = hostport.find(']');
    if (close == std::string::npos) return bad("has a bad IPv6 host");
    u.host = hostport.substr(1, close - 1);
    colon =
        hostport.size() > close + 1 && hostport[close + 1] == ':' ? close + 1 : std::string::npos;
  } else {
    u.host = hostport.substr(0, colon);
  }
  if (colon != std::string::npos) {
    std::string p = hostport.substr(colon + 1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
      return bad("has a bad port");
    }
    int port = std::atoi(p.c_str());
    if (port <= 0 || port > 65535) return bad("has a bad port");
    u.port = static_cast<uint16_t>(port);
  }
  if (u.host.empty()) return bad("has no host");
  return u;
}

Result<HttpReply> HttpCall(const std::string& method, const std::string& url,
                           const std::string& body, const HttpCallOptions& o) {
  auto u = ParseHttpUrl(url);
  if (!u.ok()) return u.status();
  auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
  Fd fd;
  TL_RETURN_IF_ERROR(Connect(*u, url, o, &fd));

  std::string host = u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host;
  std::string req = method + " " + u->path + " HTTP/1.1\r\nHost: " + host + ":" +
                    std::to_string(u->port) +
                    "\r\nUser-Agent: tracectl\r\nAccept: application/json\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;
  size_t sent = 0;
  while (sent < req.size()) {
    ssize_t n = ::send(fd.fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!WaitFor(fd.fd, POLLOUT, deadline)) {
        return Status::Error("HTTP_TIMEOUT", "sending to " + url + " timed out");
      }
    } else {
      return Status::Error("UNREACHABLE", "cannot send to " + url + ": " + std::strerror(errno));
    }
  }

  // Read until the response is complete (by Content-Length or chunked end) or EOF.
  std::string in;
  HttpReply reply;
  size_t header_end = std::string::npos;
  std::optional<size_t> content_length;
  bool chunked = false;
  char buf[16384];
  while (true) {
    if (header_end == std::string::npos) {
      header_end = in.find("\r\n\r\n");
      if (header_end == std::string::npos && in.size() > kMaxHttpHeaderBytes) {
        return Status::Error("HTTP_BAD_RESPONSE", url + " sent more than 64 KiB of headers");
      }
      if (header_end != std::string::npos) {
        std::string head = in.substr(0, header_end);
        size_t eol = head.find("\r\n");
        std::string status_line = head.substr(0, eol);
        if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
          return Status::Error(
              "HTTP_BAD_RESPONSE",
              url + " answered \"" + status_line.substr(0, 80) + "\", not HTTP/1.x");
        }
        reply.status = std::atoi(status_line.substr(9, 3).c_str());
        size_t pos = eol == std::string::npos ? head.size() : eol + 2;
        while (pos < head.size()) {
          size_t e = head.find("\r\n", pos);
          if (e == std::string::npos) e = head.size();
          std::string line = head.substr(pos, e - pos);
          pos = e + 2;
          size_t c = line.find(':');
          if (c == std::string::npos) continue;
          std::string name = Lower(line.substr(0, c));
          std::string value = line.substr(c + 1);
          value.erase(0, value.find_first_not_of(" \t"));
          if (name == "content-length") content_length = std::strtoull(value.c_str(), nullptr, 10);
          if (name == "transfer-encoding" && Lower(value).find("chunked") != std::string::npos) {
            chunked = true;
          }
          if (name == "content-type") reply.content_type = value;
        }
        if (content_length && *content_length > o.max_response_bytes) {
          return Status::Error("HTTP_TOO_LARGE", url + " sent a body of " +
                                                     std::to_string(*content_length) + " bytes");
        }
      }
    }
    if (header_end != std::string::npos) {
      size_t have = in.size() - header_end - 4;
      if (content_length && have >= *content_length) {
        reply.body = in.substr(header_end + 4, *content_length);
        return reply;
      }
      if (chunked) {
        bool complete = false;
        if (!Dechunk(in.substr(header_end + 4), &reply.body, &complete)) {
          return Status::Error("HTTP_BAD_RESPONSE", url + " sent a malformed chunked body");
        }
        if (complete) return reply;
      }
      if (reply.status == 204 || reply.status == 304 || method == "HEAD") return reply;
    }
    if (in.size() > o.max_response_bytes + kMaxHttpHeaderBytes) {
      return Status::Error("HTTP_TOO_LARGE", url + " sent more than " +
                                                 std::to_string(o.max_response_bytes) + " bytes");
    }
    ssize_t n = ::recv(fd.fd, buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) {  // EOF: complete only if the length was not announced
      if (header_end == std::string::npos) {
        return Status::Error("HTTP_BAD_RESPONSE", url + " closed the connection before answering");
      }
      if (content_length || chunked) {
        return Status::Error("HTTP_BAD_RESPONSE", url + " closed the connection mid-response");
      }
      reply.body = in.substr(header_end + 4);
      return reply;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!WaitFor(fd.fd, POLLIN, deadline)) {
        return Status::Error(
            "HTTP_TIMEOUT", url + " did not answer within " + std::to_string(o.timeout_ms) + " ms");
      }
      continue;
    }
    return Status::Error("UNREACHABLE", "cannot read from " + url + ": " + std::strerror(errno));
  }
}

}  // namespace traceledger::cli
