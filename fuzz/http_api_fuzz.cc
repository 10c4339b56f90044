// Fuzz target: the HTTP API's request handler, in-process
// (api/service.h ApiService::Handle on a real dev node; docs/api.md).
//
// Setup, once: a dev node (tracenode --dev) in a temporary directory, with
// the API tests' demo histories (a vaccine journey with an excursion, imported
// shrimp with documents, a vegetable lot under recall: tests/api/test_node.h).
//
// Input: a request as text:
//   METHOD SP TARGET LF
//   (NAME: VALUE LF)*
//   LF
//   BODY
// The target is parsed as the HTTP server parses it (ParseTarget; HEAD
// becomes a GET without a body, as in api/http_server.cc); a method that is
// not an HTTP token is skipped (the server's parser refuses it). Waits are cut
// short so that one input cannot hold the fuzzer: a timeout_ms over 200
// becomes 200, and a wait or consistent read without one gets 200.
//
// Oracle: Handle answers exactly once within 20 s and nothing throws; the
// status is 100..599; a JSON answer is valid UTF-8 that the strict parser
// accepts, and an error answer (4xx, 5xx) is {"error":{"code","message"}};
// every text answer is valid UTF-8; no header name or value holds CR, LF or
// NUL (a response header must not be split).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "../tests/api/test_node.h"
#include "fuzz.h"
#include "ledger/json_parse.h"
#include "ledger/utf8.h"

namespace traceledger::fuzz {
namespace {

using api::HttpRequest;
using api::HttpResponse;

api::testing::TestNode& Node() {
  static api::testing::TestNode* node = [] {
    auto* n = new api::testing::TestNode("fuzz-http");
    FUZZ_CHECK(n->ok(), "the dev node did not start: " + n->error());
    std::string why = n->VaccineJourney() + n->MoreDemo();
    FUZZ_CHECK(why.empty(), "the demo histories failed: " + why);
    return n;
  }();
  return *node;
}

bool HeaderSafe(const std::string& s) {
  return s.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
}

struct Answer {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  HttpResponse r;
};

}  // namespace
}  // namespace traceledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  auto& node = Node();
  Input in(data, size);
  std::string_view line = in.Until('\n');
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return 0;
  HttpRequest req;
  req.method = std::string(line.substr(0, sp));
  // The server's HTTP parser (Beast) takes only a token (RFC 9110 §5.6.2) as
  // a method and answers anything else 400 BAD_HTTP itself.
  if (req.method.empty() || req.method.size() > 32 ||
      req.method.find_first_not_of("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz") != std::string::npos)
    return 0;
  std::string_view target = line.substr(sp + 1);
  if (!target.empty() && target.back() == '\r') target.remove_suffix(1);
  req.target = std::string(target);
  if (req.method == "HEAD") {
    req.method = "GET";
    req.head = true;
  }
  while (!in.empty()) {
    std::string_view h = in.Until('\n');
    if (!h.empty() && h.back() == '\r') h.remove_suffix(1);
    if (h.empty()) break;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(h.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view v = h.substr(colon + 1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    req.headers[name] = std::string(v);
  }
  req.body = std::string(in.Rest());
  req.remote = "192.0.2.1:40000";
  // The server answers 400 (BAD_TARGET, INVALID_UTF8) before the handler.
  if (!api::ParseTarget(req.target, &req).ok()) return 0;
  for (const auto& [k, v] : req.headers)
    if (!IsValidUtf8(k) || !IsValidUtf8(v)) return 0;
  if (auto t = req.query.find("timeout_ms"); t != req.query.end()) {
    const std::string& v = t->second;
    if (!v.empty() && v.size() <= 6 && v.find_first_not_of("0123456789") == std::string::npos &&
        std::stoi(v) > 200)
      t->second = "200";
  } else if (req.query.count("wait") || req.query.count("consistent")) {
    req.query["timeout_ms"] = "200";
  }

  auto answer = std::make_shared<Answer>();
  node.service()->Handle(req, [answer](HttpResponse r) {
    std::lock_guard<std::mutex> l(answer->mu);
    if (++answer->calls == 1) answer->r = std::move(r);
    answer->cv.notify_all();
  });
  std::unique_lock<std::mutex> l(answer->mu);
  FUZZ_CHECK(answer->cv.wait_for(l, std::chrono::seconds(20), [&] { return answer->calls > 0; }),
             "no answer within 20 s to " + req.method + " " + SanitizeUtf8(req.target));
  const HttpResponse& r = answer->r;
  std::string what = std::to_string(r.status) + " to " + req.method + " " +
                     SanitizeUtf8(req.target.substr(0, 200));
  FUZZ_CHECK(r.status >= 100 && r.status <= 599, "status " + what);
  FUZZ_CHECK(HeaderSafe(r.content_type), "Content-Type holds CR/LF/NUL: " + what);
  for (const auto& [k, v] : r.headers)
    FUZZ_CHECK(HeaderSafe(k) && HeaderSafe(v), "header " + k + " holds CR/LF/NUL: " + what);
  bool json = r.content_type.rfind("application/json", 0) == 0;
  bool text = json || r.content_type.rfind("text/", 0) == 0;
  if (text)
    FUZZ_CHECK(IsValidUtf8(r.body), "a text answer is not valid UTF-8: " + what + ": " +
                                        SanitizeUtf8(r.body.substr(0, 300)));
  if (json) {
    nlohmann::json doc;
    Status s = ParseJson(r.body, JsonLimits{size_t{256} << 20, 64}, "answer", "ANSWER", &doc);
    FUZZ_CHECK(s.ok(), "a JSON answer the strict parser refuses (" + s.ToString() + "): " + what);
    if (r.status >= 400) {
      FUZZ_CHECK(doc.is_object() && doc.contains("error") && doc["error"].is_object() &&
                     doc["error"].contains("code") && doc["error"]["code"].is_string() &&
                     doc["error"].contains("message") && doc["error"]["message"].is_string(),
                 "an error answer without {error:{code,message}}: " + what);
    }
  }
  return 0;
}
