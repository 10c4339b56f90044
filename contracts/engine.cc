#include "contracts/engine.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "contracts/codec.h"
#include "contracts/exec.h"
#include "ledger/hex.h"
#include "ledger/merkle.h"
#include "ledger/utf8.h"

namespace traceledger {
namespace {

enum Who : uint8_t { kRegulatorOnly = 1, kEnterpriseOnly = 2, kEither = 3 };

struct TxType {
  std::string_view name;
  std::string_view counter;  // cockpit counter "type|NAME"
  Status (*fn)(Exec&);
  uint8_t who;
  uint32_t roles;  // enterprises need one of these; 0: any role
};

constexpr uint32_t kMakers = kManufacturer | kProducer | kImporter;
constexpr uint32_t kDispensers = kRetailer | kCaterer | kPharmacy | kVaccinationSite;

// Sorted by name (binary search).
constexpr TxType kTypes[] = {
    {"product.register", "type|product.register", TxProductRegister, kEnterpriseOnly, kMakers},
    {"recall.close", "type|recall.close", TxRecallClose, kRegulatorOnly, 0},
    {"recall.issue", "type|recall.issue", TxRecallIssue, kRegulatorOnly, 0},
    {"recall.respond", "type|recall.respond", TxRecallRespond, kEnterpriseOnly, 0},
    {"registry.add_regulator", "type|registry.add_regulator", TxAddRegulator, kRegulatorOnly, 0},
    {"registry.enroll", "type|registry.enroll", TxEnroll, kRegulatorOnly, 0},
    {"registry.reinstate", "type|registry.reinstate", TxReinstate, kRegulatorOnly, 0},
    {"registry.rotate_key", "type|registry.rotate_key", TxRotateKey, kEnterpriseOnly, 0},
    {"registry.suspend", "type|registry.suspend", TxSuspend, kRegulatorOnly, 0},
    {"regulator.quarantine", "type|regulator.quarantine", TxQuarantine, kRegulatorOnly, 0},
    {"regulator.release", "type|regulator.release", TxRelease, kRegulatorOnly, 0},
    {"trace.aggregate", "type|trace.aggregate", TxAggregate, kEnterpriseOnly, 0},
    {"trace.commission", "type|trace.commission", TxCommission, kEnterpriseOnly, kMakers},
    {"trace.destroy", "type|trace.destroy", TxDestroy, kEither, 0},
    {"trace.disaggregate", "type|trace.disaggregate", TxDisaggregate, kEnterpriseOnly, 0},
    {"trace.dispense", "type|trace.dispense", TxDispense, kEnterpriseOnly, kDispensers},
    {"trace.document", "type|trace.document", TxDocument, kEither, 0},
    {"trace.inspect", "type|trace.inspect", TxInspect, kEither, kLab},
    {"trace.reading", "type|trace.reading", TxReading, kEnterpriseOnly, 0},
    {"trace.receive", "type|trace.receive", TxReceive, kEnterpriseOnly, 0},
    {"trace.ship", "type|trace.ship", TxShip, kEnterpriseOnly, 0},
    {"trace.transform", "type|trace.transform", TxTransform, kEnterpriseOnly,
     kManufacturer | kProducer},
};

const TxType* FindType(std::string_view name) {
  size_t lo = 0, hi = std::size(kTypes);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (kTypes[mid].name < name)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < std::size(kTypes) && kTypes[lo].name == name ? &kTypes[lo] : nullptr;
}

void PutU32(std::string* s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutStr(std::string* s, std::string_view v) {
  PutU32(s, static_cast<uint32_t>(v.size()));
  s->append(v);
}

// Identifies and authorises the signer for `type`.
Status Authorise(Exec& x, const TxType& type) {
  const Envelope& env = *x.env;
  if (auto it = x.signer_cache.find(env.signer); it != x.signer_cache.end()) {
    x.signer = it->second;
  } else {
    auto signer = std::make_shared<Signer>();
    if (const std::string* name = x.engine.RegulatorName(env.signer)) {
      signer->regulator = true;
      signer->name = *name;
    } else if (auto added = x.Get(keys::Regulator(env.signer))) {
      signer->regulator = true;
      signer->name = *added;
    } else {
      auto uscc = x.Get(keys::SignerKey(env.signer));
      if (!uscc || !x.Load(keys::Enterprise(*uscc), &signer->ent))
        return Reject("NOT_ENROLLED", "signer " + ToHex(env.signer) +
                                          " is neither a regulator nor an enrolled enterprise");
      signer->uscc = *uscc;
      signer->name = signer->ent.name;
    }
    x.signer_cache.emplace(env.signer, signer);
    x.signer = std::move(signer);
  }
  if (x.signer->regulator) {
    if (!(type.who & kRegulatorOnly))
      return Reject("ROLE_FORBIDDEN",
                    "regulator " + Q(x.signer->name) + " may not sign " + env.type);
    return Status::OK();
  }
  const std::string& uscc = x.signer->uscc;
  if (x.signer->ent.suspended)
    return Reject("SUSPENDED", "enterprise " + uscc + " is suspended (" + x.signer->ent.reason +
                                   ") and may do nothing");
  if (!(type.who & kEnterpriseOnly))
    return Reject("ROLE_FORBIDDEN", env.type + " is for regulators only");
  if (type.roles && !(x.signer->ent.roles & type.roles))
    return Reject("ROLE_FORBIDDEN", "enterprise " + uscc + " (roles " +
                                        RolesToString(x.signer->ent.roles) + ") may not sign " +
                                        env.type +
                                        "; it needs one of: " + RolesToString(type.roles));
  return Status::OK();
}

// The engine's text invariant (docs/contracts.md, "Text"): `where` the
// transaction produced text that is not UTF-8, and what its rules answered.
// The result is valid UTF-8 and bounded.
Status TextInvalid(const std::string& where, const Status& rules) {
  std::string m = "the contracts produced text that is not valid UTF-8 (" + where +
                  "): a fault in the rules, not in the transaction; it is rejected and changes "
                  "nothing";
  if (!rules.ok()) {
    m += "; the rules answered " + SanitizeUtf8(Utf8Prefix(rules.code(), 64)) + ": " +
         SanitizeUtf8(Utf8Prefix(rules.message(), 256));
  }
  return Reject("INTERNAL_TEXT_INVALID", std::move(m));
}

// Where a rejection's own text is not UTF-8, or "".
const char* BadReceiptText(const Status& s) {
  if (s.ok()) return "";
  if (!IsUtf8Text(s.code())) return "the receipt code";
  if (!IsUtf8Text(s.message())) return "the receipt message";
  return "";
}

// Writes what proves the transaction's chain links (ledger/chain_link.h) and
// returns the root its receipt commits to: with few links, each event record
// rewritten with its audit path; else the leaves in hl| chunks.
std::string PutChainLinks(Exec& x, uint64_t height, uint32_t index) {
  const std::vector<ChainLink>& links = x.links();
  std::vector<std::string> leaves;
  leaves.reserve(links.size());
  for (const ChainLink& l : links) leaves.push_back(ChainLinkLeafHash(x.alg, l));
  if (links.size() <= kInlineLinkPaths) {
    MerkleTree tree(x.alg, leaves);
    const uint32_t n = static_cast<uint32_t>(links.size());
    for (uint32_t i = 0; i < n; ++i) {
      const ChainLink& l = links[i];
      const uint32_t seq = static_cast<uint32_t>(l.seq);
      auto path = tree.InclusionProof(i);
      if (!path.ok()) std::abort();  // i < n: the tree has the leaf
      x.Put(l.kind == ChainKind::kItem ? keys::Event(l.code, seq)
                                       : keys::LotEvent(l.code, l.lot, seq),
            EncodeEvent(x.env->tx_id, height, index, x.env->type, i, n, *path));
    }
    return tree.Root();
  }
  std::vector<std::string> roots = HeadsChunkRoots(x.alg, leaves);
  const std::string root = roots.size() == 1 ? roots[0] : MerkleRootFromLeafHashes(x.alg, roots);
  for (size_t c = 0; c < roots.size(); ++c) {
    ChainLinksRec rec;
    rec.total = leaves.size();
    size_t end = std::min(leaves.size(), (c + 1) * kLinksPerChunk);
    rec.leaf_hashes.assign(leaves.begin() + c * kLinksPerChunk, leaves.begin() + end);
    if (c == 0 && roots.size() > 1) rec.chunk_roots = roots;
    x.Put(keys::ChainLinks(height, index, static_cast<uint32_t>(c)), Encode(rec));
  }
  return root;
}

}  // namespace

Engine::Engine(Genesis genesis) : genesis_(std::move(genesis)) {
  for (const auto& r : genesis_.regulators) regulators_[r.public_key] = r.name;
}

const std::string* Engine::RegulatorName(const std::string& public_key) const {
  auto it = regulators_.find(public_key);
  return it == regulators_.end() ? nullptr : &it->second;
}

std::string EncodeReceipt(const Receipt& r) {
  std::string s;
  s.reserve(64 + r.code.size() + r.message.size());
  PutStr(&s, r.tx_id);
  PutStr(&s, r.ok ? "ok" : "rejected");
  PutStr(&s, r.code);
  PutStr(&s, r.message);
  PutU64(&s, r.height);
  PutU32(&s, r.index);
  PutStr(&s, r.heads_root);
  return s;
}

std::string ChainStateHash(HashAlg alg, const std::string& prev, const std::vector<WriteOp>& w) {
  Hasher h(alg);
  h.Update(prev);
  std::string buf;
  buf.reserve(1 << 14);
  for (const auto& op : w) {
    PutStr(&buf, op.key);
    if (op.value) {
      buf.push_back(1);
      PutStr(&buf, *op.value);
    } else {
      buf.push_back(0);
    }
    if (buf.size() >= (1 << 14) - 1024) {
      h.Update(buf);
      buf.clear();
    }
  }
  h.Update(buf);
  return h.Final();
}

std::string NextHead(HashAlg alg, const std::string& prev_head, const std::string& tx_id) {
  return Hash2(alg, prev_head, tx_id);
}

BlockResult Engine::ExecuteBlock(const StateReader& state, const BlockContext& ctx,
                                 const std::vector<Envelope>& txs) const {
  BlockResult out;
  if (Status rs = state.read_status(); !rs.ok()) {
    out.status = rs;  // the state is already known to be damaged
    return out;
  }
  const uint64_t read_failures = StateReadFailuresOnThisThread();
  Exec x(*this, state, ctx);

  // Block-time rules first: every node evaluates them at the same block time.
  x.Begin(nullptr, 0);
  RaiseOverdueShipments(x);
  if (!x.TextViolation().empty()) {
    out.text_violations.push_back(
        "block " + std::to_string(ctx.height) +
        ", block-time rules (not applied in this block): " + x.TextViolation());
    x.Abort();
  } else {
    x.Commit();
  }

  out.receipts.reserve(txs.size());
  for (uint32_t i = 0; i < txs.size(); ++i) {
    const Envelope& env = txs[i];
    Receipt r{env.tx_id, false, "", "", ctx.height, i};
    x.Begin(&env, i);
    Status s;
    bool consume_nonce = true;
    std::string nonce_key;
    const TxType* type = nullptr;
    if (env.chain_id != genesis_.chain_id) {
      s = Reject("WRONG_CHAIN", "chain_id " + Q(std::string(Utf8Prefix(env.chain_id, 64))) +
                                    " is not " + Q(genesis_.chain_id));
      consume_nonce = false;
    } else if (env.nonce.empty() || env.nonce.size() > kMaxNonceLength || !IsUtf8Text(env.nonce)) {
      s = Reject("BAD_NONCE", "nonce must be 1..64 characters");
      consume_nonce = false;
    } else if (nonce_key = keys::Nonce(env.signer, env.nonce); x.Exists(nonce_key)) {
      s = Reject("DUPLICATE_NONCE", "nonce " + Q(env.nonce) + " was already used by this signer");
      consume_nonce = false;
    } else if (env.time_ms > ctx.time_ms + genesis_.params.max_future_skew_ms) {
      s = Reject("FUTURE_TIME", "time " + env.time + " is more than " +
                                    std::to_string(genesis_.params.max_future_skew_ms / 1000) +
                                    " s ahead of the block time");
    } else if (type = FindType(env.type); type == nullptr) {
      s = Reject("UNKNOWN_TYPE",
                 "type " + Q(std::string(Utf8Prefix(env.type, 64))) + " is not a transaction type");
    } else if (!env.body.is_object()) {
      s = Reject("BAD_BODY", "body must be a JSON object");
    } else {
      s = Authorise(x, *type);
      if (s.ok()) s = type->fn(x);
      if (s.ok() && x.corrupt()) s = Reject("STATE_CORRUPT", "a state record did not decode");
      if (rule_hook_ && x.signer) s = rule_hook_(x, std::move(s));
    }
    if (s.ok() && !x.signer->regulator) {
      x.Put(keys::Activity(x.signer->uscc, ctx.height, i), env.type);
    }
    // The text invariant, after everything the transaction wrote.
    std::string bad_text = x.TextViolation();
    if (bad_text.empty()) bad_text = BadReceiptText(s);
    if (!bad_text.empty()) {
      s = TextInvalid(bad_text, s);
      out.text_violations.push_back("block " + std::to_string(ctx.height) + ", transaction " +
                                    std::to_string(i) + " (" + ToHex(env.tx_id) +
                                    "): rejected INTERNAL_TEXT_INVALID: " + bad_text);
    }
    if (s.ok() && !x.links().empty()) r.heads_root = PutChainLinks(x, ctx.height, i);
    if (s.ok()) {
      x.Count("tx|ok", 1);
      x.Count(type->counter, 1);
      x.Commit();
      if (env.type.rfind("registry.", 0) == 0) x.signer_cache.clear();
      r.ok = true;
      r.code = "OK";
    } else {
      x.Abort();
      x.Begin(nullptr, 0);  // the rejection counters, on their own
      x.Count("tx|rejected", 1);
      x.Count("rejected|" + s.code(), 1);
      x.Commit();
      r.code = s.code();
      r.message = s.message();
    }
    if (consume_nonce) x.PutBlock(std::move(nonce_key), env.tx_id);
    out.receipts.push_back(std::move(r));
  }
  x.FinishBlock(&out);
  if (Status rs = state.read_status(); !rs.ok()) {
    out.status = rs;
  } else if (StateReadFailuresOnThisThread() != read_failures) {
    out.status = Status::IOError("block " + std::to_string(ctx.height) + ": " +
                                 LastStateReadFailureOnThisThread());
  } else if (x.corrupt()) {
    out.status = Status::Corruption("a state record of block " + std::to_string(ctx.height) +
                                    " did not decode");
  }
  if (!out.status.ok()) {
    out.writes.clear();
    out.receipts.clear();
    out.alerts.clear();
    return out;
  }
  out.state_hash = ChainStateHash(genesis_.hash_alg, ctx.prev_state_hash, out.writes);
  return out;
}

}  // namespace traceledger
