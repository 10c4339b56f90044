// Offline verification of a GET /v1/trace/{code} answer (docs/api.md, "Trace";
// `tracectl verify-trace`). Needs nothing but the genesis: the validators' keys,
// the chain id, the hash function and the genesis hash.
//
// Checks, in this order, stopping at the first failure (each has its own code):
//   ANSWER_MALFORMED        not strict JSON (a member twice, nested deeper than 32
//                           levels), or a member is missing or has the wrong type
//                           (JSON path named)
//   ANSWER_IS_ERROR         the answer is an {"error": ...} document
//   WRONG_CHAIN             proof.chain_id / hash_alg / genesis_hash differ from genesis
//   HEADER_CHAIN_ID         a header names another chain
//   HEADER_TIME_MISMATCH    a header's "time" is not its "time_ms"
//   BLOCK_HASH_MISMATCH     H(deterministic protobuf of the header fields) != block_hash
//   GENESIS_LINK            block 0's prev_hash is not the genesis hash
//   ATTESTATION_UNKNOWN_NODE an attestation by a node that is not a genesis validator
//   ATTESTATION_INVALID     an attestation signature does not verify
//   NOT_ATTESTED            a block without any valid attestation
//   EVENT_DROPPED / EVENT_REORDERED   event seq numbers skip ahead / go back
//   EVENT_ORDER             events not in ascending (height, index) order
//   ENVELOPE_INVALID        the envelope does not parse or its signature fails
//   TX_ID_MISMATCH          tx_id != H(signer || payload), or the receipt's tx id
//   EVENT_FIELD_MISMATCH    a field shown for the event differs from the signed payload
//                           (type, time, body, location, signer, readings min/max/count)
//                           or from its block (height, recorded_at)
//   BLOCK_MISSING           an event's block header is not in proof.blocks
//   INCLUSION_INVALID       the tx inclusion proof does not lead to the header's tx_root
//   RECEIPT_MISMATCH        the receipt is not "ok" or names another height / index
//   RECEIPT_INCLUSION_INVALID the receipt proof does not lead to receipts_root
//   CHAIN_HEAD_MISMATCH     H(prev || tx_id) over the events != a stated head
//   EVENT_COUNT_MISMATCH    "complete" but events are missing, or counts disagree
// The same checks, with the same codes, then run over lot_events against
// lot_chain (the lot's own chain) when the item has a lot; then:
//   LOT_EVENT_MISMATCH      a lot event whose signed body does not name the lot
//   DOCUMENT_UNPROVEN       a listed document whose tx is not among the (complete)
//                           events of its scope (the code's or the lot's chain)
//   INSPECTION_UNPROVEN     lot_info.inspection names a report that no trace.inspect
//                           event of the (complete) lot chain carries
//
// Thread-safety: pure function.
#ifndef TRACELEDGER_TOOLS_TRACE_VERIFY_H_
#define TRACELEDGER_TOOLS_TRACE_VERIFY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "genesis/genesis.h"
#include "ledger/status.h"

namespace traceledger::cli {

struct TraceVerifyReport {
  Status status;             // OK or the first failure
  bool lot_answer = false;   // a lot's answer (kind "lot"): only the lot chain
  std::string code;          // the item's code (empty for a lot's answer)
  std::string item_status;   // as the node states it (not provable offline)
  uint64_t events = 0;       // events checked
  uint64_t event_count = 0;  // events the code has
  bool complete = false;     // all of them, from the first
  std::string head;          // hex, recomputed
  // The item's lot chain (when the item has a lot).
  bool has_lot = false;
  std::string lot;
  uint64_t lot_events = 0, lot_event_count = 0;
  bool lot_complete = false;
  std::string lot_head;  // hex, recomputed
  struct BlockCheck {
    uint64_t height = 0;
    std::vector<std::string> attested_by;  // distinct validator ids with a valid signature
  };
  std::vector<BlockCheck> blocks;
  bool ok() const { return status.ok(); }
};

// An answer is read with the strict parser (ledger/json_parse.h) under these
// limits: the HTTP client's bound on an answer, and far more nesting than an
// answer has (a payload body nests at most 16 levels).
inline constexpr size_t kMaxTraceAnswerBytes = 32 << 20;
inline constexpr int kMaxTraceAnswerDepth = 64;

// Never throws; ANSWER_MALFORMED for text that is not a JSON answer.
TraceVerifyReport VerifyTraceAnswer(const Genesis& genesis, std::string_view answer_json);

// The attestation digest a validator signs (node/node.h AttestationDigest):
// H("traceledger-attestation" || u64be(height) || block_hash).
std::string TraceAttestationDigest(HashAlg alg, uint64_t height, const std::string& block_hash);

}  // namespace traceledger::cli

#endif  // TRACELEDGER_TOOLS_TRACE_VERIFY_H_
