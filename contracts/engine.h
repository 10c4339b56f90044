// The contracts engine: deterministic execution of a block of verified
// transactions (DESIGN.md §3, §4; docs/contracts.md).
//
//   (state reader, block context, verified envelopes)
//       -> (ordered state writes, receipts, alerts, state_hash)
//
// Invariants:
// - Pure: no clock, no randomness, no I/O except reads through StateReader; no
//   unordered-container iteration reaches writes or receipts. The same inputs
//   give byte-identical outputs on every node.
// - Transactions apply in order; later ones see earlier ones' writes.
// - A rejected transaction changes nothing in the domain state. Its nonce is
//   still consumed (the only write it makes, plus the rejection counters), so a
//   rejected envelope can never be replayed later; see docs/contracts.md.
// - writes are sorted by key, each key at most once (nullopt value = delete).
// - A state read error is never taken for an absent key: BlockResult.status
//   says the block could not be executed (the node stops applying).
// - state_hash = H(prev_state_hash || E(writes)), E = for each write in key
//   order: u32be(len key) key, then 0x01 u32be(len value) value, or 0x00.
// - Text: every receipt code and message, alert, state key and text value or
//   record field the block writes is valid UTF-8, checked by the engine itself
//   after each transaction. A transaction whose rule produced text that is not
//   is rejected INTERNAL_TEXT_INVALID with its writes dropped; a block-time
//   rule that did is not applied in that block (docs/contracts.md, "Text").
//
// Thread-safety: an Engine is immutable after construction; ExecuteBlock may
// run from several threads on different readers.
#ifndef TRACELEDGER_CONTRACTS_ENGINE_H_
#define TRACELEDGER_CONTRACTS_ENGINE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "contracts/state.h"
#include "contracts/store.h"
#include "genesis/genesis.h"
#include "ledger/envelope.h"

namespace traceledger {

// Limits on everything a transaction can ask for (docs/contracts.md).
inline constexpr size_t kMaxCodesPerTx = 1000;
inline constexpr size_t kMaxReadingsPerTx = 1000;
inline constexpr size_t kMaxItemsPerTx = 10000;  // after expanding aggregates
inline constexpr size_t kMaxChildrenPerParent = 10000;
inline constexpr size_t kMaxAggregationDepth = 4;
inline constexpr size_t kMaxRecallItems = 100000;
inline constexpr size_t kMaxLotsPerRecall = 100;

struct BlockContext {
  uint64_t height = 0;
  int64_t time_ms = 0;          // block time chosen by the leader, never decreasing
  std::string proposer;         // validator id
  std::string prev_state_hash;  // 32 bytes; for block 1 the genesis hash
};

struct Receipt {
  std::string tx_id;  // raw 32 bytes
  bool ok = false;
  std::string code;     // "OK" or a rejection code such as "NOT_CUSTODIAN"
  std::string message;  // names the offending code or field
  uint64_t height = 0;
  uint32_t index = 0;
  std::string heads_root;  // ledger/chain_link.h; empty when no chain was extended
  bool operator==(const Receipt&) const = default;
};

// The receipt's bytes for comparing runs (the determinism tests): u32-length-
// prefixed tx_id, status ("ok"/"rejected"), code, message, then u64 height,
// u32 index, the length-prefixed heads_root. (receipts_root hashes the
// protobuf encoding, ledger/block.h.)
std::string EncodeReceipt(const Receipt& r);

struct BlockResult {
  // Not OK when a state read failed (I/O error, corrupt data: the reader's
  // read_status(), or a record that does not decode): the rest of the result
  // was computed on a wrong view of the state and must not be applied.
  Status status;
  std::vector<WriteOp> writes;    // sorted by key
  std::vector<Receipt> receipts;  // one per envelope, in order
  std::vector<AlertRec> alerts;   // alerts opened or closed by this block, in order
  std::string state_hash;         // 32 bytes
  // Violations of the text invariant in this block (normally none), one line
  // each for the node's log: the transaction or block-time rule and where.
  std::vector<std::string> text_violations;
};

class Exec;

class Engine {
 public:
  explicit Engine(Genesis genesis);
  const Genesis& genesis() const { return genesis_; }

  // Tests only: called after each transaction's rules with their status; may
  // write through `x` and returns the transaction's status. It plays a faulty
  // rule so that tests can check the engine's own checks. Set it before the
  // first ExecuteBlock; a node never sets it.
  using RuleHookForTesting = std::function<Status(Exec& x, Status rules)>;
  void SetRuleHookForTesting(RuleHookForTesting hook) { rule_hook_ = std::move(hook); }

  BlockResult ExecuteBlock(const StateReader& state, const BlockContext& ctx,
                           const std::vector<Envelope>& txs) const;

  // Regulator name for a raw 33-byte key listed in genesis, or nullptr.
  const std::string* RegulatorName(const std::string& public_key) const;

 private:
  Genesis genesis_;
  std::map<std::string, std::string> regulators_;  // raw key -> name
  RuleHookForTesting rule_hook_;
};

// state_hash of a sorted write set.
std::string ChainStateHash(HashAlg alg, const std::string& prev, const std::vector<WriteOp>& w);

// Per-code chain head: H(prev_head || tx_id) from 32 zero bytes.
std::string NextHead(HashAlg alg, const std::string& prev_head, const std::string& tx_id);
inline const std::string& ZeroHead() {
  static const std::string z(32, '\0');
  return z;
}

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_ENGINE_H_
