// The demo's histories (DESIGN.md §4): 浙苗链 vaccines, 浙冷链 imported frozen
// shrimp, 浙食链 farm-to-salad with an inspection gate and a recall.
#include <string>
#include <vector>

#include "tools/demo_load.h"

namespace traceledger::cli {

using nlohmann::json;

namespace {

#define DEMO_TRY(expr)                \
  do {                                \
    auto _r = (expr);                 \
    if (!_r.ok()) return _r.status(); \
  } while (0)

#define DEMO_NOTE(label, expr)        \
  do {                                \
    auto _r = (expr);                 \
    if (!_r.ok()) return _r.status(); \
    d.tx_lookups[label] = _r.value(); \
  } while (0)

#define DEMO_ENROLL(var, expr)                \
  auto var##_r = (expr);                      \
  if (!var##_r.ok()) return var##_r.status(); \
  const Party var = var##_r.value()

std::vector<std::string> Items(const std::string& gtin, const std::string& prefix, int from,
                               int to) {
  std::vector<std::string> v;
  for (int i = from; i <= to; ++i) {
    char serial[32];
    std::snprintf(serial, sizeof serial, "%s%04d", prefix.c_str(), i);
    v.push_back(Demo::Item(gtin, serial));
  }
  return v;
}

json Ship(const std::string& id, const std::vector<std::string>& codes, const Party& to,
          const Party& carrier, const std::string& vehicle) {
  return {{"shipment_id", id},  {"codes", codes},
          {"to", to.uscc},      {"carrier", carrier.uscc},
          {"vehicle", vehicle}, {"expected_arrival", Demo::Time(6 * 3600 * 1000)}};
}

json Readings(std::initializer_list<double> celsius) {
  json r = json::array();
  int64_t back = static_cast<int64_t>(celsius.size()) * 60000;
  for (double c : celsius) {
    r.push_back({{"time", Demo::Time(-back)}, {"celsius", c}});
    back -= 60000;
  }
  return r;
}

}  // namespace

// 浙苗链: manufacturer -> distributor -> district CDC cold store -> vaccination site.
Status PlayVaccines(Demo& d) {
  const Party& reg = d.regulator();
  DEMO_ENROLL(maker, d.Enroll("浙江天元生物疫苗有限公司 Zhejiang Tianyuan Vaccines", "330100",
                              {"manufacturer"}));
  DEMO_ENROLL(dist, d.Enroll("浙江英特医药配送有限公司 Intel Pharma Distribution", "330100",
                             {"distributor"}));
  DEMO_ENROLL(cdc, d.Enroll("杭州市西湖区疾病预防控制中心 Xihu District CDC cold store", "330106",
                            {"warehouse", "distributor"}));
  DEMO_ENROLL(site, d.Enroll("灵隐街道社区卫生服务中心 Lingyin Vaccination Site", "330106",
                             {"vaccination_site"}));
  DEMO_ENROLL(carrier, d.Enroll("浙江冷运医药物流有限公司 Cold Chain Medical Logistics", "330100",
                                {"logistics"}));

  const std::string gtin = d.Gtin(1);
  const std::string lot = "HB" + d.RunTag().substr(0, 4) + "A";
  DEMO_TRY(d.Step(maker, "product.register",
                  {{"product_code", gtin},
                   {"name", "乙型肝炎疫苗 Hepatitis B vaccine 10µg"},
                   {"category", "vaccine"},
                   {"shelf_life_days", 730}},
                  "register the Hepatitis B vaccine (2-8 C)"));
  std::vector<std::string> doses = Items(gtin, "D", 1, 20);
  DEMO_TRY(d.Step(maker, "trace.commission",
                  {{"product_code", gtin},
                   {"lot", lot},
                   {"expiry", Demo::Day(365)},
                   {"codes", doses},
                   {"location", "杭州余杭生产基地 Yuhang plant"}},
                  "commission 20 doses of lot " + lot));
  const std::string box = d.Sscc(1);
  d.codes += static_cast<int>(doses.size());
  DEMO_TRY(d.Step(maker, "trace.aggregate", {{"parent", box}, {"children", doses}},
                  "pack the 20 doses into case " + box));
  const std::string sh1 = d.Id("VX-SH1"), sh2 = d.Id("VX-SH2"), sh3 = d.Id("VX-SH3");
  DEMO_TRY(d.Step(maker, "trace.ship", Ship(sh1, {box}, dist, carrier, "浙A·C1234"),
                  "ship the case to the distributor"));
  DEMO_TRY(d.Step(
      carrier, "trace.reading",
      {{"shipment_id", sh1}, {"device", "logger-17"}, {"readings", Readings({4.6, 5.1, 5.4})}},
      "truck logger 4.6-5.4 C on the way"));
  DEMO_TRY(d.Step(dist, "trace.receive", {{"shipment_id", sh1}, {"condition", "good"}},
                  "distributor receives the case"));
  DEMO_TRY(d.Step(dist, "trace.ship", Ship(sh2, {box}, cdc, carrier, "浙A·C5678"),
                  "ship the case to the Xihu district CDC"));
  DEMO_TRY(
      d.Step(carrier, "trace.reading",
             {{"shipment_id", sh2}, {"device", "logger-17"}, {"readings", Readings({4.9, 5.2})}},
             "truck logger 4.9-5.2 C"));
  DEMO_TRY(d.Step(cdc, "trace.receive", {{"shipment_id", sh2}}, "CDC cold store receives"));
  DEMO_TRY(d.Step(cdc, "trace.disaggregate", {{"parent", box}}, "CDC unpacks the case"));
  std::vector<std::string> to_site(doses.begin(), doses.begin() + 6);
  DEMO_TRY(d.Step(cdc, "trace.ship", Ship(sh3, to_site, site, carrier, "浙A·C0001"),
                  "ship 6 doses to the vaccination site"));
  DEMO_TRY(d.Step(site, "trace.receive", {{"shipment_id", sh3}}, "vaccination site receives"));
  DEMO_TRY(d.Step(site, "trace.reading",
                  {{"codes", to_site}, {"device", "fridge-1"}, {"readings", Readings({3.8, 4.2})}},
                  "site fridge 3.8-4.2 C"));
  // The fridge holding doses 5 and 6 fails.
  std::vector<std::string> warm = {doses[4], doses[5]};
  DEMO_NOTE("vaccine: temperature excursion",
            d.Step(site, "trace.reading",
                   {{"codes", warm}, {"device", "fridge-2"}, {"readings", Readings({7.5, 11.8})}},
                   "site fridge-2 reads 11.8 C: excursion, doses 5-6 quarantined"));
  DEMO_NOTE("vaccine: refused administration",
            d.Step(site, "trace.dispense", {{"codes", {doses[4]}}, {"kind", "administered"}},
                   "administer quarantined dose 5", "QUARANTINED"));
  DEMO_TRY(d.Step(reg, "regulator.release",
                  {{"codes", warm}, {"reason", "稳定性数据已复核 stability data reviewed"}},
                  "regulator reviews and releases doses 5-6"));
  for (int i = 0; i < 5; ++i) {
    DEMO_TRY(d.Step(
        site, "trace.dispense",
        {{"codes", {doses[i]}},
         {"kind", "administered"},
         {"recipient_hash", Demo::Sha256Hex("recipient-" + d.RunTag() + "-" + std::to_string(i))}},
        "administer dose " + std::to_string(i + 1)));
  }
  auto twice = d.Step(site, "trace.dispense", {{"codes", {doses[0]}}, {"kind", "administered"}},
                      "administer dose 1 a second time", "ALREADY_ADMINISTERED");
  DEMO_TRY(twice);
  d.lookups["vaccine dose (administered)"] = doses[0];
  d.lookups["vaccine dose (excursion, released)"] = doses[4];
  d.lookups["vaccine dose (still at the CDC)"] = doses[10];
  d.lookups["vaccine case (SSCC)"] = box;
  return Status::OK();
}

// 浙冷链: imported frozen shrimp held at the first cold store until its four
// documents are attached.
Status PlayImportedShrimp(Demo& d) {
  const Party& reg = d.regulator();
  DEMO_ENROLL(importer,
              d.Enroll("宁波海洋水产进出口有限公司 Ningbo Seafood Import", "330200", {"importer"}));
  DEMO_ENROLL(store,
              d.Enroll("北仑港冷链仓储中心 Beilun Port Cold Store", "330206", {"warehouse"}));
  DEMO_ENROLL(dist, d.Enroll("杭州农副产品物流中心 Hangzhou Agri-Food Logistics Centre", "330100",
                             {"distributor"}));
  DEMO_ENROLL(shop, d.Enroll("盒马鲜生滨江店 Hema Fresh Binjiang", "330108", {"retailer"}));
  DEMO_ENROLL(
      lab, d.Enroll("浙江省食品药品检验研究院 Zhejiang Food & Drug Institute", "330100", {"lab"}));
  DEMO_ENROLL(truck, d.Enroll("甬冷物流有限公司 Ningbo Reefer Logistics", "330200", {"logistics"}));

  const std::string gtin = d.Gtin(2);
  const std::string lot = "EC" + d.RunTag().substr(0, 4);
  DEMO_TRY(d.Step(importer, "product.register",
                  {{"product_code", gtin},
                   {"name", "厄瓜多尔冻南美白对虾 Frozen white shrimp 1kg"},
                   {"category", "cold_chain_food"}},
                  "register frozen shrimp (<= -18 C)"));
  std::vector<std::string> boxes = Items(gtin, "EC", 1, 8);
  DEMO_TRY(d.Step(importer, "trace.commission",
                  {{"product_code", gtin},
                   {"lot", lot},
                   {"expiry", Demo::Day(300)},
                   {"codes", boxes},
                   {"location", "宁波舟山港 Ningbo-Zhoushan port"},
                   {"origin_country", "EC"}},
                  "commission 8 boxes imported from Ecuador"));
  d.codes += static_cast<int>(boxes.size());
  const std::string p1 = d.Id("CC-P1"), p2 = d.Id("CC-P2"), p3 = d.Id("CC-P3");
  DEMO_TRY(d.Step(importer, "trace.ship", Ship(p1, boxes, store, truck, "浙B·L8899"),
                  "port -> first cold store"));
  DEMO_TRY(
      d.Step(truck, "trace.reading",
             {{"shipment_id", p1}, {"device", "reefer-9"}, {"readings", Readings({-21.5, -20.8})}},
             "reefer -21.5..-20.8 C"));
  DEMO_TRY(d.Step(store, "trace.receive", {{"shipment_id", p1}}, "cold store receives"));
  json onward = Ship(p2, boxes, dist, truck, "浙B·L6677");
  DEMO_NOTE(
      "shrimp: DOCUMENTS_MISSING refusal",
      d.Step(store, "trace.ship", onward, "ship on before the documents", "DOCUMENTS_MISSING"));
  auto doc = [&](const char* type, const std::string& id, const char* issuer) {
    return json{
        {"product_code", gtin},          {"lot", lot},      {"doc_type", type}, {"doc_id", id},
        {"sha256", Demo::Sha256Hex(id)}, {"issuer", issuer}};
  };
  DEMO_TRY(d.Step(importer, "trace.document",
                  doc("customs_declaration", d.Id("CD-3101"), "宁波海关 Ningbo Customs"),
                  "attach the customs declaration"));
  DEMO_TRY(d.Step(reg, "trace.document",
                  doc("quarantine_certificate", d.Id("QC-0412"), "宁波海关 Ningbo Customs"),
                  "attach the quarantine certificate"));
  DEMO_TRY(d.Step(lab, "trace.document",
                  doc("nucleic_acid_test", d.Id("NAT-7781"), "浙江省食品药品检验研究院"),
                  "attach the nucleic-acid test"));
  DEMO_TRY(d.Step(store, "trace.ship", onward, "ship on with one document still missing",
                  "DOCUMENTS_MISSING"));
  DEMO_TRY(d.Step(store, "trace.document",
                  doc("disinfection_certificate", d.Id("DS-0019"), "北仑港冷链仓储中心"),
                  "attach the disinfection certificate"));
  DEMO_TRY(d.Step(store, "trace.ship", onward, "ship on to the distributor"));
  DEMO_TRY(
      d.Step(truck, "trace.reading",
             {{"shipment_id", p2}, {"device", "reefer-12"}, {"readings", Readings({-19.6, -19.1})}},
             "reefer -19.6..-19.1 C"));
  DEMO_TRY(d.Step(dist, "trace.receive", {{"shipment_id", p2}}, "distributor receives"));
  std::vector<std::string> to_shop(boxes.begin(), boxes.begin() + 4);
  DEMO_TRY(d.Step(dist, "trace.ship", Ship(p3, to_shop, shop, truck, "浙A·F2020"),
                  "ship 4 boxes to the supermarket"));
  DEMO_TRY(d.Step(shop, "trace.receive", {{"shipment_id", p3}}, "supermarket receives"));
  DEMO_TRY(d.Step(shop, "trace.dispense", {{"codes", {to_shop[0], to_shop[1]}}, {"kind", "sold"}},
                  "sell 2 boxes"));
  d.lookups["shrimp box (sold)"] = to_shop[0];
  d.lookups["shrimp box (at the distributor)"] = boxes[6];
  return Status::OK();
}

// 浙食链: vegetables into packaged salad, refused at retail until an inspection
// passes; then a recall of the vegetable lot reaches the salad.
Status PlayFarmToSaladAndRecall(Demo& d) {
  const Party& reg = d.regulator();
  DEMO_ENROLL(farm, d.Enroll("萧山绿源蔬菜专业合作社 Xiaoshan Green Vegetable Co-op", "330109",
                             {"producer"}));
  DEMO_ENROLL(factory, d.Enroll("杭州鲜享食品有限公司 Hangzhou Fresh Salad Factory", "330110",
                                {"manufacturer"}));
  DEMO_ENROLL(shop,
              d.Enroll("联华超市文三路店 Lianhua Supermarket Wensan Rd", "330106", {"retailer"}));
  DEMO_ENROLL(lab, d.Enroll("杭州市食品安全检测中心 Hangzhou Food Safety Testing Centre", "330100",
                            {"lab"}));

  const std::string lettuce = d.Gtin(3), salad = d.Gtin(4);
  const std::string veg_lot = "XS" + d.RunTag().substr(0, 4);
  const std::string salad_lot = "SAL" + d.RunTag().substr(0, 4);
  DEMO_TRY(
      d.Step(farm, "product.register",
             {{"product_code", lettuce}, {"name", "生菜 Lettuce crate 5kg"}, {"category", "food"}},
             "register lettuce crates"));
  std::vector<std::string> crates = Items(lettuce, "LT", 1, 6);
  DEMO_TRY(d.Step(farm, "trace.commission",
                  {{"product_code", lettuce},
                   {"lot", veg_lot},
                   {"expiry", Demo::Day(7)},
                   {"codes", crates},
                   {"location", "萧山益农镇4号田 Xiaoshan field 4"}},
                  "harvest 6 crates, lot " + veg_lot));
  d.codes += static_cast<int>(crates.size());
  const std::string v1 = d.Id("FD-V1"), v2 = d.Id("FD-V2");
  std::vector<std::string> to_factory(crates.begin(), crates.begin() + 4);
  DEMO_TRY(d.Step(farm, "trace.ship", Ship(v1, to_factory, factory, farm, "浙A·V3344"),
                  "farm ships 4 crates to the salad factory"));
  DEMO_TRY(d.Step(factory, "trace.receive", {{"shipment_id", v1}}, "factory receives"));
  DEMO_TRY(d.Step(factory, "product.register",
                  {{"product_code", salad},
                   {"name", "田园沙拉 Packaged garden salad 200g"},
                   {"category", "food"},
                   {"temp_profile", "chilled"},
                   {"requires_inspection", true},
                   {"shelf_life_days", 3}},
                  "register packaged salad (0-4 C, inspection required)"));
  std::vector<std::string> packs = Items(salad, "S", 1, 10);
  DEMO_TRY(d.Step(
      factory, "trace.transform",
      {{"inputs", to_factory},
       {"outputs",
        {{"product_code", salad}, {"lot", salad_lot}, {"expiry", Demo::Day(3)}, {"codes", packs}}}},
      "turn 4 crates into 10 salad packs, lot " + salad_lot));
  d.codes += static_cast<int>(packs.size());
  std::vector<std::string> to_shop(packs.begin(), packs.begin() + 8);
  DEMO_TRY(d.Step(factory, "trace.ship", Ship(v2, to_shop, shop, factory, "浙A·V5566"),
                  "ship 8 packs to the supermarket"));
  DEMO_TRY(d.Step(factory, "trace.reading",
                  {{"shipment_id", v2}, {"device", "van-3"}, {"readings", Readings({2.4, 3.1})}},
                  "van 2.4-3.1 C"));
  DEMO_TRY(d.Step(shop, "trace.receive", {{"shipment_id", v2}}, "supermarket receives"));
  DEMO_TRY(d.Step(shop, "trace.dispense", {{"codes", {packs[0]}}, {"kind", "sold"}},
                  "sell a pack before any inspection", "INSPECTION_REQUIRED"));
  const std::string report = d.Id("INS-5521");
  DEMO_TRY(d.Step(lab, "trace.inspect",
                  {{"product_code", salad},
                   {"lot", salad_lot},
                   {"result", "pass"},
                   {"report_id", report},
                   {"sha256", Demo::Sha256Hex(report)}},
                  "lab inspection of lot " + salad_lot + " passes"));
  DEMO_TRY(d.Step(shop, "trace.dispense", {{"codes", {packs[0], packs[1]}}, {"kind", "sold"}},
                  "sell 2 packs"));

  // Listeria found in the lettuce lot: the recall follows it into the salad.
  const std::string rc = d.Id("RC");
  DEMO_NOTE("salad: recall issued",
            d.Step(reg, "recall.issue",
                   {{"recall_id", rc},
                    {"product_code", lettuce},
                    {"lots", {veg_lot}},
                    {"level", 1},
                    {"reason", "单核细胞增生李斯特菌 Listeria monocytogenes"}},
                   "recall lettuce lot " + veg_lot + " (reaches the salad made from it)"));
  DEMO_TRY(d.Step(shop, "trace.dispense", {{"codes", {packs[2]}}, {"kind", "sold"}},
                  "sell a recalled salad pack", "RECALLED"));
  std::vector<std::string> at_farm(crates.begin() + 4, crates.end());
  std::vector<std::string> at_factory(packs.begin() + 8, packs.end());
  std::vector<std::string> at_shop(packs.begin() + 2, packs.begin() + 8);
  DEMO_TRY(d.Step(farm, "recall.respond",
                  {{"recall_id", rc}, {"codes", at_farm}, {"action", "destroyed"}},
                  "farm destroys its 2 crates"));
  DEMO_TRY(d.Step(factory, "recall.respond",
                  {{"recall_id", rc}, {"codes", at_factory}, {"action", "destroyed"}},
                  "factory destroys its 2 packs"));
  DEMO_TRY(d.Step(shop, "recall.respond",
                  {{"recall_id", rc}, {"codes", at_shop}, {"action", "returned"}},
                  "supermarket returns its 6 packs (the recall closes itself)"));
  DEMO_TRY(d.Step(reg, "recall.close", {{"recall_id", rc}, {"reason", "check"}},
                  "close the recall again", "RECALL_CLOSED"));
  d.lookups["lettuce crate (transformed)"] = crates[0];
  d.lookups["salad pack (sold before the recall)"] = packs[0];
  d.lookups["salad pack (returned in the recall)"] = packs[2];
  d.lookups["recall"] = rc;
  return Status::OK();
}

}  // namespace traceledger::cli
