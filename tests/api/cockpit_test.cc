// GET /v1/cockpit, /metrics, /openapi.json and the pages over a real
// in-process dev node.
#include "api/cockpit.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "api/metrics.h"
#include "test_node.h"

namespace traceledger::api {
namespace {

using nlohmann::json;
using testing::TestNode;

json Cockpit(TestNode& n) {
  HttpResponse r = n.Call("GET", "/v1/cockpit");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  json j = json::parse(r.body, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.body;
  return j;
}

// The cockpit once its follower (a thread of the service) has merged every
// block up to the answer's height. Fails after 10 s (a bound, not a timing
// assertion: the follower wakes every Cockpit::kFollowIntervalMs).
json CaughtUp(TestNode& n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    json j = Cockpit(n);
    const json& wh = j["events"]["window_height"];
    if (wh.is_number() && wh.get<uint64_t>() >= j["height"].get<uint64_t>() &&
        j["events"]["window_complete"].get<bool>()) {
      return j;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the cockpit's follower did not catch up: " << j["events"].dump();
      return j;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST(CockpitApi, NumbersFollowAVaccineJourneyWithAnExcursion) {
  TestNode n("cockpit");
  ASSERT_TRUE(n.ok()) << n.error();
  json before = Cockpit(n);
  EXPECT_EQ(before["items"]["total"], 0);
  EXPECT_EQ(before["alerts"]["open"], 0);
  EXPECT_EQ(before["quarantined_items"], 0);
  EXPECT_EQ(before["events"]["last_hour"], 0);
  EXPECT_EQ(before["ledger"]["role"], "leader");
  EXPECT_EQ(before["ledger"]["nodes"].size(), 1u);
  EXPECT_EQ(before["events"]["per_minute"].size(), 60u);

  std::string why = n.VaccineJourney();
  ASSERT_EQ(why, "");
  json after = CaughtUp(n);
  // 6 doses commissioned, all vaccine.
  EXPECT_EQ(after["items"]["total"], 6);
  EXPECT_EQ(after["programmes"]["vaccine"]["items"], 6);
  EXPECT_EQ(after["programmes"]["cold_chain"]["items"], 0);
  EXPECT_EQ(after["programmes"]["food"]["items"], 0);
  // 3 enrolments + 8 custody events; the 8 vaccine ones counted in the windows.
  EXPECT_EQ(after["events"]["total"], 3 + 7);
  EXPECT_EQ(after["programmes"]["vaccine"]["events_last_hour"], 7);
  EXPECT_EQ(after["programmes"]["vaccine"]["events_last_day"], 7);
  EXPECT_EQ(after["programmes"]["other"]["events_last_hour"], 3);
  EXPECT_EQ(after["events"]["last_hour"], 10);
  EXPECT_EQ(after["events"]["by_type"]["trace.reading"], 2);
  EXPECT_EQ(after["events"]["excursions"], 1);
  uint64_t minute_sum = 0;
  for (const auto& m : after["events"]["per_minute"]) minute_sum += m["total"].get<uint64_t>();
  EXPECT_EQ(minute_sum, 10u);
  // The excursion: 3 doses in transit are quarantined, one alert is open.
  EXPECT_EQ(after["quarantined_items"], 3);
  EXPECT_EQ(after["items"]["by_status"]["quarantined"], 3);
  EXPECT_EQ(after["items"]["by_status"]["active"], 3);
  EXPECT_EQ(after["alerts"]["open"], 1);
  EXPECT_EQ(after["alerts"]["open_by_type"]["temperature_excursion"], 1);
  ASSERT_EQ(after["alerts"]["newest"].size(), 1u);
  EXPECT_EQ(after["alerts"]["newest"][0]["kind"], "temperature_excursion");
  EXPECT_TRUE(after["alerts"]["newest"][0]["open"].get<bool>());
  // Shipments: SH-V1 received, SH-V2 still open and not overdue.
  EXPECT_EQ(after["shipments"]["total"], 2);
  EXPECT_EQ(after["shipments"]["open"], 1);
  EXPECT_EQ(after["shipments"]["overdue"], 0);
  // Enterprises by role and region.
  EXPECT_EQ(after["enterprises"]["total"], 3);
  EXPECT_EQ(after["enterprises"]["by_region"]["330100"], 2);
  EXPECT_EQ(after["enterprises"]["by_region"]["330200"], 1);
  EXPECT_EQ(after["enterprises"]["active_by_role"]["vaccination_site"], 1);
  // Ledger health.
  EXPECT_GT(after["ledger"]["height"].get<uint64_t>(), before["ledger"]["height"].get<uint64_t>());
  EXPECT_EQ(after["height"], after["ledger"]["height"]);
  EXPECT_GT(after["ledger"]["tx_per_second"].get<double>(), 0);

  // The regulator releases the doses: the alert closes, nothing is quarantined.
  ASSERT_TRUE(n.Must(n.regulator(), "regulator.release",
                     {{"codes", {TestNode::Dose(4), TestNode::Dose(5), TestNode::Dose(6)}},
                      {"reason", "稳定性数据已审核"}},
                     &why))
      << why;
  json released = CaughtUp(n);
  EXPECT_EQ(released["quarantined_items"], 0);
  EXPECT_EQ(released["alerts"]["open"], 0);
  EXPECT_EQ(released["alerts"]["open_by_type"].size(), 0u);
  EXPECT_FALSE(released["alerts"]["newest"][0]["open"].get<bool>());
  EXPECT_EQ(released["programmes"]["vaccine"]["events_last_hour"], 8);
}

TEST(CockpitApi, RecallsAndProgrammes) {
  TestNode n("cockpit-recall");
  ASSERT_TRUE(n.ok()) << n.error();
  ASSERT_EQ(n.MoreDemo(), "");
  json c = CaughtUp(n);
  EXPECT_EQ(c["programmes"]["cold_chain"]["items"], 8);
  EXPECT_EQ(c["programmes"]["food"]["items"], 5);
  EXPECT_GT(c["programmes"]["cold_chain"]["events_last_hour"].get<int>(), 0);
  EXPECT_GT(c["programmes"]["food"]["events_last_hour"].get<int>(), 0);
  EXPECT_EQ(c["recalls"]["total"], 1);
  EXPECT_EQ(c["recalls"]["open"], 1);
  ASSERT_EQ(c["recalls"]["list"].size(), 1u);
  const json& r = c["recalls"]["list"][0];
  EXPECT_EQ(r["recall_id"], "RC-2026-001");
  EXPECT_EQ(r["product_name"], "有机菠菜 500g");  // the screen names the product
  EXPECT_EQ(r["affected"], 5);
  EXPECT_EQ(r["outstanding"], 3);
  EXPECT_EQ(r["resolved"], 2);
  EXPECT_DOUBLE_EQ(r["progress"].get<double>(), 0.4);
  EXPECT_EQ(c["alerts"]["open_by_type"]["recall"], 1);
  // Every alert the contracts raised has its Chinese text (api/alert_text.h).
  ASSERT_FALSE(c["alerts"]["newest"].empty());
  for (const auto& a : c["alerts"]["newest"]) {
    EXPECT_TRUE(a["message_zh"].is_string()) << a.dump();
  }
}

TEST(CockpitApi, MethodAndCaching) {
  TestNode n("cockpit-method");
  ASSERT_TRUE(n.ok()) << n.error();
  HttpResponse r = n.Call("POST", "/v1/cockpit", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "METHOD_NOT_ALLOWED");
  // Two requests in the same second at the same height give the same answer.
  EXPECT_EQ(n.Call("GET", "/v1/cockpit").body.size() > 0, true);
}

// The follower, driven by hand: a request reads no block, so blocks applied
// before the first request are in its answer only once the follower (not the
// request) has read them, one block per step.
TEST(CockpitFollower, RequestsNeverCatchUpTheFollowerDoes) {
  TestNode n("cockpit-follow");
  ASSERT_TRUE(n.ok()) << n.error();
  ASSERT_EQ(n.VaccineJourney(), "");
  uint64_t latest = *n.node()->blocks().latest_height();
  ASSERT_GE(latest, 10u);  // one block per committed request at least

  api::Cockpit c(n.node());  // its follower thread is not started
  json first = json::parse(c.Json(testing::NowMs()));
  // The counters are current; the windows have not read a block.
  EXPECT_EQ(first["items"]["total"], 6);
  EXPECT_EQ(first["events"]["total"], 10);
  EXPECT_EQ(first["events"]["last_hour"], 0);
  EXPECT_TRUE(first["events"]["window_height"].is_null());
  EXPECT_FALSE(first["events"]["window_complete"].get<bool>());
  EXPECT_EQ(c.Rates(testing::NowMs()).tx_per_second, 0);

  // One step reads one block: the newest first (the backfill walks back).
  EXPECT_TRUE(c.FollowStep(testing::NowMs()));
  json one = json::parse(c.Json(testing::NowMs()));
  EXPECT_EQ(one["events"]["window_height"], latest);
  EXPECT_LE(one["events"]["last_hour"].get<uint64_t>(), 1u);
  EXPECT_FALSE(one["events"]["window_complete"].get<bool>());

  // The rest of the backfill: a step per block, genesis included, then done.
  uint64_t steps = 1;
  while (c.FollowStep(testing::NowMs())) {
    ASSERT_LT(++steps, 10 * (latest + 1)) << "the follower does not finish";
  }
  EXPECT_EQ(steps, latest);  // blocks latest..1 said "more", block 0 ended the walk
  json full = json::parse(c.Json(testing::NowMs()));
  EXPECT_EQ(full["events"]["last_hour"], 10);
  EXPECT_EQ(full["programmes"]["vaccine"]["events_last_hour"], 7);
  EXPECT_EQ(full["programmes"]["other"]["events_last_day"], 3);
  EXPECT_TRUE(full["events"]["window_complete"].get<bool>());
  EXPECT_EQ(full["events"]["window_height"], latest);
  EXPECT_GT(c.Rates(testing::NowMs()).tx_per_second, 0);
  EXPECT_FALSE(c.FollowStep(testing::NowMs()));  // nothing new

  // A new block: the counters see it at once, the windows after a step.
  std::string why;
  ASSERT_TRUE(n.Must(n.regulator(), "regulator.release",
                     {{"codes", {TestNode::Dose(4), TestNode::Dose(5), TestNode::Dose(6)}},
                      {"reason", "稳定性数据已审核"}},
                     &why))
      << why;
  uint64_t now_latest = *n.node()->blocks().latest_height();
  ASSERT_GT(now_latest, latest);
  json stale = json::parse(c.Json(testing::NowMs()));
  EXPECT_EQ(stale["quarantined_items"], 0);
  EXPECT_EQ(stale["events"]["last_hour"], 10);
  EXPECT_EQ(stale["events"]["window_height"], latest);
  for (uint64_t h = latest + 1; h <= now_latest; ++h) {
    c.FollowStep(testing::NowMs());
    EXPECT_EQ(json::parse(c.Json(testing::NowMs()))["events"]["window_height"], h);
  }
  json fresh = json::parse(c.Json(testing::NowMs()));
  EXPECT_EQ(fresh["events"]["last_hour"], 11);
  EXPECT_EQ(fresh["programmes"]["vaccine"]["events_last_hour"], 8);
}

// A built answer is served again while the stores and the windows are
// unchanged and it is younger than kMaxAnswerAgeMs; then it is rebuilt.
TEST(CockpitFollower, AnswersAreReusedWhileExactAndYoung) {
  TestNode n("cockpit-reuse");
  ASSERT_TRUE(n.ok()) << n.error();
  ASSERT_EQ(n.VaccineJourney(), "");
  traceledger::api::Cockpit c(n.node());
  while (c.FollowStep(testing::NowMs())) {
  }
  int64_t t0 = testing::NowMs();
  std::string first = c.Json(t0);
  EXPECT_EQ(c.Json(t0 + traceledger::api::Cockpit::kMaxAnswerAgeMs - 1), first);
  std::string later = c.Json(t0 + traceledger::api::Cockpit::kMaxAnswerAgeMs);
  EXPECT_NE(later, first);
  EXPECT_NE(json::parse(later)["generated_at"], json::parse(first)["generated_at"]);
  // A write: the next answer is rebuilt at once, whatever its age.
  std::string why;
  ASSERT_TRUE(n.Must(n.regulator(), "regulator.release",
                     {{"codes", {TestNode::Dose(4), TestNode::Dose(5), TestNode::Dose(6)}},
                      {"reason", "稳定性数据已审核"}},
                     &why))
      << why;
  json fresh = json::parse(c.Json(t0 + traceledger::api::Cockpit::kMaxAnswerAgeMs + 1));
  EXPECT_EQ(fresh["quarantined_items"], 0);
  EXPECT_EQ(fresh["alerts"]["open"], 0);
}

// The service's follower thread catches up on blocks applied before the
// first request with no request's help.
TEST(CockpitFollower, TheServiceFollowsInTheBackground) {
  TestNode n("cockpit-bg");
  ASSERT_TRUE(n.ok()) << n.error();
  ASSERT_EQ(n.VaccineJourney(), "");
  uint64_t latest = *n.node()->blocks().latest_height();
  // No request touches the follower's windows: they fill on their own.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  LedgerRates r;
  while ((r = n.service()->cockpit()->Rates(testing::NowMs())).tx_per_second == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(r.tx_per_second, 0);
  json c = CaughtUp(n);
  EXPECT_GE(c["events"]["window_height"].get<uint64_t>(), latest);
  EXPECT_EQ(c["events"]["last_hour"], 10);
}

// ---- /metrics ----------------------------------------------------------------

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value;
};

// Parses the Prometheus text format strictly enough to catch mistakes: every
// sample's family has HELP and TYPE lines before it; names and labels are
// well-formed; values parse.
std::vector<Sample> ParseMetrics(const std::string& text, std::string* err) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? ([-+]?([0-9.eE+-]+|Inf|NaN))$)");
  static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)\")");
  std::vector<Sample> out;
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      helps.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream ls(line.substr(7));
      std::string name, type;
      ls >> name >> type;
      if (type != "counter" && type != "gauge" && type != "histogram") *err += "type " + line;
      types[name] = type;
      continue;
    }
    std::smatch m;
    if (!std::regex_match(line, m, kSample)) {
      *err += "bad line: " + line + "\n";
      continue;
    }
    Sample s{m[1], {}, std::stod(m[4].str() == "+Inf" ? "inf" : m[4].str())};
    std::string family = s.name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string sf(suffix);
      if (family.size() > sf.size() &&
          family.compare(family.size() - sf.size(), sf.size(), sf) == 0 &&
          types.count(family.substr(0, family.size() - sf.size()))) {
        family = family.substr(0, family.size() - sf.size());
      }
    }
    if (!types.count(family) || !helps.count(family)) *err += "no HELP/TYPE for " + s.name + "\n";
    std::string labels = m[3];
    for (std::sregex_iterator it(labels.begin(), labels.end(), kLabel), end; it != end; ++it) {
      s.labels[(*it)[1]] = (*it)[2];
    }
    out.push_back(s);
  }
  return out;
}

