// A real dev node in-process with its ApiService, for API and browser tests,
// and a small demo data set: enterprises in three cities, a vaccine journey
// with a temperature excursion, an imported cold-chain lot, and a food lot
// under recall.
#ifndef TRACELEDGER_TESTS_API_TEST_NODE_H_
#define TRACELEDGER_TESTS_API_TEST_NODE_H_

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api/service.h"
#include "contracts/ids.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/time_util.h"
#include "node/config.h"

namespace traceledger::api::testing {

using nlohmann::json;

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string MakeUscc(uint64_t n) {
  std::string s = "91330100MA";
  std::string digits = std::to_string(n % 10000000);
  s += std::string(7 - digits.size(), '0') + digits;
  return s + UsccCheckChar(s);
}

// Sends one request straight to `service` (no sockets), the target parsed as
// the HTTP server parses it, and returns its answer.
inline HttpResponse CallService(ApiService& service, const std::string& method,
                                const std::string& target, const std::string& body = "",
                                std::map<std::string, std::string> headers = {}) {
  HttpRequest req;
  req.method = method;
  req.target = target;
  if (Status s = ParseTarget(target, &req); !s.ok()) return JsonError(400, s.code(), s.message());
  req.headers = std::move(headers);
  req.body = body;
  std::promise<HttpResponse> p;
  auto answer = p.get_future();
  auto once = std::make_shared<std::once_flag>();
  service.Handle(req, [&p, once](HttpResponse r) {
    std::call_once(*once, [&] { p.set_value(std::move(r)); });
  });
  return answer.get();
}

struct Ent {
  KeyPair key;
  std::string uscc;
};

class TestNode {
 public:
  // Opens a fresh dev node in a temporary directory named after `tag`;
  // `tweak`, if given, may change its options first. ok() is false (and
  // error() says why) if it could not.
  explicit TestNode(const std::string& tag,
                    const std::function<void(node::NodeOptions*)>& tweak = nullptr) {
    dir_ =
        std::filesystem::temp_directory_path() / ("tl-" + tag + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    auto cfg = node::PrepareDevNode(dir_.string(), "127.0.0.1:0");
    if (!cfg.ok()) {
      error_ = cfg.status().ToString();
      return;
    }
    cfg->options.tick_ms = 20;
    if (tweak) tweak(&cfg->options);
    auto n = node::Node::Open(cfg->options);
    if (!n.ok()) {
      error_ = n.status().ToString();
      return;
    }
    node_ = std::move(n).value();
    Status s = node_->Start();
    if (!s.ok()) {
      error_ = s.ToString();
      return;
    }
    service_ = std::make_unique<ApiService>(node_.get());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (node_->GetStatus().role != "leader") {
      if (std::chrono::steady_clock::now() > deadline) {
        error_ = "no leader after 10 s";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    regulator_ = *ReadKeyFile((dir_ / "regulator.json").string());
  }
  ~TestNode() {
    // Stop the node first: a wait still pending is answered into the service.
    if (node_) node_->Stop();
    service_.reset();
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  ApiService* service() { return service_.get(); }
  node::Node* node() { return node_.get(); }
  const KeyPair& regulator() const { return regulator_; }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", std::map<std::string, std::string> headers = {}) {
    return CallService(*service_, method, target, body, std::move(headers));
  }

  // Signs and submits; waits for the commit. Returns the receipt JSON (or the
  // error document) and sets *status.
  json Submit(const KeyPair& key, const std::string& type, const json& body,
              int* status = nullptr) {
    json payload = {{"chain_id", node_->genesis().chain_id},
                    {"type", type},
                    {"nonce", "n" + std::to_string(++nonce_)},
                    {"time", FormatRfc3339Millis(NowMs())},
                    {"body", body}};
    std::string env = *SignEnvelope(key.private_key, payload.dump(), HashAlg::kSha256);
    HttpResponse r = Call("POST", "/v1/transactions?wait=commit", env);
    if (status) *status = r.status;
    return json::parse(r.body, nullptr, false);
  }
  // Submit that must be committed with receipt "ok"; returns false otherwise
  // and appends the reason to *why.
  bool Must(const KeyPair& key, const std::string& type, const json& body, std::string* why) {
    int st = 0;
    json r = Submit(key, type, body, &st);
    if (st == 200 && r.value("status", "") == "ok") return true;
    *why += type + " -> " + std::to_string(st) + " " + r.dump() + "\n";
    return false;
  }

  Ent Enroll(const std::string& name, std::vector<std::string> roles, const std::string& region,
             std::string* why) {
    Ent e{*GenerateKeyPair(), MakeUscc(++enterprises_)};
    Must(regulator_, "registry.enroll",
         {{"uscc", e.uscc},
          {"name", name},
          {"roles", roles},
          {"public_key", ToHex(e.key.public_key)},
          {"region", region}},
         why);
    return e;
  }

  // The small vaccine journey: a manufacturer ships doses to a vaccination
  // site in two shipments; the second one's logger reads 12 C (an excursion:
  // its doses are quarantined and an alert opens). Returns "" or what failed.
  std::string VaccineJourney() {
    std::string why;
    Ent maker = Enroll("华东疫苗股份有限公司", {"manufacturer"}, "330100", &why);
    Ent site = Enroll("灵隐社区卫生服务中心接种门诊", {"vaccination_site"}, "330100", &why);
    Ent carrier = Enroll("浙冷物流有限公司", {"logistics"}, "330200", &why);
    Must(maker.key, "product.register",
         {{"product_code", "06901234567892"},
          {"name", "乙型肝炎疫苗 10μg"},
          {"category", "vaccine"}},
         &why);
    std::vector<std::string> doses;
    for (int i = 1; i <= 6; ++i) doses.push_back(Dose(i));
    Must(maker.key, "trace.commission",
         {{"product_code", "06901234567892"},
          {"lot", "HB2026A"},
          {"expiry", "2030-06-30"},
          {"codes", doses},
          {"location", "杭州市余杭区疫苗生产基地"}},
         &why);
    Must(maker.key, "trace.ship",
         {{"shipment_id", "SH-V1"},
          {"codes", {Dose(1), Dose(2), Dose(3)}},
          {"to", site.uscc},
          {"carrier", carrier.uscc},
          {"vehicle", "浙A12345"}},
         &why);
    Must(carrier.key, "trace.reading",
         {{"shipment_id", "SH-V1"},
          {"device", "logger-7"},
          {"readings",
           {{{"time", FormatRfc3339Millis(NowMs() - 120000)}, {"celsius", 4.5}},
            {{"time", FormatRfc3339Millis(NowMs() - 60000)}, {"celsius", 5.2}}}}},
         &why);
    Must(site.key, "trace.receive", {{"shipment_id", "SH-V1"}, {"condition", "good"}}, &why);
    Must(maker.key, "trace.ship",
         {{"shipment_id", "SH-V2"},
          {"codes", {Dose(4), Dose(5), Dose(6)}},
          {"to", site.uscc},
          {"carrier", carrier.uscc},
          {"vehicle", "浙A54321"}},
         &why);
    Must(carrier.key, "trace.reading",
         {{"shipment_id", "SH-V2"},
          {"device", "logger-9"},
          {"readings",
           {{{"time", FormatRfc3339Millis(NowMs() - 90000)}, {"celsius", 6.0}},
            {{"time", FormatRfc3339Millis(NowMs() - 30000)}, {"celsius", 12.0}}}}},
         &why);
    return why;
  }
  static std::string Dose(int i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "(01)06901234567892(21)D%04d", i);
    return buf;
  }

  // More data for the pages: imported shrimp with documents, a food lot under
  // recall (one item destroyed), enterprises in more cities.
  std::string MoreDemo() {
    std::string why;
    Ent importer = Enroll("宁波海鲜进口有限公司", {"importer"}, "330200", &why);
    Ent store = Enroll("北仑冷链仓储中心", {"warehouse"}, "330200", &why);
    Ent farm = Enroll("金华绿源蔬菜合作社", {"producer"}, "330700", &why);
    Ent shop = Enroll("温州放心超市", {"retailer"}, "330300", &why);
    Ent lab = Enroll("浙江省食品检验研究院", {"lab"}, "330100", &why);
    Ent truck = Enroll("甬城冷运", {"logistics"}, "330200", &why);
    (void)lab;
    Must(importer.key, "product.register",
         {{"product_code", "SHRIMP-EC-1KG"},
          {"name", "厄瓜多尔冻白虾 1kg"},
          {"category", "cold_chain_food"}},
         &why);
    std::vector<std::string> sh;
    for (int i = 1; i <= 8; ++i) sh.push_back("SHRIMP-" + std::to_string(i));
    Must(importer.key, "trace.commission",
         {{"product_code", "SHRIMP-EC-1KG"},
          {"lot", "EC2026-11"},
          {"expiry", "2030-11-01"},
          {"codes", sh},
          {"location", "宁波港"},
          {"origin_country", "EC"}},
         &why);
    for (const char* d : {"customs_declaration", "quarantine_certificate"}) {
      Must(importer.key, "trace.document",
           {{"product_code", "SHRIMP-EC-1KG"},
            {"lot", "EC2026-11"},
            {"doc_type", d},
            {"doc_id", std::string(d).substr(0, 4) + "-2026-001"},
            {"sha256", std::string(64, 'b')},
            {"issuer", "宁波海关"}},
           &why);
    }
    Must(importer.key, "trace.ship",
         {{"shipment_id", "SH-C1"},
          {"codes", sh},
          {"to", store.uscc},
          {"carrier", truck.uscc},
          {"vehicle", "浙B88888"}},
         &why);
    Must(truck.key, "trace.reading",
         {{"shipment_id", "SH-C1"},
          {"device", "reefer-3"},
          {"readings", {{{"time", FormatRfc3339Millis(NowMs() - 50000)}, {"celsius", -20.5}}}}},
         &why);
    Must(farm.key, "product.register",
         {{"product_code", "VEG-SPINACH"}, {"name", "有机菠菜 500g"}, {"category", "food"}}, &why);
    std::vector<std::string> veg;
    for (int i = 1; i <= 5; ++i) veg.push_back("VEG-" + std::to_string(i));
    Must(farm.key, "trace.commission",
         {{"product_code", "VEG-SPINACH"},
          {"lot", "JH-1130"},
          {"expiry", "2030-12-05"},
          {"codes", veg},
          {"location", "金华市婺城区"}},
         &why);
    Must(farm.key, "trace.ship",
         {{"shipment_id", "SH-F1"},
          {"codes", veg},
          {"to", shop.uscc},
          {"carrier", truck.uscc},
          {"vehicle", "浙G12345"}},
         &why);
    Must(shop.key, "trace.receive", {{"shipment_id", "SH-F1"}}, &why);
    Must(regulator_, "recall.issue",
         {{"recall_id", "RC-2026-001"},
          {"product_code", "VEG-SPINACH"},
          {"lots", {"JH-1130"}},
          {"level", 2},
          {"reason", "农药残留超标"}},
         &why);
    Must(shop.key, "recall.respond",
         {{"recall_id", "RC-2026-001"}, {"codes", {"VEG-1", "VEG-2"}}, {"action", "destroyed"}},
         &why);
    return why;
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<ApiService> service_;
  KeyPair regulator_;
  std::string error_;
  uint64_t nonce_ = 0;
  uint64_t enterprises_ = 0;
};

}  // namespace traceledger::api::testing

#endif  // TRACELEDGER_TESTS_API_TEST_NODE_H_
