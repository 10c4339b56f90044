// Regression tests for what the fuzz targets found (docs/testing.md,
// "Findings"). Each test feeds the input the fuzzer found (also kept in
// fuzz/regression/<target>/, which ctest's fuzz_replay_<target> replays) to
// the function it broke and states the behaviour it must have.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/json_parse.h"

namespace traceledger {
namespace {

using nlohmann::json;
using namespace std::string_literals;

// fuzz/json_fuzz.cc: a NUL byte ended the input for nlohmann's lexer, so JSON
// text followed by a NUL and anything else (here bytes that are not UTF-8)
// was accepted with the rest unread.
TEST(FuzzRegression, JsonTextWithANulByteIsRefused) {
  json doc;
  for (std::string text :
       {"80\0000\x01\xdd\x64G\""s, "{\"payload\":\"x\"}\0\xff\xfe"s, "{}\0"s, "[1,\0 2]"s}) {
    Status s = ParseJson(text, JsonLimits{}, "the input", "X", &doc);
    EXPECT_EQ(s.code(), "X_MALFORMED_JSON") << s.ToString();
    EXPECT_NE(s.message().find("NUL"), std::string::npos) << s.message();
  }
  // Escaped, a NUL is text like any other.
  EXPECT_TRUE(ParseJson("\"a\\u0000b\"", JsonLimits{}, "the input", "X", &doc).ok());
  EXPECT_EQ(doc.get<std::string>(), "a\0b"s);
}

}  // namespace
}  // namespace traceledger
