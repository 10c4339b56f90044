#include "node/verify_pool.h"

#include <gtest/gtest.h>

#include <thread>

#include "ledger/keys.h"

namespace traceledger::node {
namespace {

TEST(VerifyPool, ParallelResultsEqualSequentialOnes) {
  KeyPair kp = *GenerateKeyPair();
  struct Parts {
    std::string payload, signer, signature;
  };
  std::vector<Parts> parts;
  for (int i = 0; i < 500; ++i) {
    std::string payload = R"({"chain_id":"c","type":"trace.ship","nonce":")" + std::to_string(i) +
                          R"(","time":"2026-11-30T08:00:00Z","body":{}})";
    std::string sig = *SignDigest(kp.private_key, Hash(HashAlg::kSha256, payload));
    if (i % 7 == 0) sig[5] ^= 1;             // a broken signature
    if (i % 11 == 0) payload += " garbage";  // a malformed payload
    parts.push_back({payload, kp.public_key, sig});
  }
  std::vector<RawTx> raw;
  for (auto& p : parts) raw.push_back({&p.payload, &p.signer, &p.signature});
  VerifyPool pool(4);
  // Several callers at once share the pool.
  std::vector<std::thread> callers;
  std::vector<std::vector<Result<Envelope>>> results(3);
  for (int c = 0; c < 3; ++c) {
    callers.emplace_back([&, c] { results[c] = pool.VerifyAll(raw, HashAlg::kSha256); });
  }
  for (auto& t : callers) t.join();
  for (int c = 0; c < 3; ++c) {
    ASSERT_EQ(results[c].size(), raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      auto expected = ParseEnvelopeParts(parts[i].payload, parts[i].signer, parts[i].signature,
                                         HashAlg::kSha256);
      ASSERT_EQ(results[c][i].status().code(), expected.status().code()) << i;
      if (expected.ok()) EXPECT_EQ(results[c][i]->tx_id, expected->tx_id);
    }
  }
}

}  // namespace
}  // namespace traceledger::node
