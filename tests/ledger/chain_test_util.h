// Helpers shared by the block store and chain verification tests: scratch
// directories and small valid chains.
#ifndef TRACELEDGER_TESTS_LEDGER_CHAIN_TEST_UTIL_H_
#define TRACELEDGER_TESTS_LEDGER_CHAIN_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>

#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/hash.h"

namespace traceledger {
namespace testing_util {

// A fresh directory under the test temp dir, removed on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("tl_" + std::string(info ? info->name() : "x") + "_" + std::to_string(getpid()) + "_" +
             std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline std::string GenesisHash(HashAlg alg) { return Hash(alg, "genesis of traceledger-test"); }

// Fills in one transaction: (payload, signer, signature). The default makes a
// well-formed but unsigned transaction; chain tests pass a real signer.
using TxMaker = std::function<void(uint64_t height, int index, pb::Transaction* tx)>;

inline void FakeTx(uint64_t height, int index, pb::Transaction* tx) {
  tx->set_payload("{\"chain_id\":\"traceledger-test\",\"type\":\"trace.ship\",\"nonce\":\"" +
                  std::to_string(height) + "-" + std::to_string(index) +
                  "\",\"time\":\"2026-11-30T08:00:00Z\",\"body\":{}}");
  tx->set_signer(std::string(1, '\x02') + std::string(32, static_cast<char>(index + 1)));
  tx->set_signature(std::string(64, static_cast<char>(height)));
}

// A sealed block at `height` after `prev_hash` with `n` transactions; every
// second one is rejected.
inline pb::Block MakeBlock(HashAlg alg, uint64_t height, const std::string& prev_hash, int n,
                           const TxMaker& make_tx = FakeTx) {
  pb::Block b;
  pb::BlockHeader* h = b.mutable_header();
  h->set_chain_id("traceledger-test");
  h->set_height(height);
  h->set_prev_hash(prev_hash);
  h->set_time(1796025600000 + static_cast<int64_t>(height) * 1000);
  h->set_proposer("n1");
  h->set_raft_term(1);
  h->set_raft_index(height + 1);
  h->set_state_hash(Hash(alg, "state " + std::to_string(height)));
  for (int i = 0; i < n; ++i) {
    pb::Transaction* tx = b.add_transactions();
    make_tx(height, i, tx);
    pb::Receipt* r = b.add_receipts();
    r->set_tx_id(TransactionId(alg, *tx));
    r->set_ok(i % 2 == 0);
    if (i % 2 == 1) {
      r->set_code("NOT_CUSTODIAN");
      r->set_message("the signer does not hold the item");
    }
    r->set_height(height);
    r->set_index(static_cast<uint32_t>(i));
  }
  SealBlock(alg, &b);
  return b;
}

}  // namespace testing_util
}  // namespace traceledger

#endif  // TRACELEDGER_TESTS_LEDGER_CHAIN_TEST_UTIL_H_
