// Fuzz target: the body of every transaction type, read by the contracts
// (contracts/body.h and each contracts/tx_*.cc), one transaction at a time.
//
// Input: one transaction as fuzz/contract_world.h decodes it (signer, type,
// flags, body JSON), executed alone in a block on the fixed world.
//
// Oracle: everything CheckBlockResult checks (determinism, receipts, valid
// text in every record, protobuf round trip) and: a rejected transaction
// changes nothing but its nonce and the counters (docs/contracts.md), and an
// accepted one is a known type signed by a known party.
#include "contract_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  const ContractWorld& w = ContractWorld::Get();
  Input in(data, size);
  BlockContext ctx = w.NextBlock(1000);
  auto tx = w.NextTx(&in, ctx, 0, "");
  if (!tx) return 0;
  std::vector<Envelope> txs = {*tx};
  BlockResult a = w.engine->ExecuteBlock(w.state, ctx, txs);
  BlockResult b = w.engine->ExecuteBlock(w.state, ctx, txs);
  CheckBlockResult(txs, ctx, a, b);
  static const BlockResult empty = w.engine->ExecuteBlock(w.state, ctx, {});
  const Receipt& r = a.receipts.at(0);
  if (!r.ok) {
    for (const auto& op : a.writes) {
      bool in_empty_block = false;
      for (const auto& e : empty.writes) in_empty_block = in_empty_block || e.key == op.key;
      FUZZ_CHECK(in_empty_block || op.key.rfind("n|", 0) == 0 || op.key.rfind("x|", 0) == 0,
                 "rejected (" + r.code + ") but wrote " + op.key);
    }
    FUZZ_CHECK(a.alerts.size() == empty.alerts.size(), "a rejected transaction raised an alert");
  } else {
    FUZZ_CHECK(tx->type != "trace.teleport" && tx->signer != w.signers.back(),
               "accepted an unknown type or an unknown signer");
    FUZZ_CHECK(tx->chain_id == w.genesis.chain_id, "accepted another chain's transaction");
  }
  return 0;
}
