// tracesim: runs the deterministic Raft simulation over a range of seeds.
//
//   tracesim --seeds A..B [--nodes N] [--steps S]   exit 1 at the first violation
//   tracesim --seed X --verbose                    replay one seed event by event
//   tracesim --node [--disk-faults] ...            the whole node (tests/node/node_sim.h)
//
// A violation prints the seed, what failed and the last events; rerunning that
// seed with --verbose replays it exactly.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "node_sim.h"
#include "sim.h"

namespace {

volatile uint64_t g_current_seed = 0;
// The mode flags to replay with (" --node --disk-faults", ...), set before the run.
char g_replay_flags[128] = "";

void OnAbort(int) {
  // A RAFT_ASSERT fired inside the state machine: say which seed to replay.
  char buf[320];
  int n = std::snprintf(buf, sizeof(buf),
                        "tracesim: assertion while running seed %llu; replay with%s --seed %llu "
                        "--verbose\n",
                        static_cast<unsigned long long>(g_current_seed), g_replay_flags,
                        static_cast<unsigned long long>(g_current_seed));
  if (n > 0) (void)!write(2, buf, static_cast<size_t>(n));
}

int Usage() {
  std::fprintf(
      stderr,
      "usage: tracesim --seeds A..B [--nodes N] [--steps S] [--quiet]\n"
      "       tracesim --seed X [--nodes N] [--steps S] [--verbose]\n"
      "       tracesim --node ...   the whole node (contracts, stores) instead of Raft alone\n"
      "         --disk-faults     with failed fsyncs, full disks, read errors, flipped bits\n"
      "       (--unsafe-send-before-sync breaks the persistence contract on purpose;\n"
      "        --node --unsafe-no-sync makes nodes acknowledge what they never synced)\n");
  return 2;
}

}  // namespace

// tracesim --node: the whole node in the simulation (tests/node/node_sim.h).
int RunNodeMode(uint64_t first, uint64_t last, int nodes, int steps, bool verbose, bool quiet,
                bool disk_faults, bool unsafe_no_sync, const char* argv0) {
  using traceledger::node::sim::NodeSimOptions;
  using traceledger::node::sim::RunNodeSeed;
  NodeSimOptions opt;
  if (nodes) opt.nodes = nodes;
  if (steps) opt.steps = steps;
  opt.verbose = verbose;
  opt.disk_faults = disk_faults;
  opt.unsafe_no_sync = unsafe_no_sync;
  std::string flags = std::string(disk_faults ? " --disk-faults" : "") +
                      (unsafe_no_sync ? " --unsafe-no-sync" : "") +
                      (steps ? " --steps " + std::to_string(steps) : "");
  std::snprintf(g_replay_flags, sizeof(g_replay_flags), " --node%s --nodes %d", flags.c_str(),
                opt.nodes);
  auto start = std::chrono::steady_clock::now();
  uint64_t acked = 0, crashes = 0, partitions = 0, snapshots = 0, blocks = 0, reads = 0;
  uint64_t read_backs = 0, read_back_behind = 0, read_back_errors = 0, failed_syncs = 0,
           full_disk = 0, read_errors = 0, flips = 0, torn = 0, fail_stops = 0, refused = 0,
           rebuilds = 0, retired = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    g_current_seed = seed;
    auto r = RunNodeSeed(seed, opt);
    if (verbose) {
      for (const auto& line : r.trace) std::printf("  %s\n", line.c_str());
    }
    if (!r.ok) {
      std::printf("VIOLATION seed %llu (%d nodes): %s\nlast events:\n",
                  static_cast<unsigned long long>(seed), opt.nodes, r.violation.c_str());
      for (const auto& line : r.trace) std::printf("  %s\n", line.c_str());
      std::printf("replay: %s --node%s --seed %llu --nodes %d --verbose\n", argv0, flags.c_str(),
                  static_cast<unsigned long long>(seed), opt.nodes);
      return 1;
    }
    read_backs += r.read_backs;
    read_back_behind += r.read_back_behind;
    read_back_errors += r.read_back_errors;
    failed_syncs += r.failed_syncs;
    full_disk += r.full_disk_writes;
    read_errors += r.read_errors;
    flips += r.flipped_bits;
    torn += r.torn_files;
    fail_stops += r.fail_stops;
    refused += r.refused_starts;
    rebuilds += r.state_rebuilds;
    retired += r.retired;
    acked += r.acked;
    reads += r.reads;
    crashes += r.crashes;
    partitions += r.partitions;
    snapshots += r.snapshots;
    blocks += r.height;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t count = last - first + 1;
  if (!quiet) {
    std::printf(
        "ok: %llu node seeds (%d nodes) in %.2fs (%.1f seeds/s); %llu transactions acknowledged "
        "and found exactly once, %llu consistent reads that saw them, %llu blocks identical on "
        "every node, %llu crashes, %llu partitions, %llu nodes ended with a snapshot\n",
        static_cast<unsigned long long>(count), opt.nodes, secs, count / secs,
        static_cast<unsigned long long>(acked), static_cast<unsigned long long>(reads),
        static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(crashes),
        static_cast<unsigned long long>(partitions), static_cast<unsigned long long>(snapshots));
    std::printf(
        "  disks: %llu reads of acknowledged transactions compared on every running node (%llu on "
        "a node not there yet, %llu answered with an error its disk's faults explain, none with "
        "other bytes), %llu files torn by crashes; %llu failed fsyncs, %llu writes on full "
        "disks, %llu failed reads, %llu flipped bits; %llu nodes stopped on a storage error, %llu "
        "restarts refused, %llu damaged state stores rebuilt from the blocks, %llu nodes retired "
        "on damaged data\n",
        static_cast<unsigned long long>(read_backs),
        static_cast<unsigned long long>(read_back_behind),
        static_cast<unsigned long long>(read_back_errors), static_cast<unsigned long long>(torn),
        static_cast<unsigned long long>(failed_syncs), static_cast<unsigned long long>(full_disk),
        static_cast<unsigned long long>(read_errors), static_cast<unsigned long long>(flips),
        static_cast<unsigned long long>(fail_stops), static_cast<unsigned long long>(refused),
        static_cast<unsigned long long>(rebuilds), static_cast<unsigned long long>(retired));
  }
  return 0;
}

