// Interaction tests: log replication, repair after a long partition (fast
// backtracking), pipelining, flow control, batching, the uncommitted bound,
// snapshots, restart; regressions for the current-term commit rule and for a
// follower committing past the prefix it matched.
#include "harness.h"

namespace traceledger::raft::testing {
namespace {

Entry E(uint64_t index, uint64_t term, std::string data = "") {
  Entry e;
  e.index = index;
  e.term = term;
  e.data = std::move(data);
  return e;
}

TEST(Replication, RepairAfterLongPartitionUsesFewRoundTrips) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.Propose(1, "base").ok());
  c.Isolate(1);
  // The old leader keeps accepting proposals it can never commit.
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(c.Propose(1, Str("lost", i)).ok());
  NodeId lead = kNone;
  for (int t = 0; t < 60 && (lead == kNone || lead == 1); ++t) {
    c.Tick(2);
    c.Tick(3);
    lead = c.r(2).state() == StateType::kLeader ? 2 : c.r(3).state() == StateType::kLeader ? 3 : 0;
  }
  ASSERT_TRUE(lead == 2 || lead == 3);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.Propose(lead, Str("kept", i)).ok());
  // Hand leadership to the other node: its fresh progress for n1 starts at the
  // end of its log, 50 entries beyond n1's, with n1's suffix of the wrong term.
  NodeId other = lead == 2 ? 3 : 2;
  ASSERT_TRUE(c.r(lead).TransferLeadership(other).ok());
  c.Stabilize();
  ASSERT_EQ(c.r(other).state(), StateType::kLeader);
  lead = other;
  c.Heal();
  c.TakeDelivered();
  c.Tick(lead);
  c.Tick(lead);
  int rejects = 0;
  for (const auto& m : c.TakeDelivered(MessageType::kAppResp)) {
    if (m.from == 1 && m.reject) ++rejects;
  }
  EXPECT_LE(rejects, 2) << "fast backtracking should skip the conflicting term at once";
  EXPECT_EQ(c.r(1).state(), StateType::kFollower);
  EXPECT_EQ(c.r(1).log().LastIndex(), c.r(lead).log().LastIndex());
  EXPECT_EQ(c.r(1).log().committed(), c.r(lead).log().committed());
  for (uint64_t i = 1; i <= c.r(lead).log().LastIndex(); ++i) {
    EXPECT_EQ(c.r(1).log().At(i), c.r(lead).log().At(i)) << i;
  }
  EXPECT_EQ(Datas(c.node(1).applied), Datas(c.node(lead).applied));
}

TEST(Replication, FollowerNeverCommitsPastMatchedPrefix) {
  // Regression: the follower holds stale entries 3..5 from term 2. An append
  // proving only the prefix up to 2 must not let it commit 3..5, whatever the
  // leader's commit index says.
  SeededRand rand(1);
  Config cfg;
  cfg.id = 2;
  cfg.voters = {1, 2, 3};
  cfg.rand = &rand;
  RestartState rs;
  rs.hard_state = HardState{3, kNone, 1};
  rs.entries = {E(1, 1, "a"), E(2, 1, "b"), E(3, 2, "stale"), E(4, 2, "stale"), E(5, 2, "s")};
  auto r = std::move(Raft::New(cfg, rs)).value();
  Message app;
  app.type = MessageType::kApp;
  app.from = 1;
  app.to = 2;
  app.term = 3;
  app.index = 2;
  app.log_term = 1;
  app.commit = 5;
  ASSERT_TRUE(r->Step(app).ok());
  EXPECT_EQ(r->log().committed(), 2u);
  // Heartbeats carry min(leader commit, follower match), never more.
  app.entries = {E(3, 3, "new")};
  ASSERT_TRUE(r->Step(app).ok());
  EXPECT_EQ(r->log().committed(), 3u);
  EXPECT_EQ(r->log().LastIndex(), 3u);
  EXPECT_EQ(r->log().At(3).data, "new");
}

