// Interaction tests: leader election, pre-vote, check-quorum, and regressions
// for "two leaders in one term" and "pre-vote + check-quorum leave a node or the
// cluster without a leader".
#include "harness.h"

namespace traceledger::raft::testing {
namespace {

TEST(Election, CandidateWinsAndCommitsEmptyEntry) {
  Cluster c(3);
  c.Elect(1);
  EXPECT_EQ(c.r(1).term(), 1u);
  for (NodeId id : {2, 3}) {
    EXPECT_EQ(c.r(id).state(), StateType::kFollower);
    EXPECT_EQ(c.r(id).lead(), 1u);
    EXPECT_EQ(c.r(id).term(), 1u);
  }
  // The new leader's empty entry commits (and reaches followers with a heartbeat).
  EXPECT_EQ(c.r(1).log().committed(), 1u);
  EXPECT_EQ(c.r(1).log().At(1).type, EntryType::kEmpty);
  c.Tick(1);
  EXPECT_EQ(c.r(2).log().committed(), 1u);
}

TEST(Election, RandomizedTimeoutElectsExactlyOneLeader) {
  for (int n : {3, 5, 7}) {
    Cluster c(n);
    NodeId lead = kNone;
    for (int t = 0; t < 100 && lead == kNone; ++t) {
      c.TickAll();
      lead = c.Leader();
    }
    ASSERT_NE(lead, kNone) << n << " nodes elected nobody";
    for (NodeId id : c.voters()) EXPECT_EQ(c.r(id).lead(), lead);
  }
}

TEST(Election, SingleNodeElectsItselfAndCommits) {
  Cluster c(1);
  c.Elect(1);
  ASSERT_TRUE(c.Propose(1, "x").ok());
  EXPECT_EQ(c.r(1).log().committed(), 2u);
  ASSERT_EQ(c.node(1).applied.size(), 1u);
}

TEST(Election, LogNotUpToDateLosesVote) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  ASSERT_TRUE(c.Propose(1, "a").ok());  // committed by 1 and 2 only
  c.Heal();
  c.Isolate(1);
  // n3's log lacks "a": n2 refuses; n3 cannot win.
  ASSERT_TRUE(c.r(3).Campaign().ok());
  c.Stabilize();
  EXPECT_NE(c.r(3).state(), StateType::kLeader);
  // n2 can.
  c.Elect(2);
}

TEST(PreVote, IsolatedNodeDoesNotInflateTermNorDisruptOnReturn) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int t = 0; t < 100; ++t) c.Tick(3);
  EXPECT_EQ(c.r(3).term(), 1u) << "pre-vote must keep the term";
  EXPECT_EQ(c.r(3).state(), StateType::kPreCandidate);
  c.Heal();
  c.Tick(1);
  EXPECT_EQ(c.r(1).state(), StateType::kLeader);
  EXPECT_EQ(c.r(1).term(), 1u);
  EXPECT_EQ(c.r(3).state(), StateType::kFollower);
  EXPECT_EQ(c.r(3).lead(), 1u);
}

TEST(PreVote, WithoutPreVoteAnIsolatedNodeDisrupts) {
  Cluster c(3, [](Config& cfg) {
    cfg.pre_vote = false;
    cfg.check_quorum = false;
  });
  c.Elect(1);
  c.Isolate(3);
  for (int t = 0; t < 100; ++t) c.Tick(3);
  EXPECT_GT(c.r(3).term(), 1u);
  c.Heal();
  c.TickAll(30);  // n3 campaigns at its inflated term and deposes n1
  EXPECT_GT(c.r(1).term(), 1u);
}

TEST(CheckQuorum, IsolatedLeaderStepsDown) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  // The quorum is checked once per election timeout, over the window that just
  // ended: stepping down takes at most two timeouts.
  for (int t = 0; t < 20; ++t) c.Tick(1);
  EXPECT_EQ(c.r(1).state(), StateType::kFollower);
  EXPECT_EQ(c.r(1).lead(), kNone);
}

TEST(CheckQuorum, FollowerInLeaseIgnoresVotes) {
  Cluster c(3);
  c.Elect(1);
  // n3 heard from n1 just now: it ignores n2's vote request even at a higher term.
  Message v;
  v.type = MessageType::kVote;
  v.from = 2;
  v.to = 3;
  v.term = 5;
  v.index = c.r(2).log().LastIndex();
  v.log_term = c.r(2).log().LastTerm();
  ASSERT_TRUE(c.r(3).Step(v).ok());
  EXPECT_EQ(c.r(3).term(), 1u);
  EXPECT_EQ(c.r(3).vote(), 1u);
}

