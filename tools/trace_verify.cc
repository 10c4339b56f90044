#include "tools/trace_verify.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/chain_link.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/json_parse.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/time_util.h"
#include "ledger/utf8.h"

namespace traceledger::cli {

using nlohmann::json;

namespace {

Status Fail(const char* code, std::string msg) { return Status::Error(code, std::move(msg)); }

// Typed member access that reports the JSON path instead of throwing.
class Doc {
 public:
  Status status;
  const json* Member(const json& obj, const char* name, const std::string& path) {
    if (!status.ok()) return nullptr;
    if (!obj.is_object() || !obj.contains(name)) {
      status = Fail("ANSWER_MALFORMED", path + "." + name + " is missing");
      return nullptr;
    }
    return &obj[name];
  }
  std::string Str(const json& obj, const char* name, const std::string& path) {
    const json* v = Member(obj, name, path);
    if (!v) return "";
    if (!v->is_string()) {
      status = Fail("ANSWER_MALFORMED", path + "." + name + " must be a string");
      return "";
    }
    return v->get<std::string>();
  }
  std::string Hex(const json& obj, const char* name, const std::string& path, size_t bytes) {
    std::string s = Str(obj, name, path);
    if (!status.ok()) return "";
    auto raw = FromHex(s);
    if (!raw || (bytes && raw->size() != bytes)) {
      status = Fail("ANSWER_MALFORMED", path + "." + name + " must be " +
                                            (bytes ? std::to_string(bytes * 2) + " " : "") +
                                            "lowercase hex characters");
      return "";
    }
    return *raw;
  }
  uint64_t U64(const json& obj, const char* name, const std::string& path) {
    const json* v = Member(obj, name, path);
    if (!v) return 0;
    if (!v->is_number_unsigned()) {
      status = Fail("ANSWER_MALFORMED", path + "." + name + " must be a non-negative integer");
      return 0;
    }
    return v->get<uint64_t>();
  }
  int64_t I64(const json& obj, const char* name, const std::string& path) {
    const json* v = Member(obj, name, path);
    if (!v) return 0;
    if (!v->is_number_integer()) {
      status = Fail("ANSWER_MALFORMED", path + "." + name + " must be an integer");
      return 0;
    }
    return v->get<int64_t>();
  }
  const json* Array(const json& obj, const char* name, const std::string& path) {
    const json* v = Member(obj, name, path);
    if (v && !v->is_array()) {
      status = Fail("ANSWER_MALFORMED", path + "." + name + " must be an array");
      return nullptr;
    }
    return v;
  }
  const json* Object(const json& obj, const char* name, const std::string& path) {
    const json* v = Member(obj, name, path);
    if (v && !v->is_object()) {
      status = Fail("ANSWER_MALFORMED", path + "." + name + " must be an object");
      return nullptr;
    }
    return v;
  }
  std::vector<std::string> HexList(const json& obj, const char* name, const std::string& path) {
    std::vector<std::string> out;
    const json* a = Array(obj, name, path);
    if (!a) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      const json& e = (*a)[i];
      auto raw = e.is_string() ? FromHex(e.get<std::string>()) : std::nullopt;
      if (!raw) {
        status = Fail("ANSWER_MALFORMED",
                      path + "." + name + "[" + std::to_string(i) + "] must be lowercase hex");
        return {};
      }
      out.push_back(*raw);
    }
    return out;
  }
};

std::string U64Be(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

struct Block {
  pb::BlockHeader header;
  std::string hash;
};

// The first 16 characters of a hex string for messages (cut on a character
// boundary: an answer's tx_id may be any text).
std::string Short(const std::string& hex) { return std::string(Utf8Prefix(hex, 16)) + "..."; }

// obj[name] if obj is an object and it is a string, else "" (never throws).
std::string StrOr(const json& obj, const char* name) {
  if (!obj.is_object()) return "";
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// Checks one header and its attestations.
Status CheckBlock(const Genesis& g, Doc& d, const json& bj, const std::string& path, Block* out,
                  TraceVerifyReport::BlockCheck* check) {
  pb::BlockHeader& h = out->header;
  h.set_chain_id(d.Str(bj, "chain_id", path));
  h.set_height(d.U64(bj, "height", path));
  h.set_prev_hash(d.Hex(bj, "prev_hash", path, 32));
  h.set_time(d.I64(bj, "time_ms", path));
  h.set_proposer(d.Str(bj, "proposer", path));
  h.set_raft_term(d.U64(bj, "raft_term", path));
  h.set_raft_index(d.U64(bj, "raft_index", path));
  h.set_tx_root(d.Hex(bj, "tx_root", path, 32));
  h.set_receipts_root(d.Hex(bj, "receipts_root", path, 32));
  h.set_state_hash(d.Hex(bj, "state_hash", path, 32));
  uint64_t tx_count = d.U64(bj, "tx_count", path);
  h.set_tx_count(static_cast<uint32_t>(tx_count));
  std::string stated_hash = d.Hex(bj, "block_hash", path, 32);
  std::string time_text = d.Str(bj, "time", path);
  const json* atts = d.Array(bj, "attestations", path);
  TL_RETURN_IF_ERROR(d.status);
  std::string where = "block " + std::to_string(h.height());
  if (tx_count > UINT32_MAX) return Fail("ANSWER_MALFORMED", path + ".tx_count is too large");
  if (h.chain_id() != g.chain_id)
    return Fail("HEADER_CHAIN_ID",
                where + " names chain \"" + h.chain_id() + "\", not \"" + g.chain_id + "\"");
  if (time_text != FormatRfc3339Millis(h.time()))
    return Fail("HEADER_TIME_MISMATCH",
                where + ": time \"" + time_text + "\" is not time_ms " + std::to_string(h.time()));
  out->hash = BlockHash(g.hash_alg, h);
  if (out->hash != stated_hash)
    return Fail("BLOCK_HASH_MISMATCH", where + ": the header fields hash to " +
                                           Short(ToHex(out->hash)) + ", not the stated " +
                                           Short(ToHex(stated_hash)) +
                                           " (a header field or the "
                                           "block hash was changed)");
  if (h.height() == 0 && h.prev_hash() != g.hash)
    return Fail("GENESIS_LINK", "block 0's prev_hash is not the genesis hash");
  check->height = h.height();
  std::string digest = TraceAttestationDigest(g.hash_alg, h.height(), out->hash);
  std::set<std::string> by;
  for (size_t i = 0; i < atts->size(); ++i) {
    std::string ap = path + ".attestations[" + std::to_string(i) + "]";
    std::string node = d.Str((*atts)[i], "node_id", ap);
    std::string sig = d.Hex((*atts)[i], "signature", ap, 0);
    TL_RETURN_IF_ERROR(d.status);
    auto v = std::find_if(g.validators.begin(), g.validators.end(),
                          [&](const ValidatorInfo& vi) { return vi.id == node; });
    if (v == g.validators.end())
      return Fail("ATTESTATION_UNKNOWN_NODE",
                  where + ": attested by \"" + node + "\", which is not a genesis validator");
    Status s = VerifyDigest(v->public_key, digest, sig);
    if (!s.ok())
      return Fail("ATTESTATION_INVALID", where + ": the attestation of validator \"" + node +
                                             "\" does not verify (" + s.code() + ")");
    by.insert(node);
  }
  if (by.empty())
    return Fail("NOT_ATTESTED", where + " carries no valid attestation of any genesis validator");
  check->attested_by.assign(by.begin(), by.end());
  return Status::OK();
}

Status CheckReadings(const json& ev, const json& body, const std::string& where) {
  if (!ev.contains("readings") || !ev["readings"].is_object()) return Status::OK();
  const json& r = ev["readings"];
  uint64_t n = 0;
  double lo = 0, hi = 0;
  if (body.contains("readings") && body["readings"].is_array()) {
    for (const auto& x : body["readings"]) {
      if (!x.is_object() || !x.contains("celsius") || !x["celsius"].is_number()) continue;
      double c = x["celsius"].get<double>();
      lo = n == 0 ? c : std::min(lo, c);
      hi = n == 0 ? c : std::max(hi, c);
      ++n;
    }
  }
  auto num_eq = [&](const char* k, double v) {
    return r.contains(k) && r[k].is_number() && r[k].get<double>() == v;
  };
  if (!r.contains("count") || r["count"] != n ||
      (n > 0 && (!num_eq("min_c", lo) || !num_eq("max_c", hi))))
    return Fail("EVENT_FIELD_MISMATCH", where +
                                            ": readings count/min/max differ from the signed "
                                            "readings");
  return Status::OK();
}

// An inclusion proof as an answer shows it: {leaf_index, tree_size, path}.
struct InclusionJson {
  uint64_t leaf = 0, size = 0;
  std::vector<std::string> path;
};
Status ReadInclusion(Doc& d, const json& proof, const char* name, const std::string& p,
                     InclusionJson* out) {
  const json* inc = d.Object(proof, name, p + ".proof");
  TL_RETURN_IF_ERROR(d.status);
  const std::string where = p + ".proof." + name;
  out->leaf = d.U64(*inc, "leaf_index", where);
  out->size = d.U64(*inc, "tree_size", where);
  out->path = d.HexList(*inc, "path", where);
  return d.status;
}

// Checks one hash chain's events (the item's or its lot's): numbering, order,
// each envelope, its inclusion in its block and its "ok" receipt, the chain
// heads, and that each receipt commits to the event being event `seq` of the
// chain `identity` (its kind, code and lot) with that head (heads_inclusion).
// `epath`/`cpath` are the JSON paths of the events and the chain.
struct ChainCheck {
  uint64_t events = 0, event_count = 0;
  bool complete = false;
  std::string head;                          // hex, recomputed
  std::vector<std::string> tx_ids;           // raw, of the events checked
  std::vector<std::string> inspect_reports;  // report_id of its trace.inspect events
};
Status CheckChain(const Genesis& g, Doc& d, const json& events, const json& chain,
                  const std::string& epath, const std::string& cpath, const std::string& what,
                  const std::string& chain_name, const std::map<uint64_t, Block>& by_height,
                  const ChainLink& identity, ChainCheck* out) {
  uint64_t from = d.U64(chain, "events_from", cpath);
  out->event_count = d.U64(chain, "event_count", cpath);
  std::string start_head = d.Hex(chain, "start_head", cpath, 32);
  std::string final_head = d.Hex(chain, "head", cpath, 32);
  TL_RETURN_IF_ERROR(d.status);
  std::string head = from == 0 ? std::string(32, '\0') : start_head;
  if (from == 0 && start_head != head)
    return Fail("CHAIN_HEAD_MISMATCH",
                cpath.substr(2) + ".start_head of an answer from event 0 must be zero");
  // Numbering and order first, so a dropped or moved event is named as such.
  std::vector<uint64_t> seqs;
  for (size_t i = 0; i < events.size(); ++i) {
    std::string p = epath + "[" + std::to_string(i) + "]";
    seqs.push_back(d.U64(events[i], "seq", p));
    d.U64(events[i], "height", p);
    d.U64(events[i], "index", p);
    TL_RETURN_IF_ERROR(d.status);
  }
  for (size_t i = 0; i < seqs.size(); ++i) {
    uint64_t expect = from + i;
    if (seqs[i] == expect) continue;
    bool later = std::find(seqs.begin() + i, seqs.end(), expect) != seqs.end();
    if (later)
      return Fail("EVENT_REORDERED", what + " #" + std::to_string(expect) + " comes after #" +
                                         std::to_string(seqs[i]) + ": events are out of order");
    return Fail("EVENT_DROPPED", "expected " + what + " #" + std::to_string(expect) +
                                     " but found #" + std::to_string(seqs[i]) + ": event #" +
                                     std::to_string(expect) + " was left out");
  }
  for (size_t i = 1; i < events.size(); ++i) {
    const json& a = events[i - 1];
    const json& b = events[i];
    uint64_t ah = a["height"], ai = a["index"], bh = b["height"], bi = b["index"];
    if (bh < ah || (bh == ah && bi <= ai))
      return Fail("EVENT_ORDER", what + " #" + std::to_string(seqs[i]) + " (height " +
                                     std::to_string(bh) + ", index " + std::to_string(bi) +
                                     ") is not after the event before it in the ledger");
  }
  for (size_t i = 0; i < events.size(); ++i) {
    const json& ev = events[i];
    std::string p = epath + "[" + std::to_string(i) + "]";
    uint64_t seq = d.U64(ev, "seq", p);
    std::string tx_hex = d.Str(ev, "tx_id", p);
    uint64_t height = d.U64(ev, "height", p);
    uint64_t index = d.U64(ev, "index", p);
    std::string stated_head = d.Hex(ev, "chain_head", p, 32);
    const json* pr = d.Object(ev, "proof", p);
    TL_RETURN_IF_ERROR(d.status);
    std::string where = what + " #" + std::to_string(seq) + " (tx " + Short(tx_hex) + ")";
    // Envelope: signature and tx id.
    const json* env = d.Object(*pr, "envelope", p + ".proof");
    TL_RETURN_IF_ERROR(d.status);
    std::string payload = d.Str(*env, "payload", p + ".proof.envelope");
    std::string signer = d.Hex(*env, "signer", p + ".proof.envelope", 33);
    std::string signature = d.Hex(*env, "signature", p + ".proof.envelope", 64);
    TL_RETURN_IF_ERROR(d.status);
    auto e = ParseEnvelopeParts(payload, signer, signature, g.hash_alg);
    if (!e.ok()) return Fail("ENVELOPE_INVALID", where + ": " + e.status().ToString());
    Status cs = CheckChainId(*e, g.chain_id);
    if (!cs.ok()) return Fail("ENVELOPE_INVALID", where + ": " + cs.ToString());
    if (ToHex(e->tx_id) != tx_hex)
      return Fail("TX_ID_MISMATCH", where + ": the envelope's tx id is " + Short(ToHex(e->tx_id)));
    // Fields shown versus the signed payload.
    json body = e->body;
    auto mismatch = [&](const std::string& f) {
      return Fail("EVENT_FIELD_MISMATCH",
                  where + ": \"" + f + "\" differs from the signed payload");
    };
    if (d.Str(ev, "type", p) != e->type) return mismatch("type");
    if (d.Str(ev, "time", p) != e->time) return mismatch("time");
    const json* shown_body = d.Member(ev, "body", p);
    TL_RETURN_IF_ERROR(d.status);
    if (*shown_body != body) return mismatch("body");
    if (ev.contains("location") &&
        (!body.contains("location") || ev["location"] != body["location"]))
      return mismatch("location");
    if (ev.contains("actor") && ev["actor"].is_object() &&
        StrOr(ev["actor"], "public_key") != ToHex(signer))
      return mismatch("actor.public_key");
    TL_RETURN_IF_ERROR(CheckReadings(ev, body, where));
    // Block and inclusion.
    auto bit = by_height.find(height);
    if (bit == by_height.end())
      return Fail("BLOCK_MISSING",
                  where + ": no header for block " + std::to_string(height) + " in proof.blocks");
    const pb::BlockHeader& h = bit->second.header;
    if (d.Str(ev, "recorded_at", p) != FormatRfc3339Millis(h.time()))
      return Fail("EVENT_FIELD_MISMATCH",
                  where + ": \"recorded_at\" is not block " + std::to_string(height) + "'s time");
    InclusionJson inc, rinc, hinc;
    TL_RETURN_IF_ERROR(ReadInclusion(d, *pr, "inclusion", p, &inc));
    TL_RETURN_IF_ERROR(ReadInclusion(d, *pr, "receipt_inclusion", p, &rinc));
    TL_RETURN_IF_ERROR(ReadInclusion(d, *pr, "heads_inclusion", p, &hinc));
    const json* rc = d.Object(*pr, "receipt", p + ".proof");
    TL_RETURN_IF_ERROR(d.status);
    if (inc.leaf != index || inc.size != h.tx_count())
      return Fail("INCLUSION_INVALID",
                  where + ": the proof is for leaf " + std::to_string(inc.leaf) + " of " +
                      std::to_string(inc.size) + ", not transaction " + std::to_string(index) +
                      " of the block's " + std::to_string(h.tx_count()));
    Status ms = VerifyMerkleInclusion(g.hash_alg, inc.leaf, inc.size,
                                      MerkleLeafHash(g.hash_alg, e->tx_id), inc.path, h.tx_root());
    if (!ms.ok())
      return Fail("INCLUSION_INVALID", where + ": not in block " + std::to_string(height) +
                                           "'s tx_root (" + ms.code() + ")");
    // Receipt.
    pb::Receipt r;
    std::string rstatus = d.Str(*rc, "status", p + ".proof.receipt");
    std::string rcode = d.Str(*rc, "code", p + ".proof.receipt");
    r.set_tx_id(d.Hex(*rc, "tx_id", p + ".proof.receipt", 32));
    r.set_ok(rstatus == "ok");
    r.set_code(r.ok() ? "" : rcode);
    r.set_message(d.Str(*rc, "message", p + ".proof.receipt"));
    r.set_height(d.U64(*rc, "height", p + ".proof.receipt"));
    uint64_t rindex = d.U64(*rc, "index", p + ".proof.receipt");
    r.set_index(static_cast<uint32_t>(rindex));
    r.set_heads_root(d.Hex(*rc, "heads_root", p + ".proof.receipt", 32));
    TL_RETURN_IF_ERROR(d.status);
    if (r.tx_id() != e->tx_id)
      return Fail("TX_ID_MISMATCH", where + ": the receipt names another tx");
    if (!r.ok() || rcode != "OK" || r.height() != height || rindex != index)
      return Fail("RECEIPT_MISMATCH", where + ": the receipt must be \"ok\" at height " +
                                          std::to_string(height) + ", index " +
                                          std::to_string(index));
    Status rs =
        rinc.leaf != index || rinc.size != h.tx_count()
            ? Fail("MERKLE_INDEX_OUT_OF_RANGE", "wrong leaf")
            : VerifyMerkleInclusion(g.hash_alg, rinc.leaf, rinc.size,
                                    MerkleLeafHash(g.hash_alg, Hash(g.hash_alg, EncodeReceipt(r))),
                                    rinc.path, h.receipts_root());
    if (!rs.ok())
      return Fail("RECEIPT_INCLUSION_INVALID", where + ": the receipt is not in block " +
                                                   std::to_string(height) + "'s receipts_root (" +
                                                   rs.code() + ")");
    // The per-code chain.
    head = Hash2(g.hash_alg, head, e->tx_id);
    if (head != stated_head)
      return Fail("CHAIN_HEAD_MISMATCH", where + ": the " + chain_name + " recomputed to here is " +
                                             Short(ToHex(head)) + ", the answer says " +
                                             Short(ToHex(stated_head)));
    // The receipt commits to this chain, this seq and this head.
    ChainLink link = identity;
    link.seq = seq;
    link.head = head;
    Status hs =
        VerifyMerkleInclusion(g.hash_alg, hinc.leaf, hinc.size, ChainLinkLeafHash(g.hash_alg, link),
                              hinc.path, r.heads_root());
    if (!hs.ok())
      return Fail("HEADS_INCLUSION_INVALID",
                  where + ": its receipt does not commit to it being " + what + " #" +
                      std::to_string(seq) + " of " +
                      (identity.kind == ChainKind::kItem
                           ? "code \"" + identity.code + "\""
                           : "lot \"" + identity.lot + "\" of product \"" + identity.code + "\"") +
                      " with head " + Short(ToHex(head)) + " (" + hs.code() + ")");
    ++out->events;
    out->tx_ids.push_back(e->tx_id);
    if (e->type == "trace.inspect" && body.contains("report_id") && body["report_id"].is_string())
      out->inspect_reports.push_back(body["report_id"].get<std::string>());
  }
  out->head = ToHex(head);
  out->complete = from == 0 && out->events == out->event_count;
  bool says_complete = chain.contains("complete") && chain["complete"] == true;
  if (says_complete && !out->complete)
    return Fail("EVENT_COUNT_MISMATCH", "the answer says it is complete but holds " +
                                            std::to_string(out->events) + " of " +
                                            std::to_string(out->event_count) + " " + what + "s");
  if (from + out->events > out->event_count)
    return Fail("EVENT_COUNT_MISMATCH",
                "more " + what + "s than " + cpath.substr(2) + ".event_count");
  if (from + out->events == out->event_count && head != final_head)
    return Fail("CHAIN_HEAD_MISMATCH", "the events end at head " + Short(ToHex(head)) +
                                           " but the stated head is " + Short(ToHex(final_head)));
  return Status::OK();
}

Status Verify(const Genesis& g, const json& a, TraceVerifyReport* rep) {
  Doc d;
  if (!a.is_object()) return Fail("ANSWER_MALFORMED", "the answer is not a JSON object");
  if (a.contains("error"))
    return Fail("ANSWER_IS_ERROR",
                "the answer is an error: " + std::string(Utf8Prefix(DumpJson(a["error"]), 512)));
  // A lot's answer (GET /01/{gtin}/10/{lot}) proves the lot's own events; a
  // code's answer its events and, when it has a lot, its lot's.
  rep->lot_answer = a.contains("kind") && a["kind"] == "lot";
  const json* events = nullptr;
  const json* chain = nullptr;
  if (!rep->lot_answer) {
    rep->code = d.Str(a, "code", "$");
    rep->item_status = d.Str(a, "status", "$");
    events = d.Array(a, "events", "$");
    chain = d.Object(a, "chain", "$");
  }
  const json* proof = d.Object(a, "proof", "$");
  TL_RETURN_IF_ERROR(d.status);
  // The chain.
  std::string alg_name = d.Str(*proof, "hash_alg", "$.proof");
  std::string chain_id = d.Str(*proof, "chain_id", "$.proof");
  std::string ghash = d.Hex(*proof, "genesis_hash", "$.proof", 32);
  TL_RETURN_IF_ERROR(d.status);
  if (alg_name != HashAlgName(g.hash_alg) || chain_id != g.chain_id || ghash != g.hash)
    return Fail("WRONG_CHAIN", "the answer is for chain \"" + chain_id + "\" (" + alg_name +
                                   "), not this genesis' \"" + g.chain_id + "\" (" +
                                   HashAlgName(g.hash_alg) + ")");
  // Blocks.
  const json* blocks = d.Array(*proof, "blocks", "$.proof");
  TL_RETURN_IF_ERROR(d.status);
  std::map<uint64_t, Block> by_height;
  for (size_t i = 0; i < blocks->size(); ++i) {
    Block b;
    TraceVerifyReport::BlockCheck check;
    TL_RETURN_IF_ERROR(
        CheckBlock(g, d, (*blocks)[i], "$.proof.blocks[" + std::to_string(i) + "]", &b, &check));
    rep->blocks.push_back(check);
    by_height[b.header.height()] = std::move(b);
  }
  ChainCheck item;
  if (!rep->lot_answer) {
    ChainLink identity{ChainKind::kItem, rep->code, "", 0, ""};
    TL_RETURN_IF_ERROR(CheckChain(g, d, *events, *chain, "$.events", "$.chain", "event",
                                  "per-code chain", by_height, identity, &item));
    rep->events = item.events;
    rep->event_count = item.event_count;
    rep->complete = item.complete;
    rep->head = item.head;
  }
  // The lot's chain: lot-level events (lot documents, lot inspections, recalls
  // naming the lot) with the same proofs.
  const json& lot = a.contains("lot") ? a["lot"] : json();
  if (rep->lot_answer && !lot.is_string())
    return Fail("ANSWER_MALFORMED", "$.lot: a lot's answer names its lot");
  if (lot.is_string()) {
    const json* lot_events = d.Array(a, "lot_events", "$");
    const json* lot_chain = d.Object(a, "lot_chain", "$");
    TL_RETURN_IF_ERROR(d.status);
    // The lot chain is the lot's of the product the answer names.
    std::string product = d.Str(*lot_chain, "product_code", "$.lot_chain");
    std::string chain_lot = d.Str(*lot_chain, "lot", "$.lot_chain");
    TL_RETURN_IF_ERROR(d.status);
    if (chain_lot != lot.get<std::string>() || (a.contains("product") && a["product"].is_object() &&
                                                StrOr(a["product"], "code") != product))
      return Fail("LOT_EVENT_MISMATCH",
                  "$.lot_chain is the chain of another lot or product than the answer names");
    ChainCheck lc;
    ChainLink identity{ChainKind::kLot, product, chain_lot, 0, ""};
    TL_RETURN_IF_ERROR(CheckChain(g, d, *lot_events, *lot_chain, "$.lot_events", "$.lot_chain",
                                  "lot event", "lot chain", by_height, identity, &lc));
    // Each lot event must be about this lot (its signed body names it).
    for (size_t i = 0; i < lot_events->size(); ++i) {
      const json& body = (*lot_events)[i]["body"];  // equal to the signed body (checked)
      bool names =
          body.is_object() && StrOr(body, "product_code") == product &&
          ((body.contains("lot") && body["lot"] == lot) ||
           (body.contains("lots") && body["lots"].is_array() &&
            std::find(body["lots"].begin(), body["lots"].end(), lot) != body["lots"].end()));
      if (!names)
        return Fail("LOT_EVENT_MISMATCH",
                    "$.lot_events[" + std::to_string(i) + "]'s signed body does not name lot \"" +
                        lot.get<std::string>() + "\" of product \"" + product + "\"");
    }
    rep->has_lot = true;
    rep->lot = lot.get<std::string>();
    rep->lot_events = lc.events;
    rep->lot_event_count = lc.event_count;
    rep->lot_complete = lc.complete;
    rep->lot_head = lc.head;
    // What the answer states about the lot must be proven by the lot's events.
    auto proven = [&](const ChainCheck& c, const std::string& tx) {
      return std::find(c.tx_ids.begin(), c.tx_ids.end(), tx) != c.tx_ids.end();
    };
    const json* docs = a.contains("documents") ? &a["documents"] : nullptr;
    for (size_t i = 0; docs && docs->is_array() && i < docs->size(); ++i) {
      const json& doc = (*docs)[i];
      std::string p = "$.documents[" + std::to_string(i) + "]";
      std::string scope = d.Str(doc, "scope", p);
      std::string tx = d.Hex(doc, "tx_id", p, 32);
      TL_RETURN_IF_ERROR(d.status);
      const ChainCheck& c = scope == "lot" ? lc : item;
      if (!c.complete) continue;  // a page: the document's event may be on another page
      if (!proven(c, tx))
        return Fail("DOCUMENT_UNPROVEN", p + " (" + d.Str(doc, "doc_type", p) + ", tx " +
                                             Short(ToHex(tx)) + ") is not among the " +
                                             (scope == "lot" ? "lot's" : "code's") +
                                             " events: a document event was dropped");
    }
    if (lc.complete && a.contains("lot_info") && a["lot_info"].is_object()) {
      const json& li = a["lot_info"];
      if (li.contains("inspection") && li["inspection"].is_string()) {
        std::string report = StrOr(li, "inspection_report");
        if (std::find(lc.inspect_reports.begin(), lc.inspect_reports.end(), report) ==
            lc.inspect_reports.end())
          return Fail("INSPECTION_UNPROVEN", "$.lot_info.inspection names report \"" + report +
                                                 "\", which no trace.inspect event of the lot " +
                                                 "carries: an inspection event was dropped");
      }
    }
  }
  return Status::OK();
}

}  // namespace

std::string TraceAttestationDigest(HashAlg alg, uint64_t height, const std::string& block_hash) {
  return Hash(alg, "traceledger-attestation" + U64Be(height) + block_hash);
}

TraceVerifyReport VerifyTraceAnswer(const Genesis& genesis, std::string_view answer_json) {
  TraceVerifyReport rep;
  json a;
  // The strict parser: size, depth (the comparisons below recurse), UTF-8 and
  // duplicate members (a member twice must not hide what was signed).
  Status parsed = ParseJson(answer_json, JsonLimits{kMaxTraceAnswerBytes, kMaxTraceAnswerDepth},
                            "the answer", "ANSWER", &a);
  if (!parsed.ok()) {
    rep.status = Fail("ANSWER_MALFORMED", parsed.message() + " (" + parsed.code() + ")");
    return rep;
  }
  try {
    rep.status = Verify(genesis, a, &rep);
  } catch (const std::exception& ex) {  // nlohmann type errors stay inside
    rep.status = Fail("ANSWER_MALFORMED", ex.what());
  }
  return rep;
}

}  // namespace traceledger::cli