TEST(Replication, LeaderCommitsOnlyEntriesOfItsTermByCounting) {
  // Regression for Raft's figure 8: n1 holds entry 2 from term 2, and becomes
  // leader of term 4. Once entry 2 is on a majority, it still must not be
  // committed by counting replicas — only together with the term-4 entry.
  auto tweak = [](Config& cfg) { cfg.max_size_per_msg = 1; };
  Cluster c(3, tweak);
  c.Start(1, RestartState{HardState{3, kNone, 1}, nullptr, {E(1, 1, "a"), E(2, 2, "b")}});
  c.Start(2, RestartState{HardState{3, kNone, 1}, nullptr, {E(1, 1, "a")}});
  c.Start(3, RestartState{HardState{3, kNone, 1}, nullptr, {E(1, 1, "a")}});
  // Strip the new leader's entry 3 from every append.
  c.SetFilter([](Message& m) {
    if (m.type == MessageType::kApp) {
      std::erase_if(m.entries, [](const Entry& e) { return e.index >= 3; });
    }
    return false;
  });
  c.Elect(1);
  c.Tick(1);
  ASSERT_EQ(c.r(1).term(), 4u);
  ASSERT_GE(c.r(1).progress(2)->match, 2u);
  ASSERT_GE(c.r(1).progress(3)->match, 2u);
  EXPECT_EQ(c.r(1).log().committed(), 1u);
  c.SetFilter(nullptr);
  c.Tick(1);
  EXPECT_EQ(c.r(1).log().committed(), 3u);
}

TEST(Replication, PipelinesWithinTheInflightBound) {
  Cluster c(3, [](Config& cfg) {
    cfg.max_size_per_msg = 1;
    cfg.max_inflight_msgs = 3;
  });
  c.Elect(1);
  ASSERT_EQ(c.r(1).progress(2)->state, Progress::State::kReplicate);
  int sent_to_2 = 0;
  c.SetFilter([&](const Message& m) {
    if (m.type == MessageType::kApp && m.to == 2 && !m.entries.empty()) ++sent_to_2;
    return m.to == 2;  // n2 receives nothing
  });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.Propose(1, "x").ok());
  EXPECT_EQ(sent_to_2, 3) << "at most max_inflight_msgs appends in flight";
  EXPECT_TRUE(c.r(1).progress(2)->IsPaused());
  EXPECT_EQ(c.r(1).progress(3)->match, 11u) << "n3 is unaffected";
  // After healing, heartbeats reopen the window and n2 catches up.
  c.SetFilter(nullptr);
  for (int t = 0; t < 5; ++t) c.Tick(1);
  EXPECT_EQ(c.r(1).progress(2)->match, 11u);
}

TEST(Replication, InflightBytesBound) {
  Cluster c(3, [](Config& cfg) {
    cfg.max_size_per_msg = 1;
    cfg.max_inflight_msgs = 100;
    cfg.max_inflight_bytes = 10;
  });
  c.Elect(1);
  int sent_to_2 = 0;
  c.SetFilter([&](const Message& m) {
    if (m.type == MessageType::kApp && m.to == 2 && !m.entries.empty()) ++sent_to_2;
    return m.to == 2;
  });
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.Propose(1, "12345").ok());
  EXPECT_EQ(sent_to_2, 2) << "10 bytes in flight = two 5-byte entries";
}

TEST(Replication, BatchesEntriesUpToMaxSizePerMessage) {
  Cluster c(3, [](Config& cfg) { cfg.max_size_per_msg = 10; });
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(c.Propose(1, "abcd").ok());
  c.Heal();
  c.TakeDelivered();
  c.Tick(1);
  size_t max_entries = 0;
  for (const auto& m : c.TakeDelivered(MessageType::kApp)) {
    if (m.to == 3) max_entries = std::max(max_entries, m.entries.size());
  }
  EXPECT_EQ(max_entries, 2u);  // 4 + 4 bytes fit in 10, a third would not
  EXPECT_EQ(c.r(3).log().LastIndex(), c.r(1).log().LastIndex());
}