double Find(const std::vector<Sample>& v, const std::string& name,
            const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : v) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, val] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != val) match = false;
    }
    if (match) return s.value;
  }
  return -1;
}

TEST(MetricsApi, PrometheusTextAndCountersIncrease) {
  TestNode n("metrics");
  ASSERT_TRUE(n.ok()) << n.error();
  n.Call("GET", "/v1/status");
  n.Call("GET", "/v1/blocks/999999");  // 404
  HttpResponse r = n.Call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  std::string err;
  auto first = ParseMetrics(r.body, &err);
  EXPECT_EQ(err, "");
  EXPECT_EQ(Find(first, "traceledger_http_requests_total",
                 {{"route", "/v1/status"}, {"method", "GET"}, {"code", "200"}}),
            1);
  EXPECT_EQ(Find(first, "traceledger_http_requests_total",
                 {{"route", "/v1/blocks/{height}"}, {"code", "404"}}),
            1);
  EXPECT_EQ(Find(first, "traceledger_raft_role", {{"role", "leader"}}), 1);
  EXPECT_EQ(Find(first, "traceledger_raft_role", {{"role", "follower"}}), 0);
  EXPECT_GE(Find(first, "traceledger_raft_term"), 1);
  EXPECT_GE(Find(first, "traceledger_mempool_size"), 0);
  EXPECT_GE(Find(first, "traceledger_block_height"), 0);
  EXPECT_GE(Find(first, "traceledger_peers_connected"), 0);
  EXPECT_GE(Find(first, "traceledger_block_interval_seconds"), 0);
  EXPECT_GE(Find(first, "traceledger_apply_transactions_per_second"), 0);
  EXPECT_EQ(
      Find(first, "traceledger_http_request_duration_seconds_count", {{"route", "/v1/status"}}), 1);
  EXPECT_EQ(Find(first, "traceledger_http_request_duration_seconds_bucket",
                 {{"route", "/v1/status"}, {"le", "+Inf"}}),
            1);

  std::string why = n.VaccineJourney();
  ASSERT_EQ(why, "");
  CaughtUp(n);  // the apply rate comes from the cockpit's follower
  n.Call("GET", "/v1/status");
  n.Call("GET", "/no/such/thing");
  r = n.Call("GET", "/metrics");
  auto second = ParseMetrics(r.body, &err);
  EXPECT_EQ(err, "");
  EXPECT_EQ(
      Find(second, "traceledger_http_requests_total", {{"route", "/v1/status"}, {"code", "200"}}),
      2);
  EXPECT_EQ(Find(second, "traceledger_http_requests_total",
                 {{"route", "/v1/transactions"}, {"method", "POST"}, {"code", "200"}}),
            10);
  EXPECT_EQ(Find(second, "traceledger_http_requests_total", {{"route", "other"}}), 1);
  EXPECT_EQ(Find(second, "traceledger_http_requests_total", {{"route", "/metrics"}}), 1);
  EXPECT_GT(Find(second, "traceledger_block_height"), Find(first, "traceledger_block_height"));
  EXPECT_GT(Find(second, "traceledger_raft_applied_index"),
            Find(first, "traceledger_raft_applied_index"));
  EXPECT_EQ(Find(second, "traceledger_transactions_total"), 10);
  EXPECT_GT(Find(second, "traceledger_apply_transactions_per_second"), 0);
  // Histogram buckets are cumulative and end at the count.
  double prev = 0;
  for (const auto& s : second) {
    if (s.name != "traceledger_http_request_duration_seconds_bucket" ||
        s.labels.at("route") != "/v1/transactions")
      continue;
    EXPECT_GE(s.value, prev);
    prev = s.value;
  }
  EXPECT_EQ(prev, 10);
  EXPECT_EQ(n.Call("POST", "/metrics", "").status, 405);

  // Memory: the process's resident set by kind, malloc's heap, LevelDB's caches.
  double rss = Find(second, "traceledger_process_resident_bytes");
  EXPECT_GT(rss, 1 << 20);
  EXPECT_GE(Find(second, "traceledger_process_resident_peak_bytes"), rss);
  double anon = Find(second, "traceledger_process_resident_kind_bytes", {{"kind", "anon"}});
  double file = Find(second, "traceledger_process_resident_kind_bytes", {{"kind", "file"}});
  EXPECT_GT(anon, 0);
  EXPECT_GT(file, 0);                       // the program itself is a mapped file
  EXPECT_LE(anon + file, rss + (4 << 20));  // read a moment apart
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // (A sanitizer's allocator leaves glibc's mallinfo2 empty: docs/testing.md.)
  EXPECT_GT(Find(second, "traceledger_malloc_in_use_bytes"), 0);
#endif
  EXPECT_GE(Find(second, "traceledger_malloc_free_bytes"), 0);
  // Every database was written (its memtable holds data) and read.
  for (const char* db : {"blocks", "state", "raft"}) {
    EXPECT_GT(Find(second, "traceledger_leveldb_memory_bytes", {{"db", db}}), 0) << db;
  }
}

