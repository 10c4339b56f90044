#include "api/batch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "bad_envelopes.h"
#include "ledger/envelope.h"
#include "ledger/time_util.h"
#include "served_node.h"

namespace traceledger::api {
namespace {

using nlohmann::json;

std::vector<std::string> Split(const std::string& body, Status* st, size_t max = 1000) {
  std::vector<std::string_view> v;
  *st = SplitBatch(body, max, &v);
  return std::vector<std::string>(v.begin(), v.end());
}

TEST(SplitBatch, ElementsAreTheirExactBytes) {
  Status st;
  auto v =
      Split(" {\"transactions\" : [ {\"b\":1,  \"a\":\"x]}\\\"\"} ,\n[1,2] ,\"s\",null]}\n", &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], "{\"b\":1,  \"a\":\"x]}\\\"\"}") << "not re-serialised: spacing and order kept";
  EXPECT_EQ(v[1], "[1,2]");
  EXPECT_EQ(v[2], "\"s\"");
  EXPECT_EQ(v[3], "null");
  // Elements the envelope parser will refuse are still delimited: a member
  // twice, bytes that are not UTF-8, bad literals.
  v = Split("{\"transactions\":[{\"payload\":\"x\",\"payload\":\"y\"},\"\xff\",tru]}", &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], "{\"payload\":\"x\",\"payload\":\"y\"}");
  EXPECT_EQ(v[1], "\"\xff\"");
  EXPECT_EQ(v[2], "tru");
  // The member name may be written with escapes.
  v = Split("{\"transaction\\u0073\":[1]}", &st);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST(SplitBatch, TheWrapperIsStrict) {
  for (const char* body : {"",
                           "[]",
                           "{}",
                           "{\"transactions\":[]}",
                           "{\"transactions\":{}}",
                           "{\"transactions\":1}",
                           "{\"transactions\":[1],\"transactions\":[2]}",
                           "{\"transactions\":[1],\"x\":1}",
                           "{\"x\":1,\"transactions\":[1]}",
                           "{\"transactions\":[1]}x",
                           "{\"transactions\":[1]",
                           "{\"transactions\":[1,]}",
                           "{\"transactions\":[,1]}",
                           "{\"transactions\":[\"abc]}",
                           "{\"transactions\":[1}]}",
                           "{\"transactions\":[[1]}",
                           "{\"transactions\" [1]}",
                           "{transactions:[1]}",
                           "{\"transactions\":[1]}}",
                           "{\"transactions\xff\":[1]}",
                           "{\"transactions\\\":[1]}"}) {
    Status st;
    Split(body, &st);
    EXPECT_EQ(st.code(), "BAD_REQUEST") << "[" << body << "]";
    EXPECT_NE(st.message().find("at byte"), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find('\xff'), std::string::npos) << "never quotes the body";
  }
}

TEST(SplitBatch, CountsEnvelopes) {
  std::string body = "{\"transactions\":[";
  for (int i = 0; i < 1001; ++i) body += (i ? ",{}" : "{}");
  body += "]}";
  Status st;
  Split(body, &st);
  EXPECT_EQ(st.code(), "BATCH_TOO_LARGE");
  EXPECT_NE(st.message().find("got 1001"), std::string::npos) << st.message();
  EXPECT_EQ(Split(body, &st, 1001).size(), 1001u);
  EXPECT_TRUE(st.ok());
}

// The SIGSEGV of issue 13: a batch element nested 80,000 deep. Delimiting it
// takes one pass and no stack.
TEST(SplitBatch, ANestingBombIsOneElement) {
  for (const std::string& open : {std::string("["), std::string("{\"a\":")}) {
    std::string bomb;
    for (int i = 0; i < 200000; ++i) bomb += open;
    bomb += "1";
    bomb += std::string(200000, open == "[" ? ']' : '}');
    Status st;
    auto start = std::chrono::steady_clock::now();
    auto v = Split("{\"transactions\":[" + bomb + "," + bomb + "]}", &st);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[1], bomb);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  }
}

