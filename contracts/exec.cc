#include "contracts/exec.h"

#include <cassert>
#include <cstdio>

#include "contracts/codec.h"
#include "ledger/hex.h"
#include "ledger/utf8.h"

namespace traceledger {

namespace {
constexpr int64_t kDayMs = 86400000;

std::string AlertId(uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "AL%010llu", static_cast<unsigned long long>(seq));
  return buf;
}
const char* ItemsCounter(ItemStatus s) {
  static const char* kNames[] = {"items|active",   "items|in_transit", "items|quarantined",
                                 "items|recalled", "items|dispensed",  "items|destroyed",
                                 "items|none"};
  return kNames[static_cast<int>(s)];
}
}  // namespace

Exec::Exec(const Engine& e, const StateReader& base, const BlockContext& c)
    : engine(e), g(e.genesis()), ctx(c), alg(e.genesis().hash_alg), base_(base) {
  auto seq = base_.Get(keys::kAlertSeq);
  alert_seq_block_ = seq ? std::strtoull(seq->c_str(), nullptr, 10) : 0;
  alert_seq_tx_ = alert_seq_block_;
}

void Exec::Begin(const Envelope* e, uint32_t i) {
  assert(undo_.empty() && counters_tx_.empty() && alerts_tx_.empty());
  env = e;
  index = i;
  signer.reset();
  tx_hex_.clear();
  touched_.clear();
  touched_many_.clear();
  lots_touched_.clear();
  links_.clear();
  alert_seq_tx_ = alert_seq_block_;
  bad_text_.clear();
  text_fields_seen_ = InvalidTextFieldsOnThisThread();
}

void Exec::Commit() {
  undo_.clear();  // the writes are already in the block
  for (auto& [total, d] : counters_tx_) *total += d;
  for (auto& a : alerts_tx_) alerts_block_.push_back(std::move(a));
  alert_seq_block_ = alert_seq_tx_;
  Abort();
}

void Exec::Abort() {
  // Undo this transaction's writes, newest first.
  for (auto u = undo_.rbegin(); u != undo_.rend(); ++u) {
    if (u->existed)
      u->it->second = std::move(u->prev);
    else
      block_.erase(u->it);
  }
  undo_.clear();
  counters_tx_.clear();
  alerts_tx_.clear();
  touched_.clear();
  touched_many_.clear();
  lots_touched_.clear();
  alert_seq_tx_ = alert_seq_block_;
}

std::optional<std::string> Exec::Get(std::string_view key) const {
  if (auto it = block_.find(key); it != block_.end()) return it->second;
  return base_.Get(key);
}

void Exec::Put(std::string key, std::string value) {
  Write(std::move(key), std::optional<std::string>(std::move(value)));
}
void Exec::Del(std::string key) { Write(std::move(key), std::nullopt); }

void Exec::CheckText(const std::string& key, const std::optional<std::string>& value) {
  // A record's text fields were checked as it was encoded, just before this
  // write (Put(key, Encode(r))): a count that moved since the last write names
  // this record.
  const uint64_t fields = InvalidTextFieldsOnThisThread();
  const char* what = nullptr;
  if (!IsUtf8Text(key)) {
    what = "the state key ";
  } else if (fields != text_fields_seen_) {
    what = "a text field of the record under ";
  } else if (value && !value->empty() && ValueKindOf(key) == ValueKind::kText &&
             !IsUtf8Text(*value)) {
    what = "the value under ";
  }
  text_fields_seen_ = fields;
  if (what && bad_text_.empty()) {
    bad_text_ = what + ("\"" + SanitizeUtf8(Utf8Prefix(key, 80)) + "\"");
  }
}

void Exec::Write(std::string key, std::optional<std::string> value) {
  CheckText(key, value);
  auto [it, inserted] = block_.try_emplace(std::move(key));
  // Block-time rules (env == nullptr) keep an undo log too, so that the engine
  // can drop them.
  undo_.push_back(Undo{it, !inserted, std::move(it->second)});
  it->second = std::move(value);
}
void Exec::PutBlock(std::string key, std::string value) {
  // Nonces only (n|HEXKEY|NONCE -> raw tx id): the engine has checked the
  // nonce is UTF-8 text.
  block_.insert_or_assign(std::move(key), std::optional<std::string>(std::move(value)));
}

