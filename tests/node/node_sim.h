// The whole node in a deterministic simulation: several NodeCores (Raft,
// contracts, block store, state, the real storage code on LevelDB) with a
// simulated clock, network and disks, crashes and restarts, partitions,
// drops, duplicates and delays, and clients submitting real signed envelopes.
// Single-threaded; a seed replays exactly.
//
// Each node's disk is an in-memory FaultEnv (tests/support/fault_env.h) and
// every durable write is synced (NodeOptions::sync): a crash keeps only what
// was synced, plus none, all or a torn prefix of the rest. With disk_faults,
// the disks also fail fsyncs, fill up, fail reads and rot bits
// (docs/node.md, "The whole node in the deterministic simulation").
//
// Checked: all nodes hold byte-identical blocks at every height they share;
// every transaction a client was told is committed is, at the end, in the
// ledger exactly once; every read of an acknowledged transaction (its record,
// its receipt, the state it wrote) on any running node gives what the client
// sent and was told, or an error — never other bytes, and an error only where
// the disk had a fault that explains it; a consistent read (NodeCore::ReadIndex)
// answered OK on any node sees every transaction acknowledged before it
// began; a node whose write-ahead log write or fsync failed stops in the same
// step (fail-stop), and only a node with a disk fault ever stops; after the
// faults heal, every node that is not retired (below) converges and a new
// transaction commits within a bounded number of ticks.
//
// Restarts: a crashed node restarts after a while (sometimes meeting read
// errors as it starts). A node that stopped on a fatal storage error is
// restarted by its "operator" once the transient faults of its disk (full,
// failing syncs or reads) are repaired, sometimes after a power cut as well.
// A node whose disk had bits flipped may refuse to start, but then only with
// CORRUPTION. If only its state store was damaged, the operator removes it
// and the node rebuilds it from its blocks; otherwise it is retired
// (replacing a validator's disk needs membership changes, which are not
// built). At most a minority of the nodes ever get flipped bits.
#ifndef TRACELEDGER_TESTS_NODE_NODE_SIM_H_
#define TRACELEDGER_TESTS_NODE_NODE_SIM_H_

#include <cstdint>
#include <string>
#include <vector>

namespace traceledger::node::sim {

struct NodeSimOptions {
  int nodes = 3;         // 3 or 5
  int steps = 400;       // ticks of faults and traffic (one tick = 10 simulated ms)
  int heal_ticks = 800;  // bound on convergence after the faults stop
  int transactions = 40;
  // Inject disk faults: failed fsyncs, full disks, read errors, flipped bits.
  bool disk_faults = false;
  // Planted bug: the node does not fsync (NodeOptions::sync = false), so it
  // acknowledges what a crash then loses. The checker must find it.
  bool unsafe_no_sync = false;
  bool verbose = false;
};

struct NodeSimResult {
  bool ok = true;
  std::string violation;
  uint64_t height = 0;            // final common height
  std::string final_hash;         // hex of the final block hash (for replay checks)
  uint64_t acked = 0;             // transactions acknowledged as committed
  uint64_t reads = 0;             // consistent reads answered OK (and checked)
  uint64_t read_backs = 0;        // acknowledged transactions read back and compared
  uint64_t read_back_behind = 0;  // of those, on a node that had not applied it yet
  uint64_t read_back_errors = 0;  // of those, answered with an error a disk fault explains
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t snapshots = 0;  // node restarts or installs that went through a snapshot
  // Disk faults (summed over the nodes' disks).
  uint64_t failed_syncs = 0;
  uint64_t full_disk_writes = 0;
  uint64_t read_errors = 0;
  uint64_t flipped_bits = 0;
  uint64_t torn_files = 0;      // files a crash cut inside their unsynced tail
  uint64_t fail_stops = 0;      // nodes that stopped on a fatal storage error
  uint64_t refused_starts = 0;  // restarts refused (CORRUPTION on flipped bits, or a fault at open)
  uint64_t state_rebuilds = 0;  // damaged state stores removed and rebuilt from the blocks
  uint64_t retired = 0;         // nodes retired after refusing to start on flipped bits
  std::vector<std::string> trace;  // the last events (verbose or on failure)
};

NodeSimResult RunNodeSeed(uint64_t seed, const NodeSimOptions& options);

}  // namespace traceledger::node::sim

#endif  // TRACELEDGER_TESTS_NODE_NODE_SIM_H_
