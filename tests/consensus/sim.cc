#include "sim.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "consensus/raft.h"

namespace traceledger::raft::sim {
namespace {

struct Violation {
  std::string what;
};

constexpr uint64_t kUnitsPerTick = 10;

uint64_t Mix(uint64_t h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return (h ^ 0xff) * 1099511628211ULL;
}

// What survives a crash.
struct Disk {
  HardState hs;
  std::shared_ptr<const Snapshot> snap;
  std::vector<Entry> entries;  // after the snapshot
};

struct Node {
  NodeId id = 0;
  bool up = false;
  std::unique_ptr<SeededRand> rand;
  std::unique_ptr<Raft> raft;
  Disk disk;
  // The application: a hash chain over applied entries.
  uint64_t app_index = 0;
  uint64_t app_hash = 0;
  int compact_every = 0;
  // Process pauses (GC, VM migration): no ticks, incoming messages wait.
  uint64_t paused_until = 0;
  // Clock drift: the chance, per tick, that this node's timer does not fire.
  double tick_skip = 0;
};

struct InFlight {
  uint64_t at;
  uint64_t seq;
  Message m;
  bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

class Sim {
 public:
  Sim(uint64_t seed, const SimOptions& opt) : seed_(seed), opt_(opt), rng_(seed * 7919 + 17) {
    n_ = opt.nodes > 0 ? opt.nodes : 3 + 2 * static_cast<int>(seed % 3);
    drop_ = Chance(0.8) ? 0.01 * static_cast<double>(rng_.Uniform(20)) : 0.0;
    dup_ = 0.01 * static_cast<double>(rng_.Uniform(10));
    reorder_ = Chance(0.7);
    // Mostly the defaults; sometimes without one of them (a deposed leader
    // then keeps believing it leads, which stresses ReadIndex).
    pre_vote_ = Chance(0.85);
    check_quorum_ = Chance(0.85);
    max_delay_ = 2 + rng_.Uniform(3 * kUnitsPerTick);
    max_msg_bytes_ = Chance(0.3) ? 1 : 16 + rng_.Uniform(200);  // 1: one entry per message
    proposals_per_tick_ = 1 + static_cast<int>(rng_.Uniform(4));
    max_apply_bytes_ = Chance(0.3) ? 1 + rng_.Uniform(32) : 0;
    max_inflight_ = 2 + rng_.Uniform(7);
    max_uncommitted_ = 64 + rng_.Uniform(512);
    bool drift = Chance(0.5);
    if (Chance(0.3)) crash_p_ = 0.03;  // crashy seeds: leaders die mid-replication
    for (int i = 1; i <= n_; ++i) {
      auto node = std::make_unique<Node>();
      node->id = static_cast<NodeId>(i);
      node->compact_every = 5 + static_cast<int>(rng_.Uniform(60));
      if (drift) node->tick_skip = 0.01 * static_cast<double>(rng_.Uniform(30));
      nodes_.push_back(std::move(node));
      voters_.push_back(static_cast<NodeId>(i));
    }
  }

  SimResult Run() {
    SimResult res;
    res.nodes = n_;
    try {
      Log("seed " + std::to_string(seed_) + ": " + std::to_string(n_) + " nodes, drop " +
          std::to_string(drop_) + " dup " + std::to_string(dup_) +
          " delay<=" + std::to_string(max_delay_) + (reorder_ ? " reordering" : " fifo") +
          (pre_vote_ ? "" : " no-pre-vote") + (check_quorum_ ? "" : " no-check-quorum"));
      for (auto& node : nodes_) Start(*node);
      for (int t = 0; t < opt_.steps; ++t) {
        ChaosTick();
        RunTick();
      }
      Heal();
      Converge();
    } catch (const Violation& v) {
      res.ok = false;
      res.violation = "tick " + std::to_string(now_ / kUnitsPerTick) + ": " + v.what;
    }
    res.trace.assign(trace_.begin(), trace_.end());
    stats_.elections = leaders_.size();
    res.stats = stats_;
    return res;
  }

 private:
  bool Chance(double p) { return static_cast<double>(rng_.Uniform(1000000)) < p * 1e6; }
  Node& N(NodeId id) { return *nodes_[id - 1]; }
  NodeId RandomNode() { return static_cast<NodeId>(1 + rng_.Uniform(n_)); }