// Against nlohmann's parser: for random well-formed batches with random
// spacing, every element is exactly the text of the corresponding value.
TEST(SplitBatch, AgreesWithAFullParseOnRandomBatches) {
  std::mt19937 rng(13);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::function<json(int)> value = [&](int depth) -> json {
    switch (pick(depth > 4 ? 5 : 7)) {
      case 0:
        return nullptr;
      case 1:
        return pick(2) == 0;
      case 2:
        return pick(1000) - 500;
      case 3:
        return 1.5 * pick(100);
      case 4: {
        std::string s;
        const char* parts[] = {"a", "\"", "\\", "]", "}", ",", "[", "{", "\xe4\xb8\x80", "\n"};
        for (int i = pick(8); i > 0; --i) s += parts[pick(10)];
        return s;
      }
      case 5: {
        json a = json::array();
        for (int i = pick(4); i > 0; --i) a.push_back(value(depth + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (int i = pick(4); i > 0; --i) o["k" + std::to_string(pick(9)) + "]"] = value(depth + 1);
        return o;
      }
    }
  };
  const char* spaces[] = {"", " ", "\n", "\t ", "\r\n"};
  for (int round = 0; round < 3000; ++round) {
    json elements = json::array();
    std::string body = std::string(spaces[pick(5)]) + "{" + spaces[pick(5)] + "\"transactions\"" +
                       spaces[pick(5)] + ":" + spaces[pick(5)] + "[";
    int n = 1 + pick(5);
    for (int i = 0; i < n; ++i) {
      json e = value(0);
      elements.push_back(e);
      body +=
          std::string(i ? "," : "") + spaces[pick(5)] + e.dump(pick(2) ? -1 : 1) + spaces[pick(5)];
    }
    body += std::string("]") + spaces[pick(5)] + "}" + spaces[pick(5)];
    ASSERT_FALSE(json::parse(body, nullptr, false).is_discarded()) << body;
    Status st;
    auto v = Split(body, &st);
    ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << body;
    ASSERT_EQ(v.size(), elements.size()) << body;
    for (int i = 0; i < n; ++i) EXPECT_EQ(json::parse(v[i]), elements[i]) << body;
  }
}

using testing::ExpectError;
using testing::Raw;
using testing::RawResponse;

class BatchHttpTest : public testing::ServedNodeTest {};

// Every envelope error code of docs/envelopes.md is the same alone and inside
// a batch: batch envelopes reach the strict parser as their exact bytes. (A
// batch was parsed with nlohmann/json and each element re-serialised, so an
// envelope with a member twice was accepted there, and one nested 80,000
// levels crashed the node.)
TEST_F(BatchHttpTest, EveryEnvelopeErrorIsTheSameAloneAndInABatch) {
  const Genesis& g = node_->node()->genesis();
  auto cases = traceledger::testing::BadEnvelopes(node_->regulator(), g.chain_id, g.hash_alg);
  std::set<std::string> codes, batched_codes;
  for (const auto& c : cases) {
    // The table says what the parser says.
    auto env = ParseEnvelope(c.text, g.hash_alg);
    Status direct = env.ok() ? CheckChainId(*env, g.chain_id) : env.status();
    EXPECT_EQ(direct.code(), c.code) << c.what << ": " << direct.ToString();
    codes.insert(c.code);

    HttpResponse alone = node_->Call("POST", "/v1/transactions", c.text);
    json a = json::parse(alone.body, nullptr, false);
    ASSERT_TRUE(a.is_object()) << c.what << ": " << alone.body.substr(0, 200);
    EXPECT_EQ(a["error"]["code"], c.code) << c.what;
    EXPECT_EQ(alone.status, HttpStatusForCode(c.code)) << c.what;

    // Alone in a batch, and between two others.
    for (const std::string& body :
         {"{\"transactions\":[" + c.text + "]}", "{\"transactions\":[{}, " + c.text + "\n,[]]}"}) {
      HttpResponse batch = node_->Call("POST", "/v1/transactions", body);
      json b = json::parse(batch.body, nullptr, false);
      ASSERT_TRUE(b.is_object()) << c.what << ": " << batch.body.substr(0, 200);
      if (c.what.rfind("cut", 0) == 0) {  // not a complete value: the batch is malformed
        EXPECT_EQ(batch.status, 400) << c.what;
        EXPECT_EQ(b["error"]["code"], "BAD_REQUEST") << c.what;
        continue;
      }
      ASSERT_EQ(batch.status, 200) << c.what << ": " << batch.body.substr(0, 300);
      const json& results = b["results"];
      ASSERT_TRUE(results.is_array()) << c.what;
      const json& r = results[results.size() == 1 ? 0 : 1];
      EXPECT_EQ(r["status"], "error") << c.what;
      EXPECT_EQ(r["error"]["code"], c.code) << c.what << ": " << r.dump().substr(0, 300);
      batched_codes.insert(c.code);
      if (results.size() == 3) {
        EXPECT_EQ(results[0]["error"]["code"], "ENVELOPE_MISSING_FIELD");
        EXPECT_EQ(results[2]["error"]["code"], "ENVELOPE_NOT_OBJECT");
      }
    }
  }
  // Every code of docs/envelopes.md, each seen inside a batch.
  for (const char* code : {"ENVELOPE_TOO_LARGE",
                           "ENVELOPE_MALFORMED_JSON",
                           "ENVELOPE_NOT_OBJECT",
                           "ENVELOPE_DUPLICATE_KEY",
                           "ENVELOPE_TOO_DEEP",
                           "ENVELOPE_MISSING_FIELD",
                           "ENVELOPE_UNKNOWN_FIELD",
                           "ENVELOPE_FIELD_TYPE",
                           "SIGNER_ENCODING",
                           "SIGNER_INVALID",
                           "SIGNATURE_ENCODING",
                           "SIGNATURE_MALFORMED",
                           "SIGNATURE_HIGH_S",
                           "SIGNATURE_INVALID",
                           "PAYLOAD_TOO_LARGE",
                           "PAYLOAD_MALFORMED_JSON",
                           "PAYLOAD_NOT_OBJECT",
                           "PAYLOAD_DUPLICATE_KEY",
                           "PAYLOAD_TOO_DEEP",
                           "PAYLOAD_MISSING_FIELD",
                           "PAYLOAD_UNKNOWN_FIELD",
                           "CHAIN_ID_INVALID",
                           "TYPE_INVALID",
                           "NONCE_INVALID",
                           "TIME_INVALID",
                           "BODY_NOT_OBJECT",
                           "WRONG_CHAIN"}) {
    EXPECT_TRUE(batched_codes.count(code)) << code << " is not tried in a batch";
  }
  EXPECT_EQ(codes, batched_codes);
  ExpectAlive("every bad envelope");
}

// The two batch findings of issue 13 over a real socket: the node answers
// and serves on, and the envelope with a member twice is refused as it is alone.
TEST_F(BatchHttpTest, BatchFindingsOverHttp) {
  auto post = [&](const std::string& body) {
    return Raw(port(), "POST /v1/transactions HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  };
  std::string deep = "{\"transactions\":[" + std::string(80000, '[') + std::string(80000, ']') +
                     "]}";  // ~160 KB: crashed the node (SIGSEGV)
  RawResponse r = post(deep);
  ASSERT_TRUE(r.ok) << "no answer: did the node crash?";
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["results"][0]["error"]["code"], "ENVELOPE_TOO_LARGE") << r.body;
  std::string deep_small = "{\"transactions\":[" + std::string(40000, '{') + "]}";
  r = post(deep_small);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 400) << "a batch cut short is malformed as a whole";
  ExpectAlive("a nesting bomb in a batch");

  // {"payload":"x","payload":"<signed>",...} was accepted in a batch.
  const Genesis& g = node_->node()->genesis();
  json payload = {{"chain_id", g.chain_id},
                  {"type", "registry.enroll"},
                  {"nonce", "dup-member"},
                  {"time", FormatRfc3339Millis(testing::NowMs())},
                  {"body", {{"uscc", testing::MakeUscc(7)}}}};
  json env = json::parse(*SignEnvelope(node_->regulator().private_key, payload.dump(), g.hash_alg));
  std::string twice = "{\"payload\":\"x\",\"payload\":" + env["payload"].dump() +
                      ",\"signer\":" + env["signer"].dump() +
                      ",\"signature\":" + env["signature"].dump() + "}";
  r = post(twice);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "ENVELOPE_DUPLICATE_KEY") << r.body;
  r = post("{\"transactions\":[" + twice + "]}");
  ASSERT_EQ(r.status, 200) << r.body;
  json res = json::parse(r.body)["results"][0];
  EXPECT_EQ(res["status"], "error") << res.dump();
  EXPECT_EQ(res["error"]["code"], "ENVELOPE_DUPLICATE_KEY") << res.dump();
}

}  // namespace
}  // namespace traceledger::api
