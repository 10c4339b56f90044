#include "node/verified_cache.h"

#include <gtest/gtest.h>

namespace traceledger::node {
namespace {

Envelope Env(int i, size_t payload_bytes = 10) {
  Envelope e;
  e.tx_id = "id" + std::to_string(i);
  e.payload = std::string(payload_bytes, static_cast<char>('a' + i % 26));
  e.signer = "signer";
  e.signature = "sig" + std::to_string(i);
  return e;
}

TEST(VerifiedCache, TakesOnlyTheSameBytesAndOnlyOnce) {
  VerifiedCache c(10, 1000);
  Envelope e = Env(1);
  c.Put(e);
  // Another signature for the same tx id (same signer and payload): not vouched for.
  EXPECT_FALSE(c.Take(e.tx_id, e.payload, e.signer, "other").has_value());
  EXPECT_EQ(c.size(), 0u);  // the mismatch dropped the entry
  c.Put(e);
  auto got = c.Take(e.tx_id, e.payload, e.signer, e.signature);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->signature, e.signature);
  EXPECT_FALSE(c.Take(e.tx_id, e.payload, e.signer, e.signature).has_value());
  EXPECT_EQ(c.payload_bytes(), 0u);
}

TEST(VerifiedCache, EvictsOldestFirstByCount) {
  VerifiedCache c(3, 1 << 20);
  for (int i = 0; i < 5; ++i) c.Put(Env(i));
  EXPECT_EQ(c.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    Envelope e = Env(i);
    EXPECT_FALSE(c.Take(e.tx_id, e.payload, e.signer, e.signature).has_value()) << i;
  }
  for (int i = 2; i < 5; ++i) {
    Envelope e = Env(i);
    EXPECT_TRUE(c.Take(e.tx_id, e.payload, e.signer, e.signature).has_value()) << i;
  }
}

TEST(VerifiedCache, EvictsOldestFirstByPayloadBytes) {
  VerifiedCache c(100, 250);
  for (int i = 0; i < 4; ++i) c.Put(Env(i, 100));  // 400 bytes offered, 250 allowed
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.payload_bytes(), 200u);
  Envelope newest = Env(3, 100);
  EXPECT_TRUE(c.Take(newest.tx_id, newest.payload, newest.signer, newest.signature).has_value());
  c.Put(Env(9, 1000));  // larger than the whole cache: not kept
  EXPECT_EQ(c.size(), 1u);
}

TEST(VerifiedCache, TakenEntriesDoNotGrowTheOrderWithoutBound) {
  VerifiedCache c(4, 1 << 20);
  for (int i = 0; i < 10000; ++i) {
    Envelope e = Env(i);
    c.Put(e);
    ASSERT_TRUE(c.Take(e.tx_id, e.payload, e.signer, e.signature).has_value());
  }
  // A replaced entry keeps its newest bytes.
  c.Put(Env(1));
  Envelope again = Env(1);
  again.signature = "newer";
  c.Put(again);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_TRUE(c.Take(again.tx_id, again.payload, again.signer, "newer").has_value());
  c.Put(Env(2));
  c.Erase(Env(2).tx_id);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.payload_bytes(), 0u);
}

}  // namespace
}  // namespace traceledger::node