TEST(MetricsApi, ParsesProcStatus) {
  ProcessMemory m = ParseProcStatus(
      "Name:\ttracenode\nVmPeak:\t  999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1536 kB\n"
      "RssAnon:\t    1024 kB\nRssFile:\t     512 kB\nRssShmem:\t       0 kB\n");
  EXPECT_EQ(m.resident_peak_bytes, 2048u * 1024);
  EXPECT_EQ(m.resident_bytes, 1536u * 1024);
  EXPECT_EQ(m.resident_anon_bytes, 1024u * 1024);
  EXPECT_EQ(m.resident_file_bytes, 512u * 1024);
  // A prefix of a field's name is not that field; missing fields are 0.
  m = ParseProcStatus("VmRSSx:\t5 kB\nVmRSS:\t7 kB");
  EXPECT_EQ(m.resident_bytes, 7u * 1024);
  EXPECT_EQ(m.resident_peak_bytes, 0u);
}

// ---- /openapi.json -------------------------------------------------------------

// Every route ApiService dispatches (api/service.cc), as OpenAPI paths.
const char* kDispatched[] = {
    "/v1/transactions",
    "/v1/transactions/{tx_id}",
    "/v1/blocks/latest",
    "/v1/blocks/{height}",
    "/v1/status",
    "/v1/cockpit",
    "/metrics",
    "/openapi.json",
    "/",
    "/t/{code}",
    "/assets/{file}",
};
// The trace and supervision routes, served through IsTracePath /
// HandleTraceRoute and HandleViewRoute (api/service.cc): the document must
// list them too.
const std::set<std::string> kTraceRoutes = {"/v1/trace/{code}",
                                            "/01/{gtin}/21/{serial}",
                                            "/01/{gtin}/10/{lot}",
                                            "/v1/enterprises/{uscc}",
                                            "/v1/products/{code}",
                                            "/v1/recalls/{id}",
                                            "/v1/alerts",
                                            "/v1/recalls",
                                            "/01/{gtin}/10/{lot}/21/{serial}",
                                            "/00/{sscc}"};

