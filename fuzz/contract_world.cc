#include "contract_world.h"

#include <nlohmann/json.hpp>

#include "contracts/state.h"
#include "contracts/workload.h"
#include "ledger.pb.h"
#include "ledger/hex.h"
#include "ledger/keys.h"
#include "ledger/json_parse.h"
#include "ledger/time_util.h"
#include "ledger/utf8.h"

namespace traceledger::fuzz {

const char* const kTxTypes[kTypeCount] = {
    "product.register",     "recall.close",           "recall.issue",
    "recall.respond",       "registry.add_regulator", "registry.enroll",
    "registry.reinstate",   "registry.rotate_key",    "registry.suspend",
    "regulator.quarantine", "regulator.release",      "trace.aggregate",
    "trace.commission",     "trace.destroy",          "trace.disaggregate",
    "trace.dispense",       "trace.document",         "trace.inspect",
    "trace.reading",        "trace.receive",          "trace.ship",
    "trace.transform",      "trace.teleport"};

namespace {

std::string FakeKey(const std::string& name) {
  // A real public key (the genesis parser checks that keys are points on the
  // curve), derived from a private key that is the name's hash; the contracts
  // never see a signature, so the private key is not kept.
  auto pair = KeyPairFromPrivate(Hash(HashAlg::kSha256, name));
  if (!pair.ok()) std::abort();  // a hash is a valid key but with negligible odds
  return pair->public_key;
}

// The contracts tests' genesis (tests/contracts/world.h).
std::string GenesisText() {
  return R"({"chain_id": "zj-test", "genesis_time": "2026-11-30T00:00:00Z",
    "validators": [{"id": "v1", "public_key": ")" +
         ToHex(FakeKey("validator")) +
         R"(", "p2p": "127.0.0.1:7001", "http": "127.0.0.1:8001"}],
    "regulators": [{"name": "Zhejiang AMR", "public_key": ")" +
         ToHex(FakeKey("regulator")) + R"("}]})";
}

constexpr int kEnterprises = 12 + 12 + 16 + 2 + 2;  // WorkloadOptions defaults

}  // namespace

const ContractWorld& ContractWorld::Get() {
  static const ContractWorld* world = [] {
    auto* w = new ContractWorld;
    auto g = ParseGenesis(GenesisText());
    FUZZ_CHECK(g.ok(), "the fixed genesis does not parse: " + g.status().ToString());
    w->genesis = *g;
    w->engine = std::make_unique<Engine>(w->genesis);
    Workload load(w->genesis, FakeKey("regulator"), WorkloadOptions{20261130});
    std::vector<std::vector<Envelope>> blocks = {load.Setup()};
    int64_t t = w->genesis.genesis_time_ms + 2000;
    for (int i = 0; i < 6; ++i) blocks.push_back(load.Next(200, t += 500));
    w->state_hash = w->genesis.hash;
    w->time_ms = w->genesis.genesis_time_ms + 1000;
    for (const auto& txs : blocks) {
      BlockContext ctx{++w->height, w->time_ms, "v1", w->state_hash};
      BlockResult r = w->engine->ExecuteBlock(w->state, ctx, txs);
      FUZZ_CHECK(r.status.ok(), "the fixed workload does not execute");
      w->state.Apply(r.writes);
      w->state_hash = r.state_hash;
      w->time_ms += 500;
    }
    w->signers.push_back(FakeKey("regulator"));
    for (int i = 0; i < kEnterprises; ++i) w->signers.push_back(Workload::EnterpriseKey(i));
    w->signers.push_back(FakeKey("nobody"));
    return w;
  }();
  return *world;
}

BlockContext ContractWorld::NextBlock(int64_t advance_ms) const {
  return BlockContext{height + 1, time_ms + advance_ms, "v1", state_hash};
}

