// The node's API over a real HTTP server: HEAD on every GET route (the same
// status and headers as the GET, Content-Length the GET body's length, no
// body; POST-only routes still say which method to use), and consistent reads,
// whose answer is rendered on an I/O thread after the node's loop released it.
#include <gtest/gtest.h>

#include "raw_http.h"
#include "test_node.h"

namespace traceledger::api {
namespace {

using nlohmann::json;
using testing::Exchange;
using testing::RawResponse;
using testing::TakeResponse;
using testing::TestNode;

class HeadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<TestNode>("head");
    ASSERT_TRUE(node_->ok()) << node_->error();
    ASSERT_EQ(node_->VaccineJourney(), "");
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
  // One request on its own connection; `head` says whether it is a HEAD.
  RawResponse Send(const std::string& method, const std::string& target) {
    std::string raw =
        Exchange(server_->port(),
                 method + " " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    RawResponse r = TakeResponse(&raw, method != "HEAD");
    EXPECT_TRUE(r.ok) << method << " " << target << ": " << raw.substr(0, 300);
    EXPECT_EQ(raw, "") << method << " " << target << ": bytes after the answer";
    return r;
  }
  std::unique_ptr<TestNode> node_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HeadTest, EveryGetRouteAnswersHeadWithoutABody) {
  json block = json::parse(node_->Call("GET", "/v1/blocks/1").body);
  std::string tx = block["tx_ids"][0];
  std::string dose = "/v1/trace/%2801%2906901234567892%2821%29D0004";
  // Routes whose answer does not change between two requests.
  for (const std::string& t : {std::string("/"),
                               std::string("/t/X1"),
                               std::string("/assets/app.css"),
                               std::string("/assets/echarts.min.js"),
                               std::string("/favicon.ico"),
                               std::string("/openapi.json"),
                               std::string("/v1/status"),
                               std::string("/v1/blocks/latest"),
                               std::string("/v1/blocks/1"),
                               std::string("/v1/blocks/999"),
                               "/v1/transactions/" + tx,
                               std::string("/v1/transactions/zz"),
                               dose,
                               std::string("/01/06901234567892/21/D0001"),
                               std::string("/v1/trace/NO-SUCH"),
                               std::string("/v1/alerts"),
                               std::string("/v1/products/06901234567892"),
                               std::string("/v1/enterprises/X"),
                               std::string("/v1/recalls/RC-NONE"),
                               std::string("/no/such/page")}) {
    RawResponse get = Send("GET", t);
    RawResponse head = Send("HEAD", t);
    EXPECT_EQ(head.status, get.status) << t;
    EXPECT_GT(get.body.size(), 0u) << t;
    EXPECT_EQ(head.content_length, static_cast<long>(get.body.size())) << t;
    EXPECT_EQ(head.Header("content-type"), get.Header("content-type")) << t;
    EXPECT_EQ(head.Header("etag"), get.Header("etag")) << t;
    EXPECT_EQ(head.Header("cache-control"), get.Header("cache-control")) << t;
    EXPECT_EQ(head.body, "") << t;
  }
  // Routes that change with the clock or with every request: same status, a length.
  for (const char* t : {"/v1/cockpit", "/metrics"}) {
    RawResponse head = Send("HEAD", t);
    EXPECT_EQ(head.status, 200) << t;
    EXPECT_GT(head.content_length, 100) << t;
  }
  // HEAD is counted as HEAD in /metrics.
  EXPECT_NE(Send("GET", "/metrics").body.find("method=\"HEAD\""), std::string::npos);
  // POST-only: HEAD is not allowed there, and the answer says what is.
  RawResponse post_only = Send("HEAD", "/v1/transactions");
  EXPECT_EQ(post_only.status, 405);
  EXPECT_EQ(post_only.Header("allow"), "POST");
  // A conditional HEAD revalidates like a GET.
  RawResponse home = Send("HEAD", "/");
  ASSERT_FALSE(home.Header("etag").empty());
  std::string raw = Exchange(server_->port(),
                             "HEAD / HTTP/1.1\r\nHost: t\r\nIf-None-Match: " + home.Header("etag") +
                                 "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(TakeResponse(&raw, false).status, 304);
}

TEST_F(HeadTest, ConsistentReadsOverHttp) {
  json block = json::parse(node_->Call("GET", "/v1/blocks/1").body);
  std::string tx = block["tx_ids"][0];
  for (const std::string& t : {"/v1/transactions/" + tx, std::string("/v1/blocks/latest"),
                               std::string("/01/06901234567892/21/D0001")}) {
    RawResponse plain = Send("GET", t);
    RawResponse consistent = Send("GET", t + "?consistent=true");
    EXPECT_EQ(consistent.status, plain.status) << t;
    EXPECT_EQ(consistent.body, plain.body) << t;
    RawResponse head = Send("HEAD", t + "?consistent=true");
    EXPECT_EQ(head.content_length, static_cast<long>(plain.body.size())) << t;
  }
  EXPECT_EQ(Send("GET", "/v1/trace/X?consistent=1").status, 400);
}

}  // namespace
}  // namespace traceledger::api
