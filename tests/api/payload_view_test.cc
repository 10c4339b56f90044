// ReadPayload (one SAX pass) gives what the trace answer used to compute from
// an nlohmann::ordered_json tree of the payload: checked on hand-picked
// payloads and on random ones built from the member names that matter.
#include "api/payload_view.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace traceledger::api {
namespace {

using OJson = nlohmann::ordered_json;

// The tree-based reading (the answer's code before ReadPayload).
PayloadView FromTree(const std::string& text) {
  PayloadView v;
  OJson p = OJson::parse(text, nullptr, false);
  if (!p.is_object()) return v;
  auto str = [](const OJson& o, const char* name) -> std::string {
    if (!o.is_object()) return "";
    auto it = o.find(name);
    return it != o.end() && it->is_string() ? it->get<std::string>() : "";
  };
  v.type = str(p, "type");
  v.time = str(p, "time");
  OJson body = p.contains("body") ? p["body"] : OJson::object();
  v.body_json = body.dump();
  v.body_is_object = body.is_object();
  if (body.is_object()) {
    if (body.contains("location") && body["location"].is_string()) {
      v.has_location = true;
      v.location = body["location"];
    }
    v.to = str(body, "to");
    v.carrier = str(body, "carrier");
    v.device = str(body, "device");
    if (body.contains("readings") && body["readings"].is_array()) {
      v.has_readings = true;
      for (const auto& r : body["readings"]) {
        if (!r.is_object() || !r.contains("celsius") || !r["celsius"].is_number()) continue;
        v.readings.push_back({str(r, "time"), r["celsius"].get<double>()});
      }
    }
  }
  return v;
}

void ExpectSame(const std::string& text) {
  SCOPED_TRACE(text);
  PayloadView want = FromTree(text), got = ReadPayload(text);
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.body_json, want.body_json);
  EXPECT_EQ(got.body_is_object, want.body_is_object);
  EXPECT_EQ(got.has_location, want.has_location);
  EXPECT_EQ(got.location, want.location);
  EXPECT_EQ(got.to, want.to);
  EXPECT_EQ(got.carrier, want.carrier);
  EXPECT_EQ(got.device, want.device);
  EXPECT_EQ(got.has_readings, want.has_readings);
  ASSERT_EQ(got.readings.size(), want.readings.size());
  for (size_t i = 0; i < got.readings.size(); ++i) {
    EXPECT_EQ(got.readings[i].time, want.readings[i].time);
    EXPECT_EQ(got.readings[i].celsius, want.readings[i].celsius);
  }
}

TEST(PayloadView, TypicalPayloads) {
  ExpectSame(R"({"type":"trace.reading","time":"2026-05-01T08:00:00Z","nonce":"n1",
      "body":{"code":"(01)06909487100019(21)D0001","device":"T-9","location":"杭州",
      "readings":[{"time":"2026-05-01T07:00:00Z","celsius":4.5},
                  {"time":"2026-05-01T07:30:00Z","celsius":9},
                  {"time":"2026-05-01T07:45:00Z","celsius":-2.25}]}})");
  ExpectSame(R"({"body":{"codes":["a","b"],"to":"91330100MA27XXXX1X","carrier":"C1",
      "vehicle":"浙A12345","location":"Ningbo \"port\" \\ \/ \n\u00e9\ud83d\udc89"},
      "type":"trace.ship","time":"2026-05-01T08:00:00Z"})");
  ExpectSame(R"({"type":"trace.receive","time":"t"})");  // no body: {}
  ExpectSame("  {\n \"type\" : \"x\" ,\t\"body\" : { } }  ");
}

TEST(PayloadView, OddShapesReadLikeTheTree) {
  for (const char* text : {
           R"({"type":7,"time":null,"body":"just text"})",
           R"({"type":"t","body":[1,{"location":"no"}]})",
           R"({"type":"t","body":12.5})",
           R"({"type":"t","body":null})",
           R"({"type":"t","body":{"location":5,"to":["x"],"device":{"id":"d"}}})",
           R"({"type":"t","body":{"readings":{"celsius":4}}})",
           R"({"type":"t","body":{"readings":[4,"x",null,[{"celsius":1}],{"celsius":"5"},
               {"time":3,"celsius":2},{"celsius":1e2},{"celsius":-0.0},{"celsius":18446744073709551615},
               {"celsius":-9223372036854775808},{"nested":{"celsius":99}}]}})",
           R"({"type":"t","body":{"x":{"readings":[{"celsius":1}],"location":"deep"}}})",
           R"({"x":{"body":{"location":"not the body"}},"type":"t"})",
           R"({"type":"t","body":{"readings":[]}})",
           R"({"type":"t","body":{"big":123456789012345678901234567890,"small":1e-300,"e":1E5}})",
       }) {
    ExpectSame(text);
  }
}

