// Real tracenode processes on loopback (docs/operations.md): agreement across
// nodes, crash and restart of a follower, a leader stopped with SIGTERM, kill -9
// after acknowledged commits, verify-chain on stopped nodes.
#include <gtest/gtest.h>
#include <signal.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "assert_ok.h"
#include "cluster.h"
#include "contracts/ids.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"
#include "tools/api_client.h"

namespace traceledger::mp {
namespace {

// Submits `count` enrolments through `node`; returns their tx ids.
std::vector<std::string> SubmitMany(Cluster& c, int node, int first, int count) {
  std::vector<std::string> ids;
  for (int n = first; n < first + count; ++n) {
    auto env = c.EnrollEnvelope(n);
    EXPECT_TRUE(env.ok()) << env.status().ToString();
    if (!env.ok()) break;
    auto id = c.SubmitOk(node, *env);
    EXPECT_TRUE(id.ok()) << "tx " << n << " via node " << node << ": " << id.status().ToString()
                         << "\n"
                         << c.LogTail(node);
    if (!id.ok()) break;
    ids.push_back(*id);
  }
  return ids;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t MaxHeight(Cluster& c) {
  uint64_t h = 0;
  for (int i = 0; i < c.size(); ++i) {
    if (c.running(i)) h = std::max(h, c.Height(i));
  }
  return h;
}

// Creates the cluster's files, starts every node and waits (20 s at most)
// until they agree on a leader; returns its index.
Result<int> StartWithLeader(Cluster& c) {
  TL_RETURN_IF_ERROR(c.Create());
  for (int i = 0; i < c.size(); ++i) TL_RETURN_IF_ERROR(c.Start(i));
  return c.WaitForLeader(20000);
}

TEST(MultiProcess, ThreeNodesAgreeOnEveryBlock) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  auto leader = StartWithLeader(c);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  int follower = (*leader + 1) % 3;
  auto a = SubmitMany(c, follower, 1, 6);  // forwarded to the leader
  auto b = SubmitMany(c, *leader, 100, 6);
  ASSERT_EQ(a.size() + b.size(), 12u);
  uint64_t h = MaxHeight(c);
  ASSERT_GE(h, 1u);
  ASSERT_OK(c.WaitForHeight(h, 15000));
  ASSERT_OK(c.CompareBlocks(h));
  // Every transaction is readable from every node.
  for (int i = 0; i < 3; ++i) {
    auto t = cli::GetJson(c.url(i), "/v1/transactions/" + a[0]);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ((*t)["receipt"]["status"], "ok");
  }
}

// ?consistent=true over HTTP on a follower: right after a commit acknowledged
// by the leader the follower's answer has it; without a leader the answer is
// the retryable NO_LEADER.
TEST(MultiProcess, ConsistentReadsOnAFollower) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  auto leader = StartWithLeader(c);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  int follower = (*leader + 1) % 3;
  for (int n = 1; n <= 5; ++n) {
    auto env = c.EnrollEnvelope(n);
    ASSERT_TRUE(env.ok());
    auto id = c.SubmitOk(*leader, *env);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    auto t = cli::GetJson(c.url(follower), "/v1/transactions/" + *id + "?consistent=true", 15000);
    ASSERT_TRUE(t.ok()) << "commit " << n << ": " << t.status().ToString();
    EXPECT_EQ((*t)["receipt"]["status"], "ok");
  }
  for (int i = 0; i < 3; ++i) {
    if (i != follower) ASSERT_OK(c.Stop(i, SIGTERM));
  }
  auto none = cli::GetJson(c.url(follower), "/v1/blocks/latest?consistent=true&timeout_ms=500");
  EXPECT_TRUE(none.status().Is("NO_LEADER")) << none.status().ToString();
  EXPECT_TRUE(cli::GetJson(c.url(follower), "/v1/blocks/latest").ok()) << "plain reads go on";
}

// A trace answer showing a block before every validator has attested it is
// cached, and dropped when the missing attestation arrives (api/trace_cache.h):
// a paused validator's attestation, once it resumes, shows in the next answer.
TEST(MultiProcess, CachedTraceAnswerFollowsALateAttestation) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  auto leader = StartWithLeader(c);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int paused = (*leader + 1) % 3;
  auto maker = GenerateKeyPair();
  ASSERT_TRUE(maker.ok());
  const std::string gtin = "06901234567892", code = "(01)06901234567892(21)MP0001";
  const std::string uscc = "91330100MA0000042" + std::string(1, UsccCheckChar("91330100MA0000042"));
  std::vector<std::pair<const KeyPair*, std::pair<std::string, nlohmann::json>>> setup = {
      {nullptr,
       {"registry.enroll",
        {{"uscc", uscc},
         {"name", "MP Maker"},
         {"roles", {"manufacturer"}},
         {"public_key", ToHex(maker->public_key)},
         {"region", "330100"}}}},
      {&*maker,
       {"product.register",
        {{"product_code", gtin}, {"name", "MP vaccine"}, {"category", "vaccine"}}}},
      {&*maker,
       {"trace.commission",
        {{"product_code", gtin},
         {"lot", "MP-LOT"},
         {"expiry", "2030-01-31"},
         {"codes", {code}},
         {"location", "loopback"}}}},
  };
  for (const auto& [key, tx] : setup) {
    auto env = c.Envelope(key, tx.first, tx.second);
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    ASSERT_OK(c.SubmitOk(*leader, *env).status());
  }
  ASSERT_OK(c.Signal(paused, SIGSTOP));
  auto reading = c.Envelope(
      &*maker, "trace.reading",
      {{"codes", {code}},
       {"device", "mp-fridge"},
       {"readings", {{{"time", FormatRfc3339Millis(NowMillis() - 500)}, {"celsius", 5.0}}}}});
  ASSERT_TRUE(reading.ok());
  auto id = c.SubmitOk(*leader, *reading);  // committed by the two running validators
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto tx = cli::GetJson(c.url(*leader), "/v1/transactions/" + *id);
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  const uint64_t height = (*tx)["height"];
  std::string path = "/v1/trace/";
  for (unsigned char ch : code) {  // URL-encoded: ( and ) as %28 and %29
    char hex[4];
    std::snprintf(hex, sizeof hex, "%%%02X", ch);
    path += std::isalnum(ch) ? std::string(1, static_cast<char>(ch)) : std::string(hex);
  }
  // The attestations the leader's answer shows for the reading's block (and,
  // for a failure message, whose they are).
  std::string who;
  auto attested = [&]() -> int {
    auto a = cli::GetJson(c.url(*leader), path);
    if (!a.ok()) return -1;
    for (const auto& b : (*a)["proof"]["blocks"]) {
      if (b["height"] != height) continue;
      who.clear();
      for (const auto& at : b["attestations"]) who += at.value("node_id", "?") + " ";
      return static_cast<int>(b["attestations"].size());
    }
    return -2;
  };
  // The two running validators' attestations (the other one's may arrive
  // after the first answer, which then changes: wait for it).
  int before = attested();
  for (int i = 0; i < 300 && before < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    before = attested();
  }
  EXPECT_EQ(before, 2) << "the paused validator (node " << paused
                       << ") cannot have attested; the other one must. Block " << height
                       << " attested by: " << who << "\n"
                       << c.LogTail(*leader);
  EXPECT_EQ(attested(), 2);  // served again (from the answer cache)
  ASSERT_OK(c.Signal(paused, SIGCONT));
  int after = before;
  for (int i = 0; i < 300 && after < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = attested();
  }
  EXPECT_EQ(after, 3) << "the resumed validator's attestation never showed:\n"
                      << c.LogTail(*leader);
}