TEST(CheckQuorum, ClusterRecoversAfterLeaderStepsDown) {
  // Regression: with pre-vote and check-quorum both on, a leader that steps
  // down while followers still count it as live must not leave the cluster
  // without a leader.
  Cluster c(3);
  c.Elect(1);
  c.Cut(1, 2);
  c.Cut(1, 3);
  for (int t = 0; t < 20; ++t) c.Tick(1);
  ASSERT_EQ(c.r(1).state(), StateType::kFollower);
  c.Heal();
  NodeId lead = kNone;
  for (int t = 0; t < 60 && lead == kNone; ++t) {
    c.TickAll();
    lead = c.Leader();
  }
  ASSERT_NE(lead, kNone);
  ASSERT_TRUE(c.Propose(lead, "after").ok());
  c.TickAll();
  for (NodeId id : c.voters()) EXPECT_EQ(c.node(id).applied.back().data, "after");
}

TEST(CheckQuorum, NodeWithHigherTermAndStaleLogRejoins) {
  // Regression ("stuck node" with pre-vote + check-quorum): n3 comes back with
  // a higher term but a stale log. It cannot win an election, and the leader's
  // lower-term messages used to be ignored, leaving n3 without a leader forever.
  // n3 now answers them with its term, the leader steps down, and a node with
  // an up-to-date log wins a new, higher term that n3 follows.
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.Propose(1, Str("e", i)).ok());
  c.node(3).disk.hs.term = 10;  // as if it had run many elections while away
  c.Restart(3);
  c.Heal();
  NodeId lead = kNone;
  for (int t = 0; t < 100; ++t) {
    c.TickAll();
    lead = c.Leader();
    if (lead != kNone && c.r(3).lead() == lead) break;
  }
  ASSERT_NE(lead, kNone);
  EXPECT_NE(lead, 3u);
  EXPECT_GT(c.r(lead).term(), 10u);
  EXPECT_EQ(c.r(3).lead(), lead);
  EXPECT_EQ(c.r(3).log().LastIndex(), c.r(lead).log().LastIndex());
}

TEST(ElectionSafety, VoteSurvivesRestart) {
  // Regression for two leaders in one term: a vote must be durable.
  Cluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  c.Isolate(1);
  c.Cut(2, 3);
  ASSERT_TRUE(c.r(1).Campaign().ok());  // pre-vote: no term change yet
  c.Heal();
  c.Cut(1, 3);  // n1 can reach only n2
  c.Cut(2, 3);
  c.Stabilize();
  ASSERT_EQ(c.r(1).state(), StateType::kLeader);
  ASSERT_EQ(c.r(2).vote(), 1u);
  c.Restart(2);
  EXPECT_EQ(c.r(2).vote(), 1u);
  EXPECT_EQ(c.r(2).term(), c.r(1).term());
  // n3 campaigns for the same term n1 leads; n2 (restarted) must refuse.
  Message v;
  v.type = MessageType::kVote;
  v.from = 3;
  v.to = 2;
  v.term = c.r(1).term();
  v.index = 100;
  v.log_term = 100;
  ASSERT_TRUE(c.r(2).Step(v).ok());
  Ready rd = c.r(2).GetReady();
  c.r(2).Advance();
  bool rejected = false;
  for (const auto& m : rd.messages) {
    if (m.type == MessageType::kVoteResp && m.to == 3) rejected = m.reject;
  }
  EXPECT_TRUE(rejected);
}

TEST(ElectionSafetyDeathTest, LeaderSeeingAnotherLeaderOfItsTermAborts) {
  Cluster c(3);
  c.Elect(1);
  Message app;
  app.type = MessageType::kApp;
  app.from = 2;
  app.to = 1;
  app.term = c.r(1).term();
  EXPECT_DEATH((void)c.r(1).Step(app), "election safety");
}

TEST(Step, RejectsMalformedMessages) {
  Cluster c(3);
  Message m;
  m.type = MessageType::kHeartbeat;
  m.from = 9;  // not a member
  m.to = 1;
  m.term = 1;
  EXPECT_FALSE(c.r(1).Step(m).ok());
  m.from = 2;
  m.to = 3;  // addressed to someone else
  EXPECT_FALSE(c.r(1).Step(m).ok());
  m.to = 1;
  m.type = MessageType::kNone;
  EXPECT_FALSE(c.r(1).Step(m).ok());
  EXPECT_EQ(c.r(1).term(), 0u);
}

TEST(Propose, NoLeaderIsAClearError) {
  Cluster c(3);
  Status st = c.r(2).Propose("x");
  EXPECT_TRUE(st.Is("NO_LEADER")) << st.ToString();
  EXPECT_TRUE(c.r(2).ReadIndex("r").Is("NO_LEADER"));
}

TEST(Propose, FollowerForwardsToLeader) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.Propose(3, "via-follower").ok());
  c.Tick(1);
  for (NodeId id : c.voters()) {
    ASSERT_EQ(c.node(id).applied.size(), 1u);
    EXPECT_EQ(c.node(id).applied[0].data, "via-follower");
  }
}

}  // namespace
}  // namespace traceledger::raft::testing
