// The general rules: identity, nonces, chain, time, body validation, and what a
// rejection leaves behind.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "world.h"

namespace traceledger::testing {
namespace {

json Enrol(const std::string& uscc, const std::string& key_name) {
  return {{"uscc", uscc},
          {"name", "Some Co"},
          {"roles", {"retailer"}},
          {"public_key", ToHex(FakeKey(key_name))},
          {"region", "330100"}};
}

TEST(Rules, BadUsccRefusedAtEnrolment) {
  World w;
  Receipt r = w.Run(w.regulator, "registry.enroll", Enrol("91350100M000100Y4Z", "a"));
  EXPECT_REJECTED(r, "BAD_USCC");
  EXPECT_NE(r.message.find("body.uscc"), std::string::npos);
  EXPECT_NE(r.message.find("91350100M000100Y4Z"), std::string::npos);
  EXPECT_OK(w.Run(w.regulator, "registry.enroll", Enrol("91350100M000100Y43", "a")));
  EXPECT_REJECTED(w.Run(w.regulator, "registry.enroll", Enrol("91350100M000100Y43", "b")),
                  "ALREADY_ENROLLED");
  EXPECT_REJECTED(w.Run(w.regulator, "registry.enroll", Enrol("914403001922038216", "a")),
                  "KEY_IN_USE");
  EXPECT_REJECTED(w.Run(w.regulator, "registry.enroll", Enrol("914403001922038216", "regulator")),
                  "KEY_IN_USE");
  json bad_role = Enrol("914403001922038216", "c");
  bad_role["roles"] = {"smuggler"};
  r = w.Run(w.regulator, "registry.enroll", bad_role);
  EXPECT_REJECTED(r, "BAD_BODY");
  EXPECT_NE(r.message.find("body.roles[0]"), std::string::npos);
  EXPECT_EQ(w.Counter("enterprises"), 1);
}

TEST(Rules, SuspendedEnterpriseIsRefusedEverything) {
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  EXPECT_OK(w.Run(maker.key, "product.register",
                  {{"product_code", "P1"}, {"name", "Tea"}, {"category", "food"}}));
  EXPECT_REJECTED(w.Run(maker.key, "registry.suspend", {{"uscc", maker.uscc}, {"reason", "x"}}),
                  "ROLE_FORBIDDEN");
  EXPECT_OK(w.Run(w.regulator, "registry.suspend",
                  {{"uscc", maker.uscc}, {"reason", "licence revoked"}}));
  EXPECT_REJECTED(w.Run(w.regulator, "registry.suspend", {{"uscc", maker.uscc}, {"reason", "x"}}),
                  "ALREADY_SUSPENDED");
  Receipt r = w.Run(maker.key, "trace.commission",
                    {{"product_code", "P1"},
                     {"lot", "L"},
                     {"expiry", "2027-01-01"},
                     {"codes", {"C1"}},
                     {"location", "x"}});
  EXPECT_REJECTED(r, "SUSPENDED");
  EXPECT_NE(r.message.find("licence revoked"), std::string::npos);
  EXPECT_REJECTED(
      w.Run(maker.key, "registry.rotate_key", {{"new_public_key", ToHex(FakeKey("new"))}}),
      "SUSPENDED");
  EXPECT_OK(w.Run(w.regulator, "registry.reinstate", {{"uscc", maker.uscc}, {"reason", "ok"}}));
  EXPECT_OK(w.Run(maker.key, "trace.commission",
                  {{"product_code", "P1"},
                   {"lot", "L"},
                   {"expiry", "2027-01-01"},
                   {"codes", {"C1"}},
                   {"location", "x"}}));
  EXPECT_EQ(w.Counter("enterprises_suspended"), 0);
}

TEST(Rules, RolesAndEnrolment) {
  World w;
  Actor shop = w.Enroll("Shop", {"retailer"});
  EXPECT_REJECTED(w.Run(FakeKey("stranger"), "product.register",
                        {{"product_code", "P1"}, {"name", "x"}, {"category", "food"}}),
                  "NOT_ENROLLED");
  Receipt r = w.Run(shop.key, "product.register",
                    {{"product_code", "P1"}, {"name", "x"}, {"category", "food"}});
  EXPECT_REJECTED(r, "ROLE_FORBIDDEN");
  EXPECT_NE(r.message.find("manufacturer"), std::string::npos);
  EXPECT_REJECTED(w.Run(w.regulator, "trace.commission", json::object()), "ROLE_FORBIDDEN");
  EXPECT_REJECTED(w.Run(shop.key, "recall.issue", json::object()), "ROLE_FORBIDDEN");
}

TEST(Rules, KeyRotation) {
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  std::string new_key = FakeKey("maker-2027");
  EXPECT_OK(w.Run(maker.key, "registry.rotate_key", {{"new_public_key", ToHex(new_key)}}));
  EXPECT_REJECTED(w.Run(maker.key, "product.register",
                        {{"product_code", "P1"}, {"name", "x"}, {"category", "food"}}),
                  "NOT_ENROLLED");
  EXPECT_OK(w.Run(new_key, "product.register",
                  {{"product_code", "P1"}, {"name", "x"}, {"category", "food"}}));
}

TEST(Rules, NonceChainTimeAndType) {
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  json body = {{"product_code", "P1"}, {"name", "x"}, {"category", "food"}};
  Envelope a = w.Tx(maker.key, "product.register", body);
  Envelope dup = a;
  dup.payload += " ";
  dup.tx_id = Hash(HashAlg::kSha256, dup.payload);
  body["product_code"] = "P2";
  Envelope dup2 = w.Tx(maker.key, "product.register", body);
  dup2.nonce = a.nonce;  // same nonce, same signer, other content
  BlockResult r = w.Block({a, dup2});
  EXPECT_OK(r.receipts[0]);
  EXPECT_REJECTED(r.receipts[1], "DUPLICATE_NONCE");
  // The same nonce from another signer is fine.
  Actor other = w.Enroll("Other", {"producer"});
  Envelope o = w.Tx(other.key, "product.register", body);
  o.nonce = a.nonce;
  EXPECT_OK(w.Block({o}).receipts[0]);

  body["product_code"] = "P3";
  EXPECT_REJECTED(
      w.Block({w.Tx(maker.key, "product.register", body, -1, "other-chain")}).receipts[0],
      "WRONG_CHAIN");
  Receipt fut =
      w.Block({w.Tx(maker.key, "product.register", body, w.now() + 3600 * 1000)}).receipts[0];
  EXPECT_REJECTED(fut, "FUTURE_TIME");
  // Late capture is fine.
  EXPECT_OK(
      w.Block({w.Tx(maker.key, "product.register", body, w.now() - 86400 * 1000)}).receipts[0]);
  EXPECT_REJECTED(w.Run(maker.key, "trace.teleport", json::object()), "UNKNOWN_TYPE");
}

TEST(Rules, RejectedTransactionChangesNothingButItsNonce) {
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  EXPECT_OK(w.Run(maker.key, "product.register",
                  {{"product_code", "P1"}, {"name", "x"}, {"category", "food"}}));
  // A block with one rejected commission (second code duplicates the first).
  Envelope bad = w.Tx(maker.key, "trace.commission",
                      {{"product_code", "P1"},
                       {"lot", "L"},
                       {"expiry", "2027-01-01"},
                       {"codes", {"C1", "C2"}},
                       {"location", "x"}});
  Envelope good = w.Tx(maker.key, "trace.commission",
                       {{"product_code", "P1"},
                        {"lot", "L"},
                        {"expiry", "2027-01-01"},
                        {"codes", {"C2"}},
                        {"location", "x"}});
  BlockResult first = w.Block({good});
  EXPECT_OK(first.receipts[0]);
  BlockResult r = w.Block({bad});
  EXPECT_REJECTED(r.receipts[0], "DUPLICATE_CODE");
  EXPECT_NE(r.receipts[0].message.find("C2"), std::string::npos);
  for (const auto& op : r.writes) {
    bool allowed = op.key.rfind("n|", 0) == 0 || op.key.rfind("x|", 0) == 0;
    EXPECT_TRUE(allowed) << "rejected tx wrote " << op.key;
  }
  EXPECT_FALSE(w.state.Get(keys::Item("C1")).has_value());
  // Replaying the rejected envelope later is refused by its nonce.
  EXPECT_REJECTED(w.Block({bad}).receipts[0], "DUPLICATE_NONCE");
  EXPECT_EQ(w.Counter("rejected|DUPLICATE_CODE"), 1);
}

TEST(Rules, BodyValidationNamesTheField) {
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  auto reg = [&](json body) { return w.Run(maker.key, "product.register", body); };
  json ok = {{"product_code", "06901234567892"}, {"name", "x"}, {"category", "drug"}};
  struct Case {
    std::string field;
    json value;
    std::string code, in_message;
  } cases[] = {
      {"product_code", "06901234567893", "BAD_GTIN", "body.product_code"},
      {"product_code", 42, "BAD_BODY", "body.product_code"},
      {"name", "", "BAD_BODY", "body.name"},
      {"name", std::string(129, 'n'), "BAD_BODY", "body.name"},
      {"category", "toy", "BAD_BODY", "body.category"},
      {"temp_min_c", "cold", "BAD_BODY", "body.temp_min_c"},
      {"temp_max_c", 1000, "BAD_BODY", "body.temp_max_c"},
      {"shelf_life_days", 1.5, "BAD_BODY", "body.shelf_life_days"},
      {"requires_inspection", "yes", "BAD_BODY", "body.requires_inspection"},
      {"colour", "red", "BAD_BODY", "body.colour"},
      {"temp_profile", "lukewarm", "BAD_BODY", "body.temp_profile"},
  };
  for (const auto& c : cases) {
    json body = ok;
    body[c.field] = c.value;
    Receipt r = reg(body);
    EXPECT_EQ(r.code, c.code) << c.field << ": " << r.message;
    EXPECT_NE(r.message.find(c.in_message), std::string::npos) << r.message;
  }
  json missing = ok;
  missing.erase("name");
  Receipt r = reg(missing);
  EXPECT_REJECTED(r, "BAD_BODY");
  EXPECT_NE(r.message.find("body.name: missing"), std::string::npos);
  EXPECT_OK(reg(ok));
  EXPECT_REJECTED(reg(ok), "DUPLICATE_PRODUCT");

  // Commission: codes, dates, GS1 consistency.
  json c = {{"product_code", "06901234567892"},
            {"lot", "L1"},
            {"expiry", "2027-02-30"},
            {"codes", {"(01)06901234567892(21)A"}},
            {"location", "x"}};
  r = w.Run(maker.key, "trace.commission", c);
  EXPECT_REJECTED(r, "BAD_BODY");
  EXPECT_NE(r.message.find("body.expiry"), std::string::npos);
  c["expiry"] = "2027-02-28";
  c["codes"] = {"(01)06901234567892(21)A", "bad code"};
  r = w.Run(maker.key, "trace.commission", c);
  EXPECT_REJECTED(r, "BAD_CODE");
  EXPECT_NE(r.message.find("body.codes[1]"), std::string::npos);
  c["codes"] = {"(01)06291041500213(21)A"};
  EXPECT_REJECTED(w.Run(maker.key, "trace.commission", c), "CODE_PRODUCT_MISMATCH");
  c["codes"] = {"A", "A"};
  EXPECT_REJECTED(w.Run(maker.key, "trace.commission", c), "BAD_BODY");
  c["codes"] = json::array();
  EXPECT_REJECTED(w.Run(maker.key, "trace.commission", c), "BAD_BODY");
  std::vector<std::string> many;
  for (int i = 0; i < 1001; ++i) many.push_back("X" + std::to_string(i));
  c["codes"] = many;
  EXPECT_REJECTED(w.Run(maker.key, "trace.commission", c), "TOO_MANY");
  c["codes"] = {"(01)06901234567892(21)A"};
  c["product_code"] = "NOPE";
  EXPECT_REJECTED(w.Run(maker.key, "trace.commission", c), "UNKNOWN_PRODUCT");
  c["product_code"] = "06901234567892";
  EXPECT_OK(w.Run(maker.key, "trace.commission", c));
  EXPECT_REJECTED(w.Run(maker.key, "trace.commission", c), "DUPLICATE_CODE");
  // Another manufacturer may not commission this product.
  Actor other = w.Enroll("Other", {"manufacturer"});
  c["codes"] = {"(01)06901234567892(21)B"};
  EXPECT_REJECTED(w.Run(other.key, "trace.commission", c), "NOT_PRODUCT_OWNER");
  EXPECT_REJECTED(w.Run(maker.key, "trace.dispense", {{"codes", {"ZZZ"}}, {"kind", "sold"}}),
                  "ROLE_FORBIDDEN");
}

TEST(Rules, OverdueShipmentAlertAtBlockTime) {
  World w;
  Actor a = w.Enroll("A", {"producer"});
  Actor b = w.Enroll("B", {"distributor"});
  EXPECT_OK(w.Run(a.key, "product.register",
                  {{"product_code", "P"}, {"name", "x"}, {"category", "food"}}));
  EXPECT_OK(w.Run(a.key, "trace.commission",
                  {{"product_code", "P"},
                   {"lot", "L"},
                   {"expiry", "2027-01-01"},
                   {"codes", {"C1", "C2"}},
                   {"location", "x"}}));
  EXPECT_OK(w.Run(a.key, "trace.ship",
                  {{"shipment_id", "S1"},
                   {"codes", {"C1"}},
                   {"to", b.uscc},
                   {"carrier", a.uscc},
                   {"vehicle", "v"},
                   {"expected_arrival", "2026-11-30T09:00:00Z"}}));
  EXPECT_OK(w.Run(a.key, "trace.ship",
                  {{"shipment_id", "S2"},
                   {"codes", {"C2"}},
                   {"to", b.uscc},
                   {"carrier", a.uscc},
                   {"vehicle", "v"}}));  // genesis default: 72 h
  EXPECT_EQ(w.Counter("shipments_open"), 2);
  w.Block({}, 3600 * 1000);  // past 09:00
  ASSERT_FALSE(w.alerts.empty());
  AlertRec overdue = w.alerts.back();
  EXPECT_EQ(overdue.kind, "overdue_shipment");
  EXPECT_EQ(overdue.subject, "S1");
  EXPECT_TRUE(w.state.Get(keys::OpenAlert(overdue.id)).has_value());
  w.Block({});  // raised once, not every block
  EXPECT_EQ(w.Counter("alerts|overdue_shipment"), 1);
  EXPECT_OK(w.Run(b.key, "trace.receive", {{"shipment_id", "S1"}}));
  EXPECT_FALSE(w.state.Get(keys::OpenAlert(overdue.id)).has_value());
  EXPECT_EQ(w.Counter("shipments_open"), 1);
  w.Block({}, 73LL * 3600 * 1000);
  EXPECT_EQ(w.Counter("alerts|overdue_shipment"), 2);
  EXPECT_EQ(w.alerts.back().subject, "S2");
}

TEST(Rules, AggregationCyclesAndPartialReceipt) {
  World w;
  Actor a = w.Enroll("A", {"producer"});
  Actor b = w.Enroll("B", {"distributor"});
  EXPECT_OK(w.Run(a.key, "product.register",
                  {{"product_code", "P"}, {"name", "x"}, {"category", "food"}}));
  EXPECT_OK(w.Run(a.key, "trace.commission",
                  {{"product_code", "P"},
                   {"lot", "L"},
                   {"expiry", "2027-01-01"},
                   {"codes", {"C1", "C2", "C3"}},
                   {"location", "x"}}));
  EXPECT_OK(w.Run(a.key, "trace.aggregate", {{"parent", "CASE"}, {"children", {"C1", "C2"}}}));
  EXPECT_OK(w.Run(a.key, "trace.aggregate", {{"parent", "PALLET"}, {"children", {"CASE"}}}));
  EXPECT_REJECTED(w.Run(a.key, "trace.aggregate", {{"parent", "CASE"}, {"children", {"PALLET"}}}),
                  "BAD_BODY");  // a cycle
  EXPECT_REJECTED(w.Run(a.key, "trace.aggregate", {{"parent", "C1"}, {"children", {"PALLET"}}}),
                  "BAD_BODY");
  EXPECT_REJECTED(w.Run(a.key, "trace.aggregate", {{"parent", "X"}, {"children", {"C1"}}}),
                  "AGGREGATED");
  EXPECT_OK(w.Run(a.key, "trace.ship",
                  {{"shipment_id", "S"},
                   {"codes", {"PALLET", "C3"}},
                   {"to", b.uscc},
                   {"carrier", a.uscc},
                   {"vehicle", "v"}}));
  EXPECT_EQ(w.Status("C1"), "in_transit");  // the pallet moved its children
  EXPECT_REJECTED(w.Run(b.key, "trace.receive", {{"shipment_id", "S"}, {"codes", {"C1"}}}),
                  "NOT_IN_SHIPMENT");
  EXPECT_OK(w.Run(b.key, "trace.receive", {{"shipment_id", "S"}, {"codes", {"PALLET"}}}));
  EXPECT_EQ(w.Item("C2").custodian, b.uscc);
  EXPECT_EQ(w.Status("C3"), "in_transit");
  EXPECT_TRUE(w.Rec<ShipmentRec>(keys::Shipment("S")).open);
  EXPECT_REJECTED(w.Run(b.key, "trace.receive", {{"shipment_id", "S"}, {"codes", {"PALLET"}}}),
                  "ALREADY_RECEIVED");
  EXPECT_OK(w.Run(b.key, "trace.receive", {{"shipment_id", "S"}}));
  EXPECT_FALSE(w.Rec<ShipmentRec>(keys::Shipment("S")).open);
  EXPECT_REJECTED(w.Run(b.key, "trace.receive", {{"shipment_id", "S"}}), "SHIPMENT_CLOSED");
  EXPECT_EQ(w.Counter("items|in_transit"), 0);
  EXPECT_EQ(w.Counter("items|active"), 5);  // 3 items, the case and the pallet
}

TEST(Rules, StateStoreAppliesAtomically) {
  std::string dir = ::testing::TempDir() + "/tl_state_store";
  std::filesystem::remove_all(dir);
  auto store = StateStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  World w;
  Actor a = w.Enroll("A", {"producer"});
  // Replay the world's state into LevelDB and read it back.
  std::vector<WriteOp> all;
  for (const auto& [k, v] : w.state.map()) all.push_back({k, v});
  ASSERT_TRUE((*store)->Apply(all, true).ok());
  EXPECT_EQ((*store)->Get(keys::Enterprise(a.uscc)), w.state.Get(keys::Enterprise(a.uscc)));
  size_t n = 0;
  (*store)->Scan("x|", [&](auto, auto) { return ++n, true; });
  size_t m = 0;
  w.state.Scan("x|", [&](auto, auto) { return ++m, true; });
  EXPECT_EQ(n, m);
  ASSERT_TRUE((*store)->Apply({{keys::Enterprise(a.uscc), std::nullopt}}, false).ok());
  EXPECT_FALSE((*store)->Get(keys::Enterprise(a.uscc)).has_value());
}

// The keys of each Apply stay readable by generation, for the API's answer
// cache, until the log's bound drops the oldest.
TEST(Rules, StateStoreRemembersTheKeysEachApplyWrote) {
  std::string dir = ::testing::TempDir() + "/tl_state_key_log";
  std::filesystem::remove_all(dir);
  auto opened = StateStore::Open(dir);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StateStore& store = **opened;
  auto between = [&](uint64_t from, uint64_t to) {
    std::vector<std::string> keys;
    bool ok = store.KeysWrittenBetween(from, to, [&](std::string_view k) { keys.emplace_back(k); });
    return ok ? keys : std::vector<std::string>{"<forgotten>"};
  };
  ASSERT_TRUE(store.Apply({{"c|A", "1"}, {"ce|A|1", "e"}}, false).ok());
  ASSERT_TRUE(store.Apply({{"c|B", "1"}, {"c|A", std::nullopt}}, false).ok());  // a delete too
  EXPECT_EQ(store.generation(), 2u);
  EXPECT_EQ(between(0, 1), (std::vector<std::string>{"c|A", "ce|A|1"}));
  EXPECT_EQ(between(1, 2), (std::vector<std::string>{"c|B", "c|A"}));
  EXPECT_EQ(between(0, 2).size(), 4u);
  EXPECT_TRUE(between(2, 2).empty());
  EXPECT_EQ(between(1, 3), std::vector<std::string>{"<forgotten>"});  // 3 is not a generation yet
  for (size_t i = 0; i < StateStore::kKeyLogApplies; ++i) {
    ASSERT_TRUE(store.Apply({{"x|" + std::to_string(i), "1"}}, false).ok());
  }
  EXPECT_EQ(between(0, 3), std::vector<std::string>{"<forgotten>"});  // dropped by the bound
  const uint64_t g = store.generation();
  EXPECT_EQ(between(g - 1, g),
            std::vector<std::string>{"x|" + std::to_string(StateStore::kKeyLogApplies - 1)});
}

// A damaged table block is reported to the reading thread, also when the scan
// stops before its end (LevelDB's iterator steps over a bad block and keeps the
// error aside), and only to that thread.
TEST(Rules, DamagedStateIsReportedToTheReadingThreadOnly) {
  std::string dir = ::testing::TempDir() + "/tl_state_damaged";
  std::filesystem::remove_all(dir);
  {
    auto store = StateStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<WriteOp> all;
    for (int i = 0; i < 6000; ++i) {  // > 4 MiB: flushed into a table file
      char key[32];
      std::snprintf(key, sizeof key, "k|%06d", i);
      all.push_back({key, std::string(1000, static_cast<char>('a' + i % 26))});
    }
    ASSERT_TRUE((*store)->Apply(all, true).ok());
  }
  // Opening again turns the log into a table file.
  ASSERT_TRUE(StateStore::Open(dir).ok());
  // Damage the first data block of every table file.
  int damaged = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".ldb") continue;
    std::fstream io(f.path(), std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(100);
    io.write("XXXXXXXX", 8);
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  auto store = StateStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  uint64_t before = StateReadFailuresOnThisThread();
  // Another thread's failed read is not this thread's.
  std::thread other([&] { (void)(*store)->Get("k|000000"); });
  other.join();
  EXPECT_EQ(StateReadFailuresOnThisThread(), before);
  // A scan that stops at its first entry still reports the block it skipped.
  size_t seen = 0;
  (*store)->Scan("k|", [&](auto, auto) { return ++seen, false; });
  EXPECT_GT(StateReadFailuresOnThisThread(), before);
  EXPECT_NE(LastStateReadFailureOnThisThread().find("state store read failed"), std::string::npos);
  // Damaged data is sticky for the whole store: the engine refuses it.
  EXPECT_EQ((*store)->read_status().code(), "CORRUPTION");
}

}  // namespace
}  // namespace traceledger::testing

