#include "node_sim.h"

#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "consensus/rand.h"
#include "contracts/ids.h"
#include "genesis/genesis_writer.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"
#include "node/node_core.h"

namespace traceledger::node::sim {
namespace {

constexpr int64_t kTickMs = 10;
constexpr int64_t kStartMs = 1796025600000LL;  // 2026-11-30T08:00:00Z
constexpr int kMaxNodes = 7;

class World;

class SimEnv : public CoreEnv {
 public:
  SimEnv(World* w, int index) : w_(w), index_(index) {}
  int64_t NowMillis() override;
  bool Send(uint64_t to, std::string frame) override;
  bool Connected(uint64_t peer) const override;
  uint64_t Seed() override;
  uint64_t restarts = 0;

 private:
  World* w_;
  int index_;
};

struct Msg {
  int64_t at;
  uint64_t seq;
  int from, to;
  std::string frame;
  bool operator<(const Msg& o) const { return at != o.at ? at < o.at : seq < o.seq; }
};

struct ClientTx {
  Envelope env;
  int64_t next_try_tick = 0;
  bool acked = false;
  bool submitted = false;
};

class World {
 public:
  World(uint64_t seed, const NodeSimOptions& opt)
      : seed_(seed), opt_(opt), rng_(seed), read_rng_(seed ^ 0x5eadull) {}

