#include "node_sim.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "consensus/rand.h"
#include "contracts/ids.h"
#include "contracts/state.h"
#include "contracts/store.h"
#include "fault_env.h"
#include "genesis/genesis_writer.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"
#include "node/node_core.h"

namespace traceledger::node::sim {
namespace {

using testing::FaultEnv;

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
  std::string uscc;     // the enterprise it enrols
  std::string ent_key;  // that enterprise's public key (raw)
  int64_t next_try_tick = 0;
  bool acked = false;
  bool submitted = false;
  TxReceipt receipt;  // what the client was told, once acked
};

// Where a node is in its life.
enum class Life {
  kRunning,
  kCrashed,  // killed, with a power cut; restarts at down_until
  kStopped,  // stopped itself on a fatal storage error; its operator restarts it
  kRetired,  // refused to start (or stopped) on damaged data: out for good
};

// One validator: its core, its disk and what the simulation knows about both.
struct Slot {
  std::unique_ptr<NodeCore> core;
  std::unique_ptr<FaultEnv> disk;
  Life life = Life::kRunning;
  int64_t down_until = 0;          // kCrashed / kStopped: when to try to start it
  int64_t faults_until = 0;        // transient disk faults are armed until then
  bool damaged = false;            // bits were flipped on its disk
  std::vector<std::string> flips;  // where ("file@offset"), since the last repair
  bool faulted = false;            // a disk fault was armed since it last opened
  uint64_t log_failures = 0;       // the disk's failed_log_writes when last checked
  std::string fatal;               // the node's last FATAL log line
};

class World {
 public:
  World(uint64_t seed, const NodeSimOptions& opt)
      : seed_(seed),
        opt_(opt),
        rng_(seed),
        read_rng_(seed ^ 0x5eadull),
        disk_rng_(seed ^ 0xd15cull) {}

  ~World() {
    for (auto& s : slots_) s.core.reset();  // before their disks
  }