  void Log(const std::string& s) {
    if (opt_.verbose) std::printf("[%6.1f] %s\n", now_ / double(kUnitsPerTick), s.c_str());
    if (opt_.trace_tail > 0) {
      trace_.push_back("[" + std::to_string(now_ / kUnitsPerTick) + "] " + s);
      if (trace_.size() > opt_.trace_tail) trace_.pop_front();
    }
  }
  bool Tracing() const { return opt_.verbose || opt_.trace_tail > 0; }
  [[noreturn]] void Fail(const std::string& what) {
    Log("VIOLATION: " + what);
    throw Violation{what};
  }

  // ------------------------------------------------------------ nodes ----

  void Start(Node& node) {
    Config c;
    c.id = node.id;
    c.voters = voters_;
    c.election_tick = 10;
    c.heartbeat_tick = 1;
    c.max_size_per_msg = max_msg_bytes_;
    c.max_inflight_msgs = max_inflight_;
    c.max_inflight_bytes = max_msg_bytes_ * max_inflight_;
    c.max_uncommitted_bytes = max_uncommitted_;
    c.max_committed_bytes_per_ready = max_apply_bytes_;
    c.pre_vote = pre_vote_;
    c.check_quorum = check_quorum_;
    node.rand = std::make_unique<SeededRand>(rng_.Next());
    node.paused_until = 0;
    c.rand = node.rand.get();
    RestartState rs;
    rs.hard_state = node.disk.hs;
    rs.snapshot = node.disk.snap;
    rs.entries = node.disk.entries;
    node.app_index = 0;
    node.app_hash = 0;
    if (node.disk.snap) {
      InstallSnapshot(node, *node.disk.snap);
      c.applied = node.disk.snap->meta.index;
    }
    auto r = Raft::New(c, std::move(rs));
    if (!r.ok()) Fail("n" + std::to_string(node.id) + " cannot restart: " + r.status().ToString());
    node.raft = std::move(r).value();
    node.up = true;
    Log("n" + std::to_string(node.id) + " starts: " + node.raft->Describe());
    Process(node);
  }

  void Crash(Node& node, const char* where) {
    node.up = false;
    node.raft.reset();
    stats_.crashes++;
    Log("n" + std::to_string(node.id) + " crashes " + where);
  }

  void InstallSnapshot(Node& node, const Snapshot& s) {
    // Snapshot data: "<index>:<hash>" of the application state at that index.
    uint64_t idx = 0, hash = 0;
    if (std::sscanf(s.data.c_str(), "%lu:%lu", &idx, &hash) != 2 || idx != s.meta.index) {
      Fail("snapshot data is corrupt: " + s.data);
    }
    auto it = app_hash_at_.find(idx);
    if (it != app_hash_at_.end() && it->second != hash) {
      Fail("snapshot at " + std::to_string(idx) + " disagrees with the applied history");
    }
    node.app_index = idx;
    node.app_hash = hash;
  }

  void Apply(Node& node, const Entry& e) {
    if (e.index != node.app_index + 1) {
      Fail("n" + std::to_string(node.id) + " applies " + std::to_string(e.index) + " after " +
           std::to_string(node.app_index));
    }
    auto [it, fresh] = committed_.emplace(e.index, std::make_pair(e.term, e.data));
    if (!fresh && (it->second.first != e.term || it->second.second != e.data)) {
      Fail("state machine safety: n" + std::to_string(node.id) + " applies " +
           std::to_string(e.index) + "/t" + std::to_string(e.term) + " '" + e.data + "' but t" +
           std::to_string(it->second.first) + " '" + it->second.second + "' was applied elsewhere");
    }
    // An upper bound of the term in which the entry was committed.
    auto [ct, ct_fresh] = commit_term_.emplace(e.index, node.raft->term());
    if (!ct_fresh) ct->second = std::min(ct->second, node.raft->term());
    node.app_hash = Mix(node.app_hash ^ e.index, e.data);
    node.app_index = e.index;
    auto [hit, hfresh] = app_hash_at_.emplace(e.index, node.app_hash);
    if (!hfresh && hit->second != node.app_hash) {
      Fail("n" + std::to_string(node.id) + " state diverges at " + std::to_string(e.index));
    }
    stats_.committed = std::max(stats_.committed, e.index);
    max_applied_ = std::max(max_applied_, e.index);
    auto p = proposals_.find(e.data);
    if (p != proposals_.end() && p->second == node.id) {
      // The client that proposed here is told "committed".
      acked_[e.index] = e.data;
      proposals_.erase(p);
      stats_.acked++;
      if (Tracing())
        Log("n" + std::to_string(node.id) + " acks " + e.data + " at " + std::to_string(e.index));
    }
  }

