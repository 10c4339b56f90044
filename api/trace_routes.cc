#include "api/trace_routes.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "api/alert_text.h"
#include "api/header_json.h"
#include "api/json_writer.h"
#include "api/payload_view.h"
#include "contracts/engine.h"
#include "contracts/ids.h"
#include "contracts/state.h"
#include "contracts/store.h"
#include "ledger.pb.h"
#include "ledger/hex.h"
#include "ledger/merkle.h"
#include "ledger/time_util.h"

namespace traceledger::api {

// The answers are written straight to text with a JsonWriter (no document
// tree): the trace answer is the API's hottest large answer. The signed
// payloads are read in one pass (api/payload_view.h).

namespace {

// A trace answer is typically 10-40 KB; reserve once.
constexpr size_t kAnswerReserve = 32 << 10;

HttpResponse TextAnswer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

template <typename R>
bool LoadRec(const StateReader& s, const std::string& key, R* r) {
  auto v = s.Get(key);
  return v && Decode(*v, r);
}

std::string Date(int64_t ms) { return ms == 0 ? "" : FormatRfc3339Millis(ms).substr(0, 10); }

void InspectionValue(JsonWriter& w, Inspection i) {
  if (i == Inspection::kNone) return w.Null();
  w.String(i == Inspection::kPass ? "pass" : "fail");
}

// Everything one answer reads, with small caches.
class TraceContext {
 public:
  // `caches` (may be null) keep rendered pieces across answers; `start` is
  // the node's read point before the answer's first read.
  TraceContext(node::Node* node, TraceCaches* caches, const node::ReadPoint& start)
      : node_(node),
        state_(node->state(), &deps_),
        store_(node->blocks()),
        alg_(store_.alg()),
        block_cache_(caches ? &caches->blocks : nullptr),
        fragments_(caches ? &caches->fragments : nullptr),
        start_(start) {}

  // Every state read of the answer goes through here and is noted in deps().
  const StateReader& state() const { return state_; }
  HashAlg alg() const { return alg_; }
  // What the answer read that can change (api/trace_cache.h).
  AnswerDeps TakeDeps() { return std::move(deps_); }
  // The answer changes once the latest block's time reaches `time_ms`.
  void ChangesAtBlockTime(int64_t time_ms) {
    deps_.valid_before_time = std::min(deps_.valid_before_time, time_ms);
  }

