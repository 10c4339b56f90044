// The JSON form of a block header, shared by every endpoint that shows one
// (/v1/blocks, /v1/transactions, /v1/trace proofs): every header field, hashes
// in hex, time both as RFC 3339 and as `time_ms` (the exact integer a verifier
// re-encodes), plus the block hash. Include only in .cc files (protobuf).
#ifndef TRACELEDGER_API_HEADER_JSON_H_
#define TRACELEDGER_API_HEADER_JSON_H_

#include <string>

#include "api/json_writer.h"
#include "ledger.pb.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"

namespace traceledger::api {

// J is nlohmann::json or nlohmann::ordered_json.
template <typename J>
J HeaderJson(const pb::BlockHeader& h, const std::string& block_hash) {
  return {{"height", h.height()},
          {"block_hash", ToHex(block_hash)},
          {"chain_id", h.chain_id()},
          {"prev_hash", ToHex(h.prev_hash())},
          {"time_ms", h.time()},
          {"time", FormatRfc3339Millis(h.time())},
          {"proposer", h.proposer()},
          {"raft_term", h.raft_term()},
          {"raft_index", h.raft_index()},
          {"tx_root", ToHex(h.tx_root())},
          {"receipts_root", ToHex(h.receipts_root())},
          {"state_hash", ToHex(h.state_hash())},
          {"tx_count", h.tx_count()}};
}

// The same members written with a JsonWriter, inside an object the caller
// opened (the trace answer adds "attestations" after them). A test keeps the
// two identical.
inline void WriteHeaderFields(JsonWriter& w, const pb::BlockHeader& h,
                              const std::string& block_hash) {
  w.Field("height", h.height());
  w.HexField("block_hash", block_hash);
  w.Field("chain_id", h.chain_id());
  w.HexField("prev_hash", h.prev_hash());
  w.Field("time_ms", h.time());
  w.Field("time", FormatRfc3339Millis(h.time()));
  w.Field("proposer", h.proposer());
  w.Field("raft_term", h.raft_term());
  w.Field("raft_index", h.raft_index());
  w.HexField("tx_root", h.tx_root());
  w.HexField("receipts_root", h.receipts_root());
  w.HexField("state_hash", h.state_hash());
  w.Field("tx_count", h.tx_count());
}

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_HEADER_JSON_H_
