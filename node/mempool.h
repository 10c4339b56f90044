// The leader's pool of verified transactions waiting for a block.
//
// Bounded in count and bytes; duplicates (same tx id) are refused; order is
// arrival order (first come, first in a block).
//
// Thread-safety: all methods may be called from any thread.
#ifndef TRACELEDGER_NODE_MEMPOOL_H_
#define TRACELEDGER_NODE_MEMPOOL_H_

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "ledger/status.h"

namespace traceledger::node {

// A signed envelope as stored in a block (raw fields).
struct PendingTx {
  std::string tx_id;      // 32 raw bytes
  std::string payload;    // exact signed bytes
  std::string signer;     // 33 raw bytes
  std::string signature;  // 64 raw bytes
  int64_t arrival_ms = 0;
  size_t bytes() const { return payload.size() + signer.size() + signature.size(); }
};

struct MempoolOptions {
  size_t max_txs = 100000;
  size_t max_bytes = 256 << 20;
};

class Mempool {
 public:
  explicit Mempool(MempoolOptions options) : options_(options) {}

  // Errors: DUPLICATE (already pending), MEMPOOL_FULL (retry later).
  Status Add(PendingTx tx);
  // Removes and returns up to max_txs transactions / max_bytes bytes (at least
  // one transaction if any is pending), oldest first.
  std::vector<PendingTx> Take(size_t max_txs, size_t max_bytes);
  size_t size() const;
  size_t bytes() const;
  // Arrival time of the oldest pending transaction.
  std::optional<int64_t> oldest_arrival_ms() const;

 private:
  const MempoolOptions options_;
  mutable std::mutex mu_;
  std::deque<PendingTx> queue_;          // guarded by mu_
  std::unordered_set<std::string> ids_;  // guarded by mu_; ids in queue_
  size_t bytes_ = 0;                     // guarded by mu_
};

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_MEMPOOL_H_