namespace traceledger::testing {
namespace {

// Listing an aggregate and an item inside it touches the item once.
TEST(Rules, OverlappingCodesAreTouchedOnce) {
  World w;
  Actor a = w.Enroll("A", {"producer"});
  EXPECT_OK(w.Run(a.key, "product.register",
                  {{"product_code", "P"}, {"name", "x"}, {"category", "food"}}));
  EXPECT_OK(w.Run(a.key, "trace.commission",
                  {{"product_code", "P"},
                   {"lot", "L"},
                   {"expiry", "2027-01-01"},
                   {"codes", {"C1", "C2"}},
                   {"location", "x"}}));
  EXPECT_OK(w.Run(a.key, "trace.aggregate", {{"parent", "CASE"}, {"children", {"C1", "C2"}}}));
  EXPECT_OK(w.Run(w.regulator, "regulator.quarantine",
                  {{"codes", {"CASE", "C1"}}, {"reason", "spot check"}}));
  ItemRec c1 = w.Item("C1");
  EXPECT_TRUE(c1.quarantined);
  EXPECT_EQ(c1.event_count, 3u);  // commission, aggregate, quarantine
  EXPECT_EQ(w.HeadFromEvents("C1"), c1.head);
  EXPECT_EQ(w.Counter("items|quarantined"), 3);
}

}  // namespace
}  // namespace traceledger::testing

