#include "api/http_server.h"

#include <gtest/gtest.h>

#include <thread>

#include "raw_http.h"

namespace traceledger::api {
namespace {

using testing::Exchange;
using testing::TakeResponse;

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

TEST_F(HttpServerTest, HeadIsTheGetAnswerWithoutItsBody) {
  std::string get =
      Exchange(server_->port(), "GET /echo?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto g = TakeResponse(&get);
  ASSERT_TRUE(g.ok) << get;
  EXPECT_EQ(g.body, "GET /echo x=1; ") << "the handler sees a HEAD as a GET";
  // A HEAD, then a GET on the same connection: the HEAD answer carries the
  // GET's Content-Length and no body bytes, so the next answer parses.
  std::string raw = Exchange(server_->port(),
                             "HEAD /echo?x=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                             "GET /echo?y=2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto h = TakeResponse(&raw, /*body_follows=*/false);
  ASSERT_TRUE(h.ok) << raw;
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.content_length, static_cast<long>(g.body.size()));
  EXPECT_EQ(h.Header("content-type"), "text/plain");
  auto next = TakeResponse(&raw);
  ASSERT_TRUE(next.ok) << raw;
  EXPECT_EQ(next.body, "GET /echo y=2; ");
  EXPECT_EQ(raw, "") << "nothing after the second answer";
  // Errors too: a 404 with its length, without its body.
  std::string nope =
      Exchange(server_->port(), "HEAD /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  auto n = TakeResponse(&nope, false);
  ASSERT_TRUE(n.ok) << nope;
  EXPECT_EQ(n.status, 404);
  EXPECT_GT(n.content_length, 20);
  EXPECT_EQ(nope, "") << "no body after a HEAD answer";
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
