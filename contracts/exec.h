// Execution context shared by the transaction handlers (internal to contracts/).
//
// Reads go through two layers: the block's writes so far (the current
// transaction's included), then the StateReader. Writes go straight into the
// block with an undo log; Abort replays the log backwards, so a rejected
// transaction (or block-time rule) changes nothing. Counters and alerts join
// the block on Commit. Every write is checked for text that is not UTF-8
// (TextViolation); the engine decides what a violation does.
//
// Thread-safety: one Exec per block execution, on one thread.
#ifndef TRACELEDGER_CONTRACTS_EXEC_H_
#define TRACELEDGER_CONTRACTS_EXEC_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "contracts/body.h"
#include "contracts/engine.h"
#include "contracts/state.h"
#include "contracts/store.h"
#include "ledger/hex.h"

namespace traceledger {

using Overlay = std::map<std::string, std::optional<std::string>, std::less<>>;

struct Signer {
  bool regulator = false;
  std::string name;  // regulator name or enterprise name
  std::string uscc;  // enterprises
  EnterpriseRec ent;
  bool Has(uint32_t roles) const { return !regulator && (ent.roles & roles) != 0; }
};

class Exec {
 public:
  Exec(const Engine& engine, const StateReader& base, const BlockContext& ctx);

  // ---- transaction lifecycle
  void Begin(const Envelope* env, uint32_t index);
  void Commit();
  void Abort();

  // The chains the current transaction extended so far, in order.
  const std::vector<ChainLink>& links() const { return links_; }

  // ---- raw view
  std::optional<std::string> Get(std::string_view key) const;
  bool Exists(std::string_view key) const {
    bool found = false;
    View(key, [&](std::string_view) { found = true; });
    return found;
  }
  void Put(std::string key, std::string value);
  void Del(std::string key);
  void Scan(std::string_view prefix, const ScanFn& fn) const;
  // Writes straight into the block (survives Abort): nonces.
  void PutBlock(std::string key, std::string value);

  // ---- typed records. Load returns false if absent (or corrupt: corrupt() set).
  template <typename R>
  bool Load(std::string_view key, R* r) {
    bool found = false, ok = true;
    View(key, [&](std::string_view v) {
      found = true;
      ok = Decode(v, r);
    });
    if (found && !ok) corrupt_ = true;
    return found && ok;
  }
  // Calls fn(value) if `key` exists, without copying overlay values.
  template <typename Fn>
  void View(std::string_view key, Fn&& fn) const {
    if (auto it = block_.find(key); it != block_.end()) {
      if (it->second) fn(std::string_view(*it->second));
      return;
    }
    std::string scratch;  // unused when the base can lend its value (MemState)
    std::string_view v;
    if (base_.Read(key, &scratch, &v)) fn(v);
  }
  template <typename R>
  void Save(const std::string& key, const R& r) {
    Put(key, Encode(r));
  }
  bool corrupt() const { return corrupt_; }

  // ---- the text invariant (docs/contracts.md, "Text")
  // Where the current transaction (or block-time rule) wrote text that is not
  // valid UTF-8 since Begin — a key, a text value, or a text field of a record
  // (contracts/codec.h) — as words safe to show; "" if it wrote none.
  const std::string& TextViolation() const { return bad_text_; }

  // Loads an item; UNKNOWN_CODE if absent.
  Status LoadItem(const std::string& code, ItemRec* item);
  // Stores an item: extends its hash chain and event list once per transaction
  // and keeps the status counters exact.
  void SaveItem(ItemRec& item);
  // Extends the lot's hash chain and event list once per transaction (a
  // lot-level event: a lot document, a lot inspection, a recall naming the lot).
  // The caller saves the lot record afterwards.
  void ExtendLot(LotRec& lot);
  // The item and every item aggregated inside it, depth first (the item first).
  // TOO_MANY if the total would exceed kMaxItemsPerTx.
  Status Expand(const ItemRec& top, std::vector<ItemRec>* out);
  // Loads `codes` (UNKNOWN_CODE) and expands each (AGGREGATED if a code sits
  // inside an aggregate and `top_level_only`).
  Status LoadExpanded(const std::vector<std::string>& codes, bool top_level_only,
                      std::vector<ItemRec>* out);
  // Changes the custodian, keeping the holder index and recall obligations.
  void SetCustodian(ItemRec& item, const std::string& uscc);