  void CheckNewEntries(Node& node, const std::vector<Entry>& ents) {
    // Log matching: equal (index, term) means equal entry and equal predecessor term.
    const RaftLog& log = node.raft->log();
    for (const Entry& e : ents) {
      uint64_t prev_term = e.index == 1 ? 0 : log.Term(e.index - 1).value_or(UINT64_MAX);
      auto key = std::make_pair(e.index, e.term);
      auto [it, fresh] = entries_.emplace(key, std::make_pair(prev_term, e.data));
      if (!fresh && (it->second.second != e.data ||
                     (prev_term != UINT64_MAX && it->second.first != UINT64_MAX &&
                      it->second.first != prev_term))) {
        Fail("log matching: n" + std::to_string(node.id) + " holds a different entry " +
             std::to_string(e.index) + "/t" + std::to_string(e.term));
      }
    }
  }

  void CheckLeader(Node& node) {
    uint64_t term = node.raft->term();
    auto [it, fresh] = leaders_.emplace(term, node.id);
    if (!fresh && it->second != node.id) {
      Fail("election safety: n" + std::to_string(it->second) + " and n" + std::to_string(node.id) +
           " both lead term " + std::to_string(term));
    }
    if (!fresh) return;
    // Leader completeness: a new leader holds every entry committed in an
    // earlier term. (A leader of an old term may legitimately be elected late.)
    const RaftLog& log = node.raft->log();
    for (auto c = committed_.upper_bound(log.SnapIndex()); c != committed_.end(); ++c) {
      if (commit_term_[c->first] >= term) continue;
      if (c->first > log.LastIndex() || log.At(c->first).term != c->second.first ||
          log.At(c->first).data != c->second.second) {
        Fail("leader completeness: n" + std::to_string(node.id) + " leads term " +
             std::to_string(term) + " without committed entry " + std::to_string(c->first));
      }
    }
  }

  // Drains the node's Ready queue, honouring (or deliberately not) the contract.
  void Process(Node& node) {
    while (node.up && node.raft->HasReady()) {
      Ready rd = node.raft->GetReady();
      if (rd.state == StateType::kLeader) CheckLeader(node);
      if (!rd.entries.empty()) CheckNewEntries(node, rd.entries);
      // A crash may strike at any point of handling the Ready.
      int crash_at = Chance(opt_.unsafe_send_before_sync ? crash_p_ * 5 : crash_p_ / 4)
                         ? static_cast<int>(rng_.Uniform(5))
                         : -1;
      if (opt_.unsafe_send_before_sync) Send(node, rd.messages);
      if (crash_at == 0) return Crash(node, "before syncing");
      if (rd.snapshot) {
        node.disk.snap = rd.snapshot;
        node.disk.entries.clear();
        stats_.snapshots_installed++;
      }
      if (!rd.entries.empty()) {
        auto& d = node.disk.entries;
        uint64_t first = rd.entries.front().index;
        uint64_t base = node.disk.snap ? node.disk.snap->meta.index : 0;
        if (first <= base) Fail("persisting entries inside the snapshot");
        d.resize(std::min<uint64_t>(d.size(), first - base - 1));
        if (d.size() != first - base - 1) Fail("persisted log would have a gap");
        d.insert(d.end(), rd.entries.begin(), rd.entries.end());
      }
      if (crash_at == 1) return Crash(node, "after syncing entries, before the hard state");
      if (rd.hard_state) node.disk.hs = *rd.hard_state;
      if (crash_at == 2) return Crash(node, "after syncing, before sending");
      if (!opt_.unsafe_send_before_sync) Send(node, rd.messages);
      if (crash_at == 3) return Crash(node, "after sending, before applying");
      if (rd.snapshot) InstallSnapshot(node, *rd.snapshot);
      for (const Entry& e : rd.committed_entries) Apply(node, e);
      for (const ReadState& r : rd.read_states) CheckRead(node, r);
      if (crash_at == 4) return Crash(node, "after applying, before Advance");
      node.raft->Advance();
      MaybeCompact(node);
    }
  }

