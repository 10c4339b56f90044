// The fixed three-validator network of the peer frame fuzz target and its
// seed generator: a genesis with keys derived from fixed strings, and the
// options of validator n1 (the fuzzed node) or any other.
#ifndef TRACELEDGER_FUZZ_PEER_WORLD_H_
#define TRACELEDGER_FUZZ_PEER_WORLD_H_

#include <string>
#include <vector>

#include "fuzz.h"
#include "genesis/genesis.h"
#include "genesis/genesis_writer.h"
#include "ledger/keys.h"
#include "node/node.h"

namespace traceledger::fuzz {

inline KeyPair DerivedKey(const std::string& what) {
  for (int attempt = 0;; ++attempt) {
    auto kp =
        KeyPairFromPrivate(Hash(HashAlg::kSha256, "peer fuzz " + what + std::to_string(attempt)));
    if (kp.ok()) return *kp;
  }
}

struct PeerWorld {
  Genesis genesis;
  std::vector<KeyPair> keys;  // validators n1, n2, n3
  KeyPair regulator;

  static const PeerWorld& Get() {
    static const PeerWorld* w = [] {
      auto* p = new PeerWorld;
      GenesisSpec spec;
      spec.chain_id = "zj-fuzz";
      spec.genesis_time = "2026-11-30T00:00:00Z";
      spec.block_max_interval_ms = 30;
      spec.block_max_txs = 8;
      for (int i = 0; i < 3; ++i) {
        p->keys.push_back(DerivedKey("validator" + std::to_string(i)));
        spec.validators.push_back({"n" + std::to_string(i + 1), p->keys[i].public_key,
                                   "127.0.0.1:" + std::to_string(17000 + i),
                                   "127.0.0.1:" + std::to_string(18000 + i),
                                   // Pins of no real TLS identity: this network
                                   // has no peer links, only frames.
                                   {Hash(HashAlg::kSha256, "tls" + std::to_string(i))}});
      }
      p->regulator = DerivedKey("regulator");
      spec.regulators.push_back({"fuzz regulator", p->regulator.public_key});
      auto g = ParseGenesis(BuildGenesisJson(spec));
      FUZZ_CHECK(g.ok(), "the peer genesis does not parse");
      p->genesis = *g;
      return p;
    }();
    return *w;
  }

  // Options of validator i (0-based) with its stores under `dir`.
  node::NodeOptions Options(int i, const std::string& dir) const {
    node::NodeOptions o;
    o.genesis = genesis;
    o.node_id = "n" + std::to_string(i + 1);
    o.key = keys[i];
    o.data_dir = dir;
    o.election_ticks = 10;
    o.verify_threads = 0;
    o.compact_every_entries = 16;
    o.sync = false;
    o.log = [](const std::string&) {};
    return o;
  }
};

}  // namespace traceledger::fuzz

#endif  // TRACELEDGER_FUZZ_PEER_WORLD_H_
