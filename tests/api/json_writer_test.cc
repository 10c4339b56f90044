// JsonWriter prints what nlohmann::json::dump() prints for the same values
// (the trace answer switched from one to the other byte for byte), and never
// prints invalid JSON.
#include "api/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "api/header_json.h"

namespace traceledger::api {
namespace {

using OJson = nlohmann::ordered_json;

// Writes `v` with the writer, walking nlohmann's tree.
void Write(JsonWriter& w, const OJson& v) {
  switch (v.type()) {
    case OJson::value_t::object:
      w.BeginObject();
      for (auto it = v.begin(); it != v.end(); ++it) {
        w.Key(it.key());
        Write(w, it.value());
      }
      w.EndObject();
      break;
    case OJson::value_t::array:
      w.BeginArray();
      for (const auto& e : v) Write(w, e);
      w.EndArray();
      break;
    case OJson::value_t::string:
      w.String(v.get<std::string>());
      break;
    case OJson::value_t::boolean:
      w.Bool(v.get<bool>());
      break;
    case OJson::value_t::number_integer:
      w.Int(v.get<int64_t>());
      break;
    case OJson::value_t::number_unsigned:
      w.Uint(v.get<uint64_t>());
      break;
    case OJson::value_t::number_float:
      w.Double(v.get<double>());
      break;
    default:
      w.Null();
  }
}

std::string Written(const OJson& v) {
  std::string out;
  JsonWriter w(&out);
  Write(w, v);
  EXPECT_TRUE(w.Complete());
  return out;
}

TEST(JsonWriter, NestedDocumentMatchesDump) {
  OJson doc = OJson::parse(R"({"a":1,"b":[true,false,null,-7,18446744073709551615],
      "c":{"d":"x","e":[],"f":{}},"g":[[1,[2,[3]]]],"h":-9223372036854775808,
      "名字":"浙冷链","empty":""})");
  EXPECT_EQ(Written(doc), doc.dump());
}

TEST(JsonWriter, EveryControlCharacterAndEscapeMatchesDump) {
  std::string s;
  for (int c = 0; c < 0x80; ++c) s.push_back(static_cast<char>(c));
  s += "\"\\/ é 冷链 \xF0\x9F\x92\x89";  // quote, backslash, slash, 2/3/4-byte UTF-8
  OJson v = s;
  EXPECT_EQ(Written(v), v.dump());
  EXPECT_EQ(Written(OJson{{s, s}}), OJson({{s, s}}).dump());  // keys are escaped too
}

TEST(JsonWriter, DoublesMatchDumpAndReadBack) {
  for (double d : {0.0,
                   -0.0,
                   1.0,
                   -18.5,
                   2.0,
                   8.0,
                   4.25,
                   0.1,
                   1e-5,
                   123456.789,
                   1e15,
                   1e16,
                   1e21,
                   -273.15,
                   3.141592653589793,
                   5e-324,
                   1.7976931348623157e308,
                   1e5,
                   1e14,
                   123456789012345.0,
                   1234567890123456.0,
                   0.001,
                   0.0001,
                   0.00012345,
                   1e-4,
                   1e-3,
                   -1e100,
                   2.5e-8,
                   100.0,
                   1e2,
                   65536.0,
                   1.5e300}) {
    EXPECT_EQ(Written(OJson(d)), OJson(d).dump()) << d;
  }
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> temps(-80.0, 80.0);
  for (int i = 0; i < 2000; ++i) {
    double d = std::round(temps(rng) * 100) / 100;  // readings have a few decimals
    std::string text = Written(OJson(d));
    EXPECT_EQ(text, OJson(d).dump()) << d;
    EXPECT_EQ(OJson::parse(text).get<double>(), d);
  }
  // Every finite bit pattern, numbers of every magnitude around the layout
  // switches, and readings with 1 to 16 significant digits print exactly as
  // dump() prints them (Grisu2 is not always the shortest: -3.96492 prints as
  // -3.9649200000000002 in both).
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    std::string text = Written(OJson(d));
    EXPECT_EQ(text, OJson(d).dump()) << bits;
    EXPECT_EQ(OJson::parse(text).get<double>(), d) << bits;
  }
  for (int i = 0; i < 20000; ++i) {
    double d = std::ldexp(static_cast<double>(rng() % 1000000), static_cast<int>(rng() % 120) - 60);
    EXPECT_EQ(Written(OJson(d)), OJson(d).dump()) << d;
  }
  for (int digits = 1; digits <= 16; ++digits) {
    for (int i = 0; i < 500; ++i) {
      double d = std::strtod((std::to_string(static_cast<int64_t>(rng() % 200) - 100) + "." +
                              std::to_string(rng() % static_cast<uint64_t>(std::pow(10, digits))))
                                 .c_str(),
                             nullptr);
      EXPECT_EQ(Written(OJson(d)), OJson(d).dump()) << d;
    }
  }
  EXPECT_EQ(Written(OJson(-3.96492)), "-3.9649200000000002");
}