  // ---- rules shared by several types
  // TERMINAL / IN_TRANSIT / RECALLED / QUARANTINED.
  Status CheckMovable(const ItemRec& item) const;
  bool Expired(const ItemRec& item) const;
  // DOCUMENTS_MISSING naming the missing document types, for imported cold-chain food.
  Status CheckImportDocuments(const ItemRec& item);
  // True if `item` may still leave its custodian without documents (the importer's
  // first move from the port into its first warehouse).
  bool ImportFirstMove(const ItemRec& item);
  std::optional<TempRange> ProductRange(const std::string& product_code);

  // ---- quarantine and alerts
  void Quarantine(ItemRec& item, const std::string& alert_id);
  void Unquarantine(ItemRec& item);  // resolves the alerts that quarantined it
  std::string OpenAlert(const std::string& kind, const std::string& subject,
                        const std::string& message, uint32_t pending);
  void CloseAlert(const std::string& id);
  // Resolves one recall obligation (item returned, destroyed or released).
  void ResolveObligation(ItemRec& item);
  void CloseRecall(RecallRec& recall, const std::string& reason);

  // ---- counters (cockpit)
  void Count(std::string_view name, int64_t delta);

  // Signer identities resolved in this block (key -> signer), valid until a
  // registry.* transaction commits (which clears it).
  std::map<std::string, std::shared_ptr<const Signer>, std::less<>> signer_cache;

  // ---- block end
  void FinishBlock(BlockResult* out);

  const Engine& engine;
  const Genesis& g;
  const BlockContext& ctx;
  HashAlg alg;
  const Envelope* env = nullptr;
  uint32_t index = 0;
  std::shared_ptr<const Signer> signer;  // set before a handler runs
  // Hex of env->tx_id, made on first use (only transforms need it).
  const std::string& tx_hex() {
    if (tx_hex_.empty() && env) tx_hex_ = ToHex(env->tx_id);
    return tx_hex_;
  }

 private:
  bool FirstTouch(const std::string& code);
  std::string tx_hex_;
  const StateReader& base_;
  void Write(std::string key, std::optional<std::string> value);
  // The block's writes so far, including the current transaction's; undo_
  // restores what the current transaction overwrote if it is aborted.
  struct Undo {
    Overlay::iterator it;
    bool existed;
    std::optional<std::string> prev;
  };
  Overlay block_;
  std::vector<Undo> undo_;
  // Block totals by name; a transaction's deltas point into it (map nodes are
  // stable) and are added on Commit. Names that end at zero are not written.
  std::map<std::string, int64_t, std::less<>> counters_block_;
  std::vector<std::pair<int64_t*, int64_t>> counters_tx_;
  std::vector<AlertRec> alerts_block_, alerts_tx_;
  std::vector<std::string> touched_;       // codes whose chain this transaction extended
  std::set<std::string> touched_many_;     // the same, once there are many
  std::vector<std::string> lots_touched_;  // lot keys whose chain this transaction extended
  // The chains this transaction extended, in order (ledger/chain_link.h);
  // an event record names its link by position.
  std::vector<ChainLink> links_;
  uint64_t alert_seq_block_ = 0, alert_seq_tx_ = 0;
  bool corrupt_ = false;
  // The text check: the first violation since Begin, and the invalid text
  // fields this thread had encoded when Write last looked.
  void CheckText(const std::string& key, const std::optional<std::string>& value);
  std::string bad_text_;
  uint64_t text_fields_seen_ = 0;
};

// Handlers, one per transaction type (tx_*.cc). Each validates its body, checks
// its rules and writes through Exec. The signer is already authorised for the
// type's roles and not suspended.
Status TxAddRegulator(Exec& x);
Status TxEnroll(Exec& x);
Status TxSuspend(Exec& x);
Status TxReinstate(Exec& x);
Status TxRotateKey(Exec& x);
Status TxProductRegister(Exec& x);
Status TxCommission(Exec& x);
Status TxDocument(Exec& x);
Status TxAggregate(Exec& x);
Status TxDisaggregate(Exec& x);
Status TxShip(Exec& x);
Status TxReceive(Exec& x);
Status TxReading(Exec& x);
Status TxTransform(Exec& x);
Status TxInspect(Exec& x);
Status TxDispense(Exec& x);
Status TxDestroy(Exec& x);
Status TxQuarantine(Exec& x);
Status TxRelease(Exec& x);
Status TxRecallIssue(Exec& x);
Status TxRecallRespond(Exec& x);
Status TxRecallClose(Exec& x);

// Evaluated at the start of every block: overdue shipments.
void RaiseOverdueShipments(Exec& x);

inline Status Reject(const char* code, std::string msg) {
  return Status::Error(code, std::move(msg));
}
inline std::string Q(const std::string& s) { return "\"" + s + "\""; }

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_EXEC_H_