TEST(MultiProcess, KilledFollowerCatchesUp) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  auto leader = StartWithLeader(c);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  int victim = (*leader + 1) % 3;
  ASSERT_EQ(SubmitMany(c, *leader, 1, 4).size(), 4u);
  ASSERT_OK(c.Stop(victim, SIGKILL));
  ASSERT_EQ(SubmitMany(c, *leader, 100, 8).size(), 8u);  // a majority of two still commits
  ASSERT_OK(c.Start(victim));
  uint64_t h = MaxHeight(c);
  ASSERT_OK(c.WaitForHeight(h, 20000));
  ASSERT_OK(c.CompareBlocks(h));
  EXPECT_GE(c.Height(victim), h);
}

TEST(MultiProcess, LeaderStoppedNewLeaderTakesOverOldOneCatchesUp) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  auto leader = StartWithLeader(c);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  int old = *leader;
  ASSERT_EQ(SubmitMany(c, old, 1, 4).size(), 4u);
  ASSERT_OK(c.Stop(old, SIGTERM));
  auto next = c.WaitForLeader(20000);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_NE(*next, old);
  int other = 3 - old - *next;
  ASSERT_EQ(SubmitMany(c, other, 100, 4).size(), 4u);  // through the new follower
  ASSERT_EQ(SubmitMany(c, *next, 200, 4).size(), 4u);
  ASSERT_OK(c.Start(old));
  uint64_t h = MaxHeight(c);
  ASSERT_OK(c.WaitForHeight(h, 20000));
  ASSERT_OK(c.CompareBlocks(h));
  ASSERT_TRUE(c.WaitForLeader(10000).ok());
}

