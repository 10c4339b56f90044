// tracectl's HTTP client: URL parsing, framing (Content-Length, chunked,
// close-delimited), timeouts and clear errors, against a scripted local server.
#include "tools/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace traceledger::cli {
namespace {

TEST(ParseHttpUrl, AcceptsHostPortAndPath) {
  auto u = ParseHttpUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "/");
  u = ParseHttpUrl("http://node.example:9/v1/transactions?wait=commit");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "node.example");
  EXPECT_EQ(u->port, 9);
  EXPECT_EQ(u->path, "/v1/transactions?wait=commit");
  u = ParseHttpUrl("http://[::1]:7000/x");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 7000);
  u = ParseHttpUrl("http://localhost");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
}

TEST(ParseHttpUrl, RefusesWhatItCannotUse) {
  for (const char* bad : {"https://127.0.0.1:8080", "127.0.0.1:8080", "http://", "http://:80",
                          "http://h:99999", "http://h:12a", "http://h:", "http://[::1"}) {
    auto u = ParseHttpUrl(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_EQ(u.status().code(), "BAD_URL") << bad;
    }
  }
}

// A one-connection server that answers with `reply` (or nothing) after reading
// the request head.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::string reply, bool answer = true) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, reply, answer] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[4096];
      while (in.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      request_ = in;
      if (answer) {
        ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      } else {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      ::close(c);
    });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& request() const { return request_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::string request_;
};

TEST(HttpCall, ReadsContentLengthBodies) {
  ScriptedServer s(
      "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
      "{\"a\":12345}");
  auto r = HttpCall("POST", s.url() + "/v1/transactions?wait=commit", "{\"x\":1}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "{\"a\":12345}");
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_NE(s.request().find("POST /v1/transactions?wait=commit HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(s.request().find("Content-Length: 7\r\n"), std::string::npos);
}

TEST(HttpCall, ReadsChunkedAndCloseDelimitedBodies) {
  {
    ScriptedServer s(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
        "chunked\r\n\r\n4\r\nabcd\r\n3;x=1\r\nefg\r\n0\r\n\r\n");
    auto r = HttpCall("GET", s.url() + "/", "");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "abcdefg");
  }
  {
    ScriptedServer s("HTTP/1.0 404 Not Found\r\n\r\nno such thing");
    auto r = HttpCall("GET", s.url() + "/", "");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->body, "no such thing");
  }
}

TEST(HttpCall, ErrorsAreClear) {
  {
    ScriptedServer s("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
    auto r = HttpCall("GET", s.url() + "/", "");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), "HTTP_BAD_RESPONSE");
  }
  {
    ScriptedServer s("SSH-2.0-OpenSSH\r\n\r\n");
    auto r = HttpCall("GET", s.url() + "/", "");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), "HTTP_BAD_RESPONSE");
  }
  {
    ScriptedServer s("", /*answer=*/false);
    HttpCallOptions o;
    o.timeout_ms = 200;
    auto r = HttpCall("GET", s.url() + "/", "", o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), "HTTP_TIMEOUT");
  }
  {
    ScriptedServer s("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n");
    auto r = HttpCall("GET", s.url() + "/", "");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), "HTTP_TOO_LARGE");
  }
  auto r = HttpCall("GET", "http://127.0.0.1:1/v1/status", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "UNREACHABLE");
  EXPECT_NE(r.status().message().find("cannot connect to http://127.0.0.1:1/v1/status"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace traceledger::cli
