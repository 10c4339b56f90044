#include "ledger/json_string.h"
#include "ledger/utf8.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace traceledger {
namespace {

using Members = std::vector<std::pair<std::string, std::string>>;

TEST(FlatStringObject, DecodesEscapesAndUnicode) {
  Members m;
  ASSERT_EQ(
      ParseFlatStringObject(
          R"( { "a" : "x\"\\\/\b\f\n\r\t" , "b":"\u00e9\u6d59\ud83d\ude00", "c":"浙" } )", &m),
      FlatObjectError::kNone);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].second, "x\"\\/\b\f\n\r\t");
  EXPECT_EQ(m[1].second, "\xc3\xa9\xe6\xb5\x99\xf0\x9f\x98\x80");
  EXPECT_EQ(m[2].second, "浙");
  EXPECT_EQ(ParseFlatStringObject("{}", &m), FlatObjectError::kNone);
  EXPECT_TRUE(m.empty());
}

TEST(FlatStringObject, RefusesWhatJsonRefuses) {
  Members m;
  for (const char* bad :
       {"", "{", "{\"a\"}", "{\"a\":\"b\",}", "{\"a\":\"b\"} x", "{'a':'b'}", "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}",
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\\u12\"}"}) {
    EXPECT_EQ(ParseFlatStringObject(bad, &m), FlatObjectError::kMalformed) << bad;
  }
  EXPECT_EQ(ParseFlatStringObject("[1]", &m), FlatObjectError::kNotObject);
  EXPECT_EQ(ParseFlatStringObject("{\"a\":1}", &m), FlatObjectError::kNotAllString);
}

// Differential test: on random inputs built from JSON fragments, the scanner
// accepts exactly the flat string objects nlohmann/json accepts, with the same
// decoded members.
TEST(FlatStringObject, AgreesWithNlohmannOnRandomInputs) {
  const std::vector<std::string> frags = {"{",
                                          "}",
                                          "\"",
                                          ":",
                                          ",",
                                          " ",
                                          "\n",
                                          "a",
                                          "payload",
                                          "\\\"",
                                          "\\\\",
                                          "\\n",
                                          "\\u0041",
                                          "\\ud83d\\ude00",
                                          "\\ud83d",
                                          "\\u00",
                                          "\\q",
                                          "\x01",
                                          "\xe6\xb5\x99",
                                          "\xff",
                                          "\xc3",
                                          "1",
                                          "[",
                                          "]",
                                          "null",
                                          "\t"};
  std::mt19937 rng(12345);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s;
    if (iter % 2 == 0) {
      // Mostly well-formed skeletons with random string contents.
      s = "{";
      int n = rng() % 4;
      for (int k = 0; k < n; ++k) {
        if (k) s += ",";
        s += "\"";
        for (int j = rng() % 3; j > 0; --j) s += frags[rng() % frags.size()];
        s += "\":\"";
        for (int j = rng() % 4; j > 0; --j) s += frags[rng() % frags.size()];
        s += "\"";
      }
      s += "}";
    } else {
      for (int j = rng() % 12; j > 0; --j) s += frags[rng() % frags.size()];
    }
    Members m;
    FlatObjectError e = ParseFlatStringObject(s, &m);
    nlohmann::json doc = nlohmann::json::parse(s, nullptr, false);
    bool nl_flat = !doc.is_discarded() && doc.is_object();
    if (nl_flat) {
      for (auto& [k, v] : doc.items()) nl_flat = nl_flat && v.is_string();
    }
    if (e == FlatObjectError::kNone) {
      ++accepted;
      ASSERT_FALSE(doc.is_discarded()) << "scanner accepted invalid JSON: " << s;
      // nlohmann keeps the last of duplicate keys; compare against that.
      for (const auto& [k, v] : m) {
        ASSERT_TRUE(doc.contains(k)) << s;
      }
      if (m.size() == doc.size()) {
        for (const auto& [k, v] : m) ASSERT_EQ(doc[k].get<std::string>(), v) << s;
      }
    } else if (nl_flat) {
      FAIL() << "scanner refused a valid flat string object: " << s;
    }
  }
  EXPECT_GT(accepted, 1000);
}

TEST(Utf8, Validation) {
  EXPECT_TRUE(IsValidUtf8("plain 浙苗链 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe6\xb5"));
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));
}

}  // namespace
}  // namespace traceledger
