// A deterministic, single-threaded simulation of a Raft cluster: simulated
// clock, network (drops, delays, duplication, reordering, symmetric and one-way
// partitions, isolation), disk (a crash loses what was not synced) and clients.
// After a chaotic phase every fault heals and the cluster must converge within a
// bound. Safety is checked after every event; see docs/consensus.md.
//
// Everything derives from the seed: RunSeed(seed, options) is reproducible.
// Thread-safety: RunSeed is reentrant (no globals).
#ifndef TRACELEDGER_TESTS_CONSENSUS_SIM_H_
#define TRACELEDGER_TESTS_CONSENSUS_SIM_H_

#include <cstdint>
#include <string>
#include <vector>

namespace traceledger::raft::sim {

struct SimOptions {
  int nodes = 0;    // 0: 3, 5 or 7 chosen by the seed
  int steps = 600;  // ticks of the chaotic phase
  // Convergence bound once faults heal: this many ticks plus two per entry of
  // backlog (unacknowledged proposals + longest uncommitted suffix).
  int liveness_ticks = 300;
  bool verbose = false;   // print every event to stdout
  size_t trace_tail = 0;  // keep the last N events for the report
  // Deliberately break the persistence contract (send before sync) to show that
  // the checker notices; for testing the simulator itself.
  bool unsafe_send_before_sync = false;
};

struct SimStats {
  uint64_t ticks = 0;
  uint64_t messages = 0;
  uint64_t committed = 0;  // highest index applied anywhere
  uint64_t acked = 0;      // proposals acknowledged to clients
  uint64_t elections = 0;  // distinct leader terms
  uint64_t crashes = 0;
  uint64_t snapshots_installed = 0;
  uint64_t reads = 0;
  uint64_t transfers = 0;
  uint64_t converge_ticks = 0;  // from healing until everything applied everywhere
  uint64_t leader_ticks = 0;    // from healing until a leader exists
  uint64_t backlog = 0;         // entries waiting when faults healed
};

struct SimResult {
  bool ok = true;
  std::string violation;           // what failed, when !ok
  std::vector<std::string> trace;  // last events (when trace_tail > 0)
  SimStats stats;
  int nodes = 0;
};

SimResult RunSeed(uint64_t seed, const SimOptions& options);

}  // namespace traceledger::raft::sim

#endif  // TRACELEDGER_TESTS_CONSENSUS_SIM_H_
