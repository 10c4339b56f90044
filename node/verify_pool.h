// A fixed pool of threads that parses and verifies envelopes in parallel
// (signature checks dominate the cost of applying a block and of accepting
// forwarded submissions).
//
// Thread-safety: VerifyAll may be called from several threads; each call
// blocks until its whole batch is done.
#ifndef TRACELEDGER_NODE_VERIFY_POOL_H_
#define TRACELEDGER_NODE_VERIFY_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/envelope.h"

namespace traceledger::node {

struct RawTx {
  const std::string* payload;
  const std::string* signer;
  const std::string* signature;
};

class VerifyPool {
 public:
  // threads < 0: one per hardware thread, at most 8; 0: no threads, VerifyAll
  // works on the caller's thread.
  explicit VerifyPool(int threads = -1);
  ~VerifyPool();
  VerifyPool(const VerifyPool&) = delete;
  VerifyPool& operator=(const VerifyPool&) = delete;

  // Parses and verifies every transaction; result i belongs to txs[i].
  std::vector<Result<Envelope>> VerifyAll(const std::vector<RawTx>& txs, HashAlg alg);

 private:
  void Worker();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_VERIFY_POOL_H_
