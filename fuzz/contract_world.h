// The fixed world the contract fuzz targets execute in (docs/testing.md):
// a genesis, the engine, and an in-memory state made by the seeded synthetic
// workload (contracts/workload.h: 44 enterprises of every role, products of
// every category, lots, shipments, readings, documents, inspections, ...),
// and the decoding of a fuzz input into transactions against it.
//
// A transaction in a fuzz input is three bytes and a body:
//   signer  (mod the number of signers: 0 the genesis regulator, i the
//           workload's enterprise i - 1, the last an unknown key)
//   type    (mod 23: the 22 transaction types, then an unknown one)
//   flags   bits 0-1 the nonce (fresh, one the workload used, the previous
//           transaction's, fresh), bits 2-3 the time (a second before the
//           block, 10 minutes after it, in 2001, the block time), bit 4 another
//           chain's id
//   body    JSON text up to the next NUL byte (or the end); a body that is
//           not a JSON object of at most 15 levels is no transaction (the
//           node's envelope parser would refuse it)
#ifndef TRACELEDGER_FUZZ_CONTRACT_WORLD_H_
#define TRACELEDGER_FUZZ_CONTRACT_WORLD_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/engine.h"
#include "contracts/store.h"
#include "fuzz.h"
#include "genesis/genesis.h"

namespace traceledger::fuzz {

inline constexpr size_t kTypeCount = 23;
extern const char* const kTxTypes[kTypeCount];

struct ContractWorld {
  Genesis genesis;
  std::unique_ptr<Engine> engine;
  MemState state;
  std::vector<std::string> signers;  // raw 33-byte keys (fake: the engine never checks curves)
  std::string state_hash;            // after the last block
  uint64_t height = 0;               // of the last block
  int64_t time_ms = 0;               // of the last block

  // Built once per process (deterministically).
  static const ContractWorld& Get();

  // The next block's context, `advance_ms` after the last block.
  BlockContext NextBlock(int64_t advance_ms) const;

  // Decodes one transaction from `in` (see above); nullopt if there is none
  // (input exhausted, or the body is not an object). `seq` makes fresh nonces
  // unique within the input; `prev_nonce` is the previous transaction's.
  std::optional<Envelope> NextTx(Input* in, const BlockContext& ctx, size_t seq,
                                 const std::string& prev_nonce) const;
};

// A state read through: `base` with `writes` (sorted, as a block gives them)
// applied on top, without copying the base.
class OverlayState : public StateReader {
 public:
  OverlayState(const StateReader& base, const std::vector<WriteOp>& writes);
  std::optional<std::string> Get(std::string_view key) const override;
  void Scan(std::string_view prefix, const ScanFn& fn) const override;

 private:
  const StateReader& base_;
  std::map<std::string, std::optional<std::string>, std::less<>> top_;
};

// The checks every executed block must pass: determinism (`a` and `b` are two
// executions of the same block), statuses, receipts (valid UTF-8, codes,
// protobuf round trip), write order, every written record decoding with valid
// UTF-8 text, alerts' text. `txs` is what was executed.
void CheckBlockResult(const std::vector<Envelope>& txs, const BlockContext& ctx,
                      const BlockResult& a, const BlockResult& b);

}  // namespace traceledger::fuzz

#endif  // TRACELEDGER_FUZZ_CONTRACT_WORLD_H_