  ~World() {
    cores_.clear();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  NodeSimResult Run() {
    if (!Setup()) return result_;
    for (tick_ = 1; tick_ <= opt_.steps && result_.ok; ++tick_) {
      Faults();
      Step(/*clients=*/true);
    }
    if (!result_.ok) return Finish();
    Heal();
    // Liveness: after healing, everything converges and a probe commits.
    ClientTx probe{MakeEnroll(999999), 0, false, false};
    txs_.push_back(probe);
    int healed_at = tick_;
    for (; result_.ok; ++tick_) {
      Step(/*clients=*/true);
      if (Converged() && txs_.back().acked && AllAcked()) break;
      if (tick_ - healed_at > opt_.heal_ticks) {
        Violation("no convergence within " + std::to_string(opt_.heal_ticks) +
                  " ticks after healing (heights " + Heights() + ")");
        break;
      }
    }
    if (result_.ok) FinalChecks();
    return Finish();
  }

  // ---- used by SimEnv ----
  int64_t now_ms() const { return kStartMs + tick_ * kTickMs; }
  void Route(int from, int to, std::string frame) {
    if (to < 0 || to >= n_ || cut_[from][to]) return;
    if (rng_.Uniform(1000) < 20) return;  // 2% dropped
    int64_t delay = 1 + static_cast<int64_t>(rng_.Uniform(3));
    if (rng_.Uniform(100) < 5) delay += static_cast<int64_t>(rng_.Uniform(20));  // reordered
    if (rng_.Uniform(100) < 2) {                                                 // duplicated
      inflight_.insert(
          Msg{tick_ + delay + static_cast<int64_t>(rng_.Uniform(5)), seq_++, from, to, frame});
    }
    inflight_.insert(Msg{tick_ + delay, seq_++, from, to, std::move(frame)});
  }
  bool Cut(int from, int to) const { return cut_[from][to]; }
  uint64_t seed() const { return seed_; }

 private:
  bool Setup() {
    n_ = std::clamp(opt_.nodes, 1, kMaxNodes);
    // LevelDB syncs its manifest on open; on tmpfs that costs nothing, and
    // the simulation's crashes do not need the disk to survive.
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                     ? std::filesystem::path("/dev/shm")
                                     : std::filesystem::temp_directory_path();
    dir_ = base / ("tl-nodesim-" + std::to_string(::getpid()) + "-" + std::to_string(seed_));
    std::filesystem::remove_all(dir_);
    // Keys derived from the seed, so a seed replays exactly.
    auto derive = [&](const std::string& what) {
      for (int attempt = 0;; ++attempt) {
        auto kp = KeyPairFromPrivate(
            Hash(HashAlg::kSha256, std::to_string(seed_) + what + std::to_string(attempt)));
        if (kp.ok()) return *kp;
      }
    };
    GenesisSpec spec;
    spec.chain_id = "zj-sim";
    spec.genesis_time = "2026-11-30T00:00:00Z";
    spec.block_max_interval_ms = 30;
    spec.block_max_txs = 8;
    for (int i = 0; i < n_; ++i) {
      keys_.push_back(derive("validator" + std::to_string(i)));
      // The simulation has no peer port; the pin only has to be well-formed.
      spec.validators.push_back({"n" + std::to_string(i + 1),
                                 keys_[i].public_key,
                                 "127.0.0.1:" + std::to_string(7000 + i),
                                 "127.0.0.1:" + std::to_string(8000 + i),
                                 {Hash(HashAlg::kSha256, "sim tls " + std::to_string(i))}});
    }
    regulator_ = derive("regulator");
    spec.regulators.push_back({"sim regulator", regulator_.public_key});
    auto g = ParseGenesis(BuildGenesisJson(spec));
    if (!g.ok()) {
      Violation("genesis: " + g.status().ToString());
      return false;
    }
    genesis_ = *g;
    for (int i = 0; i < n_; ++i) {
      envs_.push_back(std::make_unique<SimEnv>(this, i));
      cores_.emplace_back();
      down_until_.push_back(0);
      if (!Open(i)) return false;
    }
    for (int t = 0; t < opt_.transactions; ++t) txs_.push_back({MakeEnroll(t), 0, false, false});
    return true;
  }

  bool Open(int i) {
    NodeOptions o;
    o.genesis = genesis_;
    o.node_id = "n" + std::to_string(i + 1);
    o.key = keys_[i];
    o.data_dir = (dir_ / o.node_id).string();
    std::filesystem::create_directories(o.data_dir);
    o.election_ticks = 10;
    o.verify_threads = 0;
    o.compact_every_entries = 16;
    o.max_inflight_blocks = 4;
    o.sync = false;  // see NodeOptions::sync
    if (opt_.verbose) {
      o.log = [this, i](const std::string& s) { Trace("n" + std::to_string(i + 1) + " " + s); };
    }
    auto c = NodeCore::Open(o, envs_[i].get());
    if (!c.ok()) {
      Violation("n" + std::to_string(i + 1) + " cannot open: " + c.status().ToString());
      return false;
    }
    cores_[i] = std::move(c).value();
    return true;
  }

  Envelope MakeEnroll(int t) {
    std::string base = "91330100MA";
    uint64_t v = seed_ * 100003 + static_cast<uint64_t>(t);
    static const char kAlpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for (int k = 0; k < 7; ++k, v /= 31) base.push_back(kAlpha[v % 31]);
    std::string uscc = base + UsccCheckChar(base);
    KeyPair ent = *KeyPairFromPrivate(Hash(HashAlg::kSha256, "ent" + uscc));
    nlohmann::json payload = {{"chain_id", genesis_.chain_id},
                              {"type", "registry.enroll"},
                              {"nonce", "t" + std::to_string(t)},
                              {"time", FormatRfc3339Millis(kStartMs)},
                              {"body",
                               {{"uscc", uscc},
                                {"name", "sim enterprise " + std::to_string(t)},
                                {"roles", {"manufacturer"}},
                                {"public_key", ToHex(ent.public_key)},
                                {"region", "330100"}}}};
    std::string text = *SignEnvelope(regulator_.private_key, payload.dump(), genesis_.hash_alg);
    return *ParseEnvelope(text, genesis_.hash_alg);
  }

  void Faults() {
    // Restart nodes whose downtime is over.
    for (int i = 0; i < n_; ++i) {
      if (!cores_[i] && tick_ >= down_until_[i]) {
        ++envs_[i]->restarts;
        Trace("restart n" + std::to_string(i + 1));
        if (!Open(i)) return;
      }
    }
    int down = 0;
    for (int i = 0; i < n_; ++i) down += !cores_[i];
    if (rng_.Uniform(1000) < 6 && down < (n_ - 1) / 2 + 1) {
      int i = static_cast<int>(rng_.Uniform(n_));
      if (cores_[i]) {
        cores_[i].reset();  // crash: everything it synced survives
        down_until_[i] = tick_ + 20 + static_cast<int64_t>(rng_.Uniform(200));
        ++result_.crashes;
        Trace("crash n" + std::to_string(i + 1));
      }
    }
    if (partition_until_ && tick_ >= partition_until_) {
      ClearCuts();
      partition_until_ = 0;
      Trace("partition healed");
    }
    if (!partition_until_ && rng_.Uniform(1000) < 6) {
      int victim = static_cast<int>(rng_.Uniform(n_));
      bool one_way = rng_.Uniform(2) == 0;
      for (int j = 0; j < n_; ++j) {
        if (j == victim) continue;
        cut_[victim][j] = true;
        if (!one_way) cut_[j][victim] = true;
      }
      partition_until_ = tick_ + 20 + static_cast<int64_t>(rng_.Uniform(150));
      ++result_.partitions;
      Trace(std::string(one_way ? "one-way" : "symmetric") + " partition of n" +
            std::to_string(victim + 1));
    }
  }

  void Heal() {
    ClearCuts();
    partition_until_ = 0;
    for (int i = 0; i < n_; ++i) {
      if (!cores_[i]) {
        ++envs_[i]->restarts;
        if (!Open(i)) return;
      }
    }
    Trace("healed");
  }

  void ClearCuts() {
    for (auto& row : cut_) std::fill(std::begin(row), std::end(row), false);
  }

  void Step(bool clients) {
    // Deliver what is due, in (time, sequence) order.
    while (!inflight_.empty() && inflight_.begin()->at <= tick_) {
      Msg m = *inflight_.begin();
      inflight_.erase(inflight_.begin());
      if (cores_[m.to]) cores_[m.to]->OnFrame(static_cast<uint64_t>(m.from + 1), m.frame);
    }
    for (int i = 0; i < n_; ++i) {
      if (!cores_[i]) continue;
      cores_[i]->Tick();
      if (!cores_[i]->Process()) {
        Violation("n" + std::to_string(i + 1) + " stopped on a fatal error");
        return;
      }
    }
    if (clients) Clients();
    if (clients) Reads();
    if (tick_ % 25 == 0) CheckAgreement();
  }

  void Clients() {
    // Spread first submissions over the fault phase; retry unacknowledged ones.
    int64_t spacing = std::max(1, opt_.steps / std::max(1, opt_.transactions));
    for (size_t t = 0; t < txs_.size(); ++t) {
      ClientTx& c = txs_[t];
      if (c.acked || tick_ < c.next_try_tick) continue;
      if (!c.submitted && static_cast<int64_t>(t) * spacing > tick_) continue;
      int i = static_cast<int>(rng_.Uniform(n_));
      if (!cores_[i]) continue;
      c.submitted = true;
      c.next_try_tick = tick_ + 100;
      Status s = cores_[i]->Submit(c.env);
      if (!s.ok() && !s.Is("DUPLICATE")) {
        c.next_try_tick = tick_ + 10;
        continue;
      }
      cores_[i]->WaitForReceipt(c.env.tx_id, 1000 * kTickMs, [this, t](Result<TxReceipt> r) {
        if (r.ok() && !txs_[t].acked) {
          txs_[t].acked = true;
          ++result_.acked;
          acked_ids_.insert(r->tx_id);
        }
      });
    }
  }

  // Now and then a consistent read at a random node. Answered OK, it must see
  // every transaction acknowledged (on any node) before it began. Its own
  // random stream keeps the rest of a seed's run as it was without reads.
  void Reads() {
    if (read_rng_.Uniform(5) != 0) return;
    int i = static_cast<int>(read_rng_.Uniform(n_));
    if (!cores_[i]) return;
    auto must_see =
        std::make_shared<std::vector<std::string>>(acked_ids_.begin(), acked_ids_.end());
    NodeCore* core = cores_[i].get();  // a crash destroys the read with the core
    core->ReadIndex(200 * kTickMs, [this, i, core, must_see](Status s) {
      if (!s.ok()) return;  // NO_LEADER at the deadline: allowed
      ++result_.reads;
      for (const auto& id : *must_see) {
        if (!core->blocks().FindTransaction(id).ok()) {
          Violation("a consistent read on n" + std::to_string(i + 1) +
                    " misses acknowledged transaction " + ToHex(id).substr(0, 16));
          return;
        }
      }
    });
  }

  bool AllAcked() const {
    return std::all_of(txs_.begin(), txs_.end(), [](const ClientTx& c) { return c.acked; });
  }

  // Nodes agree on every block they both have (sampled during the run).
  void CheckAgreement() {
    for (int i = 0; i < n_; ++i) {
      for (int j = i + 1; j < n_; ++j) {
        if (!cores_[i] || !cores_[j]) continue;
        uint64_t common =
            std::min(cores_[i]->blocks().block_count(), cores_[j]->blocks().block_count());
        if (common == 0) continue;
        uint64_t h = common - 1;
        if (BlockBytes(i, h) != BlockBytes(j, h)) {
          Violation("n" + std::to_string(i + 1) + " and n" + std::to_string(j + 1) +
                    " differ at height " + std::to_string(h));
          return;
        }
      }
    }
  }

  std::string BlockBytes(int i, uint64_t h) {
    pb::Block b;
    if (!cores_[i]->blocks().GetBlock(h, &b).ok()) return "<unreadable>";
    return EncodeBlock(b);
  }

  bool Converged() {
    uint64_t c0 = cores_[0]->blocks().block_count();
    for (int i = 1; i < n_; ++i) {
      if (cores_[i]->blocks().block_count() != c0) return false;
    }
    return true;
  }

  std::string Heights() {
    std::string s;
    for (int i = 0; i < n_; ++i) {
      s += (i ? "," : "") + (cores_[i] ? std::to_string(cores_[i]->blocks().block_count() - 1)
                                       : std::string("down"));
    }
    return s;
  }

  void FinalChecks() {
    uint64_t count = cores_[0]->blocks().block_count();
    std::map<std::string, int> occurrences;
    for (uint64_t h = 0; h < count; ++h) {
      std::string ref = BlockBytes(0, h);
      for (int i = 1; i < n_; ++i) {
        if (BlockBytes(i, h) != ref) {
          Violation("n1 and n" + std::to_string(i + 1) + " differ at height " + std::to_string(h));
          return;
        }
      }
      pb::Block b;
      cores_[0]->blocks().GetBlock(h, &b);
      for (const auto& id : BlockTxIds(genesis_.hash_alg, b)) ++occurrences[id];
    }
    for (const auto& id : acked_ids_) {
      if (occurrences[id] != 1) {
        Violation("acknowledged transaction " + ToHex(id).substr(0, 16) + " is in the ledger " +
                  std::to_string(occurrences[id]) + " times");
        return;
      }
    }
    for (const auto& [id, n] : occurrences) {
      if (n != 1) {
        Violation("transaction " + ToHex(id).substr(0, 16) + " appears " + std::to_string(n) +
                  " times");
        return;
      }
    }
    result_.height = count - 1;
    pb::Block last;
    cores_[0]->blocks().GetBlock(count - 1, &last);
    result_.final_hash = ToHex(BlockHash(genesis_.hash_alg, last.header()));
    for (int i = 0; i < n_; ++i) result_.snapshots += cores_[i]->GetStatus().snapshot_index > 0;
  }

  void Violation(const std::string& what) {
    if (!result_.ok) return;
    result_.ok = false;
    result_.violation = "tick " + std::to_string(tick_) + ": " + what;
  }

  void Trace(const std::string& line) {
    trace_.push_back("[" + std::to_string(tick_) + "] " + line);
    if (!opt_.verbose && trace_.size() > 60) trace_.pop_front();
  }

  NodeSimResult Finish() {
    result_.trace.assign(trace_.begin(), trace_.end());
    return result_;
  }

  uint64_t seed_;
  NodeSimOptions opt_;
  raft::SeededRand rng_;
  raft::SeededRand read_rng_;
  int n_ = 0;
  int64_t tick_ = 0;
  uint64_t seq_ = 0;
  std::filesystem::path dir_;
  Genesis genesis_;
  std::vector<KeyPair> keys_;
  KeyPair regulator_;
  std::vector<std::unique_ptr<SimEnv>> envs_;
  std::vector<std::unique_ptr<NodeCore>> cores_;
  std::vector<int64_t> down_until_;
  bool cut_[kMaxNodes][kMaxNodes] = {};
  int64_t partition_until_ = 0;
  std::set<Msg> inflight_;
  std::vector<ClientTx> txs_;
  std::set<std::string> acked_ids_;
  std::deque<std::string> trace_;
  NodeSimResult result_;
};

int64_t SimEnv::NowMillis() { return w_->now_ms(); }
bool SimEnv::Send(uint64_t to, std::string frame) {
  w_->Route(index_, static_cast<int>(to) - 1, std::move(frame));
  return true;
}
bool SimEnv::Connected(uint64_t peer) const { return !w_->Cut(index_, static_cast<int>(peer) - 1); }
uint64_t SimEnv::Seed() { return w_->seed() * 1000003 + index_ * 7919 + restarts; }

}  // namespace

NodeSimResult RunNodeSeed(uint64_t seed, const NodeSimOptions& options) {
  World w(seed, options);
  return w.Run();
}

}  // namespace traceledger::node::sim
