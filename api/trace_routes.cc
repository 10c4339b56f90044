#include "api/trace_routes.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "api/header_json.h"
#include "contracts/engine.h"
#include "contracts/ids.h"
#include "contracts/state.h"
#include "contracts/store.h"
#include "ledger.pb.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"

namespace traceledger::api {

using OJson = nlohmann::ordered_json;

namespace {

HttpResponse JsonAnswer(int status, const OJson& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

template <typename R>
bool LoadRec(const StateReader& s, const std::string& key, R* r) {
  auto v = s.Get(key);
  return v && Decode(*v, r);
}

std::string Date(int64_t ms) { return ms == 0 ? "" : FormatRfc3339Millis(ms).substr(0, 10); }

OJson Nullable(const std::string& s) { return s.empty() ? OJson(nullptr) : OJson(s); }

// Everything one answer reads, with small caches.
class TraceContext {
 public:
  explicit TraceContext(node::Node* node)
      : node_(node), state_(node->state()), store_(node->blocks()), alg_(store_.alg()) {}

  const StateReader& state() const { return state_; }
  HashAlg alg() const { return alg_; }

  // Transaction `index` of block `height` with its receipt and both audit
  // paths, from the block store's transaction record (no block is loaded);
  // read once per answer.
  Result<const pb::TxRecord*> Tx(uint64_t height, uint32_t index) {
    auto key = std::make_pair(height, index);
    auto it = txs_.find(key);
    if (it != txs_.end()) return &it->second;
    pb::TxRecord r;
    Status s = store_.GetTxRecord(height, index, &r);
    if (!s.ok()) return s;
    return &txs_.emplace(key, std::move(r)).first->second;
  }
  // The header and hash of block `height`, from its header record.
  Result<const pb::HeaderRecord*> Header(uint64_t height) {
    auto it = headers_.find(height);
    if (it != headers_.end()) return &it->second;
    pb::HeaderRecord h;
    Status s = store_.GetHeader(height, &h);
    if (!s.ok()) return s;
    return &headers_.emplace(height, std::move(h)).first->second;
  }
  const BlockStore& store() const { return store_; }

  // {uscc, name, region} of an enterprise (name null if not enrolled).
  OJson Party(const std::string& uscc) {
    if (uscc.empty()) return nullptr;
    EnterpriseRec e;
    OJson j = {{"uscc", uscc}};
    if (Enterprise(uscc, &e)) {
      j["name"] = e.name;
      j["region"] = e.region;
    } else {
      j["name"] = nullptr;
    }
    return j;
  }
  bool Enterprise(const std::string& uscc, EnterpriseRec* e) {
    auto it = ents_.find(uscc);
    if (it == ents_.end()) {
      EnterpriseRec r;
      bool ok = LoadRec(state_, keys::Enterprise(uscc), &r);
      it = ents_.emplace(uscc, ok ? std::optional<EnterpriseRec>(r) : std::nullopt).first;
    }
    if (!it->second) return false;
    *e = *it->second;
    return true;
  }
  // Who signed: a regulator of genesis or an enrolled enterprise.
  OJson Actor(const std::string& signer) {
    OJson j = {{"public_key", ToHex(signer)}};
    for (const auto& r : node_->genesis().regulators) {
      if (r.public_key == signer) {
        j["kind"] = "regulator";
        j["name"] = r.name;
        return j;
      }
    }
    auto uscc = state_.Get(keys::SignerKey(signer));
    EnterpriseRec e;
    if (uscc && Enterprise(*uscc, &e)) {
      j["kind"] = "enterprise";
      j["uscc"] = e.uscc;
      j["name"] = e.name;
      j["region"] = e.region;
      j["roles"] = RolesToString(e.roles);
    } else {
      j["kind"] = "unknown";  // e.g. a key since rotated away
      j["name"] = nullptr;
    }
    return j;
  }
  // Latest block time, read once per answer (a small header record). 0 when
  // it cannot be read (then nothing counts as expired by time).
  int64_t LatestTime() {
    if (latest_time_) return *latest_time_;
    latest_time_ = 0;
    auto [count, hash] = store_.tip();
    pb::HeaderRecord h;
    if (count > 0 && store_.GetHeader(count - 1, &h).ok()) latest_time_ = h.header().time();
    return *latest_time_;
  }
  const Genesis& genesis() const { return node_->genesis(); }

 private:
  node::Node* node_;
  const StateReader& state_;
  const BlockStore& store_;
  HashAlg alg_;
  std::map<std::pair<uint64_t, uint32_t>, pb::TxRecord> txs_;
  std::map<uint64_t, pb::HeaderRecord> headers_;
  std::map<std::string, std::optional<EnterpriseRec>> ents_;
  std::optional<int64_t> latest_time_;
};

template <typename Path>
OJson ProofPath(const Path& path) {
  OJson p = OJson::array();
  for (const auto& h : path) p.push_back(ToHex(h));
  return p;
}

OJson ReceiptOf(const pb::Receipt& rc) {
  return {{"tx_id", ToHex(rc.tx_id())},
          {"status", rc.ok() ? "ok" : "rejected"},
          {"code", rc.ok() ? "OK" : rc.code()},
          {"message", rc.message()},
          {"height", rc.height()},
          {"index", rc.index()}};
}

struct Range {
  bool has_min = false, has_max = false;
  double min_c = 0, max_c = 0;
  bool Contains(double c) const { return (!has_min || c >= min_c) && (!has_max || c <= max_c); }
};

// Readings of a trace.reading body: count, min/max, the values (bounded) and
// whether they left the product's range.
OJson ReadingsOf(const OJson& body, const Range* range) {
  const OJson* rs = body.contains("readings") ? &body["readings"] : nullptr;
  if (!rs || !rs->is_array()) return nullptr;
  OJson values = OJson::array();
  double lo = 0, hi = 0;
  size_t n = 0;
  for (const auto& r : *rs) {
    if (!r.is_object() || !r.contains("celsius") || !r["celsius"].is_number()) continue;
    double c = r["celsius"].get<double>();
    lo = n == 0 ? c : std::min(lo, c);
    hi = n == 0 ? c : std::max(hi, c);
    ++n;
    if (values.size() < kMaxReadingValues) {
      values.push_back({{"time", r.value("time", "")}, {"celsius", c}});
    }
  }
  OJson j = {{"device", body.value("device", "")}, {"count", n}};
  if (n > 0) {
    j["min_c"] = lo;
    j["max_c"] = hi;
  }
  if (range && (range->has_min || range->has_max)) {
    j["allowed"] = {{"min_c", range->has_min ? OJson(range->min_c) : OJson(nullptr)},
                    {"max_c", range->has_max ? OJson(range->max_c) : OJson(nullptr)}};
    j["excursion"] = n > 0 && (!range->Contains(lo) || !range->Contains(hi));
  } else {
    j["excursion"] = false;
  }
  j["values"] = values;
  if (n > values.size()) j["values_truncated"] = true;
  return j;
}

// One event with its proof. `head` is the per-code chain head after it.
Result<OJson> EventOf(TraceContext& c, const EventRec& ev, uint32_t seq, const std::string& head,
                      const Range* range) {
  auto rec = c.Tx(ev.height, ev.index);
  if (!rec.ok() && rec.status().Is("NOT_FOUND"))
    return Status::Corruption("event " + std::to_string(seq) + " points past block " +
                              std::to_string(ev.height));
  if (!rec.ok()) return rec.status();
  auto hdr = c.Header(ev.height);
  if (!hdr.ok()) return hdr.status();
  const pb::Transaction& tx = (*rec)->tx();
  const pb::Receipt& rc = (*rec)->receipt();
  OJson payload = OJson::parse(tx.payload(), nullptr, false);
  if (!payload.is_object()) payload = OJson::object();
  OJson body = payload.contains("body") ? payload["body"] : OJson::object();
  OJson j;
  j["seq"] = seq;
  j["type"] = payload.value("type", ev.type);
  j["tx_id"] = ToHex(ev.tx_id);
  j["height"] = ev.height;
  j["index"] = ev.index;
  j["time"] = payload.value("time", "");
  j["recorded_at"] = FormatRfc3339Millis((*hdr)->header().time());
  j["actor"] = c.Actor(tx.signer());
  if (body.contains("location") && body["location"].is_string()) j["location"] = body["location"];
  if (j["type"] == "trace.ship") {
    j["parties"] = {{"to", c.Party(body.value("to", ""))},
                    {"carrier", c.Party(body.value("carrier", ""))}};
  }
  if (j["type"] == "trace.reading") j["readings"] = ReadingsOf(body, range);
  j["body"] = body;
  j["chain_head"] = ToHex(head);
  j["proof"] = {{"envelope",
                 {{"payload", tx.payload()},
                  {"signer", ToHex(tx.signer())},
                  {"signature", ToHex(tx.signature())}}},
                {"receipt", ReceiptOf(rc)},
                {"inclusion",
                 {{"leaf_index", ev.index},
                  {"tree_size", (*rec)->tree_size()},
                  {"path", ProofPath((*rec)->tx_path())}}},
                {"receipt_inclusion",
                 {{"leaf_index", ev.index},
                  {"tree_size", (*rec)->tree_size()},
                  {"path", ProofPath((*rec)->receipt_path())}}}};
  return j;
}

OJson AlertOf(const AlertRec& a) {
  return {{"id", a.id},
          {"type", a.kind},
          {"status", a.open ? "open" : "closed"},
          {"subject", a.subject},
          {"message", a.message},
          {"raised_at", FormatRfc3339Millis(a.time_ms)},
          {"height", a.height},
          {"closed_height", a.open ? OJson(nullptr) : OJson(a.closed_height)},
          {"tx_id", a.tx_id.empty() ? OJson(nullptr) : OJson(ToHex(a.tx_id))}};
}

OJson DocumentOf(const DocumentRec& d, const char* scope) {
  return {{"scope", scope},          {"doc_type", d.doc_type}, {"doc_id", d.doc_id},
          {"sha256", d.sha256},      {"issuer", d.issuer},     {"attached_by", d.signer},
          {"tx_id", ToHex(d.tx_id)}, {"height", d.height}};
}

OJson ProductOf(TraceContext& c, const std::string& code, Range* range) {
  ProductRec p;
  if (code.empty() || !LoadRec(c.state(), keys::Product(code), &p)) return nullptr;
  if (range) *range = Range{p.has_min, p.has_max, p.min_c, p.max_c};
  return {{"code", p.code},
          {"name", p.name},
          {"category", CategoryName(p.category)},
          {"owner", c.Party(p.owner)},
          {"temp_min_c", p.has_min ? OJson(p.min_c) : OJson(nullptr)},
          {"temp_max_c", p.has_max ? OJson(p.max_c) : OJson(nullptr)},
          {"shelf_life_days", p.shelf_life_days ? OJson(p.shelf_life_days) : OJson(nullptr)},
          {"requires_inspection", p.requires_inspection}};
}

OJson TransformOf(TraceContext& c, const std::string& tx_hex) {
  TransformRec t;
  if (tx_hex.empty() || !LoadRec(c.state(), keys::Transform(tx_hex), &t)) return nullptr;
  auto bounded = [](const std::vector<std::string>& v) {
    OJson a = OJson::array();
    for (size_t i = 0; i < v.size() && i < kMaxTraceList; ++i) a.push_back(v[i]);
    return a;
  };
  return {{"tx_id", tx_hex},
          {"inputs", bounded(t.inputs)},
          {"inputs_total", t.inputs.size()},
          {"outputs", bounded(t.outputs)},
          {"outputs_total", t.outputs.size()},
          {"output_product", t.output_product},
          {"output_lot", t.output_lot}};
}

OJson RecallOf(TraceContext& c, const std::string& id, const std::string& code) {
  RecallRec r;
  if (id.empty() || !LoadRec(c.state(), keys::Recall(id), &r)) return nullptr;
  OJson j = {{"id", r.id},
             {"status", r.open ? "open" : "closed"},
             {"level", r.level},
             {"reason", r.reason},
             {"product_code", r.product_code},
             {"lots", r.lots},
             {"issuer", r.issuer},
             {"issued_height", r.issued_height},
             {"affected", r.affected},
             {"outstanding", r.outstanding},
             {"closed_height", r.open ? OJson(nullptr) : OJson(r.closed_height)},
             {"close_reason", Nullable(r.close_reason)}};
  if (!code.empty()) {
    auto owed = c.state().Get(keys::Obligation(r.id, code));
    j["this_item"] = {{"response_owed", owed.has_value()},
                      {"owed_by", owed ? c.Party(*owed) : OJson(nullptr)}};
  }
  return j;
}

Status BadPaging(const std::string& msg) { return Status::Error("BAD_PAGING", msg); }

// Reads a non-negative integer query parameter.
Result<uint64_t> QueryNumber(const HttpRequest& req, const char* name, uint64_t def, uint64_t max) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return def;
  const std::string& v = it->second;
  if (v.empty() || v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos)
    return BadPaging(std::string(name) + " must be a non-negative integer");
  uint64_t n = std::stoull(v);
  if (n > max)
    return BadPaging(std::string(name) + " must be at most " + std::to_string(max) + "; got " + v);
  return n;
}

OJson Warning(const char* status, const std::string& en, const std::string& zh) {
  return {{"status", status}, {"message", en}, {"message_zh", zh}};
}

HttpResponse NotFoundCode(TraceContext& c, const TraceTarget& t) {
  std::string msg = "code \"" + t.code + "\" is not on this ledger. Check the characters";
  std::string_view gtin = GtinOfCode(t.code);
  ProductRec p;
  if (!gtin.empty() && LoadRec(c.state(), keys::Product(std::string(gtin)), &p)) {
    msg += "; product " + std::string(gtin) + " (" + p.name +
           ") is registered, but no item with this serial was commissioned";
  } else if (!gtin.empty()) {
    msg += "; product " + std::string(gtin) + " is not registered either";
  }
  msg +=
      ". A GS1 code looks like (01)<GTIN-14>(21)<serial>. If the item was commissioned "
      "moments ago, retry shortly. 查无此码：请核对追溯码。";
  return JsonError(404, "NOT_FOUND", msg);
}

// Events [0, end) of a chain's event list under `prefix` (a code's ce| or a
// lot's le| events), in order.
Status ReadEvents(const StateReader& s, const std::string& prefix, uint64_t end,
                  std::vector<EventRec>* evs) {
  Status st;
  if (end == 0) return st;
  s.Scan(prefix, [&](std::string_view, std::string_view v) {
    EventRec e;
    if (!Decode(v, &e)) {
      st = Status::Corruption("event record under " + prefix);
      return false;
    }
    evs->push_back(std::move(e));
    return evs->size() < end;
  });
  return st;
}

// The events from `from` on, each with its proof and the chain head after it;
// *start_head is the head before event `from`.
Result<OJson> ChainEvents(TraceContext& c, const std::vector<EventRec>& evs, uint64_t from,
                          const Range* range, std::string* start_head) {
  OJson events = OJson::array();
  std::string head = ZeroHead();
  start_head->clear();
  for (size_t i = 0; i < evs.size(); ++i) {
    if (i == from) *start_head = head;
    head = NextHead(c.alg(), head, evs[i].tx_id);
    if (i < from) continue;
    auto ej = EventOf(c, evs[i], static_cast<uint32_t>(i), head, range);
    if (!ej.ok()) return ej.status();
    events.push_back(std::move(ej).value());
  }
  if (start_head->empty()) *start_head = head;
  return events;
}

// The answer for one code.
HttpResponse TraceCode(TraceContext& c, const TraceTarget& t, const HttpRequest& req) {
  ItemRec item;
  auto raw = c.state().Get(keys::Item(t.code));
  if (!raw) return NotFoundCode(c, t);
  if (!Decode(*raw, &item)) return JsonError(500, "CORRUPTION", "item record of " + t.code);

  auto from = QueryNumber(req, "events_from", 0, UINT32_MAX);
  if (!from.ok()) return StatusError(from.status());
  auto limit = QueryNumber(req, "events_limit", kDefaultTraceEvents, kMaxTraceEvents);
  if (!limit.ok()) return StatusError(limit.status());
  if (*limit == 0)
    return StatusError(BadPaging("events_limit must be 1.." + std::to_string(kMaxTraceEvents)));
  if (*from > item.event_count) {
    return StatusError(BadPaging("events_from " + std::to_string(*from) + " is past the " +
                                 std::to_string(item.event_count) + " events of this code"));
  }

  Range range;
  OJson product = ProductOf(c, item.product_code, &range);
  LotRec lot;
  bool has_lot = !item.product_code.empty() &&
                 LoadRec(c.state(), keys::Lot(item.product_code, item.lot), &lot);
  auto lot_from = QueryNumber(req, "lot_events_from", 0, UINT32_MAX);
  if (!lot_from.ok()) return StatusError(lot_from.status());
  auto lot_limit = QueryNumber(req, "lot_events_limit", kDefaultTraceEvents, kMaxTraceEvents);
  if (!lot_limit.ok()) return StatusError(lot_limit.status());
  if (*lot_limit == 0)
    return StatusError(BadPaging("lot_events_limit must be 1.." + std::to_string(kMaxTraceEvents)));
  uint64_t lot_count = has_lot ? lot.event_count : 0;
  if (*lot_from > lot_count) {
    return StatusError(BadPaging("lot_events_from " + std::to_string(*lot_from) + " is past the " +
                                 std::to_string(lot_count) + " events of this code's lot"));
  }
  ItemStatus status = item.Status();
  int64_t now = c.LatestTime();
  bool expired = item.expiry_ms != 0 && now >= item.expiry_ms + 86400000LL;
  bool in_circulation = item.terminal == Terminal::kNone;

  OJson j;
  // The plain word first.
  if (status == ItemStatus::kRecalled) {
    RecallRec r;
    bool has = LoadRec(c.state(), keys::Recall(item.recall_id), &r);
    std::string why = has ? " (level " + std::to_string(r.level) + "): " + r.reason : "";
    j["warning"] =
        Warning("recalled",
                "RECALLED - do not use, sell or administer this item. It is under recall " +
                    item.recall_id + why + ". Return it to where you got it.",
                "已召回——请勿使用、销售或接种。召回编号 " + item.recall_id +
                    (has ? "，原因：" + r.reason : "") + "。请退回购买处。");
  } else if (status == ItemStatus::kQuarantined) {
    std::string reason;
    c.state().Scan(keys::CodeAlertPrefix(item.code), [&](std::string_view k, std::string_view v) {
      AlertRec a;
      if (v == "1" &&
          LoadRec(c.state(), keys::Alert(std::string(k.substr(4 + item.code.size()))), &a))
        reason = a.message;
      return reason.empty();
    });
    if (reason.empty()) reason = "held by a regulator";
    j["warning"] = Warning("quarantined",
                           "QUARANTINED - do not use, sell or administer this item until a "
                           "regulator releases it. Reason: " +
                               reason,
                           "已隔离封存——在监管部门解除前请勿使用、销售或接种。原因：" + reason);
  } else if (expired && in_circulation) {
    j["warning"] = Warning("expired", "EXPIRED on " + Date(item.expiry_ms) + " - do not use.",
                           "已过期（" + Date(item.expiry_ms) + "）——请勿使用。");
  }
  j["code"] = item.code;
  j["status"] = ItemStatusName(status);
  j["kind"] = item.product_code.empty() ? "logistic_unit" : "item";
  j["product"] = product;
  j["category"] = CategoryName(item.category);
  j["lot"] = Nullable(item.lot);
  j["expiry"] = Nullable(Date(item.expiry_ms));
  j["expired"] = expired;
  j["terminal"] = Nullable(TerminalName(item.terminal));
  j["inspection"] = item.inspection == Inspection::kNone
                        ? OJson(nullptr)
                        : OJson(item.inspection == Inspection::kPass ? "pass" : "fail");
  j["custodian"] = c.Party(item.custodian);
  if (!item.shipment_id.empty()) {
    ShipmentRec s;
    if (LoadRec(c.state(), keys::Shipment(item.shipment_id), &s)) {
      j["shipment"] = {{"id", s.id},
                       {"from", c.Party(s.from)},
                       {"to", c.Party(s.to)},
                       {"carrier", c.Party(s.carrier)},
                       {"vehicle", s.vehicle},
                       {"shipped_at", FormatRfc3339Millis(s.shipped_time_ms)},
                       {"deadline", FormatRfc3339Millis(s.deadline_ms)},
                       {"overdue", !s.overdue_alert.empty()}};
    }
  }

  // Origin: the commissioner and the commission event.
  OJson origin = {{"commissioner", c.Party(item.commissioner)},
                  {"imported", item.imported},
                  {"origin_country", has_lot ? Nullable(lot.origin_country) : OJson(nullptr)}};
  EventRec first;
  if (LoadRec(c.state(), keys::Event(item.code, 0), &first)) {
    auto rec = c.Tx(first.height, first.index);
    if (rec.ok()) {
      OJson p = OJson::parse((*rec)->tx().payload(), nullptr, false);
      if (p.is_object() && p.contains("body") && p["body"].is_object()) {
        origin["location"] = p["body"].value("location", "");
      }
      origin["commissioned_at"] = p.is_object() ? p.value("time", "") : "";
      origin["commissioned_height"] = first.height;
    }
  }
  j["origin"] = origin;

  // Events, with the chain head after each.
  std::vector<EventRec> evs;
  std::string start_head;
  Status read_status = ReadEvents(c.state(), keys::EventPrefix(item.code),
                                  std::min<uint64_t>(item.event_count, *from + *limit), &evs);
  if (!read_status.ok()) return StatusError(read_status);
  auto events_or = ChainEvents(c, evs, *from, &range, &start_head);
  if (!events_or.ok()) return StatusError(events_or.status());
  OJson events = std::move(events_or).value();

  // The lot's own events (lot documents, lot inspections, recalls naming the
  // lot), with the same proofs, and the lot chain.
  std::vector<EventRec> lot_evs;
  std::string lot_start_head;
  OJson lot_events = OJson::array();
  if (has_lot) {
    read_status = ReadEvents(c.state(), keys::LotEventPrefix(lot.product_code, lot.lot),
                             std::min<uint64_t>(lot.event_count, *lot_from + *lot_limit), &lot_evs);
    if (!read_status.ok()) return StatusError(read_status);
    auto le = ChainEvents(c, lot_evs, *lot_from, nullptr, &lot_start_head);
    if (!le.ok()) return StatusError(le.status());
    lot_events = std::move(le).value();
  }

  // Alerts that held or concern the item.
  OJson alerts = OJson::array();
  std::vector<std::string> alert_ids;
  c.state().Scan(keys::CodeAlertPrefix(item.code), [&](std::string_view k, std::string_view v) {
    alert_ids.emplace_back(k.substr(4 + item.code.size()));
    return alert_ids.size() < kMaxTraceList;
  });
  if (!item.shipment_id.empty()) {
    ShipmentRec s;
    if (LoadRec(c.state(), keys::Shipment(item.shipment_id), &s) && !s.overdue_alert.empty())
      alert_ids.push_back(s.overdue_alert);
  }
  RecallRec rr;
  if (!item.recall_id.empty() && LoadRec(c.state(), keys::Recall(item.recall_id), &rr) &&
      !rr.alert_id.empty())
    alert_ids.push_back(rr.alert_id);
  for (const auto& id : alert_ids) {
    AlertRec a;
    if (LoadRec(c.state(), keys::Alert(id), &a)) alerts.push_back(AlertOf(a));
  }
  j["alerts"] = alerts;
  j["recall"] = RecallOf(c, item.recall_id, item.code);

  // Lineage.
  OJson children = OJson::array();
  c.state().Scan(keys::ChildPrefix(item.code), [&](std::string_view k, std::string_view) {
    children.push_back(std::string(k.substr(4 + item.code.size())));
    return children.size() < kMaxTraceList;
  });
  j["lineage"] = {{"parent", Nullable(item.parent)},
                  {"children", children},
                  {"children_total", item.child_count},
                  {"made_from", TransformOf(c, item.made_by)},
                  {"transformed_into", TransformOf(c, item.transformed_into)}};

  // Documents for the code and for its lot.
  OJson docs = OJson::array();
  auto add_docs = [&](const std::string& prefix, const char* scope) {
    c.state().Scan(prefix, [&](std::string_view, std::string_view v) {
      DocumentRec d;
      if (Decode(v, &d)) docs.push_back(DocumentOf(d, scope));
      return docs.size() < kMaxTraceList;
    });
  };
  add_docs(keys::CodeDocPrefix(item.code), "code");
  if (!item.product_code.empty()) add_docs(keys::LotDocPrefix(item.product_code, item.lot), "lot");
  j["documents"] = docs;
  if (has_lot) {
    j["lot_info"] = {
        {"lot", lot.lot},
        {"count", lot.count},
        {"inspection", lot.inspection == Inspection::kNone
                           ? OJson(nullptr)
                           : OJson(lot.inspection == Inspection::kPass ? "pass" : "fail")},
        {"inspection_report", Nullable(lot.inspection_report)}};
  }

  j["events"] = events;
  bool complete = *from == 0 && events.size() == item.event_count;
  j["chain"] = {
      {"hash_alg", HashAlgName(c.alg())},
      {"rule", "head = H(prev_head || tx_id) over the events in order, from 32 zero bytes"},
      {"head", ToHex(item.head.empty() ? ZeroHead() : item.head)},
      {"event_count", item.event_count},
      {"events_from", *from},
      {"events_returned", events.size()},
      {"start_head", ToHex(start_head)},
      {"complete", complete}};
  if (!complete && *from + events.size() < item.event_count) {
    j["chain"]["next"] = "/v1/trace/" + item.code +
                         "?events_from=" + std::to_string(*from + events.size()) +
                         "&events_limit=" + std::to_string(*limit);
  }
  size_t lot_returned = lot_events.size();
  j["lot_events"] = std::move(lot_events);
  if (has_lot) {
    bool lot_complete = *lot_from == 0 && lot_returned == lot.event_count;
    j["lot_chain"] = {
        {"hash_alg", HashAlgName(c.alg())},
        {"rule",
         "head = H(prev_head || tx_id) over the lot's events (lot documents, lot inspections, "
         "recalls naming the lot) in order, from 32 zero bytes"},
        {"product_code", lot.product_code},
        {"lot", lot.lot},
        {"head", ToHex(lot.head.empty() ? ZeroHead() : lot.head)},
        {"event_count", lot.event_count},
        {"events_from", *lot_from},
        {"events_returned", lot_returned},
        {"start_head", ToHex(lot_start_head)},
        {"complete", lot_complete}};
    if (!lot_complete && *lot_from + lot_returned < lot.event_count) {
      j["lot_chain"]["next"] = "/v1/trace/" + item.code +
                               "?lot_events_from=" + std::to_string(*lot_from + lot_returned) +
                               "&lot_events_limit=" + std::to_string(*lot_limit);
    }
  } else {
    j["lot_chain"] = nullptr;
  }

  // The blocks the events sit in, with their attestations.
  OJson blocks = OJson::array();
  std::set<uint64_t> used;
  for (size_t i = *from; i < evs.size(); ++i) used.insert(evs[i].height);
  for (size_t i = *lot_from; i < lot_evs.size(); ++i) used.insert(lot_evs[i].height);
  for (uint64_t height : used) {
    auto hdr = c.Header(height);  // read for its events above
    if (!hdr.ok()) return StatusError(hdr.status());
    OJson h = HeaderJson<OJson>((*hdr)->header(), (*hdr)->block_hash());
    OJson atts = OJson::array();
    std::vector<pb::Attestation> as;
    if (c.store().GetAttestations(height, &as).ok()) {
      for (const auto& a : as) {
        atts.push_back({{"node_id", a.node_id()}, {"signature", ToHex(a.signature())}});
      }
    }
    h["attestations"] = atts;
    blocks.push_back(std::move(h));
  }
  j["proof"] = {
      {"hash_alg", HashAlgName(c.alg())},
      {"chain_id", c.genesis().chain_id},
      {"genesis_hash", ToHex(c.genesis().hash)},
      {"header_encoding",
       "block_hash = H(deterministic protobuf encoding of traceledger.pb.BlockHeader, "
       "proto/ledger.proto; see docs/api.md)"},
      {"attestation_digest", "H(\"traceledger-attestation\" || u64be(height) || block_hash)"},
      {"blocks", blocks}};
  return JsonAnswer(200, j);
}

// The answer for a lot (GTIN + lot, no serial).
HttpResponse TraceLot(TraceContext& c, const TraceTarget& t, const HttpRequest& req) {
  LotRec lot;
  if (!LoadRec(c.state(), keys::Lot(t.gtin, t.lot), &lot)) {
    return JsonError(404, "NOT_FOUND",
                     "lot \"" + t.lot + "\" of product " + t.gtin +
                         " is not on this ledger; check the lot and GTIN printed on the pack");
  }
  auto from = QueryNumber(req, "codes_from", 0, UINT32_MAX);
  if (!from.ok()) return StatusError(from.status());
  auto limit = QueryNumber(req, "codes_limit", kDefaultLotCodes, kMaxTraceList);
  if (!limit.ok()) return StatusError(limit.status());
  if (*limit == 0) return StatusError(BadPaging("codes_limit must be at least 1"));
  if (*from > lot.count) return StatusError(BadPaging("codes_from is past the lot's codes"));
  Range range;
  OJson j;
  OJson codes = OJson::array();
  std::map<std::string, int> by_status;
  std::vector<std::string> recalls;
  uint64_t i = 0;
  std::string prefix = keys::LotCodePrefix(t.gtin, t.lot);
  c.state().Scan(prefix, [&](std::string_view k, std::string_view) {
    if (i++ < *from) return true;
    std::string code(k.substr(prefix.size()));
    ItemRec it;
    if (LoadRec(c.state(), keys::Item(code), &it)) {
      codes.push_back({{"code", code}, {"status", ItemStatusName(it.Status())}});
      if (!it.recall_id.empty() &&
          std::find(recalls.begin(), recalls.end(), it.recall_id) == recalls.end())
        recalls.push_back(it.recall_id);
    }
    return codes.size() < *limit;
  });
  if (!recalls.empty()) {
    j["warning"] = Warning(
        "recalled",
        "RECALLED - items of this lot are under recall " + recalls.front() + "; do not use them.",
        "已召回——该批次产品处于召回中（" + recalls.front() + "），请勿使用。");
  }
  j["kind"] = "lot";
  j["product"] = ProductOf(c, t.gtin, &range);
  j["lot"] = lot.lot;
  j["expiry"] = Nullable(Date(lot.expiry_ms));
  j["commissioner"] = c.Party(lot.commissioner);
  j["imported"] = lot.imported;
  j["origin_country"] = Nullable(lot.origin_country);
  j["inspection"] = lot.inspection == Inspection::kNone
                        ? OJson(nullptr)
                        : OJson(lot.inspection == Inspection::kPass ? "pass" : "fail");
  OJson docs = OJson::array();
  c.state().Scan(keys::LotDocPrefix(t.gtin, t.lot), [&](std::string_view, std::string_view v) {
    DocumentRec d;
    if (Decode(v, &d)) docs.push_back(DocumentOf(d, "lot"));
    return docs.size() < kMaxTraceList;
  });
  j["documents"] = docs;
  OJson rj = OJson::array();
  for (const auto& id : recalls) rj.push_back(RecallOf(c, id, ""));
  j["recalls"] = rj;
  j["codes_total"] = lot.count;
  j["codes_from"] = *from;
  j["codes"] = codes;
  j["note"] =
      "GET /v1/trace/{code} of one of its codes for the proofs: the code's events and the lot's "
      "own events (lot_events, lot_chain)";
  return JsonAnswer(200, j);
}

}  // namespace

bool IsTracePath(const std::string& p) {
  return p.rfind("/v1/trace/", 0) == 0 || p.rfind("/01/", 0) == 0 || p.rfind("/00/", 0) == 0 ||
         p == "/v1/trace";
}

bool HandleTraceRoute(node::Node* node, TraceAnswerCache* cache, const HttpRequest& req,
                      HttpResponse* out) {
  const std::string& p = req.path;
  Result<TraceTarget> target = Status::Error("X", "");
  if (p.rfind("/v1/trace/", 0) == 0) {
    target = ParseTraceCode(std::string_view(p).substr(10));
  } else if (p.rfind("/01/", 0) == 0 || p.rfind("/00/", 0) == 0) {
    target = ParseDigitalLink(p);
  } else if (p == "/v1/trace" || p == "/v1/trace/") {
    *out = JsonError(
        400, "BAD_CODE",
        "use GET /v1/trace/{code}, e.g. /v1/trace/(01)06901234567892(21)ABC123 (URL-encoded)");
    return true;
  } else {
    return false;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    *out = JsonError(405, "METHOD_NOT_ALLOWED",
                     req.method + " is not allowed on " + p + "; use GET or HEAD");
    out->headers.emplace_back("Allow", "GET, HEAD");
    return true;
  }
  if (!target.ok()) {
    *out = JsonError(400, target.status().code(), target.status().message());
    return true;
  }
  // The generation is read before anything else, so the answer reflects at
  // least every write before it (trace_cache.h).
  uint64_t gen = node->read_generation();
  std::string key;
  if (cache) {
    key = TraceAnswerCache::KeyOf(req);
    if (cache->Get(gen, key, out)) return true;
  }
  TraceContext c(node);
  const uint64_t read_failures = StateReadFailuresOnThisThread();
  *out = target->kind == TraceTarget::kLot ? TraceLot(c, *target, req) : TraceCode(c, *target, req);
  if (StateReadFailuresOnThisThread() != read_failures) {
    // A read answered "absent" or a scan stopped early: the answer may be
    // wrong. Never served, never cached.
    *out = JsonError(500, "STATE_READ_FAILED",
                     "reading the ledger state failed (" + LastStateReadFailureOnThisThread() +
                         "); retry, and tell the node's operator if it persists");
    return true;
  }
  if (cache && out->status == 200) cache->Put(gen, key, *out);
  return true;
}

}  // namespace traceledger::api