TEST(JsonWriter, NonFiniteDoublesAreNull) {
  for (double d :
       {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN()}) {
    std::string out;
    JsonWriter w(&out);
    w.Double(d);
    EXPECT_EQ(out, "null");
    EXPECT_EQ(OJson(d).dump(), "null");
  }
}

TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacter) {
  struct Case {
    std::string in, want;
  };
  const std::string fffd = "\xEF\xBF\xBD";
  for (const Case& c : std::vector<Case>{
           {"a\xFFz", "a" + fffd + "z"},
           {"\xC0\xAF", fffd + fffd},                        // overlong '/'
           {"\xED\xA0\x80", fffd + fffd + fffd},             // a surrogate
           {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // > U+10FFFF
           {"\xE6\xB5", fffd + fffd},                        // truncated 3-byte sequence
           {"ok\xE6\xB5\x99", "ok\xE6\xB5\x99"},             // 浙, whole
       }) {
    std::string out;
    AppendJsonString(c.in, &out);
    EXPECT_EQ(out, "\"" + c.want + "\"");
    OJson parsed = OJson::parse(out);  // always valid JSON
    EXPECT_EQ(parsed.get<std::string>(), c.want);
  }
}

TEST(JsonWriter, FieldHelpersAndHex) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("s", "x");
  w.Field("u", uint32_t{7});
  w.Field("i", int64_t{-3});
  w.Field("b", true);
  w.Field("d", 2.5);
  w.HexField("h", std::string("\x00\xAB\xFF", 3));
  w.NullField("n");
  w.Key("o");
  w.StringOrNull("");
  w.Key("r");
  w.Raw(R"({"raw":[1]})");
  w.EndObject();
  EXPECT_TRUE(w.Complete());
  EXPECT_EQ(out, R"({"s":"x","u":7,"i":-3,"b":true,"d":2.5,"h":"00abff","n":null,"o":null,)"
                 R"("r":{"raw":[1]}})");
}

TEST(JsonWriter, HeaderFieldsMatchHeaderJson) {
  pb::BlockHeader h;
  h.set_height(42);
  h.set_chain_id("zj-test");
  h.set_prev_hash(std::string(32, '\x01'));
  h.set_time(1767225600123);
  h.set_proposer("n2");
  h.set_raft_term(3);
  h.set_raft_index(99);
  h.set_tx_root(std::string(32, '\x02'));
  h.set_receipts_root(std::string(32, '\x03'));
  h.set_state_hash(std::string(32, '\x04'));
  h.set_tx_count(17);
  std::string hash(32, '\xEE');
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  WriteHeaderFields(w, h, hash);
  w.EndObject();
  EXPECT_EQ(out, HeaderJson<OJson>(h, hash).dump());
}

}  // namespace
}  // namespace traceledger::api