TEST(PayloadView, NotAnObjectReadsAsEmpty) {
  for (const char* text : {"[]", "\"body\"", "42", "null", "", "{", R"({"body":{}} trailing)",
                           R"({"body":{"a":1})", "{\"type\":\"\xFF\"}",
                           R"({"type":"t","body":{"a":1},"body":{"b":2}})"}) {  // never accepted
    SCOPED_TRACE(text);
    PayloadView v = ReadPayload(text);
    EXPECT_EQ(v.body_json, "{}");
    EXPECT_TRUE(v.body_is_object);
    EXPECT_EQ(v.type, "");
    EXPECT_FALSE(v.has_readings);
  }
}

TEST(PayloadView, NestingBeyondTheLimitReadsAsEmpty) {
  std::string deep = R"({"type":"t","body":)";
  for (size_t i = 0; i < kMaxPayloadDepth; ++i) deep += "[";
  for (size_t i = 0; i < kMaxPayloadDepth; ++i) deep += "]";
  deep += "}";
  EXPECT_EQ(ReadPayload(deep).body_json, "{}");
  EXPECT_EQ(ReadPayload(deep).type, "");
}

// Random payloads over the member names ReadPayload looks for, distinct
// names per object (accepted payloads never repeat a name).
OJson RandomValue(std::mt19937_64& rng, int depth) {
  static const char* kNames[] = {"type",   "time",     "body",    "location", "to", "carrier",
                                 "device", "readings", "celsius", "code",     "x"};
  static const char* kStrings[] = {"",     "a",         "trace.ship",          "trace.reading",
                                   "杭州", "q\"\\\n\t", "2026-05-01T08:00:00Z"};
  int kind = static_cast<int>(rng() % (depth >= 4 ? 5 : 7));
  switch (kind) {
    case 0:
      return nullptr;
    case 1:
      return static_cast<int64_t>(rng() % 200) - 100;
    case 2:
      return static_cast<double>(static_cast<int64_t>(rng() % 20000) - 10000) / 100.0;
    case 3:
      return kStrings[rng() % std::size(kStrings)];
    case 4:
      return (rng() & 1) == 0;
    case 5: {
      OJson a = OJson::array();
      for (int i = static_cast<int>(rng() % 4); i > 0; --i)
        a.push_back(RandomValue(rng, depth + 1));
      return a;
    }
    default: {
      OJson o = OJson::object();
      for (int i = static_cast<int>(rng() % 5); i > 0; --i) {
        const char* name = kNames[rng() % std::size(kNames)];
        if (!o.contains(name)) o[name] = RandomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

TEST(PayloadView, RandomPayloadsReadLikeTheTree) {
  std::mt19937_64 rng(20261130);
  for (int i = 0; i < 3000; ++i) {
    OJson p = OJson::object();
    p["type"] = (rng() & 1) ? OJson("trace.reading") : RandomValue(rng, 1);
    if (rng() % 4) p["body"] = RandomValue(rng, 1);
    if (rng() % 3 == 0) {  // a body shaped like a reading, with random readings
      OJson rs = OJson::array();
      for (int k = static_cast<int>(rng() % 5); k > 0; --k) {
        OJson r = RandomValue(rng, 3);
        if (r.is_object() && (rng() & 1)) r["celsius"] = RandomValue(rng, 4);
        rs.push_back(r);
      }
      p["body"] = {{"device", RandomValue(rng, 2)}, {"readings", rs}};
    }
    ExpectSame(p.dump(rng() % 3 == 0 ? 2 : -1));
  }
}

TEST(PayloadViewTest, BodyStringReadsOneStringMember) {
  PayloadView v =
      ReadPayload(R"({"type":"recall.issue","body":{"recall_id":"RC-1","level":1,"lots":["A"]}})");
  EXPECT_EQ(BodyString(v.body_json, "recall_id"), "RC-1");
  EXPECT_EQ(BodyString(v.body_json, "level"), "");    // not a string
  EXPECT_EQ(BodyString(v.body_json, "missing"), "");  // absent
  EXPECT_EQ(BodyString("[1,2]", "recall_id"), "");    // not an object
  EXPECT_EQ(BodyString("{not json", "recall_id"), "");
  EXPECT_EQ(BodyFirstOf(v.body_json, "lots"), "A");
  EXPECT_EQ(BodyFirstOf(v.body_json, "recall_id"), "");  // not an array
  EXPECT_EQ(BodyFirstOf(R"({"lots":[]})", "lots"), "");
  EXPECT_EQ(BodyFirstOf(R"({"lots":[1]})", "lots"), "");
}

}  // namespace
}  // namespace traceledger::api