  void MaybeCompact(Node& node) {
    const RaftLog& log = node.raft->log();
    if (log.applied() < log.SnapIndex() + node.compact_every) return;
    uint64_t idx = log.applied();
    if (node.app_index != idx) Fail("application and raft disagree on applied index");
    auto s = std::make_shared<Snapshot>();
    s->meta.index = idx;
    s->meta.term = *log.Term(idx);
    s->meta.voters = voters_;
    s->data = std::to_string(idx) + ":" + std::to_string(node.app_hash);
    // Durable snapshot first, then drop the entries it covers.
    uint64_t base = node.disk.snap ? node.disk.snap->meta.index : 0;
    auto& d = node.disk.entries;
    d.erase(d.begin(), d.begin() + std::min<uint64_t>(d.size(), idx - base));
    node.disk.snap = s;
    Status st = node.raft->Compact(idx, s->data);
    if (!st.ok()) Fail("compact: " + st.ToString());
  }

  void CheckRead(Node& node, const ReadState& r) {
    stats_.reads++;
    auto it = reads_.find(r.context);
    if (it == reads_.end()) Fail("read state for unknown context " + r.context);
    // Linearizability: the read index covers every write completed before the
    // read was requested.
    if (r.index < it->second) {
      Fail("stale read: n" + std::to_string(node.id) + " read " + r.context + " at index " +
           std::to_string(r.index) + " but " + std::to_string(it->second) +
           " was committed before the request");
    }
    if (Tracing())
      Log("n" + std::to_string(node.id) + " read " + r.context + " at " + std::to_string(r.index));
  }

  // ---------------------------------------------------------- network ----

  bool Blocked(NodeId from, NodeId to) const { return blocked_.count({from, to}) > 0; }

  void Send(Node& from, std::vector<Message>& msgs) {
    for (Message& m : msgs) {
      stats_.messages++;
      if (m.to < 1 || m.to > static_cast<NodeId>(n_)) Fail("message to unknown node");
      if (Chance(drop_) || Blocked(m.from, m.to)) continue;
      int copies = Chance(dup_) ? 2 : 1;
      for (int k = 0; k < copies; ++k) {
        uint64_t at = now_ + 1 + rng_.Uniform(max_delay_);
        if (!reorder_) {
          // A FIFO link (like one TCP connection): never overtake a message.
          uint64_t& last = link_last_[{m.from, m.to}];
          at = std::max(at, last);
          last = at;
        }
        net_.push(InFlight{at, seq_++, m});
      }
    }
  }

  void Deliver() {
    while (!net_.empty() && net_.top().at <= now_) {
      InFlight f = net_.top();
      net_.pop();
      Node& to = N(f.m.to);
      if (!to.up || Blocked(f.m.from, f.m.to)) continue;
      if (to.paused_until > now_) {  // waits in the receive buffer
        f.at = to.paused_until;
        f.seq = seq_++;
        net_.push(std::move(f));
        continue;
      }
      if (Tracing()) Log("deliver " + DescribeMessage(f.m));
      (void)to.raft->Step(f.m);  // dropped proposals are fine here
      Process(to);
    }
  }

  // ------------------------------------------------------------ clock ----

  void RunTick() {
    for (uint64_t u = 0; u < kUnitsPerTick; ++u) {
      ++now_;
      Deliver();
    }
    stats_.ticks++;
    for (auto& node : nodes_) {
      if (!node->up || Paused(*node) || Chance(node->tick_skip)) continue;
      node->raft->Tick();
      Process(*node);
    }
    for (auto& node : nodes_) {
      if (node->up && node->raft->state() == StateType::kLeader) CheckLeader(*node);
    }
  }

  bool Paused(const Node& node) const { return node.paused_until > now_; }

  void Propose(NodeId id) {
    Node& node = N(id);
    if (!node.up || Paused(node)) return;
    std::string data = "v" + std::to_string(next_value_++);
    Status st = node.raft->Propose(data);
    if (st.ok()) proposals_[data] = id;
    if (Tracing())
      Log("client proposes " + data + " at n" + std::to_string(id) + ": " + st.ToString());
    Process(node);
  }

