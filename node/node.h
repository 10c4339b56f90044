// The node: one validator of the traceability ledger (docs/node.md).
//
// It owns the durable Raft state, the peer transport, the mempool, the block
// builder, the apply loop (committed entry -> contracts -> block store and
// state), attestations, and the waiters of clients that asked to be told when
// their transaction is committed.
//
// Threads: one Raft loop thread owns the Raft instance, builds blocks, handles
// every Ready (persist, send, apply) in order; the transport's I/O thread only
// queues frames for it. Reads (blocks, transactions, status) may come from any
// thread: the stores are thread-safe.
//
// Durability: a Ready's entries and hard state are synced before its messages
// are sent; an applied block is synced to the block store before the state it
// produced, and a restart re-executes any block whose state is missing. A
// client is told "committed" only after the entry was committed by a majority
// and applied locally.
#ifndef TRACELEDGER_NODE_NODE_H_
#define TRACELEDGER_NODE_NODE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "genesis/genesis.h"
#include "ledger/block_store.h"
#include "ledger/envelope.h"
#include "ledger/keys.h"
#include "ledger/status.h"
#include "node/transport.h"

namespace leveldb {
class Env;
}
namespace traceledger {
class StateReader;
}

namespace traceledger::node {

using LogFn = std::function<void(const std::string& line)>;

struct NodeOptions {
  Genesis genesis;
  std::string genesis_path;  // for messages only
  std::string node_id;       // one of genesis.validators[].id
  KeyPair key;               // must match that validator's public key
  std::string data_dir;
  std::string p2p_listen;  // host:port; default: the validator's p2p address
  // This validator's TLS identity for the peer port (PEM; node/tls_identity.h).
  // Required when genesis lists peers (two or more validators); the
  // certificate's pin must be one genesis lists for node_id. A one-validator
  // chain opens no peer port.
  std::string tls_key_pem;
  std::string tls_cert_pem;
  int tick_ms = 100;        // one Raft tick
  int election_ticks = 10;  // election timeout in ticks (randomised up to 2x)
  size_t max_inflight_blocks = 4;
  size_t mempool_max_txs = 100000;
  // Threads verifying signatures: -1 one per core (at most 8), 0 none (the
  // caller's thread does it: the deterministic simulation).
  int verify_threads = -1;
  // fsync every durable write. Nodes never turn this off; it exists so that
  // the deterministic simulation can show what goes wrong without it
  // (`tracesim --node --unsafe-no-sync`: its crashes drop unsynced data).
  bool sync = true;
  // Where the block store, state store and Raft log read and write their
  // files (ledger/db_options.h, "the storage seam"). Null: the production Env,
  // storage::TableReadEnv(). The simulation passes an in-memory Env that
  // injects disk faults (tests/node/fault_env.h). Must outlive the node.
  leveldb::Env* env = nullptr;
  // Compact the Raft log (take a snapshot) every this many applied entries, or
  // sooner, once the entries applied since the last snapshot hold this many
  // bytes: every entry is a whole block proposal (up to the block's max_bytes)
  // and the in-memory log keeps each one until the next snapshot, so without the
  // byte bound a node held every block of its first 10,000 in memory (~450 MB
  // per node at a million events). 0 turns the byte bound off.
  uint64_t compact_every_entries = 10000;
  uint64_t compact_every_bytes = 64 << 20;
  LogFn log;  // where the node tells the operator what it is doing
};

// A committed transaction's outcome.
struct TxReceipt {
  std::string tx_id;  // raw
  bool ok = false;
  std::string code;
  std::string message;
  uint64_t height = 0;
  uint32_t index = 0;
  std::string heads_root;  // raw; empty when no chain was extended (ledger/chain_link.h)
};

struct PeerStatus {
  std::string id;
  std::string p2p;
  bool connected = false;
  uint64_t match_index = 0;  // leader only
  uint64_t attested_height = 0;
};

struct NodeStatus {
  std::string node_id;
  // "leader", "follower", "candidate", "pre-candidate", or "stopped" once the
  // node stopped applying after a fatal error (then `leader` is "" and
  // `stopped_reason` says why; the other members are as they were then).
  std::string role;
  uint64_t term = 0;
  std::string leader;          // validator id, "" when unknown
  std::string stopped_reason;  // "" unless role is "stopped"
  uint64_t commit_index = 0;
  uint64_t applied_index = 0;
  uint64_t height = 0;  // latest block height
  std::string latest_hash;
  size_t mempool_size = 0;
  uint64_t snapshot_index = 0;  // the Raft log starts after this index
  uint64_t catching_up_to = 0;  // > height while fetching blocks after a snapshot
  // Envelope signature checks by the node itself (the API checks at the door
  // before Submit): each node should check each signature once.
  uint64_t apply_verified = 0;      // checked when applying a committed block
  uint64_t apply_reused = 0;        // checked earlier at this node's door; not again
  uint64_t forwarded_verified = 0;  // checked when a follower forwarded it (leader)
  // Heap bytes LevelDB holds now (memtables and block caches) per database, read
  // when the status is asked for (docs/operations.md, "Memory").
  uint64_t block_store_memory = 0;
  uint64_t state_store_memory = 0;
  uint64_t raft_log_memory = 0;
  std::vector<PeerStatus> peers;
  // The peer port's listener: connections accepted, authenticated, refused
  // and rejected, and what it holds now (Node only; zero in the simulation).
  InboundCounters peer_port;
};

// Where the node's stores stood when read: the block store's and the state
// store's generations (BlockStore::generation, StateStore::generation).
struct ReadPoint {
  uint64_t blocks = 0;
  uint64_t state = 0;
  bool operator==(const ReadPoint&) const = default;
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> Open(NodeOptions options);
  ~Node();  // Stops.
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the transport and the Raft loop.
  Status Start();
  // Stops accepting work, finishes the current step, closes the stores.
  void Stop();

