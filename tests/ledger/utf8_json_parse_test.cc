// ledger/utf8.h and ledger/json_parse.h: the text and JSON rules every
// boundary of the node relies on.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/json_parse.h"
#include "ledger/utf8.h"

namespace traceledger {
namespace {

using nlohmann::json;

TEST(Utf8, ValidatesAndFindsTheFirstBadByte) {
  EXPECT_TRUE(IsValidUtf8("plain 浙苗链 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe6\xb5"));          // cut in the middle
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FirstInvalidUtf8("浙\xe6\xb5"), 3u);
  EXPECT_EQ(FirstInvalidUtf8("ok"), std::string_view::npos);
}

TEST(Utf8, PrefixNeverSplitsACodePoint) {
  std::string cjk;
  for (int i = 0; i < 50; ++i) cjk += "浙";  // 3 bytes each
  for (size_t max = 0; max <= cjk.size() + 1; ++max) {
    std::string_view p = Utf8Prefix(cjk, max);
    EXPECT_LE(p.size(), max);
    EXPECT_EQ(p.size(), std::min(cjk.size(), max / 3 * 3)) << max;
    EXPECT_TRUE(IsValidUtf8(p)) << max;
  }
  std::string emoji =
      "a\xf0\x9f\x98\x80"
      "b";
  EXPECT_EQ(Utf8Prefix(emoji, 4), "a");
  EXPECT_EQ(Utf8Prefix(emoji, 5), "a\xf0\x9f\x98\x80");
}

TEST(Utf8, SanitizeReplacesEachBadByte) {
  EXPECT_EQ(SanitizeUtf8("a\xff"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(SanitizeUtf8("\xe6\xb5"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeUtf8("浙苗链"), "浙苗链");
  EXPECT_TRUE(IsValidUtf8(SanitizeUtf8("\x80\xbf\xc3\xfe\xff\xf4\x90")));
}

Status Parse(std::string_view text, json* out, int depth = 16, size_t max = 1 << 20) {
  return ParseJson(text, JsonLimits{max, depth}, "the body", "BODY", out);
}

TEST(JsonParse, ParsesWhatNlohmannParses) {
  json j;
  ASSERT_TRUE(
      Parse(R"({"a":[1,-2,3.5,true,null,"浙",{"b":{}}],"c":18446744073709551615})", &j).ok());
  EXPECT_EQ(j, json::parse(R"({"a":[1,-2,3.5,true,null,"浙",{"b":{}}],"c":18446744073709551615})"));
  ASSERT_TRUE(Parse("\"just a string\"", &j).ok());
  EXPECT_EQ(j, "just a string");
  ASSERT_TRUE(Parse(" [ ] ", &j).ok());
  EXPECT_TRUE(j.is_array());
}

TEST(JsonParse, DepthLimitCountsContainers) {
  json j;
  auto nested = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_TRUE(Parse(nested(16), &j).ok());
  Status s = Parse(nested(17), &j);
  EXPECT_EQ(s.code(), "BODY_TOO_DEEP") << s.ToString();
  // Far deeper than any stack: refused at once, no recursion anywhere.
  std::string deep = "{\"transactions\":" + nested(200000) + "}";
  EXPECT_EQ(Parse(deep, &j).code(), "BODY_TOO_DEEP");
}

TEST(JsonParse, DuplicateMembersAnywhereAreRefused) {
  json j;
  Status s = Parse(R"({"a":1,"b":{"x":1,"x":2}})", &j);
  EXPECT_EQ(s.code(), "BODY_DUPLICATE_KEY");
  EXPECT_NE(s.message().find("\"x\""), std::string::npos) << s.message();
  EXPECT_TRUE(Parse(R"([{"x":1},{"x":2}])", &j).ok());
}

// Where: the JSON path of the object with the duplicate, of the container past
// the depth limit (for files a person fixes by hand: genesis, configuration).
TEST(JsonParse, MessagesNameTheJsonPath) {
  json j;
  Status s = Parse(R"({"v":[{"id":"a"},{"id":"b","id":"c"}]})", &j);
  EXPECT_EQ(s.code(), "BODY_DUPLICATE_KEY");
  EXPECT_NE(s.message().find("(in $.v[1])"), std::string::npos) << s.message();
  s = Parse(R"({"a b":{"x":1,"x":2}})", &j);
  EXPECT_NE(s.message().find(R"((in $["a b"]))"), std::string::npos) << s.message();
  s = Parse(R"({"x":1,"x":2})", &j);
  EXPECT_NE(s.message().find("(in $)"), std::string::npos) << s.message();
  s = Parse(R"({"p":{"q":[[)" + std::string(20, '[') + std::string(22, ']') + "}}", &j);
  EXPECT_EQ(s.code(), "BODY_TOO_DEEP");
  EXPECT_NE(s.message().find("(at $.p.q[0]"), std::string::npos) << s.message();
  // A name that is not plain, long or not even UTF-8-cut cleanly stays printable.
  s = Parse("{\"" + std::string(100, 'k') + "\xe7\xa0\x81\":{\"x\":1,\"x\":2}}", &j);
  EXPECT_TRUE(IsValidUtf8(s.message())) << s.message();
  EXPECT_NE(s.message().find(std::string(64, 'k') + "...\"]"), std::string::npos) << s.message();
}

TEST(JsonParse, BadTextIsRefusedAndNeverEchoedRaw) {
  json j;
  for (std::string bad :
       {std::string("{\"a\":\"\xff\"}"), std::string("\xff"), std::string("{\"a\":1} trailing"),
        std::string("{\"a\":"), std::string("{\"\xe6\xb5\":1}"), std::string("")}) {
    Status s = Parse(bad, &j);
    EXPECT_EQ(s.code(), "BODY_MALFORMED_JSON") << bad;
    EXPECT_TRUE(IsValidUtf8(s.message())) << s.message();
  }
  EXPECT_EQ(Parse(std::string(11, ' '), &j, 16, 10).code(), "BODY_TOO_LARGE");
}

TEST(JsonParse, DumpNeverThrowsOnBadText) {
  json j = {{"m", std::string("cut \xe6\xb5")}};
  EXPECT_THROW(j.dump(), json::type_error);
  std::string out = DumpJson(j);
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_NE(out.find("cut "), std::string::npos);
}

}  // namespace
}  // namespace traceledger