TEST(Replication, UncommittedBoundDropsProposals) {
  Cluster c(3, [](Config& cfg) { cfg.max_uncommitted_bytes = 10; });
  c.Elect(1);
  c.Isolate(1);
  EXPECT_TRUE(c.Propose(1, "aaaa").ok());
  EXPECT_TRUE(c.Propose(1, "bbbb").ok());
  Status st = c.Propose(1, "cccc");
  EXPECT_TRUE(st.Is("UNCOMMITTED_LOG_FULL")) << st.ToString();
  EXPECT_EQ(c.r(1).uncommitted_bytes(), 8u);
  c.Heal();
  c.Tick(1);
  EXPECT_EQ(c.r(1).uncommitted_bytes(), 0u);
  EXPECT_TRUE(c.Propose(1, "cccc").ok());
}

TEST(Snapshot, LaggingFollowerInstallsSnapshotThenCatchesUp) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c.Propose(1, Str("v", i)).ok());
  uint64_t applied = c.r(1).log().applied();
  ASSERT_EQ(applied, 21u);
  ASSERT_TRUE(c.r(1).Compact(applied, "state@21").ok());
  EXPECT_EQ(c.r(1).log().FirstIndex(), 22u);
  EXPECT_FALSE(c.r(1).Compact(applied + 5, "x").ok()) << "cannot compact beyond applied";
  c.Heal();
  c.TakeDelivered();
  c.Tick(1);
  auto snaps = c.TakeDelivered(MessageType::kSnap);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0].snapshot->data, "state@21");
  EXPECT_EQ(c.r(3).log().SnapIndex(), 21u);
  EXPECT_EQ(c.node(3).applied_index, 21u);
  ASSERT_TRUE(c.node(3).disk.snap);
  EXPECT_EQ(c.node(3).disk.snap->meta.index, 21u);
  ASSERT_TRUE(c.Propose(1, "after").ok());
  c.Tick(1);
  ASSERT_FALSE(c.node(3).applied.empty());
  EXPECT_EQ(c.node(3).applied.back().data, "after");
  // A restart from the snapshot plus later entries recovers the same log.
  c.Restart(3);
  EXPECT_EQ(c.r(3).log().SnapIndex(), 21u);
  EXPECT_EQ(c.r(3).log().LastIndex(), c.r(1).log().LastIndex());
}

TEST(Snapshot, LostSnapshotIsResentAfterAnElectionTimeout) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.Propose(1, Str("v", i)).ok());
  ASSERT_TRUE(c.r(1).Compact(c.r(1).log().applied(), "state").ok());
  // n3 answers heartbeats again but every snapshot to it is lost.
  c.Heal();
  int snaps = 0;
  c.SetFilter([&](const Message& m) { return m.type == MessageType::kSnap && ++snaps > 0; });
  c.Tick(1);
  ASSERT_EQ(snaps, 1);
  EXPECT_EQ(c.r(1).progress(3)->state, Progress::State::kSnapshot);
  for (int t = 0; t < 9; ++t) c.Tick(1);
  EXPECT_EQ(snaps, 1) << "nothing more while the snapshot may be in flight";
  c.SetFilter(nullptr);
  for (int t = 0; t < 3; ++t) c.Tick(1);
  EXPECT_EQ(c.r(3).log().SnapIndex(), c.r(1).log().SnapIndex());
  EXPECT_EQ(c.r(1).progress(3)->state, Progress::State::kReplicate);
}

