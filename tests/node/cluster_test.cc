// Three real nodes in one process, talking over loopback TCP: replication,
// follower forwarding, and catching up after a snapshot (a node that was down
// while the others compacted their logs, and a node started empty).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "genesis/genesis_writer.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"
#include "node/config.h"
#include "node/node.h"
#include "node/tls_identity.h"

namespace traceledger::node {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string Now() {
  return FormatRfc3339Millis(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
}

class ClusterTest : public ::testing::Test {
 protected:
  static constexpr int kNodes = 3;

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tl-cluster-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    GenesisSpec spec;
    spec.chain_id = "zj-cluster-test";
    spec.genesis_time = "2026-01-01T00:00:00Z";
    spec.block_max_interval_ms = 20;
    for (int i = 0; i < kNodes; ++i) {
      keys_.push_back(*GenerateKeyPair());
      tls_.push_back(*GenerateTlsIdentity("n" + std::to_string(i + 1)));
      spec.validators.push_back({"n" + std::to_string(i + 1),
                                 keys_[i].public_key,
                                 "127.0.0.1:" + std::to_string(FreeLoopbackPort()),
                                 "127.0.0.1:" + std::to_string(10 + i),
                                 {tls_[i].spki_sha256}});
    }
    regulator_ = *GenerateKeyPair();
    spec.regulators.push_back({"浙江省市场监督管理局", regulator_.public_key});
    auto g = ParseGenesis(BuildGenesisJson(spec));
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    genesis_ = *g;
    nodes_.resize(kNodes);
    // "NewNode..." tests start the last node later, for the first time.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    int initial = name.rfind("NewNode", 0) == 0 ? kNodes - 1 : kNodes;
    for (int i = 0; i < initial; ++i) StartNode(i);
  }

  void TearDown() override {
    nodes_.clear();
    std::filesystem::remove_all(dir_);
  }