void Exec::Scan(std::string_view prefix, const ScanFn& fn) const {
  // Streaming merge of the base and the block's writes; the writes win.
  using Entry = std::pair<std::string_view, const std::optional<std::string>*>;
  std::vector<Entry> over;
  for (auto b = block_.lower_bound(prefix);
       b != block_.end() && b->first.compare(0, prefix.size(), prefix) == 0; ++b)
    over.emplace_back(b->first, &b->second);
  size_t oi = 0;
  bool stop = false;
  base_.Scan(prefix, [&](std::string_view k, std::string_view v) {
    while (oi < over.size() && over[oi].first < k) {
      if (*over[oi].second && !fn(over[oi].first, **over[oi].second)) {
        stop = true;
        return false;
      }
      ++oi;
    }
    if (oi < over.size() && over[oi].first == k) {
      const auto* ov = over[oi++].second;
      if (*ov && !fn(k, **ov)) stop = true;
    } else if (!fn(k, v)) {
      stop = true;
    }
    return !stop;
  });
  for (; !stop && oi < over.size(); ++oi) {
    if (*over[oi].second && !fn(over[oi].first, **over[oi].second)) break;
  }
}

Status Exec::LoadItem(const std::string& code, ItemRec* item) {
  if (!Load(keys::Item(code), item))
    return Reject("UNKNOWN_CODE", "code " + Q(code) + " is not commissioned");
  return Status::OK();
}

bool Exec::FirstTouch(const std::string& code) {
  if (touched_many_.empty()) {
    for (const auto& c : touched_)
      if (c == code) return false;
    touched_.push_back(code);
    if (touched_.size() > 32) touched_many_.insert(touched_.begin(), touched_.end());
    return true;
  }
  return touched_many_.insert(code).second;
}

void Exec::SaveItem(ItemRec& item) {
  if (env && FirstTouch(item.code)) {
    item.head = NextHead(alg, item.head.empty() ? ZeroHead() : item.head, env->tx_id);
    Put(keys::Event(item.code, item.event_count),
        EncodeEvent(env->tx_id, ctx.height, index, env->type,
                    static_cast<uint32_t>(links_.size())));
    links_.push_back(ChainLink{ChainKind::kItem, item.code, "", item.event_count, item.head});
    ++item.event_count;
  }
  if (item.terminal != Terminal::kNone && item.loaded_terminal == Terminal::kNone) {
    // Out of circulation: no longer anyone's holding.
    Del(keys::Holder(item.custodian, item.code));
    item.loaded_terminal = item.terminal;
  }
  ItemStatus now = item.Status();
  if (now != item.loaded_status) {
    if (item.loaded_status != ItemStatus::kNone) Count(ItemsCounter(item.loaded_status), -1);
    Count(ItemsCounter(now), +1);
    item.loaded_status = now;
  }
  Put(keys::Item(item.code), Encode(item));
}

void Exec::ExtendLot(LotRec& lot) {
  if (!env) return;
  std::string key = keys::Lot(lot.product_code, lot.lot);
  for (const auto& k : lots_touched_)
    if (k == key) return;  // at most 100 lots per transaction (a recall's lots[])
  lots_touched_.push_back(std::move(key));
  lot.head = NextHead(alg, lot.head.empty() ? ZeroHead() : lot.head, env->tx_id);
  Put(keys::LotEvent(lot.product_code, lot.lot, lot.event_count),
      EncodeEvent(env->tx_id, ctx.height, index, env->type, static_cast<uint32_t>(links_.size())));
  links_.push_back(
      ChainLink{ChainKind::kLot, lot.product_code, lot.lot, lot.event_count, lot.head});
  ++lot.event_count;
}

Status Exec::Expand(const ItemRec& top, std::vector<ItemRec>* out) {
  struct Frame {
    std::string code;
    size_t depth;
  };
  out->push_back(top);
  if (top.child_count == 0) return Status::OK();
  std::vector<Frame> stack{{top.code, 0}};
  while (!stack.empty()) {
    Frame f = stack.back();
    stack.pop_back();
    std::vector<std::string> children;
    Scan(keys::ChildPrefix(f.code), [&](std::string_view k, std::string_view) {
      children.emplace_back(k.substr(4 + f.code.size()));
      return true;
    });
    // Push in reverse so the depth-first order is ascending.
    for (auto it = children.rbegin(); it != children.rend(); ++it) {
      ItemRec child;
      if (!Load(keys::Item(*it), &child)) continue;
      if (out->size() >= kMaxItemsPerTx)
        return Reject("TOO_MANY", "code " + Q(top.code) + " holds more than " +
                                      std::to_string(kMaxItemsPerTx) + " items");
      out->push_back(child);
      if (child.child_count > 0 && f.depth + 1 < kMaxAggregationDepth)
        stack.push_back({child.code, f.depth + 1});
    }
  }
  return Status::OK();
}