// A validator that joins late, with an empty data directory, catches up from
// the leader's Raft log. (Wiping the data of a validator that already took part
// is not supported: the leader believes the entries it acknowledged are there —
// see docs/operations.md.)
TEST(MultiProcess, LateValidatorStartedEmptyCatchesUp) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  ASSERT_OK(c.Create());
  ASSERT_OK(c.Start(0));
  ASSERT_OK(c.Start(1));
  auto leader = c.WaitForLeader(20000);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  ASSERT_EQ(SubmitMany(c, *leader, 1, 8).size(), 8u);
  ASSERT_OK(c.Start(2));
  uint64_t h = MaxHeight(c);
  ASSERT_OK(c.WaitForHeight(h, 20000));
  ASSERT_OK(c.CompareBlocks(h));
  // And it takes part from then on.
  ASSERT_EQ(SubmitMany(c, 2, 100, 2).size(), 2u);
}

TEST(MultiProcess, DevNodeKeepsAcknowledgedTransactionsAcrossKill9) {
  TempDir tmp;
  Cluster c(tmp.path(), 0);
  ASSERT_OK(c.Create());
  ASSERT_OK(c.Start(0));
  ASSERT_TRUE(c.WaitForLeader(20000).ok());
  auto ids = SubmitMany(c, 0, 1, 15);
  ASSERT_EQ(ids.size(), 15u);
  ASSERT_OK(c.Stop(0, SIGKILL));  // right after the last acknowledgement
  ASSERT_OK(c.Start(0));
  for (const auto& id : ids) {
    auto t = cli::GetJson(c.url(0), "/v1/transactions/" + id);
    ASSERT_TRUE(t.ok()) << id << ": " << t.status().ToString();
    EXPECT_EQ((*t)["receipt"]["status"], "ok");
  }
  // And it still takes transactions.
  ASSERT_TRUE(c.WaitForLeader(20000).ok());
  EXPECT_EQ(SubmitMany(c, 0, 100, 2).size(), 2u);
}

TEST(MultiProcess, VerifyChainPassesOnStoppedNodes) {
  TempDir tmp;
  Cluster c(tmp.path(), 3);
  auto leader = StartWithLeader(c);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  ASSERT_EQ(SubmitMany(c, *leader, 1, 6).size(), 6u);
  uint64_t h = MaxHeight(c);
  ASSERT_OK(c.WaitForHeight(h, 15000));
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.Stop(i, i == 0 ? SIGKILL : SIGTERM));
  for (int i = 0; i < 3; ++i) {
    std::string log = tmp.path() + "/verify-" + std::to_string(i) + ".log";
    int rc =
        RunProgram({TRACECTL_BIN, "verify-chain", "--data", c.data_dir(i) + "/blocks"}, log, 20000);
    EXPECT_EQ(rc, 0) << ReadAll(log);
    EXPECT_NE(ReadAll(log).find("verify-chain: ok"), std::string::npos) << ReadAll(log);
  }
}

}  // namespace
}  // namespace traceledger::mp
