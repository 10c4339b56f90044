#include "api/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace traceledger::api {
namespace {

// Sends raw bytes to 127.0.0.1:port and reads until the server closes or
// `until` appears `count` times. Returns what was read.
std::string Exchange(uint16_t port, const std::string& request, const std::string& until = "",
                     int count = 1) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "CONNECT FAILED";
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

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions opt;
    opt.max_body_bytes = 1024;
    opt.max_header_bytes = 2048;
    auto s = HttpServer::Start(opt, [](const HttpRequest& req, Responder respond) {
      if (req.path == "/echo") {
        HttpResponse r;
        r.content_type = "text/plain";
        std::string q;
        for (auto& [k, v] : req.query) q += k + "=" + v + ";";
        r.body = req.method + " " + req.path + " " + q + " " + req.body;
        respond(std::move(r));
      } else if (req.path == "/later") {
        // Answer from another thread, as a commit wait would.
        std::thread([respond] {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          HttpResponse r;
          r.body = "{\"late\":true}";
          respond(r);
          respond(r);  // a second answer is ignored
        }).detach();
      } else {
        respond(JsonError(404, "NOT_FOUND", "no route for " + req.path));
      }
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, RoutesDecodesAndKeepsAlive) {
  std::string req =
      "GET /echo?x=%28a%29&y=b+c HTTP/1.1\r\nHost: t\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
  std::string out = Exchange(server_->port(), req, "HTTP/1.1 200", 2);
  EXPECT_NE(out.find("x=(a);y=b c;"), std::string::npos) << out;
  EXPECT_NE(out.find("POST /echo  hello"), std::string::npos) << out;
}

TEST_F(HttpServerTest, UnknownPathIsJson404) {
  std::string out =
      Exchange(server_->port(), "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 404"), std::string::npos);
  EXPECT_NE(out.find("{\"error\":{\"code\":\"NOT_FOUND\""), std::string::npos) << out;
}

TEST_F(HttpServerTest, AsyncAnswerFromAnotherThread) {
  std::string out =
      Exchange(server_->port(), "GET /later HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(out.find("{\"late\":true}"), std::string::npos) << out;
}

TEST_F(HttpServerTest, OversizedBodyIs413AndServerSurvives) {
  std::string body(5000, 'x');
  std::string out = Exchange(
      server_->port(), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + body);
  EXPECT_NE(out.find("HTTP/1.1 413"), std::string::npos) << out;
  EXPECT_NE(out.find("TOO_LARGE"), std::string::npos);
  std::string again =
      Exchange(server_->port(), "GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(again.find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  std::string out =
      Exchange(server_->port(),
               "GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 431"), std::string::npos) << out;
}

TEST_F(HttpServerTest, GarbageIs400) {
  std::string out = Exchange(server_->port(), "\x01\x02garbage\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out;
  EXPECT_NE(out.find("BAD_HTTP"), std::string::npos);
  std::string bad_escape =
      Exchange(server_->port(), "GET /echo%zz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(bad_escape.find("BAD_TARGET"), std::string::npos) << bad_escape;
}

TEST(HttpServer, BindFailureIsAStatus) {
  HttpServerOptions opt;
  auto first = HttpServer::Start(opt, [](const HttpRequest&, Responder r) { r({}); });
  ASSERT_TRUE(first.ok());
  opt.port = (*first)->port();
  auto second = HttpServer::Start(opt, [](const HttpRequest&, Responder r) { r({}); });
  EXPECT_EQ(second.status().code(), "BIND_FAILED");
  opt.host = "not-an-ip";
  EXPECT_EQ(HttpServer::Start(opt, [](const HttpRequest&, Responder r) { r({}); }).status().code(),
            "BIND_FAILED");
}

}  // namespace
}  // namespace traceledger::api