Status Exec::LoadExpanded(const std::vector<std::string>& codes, bool top_level_only,
                          std::vector<ItemRec>* out) {
  bool expanded = false;
  for (const auto& code : codes) {
    ItemRec item;
    TL_RETURN_IF_ERROR(LoadItem(code, &item));
    if (top_level_only && !item.parent.empty())
      return Reject("AGGREGATED", "code " + Q(code) + " is packed inside " + Q(item.parent) +
                                      "; act on the parent or disaggregate it first");
    if (item.child_count == 0) {
      if (out->size() >= kMaxItemsPerTx)
        return Reject("TOO_MANY", "too many items in one transaction");
      out->push_back(std::move(item));
    } else {
      expanded = true;
      TL_RETURN_IF_ERROR(Expand(item, out));
    }
  }
  if (expanded) {
    // A listed code may also sit inside a listed aggregate: keep each item once,
    // or a second, stale copy would overwrite the first when saved.
    std::set<std::string> seen;
    size_t w = 0;
    for (size_t r = 0; r < out->size(); ++r) {
      if (!seen.insert((*out)[r].code).second) continue;
      if (w != r) (*out)[w] = std::move((*out)[r]);
      ++w;
    }
    out->resize(w);
  }
  return Status::OK();
}

void Exec::SetCustodian(ItemRec& item, const std::string& uscc) {
  if (item.custodian == uscc) return;
  Del(keys::Holder(item.custodian, item.code));
  Put(keys::Holder(uscc, item.code), "");
  if (!item.recall_id.empty() && item.terminal == Terminal::kNone) {
    std::string ob = keys::Obligation(item.recall_id, item.code);
    if (Exists(ob)) {
      Put(ob, uscc);
      std::string from = keys::RecallHolder(item.recall_id, item.custodian);
      std::string to = keys::RecallHolder(item.recall_id, uscc);
      auto fv = Get(from);
      int64_t fc = fv ? std::strtoll(fv->c_str(), nullptr, 10) : 0;
      if (fc <= 1)
        Del(from);
      else
        Put(from, std::to_string(fc - 1));
      auto tv = Get(to);
      Put(to, std::to_string((tv ? std::strtoll(tv->c_str(), nullptr, 10) : 0) + 1));
    }
  }
  item.custodian = uscc;
}

Status Exec::CheckMovable(const ItemRec& item) const {
  if (item.terminal != Terminal::kNone)
    return Reject("TERMINAL", "code " + Q(item.code) + " is " + TerminalName(item.terminal) +
                                  " and can never move again");
  if (!item.shipment_id.empty())
    return Reject("IN_TRANSIT",
                  "code " + Q(item.code) + " is in transit in shipment " + Q(item.shipment_id));
  if (!item.recall_id.empty())
    return Reject("RECALLED", "code " + Q(item.code) + " is frozen by recall " + Q(item.recall_id) +
                                  "; only recall.respond may act on it");
  if (item.quarantined)
    return Reject("QUARANTINED",
                  "code " + Q(item.code) + " is quarantined until a regulator releases it");
  return Status::OK();
}

bool Exec::Expired(const ItemRec& item) const {
  // An item may be used through the whole of its expiry date (UTC).
  return item.expiry_ms != 0 && ctx.time_ms >= item.expiry_ms + kDayMs;
}

bool Exec::ImportFirstMove(const ItemRec& item) {
  if (item.custodian != item.commissioner) return false;
  EnterpriseRec e;
  if (!Load(keys::Enterprise(item.commissioner), &e)) return false;
  return (e.roles & kWarehouse) == 0;
}

Status Exec::CheckImportDocuments(const ItemRec& item) {
  if (!item.imported || item.category != Category::kColdChainFood) return Status::OK();
  std::string missing;
  for (const auto& type : g.params.import_documents) {
    if (Exists(keys::LotDoc(item.product_code, item.lot, type)) ||
        Exists(keys::CodeDoc(item.code, type)))
      continue;
    missing += missing.empty() ? "" : ", ";
    missing += type;
  }
  if (missing.empty()) return Status::OK();
  return Reject("DOCUMENTS_MISSING", "imported cold-chain code " + Q(item.code) + " (lot " +
                                         Q(item.lot) + ") lacks documents: " + missing);
}

std::optional<TempRange> Exec::ProductRange(const std::string& product_code) {
  ProductRec p;
  if (product_code.empty() || !Load(keys::Product(product_code), &p)) return std::nullopt;
  if (!p.has_min && !p.has_max) return std::nullopt;
  TempRange r;
  if (p.has_min) r.min_c = p.min_c;
  if (p.has_max) r.max_c = p.max_c;
  return r;
}