std::optional<Envelope> ContractWorld::NextTx(Input* in, const BlockContext& ctx, size_t seq,
                                              const std::string& prev_nonce) const {
  if (in->empty()) return std::nullopt;
  uint8_t signer = in->Byte(), type = in->Byte(), flags = in->Byte();
  std::string_view body_text = in->Until('\0');
  nlohmann::json body;
  if (!ParseJson(body_text, JsonLimits{kMaxPayloadBytes, kMaxJsonDepth - 1}, "body", "BODY", &body)
           .ok() ||
      !body.is_object())
    return std::nullopt;
  Envelope e;
  e.signer = signers[signer % signers.size()];
  e.chain_id = flags & 0x10 ? "zj-other" : genesis.chain_id;
  e.type = kTxTypes[type % kTypeCount];
  switch (flags & 3) {
    case 1:
      e.nonce = "w1";  // the workload's first nonce (every signer's first transaction)
      break;
    case 2:
      e.nonce = prev_nonce.empty() ? "f0" : prev_nonce;
      break;
    default:
      e.nonce = "f" + std::to_string(seq);
  }
  switch ((flags >> 2) & 3) {
    case 0:
      e.time_ms = ctx.time_ms - 1000;
      break;
    case 1:
      e.time_ms = ctx.time_ms + 600 * 1000;
      break;
    case 2:
      e.time_ms = *ParseRfc3339Millis("2001-01-01T00:00:00Z");
      break;
    default:
      e.time_ms = ctx.time_ms;
  }
  e.time = FormatRfc3339Millis(e.time_ms);
  e.body = std::move(body);
  e.payload = nlohmann::json{
      {"chain_id", e.chain_id},
      {"type", e.type},
      {"nonce", e.nonce},
      {"time", e.time},
      {"body",
       e.body}}.dump();
  e.tx_id = TxId(genesis.hash_alg, e.signer, e.payload);
  return e;
}

OverlayState::OverlayState(const StateReader& base, const std::vector<WriteOp>& writes)
    : base_(base) {
  for (const auto& w : writes) top_.insert_or_assign(w.key, w.value);
}

std::optional<std::string> OverlayState::Get(std::string_view key) const {
  auto it = top_.find(key);
  if (it != top_.end()) return it->second;
  return base_.Get(key);
}

void OverlayState::Scan(std::string_view prefix, const ScanFn& fn) const {
  // Merge the base's keys with the overlay's, in order; the overlay wins.
  auto it = top_.lower_bound(prefix);
  auto in_prefix = [&](const std::string& k) { return k.compare(0, prefix.size(), prefix) == 0; };
  bool go = true;
  base_.Scan(prefix, [&](std::string_view key, std::string_view value) {
    while (it != top_.end() && in_prefix(it->first) && it->first < key) {
      if (it->second && !fn(it->first, *it->second)) return go = false;
      ++it;
    }
    if (it != top_.end() && it->first == key) {
      const auto& v = it->second;
      ++it;
      if (v && !fn(key, *v)) return go = false;
      return true;
    }
    if (!fn(key, value)) return go = false;
    return true;
  });
  for (; go && it != top_.end() && in_prefix(it->first); ++it)
    if (it->second && !fn(it->first, *it->second)) return;
}

namespace {

void Text(const std::string& s, const std::string& where) {
  FUZZ_CHECK(IsValidUtf8(s), where + " holds text that is not valid UTF-8: " + SanitizeUtf8(s));
}

template <typename R>
R MustDecode(std::string_view value, const std::string& key) {
  R r;
  FUZZ_CHECK(Decode(value, &r), "the record under " + SanitizeUtf8(key) + " does not decode");
  return r;
}

void CheckAlert(const AlertRec& a, const std::string& where) {
  Text(a.id, where + ".id");
  Text(a.kind, where + ".kind");
  Text(a.subject, where + ".subject");
  Text(a.message, where + ".message");
}

// Every record a block writes decodes, and its text is valid UTF-8 (it is
// shown in JSON answers and kept in consensus state).
void CheckRecord(const std::string& key, const std::string& value) {
  Text(key, "a state key");
  std::string prefix = key.substr(0, key.find('|'));
  const std::string w = "record " + key;
  if (prefix == "e") {
    auto r = MustDecode<EnterpriseRec>(value, key);
    for (const auto* s : {&r.uscc, &r.name, &r.region, &r.reason}) Text(*s, w);
  } else if (prefix == "p") {
    auto r = MustDecode<ProductRec>(value, key);
    for (const auto* s : {&r.code, &r.name, &r.owner}) Text(*s, w);
  } else if (prefix == "l") {
    auto r = MustDecode<LotRec>(value, key);
    for (const auto* s :
         {&r.product_code, &r.lot, &r.commissioner, &r.origin_country, &r.inspection_report})
      Text(*s, w);
  } else if (prefix == "c") {
    auto r = MustDecode<ItemRec>(value, key);
    for (const auto* s : {&r.code, &r.product_code, &r.lot, &r.custodian, &r.commissioner,
                          &r.shipment_id, &r.parent, &r.recall_id, &r.transformed_into, &r.made_by})
      Text(*s, w);
  } else if (prefix == "s") {
    auto r = MustDecode<ShipmentRec>(value, key);
    for (const auto* s : {&r.id, &r.from, &r.to, &r.carrier, &r.vehicle, &r.overdue_alert})
      Text(*s, w);
    for (const auto& c : r.codes) Text(c, w);
  } else if (prefix == "r") {
    auto r = MustDecode<RecallRec>(value, key);
    for (const auto* s :
         {&r.id, &r.product_code, &r.reason, &r.issuer, &r.close_reason, &r.alert_id})
      Text(*s, w);
    for (const auto& c : r.lots) Text(c, w);
    for (const auto& c : r.codes) Text(c, w);
  } else if (prefix == "a") {
    CheckAlert(MustDecode<AlertRec>(value, key), w);
  } else if (prefix == "d" || prefix == "dc") {
    auto r = MustDecode<DocumentRec>(value, key);
    for (const auto* s : {&r.doc_type, &r.doc_id, &r.sha256, &r.issuer, &r.signer}) Text(*s, w);
  } else if (prefix == "tf") {
    auto r = MustDecode<TransformRec>(value, key);
    for (const auto& c : r.inputs) Text(c, w);
    for (const auto& c : r.outputs) Text(c, w);
    Text(r.output_product, w);
    Text(r.output_lot, w);
  } else if (prefix == "ce" || prefix == "le") {
    Text(MustDecode<EventRec>(value, key).type, w);
  } else if (prefix == "g" || prefix == "k" || prefix == "ea" || prefix == "ro" || prefix == "x" ||
             prefix == "rh" || prefix == "ca" || prefix == "m") {
    Text(value, w);  // a name, a USCC, a type, a decimal
  }
  // n| (a raw tx id), h| ag| so| ao| lc| ("" or small markers): bytes, not text.
}

bool Code(const std::string& c) {
  if (c.empty() || c.size() > 64) return false;
  for (char ch : c)
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  return true;
}

}  // namespace