TEST(Snapshot, ReportedFailureProbesAgain) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  ASSERT_TRUE(c.Propose(1, "v").ok());
  ASSERT_TRUE(c.r(1).Compact(c.r(1).log().applied(), "state").ok());
  c.SetFilter([](const Message& m) { return m.type == MessageType::kSnap; });
  c.Heal();
  c.Tick(1);
  ASSERT_EQ(c.r(1).progress(3)->state, Progress::State::kSnapshot);
  c.r(1).ReportSnapshot(3, false);
  EXPECT_EQ(c.r(1).progress(3)->state, Progress::State::kProbe);
  c.SetFilter(nullptr);
  c.Tick(1);
  EXPECT_EQ(c.r(3).log().SnapIndex(), c.r(1).log().SnapIndex());
}

TEST(Replication, CommittedEntriesArePacedPerReady) {
  Cluster c(1, [](Config& cfg) { cfg.max_committed_bytes_per_ready = 8; });
  c.Elect(1);
  c.Stabilize();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.r(1).Propose("abcd").ok());
  Ready rd = c.r(1).GetReady();
  EXPECT_EQ(rd.committed_entries.size(), 2u) << "8 bytes: two 4-byte entries per Ready";
  c.r(1).Advance();
  c.node(1).applied_index = rd.committed_entries.back().index;  // applied by hand
  EXPECT_TRUE(c.r(1).HasReady());
  c.Stabilize();
  EXPECT_EQ(c.r(1).log().applied(), 6u);
}

TEST(Status, LeaderReportsPeers) {
  Cluster c(3);
  c.Elect(1);
  RaftStatus s = c.r(1).GetStatus();
  EXPECT_EQ(s.state, StateType::kLeader);
  EXPECT_EQ(s.hard_state.term, 1u);
  ASSERT_EQ(s.peers.size(), 3u);
  EXPECT_EQ(s.peers[1].id, 2u);
  EXPECT_EQ(s.peers[1].match, 1u);
  EXPECT_STREQ(s.peers[1].state, "replicate");
  EXPECT_TRUE(c.r(2).GetStatus().peers.empty());
}

TEST(Restart, RecoversHardStateAndLog) {
  Cluster c(3);
  c.Elect(1);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.Propose(1, Str("p", i)).ok());
  c.Tick(1);
  HardState before = c.r(2).hard_state();
  uint64_t last = c.r(2).log().LastIndex();
  c.Restart(2);
  EXPECT_EQ(c.r(2).term(), before.term);
  EXPECT_EQ(c.r(2).vote(), before.vote);
  EXPECT_EQ(c.r(2).log().committed(), before.commit);
  EXPECT_EQ(c.r(2).log().LastIndex(), last);
  // Committed entries are re-applied after a restart (applied = 0 here).
  c.Stabilize();
  EXPECT_EQ(c.node(2).applied.size(), 5u);
  ASSERT_TRUE(c.Propose(1, "later").ok());
  c.Tick(1);
  EXPECT_EQ(c.node(2).applied.back().data, "later");
}

TEST(Restart, RejectsInconsistentDurableState) {
  SeededRand rand(1);
  Config cfg;
  cfg.id = 1;
  cfg.voters = {1, 2, 3};
  cfg.rand = &rand;
  RestartState rs;
  rs.hard_state = HardState{2, kNone, 5};  // commit beyond the log
  rs.entries = {E(1, 1)};
  auto r = Raft::New(cfg, rs);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status().Is("CORRUPTION"));
  // Terms must not decrease after the snapshot (stale entries left behind).
  auto snap = std::make_shared<Snapshot>();
  snap->meta = SnapshotMeta{3, 4, {1, 2, 3}};
  rs.hard_state = HardState{4, kNone, 3};
  rs.snapshot = snap;
  rs.entries = {E(4, 2)};
  r = Raft::New(cfg, rs);
  EXPECT_TRUE(r.status().Is("CORRUPTION")) << r.status().ToString();
  cfg.rand = nullptr;
  EXPECT_FALSE(Raft::New(cfg, RestartState{}).ok());
}

}  // namespace
}  // namespace traceledger::raft::testing