  void ChaosTick() {
    for (int k = 0; k < proposals_per_tick_; ++k) {
      if (Chance(0.4)) Propose(RandomNode());
    }
    if (Chance(0.05)) {
      Node& node = N(RandomNode());
      if (node.up && !Paused(node)) {
        std::string ctx = "r" + std::to_string(next_read_++);
        reads_[ctx] = max_applied_;
        Status st = node.raft->ReadIndex(ctx);
        if (Tracing())
          Log("client reads " + ctx + " at n" + std::to_string(node.id) + ": " + st.ToString());
        Process(node);
      }
    }
    if (Chance(0.01)) {
      for (auto& node : nodes_) {
        if (node->up && !Paused(*node) && node->raft->state() == StateType::kLeader) {
          NodeId target = RandomNode();
          stats_.transfers++;
          Log("transfer leadership n" + std::to_string(node->id) + " -> n" +
              std::to_string(target));
          (void)node->raft->TransferLeadership(target);
          Process(*node);
          break;
        }
      }
    }
    if (Chance(crash_p_)) {
      Node& node = N(RandomNode());
      if (node.up) Crash(node, "between events");
    }
    if (Chance(0.05)) {
      Node& node = N(RandomNode());
      if (!node.up) Start(node);
    }
    if (Chance(0.004)) {  // a process pause: the node freezes, then resumes
      Node& node = N(RandomNode());
      if (node.up && !Paused(node)) {
        uint64_t ticks = 5 + rng_.Uniform(40);
        node.paused_until = now_ + ticks * kUnitsPerTick;
        Log("n" + std::to_string(node.id) + " pauses for " + std::to_string(ticks) + " ticks");
      }
    }
    if (Chance(0.006)) {  // symmetric partition into two random groups
      blocked_.clear();
      std::vector<int> side(n_ + 1);
      for (int i = 1; i <= n_; ++i) side[i] = static_cast<int>(rng_.Uniform(2));
      std::string desc;
      for (int a = 1; a <= n_; ++a) {
        desc += side[a] ? "B" : "A";
        for (int b = 1; b <= n_; ++b) {
          if (side[a] != side[b]) blocked_.insert({NodeId(a), NodeId(b)});
        }
      }
      Log("partition " + desc);
    }
    if (Chance(0.006)) {  // one-way link failure
      NodeId a = RandomNode(), b = RandomNode();
      if (a != b) {
        blocked_.insert({a, b});
        Log("link n" + std::to_string(a) + " -> n" + std::to_string(b) + " fails");
      }
    }
    if (Chance(0.005)) {  // isolate a node
      NodeId a = RandomNode();
      for (int b = 1; b <= n_; ++b) {
        if (NodeId(b) != a) {
          blocked_.insert({a, NodeId(b)});
          blocked_.insert({NodeId(b), a});
        }
      }
      Log("isolate n" + std::to_string(a));
    }
    if (Chance(0.02) && !blocked_.empty()) {
      blocked_.clear();
      Log("network heals");
    }
  }

  void Heal() {
    Log("--- faults heal ---");
    blocked_.clear();
    drop_ = 0;
    dup_ = 0;
    reorder_ = false;
    crash_p_ = 0;
    for (auto& node : nodes_) {
      node->paused_until = 0;
      if (!node->up) Start(*node);
    }
  }

  // Liveness: a leader emerges and a new proposal commits everywhere in bounded time.
  void Converge() {
    // Bounds: a leader within kLeaderBound ticks; everything committed and
    // applied within the base bound plus two ticks per entry of backlog (the
    // proposals waiting for an acknowledgement and the longest uncommitted log
    // suffix), since a seed may allow only one entry per message.
    constexpr uint64_t kLeaderBound = 150;
    uint64_t backlog = proposals_.size();
    uint64_t longest_suffix = 0;
    for (auto& node : nodes_) {
      const RaftLog& log = node->raft->log();
      longest_suffix = std::max(longest_suffix, log.LastIndex() - log.committed());
    }
    backlog += longest_suffix;
    uint64_t start = stats_.ticks;
    uint64_t deadline = start + opt_.liveness_ticks + 2 * backlog;
    bool had_leader = false;
    std::string marker;
    uint64_t retried_at = 0;
    while (stats_.ticks < deadline) {
      RunTick();
      NodeId leader = kNone;
      for (auto& node : nodes_) {
        if (node->raft->state() == StateType::kLeader) leader = node->id;
      }
      if (leader == kNone) {
        if (!had_leader && stats_.ticks - start > kLeaderBound) {
          Fail("liveness: no leader " + std::to_string(kLeaderBound) + " ticks after healing");
        }
        continue;
      }
      if (!had_leader) {
        had_leader = true;
        stats_.leader_ticks = stats_.ticks - start;
      }
      if (marker.empty() || stats_.ticks - retried_at >= 20) {
        // Clients retry, through the leader, every proposal not yet acknowledged
        // (the leader may have changed, or the proposal was lost); plus a marker.
        retried_at = stats_.ticks;
        if (marker.empty()) {
          marker = "final" + std::to_string(next_value_++);
          proposals_[marker] = kNone;
        }
        // Like the node's mempool, skip values the leader's log already holds.
        const RaftLog& log = N(leader).raft->log();
        std::set<std::string> in_log;
        for (uint64_t i = log.committed() + 1; i <= log.LastIndex(); ++i) {
          in_log.insert(log.At(i).data);
        }
        std::vector<std::string> pending;
        for (const auto& [value, node] : proposals_) {
          if (in_log.count(value) == 0) pending.push_back(value);
        }
        for (const std::string& value : pending) {
          if (!N(leader).raft->Propose(value).ok()) break;  // e.g. uncommitted bound
          proposals_[value] = leader;
        }
        Process(N(leader));
      }
      if (proposals_.empty() && AllApplied(marker)) {
        stats_.converge_ticks = stats_.ticks - start;
        stats_.backlog = backlog;
        FinalChecks();
        return;
      }
    }
    std::string desc;
    for (auto& node : nodes_) desc += " [" + node->raft->Describe() + "]";
    Fail("liveness: no convergence within " + std::to_string(deadline - start) +
         " ticks after healing (backlog " + std::to_string(backlog) + ", " +
         std::to_string(proposals_.size()) + " proposals unacknowledged):" + desc);
  }

