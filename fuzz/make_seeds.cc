// Writes the fuzz targets' seed corpus and fixed data (docs/testing.md):
//
//   build/bin/fuzz_make_seeds fuzz/
//
// fills fuzz/corpus/<target>/ and fuzz/data/ from real material: envelopes
// and answers of a dev node (tests/api/test_node.h) with a GS1 food lot that
// has an inspection, documents and a recall, the frames a validator receives
// from a leader in a three-node network, the contracts' synthetic workload,
// the genesis examples, and the element strings and Digital Links of
// docs/api.md. Run it again after a format changes; commit what it wrote.
// (The dev node's keys are new on every run, so the data changes each time.)
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "../tests/api/test_node.h"
#include "consensus/codec.h"
#include "contract_world.h"
#include "contracts/state.h"
#include "contracts/workload.h"
#include "genesis/genesis_writer.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"
#include "node.pb.h"
#include "node/node_core.h"
#include "peer_world.h"
#include "tools/trace_verify.h"

namespace traceledger::fuzz {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path out_dir;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::path dir = out_dir / "corpus" / target;
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

void WriteData(const std::string& rel, const std::string& bytes) {
  fs::path p = out_dir / "data" / rel;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Gtin(const std::string& first13) {
  return first13 + static_cast<char>('0' + Gs1CheckDigit(first13));
}

// ---------------- contracts ----------------

// The fuzz encoding of one transaction (fuzz/contract_world.h).
std::string TxBytes(const ContractWorld& w, const Envelope& e, uint8_t flags = 0) {
  size_t signer = w.signers.size() - 1;
  for (size_t i = 0; i < w.signers.size(); ++i)
    if (w.signers[i] == e.signer) signer = i;
  size_t type = kTypeCount - 1;
  for (size_t i = 0; i < kTypeCount; ++i)
    if (e.type == kTxTypes[i]) type = i;
  if (e.chain_id != w.genesis.chain_id) flags |= 0x10;
  std::string s;
  s.push_back(static_cast<char>(signer));
  s.push_back(static_cast<char>(type));
  s.push_back(static_cast<char>(flags));
  s += e.body.dump();
  return s;
}

std::string TxBytes(const ContractWorld& w, size_t signer, const std::string& type,
                    const json& body) {
  size_t t = kTypeCount - 1;
  for (size_t i = 0; i < kTypeCount; ++i)
    if (type == kTxTypes[i]) t = i;
  std::string s;
  s.push_back(static_cast<char>(signer));
  s.push_back(static_cast<char>(t));
  s.push_back('\0');
  s += body.dump();
  return s;
}

void ContractSeeds() {
  const ContractWorld& w = ContractWorld::Get();
  // The workload's next transactions: they name the fixed state's codes.
  Workload load(w.genesis, w.signers[0], WorkloadOptions{20261130});
  load.Setup();
  int64_t t = w.genesis.genesis_time_ms + 2000;
  for (int i = 0; i < 6; ++i) load.Next(200, t += 500);
  std::vector<Envelope> next = load.Next(96, w.time_ms + 1000);
  std::map<std::string, int> per_type;
  for (size_t i = 0; i < next.size(); ++i) {
    if (per_type[next[i].type]++ < 3)
      Write("contract_body", "workload-" + next[i].type + "-" + std::to_string(i),
            TxBytes(w, next[i]));
  }
  for (size_t b = 0; b < 4; ++b) {
    std::string block(1, static_cast<char>(b == 3));  // the last one 4 days later
    for (size_t i = b * 24; i < (b + 1) * 24 && i < next.size(); ++i) {
      if (i > b * 24) block.push_back('\0');
      block += TxBytes(w, next[i]);
    }
    Write("contract_block", "workload-block-" + std::to_string(b), block);
  }

  // A body for every type, naming what the fixed state holds.
  std::map<std::string, size_t> signer_of_uscc;  // USCC -> signer index
  std::map<size_t, std::string> uscc_of;
  std::map<size_t, std::string> role_of;
  for (size_t i = 1; i + 1 < w.signers.size(); ++i) {
    auto u = w.state.Get(keys::SignerKey(w.signers[i]));
    if (!u) continue;
    signer_of_uscc[*u] = i;
    uscc_of[i] = *u;
    EnterpriseRec e;
    if (auto v = w.state.Get(keys::Enterprise(*u)); v && Decode(*v, &e))
      role_of[i] = RolesToString(e.roles);
  }
  auto signer_with = [&](const std::string& role) -> size_t {
    for (const auto& [i, r] : role_of)
      if (r.find(role) != std::string::npos) return i;
    return 1;
  };
  std::map<size_t, std::vector<std::string>> active;  // signer -> active, unpacked items
  std::vector<std::string> cases;
  std::map<std::string, std::string> case_holder;
  std::string a_lot_product, a_lot;
  w.state.Scan("c|", [&](std::string_view, std::string_view v) {
    ItemRec it;
    if (!Decode(v, &it)) return true;
    if (it.child_count > 0 && it.Status() == ItemStatus::kActive) {
      cases.push_back(it.code);
      case_holder[it.code] = it.custodian;
    }
    if (it.Status() == ItemStatus::kActive && it.parent.empty() && !it.product_code.empty() &&
        signer_of_uscc.count(it.custodian)) {
      active[signer_of_uscc[it.custodian]].push_back(it.code);
      if (a_lot.empty()) {
        a_lot_product = it.product_code;
        a_lot = it.lot;
      }
    }
    return true;
  });
  std::string open_shipment, ship_to, ship_carrier;
  w.state.Scan("s|", [&](std::string_view, std::string_view v) {
    ShipmentRec s;
    if (Decode(v, &s) && s.open && open_shipment.empty()) {
      open_shipment = s.id;
      ship_to = s.to;
      ship_carrier = s.carrier;
    }
    return true;
  });
  std::string recall_id, recall_code, recall_holder;
  w.state.Scan("ro|", [&](std::string_view k, std::string_view v) {
    if (!recall_id.empty()) return false;
    std::string key(k.substr(3));
    recall_id = key.substr(0, key.find('|'));
    recall_code = key.substr(key.find('|') + 1);
    recall_holder = std::string(v);
    return false;
  });
  size_t maker = 1;  // the workload's enterprise 0: a manufacturer of PRD-0
  std::vector<std::string> held;
  size_t holder = maker;
  for (const auto& [i, codes] : active) {
    if (codes.size() >= 3) {
      holder = i;
      held = codes;
      break;
    }
  }
  if (held.size() < 3) held = {"NONE-1", "NONE-2", "NONE-3"};
  std::string other_uscc = uscc_of.count(holder + 13) ? uscc_of[holder + 13] : uscc_of[20];
  std::string carrier = uscc_of[signer_with("logistics")];
  std::string new_key = ToHex(std::string(1, '\x02') + Hash(HashAlg::kSha256, "a new key"));
  std::string new_uscc = "91330100MA9" + std::string("ZZZZZZ").substr(0, 0) + "000001";
  new_uscc = new_uscc.substr(0, 17);
  new_uscc += UsccCheckChar(new_uscc);
  std::string sha(64, 'a');
  std::string sscc = "00690123456789012";
  sscc += static_cast<char>('0' + Gs1CheckDigit(sscc));
  std::string later = FormatRfc3339Millis(w.time_ms + 86400000);
  std::string expiry = FormatRfc3339Millis(w.time_ms + 200LL * 86400000).substr(0, 10);
  std::vector<std::pair<std::string, std::string>> bodies = {
      {"registry.enroll", TxBytes(w, 0, "registry.enroll",
                                  {{"uscc", new_uscc},
                                   {"name", "新企业"},
                                   {"roles", {"retailer", "pharmacy"}},
                                   {"public_key", new_key},
                                   {"region", "330100"}})},
      {"registry.add_regulator",
       TxBytes(w, 0, "registry.add_regulator",
               {{"name", "杭州市市场监督管理局"}, {"public_key", new_key}})},
      {"registry.suspend",
       TxBytes(w, 0, "registry.suspend", {{"uscc", uscc_of[holder]}, {"reason", "检查"}})},
      {"registry.reinstate",
       TxBytes(w, 0, "registry.reinstate", {{"uscc", uscc_of[holder]}, {"reason", "ok"}})},
      {"registry.rotate_key",
       TxBytes(w, holder, "registry.rotate_key", {{"new_public_key", new_key}})},
      {"product.register", TxBytes(w, maker, "product.register",
                                   {{"product_code", Gtin("0690123456700")},
                                    {"name", "鲜牛奶 1L"},
                                    {"category", "food"},
                                    {"temp_min_c", 0},
                                    {"temp_max_c", 4.5},
                                    {"shelf_life_days", 7},
                                    {"requires_inspection", true}})},
      {"trace.commission", TxBytes(w, maker, "trace.commission",
                                   {{"product_code", "PRD-0"},
                                    {"lot", "FZLOT1"},
                                    {"expiry", expiry},
                                    {"codes", {"PRD-0-F1", "PRD-0-F2"}},
                                    {"location", "杭州"}})},
      {"trace.document", TxBytes(w, holder, "trace.document",
                                 {{"codes", {held[0]}},
                                  {"doc_type", "quarantine_certificate"},
                                  {"doc_id", "QC-1"},
                                  {"sha256", sha},
                                  {"issuer", "海关"}})},
      {"trace.document-lot", TxBytes(w, 0, "trace.document",
                                     {{"product_code", a_lot_product},
                                      {"lot", a_lot},
                                      {"doc_type", "customs_declaration"},
                                      {"doc_id", "CD-1"},
                                      {"sha256", sha},
                                      {"issuer", "海关"}})},
      {"trace.aggregate", TxBytes(w, holder, "trace.aggregate",
                                  {{"parent", "(00)" + sscc}, {"children", {held[0], held[1]}}})},
      {"trace.disaggregate",
       TxBytes(w, cases.empty() ? holder : signer_of_uscc[case_holder[cases[0]]],
               "trace.disaggregate", {{"parent", cases.empty() ? "CASE1" : cases[0]}})},
      {"trace.ship", TxBytes(w, holder, "trace.ship",
                             {{"shipment_id", "FZ-SH-1"},
                              {"codes", {held[0], held[2]}},
                              {"to", other_uscc},
                              {"carrier", carrier},
                              {"vehicle", "浙A00001"},
                              {"expected_arrival", later}})},
      {"trace.receive", TxBytes(w, signer_of_uscc[ship_to], "trace.receive",
                                {{"shipment_id", open_shipment}, {"condition", "damaged"}})},
      {"trace.reading",
       TxBytes(w, signer_of_uscc[ship_carrier], "trace.reading",
               {{"shipment_id", open_shipment},
                {"device", "logger-1"},
                {"readings",
                 {{{"time", FormatRfc3339Millis(w.time_ms - 5000)}, {"celsius", 30.5}},
                  {{"time", FormatRfc3339Millis(w.time_ms - 4000)}, {"celsius", -30}}}}})},
      {"trace.reading-codes",
       TxBytes(
           w, holder, "trace.reading",
           {{"codes", {held[1]}},
            {"device", "fridge"},
            {"readings", {{{"time", FormatRfc3339Millis(w.time_ms - 5000)}, {"celsius", 3}}}}})},
      {"trace.transform", TxBytes(w, maker, "trace.transform",
                                  {{"inputs", {held[0]}},
                                   {"outputs",
                                    {{"product_code", "PRD-0"},
                                     {"lot", "FZOUT"},
                                     {"expiry", expiry},
                                     {"codes", {"PRD-0-T1"}}}}})},
      {"trace.inspect", TxBytes(w, signer_with("lab"), "trace.inspect",
                                {{"product_code", a_lot_product},
                                 {"lot", a_lot},
                                 {"result", "fail"},
                                 {"report_id", "RPT-9"},
                                 {"sha256", sha}})},
      {"trace.dispense",
       TxBytes(w, holder, "trace.dispense",
               {{"codes", {held[1]}}, {"kind", "sold"}, {"recipient_hash", sha}})},
      {"trace.destroy", TxBytes(w, 0, "trace.destroy", {{"codes", {held[2]}}, {"reason", "损坏"}})},
      {"regulator.quarantine",
       TxBytes(w, 0, "regulator.quarantine", {{"codes", {held[0], held[1]}}, {"reason", "抽检"}})},
      {"regulator.release",
       TxBytes(w, 0, "regulator.release", {{"codes", {held[0]}}, {"reason", "合格"}})},
      {"recall.issue", TxBytes(w, 0, "recall.issue",
                               {{"recall_id", "FZ-RC-1"},
                                {"product_code", a_lot_product},
                                {"lots", {a_lot}},
                                {"level", 1},
                                {"reason", "农药残留超标"}})},
      {"recall.respond",
       TxBytes(w, signer_of_uscc.count(recall_holder) ? signer_of_uscc[recall_holder] : holder,
               "recall.respond",
               {{"recall_id", recall_id.empty() ? "RC1" : recall_id},
                {"codes", {recall_code.empty() ? held[0] : recall_code}},
                {"action", "returned"}})},
      {"recall.close",
       TxBytes(w, 0, "recall.close",
               {{"recall_id", recall_id.empty() ? "RC1" : recall_id}, {"reason", "结束"}})},
      {"unknown-type", TxBytes(w, holder, "trace.teleport", json::object())},
  };
  std::string all(1, '\0');
  for (size_t i = 0; i < bodies.size(); ++i) {
    Write("contract_body", "type-" + bodies[i].first, bodies[i].second);
    if (i) all.push_back('\0');
    all += bodies[i].second;
  }
  Write("contract_block", "every-type", all);
  // Dependent transactions in one block: ship, then receive what was shipped.
  std::string chain(1, '\0');
  chain += bodies[11].second;
  chain.push_back('\0');
  chain += TxBytes(w, holder + 13, "trace.receive", {{"shipment_id", "FZ-SH-1"}});
  Write("contract_block", "ship-then-receive", chain);
  std::cout << "contracts: " << bodies.size() << " bodies, holder " << holder << " with "
            << held.size() << " items, shipment " << open_shipment << ", recall " << recall_id
            << "\n";
}

// ---------------- a dev node: envelopes, requests, trace answers ----------------

struct DevRun {
  std::string genesis;
  std::vector<std::string> envelopes;  // signed, accepted
  std::string item, item_page, lot;    // trace answers
  std::string gtin, lot_id, code;
};

DevRun RunDevNode() {
  DevRun run;
  api::testing::TestNode node("seeds");
  if (!node.ok()) {
    std::cerr << "dev node: " << node.error() << "\n";
    std::exit(1);
  }
  std::string why = node.VaccineJourney() + node.MoreDemo();
  // A GS1 food lot with an inspection, lot and code documents, a shipment with
  // readings, and a recall: its answers carry every part of the proof.
  std::string g = Gtin("0690123456012");
  run.gtin = g;
  run.lot_id = "L2026-12";
  run.code = "(01)" + g + "(21)S1";
  auto p = node.Enroll("临安山核桃合作社", {"producer"}, "330185", &why);
  auto r = node.Enroll("杭州联华超市", {"retailer"}, "330102", &why);
  auto l = node.Enroll("顺丰冷运", {"logistics"}, "330106", &why);
  auto b = node.Enroll("浙江省检验检疫科学技术研究院", {"lab"}, "330106", &why);
  auto sign = [&](const KeyPair& k, const std::string& type, const json& body) {
    json payload = {{"chain_id", node.node()->genesis().chain_id},
                    {"type", type},
                    {"nonce", "seed-" + std::to_string(run.envelopes.size())},
                    {"time", FormatRfc3339Millis(api::testing::NowMs())},
                    {"body", body}};
    std::string env = *SignEnvelope(k.private_key, payload.dump(), HashAlg::kSha256);
    auto res = node.Call("POST", "/v1/transactions?wait=commit", env);
    if (res.status != 200) why += type + " -> " + res.body + "\n";
    run.envelopes.push_back(env);
  };
  std::vector<std::string> codes = {run.code, "(01)" + g + "(21)S2", "(01)" + g + "(21)S3"};
  sign(p.key, "product.register",
       {{"product_code", g},
        {"name", "临安山核桃 500g"},
        {"category", "food"},
        {"requires_inspection", true}});
  sign(p.key, "trace.commission",
       {{"product_code", g},
        {"lot", run.lot_id},
        {"expiry", "2030-12-31"},
        {"codes", codes},
        {"location", "杭州市临安区"}});
  sign(b.key, "trace.inspect",
       {{"product_code", g},
        {"lot", run.lot_id},
        {"result", "pass"},
        {"report_id", "ZJ-2026-0042"},
        {"sha256", std::string(64, 'c')}});
  sign(p.key, "trace.document",
       {{"product_code", g},
        {"lot", run.lot_id},
        {"doc_type", "inspection_report"},
        {"doc_id", "IR-7"},
        {"sha256", std::string(64, 'd')},
        {"issuer", "浙江省检验院"}});
  sign(p.key, "trace.document",
       {{"codes", {run.code}},
        {"doc_type", "origin_certificate"},
        {"doc_id", "OC-1"},
        {"sha256", std::string(64, 'e')},
        {"issuer", "临安区农业农村局"}});
  sign(p.key, "trace.ship",
       {{"shipment_id", "SH-N1"},
        {"codes", {codes[0], codes[1]}},
        {"to", r.uscc},
        {"carrier", l.uscc},
        {"vehicle", "浙A8N001"}});
  sign(l.key, "trace.reading",
       {{"shipment_id", "SH-N1"},
        {"device", "logger-12"},
        {"readings",
         {{{"time", FormatRfc3339Millis(api::testing::NowMs() - 60000)}, {"celsius", 12.5}},
          {{"time", FormatRfc3339Millis(api::testing::NowMs() - 30000)}, {"celsius", 14}}}}});
  sign(r.key, "trace.receive", {{"shipment_id", "SH-N1"}, {"condition", "good"}});
  sign(node.regulator(), "recall.issue",
       {{"recall_id", "RC-N1"},
        {"product_code", g},
        {"lots", {run.lot_id}},
        {"level", 3},
        {"reason", "标签错误"}});
  sign(r.key, "recall.respond",
       {{"recall_id", "RC-N1"}, {"codes", {codes[1]}}, {"action", "returned"}});
  if (!why.empty()) {
    std::cerr << "dev node journey failed:\n" << why;
    std::exit(1);
  }
  auto get = [&](const std::string& target) {
    auto res = node.Call("GET", target);
    if (res.status != 200) {
      std::cerr << target << " -> " << res.status << " " << res.body << "\n";
      std::exit(1);
    }
    return res.body;
  };
  std::string enc = "%2801%29" + g + "%2821%29S1";
  run.item = get("/v1/trace/" + enc);
  run.item_page = get("/v1/trace/" + enc + "?events_from=1&events_limit=2&lot_events_from=1");
  run.lot = get("/01/" + g + "/10/" + run.lot_id);
  run.genesis = ReadFile(fs::temp_directory_path() / ("tl-seeds-" + std::to_string(::getpid())) /
                         "genesis.json");
  auto gen = ParseGenesis(run.genesis);
  for (const std::string* a : {&run.item, &run.item_page, &run.lot}) {
    auto rep = cli::VerifyTraceAnswer(*gen, *a);
    if (!rep.ok()) {
      std::cerr << "a real answer does not verify: " << rep.status.ToString() << "\n";
      std::exit(1);
    }
  }
  return run;
}

void DevSeeds(const DevRun& run) {
  // trace_verify: the fixed data, raw-mode seeds and a few mutation programs.
  WriteData("trace_verify/genesis.json", run.genesis);
  WriteData("trace_verify/item.json", run.item);
  WriteData("trace_verify/item_page.json", run.item_page);
  WriteData("trace_verify/lot.json", run.lot);
  Write("trace_verify", "raw-item", "\x80" + run.item);
  Write("trace_verify", "raw-item-page", "\x81" + run.item_page);
  Write("trace_verify", "raw-lot", "\x82" + run.lot);
  Write("trace_verify", "mutate-item-string", std::string("\x00\x00\x00\x40\x07\x00", 6));
  Write("trace_verify", "mutate-page-delete", std::string("\x01\x03\x00\x21\x00\x00", 6));
  Write("trace_verify", "mutate-lot-splice", std::string("\x02\x05\x00\x30\x01\x20", 6));

  // envelope: real envelopes (mode 0) and their payloads to be signed (mode 1).
  for (size_t i = 0; i < run.envelopes.size(); ++i) {
    Write("envelope", "real-" + std::to_string(i), std::string(1, '\0') + run.envelopes[i]);
    json e = json::parse(run.envelopes[i]);
    Write("envelope", "payload-" + std::to_string(i),
          std::string(1, '\x01') + e["payload"].get<std::string>());
  }
  Write("json", "envelope", run.envelopes[1]);
  Write("json", "payload", json::parse(run.envelopes[1])["payload"].get<std::string>());
  Write("json", "genesis", run.genesis);

  // http_api: the routes of docs/api.md with the dev node's codes.
  std::string enc = "%2801%29" + run.gtin + "%2821%29S1";
  std::vector<std::string> requests = {
      "GET /v1/status\n",
      "GET /v1/blocks/latest\n",
      "GET /v1/blocks/3\n",
      "HEAD /v1/blocks/2\n",
      "GET /v1/transactions/" + std::string(64, 'a') + "\n",
      "GET /v1/trace/" + enc + "\n",
      "GET /v1/trace/" + enc + "?events_from=1&events_limit=2&consistent=true\n",
      "GET /v1/trace/(01)06901234567892(21)D0004\n",
      "GET /v1/trace/SHRIMP-3?lang=en\n",
      "GET /v1/trace/VEG-1\n",
      "GET /01/" + run.gtin + "/21/S2\n",
      "GET /01/" + run.gtin + "/21/S2\naccept: text/html\n",
      "GET /01/" + run.gtin + "/10/" + run.lot_id + "?codes_from=0&codes_limit=2\n",
      "GET /01/06901234567892/10/HB2026A/21/D0001\n",
      "GET /00/006901234567890128\n",
      "GET /v1/enterprises/" + api::testing::MakeUscc(1) + "?holdings_limit=5\n",
      "GET /v1/products/06901234567892?lots_limit=1\n",
      "GET /v1/products/VEG-SPINACH\n",
      "GET /v1/recalls?status=open\n",
      "GET /v1/recalls/RC-N1?owed_limit=10\n",
      "GET /v1/alerts?type=temperature_excursion&consistent=true&timeout_ms=100\n",
      "GET /v1/cockpit\n",
      "GET /metrics\n",
      "GET /openapi.json\n",
      "GET /\n",
      "GET /t/" + enc + "\n",
      "GET /app.css\nif-none-match: \"x\"\n",
      "DELETE /v1/status\n",
      "POST /v1/status\n\n{}",
      "POST /v1/transactions?wait=commit&timeout_ms=100\ncontent-type: application/json\n\n" +
          run.envelopes[0],
      "POST /v1/transactions\n\n{\"transactions\":[" + run.envelopes[2] + "," + run.envelopes[3] +
          "]}",
      "POST /v1/transactions\n\n{\"payload\":\"x\",\"signer\":\"y\",\"signature\":\"z\"}",
  };
  for (size_t i = 0; i < requests.size(); ++i)
    Write("http_api", "request-" + std::to_string(i), requests[i]);
}

// ---------------- peer frames: what n1 receives from leader n2 ----------------

struct Net {
  struct Env : node::CoreEnv {
    Net* net;
    int self;
    int64_t NowMillis() override { return net->now; }
    bool Send(uint64_t to, std::string frame) override {
      net->queue.push_back({self, static_cast<int>(to) - 1, std::move(frame)});
      return true;
    }
    uint64_t Seed() override { return self == 0 ? 7 : 100 + self; }
  };
  struct Msg {
    int from, to;
    std::string frame;
  };
  int64_t now = 0;
  std::deque<Msg> queue;
  std::vector<std::unique_ptr<Env>> envs;
  std::vector<std::unique_ptr<node::NodeCore>> cores;
  std::vector<std::pair<int, std::string>> to_n1;  // (from 2|3, frame)

  void Deliver() {
    for (int round = 0; round < 100 && !queue.empty(); ++round) {
      std::deque<Msg> q;
      q.swap(queue);
      for (auto& m : q) {
        if (m.to == 0) to_n1.push_back({m.from + 1, m.frame});
        cores[m.to]->OnFrame(m.from + 1, m.frame);
      }
      for (auto& c : cores) c->Process();
    }
  }
};

std::string FrameBytes(int from, const std::string& frame, bool tick = false) {
  std::string s;
  s.push_back(static_cast<char>((from == 3 ? 1 : 0) | (tick ? 2 : 0)));
  size_t n = std::min<size_t>(frame.size(), 0xffff);
  s.push_back(static_cast<char>(n >> 8));
  s.push_back(static_cast<char>(n & 0xff));
  s += frame.substr(0, n);
  return s;
}

void PeerSeeds() {
  const PeerWorld& w = PeerWorld::Get();
  fs::path dir = fs::temp_directory_path() / ("tl-peer-seeds-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  Net net;
  net.now = w.genesis.genesis_time_ms + 60000;
  for (int i = 0; i < 3; ++i) {
    auto env = std::make_unique<Net::Env>();
    env->net = &net;
    env->self = i;
    fs::create_directories(dir / std::to_string(i));
    auto c = node::NodeCore::Open(w.Options(i, (dir / std::to_string(i)).string()), env.get());
    if (!c.ok()) {
      std::cerr << "peer seeds: " << c.status().ToString() << "\n";
      std::exit(1);
    }
    net.envs.push_back(std::move(env));
    net.cores.push_back(std::move(c).value());
  }
  // n2 campaigns first and wins.
  for (int t = 0; t < 40 && net.cores[1]->GetStatus().role != "leader"; ++t) {
    net.now += 100;
    net.cores[1]->Tick();
    net.cores[1]->Process();
    net.Deliver();
  }
  if (net.cores[1]->GetStatus().role != "leader") {
    std::cerr << "peer seeds: n2 did not become leader\n";
    std::exit(1);
  }
  // Three blocks of enrolments.
  std::vector<Envelope> envs;
  for (int b = 0; b < 3; ++b) {
    for (int k = 0; k < 2; ++k) {
      std::string base = "91330100MA" + std::to_string(1000000 + b * 10 + k);
      std::string uscc = base + UsccCheckChar(base);
      json payload = {
          {"chain_id", w.genesis.chain_id},
          {"type", "registry.enroll"},
          {"nonce", "p" + std::to_string(b * 10 + k)},
          {"time", FormatRfc3339Millis(net.now - 1000)},
          {"body",
           {{"uscc", uscc},
            {"name", "企业 " + std::to_string(b * 10 + k)},
            {"roles", {"retailer"}},
            {"public_key", ToHex(DerivedKey("ent" + std::to_string(b * 10 + k)).public_key)},
            {"region", "330100"}}}};
      auto env =
          ParseEnvelope(*SignEnvelope(w.regulator.private_key, payload.dump(), w.genesis.hash_alg),
                        w.genesis.hash_alg);
      envs.push_back(*env);
      net.cores[1]->Submit(*env);
    }
    for (int t = 0; t < 5; ++t) {
      net.now += 100;
      for (auto& c : net.cores) {
        c->Tick();
        c->Process();
      }
      net.Deliver();
    }
  }
  std::cout << "peer: n1 at height " << net.cores[0]->GetStatus().height << ", received "
            << net.to_n1.size() << " frames\n";
  std::string all;
  size_t n = 0;
  std::set<std::string> kinds;
  for (const auto& [from, frame] : net.to_n1) {
    if (n++ < 64) all += FrameBytes(from, frame);
    pb::PeerFrame f;
    f.ParseFromString(frame);
    std::string kind =
        f.has_raft()
            ? "raft-" + std::to_string(static_cast<int>(raft::DecodeMessage(f.raft())->type))
        : f.has_attestation() ? "attestation"
        : f.has_forward()     ? "forward"
                              : "other";
    if (kinds.insert(kind).second) Write("peer_frame", "one-" + kind, FrameBytes(from, frame));
  }
  Write("peer_frame", "from-leader-n2", all);
  // The kinds n1 did not receive: a forwarded envelope, a block request, a
  // block batch (n2's first blocks).
  pb::PeerFrame fw;
  auto* tx = fw.mutable_forward()->add_transactions();
  tx->set_payload(envs[0].payload);
  tx->set_signer(envs[0].signer);
  tx->set_signature(envs[0].signature);
  Write("peer_frame", "forward", FrameBytes(2, fw.SerializeAsString()));
  pb::PeerFrame req;
  req.mutable_block_request()->set_from_height(0);
  req.mutable_block_request()->set_max_blocks(8);
  Write("peer_frame", "block-request", FrameBytes(3, req.SerializeAsString()));
  pb::PeerFrame batch;
  batch.mutable_block_batch()->set_tip_height(net.cores[1]->blocks().block_count() - 1);
  for (uint64_t h = 0; h < net.cores[1]->blocks().block_count() && h < 3; ++h)
    net.cores[1]->blocks().GetBlock(h, batch.mutable_block_batch()->add_blocks());
  Write("peer_frame", "block-batch", FrameBytes(2, batch.SerializeAsString()));
  net.cores.clear();
  fs::remove_all(dir);
}

// ---------------- identifiers, genesis, configuration ----------------

void SmallSeeds(const std::string& repo) {
  std::vector<std::pair<int, std::string>> ids = {
      {0, "(01)06901234567892(21)D0001"},
      {0, "(21)D0001(01)06901234567892(17)301231"},
      {0, "(01)06901234567892(10)HB2026A"},
      {0, "(01)06901234567892(10)HB2026A(21)D0001(11)261130(13)261201(15)270101"},
      {0, "(00)006901234567890128"},
      {0, "SHRIMP-3"},
      {0, "VEG-SPINACH:lot/1+a_b.c"},
      {1, "/01/06901234567892/21/D0001"},
      {1, "/01/6901234567892/10/HB2026A/21/D0001"},
      {1, "/01/06901234567892/10/HB2026A"},
      {1, "/01/12345670/21/X"},
      {1, "/00/006901234567890128/"},
      {2, "06901234567892"},
      {2, "6901234567892"},
      {2, "012345678905"},
      {2, "12345670"},
      {3, "91350100M000100Y43"},
      {3, "914403001922038216"},
      {3, "006901234567890128"},
      {3, "(01)06901234567892(21)ABC"},
  };
  for (size_t i = 0; i < ids.size(); ++i)
    Write("ids", "doc-" + std::to_string(i),
          std::string(1, static_cast<char>(ids[i].first)) + ids[i].second);

  std::string peer = BuildGenesisJson([] {
    GenesisSpec s;
    s.chain_id = "zj-seed";
    s.genesis_time = "2026-11-30T00:00:00Z";
    const PeerWorld& w = PeerWorld::Get();
    for (size_t i = 0; i < w.keys.size(); ++i)
      s.validators.push_back({"n" + std::to_string(i + 1), w.keys[i].public_key,
                              "127.0.0.1:" + std::to_string(7001 + i),
                              "127.0.0.1:" + std::to_string(8001 + i)});
    s.regulators.push_back({"浙江省市场监督管理局", w.regulator.public_key});
    return s;
  }());
  Write("genesis", "built", peer);
  for (const char* ex : {"zhejiang-dev.json", "zhejiang-sm3.json"})
    Write("genesis", ex, ReadFile(fs::path(repo) / "genesis" / "examples" / ex));
  WriteData("genesis.json", peer);
  Write("json", "genesis-example", ReadFile(fs::path(repo) / "genesis/examples/zhejiang-dev.json"));

  Write("config", "minimal",
        R"({"node_id": "n1", "genesis": "genesis.json", "key": "key.json", "data_dir": "data"})");
  Write("config", "full",
        R"({"node_id": "n2", "genesis": "genesis.json", "key": "key.json", "data_dir": "d2",
  "p2p": "127.0.0.1:7002", "http": "0.0.0.0:8002"})");
  Write("config", "key-is-genesis",
        R"({"node_id": "n1", "genesis": "genesis.json", "key": "genesis.json", "data_dir": "x"})");
  Write("config", "genesis-is-config",
        R"({"node_id": "n1", "genesis": "config.json", "key": "key.json", "data_dir": "y"})");
}

}  // namespace
}  // namespace traceledger::fuzz

int main(int argc, char** argv) {
  using namespace traceledger::fuzz;
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds FUZZ_DIR (the repository's fuzz/)\n";
    return 2;
  }
  out_dir = argv[1];
  std::string repo = (out_dir / "..").string();
  SmallSeeds(repo);
  ContractSeeds();
  PeerSeeds();
  DevSeeds(RunDevNode());
  std::cout << "wrote " << (out_dir / "corpus").string() << " and " << (out_dir / "data").string()
            << "\n";
  return 0;
}
