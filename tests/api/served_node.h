// A dev node with its API behind a real HTTP server on loopback, and helpers
// to send it raw bytes: for the tests of the HTTP boundary (issue 13).
#ifndef TRACELEDGER_TESTS_API_SERVED_NODE_H_
#define TRACELEDGER_TESTS_API_SERVED_NODE_H_

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/http_server.h"
#include "ledger/utf8.h"
#include "raw_http.h"
#include "test_node.h"

namespace traceledger::api::testing {

// One raw request on its own connection; the first answer.
inline RawResponse Raw(uint16_t port, const std::string& request) {
  std::string raw = Exchange(port, request);
  RawResponse r = TakeResponse(&raw);
  return r;
}

inline std::string Get(const std::string& target, const std::string& headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + headers + "Connection: close\r\n\r\n";
}

// A JSON error answer with `status` and `code`, whose body is valid UTF-8 and
// does not contain `absent` (the raw bytes that were sent).
inline void ExpectError(const RawResponse& r, int status, const std::string& code,
                        const std::string& what, const std::string& absent = "\xff") {
  ASSERT_TRUE(r.ok) << what << ": no answer";
  EXPECT_EQ(r.status, status) << what << ": " << r.body;
  EXPECT_TRUE(IsValidUtf8(r.body)) << what;
  EXPECT_EQ(r.body.find(absent), std::string::npos) << what << ": the bytes were echoed";
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << what << ": " << r.body;
  EXPECT_EQ(j["error"]["code"], code) << what << ": " << r.body;
}

class ServedNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<TestNode>("served");
    ASSERT_TRUE(node_->ok()) << node_->error();
    auto s = HttpServer::Start(HttpServerOptions{}, [this](const HttpRequest& req, Responder r) {
      node_->service()->Handle(req, std::move(r));
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }
  void TearDown() override {
    server_.reset();
    node_.reset();
  }
  uint16_t port() const { return server_->port(); }
  // The node still answers.
  void ExpectAlive(const std::string& after) {
    RawResponse r = Raw(port(), Get("/v1/status"));
    ASSERT_TRUE(r.ok) << "the node stopped answering after " << after;
    EXPECT_EQ(r.status, 200) << after;
  }
  std::unique_ptr<TestNode> node_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace traceledger::api::testing

#endif  // TRACELEDGER_TESTS_API_SERVED_NODE_H_
