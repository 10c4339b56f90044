#include "api/cockpit.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "contracts/cockpit_query.h"
#include "ledger.pb.h"
#include "ledger/time_util.h"

namespace traceledger::api {

using nlohmann::json;

const char* ProgrammeName(int p) {
  switch (p) {
    case kVaccineProg:
      return "vaccine";
    case kColdChainProg:
      return "cold_chain";
    case kFoodProg:
      return "food";
    default:
      return "other";
  }
}

struct Cockpit::Window {
  std::map<int64_t, std::array<uint64_t, kProgCount>> minutes;  // minute -> ok events
  std::deque<std::pair<int64_t, uint32_t>> recent;              // (block time, tx count)
  int64_t last_time = 0, prev_time = 0;                         // the two latest blocks
  uint64_t blocks_seen = 0;
  bool complete = true;  // false if the backfill stopped at kMaxBackfillBlocks
};

namespace {

constexpr int64_t kMinuteMs = 60000;
constexpr int64_t kRateWindowMs = 60000;

int ProgrammeOf(Category c) {
  switch (c) {
    case Category::kVaccine:
      return kVaccineProg;
    case Category::kColdChainFood:
      return kColdChainProg;
    case Category::kFood:
      return kFoodProg;
    default:
      return kOtherProg;
  }
}

const std::string* Str(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}
const std::string* First(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_array() || it->empty() || !(*it)[0].is_string()) return nullptr;
  return (*it)[0].get_ptr<const std::string*>();
}

// The programme a transaction belongs to, from what it names. nullopt when it
// names something the state does not know (yet).
std::optional<int> Classify(const StateReader& st, const std::string& payload) {
  json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return kOtherProg;
  const std::string* type = Str(doc, "type");
  auto bit = doc.find("body");
  if (!type || bit == doc.end() || !bit->is_object()) return kOtherProg;
  const json& body = *bit;
  if (type->rfind("registry.", 0) == 0) return kOtherProg;
  std::optional<Category> c;
  Category parsed;
  if (*type == "product.register") {
    const std::string* cat = Str(body, "category");
    return cat && ParseCategory(*cat, &parsed) ? ProgrammeOf(parsed) : kOtherProg;
  }
  if (const std::string* s = Str(body, "product_code")) {
    c = ProductCategory(st, *s);
  } else if (const std::string* s = First(body, "codes")) {
    c = ItemCategory(st, *s);
  } else if (const std::string* s = Str(body, "shipment_id")) {
    c = ShipmentCategory(st, *s);
  } else if (const std::string* s = Str(body, "parent")) {
    c = ItemCategory(st, *s);
  } else if (const std::string* s = First(body, "inputs")) {
    c = ItemCategory(st, *s);
  } else if (const std::string* s = Str(body, "recall_id")) {
    auto v = st.Get(keys::Recall(*s));
    RecallRec r;
    if (v && Decode(*v, &r)) c = ProductCategory(st, r.product_code);
  } else {
    return kOtherProg;
  }
  if (!c) return std::nullopt;
  return ProgrammeOf(*c);
}

int64_t Get(const std::map<std::string, int64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

json PrefixMap(const std::map<std::string, int64_t>& counters, const std::string& prefix) {
  json j = json::object();
  for (auto it = counters.lower_bound(prefix); it != counters.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    j[it->first.substr(prefix.size())] = it->second;
  }
  return j;
}

json MapJson(const std::map<std::string, int64_t>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

}  // namespace

Cockpit::Cockpit(node::Node* node) : node_(node), window_(std::make_unique<Window>()) {}
Cockpit::~Cockpit() = default;

void Cockpit::FollowLocked(int64_t now_ms) {
  const BlockStore& store = node_->blocks();
  const StateReader& st = node_->state();
  auto latest = store.latest_height();
  if (!latest) return;
  Window& w = *window_;
  auto add = [&](const pb::Block& b, bool* deferred) {
    int64_t t = b.header().time();
    std::array<uint64_t, kProgCount> counts{};
    for (int i = 0; i < b.transactions_size() && i < b.receipts_size(); ++i) {
      if (!b.receipts(i).ok()) continue;
      auto p = Classify(st, b.transactions(i).payload());
      if (!p) {
        if (deferred && b.header().height() == *latest && deferred_height_ != b.header().height()) {
          *deferred = true;  // its state may not be applied yet: retry next call
          return;
        }
        p = kOtherProg;
      }
      ++counts[*p];
    }
    auto& bucket = w.minutes[t / kMinuteMs];
    for (int p = 0; p < kProgCount; ++p) bucket[p] += counts[p];
    w.recent.emplace_back(t, static_cast<uint32_t>(b.transactions_size()));
    ++w.blocks_seen;
    if (t >= w.last_time) {
      w.prev_time = w.last_time;
      w.last_time = t;
    } else if (t > w.prev_time) {
      w.prev_time = t;
    }
  };
  pb::Block b;
  if (!backfilled_) {
    // Walk back over the last 24 hours of block time (bounded), newest first.
    backfilled_ = true;
    uint64_t h = *latest;
    uint64_t read = 0;
    for (;; --h) {
      if (read == kMaxBackfillBlocks) {
        w.complete = false;
        break;
      }
      if (!store.GetBlock(h, &b).ok()) break;
      ++read;
      if (b.header().time() < now_ms - kWindowMs) break;
      add(b, nullptr);
      if (h == 0) break;
    }
    std::sort(w.recent.begin(), w.recent.end());
    next_height_ = *latest + 1;
  }
  uint64_t stop = std::min(*latest + 1, next_height_ + kMaxBlocksPerCall);
  for (; next_height_ < stop; ++next_height_) {
    if (!store.GetBlock(next_height_, &b).ok()) break;
    bool deferred = false;
    add(b, &deferred);
    if (deferred) {
      deferred_height_ = next_height_;
      break;
    }
  }
  // Drop what fell out of the windows.
  int64_t first_minute = (now_ms - kWindowMs) / kMinuteMs;
  while (!w.minutes.empty() && w.minutes.begin()->first < first_minute) {
    w.minutes.erase(w.minutes.begin());
  }
  while (!w.recent.empty() && w.recent.front().first < now_ms - kRateWindowMs) {
    w.recent.pop_front();
  }
}

LedgerRates Cockpit::Rates(int64_t now_ms) {
  std::lock_guard<std::mutex> l(mu_);
  FollowLocked(now_ms);
  LedgerRates r;
  const Window& w = *window_;
  if (w.prev_time > 0) r.block_interval_seconds = (w.last_time - w.prev_time) / 1000.0;
  uint64_t txs = 0;
  for (const auto& [t, n] : w.recent) txs += n;
  r.tx_per_second = static_cast<double>(txs) / (kRateWindowMs / 1000.0);
  r.blocks_per_second = static_cast<double>(w.recent.size()) / (kRateWindowMs / 1000.0);
  auto counters = ReadCounters(node_->state());
  r.transactions_total =
      static_cast<uint64_t>(Get(counters, "tx|ok") + Get(counters, "tx|rejected"));
  return r;
}

std::string Cockpit::Json(int64_t now_ms) {
  std::lock_guard<std::mutex> l(mu_);
  FollowLocked(now_ms);
  const StateReader& st = node_->state();
  const auto counters = ReadCounters(st);
  // Every block holds at least one transaction, so the applied-transaction
  // counters identify the state exactly (the node's status may trail it).
  uint64_t applied = static_cast<uint64_t>(Get(counters, "tx|ok") + Get(counters, "tx|rejected"));
  if (cache_applied_ == applied && cache_second_ == now_ms / 1000) return cache_;
  node::NodeStatus ns = node_->GetStatus();
  const Window& w = *window_;

  // Event windows from the per-minute buckets.
  std::array<uint64_t, kProgCount> hour{}, day{};
  int64_t now_minute = now_ms / kMinuteMs;
  json per_minute = json::array();  // the last 60 minutes, oldest first
  std::map<int64_t, std::array<uint64_t, kProgCount>> last60;
  for (const auto& [m, c] : w.minutes) {
    for (int p = 0; p < kProgCount; ++p) {
      day[p] += c[p];
      if (m > now_minute - 60) hour[p] += c[p];
    }
    if (m > now_minute - 60 && m <= now_minute) last60[m] = c;
  }
  for (int64_t m = now_minute - 59; m <= now_minute; ++m) {
    auto it = last60.find(m);
    json row = {{"minute", FormatRfc3339Millis(m * kMinuteMs)}};
    uint64_t total = 0;
    for (int p = 0; p < kProgCount; ++p) {
      uint64_t v = it == last60.end() ? 0 : it->second[p];
      row[ProgrammeName(p)] = v;
      total += v;
    }
    row["total"] = total;
    per_minute.push_back(row);
  }
  const char* item_cats[kProgCount] = {"vaccine", "cold_chain_food", "food", "drug"};
  json programmes = json::object();
  uint64_t hour_total = 0, day_total = 0;
  for (int p = 0; p < kProgCount; ++p) {
    programmes[ProgrammeName(p)] = {
        {"items", Get(counters, std::string("items_cat|") + item_cats[p])},
        {"events_last_hour", hour[p]},
        {"events_last_day", day[p]}};
    hour_total += hour[p];
    day_total += day[p];
  }

  // Alerts.
  Tally open = OpenAlertsByKind(st, kMaxOpenAlertsScanned);
  json newest = json::array();
  for (const AlertRec& a : NewestAlerts(st, kNewestAlerts)) {
    newest.push_back({{"id", a.id},
                      {"kind", a.kind},
                      {"subject", a.subject},
                      {"message", a.message},
                      {"open", a.open},
                      {"height", a.height},
                      {"time", FormatRfc3339Millis(a.time_ms)}});
  }

  // Recalls.
  bool recalls_truncated = false;
  json recalls = json::array();
  for (const RecallRec& r : Recalls(st, kMaxRecalls, &recalls_truncated)) {
    if (recalls.size() >= 20) break;
    uint32_t resolved = r.affected >= r.outstanding ? r.affected - r.outstanding : 0;
    recalls.push_back({{"recall_id", r.id},
                       {"product_code", r.product_code},
                       {"level", r.level},
                       {"reason", r.reason},
                       {"open", r.open},
                       {"affected", r.affected},
                       {"outstanding", r.outstanding},
                       {"resolved", resolved},
                       {"progress", r.affected ? static_cast<double>(resolved) / r.affected : 1.0},
                       {"issued_height", r.issued_height},
                       {"closed_height", r.closed_height}});
  }

  // Enterprises: recounted only when an enterprise counter changed.
  std::pair<int64_t, int64_t> ek{Get(counters, "enterprises"),
                                 Get(counters, "enterprises_suspended")};
  if (ek != ent_key_ || ent_json_.empty()) {
    EnterpriseTally et = EnterprisesByRegion(st, kMaxEnterprisesScanned);
    ent_json_ = json{{"total", ek.first},
                     {"suspended", ek.second},
                     {"active_by_role", MapJson(et.active_by_role)},
                     {"enrolled_by_role", PrefixMap(counters, "role|")},
                     {"by_region", MapJson(et.by_region.by)},
                     {"truncated", et.by_region.truncated}}
                    .dump();
    ent_key_ = ek;
  }

  // Ledger health.
  double interval = w.prev_time > 0 ? (w.last_time - w.prev_time) / 1000.0 : 0;
  uint64_t txs = 0;
  for (const auto& [t, n] : w.recent) txs += n;
  json nodes = json::array();
  nodes.push_back({{"id", ns.node_id},
                   {"self", true},
                   {"role", ns.role},
                   {"connected", true},
                   {"height", ns.height},
                   {"lag_blocks", 0},
                   {"commit_index", ns.commit_index},
                   {"applied_index", ns.applied_index}});
  for (const auto& p : ns.peers) {
    json n = {{"id", p.id},
              {"self", false},
              {"role", p.id == ns.leader ? "leader" : "follower"},
              {"connected", p.connected},
              {"height", p.attested_height},
              {"lag_blocks", ns.height >= p.attested_height ? ns.height - p.attested_height : 0}};
    if (ns.role == "leader") n["match_index"] = p.match_index;
    nodes.push_back(n);
  }

  json j = {{"generated_at", FormatRfc3339Millis(now_ms)},
            {"chain_id", node_->genesis().chain_id},
            {"height", ns.height},
            {"programmes", programmes},
            {"items",
             {{"total", Get(counters, "items_total")},
              {"logistic_units", Get(counters, "logistic_units")},
              {"lots", Get(counters, "lots")},
              {"products", Get(counters, "products")},
              {"by_status", PrefixMap(counters, "items|")}}},
            {"events",
             {{"total", Get(counters, "tx|ok")},
              {"rejected", Get(counters, "tx|rejected")},
              {"last_hour", hour_total},
              {"last_day", day_total},
              {"window_complete", w.complete},
              {"by_type", PrefixMap(counters, "type|")},
              {"rejected_by_code", PrefixMap(counters, "rejected|")},
              {"per_minute", per_minute},
              {"readings", Get(counters, "readings")},
              {"documents", Get(counters, "documents")},
              {"excursions", Get(counters, "excursions")}}},
            {"alerts",
             {{"open", Get(counters, "alerts_open")},
              {"open_by_type", MapJson(open.by)},
              {"raised_by_type", PrefixMap(counters, "alerts|")},
              {"truncated", open.truncated},
              {"newest", newest}}},
            {"shipments",
             {{"total", Get(counters, "shipments")},
              {"open", Get(counters, "shipments_open")},
              {"overdue", Get(open.by, "overdue_shipment")},
              {"overdue_raised", Get(counters, "shipments_overdue")}}},
            {"quarantined_items", Get(counters, "items|quarantined")},
            {"recalls",
             {{"total", Get(counters, "recalls")},
              {"open", Get(counters, "recalls_open")},
              {"closed", Get(counters, "recalls") - Get(counters, "recalls_open")},
              {"responses", Get(counters, "recall_responses")},
              {"list", recalls},
              {"truncated", recalls_truncated}}},
            {"enterprises", json::parse(ent_json_)},
            {"ledger",
             {{"height", ns.height},
              {"latest_hash", ns.latest_hash},
              {"node_id", ns.node_id},
              {"role", ns.role},
              {"leader", ns.leader.empty() ? json(nullptr) : json(ns.leader)},
              {"term", ns.term},
              {"commit_index", ns.commit_index},
              {"applied_index", ns.applied_index},
              {"mempool_size", ns.mempool_size},
              {"tx_per_second", static_cast<double>(txs) / (kRateWindowMs / 1000.0)},
              {"block_interval_seconds", interval},
              {"validators", node_->genesis().validators.size()},
              {"nodes", nodes}}}};
  cache_ = j.dump();
  cache_applied_ = applied;
  cache_second_ = now_ms / 1000;
  return cache_;
}

}  // namespace traceledger::api