void Exec::Quarantine(ItemRec& item, const std::string& alert_id) {
  if (!item.quarantined) {
    item.quarantined = true;
    Count("quarantines", 1);
  }
  if (!alert_id.empty()) Put(keys::CodeAlert(item.code, alert_id), "1");
}

void Exec::Unquarantine(ItemRec& item) {
  if (!item.quarantined) return;
  item.quarantined = false;
  std::vector<std::pair<std::string, std::string>> pending;
  Scan(keys::CodeAlertPrefix(item.code), [&](std::string_view k, std::string_view v) {
    if (v == "1") pending.emplace_back(std::string(k), std::string(k.substr(4 + item.code.size())));
    return true;
  });
  for (const auto& [key, id] : pending) {
    Put(key, "0");
    AlertRec a;
    if (!Load(keys::Alert(id), &a) || !a.open) continue;
    if (a.pending > 0) --a.pending;
    Save(keys::Alert(id), a);
    if (a.pending == 0) CloseAlert(id);
  }
}

std::string Exec::OpenAlert(const std::string& kind, const std::string& subject,
                            const std::string& message, uint32_t pending) {
  AlertRec a;
  a.id = AlertId(++alert_seq_tx_);
  a.kind = kind;
  a.subject = subject;
  a.message = message;
  a.tx_id = env ? env->tx_id : "";
  a.pending = pending;
  a.height = ctx.height;
  a.time_ms = ctx.time_ms;
  Save(keys::Alert(a.id), a);
  Put(keys::OpenAlert(a.id), kind);
  Put(std::string(keys::kAlertSeq), std::to_string(alert_seq_tx_));
  Count("alerts_open", 1);
  Count("alerts|" + kind, 1);
  alerts_tx_.push_back(a);
  return a.id;
}

void Exec::CloseAlert(const std::string& id) {
  AlertRec a;
  if (!Load(keys::Alert(id), &a) || !a.open) return;
  a.open = false;
  a.closed_height = ctx.height;
  Save(keys::Alert(id), a);
  Del(keys::OpenAlert(id));
  Count("alerts_open", -1);
  alerts_tx_.push_back(a);
}

void Exec::ResolveObligation(ItemRec& item) {
  if (item.recall_id.empty()) return;
  std::string ob = keys::Obligation(item.recall_id, item.code);
  if (!Exists(ob)) return;
  Del(ob);
  std::string rh = keys::RecallHolder(item.recall_id, item.custodian);
  auto v = Get(rh);
  int64_t c = v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
  if (c <= 1)
    Del(rh);
  else
    Put(rh, std::to_string(c - 1));
  RecallRec r;
  if (!Load(keys::Recall(item.recall_id), &r)) return;
  if (r.outstanding > 0) --r.outstanding;
  if (r.outstanding == 0 && r.open) {
    CloseRecall(r, "auto: every affected item was returned or destroyed");
  }
  Save(keys::Recall(r.id), r);
}

void Exec::CloseRecall(RecallRec& r, const std::string& reason) {
  r.open = false;
  r.closed_height = ctx.height;
  r.close_reason = reason;
  Count("recalls_open", -1);
  if (!r.alert_id.empty()) CloseAlert(r.alert_id);
}

void Exec::Count(std::string_view name, int64_t delta) {
  auto it = counters_block_.find(name);
  if (it == counters_block_.end()) it = counters_block_.emplace(std::string(name), 0).first;
  for (auto& [total, d] : counters_tx_) {
    if (total == &it->second) {
      d += delta;
      return;
    }
  }
  counters_tx_.emplace_back(&it->second, delta);
}

void Exec::FinishBlock(BlockResult* out) {
  assert(undo_.empty());
  for (const auto& [name, delta] : counters_block_) {
    if (delta == 0) continue;
    std::string key = keys::Counter(name);
    auto v = Get(key);
    int64_t now = (v ? std::strtoll(v->c_str(), nullptr, 10) : 0) + delta;
    block_.insert_or_assign(key, std::to_string(now));
  }
  out->writes.clear();
  out->writes.reserve(block_.size());
  // Take the nodes out so that keys move instead of being copied.
  while (!block_.empty()) {
    auto node = block_.extract(block_.begin());
    out->writes.push_back(WriteOp{std::move(node.key()), std::move(node.mapped())});
  }
  out->alerts = std::move(alerts_block_);
}

}  // namespace traceledger
