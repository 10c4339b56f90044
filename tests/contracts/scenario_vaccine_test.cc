// 浙苗链: a vaccine lot from the manufacturer to a vaccination site.
#include "world.h"

namespace traceledger::testing {
namespace {

const char* kGtin = "06901234567892";
std::string Dose(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "(01)06901234567892(21)D%04d", i);
  return buf;
}
const char* kCase = "(00)106141411234567897";

TEST(VaccineScenario, ManufacturerToVaccinationSite) {
  World w;
  Actor maker = w.Enroll("Zhejiang Vaccine Co", {"manufacturer"});
  Actor dist = w.Enroll("Hangzhou Pharma Distribution", {"distributor"});
  Actor cdc = w.Enroll("Xihu District CDC cold store", {"warehouse", "distributor"});
  Actor site = w.Enroll("Lingyin Community Vaccination Site", {"vaccination_site"});
  Actor carrier = w.Enroll("Cold Chain Logistics", {"logistics"});
  Actor pharmacy = w.Enroll("Corner Pharmacy", {"pharmacy"});

  EXPECT_OK(w.Run(
      maker.key, "product.register",
      {{"product_code", kGtin}, {"name", "Hepatitis B vaccine 10ug"}, {"category", "vaccine"}}));
  std::vector<std::string> doses;
  for (int i = 1; i <= 10; ++i) doses.push_back(Dose(i));
  EXPECT_OK(w.Run(maker.key, "trace.commission",
                  {{"product_code", kGtin},
                   {"lot", "HB2026A"},
                   {"expiry", "2027-06-30"},
                   {"codes", doses},
                   {"location", "Hangzhou plant"}}));
  EXPECT_EQ(w.Counter("items|active"), 10);
  EXPECT_OK(w.Run(maker.key, "trace.aggregate", {{"parent", kCase}, {"children", doses}}));

  // A dose packed in a case cannot travel alone.
  EXPECT_REJECTED(w.Run(maker.key, "trace.ship",
                        {{"shipment_id", "SH-0"},
                         {"codes", {Dose(1)}},
                         {"to", dist.uscc},
                         {"carrier", carrier.uscc},
                         {"vehicle", "浙A12345"}}),
                  "AGGREGATED");
  // Manufacturer -> distributor, the carrier logs readings inside 2-8 C.
  EXPECT_OK(w.Run(maker.key, "trace.ship",
                  {{"shipment_id", "SH-1"},
                   {"codes", {kCase}},
                   {"to", dist.uscc},
                   {"carrier", carrier.uscc},
                   {"vehicle", "浙A12345"},
                   {"expected_arrival", "2026-11-30T18:00:00Z"}}));
  EXPECT_EQ(w.Status(Dose(3)), "in_transit");
  EXPECT_REJECTED(w.Run(maker.key, "trace.ship",
                        {{"shipment_id", "SH-1b"},
                         {"codes", {kCase}},
                         {"to", cdc.uscc},
                         {"carrier", carrier.uscc},
                         {"vehicle", "x"}}),
                  "IN_TRANSIT");
  EXPECT_OK(w.Run(carrier.key, "trace.reading",
                  {{"shipment_id", "SH-1"},
                   {"device", "logger-7"},
                   {"readings",
                    {{{"time", "2026-11-30T08:00:10Z"}, {"celsius", 4.5}},
                     {{"time", "2026-11-30T08:05:10Z"}, {"celsius", 5.0}}}}}));
  EXPECT_EQ(w.Status(Dose(3)), "in_transit");
  EXPECT_REJECTED(w.Run(cdc.key, "trace.receive", {{"shipment_id", "SH-1"}}), "NOT_RECEIVER");
  EXPECT_REJECTED(w.Run(dist.key, "trace.receive", {{"shipment_id", "SH-404"}}),
                  "UNKNOWN_SHIPMENT");
  EXPECT_OK(w.Run(dist.key, "trace.receive", {{"shipment_id", "SH-1"}, {"condition", "good"}}));
  EXPECT_EQ(w.Item(Dose(3)).custodian, dist.uscc);
  EXPECT_TRUE(w.state.Get(keys::Holder(dist.uscc, Dose(3))).has_value());
  EXPECT_FALSE(w.state.Get(keys::Holder(maker.uscc, Dose(3))).has_value());

  // Distributor -> district CDC cold store.
  EXPECT_REJECTED(w.Run(maker.key, "trace.ship",
                        {{"shipment_id", "SH-2x"},
                         {"codes", {kCase}},
                         {"to", cdc.uscc},
                         {"carrier", carrier.uscc},
                         {"vehicle", "x"}}),
                  "NOT_CUSTODIAN");
  EXPECT_OK(w.Run(dist.key, "trace.ship",
                  {{"shipment_id", "SH-2"},
                   {"codes", {kCase}},
                   {"to", cdc.uscc},
                   {"carrier", carrier.uscc},
                   {"vehicle", "浙A54321"}}));
  EXPECT_OK(w.Run(cdc.key, "trace.receive", {{"shipment_id", "SH-2"}}));
  // CDC unpacks the case and sends two doses to the vaccination site.
  EXPECT_OK(w.Run(cdc.key, "trace.disaggregate", {{"parent", kCase}}));
  EXPECT_OK(w.Run(cdc.key, "trace.ship",
                  {{"shipment_id", "SH-3"},
                   {"codes", {Dose(1), Dose(2)}},
                   {"to", site.uscc},
                   {"carrier", carrier.uscc},
                   {"vehicle", "浙A00001"}}));
  EXPECT_OK(w.Run(site.key, "trace.receive", {{"shipment_id", "SH-3"}}));

  // The fridge at the site fails: 12 C is an excursion.
  size_t alerts_before = w.alerts.size();
  EXPECT_OK(w.Run(site.key, "trace.reading",
                  {{"codes", {Dose(1), Dose(2)}},
                   {"device", "fridge-1"},
                   {"readings", {{{"time", "2026-11-30T08:00:20Z"}, {"celsius", 12.0}}}}}));
  EXPECT_EQ(w.Status(Dose(1)), "quarantined");
  EXPECT_EQ(w.Status(Dose(2)), "quarantined");
  ASSERT_EQ(w.alerts.size(), alerts_before + 1);
  AlertRec alert = w.alerts.back();
  EXPECT_EQ(alert.kind, "temperature_excursion");
  EXPECT_TRUE(alert.open);
  EXPECT_TRUE(w.state.Get(keys::OpenAlert(alert.id)).has_value());
  EXPECT_EQ(w.Counter("alerts_open"), 1);

  // A quarantined dose is refused.
  Receipt refused =
      w.Run(site.key, "trace.dispense", {{"codes", {Dose(1)}}, {"kind", "administered"}});
  EXPECT_REJECTED(refused, "QUARANTINED");
  EXPECT_NE(refused.message.find(Dose(1)), std::string::npos);

  // The regulator checks and releases; the alert closes.
  EXPECT_REJECTED(w.Run(site.key, "regulator.release", {{"codes", {Dose(1)}}, {"reason", "x"}}),
                  "ROLE_FORBIDDEN");
  EXPECT_OK(w.Run(w.regulator, "regulator.release",
                  {{"codes", {Dose(1), Dose(2)}}, {"reason", "stability data reviewed"}}));
  EXPECT_EQ(w.Status(Dose(1)), "active");
  EXPECT_FALSE(w.state.Get(keys::OpenAlert(alert.id)).has_value());
  EXPECT_EQ(w.Counter("alerts_open"), 0);

  // A pharmacy may not administer vaccines; the site may, once.
  EXPECT_REJECTED(
      w.Run(pharmacy.key, "trace.dispense", {{"codes", {Dose(5)}}, {"kind", "administered"}}),
      "NOT_CUSTODIAN");
  EXPECT_REJECTED(w.Run(dist.key, "trace.dispense", {{"codes", {Dose(5)}}, {"kind", "sold"}}),
                  "ROLE_FORBIDDEN");
  EXPECT_REJECTED(w.Run(site.key, "trace.dispense", {{"codes", {Dose(1)}}, {"kind", "sold"}}),
                  "BAD_BODY");
  EXPECT_OK(w.Run(
      site.key, "trace.dispense",
      {{"codes", {Dose(1)}}, {"kind", "administered"}, {"recipient_hash", std::string(64, 'a')}}));
  EXPECT_EQ(w.Status(Dose(1)), "dispensed");
  EXPECT_FALSE(w.state.Get(keys::Holder(site.uscc, Dose(1))).has_value());  // out of circulation
  EXPECT_TRUE(w.state.Get(keys::Holder(site.uscc, Dose(2))).has_value());
  size_t activity = 0;  // receive, reading, dispense
  w.state.Scan(keys::ActivityPrefix(site.uscc), [&](auto, auto) { return ++activity, true; });
  EXPECT_EQ(activity, 3u);
  Receipt second =
      w.Run(site.key, "trace.dispense", {{"codes", {Dose(1)}}, {"kind", "administered"}});
  EXPECT_REJECTED(second, "ALREADY_ADMINISTERED");
  EXPECT_NE(second.message.find(Dose(1)), std::string::npos);
  // Terminal items never move again.
  EXPECT_REJECTED(w.Run(site.key, "trace.ship",
                        {{"shipment_id", "SH-9"},
                         {"codes", {Dose(1)}},
                         {"to", cdc.uscc},
                         {"carrier", carrier.uscc},
                         {"vehicle", "x"}}),
                  "TERMINAL");

  // The dose's history: commission, aggregate, ship, reading, receive, ... each
  // event extends the per-code chain; recomputed from events it equals the head.
  ItemRec d1 = w.Item(Dose(1));
  EXPECT_GE(d1.event_count, 10u);
  EXPECT_EQ(w.HeadFromEvents(Dose(1)), d1.head);
  EXPECT_EQ(w.Counter("dispensed|administered"), 1);
}

TEST(VaccineScenario, ExpiredDosesAreRefused) {
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  Actor site = w.Enroll("Site", {"vaccination_site"});
  EXPECT_OK(w.Run(maker.key, "product.register",
                  {{"product_code", kGtin}, {"name", "v"}, {"category", "vaccine"}}));
  EXPECT_REJECTED(w.Run(maker.key, "trace.commission",
                        {{"product_code", kGtin},
                         {"lot", "OLD"},
                         {"expiry", "2026-11-29"},
                         {"codes", {Dose(1)}},
                         {"location", "x"}}),
                  "EXPIRED");
  EXPECT_OK(w.Run(maker.key, "trace.commission",
                  {{"product_code", kGtin},
                   {"lot", "L1"},
                   {"expiry", "2026-11-30"},
                   {"codes", {Dose(1)}},
                   {"location", "x"}}));
  EXPECT_OK(w.Run(maker.key, "trace.ship",
                  {{"shipment_id", "S1"},
                   {"codes", {Dose(1)}},
                   {"to", site.uscc},
                   {"carrier", maker.uscc},
                   {"vehicle", "x"}}));
  EXPECT_OK(w.Run(site.key, "trace.receive", {{"shipment_id", "S1"}}));
  w.Advance(24LL * 3600 * 1000);  // into 2026-12-01
  Receipt r = w.Run(site.key, "trace.dispense", {{"codes", {Dose(1)}}, {"kind", "administered"}});
  EXPECT_REJECTED(r, "EXPIRED");
  EXPECT_NE(r.message.find("2026-11-30"), std::string::npos);
}

// A regulator expects a lot's expiry to follow from when it was made: a
// hepatitis B vaccine with a 24-month (730-day) shelf life made on 2026-11-30
// may expire on 2028-11-29 at the latest (2028 is a leap year).
TEST(VaccineScenario, ExpiryBeyondTheShelfLifeIsRefused) {
  World w;
  Actor maker = w.Enroll("Maker", {"manufacturer"});
  EXPECT_OK(w.Run(maker.key, "product.register",
                  {{"product_code", kGtin},
                   {"name", "Hepatitis B vaccine"},
                   {"category", "vaccine"},
                   {"shelf_life_days", 730}}));
  json lot = {{"product_code", kGtin},
              {"lot", "HB-LONG"},
              {"expiry", "2028-11-30"},
              {"codes", {Dose(1)}},
              {"location", "Yuhang plant"}};
  Receipt r = w.Run(maker.key, "trace.commission", lot);
  EXPECT_REJECTED(r, "SHELF_LIFE_EXCEEDED");
  for (const char* words :
       {"expiry 2028-11-30", "production date 2026-11-30", "shelf_life_days 730",
        "latest allowed expiry is 2028-11-29", "HB-LONG"})
    EXPECT_NE(r.message.find(words), std::string::npos) << words << " in " << r.message;
  // Refused means nothing was made: no lot, no dose.
  EXPECT_FALSE(w.state.Get(keys::Lot(kGtin, "HB-LONG")).has_value());
  EXPECT_FALSE(w.state.Get(keys::Item(Dose(1))).has_value());
  EXPECT_EQ(w.Counter("rejected|SHELF_LIFE_EXCEEDED"), 1);
  // The last day of the shelf life is allowed.
  lot["expiry"] = "2028-11-29";
  EXPECT_OK(w.Run(maker.key, "trace.commission", lot));

  // Late capture: a lot made in June and recorded today is judged by its
  // stated production time, so its expiry may not reach as far.
  json late = {{"product_code", kGtin},
               {"lot", "HB-JUNE"},
               {"expiry", "2028-06-01"},
               {"codes", {Dose(2)}},
               {"location", "Yuhang plant"}};
  int64_t june = *ParseRfc3339Millis("2026-06-01T09:00:00Z");
  r = w.Block({w.Tx(maker.key, "trace.commission", late, june)}).receipts.at(0);
  EXPECT_REJECTED(r, "SHELF_LIFE_EXCEEDED");
  EXPECT_NE(r.message.find("latest allowed expiry is 2028-05-31"), std::string::npos) << r.message;
  late["expiry"] = "2028-05-31";
  EXPECT_OK(w.Block({w.Tx(maker.key, "trace.commission", late, june)}).receipts.at(0));

  // A product without a stated shelf life keeps any future expiry.
  EXPECT_OK(w.Run(maker.key, "product.register",
                  {{"product_code", "VAX-NOSHELF"}, {"name", "v"}, {"category", "vaccine"}}));
  EXPECT_OK(w.Run(maker.key, "trace.commission",
                  {{"product_code", "VAX-NOSHELF"},
                   {"lot", "L1"},
                   {"expiry", "2036-01-01"},
                   {"codes", {"NS-1"}},
                   {"location", "x"}}));
}

}  // namespace
}  // namespace traceledger::testing
