// A tiny synchronous cluster for interaction tests (in the spirit of etcd's
// raft interaction tests): messages are delivered in FIFO order until the
// cluster is quiet, each node's Ready is persisted to an in-memory "disk" and
// applied to a list of entries. Links can be cut; filters can drop messages.
#ifndef TRACELEDGER_TESTS_CONSENSUS_HARNESS_H_
#define TRACELEDGER_TESTS_CONSENSUS_HARNESS_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "consensus/raft.h"
#include "gtest/gtest.h"

namespace traceledger::raft::testing {

struct MemDisk {
  HardState hs;
  std::shared_ptr<const Snapshot> snap;
  std::vector<Entry> entries;
};

struct TestNode {
  std::unique_ptr<SeededRand> rand;
  std::unique_ptr<Raft> raft;
  MemDisk disk;
  std::vector<Entry> applied;  // normal entries applied, in order
  uint64_t applied_index = 0;
  std::vector<ReadState> reads;
  bool up = true;
};

class Cluster {
 public:
  using Tweak = std::function<void(Config&)>;

  explicit Cluster(int n, Tweak tweak = nullptr) : tweak_(std::move(tweak)) {
    for (int i = 1; i <= n; ++i) voters_.push_back(static_cast<NodeId>(i));
    for (NodeId id : voters_) Start(id, RestartState{});
  }

  Raft& r(NodeId id) { return *nodes_[id].raft; }
  TestNode& node(NodeId id) { return nodes_[id]; }

  // (Re)creates node `id` from `rs`.
  void Start(NodeId id, RestartState rs, uint64_t applied = 0) {
    TestNode& n = nodes_[id];
    Config c;
    c.id = id;
    c.voters = voters_;
    c.applied = applied;
    n.rand = std::make_unique<SeededRand>(id * 1000 + 7);
    c.rand = n.rand.get();
    if (tweak_) tweak_(c);
    n.disk.hs = rs.hard_state;
    n.disk.snap = rs.snapshot;
    n.disk.entries = rs.entries;
    auto res = Raft::New(c, std::move(rs));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    n.raft = std::move(res).value();
    n.up = true;
    n.applied_index = applied;
  }
  // Crash and restart from what the node persisted.
  void Restart(NodeId id) {
    TestNode& n = nodes_[id];
    RestartState rs{n.disk.hs, n.disk.snap, n.disk.entries};
    uint64_t applied = n.disk.snap ? n.disk.snap->meta.index : 0;
    n.applied.clear();
    Start(id, std::move(rs), applied);
  }

  void Cut(NodeId a, NodeId b) {
    blocked_.insert({a, b});
    blocked_.insert({b, a});
  }
  void CutOneWay(NodeId from, NodeId to) { blocked_.insert({from, to}); }
  void Isolate(NodeId a) {
    for (NodeId b : voters_) {
      if (b != a) Cut(a, b);
    }
  }
  void Heal() { blocked_.clear(); }
  // Drop every message for which `f` returns true; `f` may also alter it.
  void SetFilter(std::function<bool(Message&)> f) { filter_ = std::move(f); }

  // Processes Readies and delivers messages until nothing moves.
  void Stabilize() {
    for (int round = 0; round < 100000; ++round) {
      bool any = false;
      for (NodeId id : voters_) any |= ProcessReady(id);
      if (queue_.empty() && !any) return;
      while (!queue_.empty()) {
        Message m = std::move(queue_.front());
        queue_.pop_front();
        if (blocked_.count({m.from, m.to}) || (filter_ && filter_(m))) continue;
        delivered_.push_back(m);
        TestNode& to = nodes_[m.to];
        if (!to.up) continue;
        (void)to.raft->Step(m);
        ProcessReady(m.to);
      }
    }
    FAIL() << "cluster did not stabilize";
  }
  void Tick(NodeId id, int times = 1) {
    for (int k = 0; k < times; ++k) {
      r(id).Tick();
      Stabilize();
    }
  }
  void TickAll(int times = 1) {
    for (int k = 0; k < times; ++k) {
      for (NodeId id : voters_) r(id).Tick();
      Stabilize();
    }
  }
  void Elect(NodeId id) {
    ASSERT_TRUE(r(id).Campaign().ok());
    Stabilize();
    ASSERT_EQ(r(id).state(), StateType::kLeader) << r(id).Describe();
  }
  Status Propose(NodeId id, const std::string& data) {
    Status st = r(id).Propose(data);
    Stabilize();
    return st;
  }
  NodeId Leader() {
    NodeId lead = kNone;
    for (NodeId id : voters_) {
      if (nodes_[id].up && r(id).state() == StateType::kLeader) {
        EXPECT_EQ(lead, kNone) << "two leaders";
        lead = id;
      }
    }
    return lead;
  }
  // Messages delivered since the last call, optionally of one type.
  std::vector<Message> TakeDelivered(MessageType t = MessageType::kNone) {
    std::vector<Message> out;
    for (auto& m : delivered_) {
      if (t == MessageType::kNone || m.type == t) out.push_back(m);
    }
    delivered_.clear();
    return out;
  }
  const std::vector<NodeId>& voters() const { return voters_; }

 private:
  bool ProcessReady(NodeId id) {
    TestNode& n = nodes_[id];
    if (!n.up || !n.raft->HasReady()) return false;
    Ready rd = n.raft->GetReady();
    if (rd.snapshot) {
      n.disk.snap = rd.snapshot;
      n.disk.entries.clear();
    }
    if (!rd.entries.empty()) {
      uint64_t base = n.disk.snap ? n.disk.snap->meta.index : 0;
      n.disk.entries.resize(rd.entries.front().index - base - 1);
      n.disk.entries.insert(n.disk.entries.end(), rd.entries.begin(), rd.entries.end());
    }
    if (rd.hard_state) n.disk.hs = *rd.hard_state;
    for (auto& m : rd.messages) queue_.push_back(std::move(m));
    if (rd.snapshot) n.applied_index = rd.snapshot->meta.index;
    for (const Entry& e : rd.committed_entries) {
      EXPECT_EQ(e.index, n.applied_index + 1);
      n.applied_index = e.index;
      if (e.type == EntryType::kNormal) n.applied.push_back(e);
    }
    for (auto& rs : rd.read_states) n.reads.push_back(rs);
    n.raft->Advance();
    return true;
  }

  Tweak tweak_;
  std::vector<NodeId> voters_;
  std::map<NodeId, TestNode> nodes_;
  std::deque<Message> queue_;
  std::vector<Message> delivered_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  std::function<bool(Message&)> filter_;
};

// prefix + decimal i (avoids a GCC 12 -Wrestrict false positive on operator+).
inline std::string Str(const char* prefix, int i) {
  std::string s = prefix;
  s.append(std::to_string(i));
  return s;
}

inline std::vector<std::string> Datas(const std::vector<Entry>& es) {
  std::vector<std::string> out;
  for (const auto& e : es) out.push_back(e.data);
  return out;
}

}  // namespace traceledger::raft::testing

#endif  // TRACELEDGER_TESTS_CONSENSUS_HARNESS_H_
