#include "api/cockpit.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "api/alert_text.h"
#include "api/work_queue.h"
#include "contracts/cockpit_query.h"
#include "ledger.pb.h"
#include "ledger/envelope.h"
#include "ledger/json_parse.h"
#include "ledger/time_util.h"
#include "ledger/utf8.h"

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
  std::deque<std::pair<int64_t, uint32_t>> recent;              // (block time, tx count), by time
  int64_t last_time = 0, prev_time = 0;                         // the two latest blocks
  uint64_t blocks_seen = 0;    // blocks merged; also the window's version
  bool has_newest = false;     // newest_height is set
  uint64_t newest_height = 0;  // the newest block merged
  bool backfill_done = false;  // the walk back over older blocks has ended
  bool truncated = false;      // ... at kMaxBackfillBlocks, before 24 h of block time
};

namespace {

// An alert's message in Chinese (api/alert_text.h), null if it has none.
nlohmann::json ZhOrNull(const AlertRec& a) {
  std::string zh = AlertMessageZh(a.kind, a.message);
  return zh.empty() ? nlohmann::json(nullptr) : nlohmann::json(zh);
}

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

}  // namespace

// What one block adds to the windows.
struct Cockpit::Counts {
  uint64_t height = 0;
  int64_t time = 0;
  uint32_t txs = 0;
  std::array<uint64_t, kProgCount> events{};  // ok transactions by programme
};

// A category never changes once its record exists (a product's at its
// registration, an item's at its commissioning, a shipment's with its first
// code, a recall's with its product), so the follower remembers the ones it
// looked up: a code's six events cost one state read, not six. Bounded: it
// starts over when kMaxEntries are held. Used by the follower thread only.
struct Cockpit::Memo {
  static constexpr size_t kMaxEntries = 100000;

  template <typename Lookup>
  std::optional<Category> Get(char kind, const std::string& id, Lookup lookup) {
    key.assign(1, kind);
    key += id;
    if (auto it = map.find(key); it != map.end()) return it->second;
    std::optional<Category> c = lookup();
    if (c) {
      if (map.size() >= kMaxEntries) map.clear();
      map.emplace(key, *c);
    }
    return c;
  }

  std::string key;
  std::unordered_map<std::string, Category> map;
};

