// Interaction tests: ReadIndex (including the stale-leader regression) and
// leadership transfer.
#include "harness.h"

namespace traceledger::raft::testing {
namespace {

TEST(ReadIndex, LeaderConfirmsWithQuorumThenAnswers) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.Propose(1, "x").ok());
  ASSERT_TRUE(c.r(1).ReadIndex("ctx1").ok());
  c.Stabilize();
  ASSERT_EQ(c.node(1).reads.size(), 1u);
  EXPECT_EQ(c.node(1).reads[0].context, "ctx1");
  EXPECT_EQ(c.node(1).reads[0].index, 2u);
}

TEST(ReadIndex, FollowerRequestIsForwarded) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.Propose(1, "x").ok());
  ASSERT_TRUE(c.r(3).ReadIndex("f").ok());
  c.Stabilize();
  ASSERT_EQ(c.node(3).reads.size(), 1u);
  EXPECT_EQ(c.node(3).reads[0].context, "f");
  EXPECT_EQ(c.node(3).reads[0].index, c.r(1).log().committed());
}

TEST(ReadIndex, NoAnswerWithoutAQuorum) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  ASSERT_TRUE(c.r(1).ReadIndex("lonely").ok());
  for (int t = 0; t < 5; ++t) c.Tick(1);
  EXPECT_TRUE(c.node(1).reads.empty());
}

TEST(ReadIndex, StaleLeaderNeverServesReads) {
  // Regression: n1 is deposed while partitioned and, without check-quorum,
  // still believes it leads. Its read must not be answered: its commit index
  // misses the write the new leader committed.
  Cluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  c.Elect(1);
  c.Isolate(1);
  c.Elect(2);
  ASSERT_TRUE(c.Propose(2, "new-write").ok());
  ASSERT_EQ(c.r(1).state(), StateType::kLeader) << "n1 is stale but does not know it";
  ASSERT_TRUE(c.r(1).ReadIndex("stale").ok());
  for (int t = 0; t < 5; ++t) c.Tick(1);
  EXPECT_TRUE(c.node(1).reads.empty());
  // Even once messages flow again the stale request is not answered: the
  // heartbeat meets a higher term and n1 steps down, dropping the read.
  c.Heal();
  c.Tick(1);
  EXPECT_TRUE(c.node(1).reads.empty());
  EXPECT_EQ(c.r(1).state(), StateType::kFollower);
  EXPECT_EQ(c.r(1).pending_reads(), 0u);
}

TEST(ReadIndex, OneWayPartitionedLeaderCannotConfirm) {
  // n1 can send but hears nothing back: no acknowledgement, no read.
  Cluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  c.Elect(1);
  c.CutOneWay(2, 1);
  c.CutOneWay(3, 1);
  ASSERT_TRUE(c.r(1).ReadIndex("r").ok());
  for (int t = 0; t < 5; ++t) c.Tick(1);
  EXPECT_TRUE(c.node(1).reads.empty());
}

TEST(ReadIndex, WaitsForFirstCommitOfTheTerm) {
  Cluster c(3);
  // Hold back acknowledgements so the new leader cannot commit its empty entry.
  c.SetFilter([](const Message& m) { return m.type == MessageType::kAppResp; });
  c.Elect(1);
  ASSERT_EQ(c.r(1).log().committed(), 0u);
  ASSERT_TRUE(c.r(1).ReadIndex("early").ok());
  c.Tick(1);
  EXPECT_TRUE(c.node(1).reads.empty());
  c.SetFilter(nullptr);
  c.Tick(1);
  c.Tick(1);
  ASSERT_EQ(c.node(1).reads.size(), 1u);
  EXPECT_GE(c.node(1).reads[0].index, 1u);
}

TEST(Transfer, ToUpToDateFollower) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.r(1).TransferLeadership(2).ok());
  c.Stabilize();
  EXPECT_EQ(c.r(2).state(), StateType::kLeader);
  EXPECT_EQ(c.r(2).term(), 2u);
  EXPECT_EQ(c.r(1).state(), StateType::kFollower);
  EXPECT_EQ(c.r(1).lead(), 2u);
}

TEST(Transfer, ToLaggingFollowerCatchesItUpFirst) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.Propose(1, "p").ok());
  c.Heal();
  ASSERT_LT(c.r(3).log().LastIndex(), c.r(1).log().LastIndex());
  ASSERT_TRUE(c.r(1).TransferLeadership(3).ok());
  c.Stabilize();
  EXPECT_EQ(c.r(3).state(), StateType::kLeader);
  EXPECT_GE(c.r(3).log().committed(), 6u);
}

TEST(Transfer, RequestedByTheFollowerItself) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.r(3).TransferLeadership(3).ok());
  c.Stabilize();
  EXPECT_EQ(c.r(3).state(), StateType::kLeader);
}

TEST(Transfer, BlocksProposalsAndAbortsAfterElectionTimeout) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  ASSERT_TRUE(c.r(1).TransferLeadership(3).ok());
  c.Stabilize();
  EXPECT_EQ(c.r(1).lead_transferee(), 3u);
  EXPECT_TRUE(c.Propose(1, "x").Is("LEADER_TRANSFER_IN_PROGRESS"));
  for (int t = 0; t < 10; ++t) c.Tick(1);
  EXPECT_EQ(c.r(1).lead_transferee(), kNone);
  EXPECT_EQ(c.r(1).state(), StateType::kLeader);
  EXPECT_TRUE(c.Propose(1, "x").ok());
}

TEST(Transfer, RejectsUnknownTarget) {
  Cluster c(3);
  c.Elect(1);
  EXPECT_FALSE(c.r(1).TransferLeadership(9).ok());
}

}  // namespace
}  // namespace traceledger::raft::testing
