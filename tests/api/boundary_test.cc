// The HTTP boundary of a node (issue 13): text that is not UTF-8 is refused
// at the door and never echoed (GET /%ff aborted tracenode), and no exception
// leaves a request handler.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "served_node.h"

namespace traceledger::api {
namespace {

using nlohmann::json;
using testing::ExpectError;
using testing::Get;
using testing::Raw;
using testing::RawResponse;
using testing::ServedNodeTest;
using testing::TestNode;

using testing::Exchange;
using testing::TakeResponse;

class Utf8DoorTest : public ServedNodeTest {};

// GET /%ff aborted tracenode: "no such endpoint: \xff" went into
// nlohmann::json::dump(), which threw type_error 316, and nothing caught it.
TEST_F(Utf8DoorTest, TextThatIsNotUtf8IsRefusedAtTheDoorAndNeverEchoed) {
  struct Case {
    std::string what, request, where;
  };
  const std::vector<Case> cases = {
      {"GET /%ff", Get("/%ff"), "the request path is not valid UTF-8 at byte 1"},
      {"a raw 0xff in the path", Get("/v1/\xff"),
       "the request target is not valid UTF-8 at byte 4"},
      {"a decoded 0xff in a trace code", Get("/v1/trace/AB%ff"), "the request path"},
      {"an overlong '/' in the path", Get("/v1/%c0%af"), "the request path"},
      {"a surrogate in the path", Get("/v1/%ed%a0%80"), "the request path"},
      {"a query name", Get("/v1/alerts?%ff=1"), "the name of query parameter 1"},
      {"the second query name", Get("/v1/alerts?type=recall&ab%fe=1"),
       "the name of query parameter 2 is not valid UTF-8 at byte 2"},
      {"a raw query name", Get("/v1/status?\xff=1"), "the request target"},
      {"a query value", Get("/v1/alerts?type=%ff"), "the value of query parameter 1 (\"type\")"},
      {"a truncated sequence in a value", Get("/v1/recalls?status=%e4%b8"), "query parameter 1"},
      {"a header value", Get("/v1/status", "X-Note: caf\xe9\r\n"),
       "the value of the header \"x-note\" is not valid UTF-8 at byte 3"},
      {"a Digital Link", Get("/01/06901234567892/21/%ff"), "the request path"},
  };
  for (const auto& c : cases) {
    RawResponse r = Raw(port(), c.request);
    ASSERT_TRUE(r.ok) << c.what << ": no answer (did the node stop?)";
    if (r.status == 400 && r.body.find("BAD_HTTP") != std::string::npos) {
      // Beast itself refuses some raw bytes in a request line: also fine.
      ExpectError(r, 400, "BAD_HTTP", c.what);
    } else {
      ExpectError(r, 400, "INVALID_UTF8", c.what);
      std::string message = json::parse(r.body)["error"]["message"];
      EXPECT_NE(message.find(c.where), std::string::npos) << c.what << ": " << message;
    }
    ExpectAlive(c.what);
  }
}

// An envelope whose payload holds bytes that are not UTF-8: the parser's
// message quoted them. The answer is a clean 400 and the node serves on.
TEST_F(Utf8DoorTest, AnEnvelopeWithBytesThatAreNotUtf8IsA400) {
  std::string signer(66, 'a'), sig(128, 'b');
  signer.replace(0, 2, "02");
  for (const std::string& payload :
       {std::string("{\"chain_id\":\"zj\xff\"}"), std::string("\xff\xfe"),
        std::string("{\"nonce\":\"\xc0\x80\"}"), std::string("caf\xe9")}) {
    std::string env = "{\"payload\":\"" + payload + "\",\"signer\":\"" + signer +
                      "\",\"signature\":\"" + sig + "\"}";
    for (const std::string& body : {env}) {
      RawResponse r =
          Raw(port(), "POST /v1/transactions HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
      ExpectError(r, 400, "ENVELOPE_MALFORMED_JSON", "payload " + SanitizeUtf8(payload));
      ExpectAlive("a payload with bytes that are not UTF-8");
    }
  }
}

// A handler that throws, or that loses its Responder, is answered 500
// INTERNAL with a log line, and the server goes on (the same connection too).
TEST(HttpServerExceptions, AThrowingHandlerIsA500AndTheServerServesOn) {
  std::mutex mu;
  std::vector<std::string> log;
  HttpServerOptions opt;
  opt.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> l(mu);
    log.push_back(line);
  };
  auto s = HttpServer::Start(opt, [](const HttpRequest& req, Responder respond) {
    if (req.path == "/throw") throw std::runtime_error("planted \xff failure");
    if (req.path == "/throw-int") throw 42;
    if (req.path == "/drop") return;  // never answers, keeps nothing
    if (req.path == "/post-throw") {  // a task on an I/O thread that throws
      req.post([respond] { throw std::logic_error("planted task failure"); });
      return;
    }
    if (req.path == "/thread-drop") {  // another thread drops it
      std::thread([respond] {}).detach();
      return;
    }
    HttpResponse ok;
    ok.body = "{\"ok\":true}";
    respond(ok);
    if (req.path == "/answer-then-throw") throw std::runtime_error("after the answer");
  });
  ASSERT_TRUE(s.ok());
  auto server = std::move(s).value();
  for (const char* path : {"/throw", "/throw-int", "/drop", "/post-throw", "/thread-drop"}) {
    // Two requests on one connection: the 500, then a normal answer.
    std::string raw =
        Exchange(server->port(), std::string("GET ") + path +
                                     " HTTP/1.1\r\nHost: t\r\n\r\nGET /fine HTTP/1.1\r\nHost: "
                                     "t\r\nConnection: close\r\n\r\n");
    RawResponse first = TakeResponse(&raw);
    ExpectError(first, 500, "INTERNAL", path);
    RawResponse second = TakeResponse(&raw);
    ASSERT_TRUE(second.ok) << path << ": the connection did not go on";
    EXPECT_EQ(second.status, 200) << path;
  }
  RawResponse late = Raw(server->port(), Get("/answer-then-throw"));
  EXPECT_EQ(late.status, 200) << "the answer given before the exception stands";
  std::lock_guard<std::mutex> l(mu);
  std::string all;
  for (const auto& line : log) all += line + "\n";
  EXPECT_TRUE(IsValidUtf8(all)) << "log lines are text";
  for (const char* expect :
       {"INTERNAL: a request handler threw while answering GET /throw: planted", "GET /throw-int",
        "ended without answering GET /drop", "an HTTP I/O task threw: planted task failure",
        "ended without answering GET /thread-drop", "after the answer"}) {
    EXPECT_NE(all.find(expect), std::string::npos) << expect << "\n" << all;
  }
}

}  // namespace
}  // namespace traceledger::api