void CheckBlockResult(const std::vector<Envelope>& txs, const BlockContext& ctx,
                      const BlockResult& a, const BlockResult& b) {
  FUZZ_CHECK(a.status.ok(), "a block on a healthy state failed: " + a.status.ToString());
  // Deterministic.
  FUZZ_CHECK(b.status.ok() && a.writes == b.writes, "two executions wrote differently");
  FUZZ_CHECK(a.receipts == b.receipts, "two executions gave different receipts");
  FUZZ_CHECK(a.state_hash == b.state_hash, "two executions gave different state hashes");
  FUZZ_CHECK(a.alerts.size() == b.alerts.size(), "two executions raised different alerts");
  for (size_t i = 0; i < a.alerts.size(); ++i)
    FUZZ_CHECK(Encode(a.alerts[i]) == Encode(b.alerts[i]), "two executions' alerts differ");
  FUZZ_CHECK(a.state_hash == ChainStateHash(HashAlg::kSha256, ctx.prev_state_hash, a.writes),
             "state_hash is not the chained hash of the writes");
  // Writes: sorted by key, each key once; every record decodes to valid text.
  for (size_t i = 0; i < a.writes.size(); ++i) {
    if (i > 0) FUZZ_CHECK(a.writes[i - 1].key < a.writes[i].key, "writes not sorted and unique");
    if (a.writes[i].value) CheckRecord(a.writes[i].key, *a.writes[i].value);
  }
  for (size_t i = 0; i < a.alerts.size(); ++i)
    CheckAlert(a.alerts[i], "alert " + std::to_string(i));
  // Receipts: one per transaction, in order, text a client and protobuf accept.
  FUZZ_CHECK(a.receipts.size() == txs.size(), "not one receipt per transaction");
  for (size_t i = 0; i < a.receipts.size(); ++i) {
    const Receipt& r = a.receipts[i];
    std::string where = "receipt " + std::to_string(i) + " (" + r.code + ")";
    FUZZ_CHECK(r.tx_id == txs[i].tx_id && r.index == i && r.height == ctx.height,
               where + " names another transaction");
    FUZZ_CHECK(Code(r.code), where + ": the code is not UPPER_SNAKE_CASE");
    FUZZ_CHECK(r.ok == (r.code == "OK"), where + ": ok and code disagree");
    if (r.ok) FUZZ_CHECK(r.message.empty(), where + ": an accepted receipt with a message");
    Text(r.message, where + ".message");
    pb::Receipt p;
    p.set_tx_id(r.tx_id);
    p.set_ok(r.ok);
    p.set_code(r.code);
    p.set_message(r.message);
    p.set_height(r.height);
    p.set_index(r.index);
    std::string bytes;
    FUZZ_CHECK(p.SerializeToString(&bytes), where + " does not encode");
    pb::Receipt back;
    FUZZ_CHECK(back.ParseFromString(bytes), where + " encodes to a protobuf that does not parse");
    FUZZ_CHECK(back.code() == r.code && back.message() == r.message && back.tx_id() == r.tx_id,
               where + " does not survive protobuf");
  }
}

}  // namespace traceledger::fuzz