void CheckRefs(const json& doc, const json& node, std::string* err) {
  if (node.is_object()) {
    if (auto it = node.find("$ref"); it != node.end()) {
      std::string ref = *it;
      if (ref.rfind("#/components/schemas/", 0) != 0 ||
          !doc["components"]["schemas"].contains(ref.substr(21))) {
        *err += "dangling " + ref + "\n";
      }
    }
    for (const auto& [k, v] : node.items()) CheckRefs(doc, v, err);
  } else if (node.is_array()) {
    for (const auto& v : node) CheckRefs(doc, v, err);
  }
}

TEST(OpenApi, ParsesAndListsEveryRoute) {
  TestNode n("openapi");
  ASSERT_TRUE(n.ok()) << n.error();
  HttpResponse r = n.Call("GET", "/openapi.json");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  json doc = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << "not JSON";
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  EXPECT_TRUE(doc["info"].contains("title"));
  ASSERT_TRUE(doc["components"]["schemas"].contains("Error"));
  const json& paths = doc["paths"];
  for (const char* p : kDispatched) EXPECT_TRUE(paths.contains(p)) << p << " is not documented";
  for (const auto& p : kTraceRoutes) EXPECT_TRUE(paths.contains(p)) << p;
  std::string err;
  CheckRefs(doc, doc, &err);
  EXPECT_EQ(err, "");
  for (const auto& [path, ops] : paths.items()) {
    for (const auto& [method, op] : ops.items()) {
      EXPECT_TRUE(op.contains("responses") && !op["responses"].empty()) << method << " " << path;
      EXPECT_TRUE(op.contains("operationId")) << method << " " << path;
      // Parameters named in the path are declared.
      for (size_t b = path.find('{'); b != std::string::npos; b = path.find('{', b + 1)) {
        std::string name = path.substr(b + 1, path.find('}', b) - b - 1);
        bool declared = false;
        for (const auto& prm : op.value("parameters", json::array())) {
          declared |= prm["name"] == name && prm["in"] == "path";
        }
        EXPECT_TRUE(declared) << path << " does not declare " << name;
      }
      // Every documented GET route is dispatched.
      if (method != "get") continue;
      std::string target = std::regex_replace(path, std::regex(R"(\{[^}]*\})"), "x");
      HttpResponse got = n.Call("GET", target);
      EXPECT_EQ(got.body.find("no such endpoint"), std::string::npos) << path;
    }
  }
}

