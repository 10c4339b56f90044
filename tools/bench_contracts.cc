// bench_contracts: execution throughput of the contracts engine on a realistic
// mix (contracts/workload.h), signatures already verified, one thread.
//
//   bench_contracts [--txs N] [--block B] [--seed S] [--leveldb DIR]
//
// Generates the whole stream first (not timed), then times ExecuteBlock plus
// applying each block's writes to the state (in memory, or LevelDB with
// --leveldb). Prints tx/s, the accept ratio and the peak resident memory.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "bench_clock.h"
#include "contracts/engine.h"
#include "contracts/store.h"
#include "contracts/workload.h"
#include "genesis/genesis.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/hex.h"
#include "tools/cli.h"

using namespace traceledger;

using bench::PeakRssKb;
using bench::ThreadCpuSeconds;

int main(int argc, char** argv) {
  auto args = cli::ParseArgs(argc - 1, argv + 1, {"txs", "block", "seed", "leveldb"}, {});
  if (!args.ok() || !args->positional.empty()) {
    if (!args.ok()) std::fprintf(stderr, "bench_contracts: %s\n", args.status().message().c_str());
    std::fprintf(stderr,
                 "usage: bench_contracts [--txs N] [--block B] [--seed S] [--leveldb DIR]\n");
    return 2;
  }
  cli::NumberFlags numbers(*args);
  const size_t txs = numbers.Count("txs", 200000);
  size_t block = numbers.Count("block", 1000);
  const uint64_t seed = numbers.Count("seed", 1);
  const std::string leveldb_dir = args->Get("leveldb");
  if (!numbers.status().ok()) {
    std::fprintf(stderr, "bench_contracts: %s\n", numbers.status().message().c_str());
    return 2;
  }
  if (txs == 0 || txs > 10000000 || block > 100000) {
    std::fprintf(stderr, "bench_contracts: 1 <= --txs <= 10,000,000; --block <= 100,000\n");
    return 2;
  }
  if (block == 0) block = 1;
  // A real key (genesis keys must be points on the curve); nothing is signed.
  auto regulator_pair = KeyPairFromPrivate(Hash(HashAlg::kSha256, "bench-regulator"));
  if (!regulator_pair.ok()) return 1;
  std::string regulator = regulator_pair->public_key;
  std::string genesis_json = R"({"chain_id": "bench", "genesis_time": "2026-11-30T00:00:00Z",
    "validators": [{"id": "v1", "public_key": "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "p2p": "127.0.0.1:7001", "http": "127.0.0.1:8001"}],
    "regulators": [{"name": "bench regulator", "public_key": ")" +
                             ToHex(regulator) + R"("}]})";
  auto g = ParseGenesis(genesis_json);
  if (!g.ok()) {
    std::fprintf(stderr, "%s\n", g.status().ToString().c_str());
    return 1;
  }
  Engine engine(g.value());
  Workload w(g.value(), regulator, WorkloadOptions{seed});

  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<Envelope>> blocks{w.Setup()};
  int64_t t = g->genesis_time_ms + 2000;
  for (size_t n = 0; n < txs; n += block)
    blocks.push_back(w.Next(std::min(block, txs - n), t += 500));
  double gen_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long rss_after_gen = PeakRssKb();

  MemState mem;
  std::unique_ptr<StateStore> store;
  if (!leveldb_dir.empty()) {
    auto s = StateStore::Open(leveldb_dir);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
      return 1;
    }
    store = std::move(s.value());
  }
  const StateReader& reader = store ? static_cast<const StateReader&>(*store) : mem;
  std::string prev = g->hash;
  size_t ok = 0, total = 0, writes = 0;
  int64_t bt = g->genesis_time_ms + 1000;
  double exec_s = 0, engine_s = 0, exec_cpu = 0, engine_cpu = 0;
  for (size_t h = 0; h < blocks.size(); ++h) {
    auto s0 = std::chrono::steady_clock::now();
    double c0 = ThreadCpuSeconds();
    BlockContext ctx{h + 1, bt += 500, "v1", prev};
    BlockResult r = engine.ExecuteBlock(reader, ctx, blocks[h]);
    if (!r.status.ok()) {
      std::fprintf(stderr, "block %zu: %s\n", h + 1, r.status.ToString().c_str());
      return 1;
    }
    writes += r.writes.size();
    auto s1 = std::chrono::steady_clock::now();
    double c1 = ThreadCpuSeconds();
    if (h > 0) {
      engine_s += std::chrono::duration<double>(s1 - s0).count();
      engine_cpu += c1 - c0;
    }
    if (store) {
      Status st = store->Apply(r.writes, false);
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return 1;
      }
    } else {
      mem.Apply(std::move(r.writes));
    }
    if (h > 0) {
      exec_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
      exec_cpu += ThreadCpuSeconds() - c0;
    }
    prev = r.state_hash;

    for (const auto& rc : r.receipts) {
      ok += rc.ok;
      ++total;
    }
  }
  size_t measured = total - blocks[0].size();
  std::printf("state: %s\n", store ? ("leveldb " + leveldb_dir).c_str() : "memory");
  std::printf("transactions: %zu in %zu blocks of %zu (+%zu setup), accepted %.1f%%\n", measured,
              blocks.size() - 1, block, blocks[0].size(), 100.0 * ok / total);
  std::printf("generation: %.2f s (not timed below)\n", gen_s);
  std::printf("ExecuteBlock:          cpu %.3f s = %7.0f tx/s   (wall %.3f s = %7.0f tx/s)\n",
              engine_cpu, measured / engine_cpu, engine_s, measured / engine_s);
  std::printf("ExecuteBlock + apply:  cpu %.3f s = %7.0f tx/s   (wall %.3f s = %7.0f tx/s)\n",
              exec_cpu, measured / exec_cpu, exec_s, measured / exec_s);
  std::printf("state writes: %zu (%.1f per tx); state keys: %zu\n", writes, double(writes) / total,
              store ? size_t(0) : mem.size());
  std::printf("peak RSS: %.1f MiB (%.1f MiB after generating the input)\n", PeakRssKb() / 1024.0,
              rss_after_gen / 1024.0);
  std::printf("final state_hash: %s\n", ToHex(prev).c_str());
  return 0;
}
