#include "node/mempool.h"

namespace traceledger::node {

Status Mempool::Add(PendingTx tx) {
  std::lock_guard<std::mutex> l(mu_);
  if (ids_.count(tx.tx_id)) {
    return Status::Error("DUPLICATE", "this transaction is already waiting for a block");
  }
  if (queue_.size() >= options_.max_txs || bytes_ + tx.bytes() > options_.max_bytes) {
    return Status::Error("MEMPOOL_FULL", "the node has " + std::to_string(queue_.size()) +
                                             " transactions waiting; retry in a moment");
  }
  bytes_ += tx.bytes();
  ids_.insert(tx.tx_id);
  queue_.push_back(std::move(tx));
  return Status::OK();
}

std::vector<PendingTx> Mempool::Take(size_t max_txs, size_t max_bytes) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<PendingTx> out;
  size_t taken_bytes = 0;
  while (!queue_.empty() && out.size() < max_txs) {
    size_t b = queue_.front().bytes();
    if (!out.empty() && taken_bytes + b > max_bytes) break;
    taken_bytes += b;
    bytes_ -= b;
    ids_.erase(queue_.front().tx_id);
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return out;
}

size_t Mempool::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}

size_t Mempool::bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_;
}

std::optional<int64_t> Mempool::oldest_arrival_ms() const {
  std::lock_guard<std::mutex> l(mu_);
  if (queue_.empty()) return std::nullopt;
  return queue_.front().arrival_ms;
}

}  // namespace traceledger::node
