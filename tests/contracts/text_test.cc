// Text the contracts write into receipts, alerts and state is valid UTF-8
// (docs/contracts.md, "Text"): cuts fall on code point boundaries, and the
// engine's own check turns any invalid text a rule produces into a rejected
// transaction (INTERNAL_TEXT_INVALID) with no writes.
#include "ledger/utf8.h"
#include "world.h"

namespace traceledger::testing {
namespace {

// n copies of U+7801 码 (3 bytes each).
std::string Cjk(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "\xE7\xA0\x81";
  return s;
}

json ShipBody(const Actor& from, const std::string& to_uscc) {
  return {{"shipment_id", "S1"},
          {"codes", {"C1"}},
          {"to", to_uscc},
          {"carrier", from.uscc},
          {"vehicle", "浙A12345"}};
}

// issue 13: a code of 50 CJK characters was quoted in the BAD_CODE message cut
// at byte 140, inside the 47th character; the receipt could not be stored.
TEST(Text, BadCodeMessageIsCutOnACharacterBoundary) {
  World w;
  Actor a = w.Enroll("Shipper", {"distributor"});
  json body = ShipBody(a, MakeUscc(77));
  body["codes"] = {Cjk(50)};
  Receipt r = w.Run(a.key, "trace.ship", body);
  EXPECT_REJECTED(r, "BAD_CODE");
  EXPECT_TRUE(IsValidUtf8(r.message)) << r.message;
  EXPECT_NE(r.message.find("body.codes[0]"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("\"" + Cjk(46) + "\""), std::string::npos) << r.message;
}

// issue 13: an unknown member of 22 CJK characters was named cut at byte 64.
TEST(Text, UnknownMemberIsNamedCutOnACharacterBoundary) {
  World w;
  Actor a = w.Enroll("Shipper", {"distributor"});
  json body = ShipBody(a, MakeUscc(77));
  body[Cjk(22)] = 1;
  Receipt r = w.Run(a.key, "trace.ship", body);
  EXPECT_REJECTED(r, "BAD_BODY");
  EXPECT_TRUE(IsValidUtf8(r.message)) << r.message;
  EXPECT_EQ(r.message, "body." + Cjk(21) + ": unknown field");
}

// The same cut for an unknown transaction type (type is quoted cut at 64 bytes).
TEST(Text, UnknownTypeIsQuotedCutOnACharacterBoundary) {
  World w;
  Receipt r = w.Run(w.regulator, Cjk(30), json::object());
  EXPECT_REJECTED(r, "UNKNOWN_TYPE");
  EXPECT_TRUE(IsValidUtf8(r.message)) << r.message;
  EXPECT_NE(r.message.find("\"" + Cjk(21) + "\""), std::string::npos) << r.message;
}

}  // namespace
}  // namespace traceledger::testing
