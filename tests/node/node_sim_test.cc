#include "node_sim.h"

#include <gtest/gtest.h>

namespace traceledger::node::sim {
namespace {

TEST(NodeSim, ThreeNodesStaySafeAndLive) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    NodeSimResult r = RunNodeSeed(seed, NodeSimOptions{});
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.violation;
    EXPECT_GT(r.acked, 0u);
    EXPECT_GT(r.reads, 0u);
  }
}

TEST(NodeSim, FiveNodesStaySafeAndLive) {
  NodeSimOptions opt;
  opt.nodes = 5;
  for (uint64_t seed = 100; seed <= 104; ++seed) {
    NodeSimResult r = RunNodeSeed(seed, opt);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.violation;
  }
}

TEST(NodeSim, ASeedReplaysExactly) {
  NodeSimResult a = RunNodeSeed(42, NodeSimOptions{});
  NodeSimResult b = RunNodeSeed(42, NodeSimOptions{});
  ASSERT_TRUE(a.ok && b.ok) << a.violation << b.violation;
  EXPECT_EQ(a.final_hash, b.final_hash);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.crashes, b.crashes);
}

TEST(NodeSim, DiskFaultsStaySafeAndLive) {
  NodeSimOptions opt;
  opt.disk_faults = true;
  uint64_t faults = 0, stops = 0, read_backs = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    NodeSimResult r = RunNodeSeed(seed, opt);
    ASSERT_TRUE(r.ok) << "seed " << seed << ": " << r.violation;
    EXPECT_GT(r.acked, 0u);
    faults += r.failed_syncs + r.full_disk_writes + r.read_errors + r.flipped_bits;
    stops += r.fail_stops;
    read_backs += r.read_backs;
  }
  EXPECT_GT(faults, 0u);
  EXPECT_GT(stops, 0u);
  EXPECT_GT(read_backs, 0u);
}

TEST(NodeSim, ADiskFaultSeedReplaysExactly) {
  NodeSimOptions opt;
  opt.disk_faults = true;
  NodeSimResult a = RunNodeSeed(71, opt);
  NodeSimResult b = RunNodeSeed(71, opt);
  ASSERT_TRUE(a.ok && b.ok) << a.violation << b.violation;
  EXPECT_EQ(a.final_hash, b.final_hash);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.failed_syncs, b.failed_syncs);
  EXPECT_EQ(a.full_disk_writes, b.full_disk_writes);
  EXPECT_EQ(a.read_errors, b.read_errors);
  EXPECT_EQ(a.flipped_bits, b.flipped_bits);
  EXPECT_EQ(a.torn_files, b.torn_files);
  EXPECT_EQ(a.fail_stops, b.fail_stops);
}

// Planted bug: a node that never fsyncs acknowledges what a crash then
// loses. With crashes that drop unsynced data, the checker must find it.
TEST(NodeSim, CheckerCatchesAcknowledgingBeforeSync) {
  NodeSimOptions opt;
  opt.unsafe_no_sync = true;
  int caught = 0;
  for (uint64_t seed = 1; seed <= 30 && caught == 0; ++seed) caught += !RunNodeSeed(seed, opt).ok;
  EXPECT_GT(caught, 0) << "30 seeds of nodes that never sync passed the checker";
}

}  // namespace
}  // namespace traceledger::node::sim
