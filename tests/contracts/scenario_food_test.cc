// 浙冷链 and 浙食链: imported frozen shrimp, farm vegetables into salad, recalls.
#include "world.h"

namespace traceledger::testing {
namespace {

std::vector<std::string> Codes(const std::string& prefix, int n) {
  std::vector<std::string> v;
  for (int i = 1; i <= n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

json Ship(const std::string& id, const std::vector<std::string>& codes, const Actor& to,
          const Actor& carrier) {
  return {{"shipment_id", id},
          {"codes", codes},
          {"to", to.uscc},
          {"carrier", carrier.uscc},
          {"vehicle", "浙B-COLD1"}};
}

json Doc(const std::string& type, const std::string& id) {
  return {{"product_code", "SHRIMP-EC-1KG"},
          {"lot", "EC2026-11"},
          {"doc_type", type},
          {"doc_id", id},
          {"sha256", std::string(64, 'b')},
          {"issuer", "Ningbo Customs"}};
}

TEST(ImportScenario, FrozenShrimpBlockedUntilFourDocuments) {
  World w;
  Actor importer = w.Enroll("Ningbo Seafood Import", {"importer"});
  Actor store = w.Enroll("Beilun Cold Store", {"warehouse"});
  Actor dist = w.Enroll("Hangzhou Food Distribution", {"distributor"});
  Actor lab = w.Enroll("Zhejiang Food Lab", {"lab"});
  Actor truck = w.Enroll("Reefer Trucks", {"logistics"});

  EXPECT_OK(w.Run(importer.key, "product.register",
                  {{"product_code", "SHRIMP-EC-1KG"},
                   {"name", "Frozen white shrimp 1kg"},
                   {"category", "cold_chain_food"}}));
  ProductRec p = w.Rec<ProductRec>(keys::Product("SHRIMP-EC-1KG"));
  EXPECT_TRUE(p.has_max);
  EXPECT_EQ(p.max_c, -18);  // genesis default for cold-chain food: frozen
  // An importer commissions imports with their origin.
  EXPECT_REJECTED(w.Run(importer.key, "trace.commission",
                        {{"product_code", "SHRIMP-EC-1KG"},
                         {"lot", "EC2026-11"},
                         {"expiry", "2027-11-01"},
                         {"codes", Codes("SH", 5)},
                         {"location", "Ningbo port"}}),
                  "BAD_BODY");
  EXPECT_OK(w.Run(importer.key, "trace.commission",
                  {{"product_code", "SHRIMP-EC-1KG"},
                   {"lot", "EC2026-11"},
                   {"expiry", "2027-11-01"},
                   {"codes", Codes("SH", 5)},
                   {"location", "Ningbo port"},
                   {"origin_country", "EC"}}));
  // Port -> first cold store is allowed before the documents.
  EXPECT_OK(w.Run(importer.key, "trace.ship", Ship("P1", Codes("SH", 5), store, truck)));
  EXPECT_OK(w.Run(store.key, "trace.receive", {{"shipment_id", "P1"}}));
  // It cannot leave the first cold store.
  Receipt r = w.Run(store.key, "trace.ship", Ship("P2", {"SH1"}, dist, truck));
  EXPECT_REJECTED(r, "DOCUMENTS_MISSING");
  for (const char* d : {"customs_declaration", "quarantine_certificate", "nucleic_acid_test",
                        "disinfection_certificate"})
    EXPECT_NE(r.message.find(d), std::string::npos) << r.message;
  // Strangers may not attach documents; the importer, a lab, the regulator may.
  EXPECT_REJECTED(w.Run(dist.key, "trace.document", Doc("customs_declaration", "C-1")),
                  "NOT_CUSTODIAN");
  EXPECT_OK(w.Run(importer.key, "trace.document", Doc("customs_declaration", "C-1")));
  EXPECT_OK(w.Run(w.regulator, "trace.document", Doc("quarantine_certificate", "Q-1")));
  EXPECT_OK(w.Run(lab.key, "trace.document", Doc("nucleic_acid_test", "N-1")));
  r = w.Run(store.key, "trace.ship", Ship("P2", {"SH1"}, dist, truck));
  EXPECT_REJECTED(r, "DOCUMENTS_MISSING");
  EXPECT_EQ(r.message.find("customs_declaration"), std::string::npos);
  EXPECT_NE(r.message.find("disinfection_certificate"), std::string::npos);
  // The cold store holds the lot and attaches the last one.
  EXPECT_OK(w.Run(store.key, "trace.document", Doc("disinfection_certificate", "D-1")));
  EXPECT_OK(w.Run(store.key, "trace.ship", Ship("P2", {"SH1", "SH2"}, dist, truck)));
  // The reefer warms to -10 C: frozen food must stay at or below -18 C.
  EXPECT_OK(w.Run(truck.key, "trace.reading",
                  {{"shipment_id", "P2"},
                   {"device", "reefer-9"},
                   {"readings", {{{"time", "2026-11-30T08:00:05Z"}, {"celsius", -10.0}}}}}));
  EXPECT_EQ(w.Status("SH1"), "quarantined");
  EXPECT_EQ(w.alerts.back().kind, "temperature_excursion");
  EXPECT_NE(w.alerts.back().message.find("-18.0"), std::string::npos);
  // Quarantined goods can still be received (custody continues) but not moved on.
  EXPECT_OK(w.Run(dist.key, "trace.receive", {{"shipment_id", "P2"}}));
  EXPECT_REJECTED(w.Run(dist.key, "trace.ship", Ship("P3", {"SH1"}, store, truck)), "QUARANTINED");
  // Destroying quarantined goods resolves the alert.
  EXPECT_OK(w.Run(dist.key, "trace.destroy", {{"codes", {"SH1", "SH2"}}, {"reason", "thawed"}}));
  EXPECT_EQ(w.Status("SH1"), "destroyed");
  EXPECT_EQ(w.Counter("alerts_open"), 0);

  // The four lot documents are the lot's own events, in its hash chain (the
  // refused one is not); they do not touch each item's chain.
  LotRec lot = w.Rec<LotRec>(keys::Lot("SHRIMP-EC-1KG", "EC2026-11"));
  uint32_t n = 0;
  EXPECT_EQ(lot.event_count, 4u);
  EXPECT_EQ(w.LotHeadFromEvents("SHRIMP-EC-1KG", "EC2026-11", &n), lot.head);
  EXPECT_EQ(n, 4u);
  EventRec last = w.Rec<EventRec>(keys::LotEvent("SHRIMP-EC-1KG", "EC2026-11", 3));
  EXPECT_EQ(last.type, "trace.document");
  EXPECT_EQ(w.Item("SH5").event_count, 3u);  // commissioned, shipped, received
  EXPECT_EQ(w.Item("SH5").head, w.HeadFromEvents("SH5"));
}

TEST(FarmToTableScenario, SaladRefusedAtRetailUntilInspectionPasses) {
  World w;
  Actor farm = w.Enroll("Xiaoshan Vegetable Farm", {"producer"});
  Actor factory = w.Enroll("Fresh Salad Factory", {"manufacturer"});
  Actor shop = w.Enroll("Hema Supermarket Binjiang", {"retailer"});
  Actor lab = w.Enroll("Hangzhou Food Inspection Lab", {"lab"});

  EXPECT_OK(
      w.Run(farm.key, "product.register",
            {{"product_code", "LETTUCE-5KG"}, {"name", "Lettuce crate"}, {"category", "food"}}));
  EXPECT_OK(w.Run(farm.key, "trace.commission",
                  {{"product_code", "LETTUCE-5KG"},
                   {"lot", "F-1130"},
                   {"expiry", "2026-12-05"},
                   {"codes", Codes("LET", 3)},
                   {"location", "Xiaoshan field 4"}}));
  EXPECT_OK(w.Run(farm.key, "trace.ship", Ship("V1", Codes("LET", 3), factory, farm)));
  EXPECT_OK(w.Run(factory.key, "trace.receive", {{"shipment_id", "V1"}}));
  EXPECT_OK(w.Run(factory.key, "product.register",
                  {{"product_code", "06901234567892"},
                   {"name", "Packaged garden salad"},
                   {"category", "food"},
                   {"temp_profile", "chilled"},
                   {"requires_inspection", true},
                   {"shelf_life_days", 3}}));
  std::vector<std::string> salads = {"(01)06901234567892(21)S1", "(01)06901234567892(21)S2"};
  json transform = {{"inputs", Codes("LET", 2)},
                    {"outputs",
                     {{"product_code", "06901234567892"},
                      {"lot", "SAL-1130"},
                      {"expiry", "2026-12-03"},
                      {"codes", salads}}}};
  EXPECT_REJECTED(w.Run(shop.key, "trace.transform", transform), "ROLE_FORBIDDEN");
  // A 3-day salad made today cannot be labelled to last 5 days.
  transform["outputs"]["expiry"] = "2026-12-05";
  EXPECT_REJECTED(w.Run(factory.key, "trace.transform", transform), "SHELF_LIFE_EXCEEDED");
  EXPECT_EQ(w.Status("LET1"), "active");  // the inputs were not consumed
  transform["outputs"]["expiry"] = "2026-12-03";
  EXPECT_OK(w.Run(factory.key, "trace.transform", transform));
  EXPECT_EQ(w.Status("LET1"), "dispensed");  // consumed as an input
  EXPECT_EQ(w.Item("LET1").terminal, Terminal::kTransformed);
  EXPECT_FALSE(w.Item(salads[0]).made_by.empty());
  EXPECT_OK(w.Run(factory.key, "trace.ship", Ship("V2", salads, shop, factory)));
  EXPECT_OK(w.Run(shop.key, "trace.receive", {{"shipment_id", "V2"}}));
  Receipt r = w.Run(shop.key, "trace.dispense", {{"codes", {salads[0]}}, {"kind", "sold"}});
  EXPECT_REJECTED(r, "INSPECTION_REQUIRED");
  EXPECT_NE(r.message.find("SAL-1130"), std::string::npos);
  // Only a lab or a regulator inspects.
  json inspect = {{"product_code", "06901234567892"},
                  {"lot", "SAL-1130"},
                  {"result", "pass"},
                  {"report_id", "R-77"},
                  {"sha256", std::string(64, 'c')}};
  EXPECT_REJECTED(w.Run(factory.key, "trace.inspect", inspect), "ROLE_FORBIDDEN");
  EXPECT_OK(w.Run(lab.key, "trace.inspect", inspect));
  EXPECT_OK(w.Run(shop.key, "trace.dispense", {{"codes", {salads[0]}}, {"kind", "sold"}}));
  EXPECT_EQ(w.Status(salads[0]), "dispensed");
  // A failing inspection quarantines what is left of the lot.
  inspect["result"] = "fail";
  inspect["report_id"] = "R-78";
  EXPECT_OK(w.Run(lab.key, "trace.inspect", inspect));
  EXPECT_EQ(w.Status(salads[1]), "quarantined");
  // Both lot inspections are in the lot's chain; the refused one is not.
  LotRec sal = w.Rec<LotRec>(keys::Lot("06901234567892", "SAL-1130"));
  EXPECT_EQ(sal.event_count, 2u);
  EXPECT_EQ(w.LotHeadFromEvents("06901234567892", "SAL-1130"), sal.head);
  EXPECT_EQ(w.alerts.back().kind, "inspection_failed");
  EXPECT_REJECTED(w.Run(shop.key, "trace.dispense", {{"codes", {salads[1]}}, {"kind", "sold"}}),
                  "QUARANTINED");
}

TEST(RecallScenario, InputLotRecallReachesSaladAndClosesItself) {
  World w;
  Actor farm = w.Enroll("Farm", {"producer"});
  Actor factory = w.Enroll("Factory", {"manufacturer"});
  Actor shop = w.Enroll("Shop", {"retailer"});
  EXPECT_OK(w.Run(farm.key, "product.register",
                  {{"product_code", "SPINACH"}, {"name", "Spinach crate"}, {"category", "food"}}));
  EXPECT_OK(w.Run(farm.key, "trace.commission",
                  {{"product_code", "SPINACH"},
                   {"lot", "SP-1"},
                   {"expiry", "2026-12-10"},
                   {"codes", Codes("SP", 4)},
                   {"location", "field"}}));
  EXPECT_OK(w.Run(farm.key, "trace.ship", Ship("T1", {"SP1", "SP2"}, factory, farm)));
  EXPECT_OK(w.Run(factory.key, "trace.receive", {{"shipment_id", "T1"}}));
  EXPECT_OK(w.Run(factory.key, "product.register",
                  {{"product_code", "SALAD"}, {"name", "Spinach salad"}, {"category", "food"}}));
  EXPECT_OK(w.Run(factory.key, "trace.transform",
                  {{"inputs", {"SP1", "SP2"}},
                   {"outputs",
                    {{"product_code", "SALAD"},
                     {"lot", "SA-1"},
                     {"expiry", "2026-12-04"},
                     {"codes", Codes("SA", 4)}}}}));
  EXPECT_OK(
      w.Run(factory.key, "trace.aggregate", {{"parent", "CASE-1"}, {"children", {"SA3", "SA4"}}}));
  EXPECT_OK(w.Run(factory.key, "trace.ship", Ship("T2", {"SA2", "CASE-1"}, shop, factory)));
  EXPECT_OK(w.Run(shop.key, "trace.receive", {{"shipment_id", "T2"}}));
  EXPECT_OK(w.Run(shop.key, "trace.disaggregate", {{"parent", "CASE-1"}}));
  EXPECT_OK(w.Run(shop.key, "trace.dispense", {{"codes", {"SA4"}}, {"kind", "sold"}}));

  // Listeria in spinach lot SP-1: the recall reaches the salad made from it.
  EXPECT_REJECTED(w.Run(farm.key, "recall.issue",
                        {{"recall_id", "RC-1"},
                         {"product_code", "SPINACH"},
                         {"lots", {"SP-1"}},
                         {"level", 1},
                         {"reason", "listeria"}}),
                  "ROLE_FORBIDDEN");
  EXPECT_OK(w.Run(w.regulator, "recall.issue",
                  {{"recall_id", "RC-1"},
                   {"product_code", "SPINACH"},
                   {"lots", {"SP-1"}},
                   {"level", 1},
                   {"reason", "listeria monocytogenes"}}));
  RecallRec rc = w.Rec<RecallRec>(keys::Recall("RC-1"));
  EXPECT_TRUE(rc.open);
  // A recall naming the lot is an event of the lot (the refused one is not).
  LotRec sp = w.Rec<LotRec>(keys::Lot("SPINACH", "SP-1"));
  ASSERT_EQ(sp.event_count, 1u);
  EXPECT_EQ(w.Rec<EventRec>(keys::LotEvent("SPINACH", "SP-1", 0)).type, "recall.issue");
  EXPECT_EQ(w.LotHeadFromEvents("SPINACH", "SP-1"), sp.head);
  EXPECT_EQ(w.Rec<LotRec>(keys::Lot("SALAD", "SA-1")).event_count, 0u);  // reached, not named
  // SP3, SP4 at the farm; SA1 at the factory; SA2, SA3 at the shop. SA4 was sold.
  EXPECT_EQ(rc.outstanding, 5u);
  EXPECT_EQ(rc.reached_consumers, 1u);
  EXPECT_EQ(w.state.Get(keys::RecallHolder("RC-1", farm.uscc)).value_or(""), "2");
  EXPECT_EQ(w.state.Get(keys::RecallHolder("RC-1", factory.uscc)).value_or(""), "1");
  EXPECT_EQ(w.state.Get(keys::RecallHolder("RC-1", shop.uscc)).value_or(""), "2");
  EXPECT_EQ(w.Status("SA2"), "recalled");
  // Frozen: no sale, no shipment, no plain destruction.
  EXPECT_REJECTED(w.Run(shop.key, "trace.dispense", {{"codes", {"SA2"}}, {"kind", "sold"}}),
                  "RECALLED");
  EXPECT_REJECTED(w.Run(farm.key, "trace.ship", Ship("T3", {"SP3"}, factory, farm)), "RECALLED");
  EXPECT_REJECTED(w.Run(shop.key, "trace.destroy", {{"codes", {"SA2"}}, {"reason", "x"}}),
                  "RECALLED");
  // Holders respond; only for what they hold.
  EXPECT_REJECTED(w.Run(shop.key, "recall.respond",
                        {{"recall_id", "RC-1"}, {"codes", {"SA1"}}, {"action", "destroyed"}}),
                  "NOT_CUSTODIAN");
  EXPECT_REJECTED(w.Run(shop.key, "recall.respond",
                        {{"recall_id", "RC-1"}, {"codes", {"SA4"}}, {"action", "destroyed"}}),
                  "NOT_RECALLED");
  EXPECT_OK(w.Run(farm.key, "recall.respond",
                  {{"recall_id", "RC-1"}, {"codes", {"SP3", "SP4"}}, {"action", "destroyed"}}));
  EXPECT_OK(w.Run(factory.key, "recall.respond",
                  {{"recall_id", "RC-1"}, {"codes", {"SA1"}}, {"action", "returned"}}));
  EXPECT_OK(w.Run(shop.key, "recall.respond",
                  {{"recall_id", "RC-1"}, {"codes", {"SA2"}}, {"action", "returned"}}));
  EXPECT_TRUE(w.Rec<RecallRec>(keys::Recall("RC-1")).open);
  EXPECT_EQ(w.Counter("recalls_open"), 1);
  // The last holder answers: the recall closes by itself.
  EXPECT_OK(w.Run(shop.key, "recall.respond",
                  {{"recall_id", "RC-1"}, {"codes", {"SA3"}}, {"action", "destroyed"}}));
  rc = w.Rec<RecallRec>(keys::Recall("RC-1"));
  EXPECT_FALSE(rc.open);
  EXPECT_EQ(rc.outstanding, 0u);
  EXPECT_NE(rc.close_reason.find("auto"), std::string::npos);
  EXPECT_EQ(w.Counter("recalls_open"), 0);
  EXPECT_FALSE(w.state.Get(keys::OpenAlert(rc.alert_id)).has_value());
  bool any_holder = false;
  w.state.Scan(keys::RecallHolderPrefix("RC-1"), [&](auto, auto) { return !(any_holder = true); });
  EXPECT_FALSE(any_holder);
  EXPECT_REJECTED(w.Run(shop.key, "recall.respond",
                        {{"recall_id", "RC-1"}, {"codes", {"SA3"}}, {"action", "destroyed"}}),
                  "RECALL_CLOSED");
}

TEST(RecallScenario, RegulatorCloseUnfreezes) {
  World w;
  Actor farm = w.Enroll("Farm", {"producer"});
  EXPECT_OK(w.Run(farm.key, "product.register",
                  {{"product_code", "EGGS"}, {"name", "Eggs"}, {"category", "food"}}));
  EXPECT_OK(w.Run(farm.key, "trace.commission",
                  {{"product_code", "EGGS"},
                   {"lot", "E1"},
                   {"expiry", "2026-12-20"},
                   {"codes", Codes("EG", 2)},
                   {"location", "barn"}}));
  EXPECT_OK(w.Run(w.regulator, "recall.issue",
                  {{"recall_id", "RC-2"},
                   {"product_code", "EGGS"},
                   {"codes", {"EG1"}},
                   {"level", 3},
                   {"reason", "label misprint"}}));
  EXPECT_EQ(w.Status("EG1"), "recalled");
  EXPECT_EQ(w.Status("EG2"), "active");
  EXPECT_OK(w.Run(w.regulator, "recall.close", {{"recall_id", "RC-2"}, {"reason", "relabelled"}}));
  EXPECT_EQ(w.Status("EG1"), "active");
  EXPECT_FALSE(w.Rec<RecallRec>(keys::Recall("RC-2")).open);
  EXPECT_EQ(w.Counter("recalls_open"), 0);
  EXPECT_EQ(w.Counter("alerts_open"), 0);
}

}  // namespace
}  // namespace traceledger::testing
