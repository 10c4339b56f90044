// Fuzz target: the contract engine executing a block of fuzzed transactions
// from a fixed state (contracts/engine.h).
//
// Input: one byte choosing the block time (a second after the fixed state's
// last block, or 4 days later, when its open shipments are overdue), then up
// to 32 transactions as fuzz/contract_world.h decodes them, one after another.
//
// Oracle: CheckBlockResult (fuzz/contract_world.h): the block executes twice
// to the same state hash, writes, receipts and alerts; receipts and alerts are
// valid UTF-8 and every receipt survives protobuf; every record written
// decodes and holds valid text. Then the block is applied and a second,
// empty, block executes on the result (what the block wrote must be readable
// by the next one).
#include "contract_world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  const ContractWorld& w = ContractWorld::Get();
  Input in(data, size);
  uint8_t when = in.Byte();
  BlockContext ctx = w.NextBlock(when & 1 ? 4LL * 86400 * 1000 : 1000);
  std::vector<Envelope> txs;
  std::string prev_nonce;
  for (size_t i = 0; i < 32 && !in.empty(); ++i) {
    auto tx = w.NextTx(&in, ctx, i, prev_nonce);
    if (!tx) continue;
    prev_nonce = tx->nonce;
    txs.push_back(std::move(*tx));
  }
  if (txs.empty()) return 0;
  BlockResult a = w.engine->ExecuteBlock(w.state, ctx, txs);
  BlockResult b = w.engine->ExecuteBlock(w.state, ctx, txs);
  CheckBlockResult(txs, ctx, a, b);
  // The next block reads what this one wrote.
  OverlayState next(w.state, a.writes);
  BlockContext ctx2{ctx.height + 1, ctx.time_ms + 1000, "v1", a.state_hash};
  BlockResult c = w.engine->ExecuteBlock(next, ctx2, {});
  BlockResult d = w.engine->ExecuteBlock(next, ctx2, {});
  CheckBlockResult({}, ctx2, c, d);
  return 0;
}
