#include "node/verify_pool.h"

#include <algorithm>
#include <atomic>
#include <optional>

namespace traceledger::node {

VerifyPool::VerifyPool(int threads) {
  if (threads < 0)
    threads = std::clamp<int>(static_cast<int>(std::thread::hardware_concurrency()), 1, 8);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Worker(); });
}

VerifyPool::~VerifyPool() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void VerifyPool::Worker() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return stop_ || !tasks_.empty(); });
      if (stop_ && tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

std::vector<Result<Envelope>> VerifyPool::VerifyAll(const std::vector<RawTx>& txs, HashAlg alg) {
  std::vector<std::optional<Result<Envelope>>> out(txs.size());
  auto verify = [&](size_t i) {
    out[i] = ParseEnvelopeParts(*txs[i].payload, *txs[i].signer, *txs[i].signature, alg);
  };
  // Small batches are not worth a hand-off.
  if (txs.size() < 8 || threads_.empty()) {
    for (size_t i = 0; i < txs.size(); ++i) verify(i);
  } else {
    // Work sharing over one index; the caller works too. The caller returns
    // only after every run it queued has finished (they use its stack).
    std::atomic<size_t> next{0};
    size_t finished = 0;  // guarded by done_mu
    std::mutex done_mu;
    std::condition_variable done_cv;
    auto run = [&] {
      for (size_t i = next++; i < txs.size(); i = next++) verify(i);
      std::lock_guard<std::mutex> l(done_mu);
      ++finished;
      done_cv.notify_all();
    };
    size_t helpers = std::min(threads_.size(), txs.size() / 8);
    {
      std::lock_guard<std::mutex> l(mu_);
      for (size_t h = 0; h < helpers; ++h) tasks_.push_back(run);
    }
    cv_.notify_all();
    run();
    std::unique_lock<std::mutex> l(done_mu);
    done_cv.wait(l, [&] { return finished == helpers + 1; });
  }
  std::vector<Result<Envelope>> results;
  results.reserve(txs.size());
  for (auto& r : out) results.push_back(std::move(*r));
  return results;
}

}  // namespace traceledger::node