namespace traceledger::testing {
namespace {

TEST(Rules, RegulatorsAddRegulators) {
  World w;
  Actor shop = w.Enroll("Shop", {"retailer"});
  std::string city = FakeKey("hangzhou-amr");
  EXPECT_REJECTED(
      w.Run(shop.key, "registry.add_regulator", {{"name", "x"}, {"public_key", ToHex(city)}}),
      "ROLE_FORBIDDEN");
  EXPECT_REJECTED(w.Run(w.regulator, "registry.add_regulator",
                        {{"name", "x"}, {"public_key", ToHex(shop.key)}}),
                  "KEY_IN_USE");
  EXPECT_REJECTED(w.Run(city, "registry.suspend", {{"uscc", shop.uscc}, {"reason", "x"}}),
                  "NOT_ENROLLED");
  EXPECT_OK(w.Run(w.regulator, "registry.add_regulator",
                  {{"name", "杭州市市场监督管理局"}, {"public_key", ToHex(city)}}));
  EXPECT_OK(w.Run(city, "registry.suspend", {{"uscc", shop.uscc}, {"reason", "inspection"}}));
  EXPECT_REJECTED(w.Run(w.regulator, "registry.enroll",
                        {{"uscc", MakeUscc(99)},
                         {"name", "n"},
                         {"roles", {"lab"}},
                         {"public_key", ToHex(city)},
                         {"region", "330100"}}),
                  "KEY_IN_USE");
}

// A state store whose disk fails: every read of a key under `bad` fails (as
// LevelDB reports an I/O error or a checksum mismatch), and says so.
class FailingReader : public StateReader {
 public:
  FailingReader(const StateReader& base, std::string bad) : base_(base), bad_(std::move(bad)) {}
  std::optional<std::string> Get(std::string_view key) const override {
    if (Fails(key)) return std::nullopt;
    return base_.Get(key);
  }
  bool Read(std::string_view key, std::string* scratch, std::string_view* v) const override {
    if (Fails(key)) return false;
    return base_.Read(key, scratch, v);
  }
  void Scan(std::string_view prefix, const ScanFn& fn) const override {
    if (Fails(prefix)) return;
    base_.Scan(prefix, fn);
  }
  Status read_status() const override { return status_; }

