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

}  // namespace
}  // namespace traceledger::node::sim