  void StartNode(int i) {
    NodeOptions o;
    o.genesis = genesis_;
    o.node_id = "n" + std::to_string(i + 1);
    o.key = keys_[i];
    o.tls_key_pem = tls_[i].key_pem;
    o.tls_cert_pem = tls_[i].cert_pem;
    o.data_dir = (dir_ / o.node_id).string();
    std::filesystem::create_directories(o.data_dir);
    o.tick_ms = 20;
    o.election_ticks = 5;
    o.compact_every_entries = 4;
    // Tests named *LogBytes* compact by the byte bound alone (or not at all).
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (name.find("LogBytes") != std::string::npos) {
      o.compact_every_entries = 1000000;
      o.compact_every_bytes = name.find("NoLogBytes") != std::string::npos ? 0 : 1;
    }
    if (getenv("CLUSTER_TEST_LOG"))
      o.log = [](const std::string& s) { fprintf(stderr, "%s\n", s.c_str()); };
    auto n = Node::Open(o);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    nodes_[i] = std::move(n).value();
    Status s = nodes_[i]->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Index of the node every running node agrees is the leader.
  int WaitForLeader() {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      for (int i = 0; i < kNodes; ++i) {
        if (nodes_[i] && nodes_[i]->GetStatus().role == "leader") return i;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "no leader within 20 s";
    return 0;
  }

  Envelope Enroll(int n) {
    KeyPair ent = *GenerateKeyPair();
    json payload = {{"chain_id", genesis_.chain_id},
                    {"type", "registry.enroll"},
                    {"nonce", "enroll-" + std::to_string(n)},
                    {"time", Now()},
                    {"body",
                     {{"uscc", "91330100MA2B3C4D5N"},
                      {"name", "企业" + std::to_string(n)},
                      {"roles", {"manufacturer"}},
                      {"public_key", ToHex(ent.public_key)},
                      {"region", "330100"}}}};
    std::string env = *SignEnvelope(regulator_.private_key, payload.dump(), genesis_.hash_alg);
    return *ParseEnvelope(env, genesis_.hash_alg);
  }

  // Submits through node `via` and waits until that node applied it.
  TxReceipt Commit(int via, const Envelope& env) {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    Status s;
    while (Clock::now() < deadline) {
      s = nodes_[via]->Submit(env);
      if (s.ok() || !s.Is("NO_LEADER")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::promise<Result<TxReceipt>> p;
    nodes_[via]->WaitForReceipt(env.tx_id, 20000,
                                [&p](Result<TxReceipt> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TxReceipt{};
  }

  void WaitForHeight(int i, uint64_t height) {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (nodes_[i]->blocks().block_count() <= height) {
      ASSERT_LT(Clock::now(), deadline)
          << "node " << i << " stuck at height " << nodes_[i]->blocks().block_count() - 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Every block of node i equals node j's, byte for byte.
  void ExpectSameBlocks(int i, int j) {
    uint64_t n = std::min(nodes_[i]->blocks().block_count(), nodes_[j]->blocks().block_count());
    for (uint64_t h = 0; h < n; ++h) {
      pb::Block a, b;
      ASSERT_TRUE(nodes_[i]->blocks().GetBlock(h, &a).ok());
      ASSERT_TRUE(nodes_[j]->blocks().GetBlock(h, &b).ok());
      ASSERT_EQ(EncodeBlock(a), EncodeBlock(b)) << "height " << h;
    }
  }

  std::filesystem::path dir_;
  Genesis genesis_;
  std::vector<KeyPair> keys_;
  std::vector<TlsIdentity> tls_;
  KeyPair regulator_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(ClusterTest, ReplicatesAndForwardsFromFollowers) {
  int leader = WaitForLeader();
  int follower = (leader + 1) % kNodes;
  TxReceipt a = Commit(leader, Enroll(1));
  TxReceipt b = Commit(follower, Enroll(2));  // forwarded to the leader
  EXPECT_EQ(a.code, "OK");
  EXPECT_EQ(b.code, "ALREADY_ENROLLED");
  uint64_t h = std::max(a.height, b.height);
  for (int i = 0; i < kNodes; ++i) WaitForHeight(i, h);
  ExpectSameBlocks(0, 1);
  ExpectSameBlocks(0, 2);
  // Every node attested its blocks, and attestations travelled.
  auto deadline = Clock::now() + std::chrono::seconds(10);
  std::vector<pb::Attestation> atts;
  while (Clock::now() < deadline) {
    ASSERT_TRUE(nodes_[leader]->blocks().GetAttestations(h, &atts).ok());
    if (atts.size() == kNodes) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(atts.size(), static_cast<size_t>(kNodes));
  // Each node checked each signature once: the leader and the follower at
  // their doors (then reused the result at apply; the leader also checked the
  // forwarded one), the third node at apply.
  int third = (leader + 2) % kNodes;
  auto counts = [&](int i) {
    NodeStatus st = nodes_[i]->GetStatus();
    return std::vector<uint64_t>{st.apply_verified, st.apply_reused, st.forwarded_verified};
  };
  deadline = Clock::now() + std::chrono::seconds(10);
  auto settled = [&] {  // the status is published after each loop step
    return counts(third)[0] + counts(leader)[1] + counts(follower)[1] >= 5;
  };
  while (Clock::now() < deadline && !settled()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(counts(leader), (std::vector<uint64_t>{0, 2, 1}));
  EXPECT_EQ(counts(follower), (std::vector<uint64_t>{1, 1, 0}));
  EXPECT_EQ(counts(third), (std::vector<uint64_t>{2, 0, 0}));
}

// A consistent read on a follower, right after a commit that only the leader
// has applied, sees that commit: the read index is the leader's commit index.
TEST_F(ClusterTest, ConsistentReadOnAFollowerSeesTheLeadersCommit) {
  int leader = WaitForLeader();
  int follower = (leader + 1) % kNodes;
  for (int n = 1; n <= 5; ++n) {
    Envelope e = Enroll(n);
    Commit(leader, e);  // applied on the leader; maybe not yet on the follower
    std::promise<std::string> seen;
    nodes_[follower]->ReadIndex(10000, [&](Status s) {
      // The follower's loop thread: read its local state now.
      seen.set_value(!s.ok()                                                    ? s.ToString()
                     : nodes_[follower]->blocks().FindTransaction(e.tx_id).ok() ? "seen"
                                                                                : "not applied");
    });
    EXPECT_EQ(seen.get_future().get(), "seen") << "commit " << n;
  }
}

// Without a leader, a consistent read is answered NO_LEADER (503, retry) at
// its deadline; a stopped node answers STOPPED at once.
TEST_F(ClusterTest, ConsistentReadWithoutALeaderTimesOut) {
  int leader = WaitForLeader();
  Commit(leader, Enroll(1));
  int alone = (leader + 1) % kNodes;
  for (int i = 0; i < kNodes; ++i) {
    if (i != alone) nodes_[i].reset();
  }
  auto start = Clock::now();
  std::promise<Status> answer;
  nodes_[alone]->ReadIndex(600, [&](Status s) { answer.set_value(s); });
  auto f = answer.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  Status s = f.get();
  EXPECT_TRUE(s.Is("NO_LEADER")) << s.ToString();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(600)) << "answered at its deadline";
  nodes_[alone]->Stop();
  std::promise<Status> stopped;
  nodes_[alone]->ReadIndex(600, [&](Status s) { stopped.set_value(s); });
  EXPECT_TRUE(stopped.get_future().get().Is("STOPPED"));
}

TEST_F(ClusterTest, DownNodeCatchesUpFromSnapshot) {
  int leader = WaitForLeader();
  int down = (leader + 1) % kNodes;
  Commit(leader, Enroll(0));
  nodes_[down].reset();  // stopped while the others move on and compact
  leader = WaitForLeader();
  // More blocks than the leader keeps in flight to one follower (64), so the
  // appends queued for the down node cannot cover the gap: it needs the
  // snapshot and the blocks behind it.
  TxReceipt last;
  for (int n = 1; n <= 80; ++n) last = Commit(leader, Enroll(n));
  EXPECT_GE(nodes_[leader]->GetStatus().snapshot_index, 70u);

  StartNode(down);
  WaitForHeight(down, last.height);
  ExpectSameBlocks(leader, down);
  // It takes part afterwards: a submission through it commits everywhere.
  TxReceipt after = Commit(down, Enroll(81));
  WaitForHeight(leader, after.height);
  ExpectSameBlocks(leader, down);
}

// Every entry is a whole block proposal: a node compacts its Raft log once the
// entries applied since its last snapshot hold compact_every_bytes, however few
// they are (here 1 byte: after every non-empty entry).
TEST_F(ClusterTest, CompactsByLogBytes) {
  int leader = WaitForLeader();
  TxReceipt r = Commit(leader, Enroll(1));
  for (int i = 0; i < kNodes; ++i) WaitForHeight(i, r.height);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  auto all_compacted = [&] {
    for (int i = 0; i < kNodes; ++i)
      if (nodes_[i]->GetStatus().snapshot_index == 0) return false;
    return true;
  };
  while (Clock::now() < deadline && !all_compacted()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int i = 0; i < kNodes; ++i) EXPECT_GT(nodes_[i]->GetStatus().snapshot_index, 0u) << i;
  // The compacted network goes on.
  TxReceipt after = Commit(leader, Enroll(2));
  for (int i = 0; i < kNodes; ++i) WaitForHeight(i, after.height);
  ExpectSameBlocks(0, 1);
  ExpectSameBlocks(0, 2);
}

// The same commits with the byte bound off and a large entry count: no snapshot.
TEST_F(ClusterTest, KeepsTheLogWithNoLogBytesBound) {
  int leader = WaitForLeader();
  TxReceipt r = Commit(leader, Enroll(1));
  Commit(leader, Enroll(2));
  for (int i = 0; i < kNodes; ++i) WaitForHeight(i, r.height);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a few loop steps
  for (int i = 0; i < kNodes; ++i) EXPECT_EQ(nodes_[i]->GetStatus().snapshot_index, 0u) << i;
}

TEST_F(ClusterTest, NewNodeStartsEmptyAndCatchesUp) {
  int leader = WaitForLeader();
  TxReceipt last;
  for (int n = 1; n <= 12; ++n) last = Commit(leader, Enroll(n));
  EXPECT_GE(nodes_[leader]->GetStatus().snapshot_index, 12u);
  StartNode(2);
  WaitForHeight(2, last.height);
  ExpectSameBlocks(leader, 2);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (nodes_[2]->GetStatus().catching_up_to != 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(nodes_[2]->GetStatus().catching_up_to, 0u);
  // Restarted on top of its snapshot, it goes on normally.
  nodes_[2].reset();
  StartNode(2);
  TxReceipt after = Commit(2, Enroll(13));
  WaitForHeight(leader, after.height);
  ExpectSameBlocks(leader, 2);
}

}  // namespace
}  // namespace traceledger::node