// `schema` with its $refs followed to the components they name.
const json& Resolved(const json& doc, const json& schema) {
  const json* s = &schema;
  while (s->contains("$ref")) {
    s = &doc["components"]["schemas"][(*s)["$ref"].get<std::string>().substr(21)];
  }
  return *s;
}

// Checks answer `v` against `schema` of the OpenAPI document `doc`: each
// member of an object is one of its schema's properties (unless the schema
// allows others), each required one is there, and each value has the stated
// type (null only where nullable). Appends "PATH: what" to *errs.
void CheckShape(const json& doc, const json& schema_in, const json& v, const std::string& at,
                std::vector<std::string>* errs) {
  const json* schema = &Resolved(doc, schema_in);
  if (schema->contains("allOf")) {  // a merge of object schemas
    json merged = {{"type", "object"}, {"properties", json::object()}};
    for (const auto& part : (*schema)["allOf"]) {
      merged["properties"].update(Resolved(doc, part).value("properties", json::object()));
    }
    return CheckShape(doc, merged, v, at, errs);
  }
  if (schema->contains("oneOf")) {
    std::vector<std::string> first;
    for (const auto& alt : (*schema)["oneOf"]) {
      std::vector<std::string> e;
      CheckShape(doc, alt, v, at, &e);
      if (e.empty()) return;
      if (first.empty()) first = e;
    }
    errs->push_back(at + ": matches none of oneOf (first: " +
                    (first.empty() ? std::string("?") : first[0]) + ")");
    return;
  }
  if (v.is_null()) {
    if (!schema->value("nullable", false) && schema->contains("type")) {
      errs->push_back(at + ": null, but not nullable");
    }
    return;
  }
  const std::string type = schema->value("type", "");
  bool ok = type.empty() || (type == "object" && v.is_object()) ||
            (type == "array" && v.is_array()) || (type == "string" && v.is_string()) ||
            (type == "boolean" && v.is_boolean()) || (type == "number" && v.is_number()) ||
            (type == "integer" && v.is_number_integer());
  if (!ok) return errs->push_back(at + ": " + v.type_name() + ", schema says " + type);
  if (v.is_object() && schema->contains("properties")) {
    const json& props = (*schema)["properties"];
    bool others = schema->value("additionalProperties", false) == true;
    for (const auto& [k, x] : v.items()) {
      if (props.contains(k)) {
        CheckShape(doc, props[k], x, at + "." + k, errs);
      } else if (!others) {
        errs->push_back(at + "." + k + ": in the answer, not in the schema");
      }
    }
    for (const auto& k : schema->value("required", json::array())) {
      if (!v.contains(k.get<std::string>())) {
        errs->push_back(at + "." + k.get<std::string>() + ": required, not in the answer");
      }
    }
  }
  if (v.is_array() && schema->contains("items")) {
    for (size_t i = 0; i < v.size() && i < 50; ++i) {
      CheckShape(doc, (*schema)["items"], v[i], at + "[" + std::to_string(i) + "]", errs);
    }
  }
}

