// Text the contracts write into receipts, alerts and state is valid UTF-8
// (docs/contracts.md, "Text"): cuts fall on code point boundaries, and the
// engine's own check turns any invalid text a rule produces into a rejected
// transaction (INTERNAL_TEXT_INVALID) with no writes.
#include "contracts/codec.h"
#include "contracts/exec.h"
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

// ---- The engine's own check: a faulty rule, played by the test hook.

const std::string kBad = "\xE7\xA0";  // the first two bytes of 码: not UTF-8

// A world with an enterprise; `hook` runs after every transaction's rules.
struct HookWorld {
  explicit HookWorld(Engine::RuleHookForTesting hook) {
    a = w.Enroll("Shipper", {"distributor"});
    w.mutable_engine().SetRuleHookForTesting(std::move(hook));
  }
  World w;
  Actor a;
};

json Register(const std::string& code) {
  return {{"product_code", code}, {"name", "Tea"}, {"category", "food"}};
}

// An accepted transaction that also wrote bad text is rejected with the
// dedicated code; none of its writes stay (only its nonce and the rejection
// counters); the block says where, for the node's log.
void ExpectRejectedAndDropped(Engine::RuleHookForTesting hook, const std::string& where) {
  SCOPED_TRACE(where);
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  w.mutable_engine().SetRuleHookForTesting(std::move(hook));
  BlockResult r = w.Block({w.Tx(maker.key, "product.register", Register("P1"))});
  ASSERT_EQ(r.receipts.size(), 1u);
  EXPECT_REJECTED(r.receipts[0], "INTERNAL_TEXT_INVALID");
  EXPECT_TRUE(IsValidUtf8(r.receipts[0].message)) << r.receipts[0].message;
  EXPECT_NE(r.receipts[0].message.find(where), std::string::npos) << r.receipts[0].message;
  ASSERT_EQ(r.text_violations.size(), 1u);
  EXPECT_NE(r.text_violations[0].find("INTERNAL_TEXT_INVALID"), std::string::npos);
  EXPECT_TRUE(r.alerts.empty());
  for (const auto& op : r.writes) {
    bool allowed = op.key.rfind("n|", 0) == 0 || op.key.rfind("x|tx|rejected", 0) == 0 ||
                   op.key == "x|rejected|INTERNAL_TEXT_INVALID";
    EXPECT_TRUE(allowed) << "a write of the rejected transaction stayed: " << op.key;
    EXPECT_TRUE(IsValidUtf8(op.key));
  }
  EXPECT_FALSE(w.state.Get(keys::Product("P1")));
  EXPECT_EQ(w.Counter("rejected|INTERNAL_TEXT_INVALID"), 1);
  EXPECT_EQ(w.Counter("products"), 0);
}

TEST(TextInvariant, RecordWithATextFieldThatIsNotUtf8) {
  ExpectRejectedAndDropped(
      [](Exec& x, Status s) {
        ProductRec p;
        p.code = "P1";
        p.name = "Tea " + kBad;
        x.Save(keys::Product("P1"), p);
        return s;
      },
      "a text field of the record under \"p|P1\"");
}

TEST(TextInvariant, TextValueThatIsNotUtf8) {
  ExpectRejectedAndDropped(
      [](Exec& x, Status s) {
        x.Put(keys::Regulator(std::string(33, '\x02')), "name " + kBad);
        return s;
      },
      "the value under \"g|");
}