  // Submits a verified envelope (the caller has parsed it with the chain's hash
  // and checked the chain id). On the leader it enters the mempool; on a
  // follower it is forwarded to the leader. Errors: DUPLICATE (already in the
  // ledger or pending), MEMPOOL_FULL, NO_LEADER, STOPPED.
  Status Submit(const Envelope& env);

  // Calls `done` once with the receipt when tx_id is applied locally, or with
  // TIMEOUT after timeout_ms. Immediately if it is already in the ledger.
  void WaitForReceipt(const std::string& tx_id, int timeout_ms,
                      std::function<void(Result<TxReceipt>)> done);
  // A linearizable read barrier (Raft ReadIndex; docs/node.md, "Consistent
  // reads"). Calls `done` once: OK when this node has applied every entry
  // committed before the call, as confirmed by the leader with a quorum (so a
  // read of local state after OK sees every write acknowledged to any client
  // before the call); NO_LEADER when that did not happen within timeout_ms
  // (retry); TOO_MANY_READS when kMaxPendingReads wait already; STOPPED at
  // shutdown. `done` may run on the node's loop thread: it must be quick and
  // never block (hand real work to another thread).
  static constexpr size_t kMaxPendingReads = 10000;
  void ReadIndex(int timeout_ms, std::function<void(Status)> done);
  // The receipt of a committed transaction (NOT_FOUND if not committed).
  Result<TxReceipt> GetReceipt(const std::string& tx_id) const;

  NodeStatus GetStatus() const;
  const Genesis& genesis() const;
  const BlockStore& blocks() const;
  const StateReader& state() const;
  // Changes (grows) after every write readers can see: a block appended, an
  // attestation stored, a block's state applied. Read it before reading the
  // stores; an answer built from those reads stays exact while it is unchanged.
  // It is read_point().blocks + read_point().state.
  uint64_t read_generation() const;
  // The same, per store: each member only grows.
  ReadPoint read_point() const;
  // What the writes between two read points changed, for readers that keep
  // answers derived from the stores: on_key(key) for every state key written,
  // on_attested(height) for every block that gained an attestation (appended
  // blocks change nothing already written; their time is
  // latest_block_time()). Covers every write after `from` up to `to` per
  // store (a member of `to` at or below `from`'s covers none of that store).
  // False if the node no longer remembers all of them: treat everything as
  // changed. Calls happen on the calling thread, outside the stores' locks.
  bool ChangesBetween(const ReadPoint& from, const ReadPoint& to,
                      const std::function<void(std::string_view key)>& on_key,
                      const std::function<void(uint64_t height)>& on_attested) const;
  // The time of the latest block (0 before the first).
  int64_t latest_block_time() const;

  struct Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  // Node runs a NodeCore (node/node_core.h) on a loop thread with the real
  // clock and the TCP transport.
  std::unique_ptr<Impl> impl_;
};

// A block batch (catching up, docs/node.md) holds at most this many bytes of
// blocks, or a single larger block.
inline constexpr size_t kMaxBlockBatchBytes = 16 << 20;

// The largest frame a node sends or accepts on the peer port: a block batch,
// or one block or block proposal with its per-transaction overhead (at most
// twice the genesis block.max_bytes), plus 1 MiB of framing. 17 MiB with the
// default 4 MiB blocks.
size_t MaxPeerFrameBytes(const BlockLimits& block);

// The bytes a validator signs to attest block (height, block_hash):
// H("traceledger-attestation" || u64be(height) || block_hash).
std::string AttestationDigest(HashAlg alg, uint64_t height, const std::string& block_hash);

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_NODE_H_