  // Transaction `index` of block `height` with its receipt and both audit
  // paths, from the block store's transaction record (no block is loaded);
  // read once per answer. The state points at every transaction an answer
  // reads, so a missing record is damage (500), never "no such code" (404).
  Result<const pb::TxRecord*> Tx(uint64_t height, uint32_t index) {
    auto key = std::make_pair(height, index);
    auto it = txs_.find(key);
    if (it != txs_.end()) return &it->second;
    pb::TxRecord r;
    Status s = store_.GetTxRecord(height, index, &r);
    if (s.Is("NOT_FOUND")) {
      return Status::Corruption("the state names transaction " + std::to_string(height) + ":" +
                                std::to_string(index) +
                                ", which the block store lacks: " + s.message());
    }
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

  // What the answer shows of the payload of transaction (height, index);
  // read once per answer.
  const PayloadView& Payload(uint64_t height, uint32_t index, const std::string& payload) {
    auto key = std::make_pair(height, index);
    auto it = payloads_.find(key);
    if (it == payloads_.end()) it = payloads_.emplace(key, ReadPayload(payload)).first;
    return it->second;
  }

  // The time of block `height` (an event's recorded_at).
  Result<int64_t> BlockTime(uint64_t height) {
    int64_t t;
    if (block_cache_ && block_cache_->Time(height, &t)) return t;
    auto hdr = Header(height);
    if (!hdr.ok()) return hdr.status();
    return (*hdr)->header().time();
  }

  // The proof's entry for block `height`: every header member and the
  // attestations, from the cache when every validator has attested it.
  Status WriteBlock(JsonWriter& w, uint64_t height) {
    if (block_cache_ && block_cache_->WriteEntry(height, &w)) return Status::OK();
    auto hdr = Header(height);
    if (!hdr.ok()) return hdr.status();
    std::string entry;
    JsonWriter e(&entry);
    e.BeginObject();
    WriteHeaderFields(e, (*hdr)->header(), (*hdr)->block_hash());
    e.Key("attestations");
    e.BeginArray();
    std::vector<pb::Attestation> as;
    // An attestation that cannot be read fails the answer: a proof is never
    // served, or kept, with attestations missing because of damage.
    TL_RETURN_IF_ERROR(store_.GetAttestations(height, &as));
    deps_.attested.push_back(height);  // another may arrive
    for (const auto& a : as) {
      e.BeginObject();
      e.Field("node_id", a.node_id());
      e.HexField("signature", a.signature());
      e.EndObject();
    }
    e.EndArray();
    e.EndObject();
    w.Raw(entry);
    if (block_cache_ && as.size() == node_->genesis().validators.size()) {
      block_cache_->Put(height, (*hdr)->header().time(), std::move(entry));
    }
    return Status::OK();
  }

  // {uscc, name, region} of an enterprise (name null if not enrolled); null
  // for no USCC.
  void Party(JsonWriter& w, const std::string& uscc) {
    if (uscc.empty()) return w.Null();
    Fragment(w, "p" + uscc, [&](JsonWriter& f) { RenderParty(f, uscc); });
  }
  // Who signed: a regulator of genesis or an enrolled enterprise.
  void Actor(JsonWriter& w, const std::string& signer) {
    Fragment(w, "a" + signer, [&](JsonWriter& f) { RenderActor(f, signer); });
  }
  // The two above, rendered from the state.
  void RenderParty(JsonWriter& w, const std::string& uscc) {
    w.BeginObject();
    w.Field("uscc", uscc);
    const EnterpriseRec* e = Enterprise(uscc);
    if (e) {
      w.Field("name", e->name);
      w.Field("region", e->region);
    } else {
      w.NullField("name");
    }
    w.EndObject();
  }
  // The enrolled enterprise `uscc`, or null.
  const EnterpriseRec* Enterprise(const std::string& uscc) {
    auto it = ents_.find(uscc);
    // Noted again when remembered: a fragment rendered now depends on it.
    if (it != ents_.end()) deps_.keys.push_back(keys::Enterprise(uscc));
    if (it == ents_.end()) {
      EnterpriseRec r;
      bool ok = LoadRec(state_, keys::Enterprise(uscc), &r);
      it =
          ents_.emplace(uscc, ok ? std::optional<EnterpriseRec>(std::move(r)) : std::nullopt).first;
    }
    return it->second ? &*it->second : nullptr;
  }
  void RenderActor(JsonWriter& w, const std::string& signer) {
    w.BeginObject();
    w.HexField("public_key", signer);
    for (const auto& r : node_->genesis().regulators) {
      if (r.public_key == signer) {
        w.Field("kind", "regulator");
        w.Field("name", r.name);
        return w.EndObject();
      }
    }
    if (auto added = state_.Get(keys::Regulator(signer))) {  // registry.add_regulator
      w.Field("kind", "regulator");
      w.Field("name", *added);
      return w.EndObject();
    }
    auto uscc = signers_.find(signer);
    if (uscc != signers_.end()) deps_.keys.push_back(keys::SignerKey(signer));  // as above
    if (uscc == signers_.end()) {
      uscc = signers_.emplace(signer, state_.Get(keys::SignerKey(signer))).first;
    }
    const EnterpriseRec* e = uscc->second ? Enterprise(*uscc->second) : nullptr;
    if (e) {
      w.Field("kind", "enterprise");
      w.Field("uscc", e->uscc);
      w.Field("name", e->name);
      w.Field("region", e->region);
      w.Field("roles", RolesToString(e->roles));
    } else {
      w.Field("kind", "unknown");  // e.g. a key since rotated away
      w.NullField("name");
    }
    w.EndObject();
  }
  // Latest block time, read once per answer (0 before the first block).
  int64_t LatestTime() {
    if (!latest_time_) latest_time_ = store_.latest_time();
    return *latest_time_;
  }
  const Genesis& genesis() const { return node_->genesis(); }

 private:
  // Writes the fragment `key` from the cache, or renders it with `render`
  // (and keeps it).
  template <typename Render>
  void Fragment(JsonWriter& w, const std::string& key, Render render) {
    if (!fragments_) return render(w);
    if (fragments_->Write(start_, key, &w, &deps_)) return;
    std::string text;
    JsonWriter f(&text);
    const uint64_t failures = StateReadFailuresOnThisThread();
    const size_t keys_before = deps_.keys.size();
    render(f);
    w.Raw(text);
    // A read that failed answers "absent": this answer becomes a 500
    // (HandleTraceRoute), and the fragment must not outlive it.
    if (StateReadFailuresOnThisThread() == failures) {
      // The fragment's own reads (Enterprise and the signers' map note a
      // remembered read again), which an answer using it depends on.
      fragments_->Put(start_, key, std::move(text),
                      std::vector<std::string>(deps_.keys.begin() + keys_before, deps_.keys.end()));
    }
  }

  node::Node* node_;
  AnswerDeps deps_;  // before state_, which notes into it
  RecordingStateReader state_;
  const BlockStore& store_;
  HashAlg alg_;
  BlockProofCache* block_cache_;
  FragmentCache* fragments_;
  const node::ReadPoint start_;
  std::map<std::pair<uint64_t, uint32_t>, pb::TxRecord> txs_;
  std::map<uint64_t, pb::HeaderRecord> headers_;
  std::map<std::pair<uint64_t, uint32_t>, PayloadView> payloads_;
  std::map<std::string, std::optional<EnterpriseRec>> ents_;
  std::map<std::string, std::optional<std::string>> signers_;  // key -> USCC
  std::optional<int64_t> latest_time_;
};

template <typename Path>
void ProofPath(JsonWriter& w, const Path& path) {
  w.BeginArray();
  for (const auto& h : path) w.Hex(h);
  w.EndArray();
}

void ReceiptOf(JsonWriter& w, const pb::Receipt& rc) {
  w.BeginObject();
  w.HexField("tx_id", rc.tx_id());
  w.Field("status", rc.ok() ? "ok" : "rejected");
  w.Field("code", rc.ok() ? std::string_view("OK") : std::string_view(rc.code()));
  w.Field("message", rc.message());
  w.Field("height", rc.height());
  w.Field("index", rc.index());
  if (!rc.heads_root().empty()) w.HexField("heads_root", rc.heads_root());
  w.EndObject();
}

// {leaf_index, tree_size, path}: an inclusion proof as answers show it.
template <typename Path>
void InclusionOf(JsonWriter& w, uint32_t leaf_index, uint64_t tree_size, const Path& path) {
  w.BeginObject();
  w.Field("leaf_index", leaf_index);
  w.Field("tree_size", tree_size);
  w.Key("path");
  ProofPath(w, path);
  w.EndObject();
}

struct Range {
  bool has_min = false, has_max = false;
  double min_c = 0, max_c = 0;
  bool Contains(double c) const { return (!has_min || c >= min_c) && (!has_max || c <= max_c); }
};

// Readings of a trace.reading body: count, min/max, the values (bounded) and
// whether they left the product's range; null without a readings array.
void ReadingsOf(JsonWriter& w, const PayloadView& p, const Range* range) {
  if (!p.has_readings) return w.Null();
  double lo = 0, hi = 0;
  const size_t n = p.readings.size();
  for (size_t i = 0; i < n; ++i) {
    double c = p.readings[i].celsius;
    lo = i == 0 ? c : std::min(lo, c);
    hi = i == 0 ? c : std::max(hi, c);
  }
  w.BeginObject();
  w.Field("device", p.device);
  w.Field("count", n);
  if (n > 0) {
    w.Field("min_c", lo);
    w.Field("max_c", hi);
  }
  if (range && (range->has_min || range->has_max)) {
    w.Key("allowed");
    w.BeginObject();
    w.Key("min_c");
    range->has_min ? w.Double(range->min_c) : w.Null();
    w.Key("max_c");
    range->has_max ? w.Double(range->max_c) : w.Null();
    w.EndObject();
    w.Field("excursion", n > 0 && (!range->Contains(lo) || !range->Contains(hi)));
  } else {
    w.Field("excursion", false);
  }
  w.Key("values");
  w.BeginArray();
  for (size_t i = 0; i < n && i < kMaxReadingValues; ++i) {
    w.BeginObject();
    w.Field("time", p.readings[i].time);
    w.Field("celsius", p.readings[i].celsius);
    w.EndObject();
  }
  w.EndArray();
  if (n > kMaxReadingValues) w.Field("values_truncated", true);
  w.EndObject();
}

// The inclusion of the event's chain link (`link`: which chain, the event's
// seq and the head after it) under its receipt's heads_root
// (ledger/chain_link.h).
Status HeadsInclusionOf(JsonWriter& w, TraceContext& c, const EventRec& ev, const ChainLink& link,
                        const std::string& heads_root) {
  if (ev.links > 0) {  // the path is in the event record (few links)
    auto root = MerkleRootFromInclusionProof(c.alg(), ev.link, ev.links,
                                             ChainLinkLeafHash(c.alg(), link), ev.path);
    if (!root.ok() || *root != heads_root)
      return Status::Corruption("the chain link proof of the event at height " +
                                std::to_string(ev.height) + ", index " + std::to_string(ev.index) +
                                " does not give its receipt's root");
    InclusionOf(w, ev.link, ev.links, ev.path);
    return Status::OK();
  }
  auto read = [&](uint32_t chunk, ChainLinksRec* rec) -> Status {
    auto v = c.state().Get(keys::ChainLinks(ev.height, ev.index, chunk));
    if (!v || !Decode(*v, rec))
      return Status::Corruption("the chain links of the transaction at height " +
                                std::to_string(ev.height) + ", index " + std::to_string(ev.index) +
                                (v ? " do not decode" : " are missing"));
    return Status::OK();
  };
  const uint32_t chunk_index = ev.link / kLinksPerChunk;
  ChainLinksRec chunk, first;
  TL_RETURN_IF_ERROR(read(chunk_index, &chunk));
  const std::vector<std::string>* roots = &chunk.chunk_roots;
  if (chunk_index != 0 && chunk.total > kLinksPerChunk) {
    TL_RETURN_IF_ERROR(read(0, &first));
    roots = &first.chunk_roots;
  }
  const size_t at = ev.link % kLinksPerChunk;
  if (at >= chunk.leaf_hashes.size() || chunk.leaf_hashes[at] != ChainLinkLeafHash(c.alg(), link))
    return Status::Corruption("chain link " + std::to_string(ev.link) +
                              " of the transaction at height " + std::to_string(ev.height) +
                              ", index " + std::to_string(ev.index) + " is not this event's");
  auto path = ChunkedHeadsProof(c.alg(), ev.link, chunk.total, chunk.leaf_hashes, *roots);
  if (!path.ok()) return Status::Corruption(path.status().message());
  InclusionOf(w, ev.link, chunk.total, *path);
  return Status::OK();
}

// One event with its proof. `link` names its chain, its seq and the chain
// head after it.
Status EventOf(JsonWriter& w, TraceContext& c, const EventRec& ev, const ChainLink& link,
               const Range* range) {
  const uint32_t seq = static_cast<uint32_t>(link.seq);
  const std::string& head = link.head;
  auto rec = c.Tx(ev.height, ev.index);
  if (!rec.ok()) return rec.status();
  auto recorded = c.BlockTime(ev.height);
  if (!recorded.ok()) return recorded.status();
  const pb::Transaction& tx = (*rec)->tx();
  const pb::Receipt& rc = (*rec)->receipt();
  const PayloadView& p = c.Payload(ev.height, ev.index, tx.payload());
  const std::string& type = p.type.empty() ? ev.type : p.type;
  w.BeginObject();
  w.Field("seq", seq);
  w.Field("type", type);
  w.HexField("tx_id", ev.tx_id);
  w.Field("height", ev.height);
  w.Field("index", ev.index);
  w.Field("time", p.time);
  w.Field("recorded_at", FormatRfc3339Millis(*recorded));
  w.Key("actor");
  c.Actor(w, tx.signer());
  if (p.has_location) w.Field("location", p.location);
  if (type == "trace.ship") {
    w.Key("parties");
    w.BeginObject();
    w.Key("to");
    c.Party(w, p.to);
    w.Key("carrier");
    c.Party(w, p.carrier);
    w.EndObject();
  }
  if (type == "trace.reading") {
    w.Key("readings");
    ReadingsOf(w, p, range);
  }
  w.Key("body");
  w.Raw(p.body_json);
  w.HexField("chain_head", head);
  w.Key("proof");
  w.BeginObject();
  w.Key("envelope");
  w.BeginObject();
  w.Field("payload", tx.payload());
  w.HexField("signer", tx.signer());
  w.HexField("signature", tx.signature());
  w.EndObject();
  w.Key("receipt");
  ReceiptOf(w, rc);
  w.Key("inclusion");
  InclusionOf(w, ev.index, (*rec)->tree_size(), (*rec)->tx_path());
  w.Key("receipt_inclusion");
  InclusionOf(w, ev.index, (*rec)->tree_size(), (*rec)->receipt_path());
  w.Key("heads_inclusion");
  TL_RETURN_IF_ERROR(HeadsInclusionOf(w, c, ev, link, rc.heads_root()));
  w.EndObject();
  w.EndObject();
  return Status::OK();
}

void AlertOf(JsonWriter& w, const AlertRec& a) {
  w.BeginObject();
  w.Field("id", a.id);
  w.Field("type", a.kind);
  w.Field("status", a.open ? "open" : "closed");
  w.Field("subject", a.subject);
  w.Field("message", a.message);
  w.Key("message_zh");
  w.StringOrNull(AlertMessageZh(a.kind, a.message));
  w.Field("raised_at", FormatRfc3339Millis(a.time_ms));
  w.Field("height", a.height);
  w.Key("closed_height");
  a.open ? w.Null() : w.Uint(a.closed_height);
  w.Key("tx_id");
  a.tx_id.empty() ? w.Null() : w.Hex(a.tx_id);
  w.EndObject();
}

void DocumentOf(JsonWriter& w, const DocumentRec& d, const char* scope) {
  w.BeginObject();
  w.Field("scope", scope);
  w.Field("doc_type", d.doc_type);
  w.Field("doc_id", d.doc_id);
  w.Field("sha256", d.sha256);
  w.Field("issuer", d.issuer);
  w.Field("attached_by", d.signer);
  w.HexField("tx_id", d.tx_id);
  w.Field("height", d.height);
  w.EndObject();
}

// The documents under `prefix` (a code's or a lot's), until *count reaches
// kMaxTraceList.
void DocumentsUnder(JsonWriter& w, TraceContext& c, const std::string& prefix, const char* scope,
                    size_t* count) {
  if (*count >= kMaxTraceList) return;
  c.state().Scan(prefix, [&](std::string_view, std::string_view v) {
    DocumentRec d;
    if (Decode(v, &d)) {
      DocumentOf(w, d, scope);
      ++*count;
    }
    return *count < kMaxTraceList;
  });
}

// The product `code` (null if not registered); *range gets its temperatures.
void ProductOf(JsonWriter& w, TraceContext& c, const std::string& code, Range* range) {
  ProductRec p;
  if (code.empty() || !LoadRec(c.state(), keys::Product(code), &p)) return w.Null();
  if (range) *range = Range{p.has_min, p.has_max, p.min_c, p.max_c};
  w.BeginObject();
  w.Field("code", p.code);
  w.Field("name", p.name);
  w.Field("category", CategoryName(p.category));
  w.Key("owner");
  c.Party(w, p.owner);
  w.Key("temp_min_c");
  p.has_min ? w.Double(p.min_c) : w.Null();
  w.Key("temp_max_c");
  p.has_max ? w.Double(p.max_c) : w.Null();
  w.Key("shelf_life_days");
  p.shelf_life_days ? w.Uint(p.shelf_life_days) : w.Null();
  w.Field("requires_inspection", p.requires_inspection);
  w.EndObject();
}

void TransformOf(JsonWriter& w, TraceContext& c, const std::string& tx_hex) {
  TransformRec t;
  if (tx_hex.empty() || !LoadRec(c.state(), keys::Transform(tx_hex), &t)) return w.Null();
  auto bounded = [&](const std::vector<std::string>& v) {
    w.BeginArray();
    for (size_t i = 0; i < v.size() && i < kMaxTraceList; ++i) w.String(v[i]);
    w.EndArray();
  };
  w.BeginObject();
  w.Field("tx_id", tx_hex);
  w.Key("inputs");
  bounded(t.inputs);
  w.Field("inputs_total", t.inputs.size());
  w.Key("outputs");
  bounded(t.outputs);
  w.Field("outputs_total", t.outputs.size());
  w.Field("output_product", t.output_product);
  w.Field("output_lot", t.output_lot);
  w.EndObject();
}

// The recall `id` (null if none); with a code, whether that item still owes
// a response.
void RecallOf(JsonWriter& w, TraceContext& c, const std::string& id, const std::string& code) {
  RecallRec r;
  if (id.empty() || !LoadRec(c.state(), keys::Recall(id), &r)) return w.Null();
  w.BeginObject();
  w.Field("id", r.id);
  w.Field("status", r.open ? "open" : "closed");
  w.Field("level", r.level);
  w.Field("reason", r.reason);
  w.Field("product_code", r.product_code);
  w.Key("lots");
  w.BeginArray();
  for (const auto& l : r.lots) w.String(l);
  w.EndArray();
  w.Field("issuer", r.issuer);
  w.Field("issued_height", r.issued_height);
  w.Field("affected", r.affected);
  w.Field("outstanding", r.outstanding);
  w.Key("closed_height");
  r.open ? w.Null() : w.Uint(r.closed_height);
  w.Key("close_reason");
  w.StringOrNull(r.close_reason);
  if (!code.empty()) {
    auto owed = c.state().Get(keys::Obligation(r.id, code));
    w.Key("this_item");
    w.BeginObject();
    w.Field("response_owed", owed.has_value());
    w.Key("owed_by");
    owed ? c.Party(w, *owed) : w.Null();
    w.EndObject();
  }
  w.EndObject();
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

void Warning(JsonWriter& w, const char* status, const std::string& en, const std::string& zh) {
  w.Key("warning");
  w.BeginObject();
  w.Field("status", status);
  w.Field("message", en);
  w.Field("message_zh", zh);
  w.EndObject();
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

// Writes the array of events from `from` on, each with its proof and the
// chain head after it; *start_head is the head before event `from`. `chain`
// names the chain (its kind, code and lot).
Status ChainEvents(JsonWriter& w, TraceContext& c, const std::vector<EventRec>& evs, uint64_t from,
                   ChainLink chain, const Range* range, std::string* start_head) {
  std::string head = ZeroHead();
  start_head->clear();
  w.BeginArray();
  for (size_t i = 0; i < evs.size(); ++i) {
    if (i == from) *start_head = head;
    head = NextHead(c.alg(), head, evs[i].tx_id);
    if (i < from) continue;
    chain.seq = i;
    chain.head = head;
    Status s = EventOf(w, c, evs[i], chain, range);
    if (!s.ok()) return s;
  }
  w.EndArray();
  if (start_head->empty()) *start_head = head;
  return Status::OK();
}

constexpr char kCodeChainRule[] =
    "head = H(prev_head || tx_id) over the events in order, from 32 zero bytes";
constexpr char kLotChainRule[] =
    "head = H(prev_head || tx_id) over the lot's events (lot documents, lot inspections, "
    "recalls naming the lot) in order, from 32 zero bytes";

// Which events of a chain an answer shows: ?{name}_from and ?{name}_limit.
struct Page {
  uint64_t from = 0, limit = 0;
};

// Reads the page parameters `name`_from / `name`_limit ("events" or
// "lot_events") for a chain of `count` events; `of_what` names the chain in
// messages ("this code", "this code's lot", "this lot").
Result<Page> PageOf(const HttpRequest& req, const std::string& name, uint64_t count,
                    const char* of_what) {
  Page p;
  auto from = QueryNumber(req, (name + "_from").c_str(), 0, UINT32_MAX);
  if (!from.ok()) return from.status();
  auto limit = QueryNumber(req, (name + "_limit").c_str(), kDefaultTraceEvents, kMaxTraceEvents);
  if (!limit.ok()) return limit.status();
  if (*limit == 0) return BadPaging(name + "_limit must be 1.." + std::to_string(kMaxTraceEvents));
  if (*from > count) {
    return BadPaging(name + "_from " + std::to_string(*from) + " is past the " +
                     std::to_string(count) + " events of " + of_what);
  }
  p.from = *from;
  p.limit = *limit;
  return p;
}

// One hash chain (a code's or a lot's) as an answer shows it: a page of its
// events and the member that says how far the page covers the chain.
struct ChainPage {
  const char* events_member;  // "events" or "lot_events" (also the page parameters' name)
  const char* chain_member;   // "chain" or "lot_chain"
  const char* rule;
  std::string prefix;       // state key prefix of the chain's event list
  const std::string* head;  // empty before the first event
  uint64_t event_count;
  Page page;
  const Range* range;                 // the product's temperatures, for readings (null: none)
  std::string address;                // the answer's own address, for the next page's
  const LotRec* lot;                  // a lot chain's lot, else null
  const std::string* code = nullptr;  // a code's chain: the code
};

// Writes the page's events, each with its proof, and the chain member; *evs
// gets the event records read (from the first: the chain head before the
// page is recomputed from them).
Status WriteChainPage(JsonWriter& w, TraceContext& c, const ChainPage& k,
                      std::vector<EventRec>* evs) {
  const Page& p = k.page;
  TL_RETURN_IF_ERROR(
      ReadEvents(c.state(), k.prefix, std::min<uint64_t>(k.event_count, p.from + p.limit), evs));
  std::string start_head;
  w.Key(k.events_member);
  ChainLink chain;
  if (k.lot) {
    chain.kind = ChainKind::kLot;
    chain.code = k.lot->product_code;
    chain.lot = k.lot->lot;
  } else {
    chain.kind = ChainKind::kItem;
    chain.code = *k.code;
  }
  TL_RETURN_IF_ERROR(ChainEvents(w, c, *evs, p.from, std::move(chain), k.range, &start_head));
  const uint64_t returned = evs->size() > p.from ? evs->size() - p.from : 0;
  const bool complete = p.from == 0 && returned == k.event_count;
  w.Key(k.chain_member);
  w.BeginObject();
  w.Field("hash_alg", HashAlgName(c.alg()));
  w.Field("rule", k.rule);
  if (k.lot) {
    w.Field("product_code", k.lot->product_code);
    w.Field("lot", k.lot->lot);
  }
  w.HexField("head", k.head->empty() ? ZeroHead() : *k.head);
  w.Field("event_count", k.event_count);
  w.Field("events_from", p.from);
  w.Field("events_returned", returned);
  w.HexField("start_head", start_head);
  w.Field("complete", complete);
  if (!complete && p.from + returned < k.event_count) {
    const std::string name = k.events_member;
    w.Field("next", k.address + "?" + name + "_from=" + std::to_string(p.from + returned) + "&" +
                        name + "_limit=" + std::to_string(p.limit));
  }
  w.EndObject();
  return Status::OK();
}

// The heights of the blocks that hold evs[from...].
void AddHeights(const std::vector<EventRec>& evs, uint64_t from, std::set<uint64_t>* heights) {
  for (size_t i = from; i < evs.size(); ++i) heights->insert(evs[i].height);
}

// The "proof" member: the chain, and the blocks `heights` with their
// attestations.
Status ProofOf(JsonWriter& w, TraceContext& c, const std::set<uint64_t>& heights) {
  w.Key("proof");
  w.BeginObject();
  w.Field("hash_alg", HashAlgName(c.alg()));
  w.Field("chain_id", c.genesis().chain_id);
  w.HexField("genesis_hash", c.genesis().hash);
  w.Field("header_encoding",
          "block_hash = H(deterministic protobuf encoding of traceledger.pb.BlockHeader, "
          "proto/ledger.proto; see docs/api.md)");
  w.Field("attestation_digest", "H(\"traceledger-attestation\" || u64be(height) || block_hash)");
  w.Key("blocks");
  w.BeginArray();
  for (uint64_t height : heights) TL_RETURN_IF_ERROR(c.WriteBlock(w, height));
  w.EndArray();
  w.EndObject();
  return Status::OK();
}

// A path segment with everything but RFC 3986's unreserved characters
// percent-encoded (a lot may hold '/', '%', ...).
std::string PathSegment(std::string_view v) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : v) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out += {'%', kHex[ch >> 4], kHex[ch & 15]};
    }
  }
  return out;
}

// The most lot events NewestLotRecall reads (newest first): a lot's chain
// holds its documents, inspections and recalls, a handful in practice.
constexpr uint32_t kMaxLotEventsRead = 256;

// Where a transaction sits on the chain: (height, index in its block).
using ChainPlace = std::pair<uint64_t, uint32_t>;

// The newest recall naming `lot` as a whole and issued after `after` (a
// recall.issue event in the lot's chain), "" if none among its newest
// kMaxLotEventsRead events.
Result<std::string> NewestLotRecall(TraceContext& c, const LotRec& lot, ChainPlace after) {
  for (uint32_t n = 0; n < lot.event_count && n < kMaxLotEventsRead; ++n) {
    EventRec e;
    const uint32_t seq = lot.event_count - 1 - n;
    if (!LoadRec(c.state(), keys::LotEvent(lot.product_code, lot.lot, seq), &e)) {
      return Status::Corruption("lot " + lot.lot + " has no event " + std::to_string(seq));
    }
    if (ChainPlace(e.height, e.index) <= after) break;  // older events are older still
    if (e.type != "recall.issue") continue;
    auto rec = c.Tx(e.height, e.index);
    if (!rec.ok()) return rec.status();
    const PayloadView& p = c.Payload(e.height, e.index, (*rec)->tx().payload());
    std::string id = BodyString(p.body_json, "recall_id");
    if (!id.empty()) return id;
  }
  return std::string();
}

// The most items RecallReachingUse looks at.
constexpr size_t kMaxRecallWalk = 64;

// A recall issued after `item` left circulation (`used`: where its last
// event, the sale, sits) that reached it through its lot or, transitively,
// through the lots of what it was made from (a recall of a lot of lettuce
// reaches the salad made of it, as the contract's recall.issue does), "" if
// none: its own lot's newest first, then its inputs' lots, breadth first. A
// recall issued before the sale is not one: it froze the item, which could
// be sold only once that recall released it.
Result<std::string> RecallReachingUse(TraceContext& c, const ItemRec& item, ChainPlace used) {
  std::vector<ItemRec> todo{item};
  std::set<std::string> lots_seen;
  for (size_t i = 0; i < todo.size(); ++i) {
    const ItemRec& it = todo[i];
    const std::string lot_key = keys::Lot(it.product_code, it.lot);
    LotRec lot;
    if (!it.product_code.empty() && lots_seen.insert(lot_key).second &&
        LoadRec(c.state(), lot_key, &lot) && lot.event_count > 0) {
      auto id = NewestLotRecall(c, lot, used);
      if (!id.ok() || !id->empty()) return id;
    }
    TransformRec t;
    if (it.made_by.empty() || !LoadRec(c.state(), keys::Transform(it.made_by), &t)) continue;
    for (const auto& in : t.inputs) {
      ItemRec x;
      if (todo.size() >= kMaxRecallWalk) break;
      if (LoadRec(c.state(), keys::Item(in), &x)) todo.push_back(std::move(x));
    }
  }
  return std::string();
}

// The warning of an item that reached a consumer (sold, administered, used)
// before a recall of its lot: the recall froze nothing (there was nothing left
// to return), but whoever holds the item must hear of it.
void WarnRecalledAfterUse(JsonWriter& w, TraceContext& c, const ItemRec& item,
                          const std::string& recall_id) {
  RecallRec r;
  bool has = LoadRec(c.state(), keys::Recall(recall_id), &r);
  std::string why_en = has ? " (level " + std::to_string(r.level) + "): " + r.reason : "";
  std::string why_zh = has ? "，原因：" + r.reason : "";
  // Its own lot, or a lot of what it was made from.
  bool own_lot = has && r.product_code == item.product_code &&
                 std::find(r.lots.begin(), r.lots.end(), item.lot) != r.lots.end();
  std::string lots;
  for (const auto& l : r.lots) lots += (lots.empty() ? "" : ", ") + l;
  const bool dose = item.terminal == Terminal::kAdministered;
  const std::string what_en =
      own_lot ? std::string(dose ? "this dose's" : "this item's") + " lot " + item.lot
      : has   ? "a lot it was made from (" + lots + " of product " + r.product_code + ")"
              : "its lot or a lot it was made from";
  const std::string what_zh =
      own_lot ? std::string(dose ? "本剂次" : "本品") + "所属批次 " + item.lot
      : has ? "本品所用原料的批次（产品 " + r.product_code + "，批次 " + lots + "）"
            : "本品所属或所用原料的批次";
  const char* head_en = own_lot ? "RECALLED LOT - " : "RECALLED INGREDIENT - ";
  const char* head_zh = own_lot ? "批次已召回——" : "原料已召回——";
  if (dose) {
    Warning(w, "recalled",
            head_en + what_en + " was recalled after it was administered: recall " + recall_id +
                why_en + ". Contact the vaccination site or your doctor.",
            head_zh + what_zh + "在接种后被召回，召回编号 " + recall_id + why_zh +
                "。请联系接种单位或医生。");
    return;
  }
  if (item.terminal == Terminal::kConsumed) {  // used up, e.g. in a kitchen: nothing to return
    Warning(w, "recalled",
            head_en + what_en + " is under recall " + recall_id + why_en +
                ". It was used before the recall: do not eat or use anything made with it; "
                "if you feel unwell, see a doctor.",
            head_zh + what_zh + "已被召回，召回编号 " + recall_id + why_zh +
                "。本品在召回前已被使用：请勿食用或使用用其制作的产品；如有不适请就医。");
    return;
  }
  Warning(w, "recalled",
          head_en + what_en + " is under recall " + recall_id + why_en +
              ". It was sold before the recall: do not use it; return it to where you got it.",
          head_zh + what_zh + "已被召回，召回编号 " + recall_id + why_zh +
              "。本品在召回前已售出：请勿使用，请退回购买处。");
}

// A case or pallet has no product of its own: what it holds — its first
// child now, or the first it was packed with (its aggregate event), through
// nested cases — gives its category and temperature range, left as they are
// when nothing says. An error only when a record it needs cannot be read.
Status ContentsOf(TraceContext& c, const ItemRec& unit, Category* category, Range* range) {
  std::string code = unit.code;
  for (int depth = 0; depth < 4 && !code.empty(); ++depth) {
    const std::string prefix = keys::ChildPrefix(code);
    std::string child;
    c.state().Scan(prefix, [&](std::string_view k, std::string_view) {
      child = std::string(k.substr(prefix.size()));
      return false;
    });
    EventRec first;
    if (child.empty() && LoadRec(c.state(), keys::Event(code, 0), &first) &&
        first.type == "trace.aggregate") {
      auto rec = c.Tx(first.height, first.index);
      if (!rec.ok()) return rec.status();
      child = BodyFirstOf(c.Payload(first.height, first.index, (*rec)->tx().payload()).body_json,
                          "children");
    }
    ItemRec it;
    if (child.empty() || !LoadRec(c.state(), keys::Item(child), &it)) return Status::OK();
    if (!it.product_code.empty()) {
      ProductRec p;
      if (!LoadRec(c.state(), keys::Product(it.product_code), &p)) return Status::OK();
      *category = p.category;
      *range = Range{p.has_min, p.has_max, p.min_c, p.max_c};
      return Status::OK();
    }
    code = it.code;
  }
  return Status::OK();
}

// The answer for one code.
HttpResponse TraceCode(TraceContext& c, const TraceTarget& t, const HttpRequest& req) {
  ItemRec item;
  auto raw = c.state().Get(keys::Item(t.code));
  if (!raw) return NotFoundCode(c, t);
  if (!Decode(*raw, &item)) return JsonError(500, "CORRUPTION", "item record of " + t.code);

  auto page = PageOf(req, "events", item.event_count, "this code");
  if (!page.ok()) return StatusError(page.status());

  LotRec lot;
  bool has_lot = !item.product_code.empty() &&
                 LoadRec(c.state(), keys::Lot(item.product_code, item.lot), &lot);
  auto lot_page = PageOf(req, "lot_events", has_lot ? lot.event_count : 0, "this code's lot");
  if (!lot_page.ok()) return StatusError(lot_page.status());
  ItemStatus status = item.Status();
  int64_t now = c.LatestTime();
  bool expired = item.expiry_ms != 0 && now >= item.expiry_ms + 86400000LL;
  if (item.expiry_ms != 0 && !expired) c.ChangesAtBlockTime(item.expiry_ms + 86400000LL);
  bool in_circulation = item.terminal == Terminal::kNone;
  // The item's recall: the one that froze it, or for an item that reached a
  // consumer before a recall of its lot (or of what it was made from), that
  // recall (the contract counts it in reached_consumers but records nothing
  // on the item).
  std::string recall_id = item.recall_id;
  bool recalled_after_use = false;
  if (recall_id.empty() &&
      (item.terminal == Terminal::kSold || item.terminal == Terminal::kAdministered ||
       item.terminal == Terminal::kConsumed)) {
    EventRec last;  // the sale (or administration, or use): the item's last event
    if (item.event_count == 0 ||
        !LoadRec(c.state(), keys::Event(item.code, item.event_count - 1), &last)) {
      return JsonError(500, "CORRUPTION", "the last event of " + item.code + " is missing");
    }
    auto id = RecallReachingUse(c, item, ChainPlace(last.height, last.index));
    if (!id.ok()) return StatusError(id.status());
    recall_id = *id;
    recalled_after_use = !recall_id.empty();
  }

  std::string out;
  out.reserve(kAnswerReserve);
  JsonWriter w(&out);
  w.BeginObject();
  // The plain word first.
  if (status == ItemStatus::kRecalled) {
    RecallRec r;
    bool has = LoadRec(c.state(), keys::Recall(item.recall_id), &r);
    std::string why = has ? " (level " + std::to_string(r.level) + "): " + r.reason : "";
    if (item.terminal == Terminal::kReturned) {  // answered the recall: already sent back
      Warning(w, "recalled",
              "RECALLED - this item was returned under recall " + item.recall_id + why +
                  ". Do not use it.",
              "已召回——本品已按召回 " + item.recall_id + " 退回" +
                  (has ? "（原因：" + r.reason + "）" : "") + "，请勿使用。");
    } else {
      Warning(w, "recalled",
              "RECALLED - do not use, sell or administer this item. It is under recall " +
                  item.recall_id + why + ". Return it to where you got it.",
              "已召回——请勿使用、销售或接种。召回编号 " + item.recall_id +
                  (has ? "，原因：" + r.reason : "") + "。请退回购买处。");
    }
  } else if (recalled_after_use) {
    WarnRecalledAfterUse(w, c, item, recall_id);
  } else if (status == ItemStatus::kQuarantined) {
    std::string reason, reason_zh;
    c.state().Scan(keys::CodeAlertPrefix(item.code), [&](std::string_view k, std::string_view v) {
      AlertRec a;
      if (v == "1" &&
          LoadRec(c.state(), keys::Alert(std::string(k.substr(4 + item.code.size()))), &a)) {
        reason = a.message;
        reason_zh = AlertMessageZh(a.kind, a.message);
      }
      return reason.empty();
    });
    if (reason.empty()) {
      reason = "held by a regulator";
      reason_zh = "监管部门隔离";
    }
    Warning(w, "quarantined",
            "QUARANTINED - do not use, sell or administer this item until a "
            "regulator releases it. Reason: " +
                reason,
            "已隔离封存——在监管部门解除前请勿使用、销售或接种。原因：" +
                (reason_zh.empty() ? reason : reason_zh));
  } else if (expired && in_circulation) {
    Warning(w, "expired", "EXPIRED on " + Date(item.expiry_ms) + " - do not use.",
            "已过期（" + Date(item.expiry_ms) + "）——请勿使用。");
  }
  w.Field("code", item.code);
  w.Field("status", ItemStatusName(status));
  w.Field("kind", item.product_code.empty() ? "logistic_unit" : "item");
  Range range;
  w.Key("product");
  ProductOf(w, c, item.product_code, &range);
  Category category = item.category;
  if (item.product_code.empty()) {
    Status contents = ContentsOf(c, item, &category, &range);
    if (!contents.ok()) return StatusError(contents);
  }
  w.Field("category", CategoryName(category));
  w.Key("lot");
  w.StringOrNull(item.lot);
  w.Key("expiry");
  w.StringOrNull(Date(item.expiry_ms));
  w.Field("expired", expired);
  w.Key("terminal");
  w.StringOrNull(TerminalName(item.terminal));
  w.Key("inspection");
  InspectionValue(w, item.inspection);
  w.Key("custodian");
  c.Party(w, item.custodian);
  ShipmentRec shipment;
  bool has_shipment =
      !item.shipment_id.empty() && LoadRec(c.state(), keys::Shipment(item.shipment_id), &shipment);
  if (has_shipment) {
    const ShipmentRec& s = shipment;
    w.Key("shipment");
    w.BeginObject();
    w.Field("id", s.id);
    w.Key("from");
    c.Party(w, s.from);
    w.Key("to");
    c.Party(w, s.to);
    w.Key("carrier");
    c.Party(w, s.carrier);
    w.Field("vehicle", s.vehicle);
    w.Field("shipped_at", FormatRfc3339Millis(s.shipped_time_ms));
    w.Field("deadline", FormatRfc3339Millis(s.deadline_ms));
    w.Field("overdue", !s.overdue_alert.empty());
    w.EndObject();
  }

  // Origin: the commissioner and the commission event.
  w.Key("origin");
  w.BeginObject();
  w.Key("commissioner");
  c.Party(w, item.commissioner);
  w.Field("imported", item.imported);
  w.Key("origin_country");
  has_lot ? w.StringOrNull(lot.origin_country) : w.Null();
  EventRec first;
  if (LoadRec(c.state(), keys::Event(item.code, 0), &first)) {
    auto rec = c.Tx(first.height, first.index);
    // A record that cannot be read fails the answer (never an origin quietly
    // left out, and kept so in the answer cache).
    if (!rec.ok()) return StatusError(rec.status());
    const PayloadView& p = c.Payload(first.height, first.index, (*rec)->tx().payload());
    if (p.body_is_object) w.Field("location", p.location);
    w.Field("commissioned_at", p.time);
    w.Field("commissioned_height", first.height);
  }
  w.EndObject();

  // Alerts that held or concern the item.
  std::vector<std::string> alert_ids;
  c.state().Scan(keys::CodeAlertPrefix(item.code), [&](std::string_view k, std::string_view) {
    alert_ids.emplace_back(k.substr(4 + item.code.size()));
    return alert_ids.size() < kMaxTraceList;
  });
  if (has_shipment && !shipment.overdue_alert.empty()) alert_ids.push_back(shipment.overdue_alert);
  RecallRec rr;
  if (!recall_id.empty() && LoadRec(c.state(), keys::Recall(recall_id), &rr) &&
      !rr.alert_id.empty())
    alert_ids.push_back(rr.alert_id);
  w.Key("alerts");
  w.BeginArray();
  for (const auto& id : alert_ids) {
    AlertRec a;
    if (LoadRec(c.state(), keys::Alert(id), &a)) AlertOf(w, a);
  }
  w.EndArray();
  w.Key("recall");
  RecallOf(w, c, recall_id, item.code);

  // Lineage.
  w.Key("lineage");
  w.BeginObject();
  w.Key("parent");
  w.StringOrNull(item.parent);
  w.Key("children");
  w.BeginArray();
  size_t children = 0;
  c.state().Scan(keys::ChildPrefix(item.code), [&](std::string_view k, std::string_view) {
    w.String(k.substr(4 + item.code.size()));
    return ++children < kMaxTraceList;
  });
  w.EndArray();
  w.Field("children_total", item.child_count);
  w.Key("made_from");
  TransformOf(w, c, item.made_by);
  w.Key("transformed_into");
  TransformOf(w, c, item.transformed_into);
  w.EndObject();

  // Documents for the code and for its lot.
  w.Key("documents");
  w.BeginArray();
  size_t docs = 0;
  DocumentsUnder(w, c, keys::CodeDocPrefix(item.code), "code", &docs);
  if (!item.product_code.empty())
    DocumentsUnder(w, c, keys::LotDocPrefix(item.product_code, item.lot), "lot", &docs);
  w.EndArray();
  if (has_lot) {
    w.Key("lot_info");
    w.BeginObject();
    w.Field("lot", lot.lot);
    w.Field("count", lot.count);
    w.Key("inspection");
    InspectionValue(w, lot.inspection);
    w.Key("inspection_report");
    w.StringOrNull(lot.inspection_report);
    w.EndObject();
  }

  // Events, with the chain head after each.
  const std::string address = "/v1/trace/" + item.code;
  std::vector<EventRec> evs;
  Status st =
      WriteChainPage(w, c,
                     {"events", "chain", kCodeChainRule, keys::EventPrefix(item.code), &item.head,
                      item.event_count, *page, &range, address, nullptr, &item.code},
                     &evs);
  if (!st.ok()) return StatusError(st);

  // The lot's own events (lot documents, lot inspections, recalls naming the
  // lot), with the same proofs, and the lot chain.
  std::vector<EventRec> lot_evs;
  if (has_lot) {
    st = WriteChainPage(
        w, c,
        {"lot_events", "lot_chain", kLotChainRule, keys::LotEventPrefix(lot.product_code, lot.lot),
         &lot.head, lot.event_count, *lot_page, nullptr, address, &lot},
        &lot_evs);
    if (!st.ok()) return StatusError(st);
  } else {
    w.Key("lot_events");
    w.BeginArray();
    w.EndArray();
    w.NullField("lot_chain");
  }

  // The blocks the events sit in, with their attestations.
  std::set<uint64_t> used;
  AddHeights(evs, page->from, &used);
  AddHeights(lot_evs, lot_page->from, &used);
  st = ProofOf(w, c, used);
  if (!st.ok()) return StatusError(st);
  w.EndObject();
  return TextAnswer(200, std::move(out));
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
  auto lot_page = PageOf(req, "lot_events", lot.event_count, "this lot");
  if (!lot_page.ok()) return StatusError(lot_page.status());
  struct CodeStatus {
    std::string code;
    const char* status;
  };
  std::vector<CodeStatus> codes;
  std::vector<std::string> recalls;
  uint64_t i = 0;
  std::string prefix = keys::LotCodePrefix(t.gtin, t.lot);
  c.state().Scan(prefix, [&](std::string_view k, std::string_view) {
    if (i++ < *from) return true;
    std::string code(k.substr(prefix.size()));
    ItemRec it;
    if (LoadRec(c.state(), keys::Item(code), &it)) {
      codes.push_back({code, ItemStatusName(it.Status())});
      if (!it.recall_id.empty() &&
          std::find(recalls.begin(), recalls.end(), it.recall_id) == recalls.end())
        recalls.push_back(it.recall_id);
    }
    return codes.size() < *limit;
  });
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  if (!recalls.empty()) {
    Warning(
        w, "recalled",
        "RECALLED - items of this lot are under recall " + recalls.front() + "; do not use them.",
        "已召回——该批次产品处于召回中（" + recalls.front() + "），请勿使用。");
  }
  w.Field("kind", "lot");
  w.Key("product");
  ProductOf(w, c, t.gtin, nullptr);
  w.Field("lot", lot.lot);
  w.Key("expiry");
  w.StringOrNull(Date(lot.expiry_ms));
  w.Key("commissioner");
  c.Party(w, lot.commissioner);
  w.Field("imported", lot.imported);
  w.Key("origin_country");
  w.StringOrNull(lot.origin_country);
  w.Key("inspection");
  InspectionValue(w, lot.inspection);
  w.Key("documents");
  w.BeginArray();
  size_t docs = 0;
  DocumentsUnder(w, c, keys::LotDocPrefix(t.gtin, t.lot), "lot", &docs);
  w.EndArray();
  w.Key("recalls");
  w.BeginArray();
  for (const auto& id : recalls) RecallOf(w, c, id, "");
  w.EndArray();
  w.Field("codes_total", lot.count);
  w.Field("codes_from", *from);
  w.Key("codes");
  w.BeginArray();
  for (const auto& cs : codes) {
    w.BeginObject();
    w.Field("code", cs.code);
    w.Field("status", cs.status);
    w.EndObject();
  }
  w.EndArray();
  // The lot's own events (lot documents, lot inspections, recalls naming the
  // lot) with their proofs, as in a code's answer.
  std::vector<EventRec> lot_evs;
  Status st = WriteChainPage(
      w, c,
      {"lot_events", "lot_chain", kLotChainRule, keys::LotEventPrefix(lot.product_code, lot.lot),
       &lot.head, lot.event_count, *lot_page, nullptr,
       "/01/" + PathSegment(t.gtin) + "/10/" + PathSegment(t.lot), &lot},
      &lot_evs);
  if (!st.ok()) return StatusError(st);
  std::set<uint64_t> used;
  AddHeights(lot_evs, lot_page->from, &used);
  st = ProofOf(w, c, used);
  if (!st.ok()) return StatusError(st);
  w.Field("note",
          "each code's own events, with their proofs: GET /v1/trace/{code} of one of the codes");
  w.EndObject();
  return TextAnswer(200, std::move(out));
}

// BAD_QUERY for a parameter a trace answer does not take. A Digital Link may
// carry GS1 data attributes in its query (…/21/D0001?17=270630) and a
// linkType: those are ignored, not refused, since a scanned QR code may hold them.
Status CheckTraceQuery(const HttpRequest& req, const TraceTarget& t) {
  const std::map<std::string, std::string>* query = &req.query;
  std::map<std::string, std::string> kept;
  if (req.path.rfind("/v1/", 0) != 0 && !req.query.empty()) {
    for (const auto& [name, value] : req.query) {
      bool ai = !name.empty() && name.size() <= 4 &&
                name.find_first_not_of("0123456789") == std::string::npos;
      if (!ai && name != "linkType") kept.emplace(name, value);
    }
    query = &kept;
  }
  if (t.kind == TraceTarget::kLot) {
    return CheckQueryNames(*query,
                           {"codes_from", "codes_limit", "lot_events_from", "lot_events_limit"},
                           "a lot's trace");
  }
  return CheckQueryNames(*query,
                         {"events_from", "events_limit", "lot_events_from", "lot_events_limit"},
                         "a code's trace");
}

}  // namespace