// What /openapi.json says each GET answers is what the node answers: every
// member of real answers (a quarantined dose in transit, a received one,
// imported shrimp with documents, food destroyed in a recall, a lot, the
// supervision views, the cockpit, blocks, a transaction) is documented, with
// its type, and every member documented as required is there.
TEST(OpenApi, RealAnswersHaveTheDocumentedShapes) {
  TestNode n("openapi-shapes");
  ASSERT_TRUE(n.ok()) << n.error();
  ASSERT_EQ(n.VaccineJourney(), "");
  ASSERT_EQ(n.MoreDemo(), "");
  CaughtUp(n);
  json doc = json::parse(n.Call("GET", "/openapi.json").body);
  auto get = [&](const std::string& target) {
    HttpResponse r = n.Call("GET", target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  };
  auto code = [](std::string c) {  // a GS1 element string in a path
    std::string out;
    for (char ch : c) out += ch == '(' ? "%28" : ch == ')' ? "%29" : std::string(1, ch);
    return "/v1/trace/" + out;
  };
  json dose4 = get(code(TestNode::Dose(4)));  // in transit, quarantined
  ASSERT_TRUE(dose4.contains("shipment") && dose4.contains("warning")) << dose4.dump();
  const std::string tx_id = dose4["events"][0]["tx_id"];
  const std::string uscc = dose4["custodian"]["uscc"];
  std::vector<std::pair<std::string, std::string>> answers = {
      {code(TestNode::Dose(4)), "/v1/trace/{code}"},
      {code(TestNode::Dose(1)), "/v1/trace/{code}"},
      {"/v1/trace/SHRIMP-1", "/v1/trace/{code}"},
      {"/v1/trace/VEG-1", "/v1/trace/{code}"},
      {"/v1/trace/VEG-3", "/v1/trace/{code}"},
      {"/01/06901234567892/21/D0001", "/01/{gtin}/21/{serial}"},
      {"/01/06901234567892/10/HB2026A", "/01/{gtin}/10/{lot}"},
      {"/v1/enterprises/" + uscc, "/v1/enterprises/{uscc}"},
      {"/v1/products/06901234567892", "/v1/products/{code}"},
      {"/v1/recalls/RC-2026-001", "/v1/recalls/{id}"},
      {"/v1/recalls", "/v1/recalls"},
      {"/v1/alerts?status=all", "/v1/alerts"},
      {"/v1/cockpit", "/v1/cockpit"},
      {"/v1/status", "/v1/status"},
      {"/v1/blocks/latest", "/v1/blocks/latest"},
      {"/v1/blocks/1", "/v1/blocks/{height}"},
      {"/v1/transactions/" + tx_id, "/v1/transactions/{tx_id}"},
  };
  for (const auto& [target, path] : answers) {
    json answer = get(target);
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    const json& schema =
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    std::vector<std::string> errs;
    CheckShape(doc, schema, answer, "", &errs);
    std::string all;
    for (size_t i = 0; i < errs.size() && i < 20; ++i) all += "\n  " + errs[i];
    EXPECT_TRUE(errs.empty()) << target << " (" << path << "): " << errs.size() << " difference(s)"
                              << all;
  }
}

// ---- pages -------------------------------------------------------------------------

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(Pages, ServedEmbeddedWithTypesAndCaching) {
  TestNode n("pages");
  ASSERT_TRUE(n.ok()) << n.error();
  HttpResponse home = n.Call("GET", "/");
  ASSERT_EQ(home.status, 200);
  EXPECT_EQ(home.content_type, "text/html; charset=utf-8");
  EXPECT_NE(home.body.find("/assets/echarts.min.js"), std::string::npos);
  EXPECT_NE(home.body.find("/assets/cockpit.js"), std::string::npos);
  EXPECT_EQ(home.body.find("http://"), std::string::npos) << "no CDN links";
  EXPECT_EQ(home.body.find("https://"), std::string::npos) << "no CDN links";
  EXPECT_EQ(Header(home, "Cache-Control"), "no-cache");
  EXPECT_NE(Header(home, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  std::string etag = Header(home, "ETag");
  ASSERT_FALSE(etag.empty());
  HttpResponse again = n.Call("GET", "/", "", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());

  HttpResponse trace = n.Call("GET", "/t/(01)06901234567892(21)D0001");
  ASSERT_EQ(trace.status, 200);
  EXPECT_NE(trace.body.find("/assets/trace.js"), std::string::npos);

  HttpResponse ec = n.Call("GET", "/assets/echarts.min.js");
  ASSERT_EQ(ec.status, 200);
  EXPECT_EQ(ec.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(Header(ec, "Cache-Control").find("max-age="), std::string::npos);
#ifdef TRACELEDGER_HAVE_ECHARTS
  EXPECT_GT(ec.body.size(), 500000u);
  EXPECT_NE(ec.body.find("echarts"), std::string::npos);
#endif
  for (const char* a : {"/assets/app.css", "/assets/common.js", "/assets/cockpit.js",
                        "/assets/trace.js", "/favicon.ico"}) {
    HttpResponse x = n.Call("GET", a);
    EXPECT_EQ(x.status, 200) << a;
    EXPECT_FALSE(x.body.empty()) << a;
    EXPECT_EQ(x.body.find("https://"), std::string::npos) << a << ": no CDN links";
  }
  EXPECT_EQ(n.Call("GET", "/assets/app.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(n.Call("GET", "/assets/nope.js").status, 404);
  EXPECT_EQ(n.Call("GET", "/assets/cockpit.html").status, 404);
  EXPECT_EQ(n.Call("GET", "/t/").status, 404);
  EXPECT_EQ(n.Call("GET", "/t/" + std::string(300, 'x')).status, 404);
  HttpResponse post = n.Call("POST", "/", "x");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
}

}  // namespace
}  // namespace traceledger::api