  NodeSimResult Run() {
    if (!Setup()) return Finish();
    for (tick_ = 1; tick_ <= opt_.steps && result_.ok; ++tick_) {
      Faults();
      Step(/*clients=*/true);
    }
    if (!result_.ok) return Finish();
    Heal();
    // Liveness: after healing, everything converges and a probe commits.
    txs_.push_back(MakeClientTx(999999));
    int64_t healed_at = tick_;
    for (; result_.ok; ++tick_) {
      RestartDue();
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
  static std::string Name(int i) { return "n" + std::to_string(i + 1); }
  bool Up(int i) const { return slots_[i].life == Life::kRunning; }
  int Down() const {
    int down = 0;
    for (const auto& s : slots_) down += s.life != Life::kRunning;
    return down;
  }

  bool Setup() {
    n_ = std::clamp(opt_.nodes, 1, kMaxNodes);
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
      spec.validators.push_back({Name(i), keys_[i].public_key,
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
    slots_.resize(n_);
    for (int i = 0; i < n_; ++i) {
      envs_.push_back(std::make_unique<SimEnv>(this, i));
      // 64 KiB memtables (LevelDB's least): a seed's few hundred kilobytes
      // then go through table files, compactions and MANIFEST updates.
      slots_[i].disk =
          std::make_unique<FaultEnv>(seed_ * 7919 + static_cast<uint64_t>(i), 64 << 10);
      if (!Open(i)) return false;
    }
    for (int t = 0; t < opt_.transactions; ++t) txs_.push_back(MakeClientTx(t));
    return true;
  }

  // Opens node i on its disk. False (and the node stays down) if it cannot
  // start; that is a violation unless a fault of its disk explains it.
  bool Open(int i) {
    Slot& s = slots_[i];
    NodeOptions o;
    o.genesis = genesis_;
    o.node_id = Name(i);
    o.key = keys_[i];
    o.data_dir = "/sim/" + o.node_id;  // on its FaultEnv, not on the real disk
    o.env = s.disk.get();
    o.election_ticks = 10;
    o.verify_threads = 0;
    o.compact_every_entries = 16;
    o.max_inflight_blocks = 4;
    o.sync = !opt_.unsafe_no_sync;
    o.log = [this, i](const std::string& line) {
      // From "FATAL" on: the line's wall-clock prefix differs between replays.
      if (auto at = line.find("FATAL"); at != std::string::npos) slots_[i].fatal = line.substr(at);
      if (opt_.verbose) Trace(Name(i) + " " + line);
    };
    s.fatal.clear();
    testing::FaultEnvCounters before = s.disk->counters();
    auto c = NodeCore::Open(o, envs_[i].get());
    s.disk->RunQueuedWork();
    testing::FaultEnvCounters after = s.disk->counters();
    s.log_failures = after.failed_log_writes;
    if (!c.ok()) {
      const Status& st = c.status();
      ++result_.refused_starts;
      Trace(Name(i) + " refuses to start: " + st.ToString());
      if (opt_.disk_faults && s.damaged && st.Is("CORRUPTION")) {
        Damaged(i, "refused to start on damaged data");
        return true;
      }
      bool hit_fault = after.failed_syncs != before.failed_syncs ||
                       after.read_errors != before.read_errors ||
                       after.full_disk_writes != before.full_disk_writes;
      if (opt_.disk_faults && (hit_fault || s.disk->transient_faults_active())) {
        s.life = Life::kStopped;  // the operator tries again once the disk is repaired
        s.down_until = std::max(tick_, s.faults_until) + 10;
        return true;
      }
      Violation(Name(i) + " cannot open: " + st.ToString() +
                (s.damaged ? " (its disk has flipped bits: only CORRUPTION is allowed)" : ""));
      return false;
    }
    s.core = std::move(c).value();
    s.life = Life::kRunning;
    s.faulted = s.damaged || s.disk->transient_faults_active();
    return true;
  }

  // Node i reported damage (CORRUPTION) on a disk with flipped bits. The
  // state store is derived from the blocks: if only it is damaged, the
  // operator removes it and the node rebuilds it by executing every block
  // again (each must give its recorded state hash). Anything else damaged
  // retires the node.
  void Damaged(int i, const std::string& why) {
    Slot& s = slots_[i];
    const std::string state_dir = "/sim/" + Name(i) + "/state/";
    bool only_state = std::all_of(s.flips.begin(), s.flips.end(),
                                  [&](const std::string& f) { return f.rfind(state_dir, 0) == 0; });
    if (!only_state) {
      Retire(i, why);
      return;
    }
    s.core.reset();
    std::vector<std::string> files;
    (void)s.disk->GetChildren(state_dir.substr(0, state_dir.size() - 1), &files);
    for (const auto& f : files) (void)s.disk->RemoveFile(state_dir + f);
    s.disk->SyncAll();
    s.flips.clear();
    s.damaged = false;
    s.life = Life::kStopped;
    s.down_until = tick_ + 1;
    ++result_.state_rebuilds;
    Trace(Name(i) + " " + why + ": its operator removes the state store (rebuilt from the blocks)");
  }

  void Retire(int i, const std::string& why) {
    Slot& s = slots_[i];
    s.core.reset();
    s.life = Life::kRetired;
    ++result_.retired;
    Trace("retire " + Name(i) + ": " + why);
  }

  ClientTx MakeClientTx(int t) {
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
    ClientTx c;
    c.env = *ParseEnvelope(text, genesis_.hash_alg);
    c.uscc = uscc;
    c.ent_key = ent.public_key;
    return c;
  }

  // ---------------- faults ----------------

  void Crash(int i) {
    Slot& s = slots_[i];
    s.core.reset();   // the process dies; its databases close
    s.disk->Crash();  // and the machine loses what was not synced
    s.life = Life::kCrashed;
  }

  // Starts the nodes whose downtime is over.
  void RestartDue() {
    for (int i = 0; i < n_; ++i) {
      Slot& s = slots_[i];
      if ((s.life != Life::kCrashed && s.life != Life::kStopped) || tick_ < s.down_until) continue;
      if (s.life == Life::kStopped) {
        // The operator repaired the disk (room again, reads and syncs work)
        // and restarts the process; sometimes the machine went down too.
        s.disk->ClearTransientFaults();
        s.faults_until = 0;
        if (disk_rng_.Uniform(2) == 0) s.disk->Crash();
      } else if (opt_.disk_faults && disk_rng_.Uniform(4) == 0) {
        // A machine that went down may come back with a flaky disk: its
        // recovery reads meet read errors.
        uint32_t ppm = 20000 + static_cast<uint32_t>(disk_rng_.Uniform(180000));
        s.disk->SetReadErrorRate(ppm);
        s.faulted = true;
        s.faults_until =
            std::max(s.faults_until, tick_ + 5 + static_cast<int64_t>(disk_rng_.Uniform(50)));
        Trace(Name(i) + " disk: reads fail at " + std::to_string(ppm / 10000.0) +
              " % as it starts");
      }
      ++envs_[i]->restarts;
      Trace("restart " + Name(i));
      if (!Open(i)) return;
    }
  }

  void Faults() {
    RestartDue();
    if (!result_.ok) return;
    if (rng_.Uniform(1000) < 6 && Down() < (n_ - 1) / 2 + 1) {
      int i = static_cast<int>(rng_.Uniform(n_));
      if (Up(i)) {
        Crash(i);
        slots_[i].down_until = tick_ + 20 + static_cast<int64_t>(rng_.Uniform(200));
        ++result_.crashes;
        Trace("crash " + Name(i));
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
    if (opt_.disk_faults) DiskFaults();
  }

  // Disk faults, from their own random stream (a seed's network and crash
  // schedule is the same with and without them).
  void DiskFaults() {
    // Transient faults end; a stopped node is restarted by RestartDue.
    for (int i = 0; i < n_; ++i) {
      Slot& s = slots_[i];
      if (s.faults_until && tick_ >= s.faults_until && s.life == Life::kRunning) {
        s.disk->ClearTransientFaults();
        s.faults_until = 0;
        Trace(Name(i) + " disk repaired");
      }
    }
    if (disk_rng_.Uniform(1000) >= 12) return;
    int i = static_cast<int>(disk_rng_.Uniform(n_));
    Slot& s = slots_[i];
    uint64_t kind = disk_rng_.Uniform(4);
    if (s.life == Life::kRetired) return;
    // Failing syncs and a full disk go only to a running node, and only while
    // a majority would stay up if it stopped; reads may also start failing
    // while a node is down (it then meets them as it starts). Bits rot in
    // running and stopped nodes alike.
    bool crashed = s.life == Life::kCrashed;
    if (kind < 2 && (!Up(i) || Down() + 1 > (n_ - 1) / 2)) return;
    if (kind == 2 && !crashed && (!Up(i) || Down() + 1 > (n_ - 1) / 2)) return;
    int64_t until = tick_ + 20 + static_cast<int64_t>(disk_rng_.Uniform(150));
    switch (kind) {
      case 0:
        s.disk->FailSyncs(1);
        Trace(Name(i) + " disk: the next fsync fails");
        break;
      case 1: {
        uint64_t room = disk_rng_.Uniform(48 << 10);
        s.disk->SetSpaceLeft(room);
        Trace(Name(i) + " disk: full after " + std::to_string(room) + " more bytes");
        break;
      }
      case 2: {
        uint32_t ppm = 10000 + static_cast<uint32_t>(disk_rng_.Uniform(190000));
        s.disk->SetReadErrorRate(ppm);
        Trace(Name(i) + " disk: reads fail at " + std::to_string(ppm / 10000.0) + " %");
        break;
      }
      default: {
        // Bit rot: on at most a minority of the nodes (a damaged node may be
        // retired, and a majority must stay).
        int damaged = 0;
        for (const auto& o : slots_) damaged += o.damaged;
        if (!s.damaged && damaged + 1 > (n_ - 1) / 2) return;
        std::string where = s.disk->FlipRandomBit();
        if (where.empty()) return;
        s.damaged = true;
        s.flips.push_back(where);
        s.faulted = true;
        Trace(Name(i) + " disk: bit flipped in " + where);
        return;
      }
    }
    s.faulted = true;
    s.faults_until = std::max(s.faults_until, until);
  }

  void Heal() {
    ClearCuts();
    partition_until_ = 0;
    for (int i = 0; i < n_; ++i) {
      Slot& s = slots_[i];
      s.disk->ClearTransientFaults();
      s.faults_until = 0;
      if (s.life == Life::kCrashed || s.life == Life::kStopped) s.down_until = tick_;
    }
    RestartDue();
    Trace("healed");
  }

  void ClearCuts() {
    for (auto& row : cut_) std::fill(std::begin(row), std::end(row), false);
  }

  // ---------------- the run ----------------

  void Step(bool clients) {
    // Deliver what is due, in (time, sequence) order.
    while (!inflight_.empty() && inflight_.begin()->at <= tick_) {
      Msg m = *inflight_.begin();
      inflight_.erase(inflight_.begin());
      if (!Up(m.to)) continue;
      slots_[m.to].core->OnFrame(static_cast<uint64_t>(m.from + 1), m.frame);
      slots_[m.to].disk->RunQueuedWork();
    }
    for (int i = 0; i < n_ && result_.ok; ++i) {
      if (!Up(i)) continue;
      Slot& s = slots_[i];
      s.core->Tick();
      bool running = s.core->Process();
      s.disk->RunQueuedWork();
      CheckFailStop(i, running);
    }
    if (!result_.ok) return;
    if (clients) Clients();
    if (clients) Reads();
    if (tick_ % 25 == 0) {
      CheckAgreement();
      ReadBack(/*all=*/false);
    }
  }

  // A node whose write-ahead log write or fsync failed must stop at once
  // (never retry the sync and go on); and only a disk fault may stop a node.
  void CheckFailStop(int i, bool running) {
    Slot& s = slots_[i];
    uint64_t failures = s.disk->counters().failed_log_writes;
    bool failed_write = failures != s.log_failures;
    s.log_failures = failures;
    if (running) {
      if (failed_write) {
        Violation(Name(i) + " went on after a write or fsync of its write-ahead log failed");
      }
      return;
    }
    ++result_.fail_stops;
    Trace(Name(i) + " stopped: " + s.fatal);
    if (!opt_.disk_faults || !s.faulted) {
      Violation(Name(i) + " stopped without a disk fault: " + s.fatal);
      return;
    }
    s.core.reset();
    if (s.damaged && s.fatal.find("CORRUPTION") != std::string::npos) {
      Damaged(i, "stopped on damaged data");
      return;
    }
    s.life = Life::kStopped;
    s.down_until =
        std::max(tick_, s.faults_until) + 10 + static_cast<int64_t>(disk_rng_.Uniform(50));
  }

  void Clients() {
    // Spread first submissions over the fault phase; retry unacknowledged ones.
    int64_t spacing = std::max(1, opt_.steps / std::max(1, opt_.transactions));
    for (size_t t = 0; t < txs_.size(); ++t) {
      ClientTx& c = txs_[t];
      if (c.acked || tick_ < c.next_try_tick) continue;
      if (!c.submitted && static_cast<int64_t>(t) * spacing > tick_) continue;
      int i = static_cast<int>(rng_.Uniform(n_));
      if (!Up(i)) continue;
      c.submitted = true;
      c.next_try_tick = tick_ + 100;
      NodeCore* core = slots_[i].core.get();
      Status s = core->Submit(c.env);
      slots_[i].disk->RunQueuedWork();
      if (!s.ok() && !s.Is("DUPLICATE")) {
        c.next_try_tick = tick_ + 10;
        continue;
      }
      core->WaitForReceipt(c.env.tx_id, 1000 * kTickMs, [this, t](Result<TxReceipt> r) {
        if (r.ok() && !txs_[t].acked) {
          txs_[t].acked = true;
          txs_[t].receipt = *r;
          ++result_.acked;
          acked_ids_.insert(r->tx_id);
        }
      });
      slots_[i].disk->RunQueuedWork();
    }
  }

  // Now and then a consistent read at a random node. Answered OK, it must see
  // every transaction acknowledged (on any node) before it began. Its own
  // random stream keeps the rest of a seed's run as it was without reads.
  void Reads() {
    if (read_rng_.Uniform(5) != 0) return;
    int i = static_cast<int>(read_rng_.Uniform(n_));
    if (!Up(i)) return;
    auto must_see =
        std::make_shared<std::vector<std::string>>(acked_ids_.begin(), acked_ids_.end());
    NodeCore* core = slots_[i].core.get();  // a crash destroys the read with the core
    core->ReadIndex(200 * kTickMs, [this, i, core, must_see](Status s) {
      if (!s.ok()) return;  // NO_LEADER at the deadline: allowed
      ++result_.reads;
      for (const auto& id : *must_see) {
        Result<TxLocation> loc = core->blocks().FindTransaction(id);
        if (loc.ok()) continue;
        if (ErrorExplained(i, loc.status())) continue;
        Violation("a consistent read on " + Name(i) + " misses acknowledged transaction " +
                  ToHex(id).substr(0, 16) + " (" + loc.status().ToString() + ")");
        return;
      }
    });
  }

  // Whether a read error on node i is what its disk's faults allow: damaged
  // data is CORRUPTION on a disk with flipped bits; a read that failed is
  // IO_ERROR while read errors are armed. NOT_FOUND is never one of them.
  bool ErrorExplained(int i, const Status& st) const {
    const Slot& s = slots_[i];
    if (!opt_.disk_faults) return false;
    if (st.Is("CORRUPTION")) return s.damaged;
    if (st.Is("IO_ERROR")) return s.disk->transient_faults_active();
    return false;
  }

  bool AllAcked() const {
    return std::all_of(txs_.begin(), txs_.end(), [](const ClientTx& c) { return c.acked; });
  }

  // Block h of node i, encoded; nullopt if the read failed in a way its
  // disk's faults explain (anything else is a violation).
  std::optional<std::string> BlockBytes(int i, uint64_t h) {
    pb::Block b;
    Status s = slots_[i].core->blocks().GetBlock(h, &b);
    slots_[i].disk->RunQueuedWork();
    if (s.ok()) return EncodeBlock(b);
    if (!ErrorExplained(i, s)) {
      Violation(Name(i) + " cannot read its block " + std::to_string(h) + ": " + s.ToString());
    }
    return std::nullopt;
  }

  // Nodes agree on every block they both have (sampled during the run).
  void CheckAgreement() {
    for (int i = 0; i < n_ && result_.ok; ++i) {
      for (int j = i + 1; j < n_ && result_.ok; ++j) {
        if (!Up(i) || !Up(j)) continue;
        uint64_t common = std::min(slots_[i].core->blocks().block_count(),
                                   slots_[j].core->blocks().block_count());
        if (common == 0) continue;
        uint64_t h = common - 1;
        auto a = BlockBytes(i, h);
        auto b = BlockBytes(j, h);
        if (a && b && *a != *b) {
          Violation(Name(i) + " and " + Name(j) + " differ at height " + std::to_string(h));
          return;
        }
      }
    }
  }

  // Reads acknowledged transactions back from every running node: the
  // transaction record, the receipt and the state the enrolment wrote must be
  // exactly what the client sent and was told, or an error the disk explains.
  // `all`: every acknowledged one; else a sample.
  void ReadBack(bool all) {
    std::vector<size_t> acked;
    for (size_t t = 0; t < txs_.size(); ++t) {
      if (txs_[t].acked) acked.push_back(t);
    }
    if (acked.empty()) return;
    for (int i = 0; i < n_ && result_.ok; ++i) {
      if (!Up(i)) continue;
      size_t count = all ? acked.size() : std::min<size_t>(acked.size(), 4);
      for (size_t k = 0; k < count && result_.ok; ++k) {
        size_t t = all ? acked[k] : acked[read_rng_.Uniform(acked.size())];
        ReadBackOne(i, txs_[t]);
        slots_[i].disk->RunQueuedWork();
      }
    }
  }

  void ReadBackOne(int i, const ClientTx& c) {
    const NodeCore& core = *slots_[i].core;
    const TxReceipt& told = c.receipt;
    ++result_.read_backs;
    std::string what = "acknowledged transaction " + ToHex(c.env.tx_id).substr(0, 16) + " on " +
                       Name(i) + " (height " + std::to_string(told.height) + ")";
    bool has_block = core.blocks().block_count() > told.height;
    auto check_error = [&](const char* read, const Status& s) {
      if (s.Is("NOT_FOUND") && !has_block) {
        ++result_.read_back_behind;  // this node has not applied it yet
        return;
      }
      ++result_.read_back_errors;
      if (ErrorExplained(i, s)) return;
      Violation(std::string(read) + " of " + what + ": " + s.ToString());
    };
    pb::TxRecord rec;
    Status s = core.blocks().GetTxRecordById(c.env.tx_id, &rec);
    if (!s.ok()) {
      check_error("the transaction record", s);
      return;
    }
    if (rec.tx().payload() != c.env.payload || rec.tx().signer() != c.env.signer ||
        rec.tx().signature() != c.env.signature || rec.tx_id() != c.env.tx_id ||
        rec.height() != told.height || rec.index() != told.index) {
      Violation("the transaction record of " + what + " is not what the client sent");
      return;
    }
    Result<TxReceipt> r = core.GetReceipt(c.env.tx_id);
    if (!r.ok()) {
      check_error("the receipt", r.status());
      return;
    }
    if (r->tx_id != told.tx_id || r->ok != told.ok || r->code != told.code ||
        r->height != told.height || r->index != told.index) {
      Violation("the receipt of " + what + " is not what the client was told");
      return;
    }
    if (!told.ok) return;
    // The enrolment's state: the enterprise's key names its USCC.
    uint64_t failures = StateReadFailuresOnThisThread();
    std::optional<std::string> uscc = core.state().Get(keys::SignerKey(c.ent_key));
    if (StateReadFailuresOnThisThread() != failures) {
      Status st = core.state().read_status();
      check_error("the state", st.ok() ? Status::IOError(LastStateReadFailureOnThisThread()) : st);
      return;
    }
    if (uscc != c.uscc) {
      Violation("the state of " + what + " names " + (uscc ? *uscc : "no enterprise") + ", not " +
                c.uscc);
    }
  }

  bool Converged() {
    std::optional<uint64_t> count;
    for (int i = 0; i < n_; ++i) {
      if (slots_[i].life == Life::kRetired) continue;
      if (!Up(i)) return false;
      uint64_t c = slots_[i].core->blocks().block_count();
      if (count && *count != c) return false;
      count = c;
    }
    return true;
  }

  std::string Heights() {
    std::string s;
    for (int i = 0; i < n_; ++i) {
      const Slot& sl = slots_[i];
      s += (i ? "," : "");
      if (sl.life == Life::kRetired)
        s += "retired";
      else if (!Up(i))
        s += "down";
      else
        s += std::to_string(sl.core->blocks().block_count() - 1);
    }
    return s;
  }

  void FinalChecks() {
    std::vector<int> up;
    for (int i = 0; i < n_; ++i) {
      if (Up(i)) up.push_back(i);
    }
    if (up.size() * 2 <= static_cast<size_t>(n_)) {
      Violation("only " + std::to_string(up.size()) + " nodes are left running");
      return;
    }
    uint64_t count = slots_[up[0]].core->blocks().block_count();
    std::map<std::string, int> occurrences;
    std::string last_hash;
    for (uint64_t h = 0; h < count; ++h) {
      // Every running node must hold the same bytes, or (damaged disks only)
      // report the block as damaged; at least one must be able to read it.
      std::optional<std::string> ref;
      int ref_node = -1;
      for (int i : up) {
        auto bytes = BlockBytes(i, h);
        if (!result_.ok) return;
        if (!bytes) continue;
        if (ref && *bytes != *ref) {
          Violation(Name(ref_node) + " and " + Name(i) + " differ at height " + std::to_string(h));
          return;
        }
        ref = std::move(bytes);
        ref_node = i;
      }
      if (!ref) {
        Violation("no running node can read block " + std::to_string(h));
        return;
      }
      pb::Block b;
      b.ParseFromString(*ref);
      for (const auto& id : BlockTxIds(genesis_.hash_alg, b)) ++occurrences[id];
      last_hash = ToHex(BlockHash(genesis_.hash_alg, b.header()));
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
    ReadBack(/*all=*/true);
    if (!result_.ok) return;
    result_.height = count - 1;
    result_.final_hash = last_hash;
    for (int i : up) result_.snapshots += slots_[i].core->GetStatus().snapshot_index > 0;
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
    for (const auto& s : slots_) {
      if (!s.disk) continue;
      testing::FaultEnvCounters c = s.disk->counters();
      result_.failed_syncs += c.failed_syncs;
      result_.full_disk_writes += c.full_disk_writes;
      result_.read_errors += c.read_errors;
      result_.flipped_bits += c.flipped_bits;
      result_.torn_files += c.torn_files;
    }
    result_.trace.assign(trace_.begin(), trace_.end());
    return result_;
  }

  uint64_t seed_;
  NodeSimOptions opt_;
  raft::SeededRand rng_;
  raft::SeededRand read_rng_;
  raft::SeededRand disk_rng_;
  int n_ = 0;
  int64_t tick_ = 0;
  uint64_t seq_ = 0;
  Genesis genesis_;
  std::vector<KeyPair> keys_;
  KeyPair regulator_;
  std::vector<std::unique_ptr<SimEnv>> envs_;
  std::vector<Slot> slots_;
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
