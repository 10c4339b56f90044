// Wire encoding round trips, and the deterministic simulation run as a test.
#include "consensus/codec.h"
#include "gtest/gtest.h"
#include "sim.h"

namespace traceledger::raft {
namespace {

TEST(Codec, MessageRoundTrip) {
  Message m;
  m.type = MessageType::kApp;
  m.from = 1;
  m.to = 2;
  m.term = 7;
  m.log_term = 6;
  m.index = 41;
  m.commit = 40;
  m.reject = true;
  m.reject_hint = 39;
  m.context = "ctx";
  Entry e;
  e.term = 7;
  e.index = 42;
  e.type = EntryType::kEmpty;
  m.entries.push_back(e);
  e.type = EntryType::kNormal;
  e.index = 43;
  e.data = std::string("\0bytes", 6);
  m.entries.push_back(e);
  auto snap = std::make_shared<Snapshot>();
  snap->meta = SnapshotMeta{30, 5, {1, 2, 3}};
  snap->data = "state";
  m.snapshot = snap;
  auto d = DecodeMessage(EncodeMessage(m));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->type, m.type);
  EXPECT_EQ(d->from, 1u);
  EXPECT_EQ(d->to, 2u);
  EXPECT_EQ(d->term, 7u);
  EXPECT_EQ(d->log_term, 6u);
  EXPECT_EQ(d->index, 41u);
  EXPECT_EQ(d->commit, 40u);
  EXPECT_TRUE(d->reject);
  EXPECT_EQ(d->reject_hint, 39u);
  EXPECT_EQ(d->context, "ctx");
  EXPECT_EQ(d->entries, m.entries);
  ASSERT_TRUE(d->snapshot);
  EXPECT_EQ(d->snapshot->meta, snap->meta);
  EXPECT_EQ(d->snapshot->data, "state");
}

TEST(Codec, DurableRecordsRoundTrip) {
  HardState hs{3, 2, 9};
  EXPECT_EQ(*DecodeHardState(EncodeHardState(hs)), hs);
  Entry e;
  e.term = 2;
  e.index = 5;
  e.data = "x";
  EXPECT_EQ(*DecodeEntry(EncodeEntry(e)), e);
  Snapshot s;
  s.meta = SnapshotMeta{4, 2, {1}};
  s.data = std::string(3, 'd');
  auto ds = DecodeSnapshot(EncodeSnapshot(s));
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->meta, s.meta);
  EXPECT_EQ(ds->data, "ddd");
}

TEST(Codec, RejectsGarbage) {
  EXPECT_FALSE(DecodeMessage("\xff\xff\xff").ok());
  EXPECT_FALSE(DecodeMessage("").ok()) << "type NONE is not a message";
}

TEST(Simulation, SeedsAreDeterministic) {
  sim::SimOptions opt;
  auto a = sim::RunSeed(42, opt);
  auto b = sim::RunSeed(42, opt);
  ASSERT_TRUE(a.ok) << a.violation;
  EXPECT_EQ(a.stats.messages, b.stats.messages);
  EXPECT_EQ(a.stats.acked, b.stats.acked);
  EXPECT_EQ(a.stats.committed, b.stats.committed);
}

TEST(Simulation, ThreeFiveSevenNodesStaySafeAndLive) {
  for (int n : {3, 5, 7}) {
    sim::SimOptions opt;
    opt.nodes = n;
    for (uint64_t seed = 1; seed <= 30; ++seed) {
      auto r = sim::RunSeed(seed, opt);
      ASSERT_TRUE(r.ok) << "seed " << seed << " nodes " << n << ": " << r.violation;
      EXPECT_GT(r.stats.acked, 0u);
    }
  }
}

TEST(Simulation, CheckerCatchesABrokenPersistenceContract) {
  // Sending before syncing loses acknowledged state on crashes; the checker
  // must notice in some seed.
  sim::SimOptions opt;
  opt.unsafe_send_before_sync = true;
  bool caught = false;
  for (uint64_t seed = 1; seed <= 400 && !caught; ++seed) caught = !sim::RunSeed(seed, opt).ok;
  EXPECT_TRUE(caught);
}

}  // namespace
}  // namespace traceledger::raft
