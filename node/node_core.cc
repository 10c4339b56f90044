#include "node/node_core.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "consensus/codec.h"
#include "consensus/raft.h"
#include "contracts/engine.h"
#include "contracts/store.h"
#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/hex.h"
#include "ledger/time_util.h"
#include "node.pb.h"
#include "node/mempool.h"
#include "node/raft_storage.h"
#include "node/read_queue.h"
#include "node/verified_cache.h"
#include "node/verify_pool.h"

namespace traceledger::node {

namespace {

// State key (outside the contracts' prefixes) holding the height whose writes
// the state store holds.
const char kAppliedHeightKey[] =
    "\xff"
    "node/applied_height";

// Wall time, for log lines only (never for anything that reaches state).
int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string U64Be(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

uint64_t ParseU64Be(const std::string& s) {
  uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

// An error of this node's own disk (it cannot write, or read back, what it
// stored), as opposed to a peer's bad data.
bool IsStorageError(const Status& s) { return s.Is("IO_ERROR") || s.Is("CORRUPTION"); }

const char* RoleName(raft::StateType s) {
  switch (s) {
    case raft::StateType::kLeader:
      return "leader";
    case raft::StateType::kCandidate:
      return "candidate";
    case raft::StateType::kPreCandidate:
      return "pre-candidate";
    default:
      return "follower";
  }
}

}  // namespace

struct NodeCore::Impl {
  struct Waiter {
    int64_t deadline_ms;
    std::function<void(Result<TxReceipt>)> done;
  };

  VerifyPool verify_pool;

  Impl(NodeOptions o, CoreEnv* e)
      : verify_pool(o.verify_threads),
        opt(std::move(o)),
        env(e),
        alg(opt.genesis.hash_alg),
        engine(opt.genesis),
        mempool(MempoolOptions{opt.mempool_max_txs, 256 << 20}),
        rand(e->Seed()),
        reads(Node::kMaxPendingReads, e->Seed() ^ static_cast<uint64_t>(e->NowMillis())) {}

  NodeOptions opt;
  CoreEnv* env;
  HashAlg alg;
  Engine engine;
  Mempool mempool;
  raft::SeededRand rand;
  // Consistent reads waiting for Raft or for the apply loop.
  ReadQueue reads;
  uint64_t self_id = 0;                    // Raft id: index in genesis validators + 1
  std::vector<std::string> validator_ids;  // [raft id - 1] -> validator id

  std::unique_ptr<BlockStore> blocks;
  std::unique_ptr<StateStore> state;
  std::unique_ptr<RaftStorage> raft_store;
  std::unique_ptr<raft::Raft> raft;  // driver thread only

  // Loop-thread state.
  size_t inflight_blocks = 0;
  int64_t last_block_time_ms = 0;
  int64_t last_proposed_time_ms = 0;
  std::string last_state_hash;
  raft::StateType last_role = raft::StateType::kFollower;
  std::map<std::pair<uint64_t, std::string>, pb::Attestation> pending_attestations;
  uint64_t snapshot_index = 0;  // the Raft log on disk starts after it
  // Bytes of entry data applied (or restored at start) since snapshot_index:
  // what the in-memory Raft log holds that the next snapshot lets it drop.
  uint64_t log_bytes_since_snapshot = 0;
  // Fail-stop: the first fatal error (a write or fsync that failed, data that
  // cannot be read back or is damaged). From then on the node neither writes
  // nor applies: Process() returns false and the driver stops it; its
  // operator restarts it once the disk is repaired. A failed fsync is never
  // retried (the kernel may have dropped the data it could not write; the
  // stores refuse every write after a failed one, too).
  Status fatal;
  uint64_t apply_verified = 0;
  uint64_t apply_reused = 0;
  uint64_t forwarded_verified = 0;
  // Catching up after a snapshot: the blocks up to catchup_height (whose hash
  // is catchup_hash) are fetched from peers; committed entries after the
  // snapshot wait in `deferred` until then.
  uint64_t catchup_height = 0;
  std::string catchup_hash;
  bool catching_up = false;
  int catchup_idle_ticks = 0;
  uint64_t catchup_peer = 0;
  std::deque<raft::Entry> deferred;

  // Shared with other threads.
  std::atomic<uint64_t> leader_id{0};
  mutable std::mutex status_mu;
  // The first FATAL line logged (without "FATAL: "): why the node stopped
  // applying. Guarded by status_mu.
  mutable std::string stopped_reason;
  NodeStatus status;  // guarded by status_mu

  // Envelopes verified at this node's door (node/verified_cache.h); kept
  // across role changes. As many entries as a full mempool, 32 MiB of payload.
  VerifiedCache verified{100000, 32 << 20};

  std::mutex wait_mu;
  std::multimap<std::string, Waiter> waiters;  // guarded by wait_mu

  void Log(const std::string& s) const {
    if (s.rfind("FATAL", 0) == 0) {  // the node stops applying: GetStatus says so
      std::lock_guard<std::mutex> l(status_mu);
      size_t from = s.find_first_not_of(": ", 5);
      if (stopped_reason.empty()) {
        stopped_reason = from == std::string::npos ? "a fatal error" : s.substr(from);
      }
    }
    if (opt.log) opt.log(FormatRfc3339Millis(WallMillis()) + " " + opt.node_id + ": " + s);
  }

  // Stops the node (see `fatal`); logged once.
  void Fail(const std::string& what, const Status& s) {
    if (!fatal.ok()) return;
    fatal = s;
    Log("FATAL: " + what + ": " + s.ToString() + "; stopping");
  }

  // Why a read of the state store on this thread failed (it answered
  // "absent"): the store's damage, else the I/O error.
  Status StateReadError() const {
    Status damaged = state->read_status();
    if (!damaged.ok()) return damaged;
    return Status::IOError(LastStateReadFailureOnThisThread());
  }

  // ---------------- opening and recovery ----------------

  Status OpenStores() {
    const Genesis& g = opt.genesis;
    for (size_t i = 0; i < g.validators.size(); ++i) {
      validator_ids.push_back(g.validators[i].id);
      if (g.validators[i].id == opt.node_id) self_id = i + 1;
    }
    if (self_id == 0) {
      return Status::Error("NOT_A_VALIDATOR", "node id \"" + opt.node_id + "\" is not among the " +
                                                  "validators of " + opt.genesis_path);
    }
    if (opt.key.public_key != g.validators[self_id - 1].public_key) {
      return Status::Error("KEY_MISMATCH",
                           "the node key does not match the public key genesis "
                           "lists for validator \"" +
                               opt.node_id + "\"");
    }
    BlockStoreOptions bo;
    bo.alg = alg;
    bo.genesis_hash = g.hash;
    bo.sync = opt.sync;
    bo.env = opt.env;
    auto b = BlockStore::Open(opt.data_dir + "/blocks", bo);
    if (!b.ok()) return b.status();
    blocks = std::move(b).value();
    auto s = StateStore::Open(opt.data_dir + "/state", opt.env);
    if (!s.ok()) return s.status();
    state = std::move(s).value();
    auto r = RaftStorage::Open(opt.data_dir + "/raft", opt.sync, opt.env);
    if (!r.ok()) return r.status();
    raft_store = std::move(r).value();
    if (blocks->block_count() == 0) TL_RETURN_IF_ERROR(WriteGenesisBlock());
    TL_RETURN_IF_ERROR(RecoverState());
    TL_RETURN_IF_ERROR(ReattestLatest());
    return StartRaft();
  }

  // Block 0: no transactions; prev_hash and state_hash are the genesis hash.
  Status WriteGenesisBlock() {
    pb::Block b;
    auto* h = b.mutable_header();
    h->set_chain_id(opt.genesis.chain_id);
    h->set_height(0);
    h->set_prev_hash(opt.genesis.hash);
    h->set_time(opt.genesis.genesis_time_ms);
    h->set_state_hash(opt.genesis.hash);
    SealBlock(alg, &b);
    TL_RETURN_IF_ERROR(blocks->Append(b));
    Log("created block 0 from genesis " + ToHex(opt.genesis.hash).substr(0, 16));
    return Status::OK();
  }

  // The contracts' text invariant caught a faulty rule (docs/contracts.md,
  // "Text"): the transactions were rejected INTERNAL_TEXT_INVALID, the same on
  // every node; say so, since it is a bug to fix.
  void LogTextViolations(const BlockResult& r) {
    for (const auto& v : r.text_violations) Log("contracts: text that is not UTF-8: " + v);
  }

  // Re-executes a block that is already final (from this node's block store
  // after a crash, or from a peer while catching up): verifies its envelopes,
  // runs the contracts on the current state, requires the block's state_hash,
  // then (when `append`) appends it, and applies its state writes. Sets
  // *local when the failure is this node's own storage (not the block's).
  Status ExecuteFinalBlock(const pb::Block& b, bool append, bool* local) {
    *local = false;
    uint64_t h = b.header().height();
    std::vector<RawTx> raw;
    for (const auto& tx : b.transactions()) {
      raw.push_back({&tx.payload(), &tx.signer(), &tx.signature()});
    }
    std::vector<Envelope> envs;
    for (auto& parsed : verify_pool.VerifyAll(raw, alg)) {
      if (!parsed.ok()) {
        return Status::Corruption("block " + std::to_string(h) +
                                  " holds an invalid envelope: " + parsed.status().ToString());
      }
      envs.push_back(std::move(parsed).value());
    }
    BlockContext ctx{h, b.header().time(), b.header().proposer(), last_state_hash};
    BlockResult r = engine.ExecuteBlock(*state, ctx, envs);
    if (!r.status.ok()) {  // a damaged or unreadable state store: stop, never guess
      *local = true;
      return r.status;
    }
    LogTextViolations(r);
    if (r.state_hash != b.header().state_hash()) {
      return Status::Corruption("executing block " + std::to_string(h) +
                                " gives another state hash than the block records");
    }
    if (append) {
      Status s = blocks->Append(b);
      if (!s.ok()) {
        *local = IsStorageError(s);
        return s;
      }
    }
    r.writes.push_back({kAppliedHeightKey, U64Be(h)});
    Status s = state->Apply(r.writes, opt.sync);
    if (!s.ok()) {
      *local = true;
      return s;
    }
    last_state_hash = r.state_hash;
    last_block_time_ms = b.header().time();
    return Status::OK();
  }

  // A power cut can lose this node's unsynced attestation of its latest block
  // (it is sent to peers once, when the block is applied): sign it again.
  Status ReattestLatest() {
    uint64_t latest = *blocks->latest_height();
    if (latest == 0) return Status::OK();
    std::vector<pb::Attestation> atts;
    TL_RETURN_IF_ERROR(blocks->GetAttestations(latest, &atts));
    for (const auto& a : atts) {
      if (a.node_id() == opt.node_id) return Status::OK();
    }
    Log("attesting block " + std::to_string(latest) + " again (its attestation was not on disk)");
    return Attest(latest, blocks->latest_hash());
  }

  // Re-executes blocks whose state writes did not reach the state store
  // (a crash between the two synced writes).
  Status RecoverState() {
    uint64_t failures = StateReadFailuresOnThisThread();
    auto v = state->Get(kAppliedHeightKey);
    // A failed read is not "nothing applied yet": that would re-execute every
    // block on the current state.
    if (StateReadFailuresOnThisThread() != failures) return StateReadError();
    uint64_t latest = *blocks->latest_height();
    uint64_t next = v ? ParseU64Be(*v) + 1 : 1;
    pb::Block b;
    TL_RETURN_IF_ERROR(blocks->GetBlock(std::min(next - 1, latest), &b));
    last_state_hash = b.header().state_hash();
    last_block_time_ms = b.header().time();
    for (uint64_t h = next; h <= latest; ++h) {
      TL_RETURN_IF_ERROR(blocks->GetBlock(h, &b));
      bool local = false;
      TL_RETURN_IF_ERROR(ExecuteFinalBlock(b, /*append=*/false, &local));
      Log("recovered the state of block " + std::to_string(h));
    }
    return Status::OK();
  }

  Status StartRaft() {
    auto restart = raft_store->Load();
    if (!restart.ok()) return restart.status();
    pb::Block tip;
    TL_RETURN_IF_ERROR(blocks->GetBlock(*blocks->latest_height(), &tip));
    raft::Config c;
    c.id = self_id;
    for (size_t i = 0; i < validator_ids.size(); ++i) c.voters.push_back(i + 1);
    c.election_tick = opt.election_ticks;
    c.heartbeat_tick = 1;
    c.rand = &rand;
    // Entries after the latest block's are re-applied; they are either empty
    // or produced no block, so applying them again is harmless.
    c.applied = std::min<uint64_t>(tip.header().raft_index(), restart->hard_state.commit);
    if (restart->snapshot) c.applied = std::max(c.applied, restart->snapshot->meta.index);
    size_t n_entries = restart->entries.size();
    for (const auto& e : restart->entries) log_bytes_since_snapshot += e.data.size();
    if (restart->snapshot) {
      snapshot_index = restart->snapshot->meta.index;
      TL_RETURN_IF_ERROR(StartCatchUp(*restart->snapshot));
    }
    auto r = raft::Raft::New(c, std::move(restart).value());
    if (!r.ok()) return r.status();
    raft = std::move(r).value();
    Log("opened: height " + std::to_string(tip.header().height()) + ", " +
        std::to_string(n_entries) + " raft entries on disk, term " + std::to_string(raft->term()));
    return Status::OK();
  }

  // One Raft tick, and what hangs off the clock.
  void Tick() {
    if (!fatal.ok()) return;
    raft->Tick();
    // Attestations are stored unsynced; make them durable at most a tick later.
    if (blocks->has_unsynced_writes()) {
      Status s = blocks->Flush();
      if (!s.ok()) Fail("cannot sync the block store", s);
    }
    ExpireWaiters(env->NowMillis());
    if (catching_up && ++catchup_idle_ticks >= 2 * opt.election_ticks) RequestBlocks(true);
  }

  bool Process() {
    if (!fatal.ok()) return false;
    MaybeProposeBlock();
    // Consistent reads: ask Raft (again after an election timeout unanswered).
    reads.SendDue(env->NowMillis(), int64_t{opt.election_ticks} * opt.tick_ms,
                  [this](const std::string& ctx) { return raft->ReadIndex(ctx).ok(); });
    while (raft->HasReady()) {
      if (!HandleReady()) return false;
    }
    if (!MaybeCompact() || !fatal.ok()) return false;
    UpdateStatus();
    // While catching up, committed entries wait in `deferred`: nothing is served.
    reads.Complete(catching_up ? 0 : raft->log().applied(), env->NowMillis());
    return true;
  }

  void HandleFrame(uint64_t from, const std::string& bytes) {
    if (!fatal.ok()) return;  // stopped: nothing more is written or sent
    pb::PeerFrame f;
    if (!f.ParseFromString(bytes)) {
      Log("dropped an undecodable frame from peer " + std::to_string(from));
      return;
    }
    if (f.has_raft()) {
      auto m = raft::DecodeMessage(f.raft());
      if (!m.ok() || m->from != from) {
        Log("dropped a bad raft message from peer " + std::to_string(from));
        return;
      }
      // Proposals and leadership transfers are this node's own requests to its
      // Raft: a node proposes only as the leader and never transfers, so from
      // a peer they would let it append a block of its own making (any time,
      // any proposer) or move the leadership (found while writing
      // fuzz/peer_frame_fuzz.cc).
      if (m->type == raft::MessageType::kProp || m->type == raft::MessageType::kTransferLeader) {
        Log("dropped a raft proposal or leadership transfer from peer " + std::to_string(from));
        return;
      }
      Status s = raft->Step(*m);
      (void)s;  // dropped proposals and stale messages are normal
    } else if (f.has_forward()) {
      AcceptForwarded(from, f.forward());
    } else if (f.has_attestation()) {
      AcceptAttestation(from, f.attestation());
    } else if (f.has_block_request()) {
      ServeBlocks(from, f.block_request());
    } else if (f.has_block_batch()) {
      AcceptBlocks(from, f.block_batch());
    }
  }

  // ---------------- snapshots and catching up ----------------

  // Takes a snapshot every compact_every_entries applied entries: the
  // application state at the applied index is "the chain up to the latest
  // block", so the snapshot carries that block's height and hash.
  bool MaybeCompact() {
    uint64_t applied = raft->log().applied();
    if (catching_up || applied <= snapshot_index) return true;
    bool by_bytes =
        opt.compact_every_bytes > 0 && log_bytes_since_snapshot >= opt.compact_every_bytes;
    if (!by_bytes && applied < snapshot_index + opt.compact_every_entries) return true;
    auto term = raft->log().Term(applied);
    if (!term) return true;
    pb::AppSnapshot app;
    auto [count, hash] = blocks->tip();
    app.set_height(count - 1);
    app.set_block_hash(hash);
    raft::Snapshot snap;
    snap.meta.index = applied;
    snap.meta.term = *term;
    snap.meta.voters = raft->voters();
    snap.data = app.SerializeAsString();
    Status s = raft_store->SaveSnapshot(snap);
    if (!s.ok()) {
      Fail("cannot save a snapshot", s);
      return false;
    }
    s = raft->Compact(applied, snap.data);
    if (!s.ok()) {
      Log("could not compact the raft log at " + std::to_string(applied) + ": " + s.ToString());
      return true;
    }
    snapshot_index = applied;
    log_bytes_since_snapshot = 0;
    Log("snapshot at raft index " + std::to_string(applied) + " (height " +
        std::to_string(count - 1) + "); raft log compacted");
    return true;
  }

  // A snapshot arrived (or was found at restart): fetch the blocks it stands
  // for, unless this node already has them.
  Status StartCatchUp(const raft::Snapshot& snap) {
    pb::AppSnapshot app;
    if (!app.ParseFromString(snap.data)) {
      return Status::Corruption("raft snapshot at index " + std::to_string(snap.meta.index) +
                                " does not hold a block position");
    }
    uint64_t have = blocks->block_count();
    if (app.height() < have) {
      pb::Block b;
      TL_RETURN_IF_ERROR(blocks->GetBlock(app.height(), &b));
      if (BlockHash(alg, b.header()) != app.block_hash()) {
        return Status::Corruption("the snapshot names block " + std::to_string(app.height()) +
                                  " with another hash than this node's: the chains diverged");
      }
      return Status::OK();
    }
    catching_up = true;
    catchup_height = app.height();
    catchup_hash = app.block_hash();
    Log("behind the cluster's snapshot: fetching blocks " + std::to_string(have) + ".." +
        std::to_string(catchup_height) + " from peers");
    return Status::OK();
  }

  // Asks a peer for the next blocks: the leader first, another peer on retry.
  void RequestBlocks(bool retry) {
    catchup_idle_ticks = 0;
    uint64_t lead = raft ? raft->lead() : raft::kNone;
    if (!retry && lead != raft::kNone && lead != self_id) {
      catchup_peer = lead;
    } else {
      do {
        catchup_peer = catchup_peer % validator_ids.size() + 1;
      } while (catchup_peer == self_id && validator_ids.size() > 1);
    }
    if (catchup_peer == self_id) return;
    pb::PeerFrame f;
    f.mutable_block_request()->set_from_height(blocks->block_count());
    f.mutable_block_request()->set_max_blocks(kMaxBlocksPerBatch);
    env->Send(catchup_peer, f.SerializeAsString());
  }

  static constexpr uint32_t kMaxBlocksPerBatch = 256;
  static constexpr size_t kMaxBatchBytes = kMaxBlockBatchBytes;
  static constexpr size_t kMaxForwardFrameBytes = 4 << 20;

  void ServeBlocks(uint64_t to, const pb::BlockRequest& req) {
    pb::PeerFrame f;
    auto* batch = f.mutable_block_batch();
    uint64_t count = blocks->block_count();
    batch->set_tip_height(count - 1);
    uint32_t max = std::min(req.max_blocks(), kMaxBlocksPerBatch);
    size_t bytes = 0;
    for (uint64_t h = req.from_height(); h < count && batch->blocks_size() < static_cast<int>(max);
         ++h) {
      pb::Block b;
      Status s = blocks->GetBlock(h, &b);
      if (!s.ok()) {
        Log("cannot serve block " + std::to_string(h) + " to " + validator_ids[to - 1] + ": " +
            s.ToString());
        break;
      }
      bytes += b.ByteSizeLong();
      if (batch->blocks_size() > 0 && bytes > kMaxBatchBytes) break;
      *batch->add_blocks() = std::move(b);
    }
    env->Send(to, f.SerializeAsString());
  }

  void AcceptBlocks(uint64_t from, const pb::BlockBatch& batch) {
    if (!catching_up) return;
    catchup_idle_ticks = 0;
    for (const auto& b : batch.blocks()) {
      uint64_t h = b.header().height();
      if (h != blocks->block_count()) continue;  // a duplicate or an old answer
      if (h > catchup_height) break;
      if (b.header().prev_hash() != blocks->latest_hash()) {
        Log("peer " + validator_ids[from - 1] + " sent block " + std::to_string(h) +
            " that does not link to ours; asking another peer");
        RequestBlocks(true);
        return;
      }
      bool local = false;
      Status s = ExecuteFinalBlock(b, /*append=*/true, &local);
      if (!s.ok() && local) {
        Fail("cannot apply block " + std::to_string(h) + " fetched from " + validator_ids[from - 1],
             s);
        return;
      }
      if (!s.ok()) {
        Log("block " + std::to_string(h) + " from " + validator_ids[from - 1] +
            " refused: " + s.ToString() + "; asking another peer");
        RequestBlocks(true);
        return;
      }
      s = Attest(h, BlockHash(alg, b.header()));
      if (!s.ok()) {
        Fail("cannot store this node's attestation of block " + std::to_string(h), s);
        return;
      }
    }
    uint64_t have = blocks->block_count();
    if (have <= catchup_height) {
      RequestBlocks(false);
      return;
    }
    pb::Block target;
    Status ts = blocks->GetBlock(catchup_height, &target);
    if (!ts.ok()) {
      Fail("cannot read block " + std::to_string(catchup_height) + " back", ts);
      return;
    }
    if (BlockHash(alg, target.header()) != catchup_hash) {
      Fail("catching up", Status::Corruption("the fetched chain does not end in the snapshot's "
                                             "block; check this node's peers"));
      return;
    }
    catching_up = false;
    Log("caught up to height " + std::to_string(catchup_height) + "; applying " +
        std::to_string(deferred.size()) + " newer entries");
    while (!deferred.empty()) {
      raft::Entry e = std::move(deferred.front());
      deferred.pop_front();
      log_bytes_since_snapshot += e.data.size();
      Status s = Apply(e);
      if (!s.ok()) {
        Fail("cannot apply raft entry " + std::to_string(e.index), s);
        return;
      }
    }
  }

  void AcceptForwarded(uint64_t from, const pb::Forward& fw) {
    if (raft->state() != raft::StateType::kLeader) {
      Log("dropped " + std::to_string(fw.transactions_size()) + " forwarded transactions from " +
          validator_ids[from - 1] + ": not the leader any more");
      return;
    }
    std::vector<RawTx> raw;
    for (const auto& tx : fw.transactions())
      raw.push_back({&tx.payload(), &tx.signer(), &tx.signature()});
    forwarded_verified += raw.size();
    for (auto& parsed : verify_pool.VerifyAll(raw, alg)) {
      // The follower verified it; a bad one is simply dropped.
      if (parsed.ok()) (void)AddToMempool(*parsed);
    }
  }

  Status AddToMempool(const Envelope& e) {
    PendingTx p{e.tx_id, e.payload, e.signer, e.signature, env->NowMillis()};
    TL_RETURN_IF_ERROR(mempool.Add(std::move(p)));
    RememberVerified(e);
    return Status::OK();
  }

  void RememberVerified(const Envelope& e) { verified.Put(e); }

  // The envelope this node verified at the door, if `tx` is byte for byte the
  // same (then verifying it again would give the same answer). Removes it.
  std::optional<Envelope> TakeVerified(const pb::Transaction& tx, const std::string& tx_id) {
    return verified.Take(tx_id, tx.payload(), tx.signer(), tx.signature());
  }

  void AcceptAttestation(uint64_t from, const pb::Attestation& a) {
    if (a.node_id() != validator_ids[from - 1]) return;
    Status s = VerifyDigest(opt.genesis.validators[from - 1].public_key,
                            AttestationDigest(alg, a.height(), a.block_hash()), a.signature());
    if (!s.ok()) {
      Log("dropped an attestation from " + a.node_id() + ": " + s.ToString());
      return;
    }
    if (a.height() < blocks->block_count()) {
      Status ps = blocks->PutAttestation(a);
      if (IsStorageError(ps)) {
        Fail("cannot store the attestation of " + a.node_id(), ps);
      } else if (!ps.ok()) {
        Log("attestation of " + a.node_id() + " refused: " + ps.ToString());
      }
    } else if (pending_attestations.size() < 10000) {
      pending_attestations[{a.height(), a.node_id()}] = a;
    }
  }

  void MaybeProposeBlock() {
    if (raft->state() != raft::StateType::kLeader) return;
    size_t pending = mempool.size();
    if (pending == 0 || inflight_blocks >= opt.max_inflight_blocks) return;
    const BlockLimits& lim = opt.genesis.params.block;
    int64_t now = env->NowMillis();
    auto oldest = mempool.oldest_arrival_ms();
    // Close a block at once when the pipeline is idle (low latency), else when
    // it is full or its oldest transaction waited max_interval_ms.
    bool close = inflight_blocks == 0 || pending >= lim.max_txs ||
                 mempool.bytes() >= lim.max_bytes ||
                 (oldest && now - *oldest >= static_cast<int64_t>(lim.max_interval_ms));
    if (!close) return;
    std::vector<PendingTx> txs = mempool.Take(lim.max_txs, lim.max_bytes);
    pb::BlockProposal p;
    int64_t t = std::max({now, last_block_time_ms, last_proposed_time_ms});
    p.set_time(t);
    p.set_proposer(opt.node_id);
    for (auto& tx : txs) {
      auto* out = p.add_transactions();
      out->set_payload(std::move(tx.payload));
      out->set_signer(std::move(tx.signer));
      out->set_signature(std::move(tx.signature));
    }
    Status s = raft->Propose(p.SerializeAsString());
    if (!s.ok()) {
      // Nothing was appended: the transactions go back into the mempool (behind
      // newer arrivals) for the next block, or for a new leader.
      Log("could not propose a block of " + std::to_string(txs.size()) + " transactions (" +
          s.ToString() + "); they wait for the next block");
      for (int i = 0; i < p.transactions_size(); ++i) {
        auto* tx = p.mutable_transactions(i);
        (void)mempool.Add(PendingTx{std::move(txs[i].tx_id), std::move(*tx->mutable_payload()),
                                    std::move(*tx->mutable_signer()),
                                    std::move(*tx->mutable_signature()), txs[i].arrival_ms});
      }
      return;
    }
    last_proposed_time_ms = t;
    ++inflight_blocks;
  }

  // Returns false on a fatal storage error (the loop stops; the operator restarts).
  bool HandleReady() {
    raft::Ready rd = raft->GetReady();
    Status s = raft_store->Save(rd);
    if (!s.ok()) {
      Fail("cannot persist the raft log", s);
      return false;
    }
    for (const auto& m : rd.messages) {
      pb::PeerFrame f;
      f.set_raft(raft::EncodeMessage(m));
      env->Send(m.to, f.SerializeAsString());
    }
    if (rd.snapshot) {
      Log("installing the raft snapshot at index " + std::to_string(rd.snapshot->meta.index));
      snapshot_index = rd.snapshot->meta.index;
      log_bytes_since_snapshot = 0;
      deferred.clear();  // the snapshot covers whatever was waiting
      s = StartCatchUp(*rd.snapshot);
      if (!s.ok()) {
        Fail("cannot install the raft snapshot", s);
        return false;
      }
      if (catching_up) RequestBlocks(false);
    }
    for (const auto& e : rd.committed_entries) {
      if (catching_up) {
        deferred.push_back(e);
        continue;
      }
      log_bytes_since_snapshot += e.data.size();
      s = Apply(e);
      if (!s.ok()) {
        Fail("cannot apply raft entry " + std::to_string(e.index), s);
        return false;
      }
    }
    for (const auto& rs : rd.read_states) reads.Confirmed(rs.context, rs.index);
    raft->Advance();
    if (rd.state != last_role) OnRoleChange(rd.state);
    return true;
  }

  void OnRoleChange(raft::StateType now) {
    Log(std::string("now ") + RoleName(now) + " in term " + std::to_string(raft->term()) +
        (raft->lead() ? ", leader " + validator_ids[raft->lead() - 1] : ""));
    inflight_blocks = 0;
    if (last_role == raft::StateType::kLeader && now != raft::StateType::kLeader) {
      // Pass what was waiting here to the new leader, if one is known.
      auto txs = mempool.Take(SIZE_MAX, SIZE_MAX);
      uint64_t lead = raft->lead();
      if (!txs.empty() && lead != raft::kNone && lead != self_id) {
        // In frames of at most kMaxForwardFrameBytes: the mempool may hold far
        // more than one peer frame may carry (MaxPeerFrameBytes).
        pb::PeerFrame f;
        size_t bytes = 0;
        for (size_t i = 0; i < txs.size(); ++i) {
          const PendingTx& tx = txs[i];
          auto* out = f.mutable_forward()->add_transactions();
          out->set_payload(tx.payload);
          out->set_signer(tx.signer);
          out->set_signature(tx.signature);
          bytes += tx.payload.size() + tx.signer.size() + tx.signature.size() + 16;
          if (bytes >= kMaxForwardFrameBytes || i + 1 == txs.size()) {
            env->Send(lead, f.SerializeAsString());
            f.Clear();
            bytes = 0;
          }
        }
      } else if (!txs.empty()) {
        Log("lost leadership with " + std::to_string(txs.size()) +
            " transactions waiting and no new leader; clients must resubmit");
      }
    }
    last_role = now;
  }

  Status Apply(const raft::Entry& e) {
    if (e.type != raft::EntryType::kNormal || e.data.empty()) return Status::OK();
    pb::BlockProposal p;
    if (!p.ParseFromString(e.data)) {
      Log("raft entry " + std::to_string(e.index) + " is not a block proposal; skipped");
      return Status::OK();
    }
    if (p.proposer() == opt.node_id && inflight_blocks > 0) --inflight_blocks;
    // Drop transactions already in the ledger or repeated in this block, and
    // any that fail verification (an honest leader never proposes those).
    std::vector<Envelope> envs;
    std::unordered_set<std::string> seen;
    std::vector<std::optional<Result<Envelope>>> results(p.transactions_size());
    std::vector<RawTx> raw;
    std::vector<size_t> raw_at;
    for (int i = 0; i < p.transactions_size(); ++i) {
      const auto& tx = p.transactions(i);
      if (auto done = TakeVerified(tx, TxId(alg, tx.signer(), tx.payload()))) {
        results[i] = std::move(*done);
        ++apply_reused;
        continue;
      }
      raw.push_back({&tx.payload(), &tx.signer(), &tx.signature()});
      raw_at.push_back(static_cast<size_t>(i));
    }
    apply_verified += raw.size();
    std::vector<Result<Envelope>> checked = verify_pool.VerifyAll(raw, alg);
    for (size_t k = 0; k < checked.size(); ++k) results[raw_at[k]] = std::move(checked[k]);
    for (auto& slot : results) {
      Result<Envelope>& parsed = *slot;
      if (!parsed.ok()) {
        Log("block proposal at raft index " + std::to_string(e.index) +
            " holds an invalid envelope (" + parsed.status().code() + "); dropped");
        continue;
      }
      if (!seen.insert(parsed->tx_id).second) continue;
      Result<TxLocation> earlier = blocks->FindTransaction(parsed->tx_id);
      if (earlier.ok()) continue;  // already in the ledger
      // Unreadable is not "absent": guessing could put it in the ledger twice.
      if (!earlier.status().Is("NOT_FOUND")) return earlier.status();
      envs.push_back(std::move(parsed).value());
    }
    if (envs.empty()) return Status::OK();
    uint64_t height = blocks->block_count();
    int64_t time = std::max(p.time(), last_block_time_ms);
    BlockContext ctx{height, time, p.proposer(), last_state_hash};
    BlockResult r = engine.ExecuteBlock(*state, ctx, envs);
    if (!r.status.ok()) return r.status;  // a damaged or unreadable state store: stop, never guess
    LogTextViolations(r);
    pb::Block b;
    auto* h = b.mutable_header();
    h->set_chain_id(opt.genesis.chain_id);
    h->set_height(height);
    h->set_prev_hash(blocks->latest_hash());
    h->set_time(time);
    h->set_proposer(p.proposer());
    h->set_raft_term(e.term);
    h->set_raft_index(e.index);
    h->set_state_hash(r.state_hash);
    for (size_t i = 0; i < envs.size(); ++i) {
      auto* tx = b.add_transactions();
      tx->set_payload(envs[i].payload);
      tx->set_signer(envs[i].signer);
      tx->set_signature(envs[i].signature);
      auto* rc = b.add_receipts();
      const Receipt& er = r.receipts[i];
      rc->set_tx_id(er.tx_id);
      rc->set_ok(er.ok);
      rc->set_code(er.ok ? "" : er.code);
      rc->set_message(er.message);
      rc->set_height(height);
      rc->set_index(static_cast<uint32_t>(i));
      rc->set_heads_root(er.heads_root);
    }
    std::string block_hash = SealBlock(alg, &b);
    TL_RETURN_IF_ERROR(blocks->Append(b));
    r.writes.push_back({kAppliedHeightKey, U64Be(height)});
    TL_RETURN_IF_ERROR(state->Apply(r.writes, opt.sync));
    last_state_hash = r.state_hash;
    last_block_time_ms = time;
    TL_RETURN_IF_ERROR(Attest(height, block_hash));
    {
      // A client told "committed" must not then read an older height in /v1/status.
      std::lock_guard<std::mutex> l(status_mu);
      status.height = height;
      status.latest_hash = ToHex(block_hash);
    }
    Notify(b);
    return Status::OK();
  }

  // Signs, stores and sends this node's attestation of a block it applied,
  // and stores the peers' attestations of it that arrived first. An error
  // is this node's storage failing (the caller stops).
  Status Attest(uint64_t height, const std::string& block_hash) {
    pb::Attestation a;
    a.set_node_id(opt.node_id);
    a.set_height(height);
    a.set_block_hash(block_hash);
    auto sig = SignDigest(opt.key.private_key, AttestationDigest(alg, height, block_hash));
    if (!sig.ok()) {
      Log("cannot sign the attestation of block " + std::to_string(height) + ": " +
          sig.status().ToString());
      return Status::OK();
    }
    a.set_signature(*sig);
    TL_RETURN_IF_ERROR(blocks->PutAttestation(a));
    pb::PeerFrame f;
    *f.mutable_attestation() = a;
    std::string frame = f.SerializeAsString();
    for (size_t i = 0; i < validator_ids.size(); ++i) {
      if (i + 1 != self_id) env->Send(i + 1, frame);
    }
    // Attestations of peers that applied this block first.
    for (auto it = pending_attestations.begin(); it != pending_attestations.end();) {
      if (it->first.first > height) break;
      Status ps = blocks->PutAttestation(it->second);
      if (IsStorageError(ps)) return ps;  // else the peer named another block: dropped
      it = pending_attestations.erase(it);
    }
    return Status::OK();
  }

  static TxReceipt FromPb(const pb::Receipt& r) {
    return TxReceipt{r.tx_id(), r.ok(),        r.ok() ? "OK" : r.code(), r.message(), r.height(),
                     r.index(), r.heads_root()};
  }

  void Notify(const pb::Block& b) {
    std::vector<std::pair<std::function<void(Result<TxReceipt>)>, TxReceipt>> ready;
    {
      std::lock_guard<std::mutex> l(wait_mu);
      if (waiters.empty()) return;
      for (const auto& r : b.receipts()) {
        auto range = waiters.equal_range(r.tx_id());
        for (auto it = range.first; it != range.second; ++it) {
          ready.emplace_back(std::move(it->second.done), FromPb(r));
        }
        waiters.erase(range.first, range.second);
      }
    }
    for (auto& [done, rec] : ready) done(rec);
  }

  void ExpireWaiters(int64_t now) {
    std::vector<std::function<void(Result<TxReceipt>)>> expired;
    {
      std::lock_guard<std::mutex> l(wait_mu);
      for (auto it = waiters.begin(); it != waiters.end();) {
        if (it->second.deadline_ms <= now) {
          expired.push_back(std::move(it->second.done));
          it = waiters.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& done : expired) {
      done(Status::Error("TIMEOUT",
                         "not committed within the wait; it may still commit: look it up later"));
    }
  }

  void UpdateStatus() {
    uint64_t lead = raft->lead();
    leader_id.store(lead);
    NodeStatus st;
    st.node_id = opt.node_id;
    st.role = RoleName(raft->state());
    st.term = raft->term();
    st.leader = lead ? validator_ids[lead - 1] : "";
    st.commit_index = raft->log().committed();
    st.applied_index = raft->log().applied();
    auto [count, hash] = blocks->tip();
    st.height = count - 1;
    st.latest_hash = ToHex(hash);
    st.mempool_size = mempool.size();
    st.snapshot_index = snapshot_index;
    st.catching_up_to = catching_up ? catchup_height : 0;
    st.apply_verified = apply_verified;
    st.apply_reused = apply_reused;
    st.forwarded_verified = forwarded_verified;
    for (uint64_t id = 1; id <= validator_ids.size(); ++id) {
      if (id == self_id) continue;
      PeerStatus ps;
      ps.id = validator_ids[id - 1];
      ps.p2p = opt.genesis.validators[id - 1].p2p;
      ps.connected = env->Connected(id);
      if (const raft::Progress* pr = raft->progress(id)) ps.match_index = pr->match;
      st.peers.push_back(ps);
    }
    std::lock_guard<std::mutex> l(status_mu);
    status = std::move(st);
  }
};

NodeCore::NodeCore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NodeCore::~NodeCore() = default;

Result<std::unique_ptr<NodeCore>> NodeCore::Open(const NodeOptions& options, CoreEnv* env) {
  auto impl = std::make_unique<Impl>(options, env);
  TL_RETURN_IF_ERROR(impl->OpenStores());
  impl->UpdateStatus();
  return std::unique_ptr<NodeCore>(new NodeCore(std::move(impl)));
}

void NodeCore::OnFrame(uint64_t from, const std::string& frame) { impl_->HandleFrame(from, frame); }
void NodeCore::Tick() { impl_->Tick(); }
bool NodeCore::Process() { return impl_->Process(); }
void NodeCore::CancelWaits() {
  impl_->ExpireWaiters(INT64_MAX);
  impl_->reads.Close(Status::Error("STOPPED", "the node is shutting down"));
}

void NodeCore::ReadIndex(int timeout_ms, std::function<void(Status)> done) {
  impl_->reads.Add(impl_->env->NowMillis() + timeout_ms, std::move(done));
}

Status NodeCore::Submit(const Envelope& env) {
  auto loc = impl_->blocks->FindTransaction(env.tx_id);
  if (loc.ok()) {
    return Status::Error("DUPLICATE",
                         "already in the ledger at height " + std::to_string(loc->height));
  }
  uint64_t lead = impl_->leader_id.load();
  if (lead == raft::kNone) {
    return Status::Error("NO_LEADER", "no leader is elected right now; retry in a moment");
  }
  if (lead == impl_->self_id) return impl_->AddToMempool(env);
  pb::PeerFrame f;
  auto* tx = f.mutable_forward()->add_transactions();
  tx->set_payload(env.payload);
  tx->set_signer(env.signer);
  tx->set_signature(env.signature);
  // Remembered before sending: the block may come back before Send returns.
  impl_->RememberVerified(env);
  if (!impl_->env->Send(lead, f.SerializeAsString())) {
    impl_->verified.Erase(env.tx_id);
    return Status::Error("NO_LEADER", "cannot reach the leader right now; retry in a moment");
  }
  return Status::OK();
}

Result<TxReceipt> NodeCore::GetReceipt(const std::string& tx_id) const {
  auto loc = impl_->blocks->FindTransaction(tx_id);
  if (!loc.ok()) return loc.status();
  pb::Block b;
  TL_RETURN_IF_ERROR(impl_->blocks->GetBlock(loc->height, &b));
  if (static_cast<int>(loc->index) >= b.receipts_size()) {
    return Status::Corruption("block " + std::to_string(loc->height) + " lacks a receipt");
  }
  return Impl::FromPb(b.receipts(static_cast<int>(loc->index)));
}

void NodeCore::WaitForReceipt(const std::string& tx_id, int timeout_ms,
                              std::function<void(Result<TxReceipt>)> done) {
  std::unique_lock<std::mutex> l(impl_->wait_mu);
  auto r = GetReceipt(tx_id);
  if (r.ok() || !r.status().Is("NOT_FOUND")) {
    l.unlock();
    done(r);
    return;
  }
  impl_->waiters.emplace(tx_id,
                         Impl::Waiter{impl_->env->NowMillis() + timeout_ms, std::move(done)});
}

NodeStatus NodeCore::GetStatus() const {
  NodeStatus st;
  {
    std::lock_guard<std::mutex> l(impl_->status_mu);
    st = impl_->status;
    if (!impl_->stopped_reason.empty()) {  // it leads nothing and knows no leader any more
      st.role = "stopped";
      st.leader.clear();
      st.stopped_reason = impl_->stopped_reason;
    }
  }
  // LevelDB's properties are thread-safe; the stores live as long as the core.
  st.block_store_memory = impl_->blocks->ApproximateMemoryUsage();
  st.state_store_memory = impl_->state->ApproximateMemoryUsage();
  st.raft_log_memory = impl_->raft_store->ApproximateMemoryUsage();
  return st;
}

const Genesis& NodeCore::genesis() const { return impl_->opt.genesis; }
const BlockStore& NodeCore::blocks() const { return *impl_->blocks; }
const StateReader& NodeCore::state() const { return *impl_->state; }
// Both counters only grow, so their sum changes whenever either does.
uint64_t NodeCore::read_generation() const {
  return impl_->blocks->generation() + impl_->state->generation();
}
ReadPoint NodeCore::read_point() const {
  return ReadPoint{impl_->blocks->generation(), impl_->state->generation()};
}
bool NodeCore::ChangesBetween(const ReadPoint& from, const ReadPoint& to,
                              const std::function<void(std::string_view key)>& on_key,
                              const std::function<void(uint64_t height)>& on_attested) const {
  return impl_->state->KeysWrittenBetween(from.state, to.state, on_key) &&
         impl_->blocks->AttestedBetween(from.blocks, to.blocks, on_attested);
}
int64_t NodeCore::latest_block_time() const { return impl_->blocks->latest_time(); }
uint64_t NodeCore::raft_id() const { return impl_->self_id; }
void NodeCore::Log(const std::string& line) const { impl_->Log(line); }

}  // namespace traceledger::node