namespace {

// The programme a transaction belongs to, from what it names. nullopt when it
// names something the state does not know (yet).
std::optional<int> Classify(const StateReader& st, const std::string& payload,
                            Cockpit::Memo* memo) {
  // A committed payload: parsed as the door parsed it (ledger/json_parse.h).
  json doc;
  if (!ParseJson(payload, JsonLimits{kMaxPayloadBytes, kMaxJsonDepth}, "payload", "PAYLOAD", &doc)
           .ok() ||
      !doc.is_object()) {
    return kOtherProg;
  }
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
  auto item = [&](const std::string& code) {
    return memo->Get('i', code, [&] { return ItemCategory(st, code); });
  };
  if (const std::string* s = Str(body, "product_code")) {
    c = memo->Get('p', *s, [&] { return ProductCategory(st, *s); });
  } else if (const std::string* s = First(body, "codes")) {
    c = item(*s);
  } else if (const std::string* s = Str(body, "shipment_id")) {
    c = memo->Get('s', *s, [&] { return ShipmentCategory(st, *s); });
  } else if (const std::string* s = Str(body, "parent")) {
    c = item(*s);
  } else if (const std::string* s = First(body, "inputs")) {
    c = item(*s);
  } else if (const std::string* s = Str(body, "recall_id")) {
    c = memo->Get('r', *s, [&]() -> std::optional<Category> {
      auto v = st.Get(keys::Recall(*s));
      RecallRec r;
      if (v && Decode(*v, &r)) return ProductCategory(st, r.product_code);
      return std::nullopt;
    });
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

namespace {

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Classifies the ok transactions of `b`. With may_defer, nullopt when one
// names something the state does not know: the block's state may not be
// applied yet (the caller retries once); otherwise such a transaction counts
// as "other".
std::optional<Cockpit::Counts> CountBlock(const StateReader& st, const pb::Block& b, bool may_defer,
                                          Cockpit::Memo* memo) {
  Cockpit::Counts c;
  c.height = b.header().height();
  c.time = b.header().time();
  c.txs = static_cast<uint32_t>(b.transactions_size());
  for (int i = 0; i < b.transactions_size() && i < b.receipts_size(); ++i) {
    if (!b.receipts(i).ok()) continue;
    auto p = Classify(st, b.transactions(i).payload(), memo);
    if (!p) {
      if (may_defer) return std::nullopt;
      p = kOtherProg;
    }
    ++c.events[*p];
  }
  return c;
}

// Drops what fell out of the windows at now_ms.
void Prune(Cockpit::Window* w, int64_t now_ms) {
  int64_t first_minute = (now_ms - Cockpit::kWindowMs) / kMinuteMs;
  while (!w->minutes.empty() && w->minutes.begin()->first < first_minute) {
    w->minutes.erase(w->minutes.begin());
  }
  while (!w->recent.empty() && w->recent.front().first < now_ms - kRateWindowMs) {
    w->recent.pop_front();
  }
}

// Adds a block to the windows: a new one (older == false) or one of the
// backfill, which walks back from the newest block and so is older than every
// block merged before it.
void Merge(Cockpit::Window* w, const Cockpit::Counts& c, bool older) {
  auto& bucket = w->minutes[c.time / kMinuteMs];
  for (int p = 0; p < kProgCount; ++p) bucket[p] += c.events[p];
  if (older) {
    w->recent.emplace_front(c.time, c.txs);
  } else {
    w->recent.emplace_back(c.time, c.txs);
  }
  ++w->blocks_seen;
  if (!w->has_newest || c.height > w->newest_height) w->newest_height = c.height;
  w->has_newest = true;
  if (c.time >= w->last_time) {
    w->prev_time = w->last_time;
    w->last_time = c.time;
  } else if (c.time > w->prev_time) {
    w->prev_time = c.time;
  }
}

}  // namespace

Cockpit::Cockpit(node::Node* node)
    : node_(node),
      memo_(std::make_unique<Memo>()),
      back_memo_(std::make_unique<Memo>()),
      window_(std::make_unique<Window>()),
      published_(std::make_shared<Window>()) {}

void Cockpit::Publish() { published_.store(std::make_shared<const Window>(*window_)); }

Cockpit::~Cockpit() {
  {
    std::lock_guard<std::mutex> l(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  {
    std::lock_guard<std::mutex> l(back_mu_);
    back_stopping_ = true;
  }
  back_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  if (backfiller_.joinable()) backfiller_.join();
}

void Cockpit::Init() {
  started_ = true;
  auto latest = node_->blocks().latest_height();
  // New blocks from here on; the walk back covers this one and older ones.
  next_height_ = latest ? *latest + 1 : 0;
  back_height_ = latest ? *latest : 0;
  back_active_ = latest.has_value();
  if (!back_active_) {
    std::lock_guard<std::mutex> l(back_mu_);
    back_ended_ = true;
  }
}

void Cockpit::Start(int nice_increment, int backfill_nice_increment) {
  if (started_) return;
  Init();
  backfill_threaded_ = true;
  follower_ = std::thread([this, nice_increment] {
    NameThread("cockpit-follow");
    LowerThreadPriority(nice_increment);
    FollowLoop();
  });
  backfiller_ = std::thread([this, backfill_nice_increment] {
    NameThread("cockpit-back");
    LowerThreadPriority(backfill_nice_increment);
    BackfillLoop();
  });
}

void Cockpit::FollowLoop() {
  for (;;) {
    bool more = false;
    // Nothing a client sends reaches here but through committed blocks; still,
    // a fault while reading one must not end the process (issue 13): it is
    // reported and the step tried again after the usual pause.
    try {
      more = FollowStep(WallNowMs());
      if (!more) Refresh(WallNowMs());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cockpit: INTERNAL: following the chain threw: %s; retrying\n",
                   SanitizeUtf8(e.what()).c_str());
      more = false;
    }
    std::unique_lock<std::mutex> l(stop_mu_);
    if (!more) {
      stop_cv_.wait_for(l, std::chrono::milliseconds(kFollowIntervalMs),
                        [this] { return stopping_; });
    }
    if (stopping_) return;
  }
}

void Cockpit::BackfillLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> l(back_mu_);
      back_cv_.wait(l,
                    [this] { return back_stopping_ || back_queue_.size() < kMaxBackfillQueued; });
      if (back_stopping_) return;
    }
    try {
      if (!BackfillStep(WallNowMs())) return;  // the walk back has ended
    } catch (const std::exception& e) {        // as in FollowLoop; the walk back is optional
      std::fprintf(stderr, "cockpit: INTERNAL: the walk back threw: %s; it stops here\n",
                   SanitizeUtf8(e.what()).c_str());
      return;
    }
  }
}

bool Cockpit::BackfillStep(int64_t now_ms) {
  if (!back_active_) return false;
  // Walk back over the last 24 hours of block time (bounded), newest first.
  const BlockStore& store = node_->blocks();
  pb::Block b;
  bool end = false, truncated = false;
  std::optional<Counts> c;
  if (back_read_ == kMaxBackfillBlocks) {
    end = truncated = true;
  } else if (!store.GetBlock(back_height_, &b).ok()) {
    end = true;
  } else {
    ++back_read_;
    if (b.header().time() < now_ms - kWindowMs) {
      end = true;
    } else {
      c = CountBlock(node_->state(), b, /*may_defer=*/false, back_memo_.get());
      if (back_height_ == 0) {
        end = true;
      } else {
        --back_height_;
      }
    }
  }
  {
    std::lock_guard<std::mutex> l(back_mu_);
    if (c) back_queue_.push_back(*c);
    if (end) {
      back_ended_ = true;
      back_truncated_ = truncated;
    }
  }
  if (end) back_active_ = false;
  return !end;
}

bool Cockpit::MergeBackfill() {
  std::vector<Counts> got;
  bool ended, truncated;
  {
    std::lock_guard<std::mutex> l(back_mu_);
    got.swap(back_queue_);
    ended = back_ended_;
    truncated = back_truncated_;
  }
  back_cv_.notify_all();
  for (const Counts& c : got) Merge(window_.get(), c, /*older=*/true);
  bool changed = !got.empty();
  if (ended && !window_->backfill_done) {
    window_->backfill_done = true;
    window_->truncated = truncated;
    changed = true;
  }
  return changed;
}

bool Cockpit::FollowStep(int64_t now_ms) {
  if (!started_) Init();
  bool changed = MergeBackfill();
  const BlockStore& store = node_->blocks();
  auto latest = store.latest_height();
  pb::Block b;
  bool more = false;
  if (latest && next_height_ <= *latest) {
    // A new block (the walk back never holds it up).
    if (store.GetBlock(next_height_, &b).ok()) {
      bool may_defer = next_height_ == *latest && deferred_height_ != next_height_;
      auto c = CountBlock(node_->state(), b, may_defer, memo_.get());
      if (c) {
        Merge(window_.get(), *c, /*older=*/false);
        ++next_height_;
        changed = more = true;
      } else {
        deferred_height_ = next_height_;  // retried once, next interval
      }
    }
  } else if (!backfill_threaded_ && back_active_) {
    // No walk-back thread (a test drives this by hand): one of its blocks.
    more = BackfillStep(now_ms);
    changed |= MergeBackfill();
  }
  size_t held = window_->minutes.size() + window_->recent.size();
  Prune(window_.get(), now_ms);
  if (changed || window_->minutes.size() + window_->recent.size() != held) Publish();
  return more;
}

LedgerRates Cockpit::Rates(int64_t now_ms) {
  LedgerRates r;
  uint64_t txs = 0, blocks = 0;
  {
    std::shared_ptr<const Window> published = published_.load();
    const Window& w = *published;
    if (w.prev_time > 0) r.block_interval_seconds = (w.last_time - w.prev_time) / 1000.0;
    for (const auto& [t, n] : w.recent) {
      if (t < now_ms - kRateWindowMs) continue;
      txs += n;
      ++blocks;
    }
  }
  r.tx_per_second = static_cast<double>(txs) / (kRateWindowMs / 1000.0);
  r.blocks_per_second = static_cast<double>(blocks) / (kRateWindowMs / 1000.0);
  auto counters = ReadCounters(node_->state());
  r.transactions_total =
      static_cast<uint64_t>(Get(counters, "tx|ok") + Get(counters, "tx|rejected"));
  return r;
}

// A built answer: exact while the node's read generation and the window
// are those it was built at; the node status in it ages with at_ms.
struct Cockpit::Answer {
  std::string body;
  uint64_t generation = 0;
  uint64_t window = 0;
  int64_t at_ms = 0;
};

namespace {
// Whether `a` may be served at now_ms for these generation and window.
bool Fresh(const std::shared_ptr<const Cockpit::Answer>& a, uint64_t generation, uint64_t window,
           int64_t now_ms, int64_t max_age_ms) {
  return a && a->generation == generation && a->window == window && now_ms >= a->at_ms &&
         now_ms - a->at_ms < max_age_ms;
}
}  // namespace

std::string Cockpit::Json(int64_t now_ms) {
  asked_ms_.store(now_ms, std::memory_order_relaxed);
  // Read before anything the answer is built from.
  uint64_t generation = node_->read_generation();
  uint64_t window = published_.load()->blocks_seen;
  std::shared_ptr<const Answer> a = answer_.load();
  if (Fresh(a, generation, window, now_ms, kMaxAnswerAgeMs)) return a->body;
  std::unique_lock<std::mutex> l(answer_mu_, std::try_to_lock);
  if (!l.owns_lock()) {
    // Another thread builds one (perhaps the follower, at a lower priority):
    // an exact answer a little older serves rather than waiting on it.
    if (Fresh(a, generation, window, now_ms, 2 * kMaxAnswerAgeMs)) return a->body;
    l.lock();
  }
  return BuildLocked(now_ms, generation)->body;
}

void Cockpit::Refresh(int64_t now_ms) {
  if (now_ms - asked_ms_.load(std::memory_order_relaxed) > kWatchedMs) return;
  uint64_t generation = node_->read_generation();
  uint64_t window = published_.load()->blocks_seen;
  if (Fresh(answer_.load(), generation, window, now_ms, kRefreshAgeMs)) return;
  std::lock_guard<std::mutex> l(answer_mu_);
  BuildLocked(now_ms, generation);
}

std::shared_ptr<const Cockpit::Answer> Cockpit::BuildLocked(int64_t now_ms, uint64_t generation) {
  {
    // Built by another thread while this one waited?
    std::shared_ptr<const Answer> a = answer_.load();
    if (Fresh(a, generation, published_.load()->blocks_seen, now_ms, kRefreshAgeMs)) return a;
  }
  const StateReader& st = node_->state();
  const auto counters = ReadCounters(st);

  // Event windows from the per-minute buckets, and the rates: copied out
  // of the follower's latest published copy: no lock the follower takes.
  std::array<uint64_t, kProgCount> hour{}, day{};
  int64_t now_minute = now_ms / kMinuteMs;
  int64_t first_minute = (now_ms - kWindowMs) / kMinuteMs;
  std::map<int64_t, std::array<uint64_t, kProgCount>> last60;
  double interval = 0;
  uint64_t txs = 0;
  bool complete = false;
  json window_height = nullptr;
  uint64_t window_version = 0;
  {
    std::shared_ptr<const Window> published = published_.load();
    const Window& w = *published;
    window_version = w.blocks_seen;
    for (const auto& [m, c] : w.minutes) {
      if (m < first_minute || m > now_minute) continue;
      for (int p = 0; p < kProgCount; ++p) {
        day[p] += c[p];
        if (m > now_minute - 60) hour[p] += c[p];
      }
      if (m > now_minute - 60) last60[m] = c;
    }
    if (w.prev_time > 0) interval = (w.last_time - w.prev_time) / 1000.0;
    for (const auto& [t, n] : w.recent) {
      if (t >= now_ms - kRateWindowMs) txs += n;
    }
    complete = w.backfill_done && !w.truncated;
    if (w.has_newest) window_height = w.newest_height;
  }
  node::NodeStatus ns = node_->GetStatus();

  json per_minute = json::array();  // the last 60 minutes, oldest first
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
                      {"message_zh", ZhOrNull(a)},
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
    ProductRec product;  // its name, for a screen people read (≤ 20 reads)
    auto pv = st.Get(keys::Product(r.product_code));
    bool named = pv && Decode(*pv, &product);
    recalls.push_back({{"recall_id", r.id},
                       {"product_code", r.product_code},
                       {"product_name", named ? json(product.name) : json(nullptr)},
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
    ent_json_ = DumpJson(json{{"total", ek.first},
                              {"suspended", ek.second},
                              {"active_by_role", MapJson(et.active_by_role)},
                              {"enrolled_by_role", PrefixMap(counters, "role|")},
                              {"by_region", MapJson(et.by_region.by)},
                              {"truncated", et.by_region.truncated}});
    ent_key_ = ek;
  }

  // Ledger health.
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
              {"window_complete", complete},
              {"window_height", window_height},
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
            {"enterprises", json::parse(ent_json_, nullptr, /*allow_exceptions=*/false)},
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
  auto built = std::make_shared<Answer>();
  built->body = DumpJson(j);  // never throws
  built->generation = generation;
  built->window = window_version;
  built->at_ms = now_ms;
  answer_.store(built);
  return built;
}

}  // namespace traceledger::api
