// GET /v1/trace/{code} against a real node, and tracectl verify-trace on the
// answers: the real answer passes, every tampered part is caught by its own
// check (docs/api.md, "Trace").
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "api/gs1.h"
#include "api/service.h"
#include "contracts/ids.h"
#include "genesis/genesis.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/envelope.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/key_file.h"
#include "ledger/keys.h"
#include "ledger/time_util.h"
#include "node/config.h"
#include "node/node.h"
#include "test_node.h"
#include "tools/trace_verify.h"

namespace traceledger::api {
namespace {

using nlohmann::json;

const char* kGtin = "06901234567892";
std::string Dose(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "(01)06901234567892(21)D%04d", i);
  return buf;
}

const char* kCase = "(00)106141411234567897";

std::string Uscc(int n) {
  std::string s = "91330100MA";
  std::string digits = std::to_string(n);
  s += std::string(7 - digits.size(), '0') + digits;
  return s + UsccCheckChar(s);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct Party {
  KeyPair key;
  std::string uscc;
};

// One dev node with a vaccine journey on it, shared by the tests of this file.
class TraceWorld {
 public:
  TraceWorld() {
    dir_ = std::filesystem::temp_directory_path() /
           ("trace_test_" + std::to_string(::getpid()) + "_" + std::to_string(NowMs()));
    auto cfg = node::PrepareDevNode(dir_.string(),
                                    "127.0.0.1:" + std::to_string(node::FreeLoopbackPort()));
    if (!cfg.ok()) {
      ADD_FAILURE() << cfg.status().ToString();
      std::abort();
    }
    auto n = node::Node::Open(cfg->options);
    if (!n.ok()) {
      ADD_FAILURE() << n.status().ToString();
      std::abort();
    }
    node_ = std::move(n).value();
    EXPECT_TRUE(node_->Start().ok());
    api_ = std::make_unique<ApiService>(node_.get());
    auto reg = ReadKeyFile((dir_ / "regulator.json").string());
    EXPECT_TRUE(reg.ok());
    regulator_ = *reg;
    genesis_text_ = ReadFile((dir_ / "genesis.json").string());
    WaitForLeader();
    Journey();
  }
  ~TraceWorld() {
    api_.reset();
    node_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static std::string ReadFile(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", std::map<std::string, std::string> headers = {}) {
    return testing::CallService(*api_, method, target, body, std::move(headers));
  }
  // The same request to a new ApiService: its answer cache is empty, so the
  // answer is built afresh from the stores.
  HttpResponse CallFresh(const std::string& method, const std::string& target) {
    ApiService fresh(node_.get());
    return testing::CallService(fresh, method, target);
  }
  const KeyPair& regulator() const { return regulator_; }

  json Payload(const std::string& type, const json& body) {
    return {{"chain_id", node_->genesis().chain_id},
            {"type", type},
            {"nonce", "n" + std::to_string(++nonce_)},
            {"time", FormatRfc3339Millis(NowMs() - 1000)},
            {"body", body}};
  }
  std::string Sign(const KeyPair& k, const std::string& type, const json& body) {
    auto env = SignEnvelope(k.private_key, Payload(type, body).dump(), node_->genesis().hash_alg);
    EXPECT_TRUE(env.ok());
    return *env;
  }
  // Submits and waits for the commit; expects "ok".
  void Run(const KeyPair& k, const std::string& type, const json& body) {
    HttpResponse r = Call("POST", "/v1/transactions?wait=commit", Sign(k, type, body));
    ASSERT_EQ(r.status, 200) << type << ": " << r.body;
    ASSERT_EQ(json::parse(r.body)["status"], "ok") << r.body;
  }
  // Several envelopes in one request (usually one block), each expected "ok".
  void RunBatch(const std::vector<std::string>& envs) {
    json b = {{"transactions", json::array()}};
    for (const auto& e : envs) b["transactions"].push_back(json::parse(e));
    HttpResponse r = Call("POST", "/v1/transactions?wait=commit", b.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    // Named: a range over a member of a temporary would dangle (ASan found it).
    json answer = json::parse(r.body);
    for (const auto& it : answer["results"]) ASSERT_EQ(it["status"], "ok") << r.body;
  }

  void WaitForLeader() {
    for (int i = 0; i < 200; ++i) {
      if (node_->GetStatus().role == "leader") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the dev node did not become leader";
  }

  Party Enroll(const std::string& name, const std::vector<std::string>& roles) {
    Party p{*GenerateKeyPair(), Uscc(++enterprises_)};
    Run(regulator_, "registry.enroll",
        {{"uscc", p.uscc},
         {"name", name},
         {"roles", roles},
         {"public_key", ToHex(p.key.public_key)},
         {"region", "330106"}});
    return p;
  }

  // 浙苗链: manufacturer -> distributor (carrier logs readings) -> the
  // distributor's fridge fails: dose 1 is quarantined.
  void Journey() {
    maker = Enroll("浙江疫苗有限公司 Zhejiang Vaccine Co", {"manufacturer"});
    dist = Enroll("杭州医药配送 Hangzhou Pharma Distribution", {"distributor"});
    carrier = Enroll("冷链物流 Cold Chain Logistics", {"logistics"});
    Run(maker.key, "product.register",
        {{"product_code", kGtin},
         {"name", "乙肝疫苗 Hepatitis B vaccine 10ug"},
         {"category", "vaccine"}});
    // Lots commissioned in one request. The first closes a block on its own (an
    // idle node proposes at once); the others usually share the next block.
    RunBatch({Sign(maker.key, "trace.commission",
                   {{"product_code", kGtin},
                    {"lot", "HB2026C"},
                    {"expiry", "2027-08-31"},
                    {"codes", {Dose(9)}},
                    {"location", "Hangzhou plant"}}),
              Sign(maker.key, "trace.commission",
                   {{"product_code", kGtin},
                    {"lot", "HB2026A"},
                    {"expiry", "2027-06-30"},
                    {"codes", {Dose(1), Dose(2), Dose(3)}},
                    {"location", "Hangzhou plant"}}),
              Sign(maker.key, "trace.commission",
                   {{"product_code", kGtin},
                    {"lot", "HB2026B"},
                    {"expiry", "2027-07-31"},
                    {"codes", {Dose(4), Dose(5)}},
                    {"location", "Hangzhou plant"}})});
    // Lot A's release certificate (批签发) and a regulator's inspection of the
    // lot: lot-level events, in lot A's own chain.
    Run(maker.key, "trace.document",
        {{"product_code", kGtin},
         {"lot", "HB2026A"},
         {"doc_type", "lot_release_certificate"},
         {"doc_id", "NIFDC-2026-0815"},
         {"sha256", std::string(64, 'a')},
         {"issuer", "NIFDC"}});
    Run(regulator_, "trace.inspect",
        {{"product_code", kGtin},
         {"lot", "HB2026A"},
         {"result", "pass"},
         {"report_id", "ZJ-INS-77"},
         {"sha256", std::string(64, 'c')}});
    // Dose 9 is packed into a case (a logistic unit with an SSCC).
    Run(maker.key, "trace.aggregate", {{"parent", kCase}, {"children", {Dose(9)}}});
    Run(maker.key, "trace.ship",
        {{"shipment_id", "SH-1"},
         {"codes", {Dose(1), Dose(2)}},
         {"to", dist.uscc},
         {"carrier", carrier.uscc},
         {"vehicle", "浙A12345"}});
    std::string t = FormatRfc3339Millis(NowMs() - 2000);
    Run(carrier.key, "trace.reading",
        {{"shipment_id", "SH-1"},
         {"device", "logger-7"},
         {"readings", {{{"time", t}, {"celsius", 4.5}}, {{"time", t}, {"celsius", 5.0}}}}});
    Run(dist.key, "trace.receive", {{"shipment_id", "SH-1"}, {"condition", "good"}});
    Run(dist.key, "trace.reading",
        {{"codes", {Dose(1)}},
         {"device", "fridge-1"},
         {"readings", {{{"time", t}, {"celsius", 12.0}}}}});
    // The regulator recalls lot B, still at the plant.
    Run(regulator_, "recall.issue",
        {{"recall_id", "RC-2026-001"},
         {"product_code", kGtin},
         {"lots", {"HB2026B"}},
         {"level", 2},
         {"reason", "potency below specification"}});
  }

  Genesis genesis() const { return *ParseGenesis(genesis_text_); }
  const std::filesystem::path& dir() const { return dir_; }

  Party maker, dist, carrier;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<ApiService> api_;
  KeyPair regulator_;
  std::string genesis_text_;
  int nonce_ = 0;
  int enterprises_ = 0;
};

class TraceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { world_ = new TraceWorld(); }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  static TraceWorld& w() { return *world_; }
  static json Trace(const std::string& code, const std::string& query = "") {
    HttpResponse r = w().Call("GET", "/v1/trace/" + UrlEncode(code) + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  static std::string ErrorCode(const HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }
  static TraceWorld* world_;
};
TraceWorld* TraceTest::world_ = nullptr;

TEST_F(TraceTest, QuarantinedDoseSaysSoFirstWithItsHistory) {
  HttpResponse r = w().Call("GET", "/v1/trace/" + UrlEncode(Dose(1)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.rfind("{\"warning\":", 0), 0u) << "the warning must come first";
  json j = json::parse(r.body);
  EXPECT_EQ(j["warning"]["status"], "quarantined");
  EXPECT_NE(j["warning"]["message"].get<std::string>().find("QUARANTINED"), std::string::npos);
  EXPECT_EQ(j["status"], "quarantined");
  EXPECT_EQ(j["code"], Dose(1));
  EXPECT_EQ(j["product"]["code"], kGtin);
  EXPECT_EQ(j["product"]["category"], "vaccine");
  EXPECT_EQ(j["lot"], "HB2026A");
  EXPECT_EQ(j["expiry"], "2027-06-30");
  EXPECT_EQ(j["custodian"]["uscc"], w().dist.uscc);
  EXPECT_EQ(j["origin"]["commissioner"]["uscc"], w().maker.uscc);
  EXPECT_EQ(j["origin"]["location"], "Hangzhou plant");
  std::vector<std::string> types;
  for (const auto& e : j["events"]) types.push_back(e["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"trace.commission", "trace.ship", "trace.reading",
                                             "trace.receive", "trace.reading"}));
  const json& ship = j["events"][1];
  EXPECT_EQ(ship["actor"]["uscc"], w().maker.uscc);
  EXPECT_EQ(ship["parties"]["to"]["uscc"], w().dist.uscc);
  const json& ok_reading = j["events"][2]["readings"];
  EXPECT_EQ(ok_reading["count"], 2);
  EXPECT_EQ(ok_reading["min_c"], 4.5);
  EXPECT_EQ(ok_reading["excursion"], false);
  const json& bad_reading = j["events"][4]["readings"];
  EXPECT_EQ(bad_reading["max_c"], 12.0);
  EXPECT_EQ(bad_reading["excursion"], true);
  EXPECT_EQ(bad_reading["allowed"]["max_c"], 8.0);
  ASSERT_EQ(j["alerts"].size(), 1u);
  EXPECT_EQ(j["alerts"][0]["type"], "temperature_excursion");
  EXPECT_EQ(j["alerts"][0]["status"], "open");
  // In Chinese too, the warning's reason included (not the contract's English).
  const std::string zh = j["warning"]["message_zh"];
  EXPECT_NE(zh.find("温度记录 12.0～12.0 °C 超出允许范围 2.0～8.0 °C"), std::string::npos) << zh;
  EXPECT_EQ(zh.find("readings"), std::string::npos) << zh;
  EXPECT_EQ(j["alerts"][0]["message_zh"].get<std::string>().rfind("温度记录", 0), 0u);
  EXPECT_TRUE(j["recall"].is_null());
  EXPECT_EQ(j["chain"]["event_count"], 5);
  EXPECT_EQ(j["chain"]["complete"], true);
  EXPECT_EQ(j["chain"]["head"], j["events"][4]["chain_head"]);
  EXPECT_EQ(j["proof"]["blocks"].size(), 7u);  // its 5 events' and its lot's 2
  for (const auto& b : j["proof"]["blocks"]) EXPECT_GE(b["attestations"].size(), 1u);

  // Dose 2 travelled with it but stayed in range.
  json d2 = Trace(Dose(2));
  EXPECT_FALSE(d2.contains("warning"));
  EXPECT_EQ(d2["status"], "active");
  EXPECT_EQ(d2["events"].size(), 4u);
  // Dose 3 never left the plant.
  EXPECT_EQ(Trace(Dose(3))["events"].size(), 1u);
}

TEST_F(TraceTest, Gs1FormsResolveToTheSameItem) {
  json a = Trace(Dose(1));
  HttpResponse dl = w().Call("GET", "/01/06901234567892/21/D0001");
  ASSERT_EQ(dl.status, 200) << dl.body;
  EXPECT_EQ(json::parse(dl.body)["code"], Dose(1));
  HttpResponse dl13 = w().Call("GET", "/01/6901234567892/10/HB2026A/21/D0001");
  ASSERT_EQ(dl13.status, 200) << dl13.body;
  EXPECT_EQ(json::parse(dl13.body)["code"], Dose(1));
  json es = Trace("(01)06901234567892(17)270630(10)HB2026A(21)D0001");
  EXPECT_EQ(es["code"], Dose(1));
  EXPECT_EQ(es["chain"]["head"], a["chain"]["head"]);
  // A lot.
  HttpResponse lot = w().Call("GET", "/01/06901234567892/10/HB2026A");
  ASSERT_EQ(lot.status, 200) << lot.body;
  json l = json::parse(lot.body);
  EXPECT_EQ(l["kind"], "lot");
  EXPECT_EQ(l["codes_total"], 3);
  ASSERT_EQ(l["codes"].size(), 3u);
  EXPECT_EQ(l["codes"][0]["status"], "quarantined");
  json l2 = Trace("(01)06901234567892(10)HB2026B");
  EXPECT_EQ(l2["codes_total"], 2);

  // A phone that scanned a Digital Link QR code (its browser asks for HTML) is
  // sent to the item's trace page; API clients and lot links get the JSON.
  const std::map<std::string, std::string> browser = {
      {"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}};
  for (const char* link :
       {"/01/06901234567892/21/D0001", "/01/6901234567892/10/HB2026A/21/D0001"}) {
    HttpResponse page = w().Call("GET", link, "", browser);
    EXPECT_EQ(page.status, 302) << link << " " << page.body;
    std::string location;
    for (const auto& [k, v] : page.headers) {
      if (k == "Location") location = v;
    }
    EXPECT_EQ(location, "/t/%2801%2906901234567892%2821%29D0001") << link;
  }
  bool vary = false;  // caches in front must keep the JSON and the redirect apart
  for (const auto& [k, v] : w().Call("GET", "/01/06901234567892/21/D0001").headers) {
    vary = vary || (k == "Vary" && v == "Accept");
  }
  EXPECT_TRUE(vary);
  EXPECT_EQ(w().Call("GET", "/01/06901234567892/21/D0001", "", {{"accept", "*/*"}}).status, 200);
  EXPECT_EQ(w().Call("GET", "/01/06901234567892/10/HB2026A", "", browser).status, 200);
  EXPECT_EQ(w().Call("GET", "/01/06901234567892/21/D0001", "", browser).status, 302);
  EXPECT_EQ(w().Call("GET", "/01/06901234567890/21/D0001", "", browser).status, 400)
      << "a bad check digit is still a clear 400";
  EXPECT_EQ(w().Call("GET", "/v1/trace/" + UrlEncode(Dose(1)), "", browser).status, 200)
      << "the API path answers JSON to anyone";
}

TEST_F(TraceTest, BadInputIsAClear4xx) {
  struct Case {
    std::string target;
    int status;
    std::string code;
  } cases[] = {
      {"/v1/trace/" + UrlEncode("(01)06901234567892(21)NOPE"), 404, "NOT_FOUND"},
      {"/v1/trace/UNKNOWN-CODE-1", 404, "NOT_FOUND"},
      {"/v1/trace/" + UrlEncode("(01)06901234567893(21)D0001"), 400, "BAD_GTIN"},
      {"/v1/trace/" + UrlEncode("(01)0690123456789(21)D0001"), 400, "BAD_ELEMENT_STRING"},
      {"/v1/trace/" + UrlEncode("(99)ABC"), 400, "BAD_ELEMENT_STRING"},
      {"/v1/trace/" + UrlEncode("(01)06901234567892(21)A(21)B"), 400, "BAD_ELEMENT_STRING"},
      {"/v1/trace/" + UrlEncode("(01)06901234567892"), 400, "BAD_ELEMENT_STRING"},
      {"/v1/trace/" + UrlEncode("(01)06901234567892(21"), 400, "BAD_ELEMENT_STRING"},
      {"/v1/trace/" + UrlEncode("a b"), 400, "BAD_CODE"},
      {"/v1/trace/", 400, "BAD_CODE"},
      {"/01/123/21/X", 400, "BAD_GTIN"},
      {"/01/06901234567892/99/X", 400, "BAD_DIGITAL_LINK"},
      {"/01/06901234567892/21/X/10/L", 400, "BAD_DIGITAL_LINK"},
      {"/01/06901234567892", 400, "BAD_DIGITAL_LINK"},
      {"/01/06901234567892/21", 400, "BAD_DIGITAL_LINK"},
      {"/00/123", 400, "BAD_SSCC"},
      {"/01/06901234567892/10/NOLOT", 404, "NOT_FOUND"},
      {"/v1/trace/" + UrlEncode(Dose(1)) + "?events_limit=0", 400, "BAD_PAGING"},
      {"/v1/trace/" + UrlEncode(Dose(1)) + "?events_limit=5000", 400, "BAD_PAGING"},
      {"/v1/trace/" + UrlEncode(Dose(1)) + "?events_from=99", 400, "BAD_PAGING"},
      {"/v1/trace/" + UrlEncode(Dose(1)) + "?events_from=-1", 400, "BAD_PAGING"},
  };
  for (const auto& c : cases) {
    HttpResponse r = w().Call("GET", c.target);
    EXPECT_EQ(r.status, c.status) << c.target << " " << r.body;
    EXPECT_EQ(ErrorCode(r), c.code) << c.target << " " << r.body;
  }
  HttpResponse nf = w().Call("GET", "/v1/trace/" + UrlEncode("(01)06901234567892(21)NOPE"));
  EXPECT_NE(nf.body.find("is registered"), std::string::npos) << nf.body;
  HttpResponse post = w().Call("POST", "/v1/trace/" + UrlEncode(Dose(1)), "{}");
  EXPECT_EQ(post.status, 405);
  // The node is unharmed.
  EXPECT_EQ(Trace(Dose(1))["code"], Dose(1));
}

TEST_F(TraceTest, PagesOfEvents) {
  json p1 = Trace(Dose(1), "?events_limit=2");
  EXPECT_EQ(p1["events"].size(), 2u);
  EXPECT_EQ(p1["chain"]["complete"], false);
  ASSERT_TRUE(p1["chain"].contains("next"));
  json p2 = Trace(Dose(1), "?events_from=2&events_limit=2");
  EXPECT_EQ(p2["events"][0]["seq"], 2);
  EXPECT_EQ(p2["chain"]["start_head"], p1["events"][1]["chain_head"]);
  json p3 = Trace(Dose(1), "?events_from=4");
  EXPECT_EQ(p3["events"].size(), 1u);
  Genesis g = w().genesis();
  for (const json* p : {&p1, &p2, &p3}) {
    auto rep = cli::VerifyTraceAnswer(g, p->dump());
    EXPECT_TRUE(rep.ok()) << rep.status.ToString();
    EXPECT_FALSE(rep.complete);
  }
}

// Answers are cached (api/trace_cache.h) but never stale: a new event for the
// code, a quarantine and a release each change the next answer, and every
// answer, cached or not, is byte-identical to one built without the cache.
TEST_F(TraceTest, CachedAnswersFollowEveryChange) {
  const std::string code = Dose(7);
  w().Run(w().maker.key, "trace.commission",
          {{"product_code", kGtin},
           {"lot", "HB2026D"},
           {"expiry", "2027-09-30"},
           {"codes", {code}},
           {"location", "Hangzhou plant"}});
  const std::string target = "/v1/trace/" + UrlEncode(code);
  auto get = [&] {
    HttpResponse r = w().Call("GET", target);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  };
  auto fresh = [&] { return w().CallFresh("GET", target).body; };
  // /metrics counts the caches (other tests of this world may have counted
  // before: compare with the counts at the start).
  auto metric = [&](const std::string& name) {
    std::string m = w().Call("GET", "/metrics").body;
    size_t at = m.find("\n" + name + " ");
    EXPECT_NE(at, std::string::npos) << name;
    return at == std::string::npos ? -1 : std::stoll(m.substr(at + name.size() + 2));
  };
  const long long hits = metric("traceledger_trace_answer_cache_hits_total");
  const long long misses = metric("traceledger_trace_answer_cache_misses_total");
  std::string first = get();
  EXPECT_EQ(get(), first);  // served from the cache
  EXPECT_EQ(first, fresh());
  EXPECT_EQ(metric("traceledger_trace_answer_cache_hits_total"), hits + 1);
  EXPECT_EQ(metric("traceledger_trace_answer_cache_misses_total"), misses + 1);
  // The commission's block, attested by the only validator, is kept rendered.
  EXPECT_GE(metric("traceledger_trace_block_cache_entries"), 1);
  EXPECT_EQ(json::parse(first)["events"].size(), 1u);
  // Paging parameters are part of the key.
  HttpResponse paged = w().Call("GET", target + "?events_limit=1&events_from=1");
  EXPECT_EQ(paged.status, 200);
  EXPECT_NE(paged.body, first);

  std::string t = FormatRfc3339Millis(NowMs() - 1000);
  w().Run(w().maker.key, "trace.reading",
          {{"codes", {code}},
           {"device", "plant-fridge"},
           {"readings", {{{"time", t}, {"celsius", 5.0}}}}});
  std::string after_event = get();
  EXPECT_NE(after_event, first);
  EXPECT_EQ(json::parse(after_event)["events"].size(), 2u);
  EXPECT_EQ(get(), after_event);
  EXPECT_EQ(after_event, fresh());
  EXPECT_EQ(
      json::parse(
          w().Call("GET", target + "?events_limit=1&events_from=1").body)["events"][0]["type"],
      "trace.reading");

  w().Run(w().regulator(), "regulator.quarantine",
          {{"codes", {code}}, {"reason", "cache test hold"}});
  std::string held = get();
  EXPECT_EQ(json::parse(held)["status"], "quarantined");
  EXPECT_EQ(held.rfind("{\"warning\":", 0), 0u);
  EXPECT_EQ(held, fresh());

  w().Run(w().regulator(), "regulator.release", {{"codes", {code}}, {"reason", "cache test done"}});
  std::string released = get();
  EXPECT_EQ(json::parse(released)["status"], "active");
  EXPECT_EQ(released, fresh());
}

// The answer cache drops exactly the answers a write touches: after every
// kind of write, every cached answer (code, lot, paging variants) is
// byte-identical to one built without the cache, and an answer the writes
// did not touch is still served from the cache.
TEST(TraceCacheTest, CachedAnswersEqualFreshOnesAfterEveryKindOfWrite) {
  TraceWorld world;  // its own: the writes below would change the shared world's views
  auto w = [&world]() -> TraceWorld& { return world; };
  Party carrier = w().Enroll("缓存测试物流 Cache Test Logistics", {"logistics"});
  const KeyPair added_regulator = *GenerateKeyPair();
  Party shop = w().Enroll("缓存测试药房 Cache Test Pharmacy", {"pharmacy"});
  w().Run(w().maker.key, "trace.commission",
          {{"product_code", kGtin},
           {"lot", "HB2026E"},
           {"expiry", "2027-10-31"},
           {"codes", {Dose(20), Dose(21), Dose(22)}},
           {"location", "Hangzhou plant"}});
  w().Run(w().maker.key, "trace.ship",
          {{"shipment_id", "SH-E1"},
           {"codes", {Dose(20), Dose(21)}},
           {"to", shop.uscc},
           {"carrier", carrier.uscc},
           {"vehicle", "浙A99999"}});
  std::vector<std::string> targets;
  for (int d : {20, 21, 22}) {
    const std::string t = "/v1/trace/" + UrlEncode(Dose(d));
    for (const char* q :
         {"", "?events_limit=1", "?events_from=1&events_limit=1", "?lot_events_limit=1"})
      targets.push_back(t + q);
  }
  targets.push_back("/01/06901234567892/21/D0020");
  targets.push_back("/01/06901234567892/10/HB2026E");
  targets.push_back("/01/06901234567892/10/HB2026E?codes_limit=2");
  const std::string untouched = "/v1/trace/" + UrlEncode(Dose(4));
  targets.push_back(untouched);
  auto check = [&](const std::string& after) {
    for (const auto& t : targets) {
      HttpResponse cached = w().Call("GET", t);
      HttpResponse fresh = w().CallFresh("GET", t);
      EXPECT_EQ(cached.status, fresh.status) << "after " << after << ": " << t;
      EXPECT_EQ(cached.body, fresh.body) << "after " << after << ": " << t;
    }
  };
  auto metric = [&](const std::string& name) {
    std::string m = w().Call("GET", "/metrics").body;
    size_t at = m.find("\n" + name + " ");
    EXPECT_NE(at, std::string::npos) << name;
    return at == std::string::npos ? -1 : std::stoll(m.substr(at + name.size() + 2));
  };
  check("the shipment");  // every target is now cached
  const long long invalidated = metric("traceledger_trace_answer_cache_invalidated_total");
  const std::string t = FormatRfc3339Millis(NowMs() - 1000);
  const std::vector<std::pair<std::string, std::function<void()>>> writes = {
      {"a reading in transit",
       [&] {
         w().Run(carrier.key, "trace.reading",
                 {{"shipment_id", "SH-E1"},
                  {"device", "logger-E"},
                  {"readings", {{{"time", t}, {"celsius", 4.0}}}}});
       }},
      {"the receipt",
       [&] {
         w().Run(shop.key, "trace.receive", {{"shipment_id", "SH-E1"}, {"condition", "good"}});
       }},
      {"an excursion at the pharmacy",
       [&] {
         w().Run(shop.key, "trace.reading",
                 {{"codes", {Dose(21)}},
                  {"device", "fridge-E"},
                  {"readings", {{{"time", t}, {"celsius", 15.0}}}}});
       }},
      {"a lot document",
       [&] {
         w().Run(w().maker.key, "trace.document",
                 {{"product_code", kGtin},
                  {"lot", "HB2026E"},
                  {"doc_type", "lot_release_certificate"},
                  {"doc_id", "NIFDC-2026-0999"},
                  {"sha256", std::string(64, 'e')},
                  {"issuer", "NIFDC"}});
       }},
      {"a case packed",
       [&] {
         w().Run(w().maker.key, "trace.aggregate",
                 {{"parent", "(00)106141411234567880"}, {"children", {Dose(22)}}});
       }},
      {"a regulator added",
       [&] {
         w().Run(w().regulator(), "registry.add_regulator",
                 {{"name", "杭州市市场监督管理局 Hangzhou AMR"},
                  {"public_key", ToHex(added_regulator.public_key)}});
       }},
      {"a quarantine by the added regulator",
       [&] {
         w().Run(added_regulator, "regulator.quarantine",
                 {{"codes", {Dose(22)}}, {"reason", "cache test hold"}});
       }},
      {"the carrier suspended",
       [&] {
         w().Run(w().regulator(), "registry.suspend",
                 {{"uscc", carrier.uscc}, {"reason", "cache test"}});
       }},
      {"the carrier reinstated",
       [&] {
         w().Run(w().regulator(), "registry.reinstate",
                 {{"uscc", carrier.uscc}, {"reason", "cache test done"}});
       }},
      {"the carrier's key rotated",  // its readings' signer becomes "unknown"
       [&] {
         w().Run(carrier.key, "registry.rotate_key",
                 {{"new_public_key", ToHex(GenerateKeyPair()->public_key)}});
       }},
      {"a recall of the lot",
       [&] {
         w().Run(w().regulator(), "recall.issue",
                 {{"recall_id", "RC-2026-0E"},
                  {"product_code", kGtin},
                  {"lots", {"HB2026E"}},
                  {"level", 3},
                  {"reason", "cache test recall"}});
       }},
  };
  for (const auto& [what, write] : writes) {
    write();
    // A lookup wakes the cache's looker; wait (at most 10 s) until it has
    // looked at the write, so that the check below does not depend on it
    // finishing within a trace worker's wait.
    const long long looked = metric("traceledger_trace_answer_cache_written_keys_total");
    w().Call("GET", "/v1/trace/" + UrlEncode(Dose(20)));
    for (int i = 0;
         i < 1000 && metric("traceledger_trace_answer_cache_written_keys_total") == looked; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const long long hits = metric("traceledger_trace_answer_cache_hits_total");
    EXPECT_EQ(w().Call("GET", untouched).status, 200);
    EXPECT_EQ(metric("traceledger_trace_answer_cache_hits_total"), hits + 1)
        << "after " << what << ": Dose(4)'s answer read nothing written, yet was dropped";
    check(what);
  }
  EXPECT_GT(metric("traceledger_trace_answer_cache_invalidated_total"), invalidated);
  // A regulator added on the ledger is named as one, not "unknown".
  json held = json::parse(w().Call("GET", "/v1/trace/" + UrlEncode(Dose(22))).body);
  json hold;
  for (const auto& e : held["events"])
    if (e["type"] == "regulator.quarantine") hold = e;
  EXPECT_EQ(hold["actor"]["kind"], "regulator") << held.dump();
  EXPECT_EQ(hold["actor"]["name"], "杭州市市场监督管理局 Hangzhou AMR");
}

TEST_F(TraceTest, VerifyTraceAcceptsTheRealAnswer) {
  Genesis g = w().genesis();
  for (const auto& code : {Dose(1), Dose(2), Dose(3), Dose(4)}) {
    auto rep = cli::VerifyTraceAnswer(g, Trace(code).dump());
    ASSERT_TRUE(rep.ok()) << code << ": " << rep.status.ToString();
    EXPECT_TRUE(rep.complete);
    EXPECT_TRUE(rep.has_lot);
    EXPECT_TRUE(rep.lot_complete);
    for (const auto& b : rep.blocks) EXPECT_EQ(b.attested_by, std::vector<std::string>{"dev"});
  }
}

// The lot's own events come with the item's trace, with the same proofs.
TEST_F(TraceTest, LotEventsAndLotChain) {
  json j = Trace(Dose(1));
  ASSERT_EQ(j["lot_events"].size(), 2u) << j["lot_events"].dump();
  EXPECT_EQ(j["lot_events"][0]["type"], "trace.document");
  EXPECT_EQ(j["lot_events"][0]["body"]["doc_type"], "lot_release_certificate");
  EXPECT_EQ(j["lot_events"][1]["type"], "trace.inspect");
  EXPECT_EQ(j["lot_events"][1]["actor"]["kind"], "regulator");
  for (const auto& e : j["lot_events"]) {
    EXPECT_TRUE(e["proof"].contains("envelope"));
    EXPECT_TRUE(e["proof"].contains("inclusion"));
    EXPECT_EQ(e["proof"]["receipt"]["status"], "ok");
  }
  EXPECT_EQ(j["lot_chain"]["lot"], "HB2026A");
  EXPECT_EQ(j["lot_chain"]["event_count"], 2);
  EXPECT_EQ(j["lot_chain"]["complete"], true);
  EXPECT_EQ(j["lot_chain"]["head"], j["lot_events"][1]["chain_head"]);
  EXPECT_EQ(j["lot_info"]["inspection"], "pass");
  bool doc = false;
  for (const auto& d : j["documents"]) doc = doc || d["doc_id"] == "NIFDC-2026-0815";
  EXPECT_TRUE(doc) << j["documents"].dump();
  auto rep = cli::VerifyTraceAnswer(w().genesis(), j.dump());
  ASSERT_TRUE(rep.ok()) << rep.status.ToString();
  EXPECT_EQ(rep.lot_events, 2u);
  EXPECT_EQ(rep.lot_head, j["lot_chain"]["head"]);
  // Lot B has one lot event: the recall that names it.
  json b = Trace(Dose(4));
  ASSERT_EQ(b["lot_events"].size(), 1u);
  EXPECT_EQ(b["lot_events"][0]["type"], "recall.issue");
  // Pages of lot events.
  json p = Trace(Dose(2), "?lot_events_from=1&lot_events_limit=1");
  ASSERT_EQ(p["lot_events"].size(), 1u);
  EXPECT_EQ(p["lot_events"][0]["seq"], 1);
  EXPECT_EQ(p["lot_chain"]["start_head"], j["lot_events"][0]["chain_head"]);
  EXPECT_EQ(p["lot_chain"]["complete"], false);
  rep = cli::VerifyTraceAnswer(w().genesis(), p.dump());
  EXPECT_TRUE(rep.ok()) << rep.status.ToString();
  EXPECT_FALSE(rep.lot_complete);
  HttpResponse bad = w().Call("GET", "/v1/trace/" + UrlEncode(Dose(1)) + "?lot_events_from=3");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "BAD_PAGING");
  // A logistic unit has no lot.
  json c = Trace(kCase);
  EXPECT_TRUE(c["lot_chain"].is_null());
  EXPECT_EQ(c["lot_events"].size(), 0u);
}

// The block hash of a header as the answer shows it (what a forger would do).
std::string RehashHeader(const json& b) {
  pb::BlockHeader h;
  h.set_chain_id(b["chain_id"].get<std::string>());
  h.set_height(b["height"].get<uint64_t>());
  h.set_prev_hash(*FromHex(b["prev_hash"].get<std::string>()));
  h.set_time(b["time_ms"].get<int64_t>());
  h.set_proposer(b["proposer"].get<std::string>());
  h.set_raft_term(b["raft_term"].get<uint64_t>());
  h.set_raft_index(b["raft_index"].get<uint64_t>());
  h.set_tx_root(*FromHex(b["tx_root"].get<std::string>()));
  h.set_receipts_root(*FromHex(b["receipts_root"].get<std::string>()));
  h.set_state_hash(*FromHex(b["state_hash"].get<std::string>()));
  h.set_tx_count(b["tx_count"].get<uint32_t>());
  return BlockHash(HashAlg::kSha256, h);
}

// What a lying node would do: keep only some lot events, renumber them and
// restate the lot chain so that it is consistent again.
// Keeps events `keep` of j[member] (in that order), renumbered, with the
// chain restated over them as a forger would.
void KeepEvents(json& j, const char* member, const char* chain, const std::vector<size_t>& keep) {
  json kept = json::array();
  std::string head(32, '\0');
  for (size_t i : keep) {
    json e = j[member][i];
    e["seq"] = kept.size();
    head = Hash2(HashAlg::kSha256, head, *FromHex(e["tx_id"].get<std::string>()));
    e["chain_head"] = ToHex(head);
    kept.push_back(e);
  }
  j[member] = kept;
  j[chain]["event_count"] = kept.size();
  j[chain]["events_returned"] = kept.size();
  j[chain]["head"] = ToHex(head);
}
void KeepLotEvents(json& j, const std::vector<size_t>& keep) {
  KeepEvents(j, "lot_events", "lot_chain", keep);
}

// Each tamper, and the check that must catch it.
TEST_F(TraceTest, VerifyTraceCatchesEachTamper) {
  Genesis g = w().genesis();
  const json real = Trace(Dose(1));
  ASSERT_TRUE(cli::VerifyTraceAnswer(g, real.dump()).ok());
  ASSERT_EQ(ToHex(RehashHeader(real["proof"]["blocks"][0])),
            real["proof"]["blocks"][0]["block_hash"]);
  auto flip = [](std::string hex) {
    hex[hex.size() / 2] = hex[hex.size() / 2] == 'a' ? 'b' : 'a';
    return hex;
  };
  struct Tamper {
    const char* name;
    std::function<void(json&)> change;
    const char* code;
  };
  std::vector<Tamper> tampers = {
      {"an event's stated time", [](json& j) { j["events"][1]["time"] = "2026-01-01T00:00:00Z"; },
       "EVENT_FIELD_MISMATCH"},
      {"an event's type", [](json& j) { j["events"][1]["type"] = "trace.receive"; },
       "EVENT_FIELD_MISMATCH"},
      {"an event's body", [](json& j) { j["events"][0]["body"]["location"] = "Elsewhere"; },
       "EVENT_FIELD_MISMATCH"},
      {"a reading's maximum", [](json& j) { j["events"][4]["readings"]["max_c"] = 7.9; },
       "EVENT_FIELD_MISMATCH"},
      {"an event's recorded_at",
       [](json& j) { j["events"][2]["recorded_at"] = "2026-01-01T00:00:00Z"; },
       "EVENT_FIELD_MISMATCH"},
      {"the signed payload",
       [](json& j) {
         std::string& p = j["events"][1]["proof"]["envelope"]["payload"].get_ref<std::string&>();
         p.replace(p.find("SH-1"), 4, "SH-9");
       },
       "ENVELOPE_INVALID"},
      {"a signature",
       [&](json& j) {
         auto& s = j["events"][1]["proof"]["envelope"]["signature"];
         s = flip(s.get<std::string>());
       },
       "ENVELOPE_INVALID"},
      {"a tx id", [&](json& j) { j["events"][1]["tx_id"] = flip(j["events"][1]["tx_id"]); },
       "TX_ID_MISMATCH"},
      {"a path hash",
       [&](json& j) {
         for (auto& e : j["events"]) {
           auto& path = e["proof"]["inclusion"]["path"];
           if (!path.empty()) {
             path[0] = flip(path[0]);
             return;
           }
         }
         // Every block held one transaction: an extra hash is as wrong.
         j["events"][0]["proof"]["inclusion"]["path"].push_back(std::string(64, 'a'));
       },
       "INCLUSION_INVALID"},
      {"a leaf index", [](json& j) { j["events"][0]["proof"]["inclusion"]["leaf_index"] = 7; },
       "INCLUSION_INVALID"},
      {"a receipt's message",
       [](json& j) { j["events"][2]["proof"]["receipt"]["message"] = "forged"; },
       "RECEIPT_INCLUSION_INVALID"},
      {"a receipt's status",
       [](json& j) { j["events"][2]["proof"]["receipt"]["status"] = "rejected"; },
       "RECEIPT_MISMATCH"},
      {"a header field (state_hash)",
       [&](json& j) {
         auto& b = j["proof"]["blocks"][0];
         b["state_hash"] = flip(b["state_hash"]);
       },
       "BLOCK_HASH_MISMATCH"},
      {"a header field (time_ms)",
       [&](json& j) {
         auto& b = j["proof"]["blocks"][1];
         b["time_ms"] = b["time_ms"].get<int64_t>() + 1000;
         b["time"] = FormatRfc3339Millis(b["time_ms"].get<int64_t>());
       },
       "BLOCK_HASH_MISMATCH"},
      {"a header's tx_root and hash together",
       [&](json& j) {
         auto& b = j["proof"]["blocks"][2];
         b["tx_root"] = flip(b["tx_root"]);
         b["block_hash"] = flip(b["block_hash"]);
       },
       "BLOCK_HASH_MISMATCH"},
      {"a header changed and re-hashed",
       [&](json& j) {
         auto& b = j["proof"]["blocks"][2];
         b["tx_root"] = flip(b["tx_root"]);
         b["block_hash"] = ToHex(RehashHeader(b));
       },
       "ATTESTATION_INVALID"},
      {"an attestation",
       [&](json& j) {
         auto& a = j["proof"]["blocks"][0]["attestations"][0];
         a["signature"] = flip(a["signature"]);
       },
       "ATTESTATION_INVALID"},
      {"an attestation's node",
       [](json& j) { j["proof"]["blocks"][0]["attestations"][0]["node_id"] = "mallory"; },
       "ATTESTATION_UNKNOWN_NODE"},
      {"the attestations removed",
       [](json& j) { j["proof"]["blocks"][3]["attestations"] = json::array(); }, "NOT_ATTESTED"},
      {"a block header removed",
       [](json& j) { j["proof"]["blocks"].erase(j["proof"]["blocks"].begin() + 1); },
       "BLOCK_MISSING"},
      {"a dropped event", [](json& j) { j["events"].erase(j["events"].begin() + 2); },
       "EVENT_DROPPED"},
      {"a reordered event", [](json& j) { std::swap(j["events"][1], j["events"][2]); },
       "EVENT_REORDERED"},
      {"a dropped event, renumbered",
       [](json& j) {
         j["events"].erase(j["events"].begin() + 2);
         for (size_t i = 0; i < j["events"].size(); ++i) j["events"][i]["seq"] = i;
         j["chain"]["event_count"] = 4;
       },
       "CHAIN_HEAD_MISMATCH"},
      {"reordered events, renumbered",
       [](json& j) {
         std::swap(j["events"][3], j["events"][4]);
         j["events"][3]["seq"] = 3;
         j["events"][4]["seq"] = 4;
       },
       "EVENT_ORDER"},
      {"the last event dropped", [](json& j) { j["events"].erase(j["events"].end() - 1); },
       "EVENT_COUNT_MISMATCH"},
      {"the chain head", [&](json& j) { j["chain"]["head"] = flip(j["chain"]["head"]); },
       "CHAIN_HEAD_MISMATCH"},
      {"a dropped lot document", [](json& j) { j["lot_events"].erase(j["lot_events"].begin()); },
       "EVENT_DROPPED"},
      {"the last lot event dropped",
       [](json& j) { j["lot_events"].erase(j["lot_events"].end() - 1); }, "EVENT_COUNT_MISMATCH"},
      {"a lot document dropped, renumbered",
       [](json& j) {
         j["lot_events"].erase(j["lot_events"].begin());
         j["lot_events"][0]["seq"] = 0;
         j["lot_chain"]["event_count"] = 1;
       },
       "CHAIN_HEAD_MISMATCH"},
      // Restated chains: every receipt commits to its event's chain, seq and
      // head (heads_inclusion), so a forger cannot renumber or rename.
      {"a lot document dropped, the lot chain rewritten", [](json& j) { KeepLotEvents(j, {1}); },
       "HEADS_INCLUSION_INVALID"},
      // The last lot event left out: every event shown is proven, so only
      // what the answer says about the lot (lot_info) gives it away.
      {"a lot inspection dropped, the lot chain rewritten", [](json& j) { KeepLotEvents(j, {0}); },
       "INSPECTION_UNPROVEN"},
      {"another lot's event passed off as this lot's",
       [](json& j) {
         j["lot_events"][0] = j["events"][2];  // a reading in transit: names no lot
         KeepLotEvents(j, {1, 0});
       },
       "HEADS_INCLUSION_INVALID"},
      {"a middle event dropped, the chain rewritten",
       [](json& j) {
         KeepEvents(j, "events", "chain", {0, 1, 3, 4});
       },
       "HEADS_INCLUSION_INVALID"},
      {"another code's history under this code", [](json& j) { j["code"] = Dose(2); },
       "HEADS_INCLUSION_INVALID"},
      {"the lot chain named for another lot",
       [](json& j) {
         j["lot"] = "OTHER";
         j["lot_chain"]["lot"] = "OTHER";
       },
       "HEADS_INCLUSION_INVALID"},
      {"the lot chain of another lot than the answer's", [](json& j) { j["lot"] = "OTHER"; },
       "LOT_EVENT_MISMATCH"},
      {"a heads proof's path",
       [&](json& j) {
         auto& inc = j["events"][1]["proof"]["heads_inclusion"];
         inc["tree_size"] = inc["tree_size"].get<int>() + 1;
       },
       "HEADS_INCLUSION_INVALID"},
      {"a receipt's heads root",
       [&](json& j) {
         auto& rc = j["events"][1]["proof"]["receipt"];
         rc["heads_root"] = flip(rc["heads_root"]);
       },
       "RECEIPT_INCLUSION_INVALID"},
      {"a lot event's body", [](json& j) { j["lot_events"][1]["body"]["result"] = "fail"; },
       "EVENT_FIELD_MISMATCH"},
      {"the lot chain removed", [](json& j) { j.erase("lot_chain"); }, "ANSWER_MALFORMED"},
      {"another chain", [](json& j) { j["proof"]["chain_id"] = "zj-other"; }, "WRONG_CHAIN"},
      {"a missing member", [](json& j) { j["events"][0].erase("proof"); }, "ANSWER_MALFORMED"},
  };
  for (const auto& t : tampers) {
    json j = real;
    t.change(j);
    auto rep = cli::VerifyTraceAnswer(g, j.dump());
    EXPECT_EQ(rep.status.code(), t.code) << t.name << ": " << rep.status.ToString();
  }
  // An answer checked against another chain's genesis.
  auto other = ParseGenesis(TraceWorld::ReadFile((w().dir() / "genesis.json").string()) + " ");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(cli::VerifyTraceAnswer(*other, real.dump()).status.code(), "WRONG_CHAIN");
  EXPECT_EQ(cli::VerifyTraceAnswer(g, "{\"error\":{\"code\":\"NOT_FOUND\"}}").status.code(),
            "ANSWER_IS_ERROR");
  EXPECT_EQ(cli::VerifyTraceAnswer(g, "not json").status.code(), "ANSWER_MALFORMED");
}

TEST_F(TraceTest, LogisticUnitAndItsChild) {
  HttpResponse r = w().Call("GET", "/00/106141411234567897");
  ASSERT_EQ(r.status, 200) << r.body;
  json c = json::parse(r.body);
  EXPECT_EQ(c["code"], kCase);
  EXPECT_EQ(c["kind"], "logistic_unit");
  EXPECT_TRUE(c["product"].is_null());
  EXPECT_EQ(c["category"], "vaccine");  // what it holds: the record alone says food
  EXPECT_EQ(c["lineage"]["children"], json::array({Dose(9)}));
  EXPECT_EQ(c["lineage"]["children_total"], 1);
  EXPECT_EQ(c["custodian"]["uscc"], w().maker.uscc);
  EXPECT_TRUE(cli::VerifyTraceAnswer(w().genesis(), c.dump()).ok());
  json d = Trace(Dose(9));
  EXPECT_EQ(d["lineage"]["parent"], kCase);
  ASSERT_EQ(d["events"].size(), 2u);
  EXPECT_EQ(d["events"][1]["type"], "trace.aggregate");
  auto rep = cli::VerifyTraceAnswer(w().genesis(), d.dump());
  EXPECT_TRUE(rep.ok()) << rep.status.ToString();
}

TEST_F(TraceTest, RecalledDoseSaysSoFirst) {
  HttpResponse raw = w().Call("GET", "/v1/trace/" + UrlEncode(Dose(4)));
  EXPECT_EQ(raw.body.rfind("{\"warning\":", 0), 0u) << "the warning must come first";
  json j = Trace(Dose(4));
  ASSERT_TRUE(j.contains("warning")) << j.dump();
  EXPECT_EQ(j["warning"]["status"], "recalled");
  EXPECT_NE(j["warning"]["message"].get<std::string>().find("RC-2026-001"), std::string::npos);
  EXPECT_EQ(j["status"], "recalled");
  EXPECT_EQ(j["recall"]["id"], "RC-2026-001");
  EXPECT_EQ(j["recall"]["status"], "open");
  EXPECT_EQ(j["recall"]["this_item"]["response_owed"], true);
  EXPECT_EQ(j["recall"]["this_item"]["owed_by"]["uscc"], w().maker.uscc);
  bool recall_alert = false;
  for (const auto& a : j["alerts"]) recall_alert = recall_alert || a["type"] == "recall";
  EXPECT_TRUE(recall_alert) << j["alerts"].dump();
  EXPECT_TRUE(cli::VerifyTraceAnswer(w().genesis(), j.dump()).ok());
}

TEST_F(TraceTest, SupervisionViews) {
  auto get = [](const std::string& target, int status = 200) {
    HttpResponse r = w().Call("GET", target);
    EXPECT_EQ(r.status, status) << target << " " << r.body;
    return json::parse(r.body);
  };
  json e = get("/v1/enterprises/" + w().dist.uscc);
  EXPECT_EQ(e["roles"], json::array({"distributor"}));
  EXPECT_EQ(e["status"], "active");
  EXPECT_EQ(e["region"], "330106");
  std::vector<std::string> held;
  for (const auto& c : e["holdings"]) held.push_back(c["code"]);
  EXPECT_EQ(held, (std::vector<std::string>{Dose(1), Dose(2)}));
  json e1 = get("/v1/enterprises/" + w().dist.uscc + "?holdings_limit=1");
  EXPECT_EQ(e1["holdings"].size(), 1u);
  EXPECT_EQ(e1["holdings_page"]["more"], true);
  EXPECT_EQ(get("/v1/enterprises/NOT-A-USCC", 400)["error"]["code"], "BAD_USCC");
  EXPECT_EQ(get("/v1/enterprises/" + Uscc(9999), 404)["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(get("/v1/enterprises/" + w().dist.uscc + "?holdings_limit=0", 400)["error"]["code"],
            "BAD_PAGING");

  json p = get("/v1/products/06901234567892");
  EXPECT_EQ(p["category"], "vaccine");
  EXPECT_EQ(p["temp_max_c"], 8.0);
  // The world's three lots (another test of this shared world may add one).
  std::set<std::string> lots;
  for (const auto& l : p["lots"]) lots.insert(l.is_object() ? l.value("lot", "") : l.dump());
  for (const char* l : {"HB2026A", "HB2026B", "HB2026C"}) EXPECT_EQ(lots.count(l), 1u) << p.dump();
  EXPECT_EQ(p["owner"]["uscc"], w().maker.uscc);
  EXPECT_EQ(get("/v1/products/00000000000000", 404)["error"]["code"], "NOT_FOUND");
  EXPECT_EQ(get("/v1/products/a%7Cb", 400)["error"]["code"], "BAD_PRODUCT_CODE");

  json r = get("/v1/recalls/RC-2026-001");
  EXPECT_EQ(r["status"], "open");
  EXPECT_EQ(r["progress"]["affected"], 2);
  EXPECT_EQ(r["progress"]["outstanding"], 2);
  ASSERT_EQ(r["holders_owing"].size(), 1u);
  EXPECT_EQ(r["holders_owing"][0]["uscc"], w().maker.uscc);
  EXPECT_EQ(r["holders_owing"][0]["owes"], 2);
  EXPECT_EQ(r["owed"].size(), 2u);
  EXPECT_EQ(get("/v1/recalls/RC-404", 404)["error"]["code"], "NOT_FOUND");
  // Every recall, with its progress; filtered by status and product.
  json list = get("/v1/recalls");
  ASSERT_EQ(list["recalls"].size(), 1u) << list.dump();
  EXPECT_EQ(list["recalls"][0]["id"], "RC-2026-001");
  EXPECT_EQ(list["recalls"][0]["status"], "open");
  EXPECT_EQ(list["recalls"][0]["product_name"], "乙肝疫苗 Hepatitis B vaccine 10ug");
  EXPECT_EQ(list["recalls"][0]["progress"], r["progress"]);
  EXPECT_EQ(list["truncated"], false);
  EXPECT_EQ(get("/v1/recalls/")["returned"], 1);
  EXPECT_EQ(get("/v1/recalls?status=closed")["recalls"].size(), 0u);
  EXPECT_EQ(get(std::string("/v1/recalls?product_code=") + kGtin)["returned"], 1);
  EXPECT_EQ(get("/v1/recalls?product_code=06900000000000")["returned"], 0);
  EXPECT_EQ(get("/v1/recalls?status=shut", 400)["error"]["code"], "BAD_QUERY");
  EXPECT_EQ(get("/v1/recalls?page=2", 400)["error"]["code"], "BAD_QUERY");

  json all = get("/v1/alerts");
  ASSERT_EQ(all["alerts"].size(), 2u);
  EXPECT_EQ(all["alerts"][0]["type"], "recall");  // newest first
  EXPECT_EQ(
      all["alerts"][0]["message_zh"].get<std::string>().rfind("召回 \"RC-2026-001\"（2级）", 0), 0u)
      << all["alerts"][0].dump();
  EXPECT_EQ(all["alerts"][1]["type"], "temperature_excursion");
  EXPECT_EQ(all["alerts"][1]["category"], "vaccine");
  EXPECT_EQ(all["alerts"][1]["region"], "330106");
  EXPECT_EQ(get("/v1/alerts?type=temperature_excursion")["alerts"].size(), 1u);
  EXPECT_EQ(get("/v1/alerts?status=open")["alerts"].size(), 2u);
  EXPECT_EQ(get("/v1/alerts?status=closed")["alerts"].size(), 0u);
  EXPECT_EQ(get("/v1/alerts?category=vaccine")["alerts"].size(), 2u);
  EXPECT_EQ(get("/v1/alerts?category=food")["alerts"].size(), 0u);
  EXPECT_EQ(get("/v1/alerts?region=3301")["alerts"].size(), 1u);
  EXPECT_EQ(get("/v1/alerts?since=2100-01-01T00:00:00Z")["alerts"].size(), 0u);
  json page1 = get("/v1/alerts?limit=1");
  ASSERT_EQ(page1["alerts"].size(), 1u);
  EXPECT_EQ(page1["more"], true);
  json page2 = get(page1["next"].get<std::string>());
  ASSERT_EQ(page2["alerts"].size(), 1u);
  EXPECT_EQ(page2["alerts"][0]["type"], "temperature_excursion");
  EXPECT_EQ(get("/v1/alerts?limit=0", 400)["error"]["code"], "BAD_PAGING");
  EXPECT_EQ(get("/v1/alerts?limit=501", 400)["error"]["code"], "BAD_PAGING");
  EXPECT_EQ(get("/v1/alerts?before=AL9999999999", 400)["error"]["code"], "BAD_PAGING");
  EXPECT_EQ(get("/v1/alerts?before=x", 400)["error"]["code"], "BAD_PAGING");
  EXPECT_EQ(get("/v1/alerts?status=maybe", 400)["error"]["code"], "BAD_QUERY");
  EXPECT_EQ(get("/v1/alerts?colour=red", 400)["error"]["code"], "BAD_QUERY");
  EXPECT_EQ(w().Call("POST", "/v1/alerts", "{}").status, 405);
}

#ifdef TRACECTL_PATH
int RunTracectl(const std::string& args, std::string* out) {
  std::string cmd = std::string(TRACECTL_PATH) + " " + args + " 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  int st = ::pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(TraceTest, TracectlVerifyTrace) {
  std::string answer = (w().dir() / "answer.json").string();
  std::string tampered = (w().dir() / "tampered.json").string();
  json j = Trace(Dose(1));
  std::ofstream(answer) << j.dump(2);
  j["events"].erase(j["events"].begin() + 1);
  std::ofstream(tampered) << j.dump();
  std::string tampered_lot = (w().dir() / "tampered_lot.json").string();
  json l = Trace(Dose(1));
  l["lot_events"].erase(l["lot_events"].begin());
  std::ofstream(tampered_lot) << l.dump();
  std::string genesis = (w().dir() / "genesis.json").string();
  std::string out;
  EXPECT_EQ(RunTracectl("verify-trace --genesis " + genesis + " " + answer, &out), 0) << out;
  EXPECT_NE(out.find("verify-trace: ok"), std::string::npos) << out;
  EXPECT_NE(out.find("5 of 5 (complete)"), std::string::npos) << out;
  EXPECT_NE(out.find("attested by 1 of 1 validators (dev)"), std::string::npos) << out;
  EXPECT_NE(out.find("lot HB2026A events: 2 of 2 (complete)"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunTracectl("verify-trace --genesis " + genesis + " " + tampered, &out), 1) << out;
  EXPECT_NE(out.find("EVENT_DROPPED"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunTracectl("verify-trace --genesis " + genesis + " " + tampered_lot, &out), 1) << out;
  EXPECT_NE(out.find("EVENT_DROPPED"), std::string::npos) << out;
  EXPECT_NE(out.find("lot event #0"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunTracectl("verify-trace --genesis " + genesis + " - < " + answer, &out), 0) << out;
  out.clear();
  EXPECT_EQ(RunTracectl("verify-trace " + answer, &out), 2) << out;
}
#endif

TEST(Gs1Test, ParsesElementStringsAndDigitalLinks) {
  auto t = ParseTraceCode("(01)06901234567892(21)ABC123");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->code, "(01)06901234567892(21)ABC123");
  auto u = ParseTraceCode("(21)ABC123(10)L1(01)06901234567892");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->code, "(01)06901234567892(21)ABC123");
  EXPECT_EQ(u->lot, "L1");
  auto lot = ParseDigitalLink("/01/06901234567892/10/L1/");
  ASSERT_TRUE(lot.ok());
  EXPECT_EQ(lot->kind, TraceTarget::kLot);
  auto sscc = ParseDigitalLink("/00/106141411234567897");
  ASSERT_TRUE(sscc.ok()) << sscc.status().ToString();
  EXPECT_EQ(sscc->code, "(00)106141411234567897");
  EXPECT_EQ(ParseTraceCode("(00)106141411234567898").status().code(), "BAD_SSCC");
  EXPECT_EQ(ParseTraceCode("(01)06901234567892(21)" + std::string(21, 'A')).status().code(),
            "BAD_ELEMENT_STRING");
  EXPECT_EQ(ParseTraceCode("plain-code-1")->code, "plain-code-1");
  EXPECT_EQ(*NormalizeGtin("96385074"), "00000096385074");
}

}  // namespace
}  // namespace traceledger::api

namespace traceledger::api {
namespace {

// verify-trace recomputes the attestation digest without linking the node.
TEST(TraceVerifyTest, AttestationDigestMatchesTheNodes) {
  std::string h(32, '\x5a');
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    EXPECT_EQ(cli::TraceAttestationDigest(alg, 7, h), node::AttestationDigest(alg, 7, h));
  }
}

// A lot's answer (GS1 Digital Link /01/{gtin}/10/{lot}) proves the lot's own
// events, and verify-trace checks it like a code's answer.
TEST_F(TraceTest, LotAnswerProvesTheLotsOwnEvents) {
  const std::string addr = "/01/06901234567892/10/HB2026A";
  HttpResponse r = w().Call("GET", addr);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["kind"], "lot");
  ASSERT_EQ(j["lot_events"].size(), 2u) << j["lot_events"].dump();
  EXPECT_EQ(j["lot_events"][0]["type"], "trace.document");
  EXPECT_EQ(j["lot_events"][1]["type"], "trace.inspect");
  EXPECT_EQ(j["lot_chain"]["lot"], "HB2026A");
  EXPECT_EQ(j["lot_chain"]["head"], Trace(Dose(1))["lot_chain"]["head"]);  // the same chain
  EXPECT_FALSE(j["proof"]["blocks"].empty());
  auto rep = cli::VerifyTraceAnswer(w().genesis(), r.body);
  ASSERT_TRUE(rep.ok()) << rep.status.ToString();
  EXPECT_TRUE(rep.lot_answer);
  EXPECT_EQ(rep.lot, "HB2026A");
  EXPECT_EQ(rep.lot_events, 2u);
  EXPECT_TRUE(rep.lot_complete);
  for (const auto& b : rep.blocks) EXPECT_EQ(b.attested_by, std::vector<std::string>{"dev"});

  // Tampered lot answers are caught.
  json dropped = j;
  KeepLotEvents(dropped, {1});  // the release certificate dropped, the chain restated
  EXPECT_FALSE(cli::VerifyTraceAnswer(w().genesis(), dropped.dump()).ok());
  json edited = j;
  edited["lot_events"][0]["body"]["doc_id"] = "FORGED-1";
  EXPECT_FALSE(cli::VerifyTraceAnswer(w().genesis(), edited.dump()).ok());
  json other = j;
  other["lot"] = "HB2026B";  // the events are not about that lot
  auto mismatch = cli::VerifyTraceAnswer(w().genesis(), other.dump());
  EXPECT_EQ(mismatch.status.code(), "LOT_EVENT_MISMATCH") << mismatch.status.ToString();
  json no_proof = j;
  no_proof.erase("proof");
  EXPECT_FALSE(cli::VerifyTraceAnswer(w().genesis(), no_proof.dump()).ok());

  // Pages, with the address of the next one.
  HttpResponse first = w().Call("GET", addr + "?lot_events_limit=1");
  ASSERT_EQ(first.status, 200) << first.body;
  json p = json::parse(first.body);
  ASSERT_EQ(p["lot_events"].size(), 1u);
  EXPECT_EQ(p["lot_chain"]["complete"], false);
  ASSERT_EQ(p["lot_chain"]["next"], addr + "?lot_events_from=1&lot_events_limit=1");
  HttpResponse second = w().Call("GET", p["lot_chain"]["next"].get<std::string>());
  ASSERT_EQ(second.status, 200) << second.body;
  json q = json::parse(second.body);
  ASSERT_EQ(q["lot_events"].size(), 1u);
  EXPECT_EQ(q["lot_events"][0]["seq"], 1);
  EXPECT_TRUE(cli::VerifyTraceAnswer(w().genesis(), second.body).ok());
  HttpResponse bad = w().Call("GET", addr + "?lot_events_from=3");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "BAD_PAGING");
}

// A pack sold before its lot was recalled: the recall freezes nothing (it
// counts the pack in reached_consumers), but whoever scans the pack must be
// told, first, as a recalled item would be.
TEST_F(TraceTest, ItemSoldBeforeItsLotWasRecalledSaysSo) {
  const std::string gtin = "06901234567915";
  const std::string sold = "(01)" + gtin + "(21)F0001", kept = "(01)" + gtin + "(21)F0002";
  Party shop = w().Enroll("联华超市 Lianhua Supermarket", {"retailer"});
  w().Run(w().maker.key, "product.register",
          {{"product_code", gtin}, {"name", "田园沙拉 Garden salad"}, {"category", "food"}});
  w().Run(w().maker.key, "trace.commission",
          {{"product_code", gtin},
           {"lot", "SAL-7"},
           {"expiry", "2027-01-31"},
           {"codes", {sold, kept}},
           {"location", "Hangzhou kitchen"}});
  w().Run(w().maker.key, "trace.ship",
          {{"shipment_id", "SH-SALAD"},
           {"codes", {sold, kept}},
           {"to", shop.uscc},
           {"carrier", w().carrier.uscc},
           {"vehicle", "浙A00007"}});
  w().Run(shop.key, "trace.receive", {{"shipment_id", "SH-SALAD"}, {"condition", "good"}});
  w().Run(shop.key, "trace.dispense", {{"codes", {sold}}, {"kind", "sold"}});
  json before = Trace(sold);
  EXPECT_FALSE(before.contains("warning")) << before.dump();
  EXPECT_TRUE(before["recall"].is_null());

  w().Run(w().regulator(), "recall.issue",
          {{"recall_id", "RC-2026-SAL"},
           {"product_code", gtin},
           {"lots", {"SAL-7"}},
           {"level", 1},
           {"reason", "Listeria monocytogenes"}});
  HttpResponse raw = w().Call("GET", "/v1/trace/" + UrlEncode(sold));
  ASSERT_EQ(raw.status, 200) << raw.body;
  EXPECT_EQ(raw.body.rfind("{\"warning\":", 0), 0u) << "the warning must come first";
  json j = json::parse(raw.body);
  EXPECT_EQ(j["warning"]["status"], "recalled");
  const std::string en = j["warning"]["message"], zh = j["warning"]["message_zh"];
  EXPECT_NE(en.find("RC-2026-SAL"), std::string::npos) << en;
  EXPECT_NE(en.find("Listeria"), std::string::npos) << en;
  EXPECT_NE(en.find("sold before the recall"), std::string::npos) << en;
  EXPECT_NE(en.find("this item's lot SAL-7"), std::string::npos) << en;
  EXPECT_NE(zh.find("售出"), std::string::npos) << zh;
  EXPECT_EQ(j["status"], "dispensed");  // what happened to it stays true
  EXPECT_EQ(j["terminal"], "sold");
  EXPECT_EQ(j["recall"]["id"], "RC-2026-SAL");
  EXPECT_EQ(j["recall"]["this_item"]["response_owed"], false);
  bool recall_alert = false;
  for (const auto& a : j["alerts"]) recall_alert = recall_alert || a["type"] == "recall";
  EXPECT_TRUE(recall_alert) << j["alerts"].dump();
  EXPECT_TRUE(cli::VerifyTraceAnswer(w().genesis(), j.dump()).ok());
  // The cached answer was dropped by the recall, and equals a fresh one.
  EXPECT_EQ(raw.body, w().CallFresh("GET", "/v1/trace/" + UrlEncode(sold)).body);
  // The pack still on the shelf is frozen by the recall, as before.
  json k = Trace(kept);
  EXPECT_EQ(k["status"], "recalled");
  EXPECT_EQ(k["recall"]["this_item"]["response_owed"], true);
  // The recall counts the sold pack as having reached a consumer.
  json r = json::parse(w().Call("GET", "/v1/recalls/RC-2026-SAL").body);
  EXPECT_EQ(r["progress"]["reached_consumers"], 1) << r.dump();
  // The shop sends the other pack back: it is no longer "return it".
  w().Run(shop.key, "recall.respond",
          {{"recall_id", "RC-2026-SAL"}, {"codes", {kept}}, {"action", "returned"}});
  json back = Trace(kept);
  EXPECT_EQ(back["warning"]["status"], "recalled");
  EXPECT_NE(back["warning"]["message"].get<std::string>().find("was returned under recall"),
            std::string::npos)
      << back["warning"].dump();
  // A pack added to the lot after the recall and sold is not under it.
  const std::string later = "(01)" + gtin + "(21)F0003";
  w().Run(w().maker.key, "trace.commission",
          {{"product_code", gtin},
           {"lot", "SAL-7"},
           {"expiry", "2027-01-31"},
           {"codes", {later}},
           {"location", "Hangzhou kitchen"}});
  w().Run(w().maker.key, "trace.ship",
          {{"shipment_id", "SH-SALAD-2"},
           {"codes", {later}},
           {"to", shop.uscc},
           {"carrier", w().carrier.uscc},
           {"vehicle", "浙A00007"}});
  w().Run(shop.key, "trace.receive", {{"shipment_id", "SH-SALAD-2"}});
  w().Run(shop.key, "trace.dispense", {{"codes", {later}}, {"kind", "sold"}});
  json l = Trace(later);
  EXPECT_FALSE(l.contains("warning")) << l.dump().substr(0, 400);
  EXPECT_TRUE(l["recall"].is_null());

  // A recall of what an item was made from reaches it too: lettuce made into
  // a salad pack, the pack sold, then the lettuce's lot recalled.
  const std::string leaf_gtin = "06901234567922", pack_gtin = "06901234567939";
  const std::string leaf = "(01)" + leaf_gtin + "(21)L0001",
                    pack = "(01)" + pack_gtin + "(21)P0001";
  w().Run(w().maker.key, "product.register",
          {{"product_code", leaf_gtin}, {"name", "生菜 Lettuce"}, {"category", "food"}});
  w().Run(w().maker.key, "product.register",
          {{"product_code", pack_gtin}, {"name", "沙拉 Salad pack"}, {"category", "food"}});
  w().Run(w().maker.key, "trace.commission",
          {{"product_code", leaf_gtin},
           {"lot", "LEAF-1"},
           {"expiry", "2027-01-10"},
           {"codes", {leaf}},
           {"location", "Xiaoshan field"}});
  w().Run(w().maker.key, "trace.transform",
          {{"inputs", {leaf}},
           {"outputs",
            {{"product_code", pack_gtin},
             {"lot", "PACK-1"},
             {"expiry", "2027-01-05"},
             {"codes", {pack}}}}});
  w().Run(w().maker.key, "trace.ship",
          {{"shipment_id", "SH-PACK"},
           {"codes", {pack}},
           {"to", shop.uscc},
           {"carrier", w().carrier.uscc},
           {"vehicle", "浙A00008"}});
  w().Run(shop.key, "trace.receive", {{"shipment_id", "SH-PACK"}});
  w().Run(shop.key, "trace.dispense", {{"codes", {pack}}, {"kind", "sold"}});
  EXPECT_FALSE(Trace(pack).contains("warning"));
  w().Run(w().regulator(), "recall.issue",
          {{"recall_id", "RC-2026-LEAF"},
           {"product_code", leaf_gtin},
           {"lots", {"LEAF-1"}},
           {"level", 2},
           {"reason", "E. coli"}});
  json p = Trace(pack);
  EXPECT_EQ(p["warning"]["status"], "recalled") << p.dump();
  EXPECT_EQ(p["recall"]["id"], "RC-2026-LEAF");
  const std::string pen = p["warning"]["message"];
  EXPECT_NE(pen.find("a lot it was made from (LEAF-1"), std::string::npos) << pen;
  EXPECT_EQ(pen.find("PACK-1"), std::string::npos) << "its own lot was not recalled: " << pen;
  EXPECT_EQ(p["status"], "dispensed");
  EXPECT_EQ(w().Call("GET", "/v1/trace/" + UrlEncode(pack)).body,
            w().CallFresh("GET", "/v1/trace/" + UrlEncode(pack)).body);
}
// A transaction that extends more chains than one chunk of links holds (a
// shipment of 600 doses): the answer of a dose whose link is in the third
// chunk carries an audit path over all 600 links, and it verifies; the proof
// of another dose's link does not stand in for it.
TEST(TraceHeadsProof, AShipmentOfSixHundredItemsProvesEachItemsLink) {
  testing::TestNode n("heads");
  ASSERT_TRUE(n.ok()) << n.error();
  std::string why;
  auto maker = n.Enroll("华东疫苗股份有限公司", {"manufacturer"}, "330100", &why);
  auto site = n.Enroll("灵隐社区卫生服务中心接种门诊", {"vaccination_site"}, "330100", &why);
  auto carrier = n.Enroll("浙冷物流有限公司", {"logistics"}, "330200", &why);
  n.Must(
      maker.key, "product.register",
      {{"product_code", "06901234567892"}, {"name", "乙型肝炎疫苗 10μg"}, {"category", "vaccine"}},
      &why);
  std::vector<std::string> doses;
  for (int i = 1; i <= 600; ++i) doses.push_back(testing::TestNode::Dose(i));
  n.Must(maker.key, "trace.commission",
         {{"product_code", "06901234567892"},
          {"lot", "HB2026A"},
          {"expiry", "2030-06-30"},
          {"codes", doses},
          {"location", "杭州市余杭区疫苗生产基地"}},
         &why);
  n.Must(maker.key, "trace.ship",
         {{"shipment_id", "SH-BIG"},
          {"codes", doses},
          {"to", site.uscc},
          {"carrier", carrier.uscc},
          {"vehicle", "浙A12345"}},
         &why);
  ASSERT_EQ(why, "");
  const Genesis& g = n.node()->genesis();
  auto trace = [&](int i) {
    HttpResponse r = n.Call("GET", "/v1/trace/" + UrlEncode(testing::TestNode::Dose(i)));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  };
  json a = trace(550);
  ASSERT_EQ(a["events"].size(), 2u);
  for (const json& ev : a["events"]) {
    const json& inc = ev["proof"]["heads_inclusion"];
    EXPECT_EQ(inc["tree_size"], 600);
    EXPECT_EQ(inc["leaf_index"], 549);
    // RFC 9162: [0,512) is one sibling, then leaf 37 of the last 88: 1 + 1 + 6.
    EXPECT_EQ(inc["path"].size(), 8u);
    EXPECT_EQ(ev["proof"]["receipt"]["heads_root"].get<std::string>().size(), 64u);
  }
  auto rep = cli::VerifyTraceAnswer(g, a.dump());
  EXPECT_TRUE(rep.ok()) << rep.status.ToString();
  EXPECT_TRUE(cli::VerifyTraceAnswer(g, trace(1).dump()).ok());
  EXPECT_TRUE(cli::VerifyTraceAnswer(g, trace(257).dump()).ok());
  // Dose 551's shipment event under dose 550's code: its proof is for its own
  // link, so it proves nothing about dose 550.
  json other = trace(551);
  json forged = a;
  forged["events"][1]["proof"]["heads_inclusion"] = other["events"][1]["proof"]["heads_inclusion"];
  EXPECT_EQ(cli::VerifyTraceAnswer(g, forged.dump()).status.code(), "HEADS_INCLUSION_INVALID");
}
}  // namespace
}  // namespace traceledger::api