int main(int argc, char** argv) {
  using traceledger::raft::sim::RunSeed;
  using traceledger::raft::sim::SimOptions;
  uint64_t first = 1, last = 100;
  SimOptions opt;
  bool quiet = false;
  bool node_mode = false;
  bool disk_faults = false;
  bool unsafe_no_sync = false;
  int steps_given = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seeds") {
      std::string v = next();
      size_t dots = v.find("..");
      if (dots == std::string::npos) return Usage();
      first = std::strtoull(v.substr(0, dots).c_str(), nullptr, 10);
      last = std::strtoull(v.substr(dots + 2).c_str(), nullptr, 10);
    } else if (a == "--seed") {
      first = last = std::strtoull(next().c_str(), nullptr, 10);
    } else if (a == "--nodes") {
      opt.nodes = std::atoi(next().c_str());
      if (opt.nodes < 1 || opt.nodes > 9) return Usage();
    } else if (a == "--steps") {
      opt.steps = std::atoi(next().c_str());
      steps_given = opt.steps;
    } else if (a == "--verbose") {
      opt.verbose = true;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--unsafe-send-before-sync") {
      opt.unsafe_send_before_sync = true;
    } else if (a == "--node") {
      node_mode = true;
    } else if (a == "--disk-faults") {
      disk_faults = true;
    } else if (a == "--unsafe-no-sync") {
      unsafe_no_sync = true;
    } else {
      return Usage();
    }
  }
  if (last < first) return Usage();
  if (!node_mode && (disk_faults || unsafe_no_sync)) return Usage();
  std::signal(SIGABRT, OnAbort);
  if (node_mode)
    return RunNodeMode(first, last, opt.nodes, steps_given, opt.verbose, quiet, disk_faults,
                       unsafe_no_sync, argv[0]);
  auto start = std::chrono::steady_clock::now();
  uint64_t acked = 0, elections = 0, crashes = 0, snaps = 0, reads = 0, worst = 0, worst_seed = 0,
           worst_backlog = 0, worst_leader = 0;
  for (uint64_t seed = first; seed <= last; ++seed) {
    g_current_seed = seed;
    auto res = RunSeed(seed, opt);
    acked += res.stats.acked;
    elections += res.stats.elections;
    crashes += res.stats.crashes;
    snaps += res.stats.snapshots_installed;
    reads += res.stats.reads;
    if (res.stats.converge_ticks > worst) {
      worst = res.stats.converge_ticks;
      worst_seed = seed;
      worst_backlog = res.stats.backlog;
    }
    worst_leader = std::max(worst_leader, res.stats.leader_ticks);
    if (!res.ok) {
      // Replay deterministically with a trace kept for the report.
      SimOptions again = opt;
      again.verbose = false;
      again.trace_tail = 40;
      auto traced = RunSeed(seed, again);
      std::printf("VIOLATION seed %llu (%d nodes): %s\n", static_cast<unsigned long long>(seed),
                  res.nodes, res.violation.c_str());
      std::printf("last events:\n");
      for (const auto& line : traced.trace) std::printf("  %s\n", line.c_str());
      std::printf(
          "replay: %s --seed %llu%s%s --verbose\n", argv[0], static_cast<unsigned long long>(seed),
          opt.nodes ? (" --nodes " + std::to_string(opt.nodes)).c_str() : "",
          opt.steps != SimOptions().steps ? (" --steps " + std::to_string(opt.steps)).c_str() : "");
      return 1;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t count = last - first + 1;
  if (!quiet) {
    std::printf(
        "ok: %llu seeds in %.2fs (%.1f seeds/s); %llu writes acknowledged, %llu leader terms, "
        "%llu crashes, %llu snapshots installed, %llu reads; slowest convergence after healing "
        "%llu ticks (seed %llu, backlog %llu); slowest election after healing %llu ticks\n",
        static_cast<unsigned long long>(count), secs, count / secs,
        static_cast<unsigned long long>(acked), static_cast<unsigned long long>(elections),
        static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(snaps),
        static_cast<unsigned long long>(reads), static_cast<unsigned long long>(worst),
        static_cast<unsigned long long>(worst_seed), static_cast<unsigned long long>(worst_backlog),
        static_cast<unsigned long long>(worst_leader));
  }
  return 0;
}