bool IsTracePath(const std::string& p) {
  return p.rfind("/v1/trace/", 0) == 0 || p.rfind("/01/", 0) == 0 || p.rfind("/00/", 0) == 0 ||
         p == "/v1/trace";
}

std::optional<std::string> TracePageFor(const HttpRequest& req) {
  const std::string& p = req.path;
  if ((req.method != "GET" && req.method != "HEAD") ||
      (p.rfind("/01/", 0) != 0 && p.rfind("/00/", 0) != 0)) {
    return std::nullopt;
  }
  auto accept = req.headers.find("accept");
  if (accept == req.headers.end() || accept->second.find("text/html") == std::string::npos) {
    return std::nullopt;
  }
  auto target = ParseDigitalLink(p);
  if (!target.ok() || target->kind != TraceTarget::kCode) return std::nullopt;
  return "/t/" + PathSegment(target->code);
}

bool HandleTraceRoute(node::Node* node, TraceCaches* caches, const HttpRequest& req,
                      HttpResponse* out) {
  TraceAnswerCache* cache = caches ? &caches->answers : nullptr;
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
  if (Status q = CheckTraceQuery(req, *target); !q.ok()) {
    *out = JsonError(400, q.code(), q.message());
    return true;
  }
  std::string key;
  if (cache) {
    key = TraceAnswerCache::KeyOf(req);
    // A second look (another request may have filled it since the API's first
    // look at the door, api/service.cc, which counted the miss); it also
    // brings the cache up to date, so the answer built next is likely kept.
    if (cache->Get(key, out, /*count_miss=*/false)) return true;
  }
  // The read point is read before any read of the answer, so the answer
  // reflects at least every write before it (trace_cache.h).
  const node::ReadPoint start = node->read_point();
  TraceContext c(node, caches, start);
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
  if (cache && out->status == 200) cache->Put(start, key, *out, c.TakeDeps());
  return true;
}

}  // namespace traceledger::api