 private:
  bool Fails(std::string_view key) const {
    if (key.substr(0, bad_.size()) != bad_) return false;
    if (status_.ok()) status_ = Status::Corruption("block checksum mismatch reading " + bad_);
    return true;
  }
  const StateReader& base_;
  std::string bad_;
  mutable Status status_;
};

// A read error is never taken for an absent key: the block fails as a whole,
// with nothing to apply, and every later block on that store fails too.
TEST(Rules, AStateReadErrorFailsTheBlock) {
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  Actor dist = w.Enroll("Dist", {"distributor"});
  EXPECT_OK(w.Run(maker.key, "product.register",
                  {{"product_code", "VAX-1"}, {"name", "v"}, {"category", "vaccine"}}));
  EXPECT_OK(w.Run(maker.key, "trace.commission",
                  {{"product_code", "VAX-1"},
                   {"lot", "L1"},
                   {"expiry", "2027-01-01"},
                   {"codes", {"D1"}},
                   {"location", "x"}}));
  // Reading the item fails: without the check the engine would answer
  // UNKNOWN_CODE, a receipt that differs from every healthy node's.
  Envelope ship = w.Tx(maker.key, "trace.ship",
                       {{"shipment_id", "S1"},
                        {"codes", {"D1"}},
                        {"to", dist.uscc},
                        {"carrier", maker.uscc},
                        {"vehicle", "x"}});
  FailingReader broken(w.state, "c|");
  BlockContext ctx{100, w.now() + 1000, "v1", w.state_hash};
  BlockResult r = w.engine().ExecuteBlock(broken, ctx, {ship});
  EXPECT_EQ(r.status.code(), "CORRUPTION") << r.status.ToString();
  EXPECT_TRUE(r.writes.empty());
  EXPECT_TRUE(r.receipts.empty());
  // Sticky: the next block on that store fails before it starts.
  EXPECT_FALSE(w.engine().ExecuteBlock(broken, ctx, {}).status.ok());
  // The same block on the healthy state goes through.
  BlockResult good = w.engine().ExecuteBlock(w.state, ctx, {ship});
  ASSERT_TRUE(good.status.ok()) << good.status.ToString();
  EXPECT_OK(good.receipts.at(0));

  // A record that does not decode is corrupt data too.
  w.state.Apply(std::vector<WriteOp>{{keys::Item("D1"), std::string("\x01garbage")}});
  BlockResult c = w.engine().ExecuteBlock(w.state, ctx, {ship});
  EXPECT_EQ(c.status.code(), "CORRUPTION");
  EXPECT_NE(c.status.message().find("did not decode"), std::string::npos);
  EXPECT_TRUE(c.writes.empty());
}

TEST(Rules, EventRecordsHaveOneEncoding) {
  EventRec ev{std::string(32, '\x7f'), 123456789012ULL, 999, "trace.commission", 70000};
  std::string bytes = Encode(ev);
  EXPECT_EQ(EncodeEvent(ev.tx_id, ev.height, ev.index, ev.type, ev.link), bytes);
  EventRec back;
  ASSERT_TRUE(Decode(bytes, &back));
  EXPECT_EQ(back.tx_id, ev.tx_id);
  EXPECT_EQ(back.height, ev.height);
  EXPECT_EQ(back.index, ev.index);
  EXPECT_EQ(back.type, ev.type);
  EXPECT_EQ(back.link, ev.link);
}

TEST(Rules, EveryDocumentedTypeIsKnown) {
  World w;
  for (const char* type : {"registry.enroll",
                           "registry.suspend",
                           "registry.reinstate",
                           "registry.rotate_key",
                           "registry.add_regulator",
                           "product.register",
                           "trace.commission",
                           "trace.document",
                           "trace.aggregate",
                           "trace.disaggregate",
                           "trace.ship",
                           "trace.receive",
                           "trace.reading",
                           "trace.transform",
                           "trace.inspect",
                           "trace.dispense",
                           "trace.destroy",
                           "regulator.quarantine",
                           "regulator.release",
                           "recall.issue",
                           "recall.respond",
                           "recall.close"}) {
    Receipt r = w.Run(w.regulator, type, json::object());
    EXPECT_TRUE(r.code == "BAD_BODY" || r.code == "ROLE_FORBIDDEN") << type << ": " << r.code;
  }
}

}  // namespace
}  // namespace traceledger::testing