  bool AllApplied(const std::string& marker) {
    uint64_t idx = 0;
    for (const auto& [i, d] : committed_) {
      if (d.second == marker) idx = i;
    }
    if (idx == 0) return false;
    // Everything applied anywhere (the marker included) is applied everywhere.
    for (auto& node : nodes_) {
      if (node->app_index < std::max(idx, max_applied_)) return false;
    }
    return true;
  }

  void FinalChecks() {
    // Every node applied the same history; every acknowledged write is in it.
    uint64_t common = UINT64_MAX;
    for (auto& node : nodes_) common = std::min(common, node->app_index);
    for (const auto& [idx, data] : acked_) {
      if (idx > common) Fail("acknowledged entry " + std::to_string(idx) + " not applied");
      auto it = committed_.find(idx);
      if (it == committed_.end() || it->second.second != data) {
        Fail("acknowledged entry " + std::to_string(idx) + " '" + data + "' lost");
      }
      for (auto& node : nodes_) {
        const RaftLog& log = node->raft->log();
        if (idx > log.SnapIndex() && log.At(idx).data != data) {
          Fail("acknowledged entry " + std::to_string(idx) + " differs in n" +
               std::to_string(node->id) + "'s log");
        }
      }
    }
    Log("converged: " + std::to_string(stats_.acked) + " acknowledged writes, commit " +
        std::to_string(stats_.committed));
  }

  uint64_t seed_;
  SimOptions opt_;
  SeededRand rng_;
  int n_ = 3;
  double drop_ = 0, dup_ = 0;
  bool reorder_ = true;
  bool pre_vote_ = true;
  bool check_quorum_ = true;
  std::map<std::pair<NodeId, NodeId>, uint64_t> link_last_;
  double crash_p_ = 0.004;
  uint64_t max_delay_ = 10;
  uint64_t max_msg_bytes_ = 64;
  size_t max_inflight_ = 4;
  int proposals_per_tick_ = 1;
  uint64_t max_apply_bytes_ = 0;
  uint64_t max_uncommitted_ = 1024;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<NodeId> voters_;
  std::priority_queue<InFlight, std::vector<InFlight>, std::greater<InFlight>> net_;
  std::set<std::pair<NodeId, NodeId>> blocked_;
  uint64_t now_ = 0;
  uint64_t seq_ = 0;
  uint64_t next_value_ = 1;
  uint64_t next_read_ = 1;
  uint64_t max_applied_ = 0;
  std::map<std::string, NodeId> proposals_;  // pending: value -> node the client asked
  std::map<uint64_t, std::string> acked_;    // index -> value told "committed"
  std::map<uint64_t, std::pair<uint64_t, std::string>> committed_;  // index -> (term, data)
  std::map<uint64_t, uint64_t> commit_term_;                        // index -> term bound
  std::map<uint64_t, uint64_t> app_hash_at_;                        // index -> state hash
  std::map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, std::string>> entries_;
  std::map<uint64_t, NodeId> leaders_;     // term -> leader
  std::map<std::string, uint64_t> reads_;  // context -> max applied at request
  std::deque<std::string> trace_;
  SimStats stats_;
};

}  // namespace

SimResult RunSeed(uint64_t seed, const SimOptions& options) {
  Sim sim(seed, options);
  return sim.Run();
}

}  // namespace traceledger::raft::sim