TEST(TextInvariant, KeyThatIsNotUtf8) {
  ExpectRejectedAndDropped(
      [](Exec& x, Status s) {
        x.Put(keys::Holder("91330100MA0000001X", "C" + kBad), "");
        return s;
      },
      "the state key \"h|91330100MA0000001X|C\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(TextInvariant, AlertWithAMessageThatIsNotUtf8) {
  ExpectRejectedAndDropped(
      [](Exec& x, Status s) {
        x.OpenAlert("temperature_excursion", "C1", "too warm " + kBad, 0);
        return s;
      },
      "a text field of the record under \"a|AL0000000001\"");
}

// Raw bytes where the layout says bytes (a nonce's tx id, a record's hash) are
// not text: no violation.
TEST(TextInvariant, RawBytesFieldsAreNotText) {
  HookWorld h([](Exec& x, Status s) {
    x.Put(keys::Nonce(std::string(33, '\x03'), "n"), std::string(32, '\xff'));
    EventRec e;
    e.tx_id = std::string(32, '\xff');
    e.type = "trace.ship";
    x.Save(keys::Event("C9", 0), e);
    return s;
  });
  EXPECT_OK(h.w.Run(h.a.key, "registry.rotate_key", {{"new_public_key", ToHex(FakeKey("new"))}}));
}

// A rule that rejects with a message (or code) that is not UTF-8: the receipt
// carries the dedicated code and a sanitized copy of what the rule said.
TEST(TextInvariant, RejectionWhoseMessageIsNotUtf8) {
  HookWorld h(
      [](Exec&, Status) { return Status::Error("NOT_CUSTODIAN", "code \"C" + kBad + "\""); });
  BlockResult r = h.w.Block({h.w.Tx(h.a.key, "trace.ship", ShipBody(h.a, MakeUscc(77)))});
  const Receipt& rc = r.receipts.at(0);
  EXPECT_REJECTED(rc, "INTERNAL_TEXT_INVALID");
  EXPECT_TRUE(IsValidUtf8(rc.message)) << rc.message;
  EXPECT_NE(rc.message.find("the receipt message"), std::string::npos) << rc.message;
  EXPECT_NE(rc.message.find("NOT_CUSTODIAN: code \"C\xEF\xBF\xBD\xEF\xBF\xBD\""), std::string::npos)
      << rc.message;
  EXPECT_EQ(h.w.Counter("rejected|INTERNAL_TEXT_INVALID"), 1);
  EXPECT_EQ(h.w.Counter("rejected|NOT_CUSTODIAN"), 0);
}

TEST(TextInvariant, RejectionWhoseCodeIsNotUtf8) {
  HookWorld h([](Exec&, Status) { return Status::Error("BAD" + kBad, "x"); });
  BlockResult r = h.w.Block({h.w.Tx(h.a.key, "trace.ship", ShipBody(h.a, MakeUscc(77)))});
  EXPECT_REJECTED(r.receipts.at(0), "INTERNAL_TEXT_INVALID");
  EXPECT_NE(r.receipts[0].message.find("the receipt code"), std::string::npos);
  for (const auto& op : r.writes) EXPECT_TRUE(IsValidUtf8(op.key)) << op.key;
}

// Every node decides the same: two engines, same inputs, the same receipts,
// writes and state hash; and the chain goes on (the next transaction commits).
TEST(TextInvariant, AViolationIsDeterministicAndTheChainGoesOn) {
  auto hook = [](Exec& x, Status s) {
    if (x.env->body.value("product_code", "") == "P1") x.Put(keys::Counter("bad" + kBad), "1");
    return s;
  };
  World w1, w2;
  Actor m1 = w1.Enroll("Maker", {"manufacturer"});
  Actor m2 = w2.Enroll("Maker", {"manufacturer"});
  w1.mutable_engine().SetRuleHookForTesting(hook);
  w2.mutable_engine().SetRuleHookForTesting(hook);
  BlockResult r1 = w1.Block({w1.Tx(m1.key, "product.register", Register("P1")),
                             w1.Tx(m1.key, "product.register", Register("P2"))});
  BlockResult r2 = w2.Block({w2.Tx(m2.key, "product.register", Register("P1")),
                             w2.Tx(m2.key, "product.register", Register("P2"))});
  EXPECT_EQ(r1.receipts, r2.receipts);
  EXPECT_EQ(r1.writes, r2.writes);
  EXPECT_EQ(r1.state_hash, r2.state_hash);
  EXPECT_EQ(r1.text_violations, r2.text_violations);
  EXPECT_REJECTED(r1.receipts.at(0), "INTERNAL_TEXT_INVALID");
  EXPECT_OK(r1.receipts.at(1));
  EXPECT_OK(w1.Run(m1.key, "trace.commission",
                   {{"product_code", "P2"},
                    {"lot", "L"},
                    {"expiry", "2027-01-01"},
                    {"codes", {"C1"}},
                    {"location", "x"}}));
}

// A block-time rule that would write bad text is not applied in that block
// (and is tried again in the next); the block's transactions go on.
TEST(TextInvariant, BlockTimeRuleThatWritesBadTextIsNotApplied) {
  World w;
  Actor a = w.Enroll("Shipper", {"distributor"});
  const std::string id = "S" + kBad;  // a planted shipment: no rule can make this id
  ShipmentRec s;
  s.id = id;
  s.from = a.uscc;
  s.to = MakeUscc(77);
  w.state.Apply(std::vector<WriteOp>{{keys::Shipment(id), Encode(s)},
                                     {keys::ShipmentDue(1, id), std::string()}});
  for (int block = 0; block < 2; ++block) {
    BlockResult r =
        w.Block({w.Tx(w.regulator, "registry.suspend",
                      {{"uscc", a.uscc}, {"reason", "block " + std::to_string(block)}})});
    ASSERT_EQ(r.text_violations.size(), 1u);
    EXPECT_NE(r.text_violations[0].find("block-time rules"), std::string::npos)
        << r.text_violations[0];
    EXPECT_TRUE(r.alerts.empty());
    EXPECT_TRUE(w.state.Get(keys::ShipmentDue(1, id))) << "kept, to be tried again";
    EXPECT_EQ(r.receipts.at(0).code, block == 0 ? "OK" : "ALREADY_SUSPENDED");
  }
  EXPECT_EQ(w.Counter("alerts_open"), 0);
  EXPECT_EQ(w.Counter("shipments_overdue"), 0);
}

// The codec's part: a text field that is not UTF-8 is counted; raw fields and
// valid text are not; the bytes written are the same either way.
TEST(TextInvariant, WriterCountsTextFieldsThatAreNotUtf8) {
  uint64_t before = InvalidTextFieldsOnThisThread();
  Writer a, b;
  a.Text("plain ascii, longer than eight bytes");
  a.Text("码 and ascii after it, 12345678");
  a.Text("");
  a.Bytes(std::string(40, '\xff'));
  EXPECT_EQ(InvalidTextFieldsOnThisThread(), before);
  for (const std::string& bad :
       std::vector<std::string>{kBad, "12345678" + kBad, "\xC0\x80", "\xED\xA0\x80", "abcdefgh\xff",
                                "\xF4\x90\x80\x80"}) {
    b.Text(bad);
  }
  EXPECT_EQ(InvalidTextFieldsOnThisThread(), before + 6);
  Writer c, d;
  c.Text("same bytes");
  d.Bytes("same bytes");
  EXPECT_EQ(c.Take(), d.Take());
}

// Every raw field of every record is marked as bytes: random hashes and keys
// do not count as bad text (a field left unmarked would).
TEST(TextInvariant, RecordsRawFieldsAreBytes) {
  const std::string raw32(32, '\xff'), raw33(33, '\xfe');
  uint64_t before = InvalidTextFieldsOnThisThread();
  EnterpriseRec e;
  e.public_key = raw33;
  LotRec l;
  l.head = raw32;
  ItemRec it;
  it.head = raw32;
  AlertRec al;
  al.tx_id = raw32;
  DocumentRec doc;
  doc.tx_id = raw32;
  TransformRec tf;
  tf.tx_id = raw32;
  EventRec ev;
  ev.tx_id = raw32;
  Encode(e), Encode(l), Encode(it), Encode(al), Encode(doc), Encode(tf), Encode(ev);
  (void)EncodeEvent(raw32, 1, 2, "trace.ship", 3);
  EXPECT_EQ(InvalidTextFieldsOnThisThread(), before);
}

TEST(TextInvariant, ValueKindsOfTheStateLayout) {
  for (const char* k : {"e|X", "p|X", "l|P|L", "le|P|L|0000000000", "c|C", "ce|C|0000000000", "s|S",
                        "tf|AB", "d|P|L|T", "dc|C|T", "r|R", "a|AL0000000001"}) {
    EXPECT_EQ(ValueKindOf(k), ValueKind::kRecord) << k;
  }
  EXPECT_EQ(ValueKindOf("n|AB|nonce"), ValueKind::kBytes);
  for (const char* k : {"k|AB", "g|AB", "lc|P|L|C", "h|U|C", "ag|P|C", "so|0000000000001|S",
                        "ro|R|C", "rh|R|U", "ao|AL1", "ca|C|AL1", "ea|U|000000000001|000001",
                        "x|tx|ok", "m|alert_seq", "zz|new", "nokey"}) {
    EXPECT_EQ(ValueKindOf(k), ValueKind::kText) << k;
  }
}

}  // namespace
}  // namespace traceledger::testing
