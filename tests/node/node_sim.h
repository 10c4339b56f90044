// The whole node in a deterministic simulation: several NodeCores (Raft,
// contracts, block store, state, the real storage code on LevelDB in a
// temporary directory) with a simulated clock and network, crashes and
// restarts, partitions, drops, duplicates and delays, and clients submitting
// real signed envelopes. Single-threaded; a seed replays exactly.
//
// Checked: all nodes hold byte-identical blocks at every height they share;
// every transaction a client was told is committed is, at the end, in the
// ledger exactly once; a consistent read (NodeCore::ReadIndex) answered OK on
// any node sees every transaction acknowledged before the read began; after
// the faults heal, all nodes converge and a new transaction commits within a
// bounded number of ticks.
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
  bool verbose = false;
};

struct NodeSimResult {
  bool ok = true;
  std::string violation;
  uint64_t height = 0;     // final common height
  std::string final_hash;  // hex of the final block hash (for replay checks)
  uint64_t acked = 0;      // transactions acknowledged as committed
  uint64_t reads = 0;      // consistent reads answered OK (and checked)
  uint64_t crashes = 0;
  uint64_t partitions = 0;
  uint64_t snapshots = 0;          // node restarts or installs that went through a snapshot
  std::vector<std::string> trace;  // the last events (verbose or on failure)
};

NodeSimResult RunNodeSeed(uint64_t seed, const NodeSimOptions& options);

}  // namespace traceledger::node::sim

#endif  // TRACELEDGER_TESTS_NODE_NODE_SIM_H_
