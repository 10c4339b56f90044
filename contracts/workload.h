// A seeded synthetic workload in domain terms: enterprises of every role,
// products of every category, commissions, shipments, receipts, temperature
// readings, documents, inspections, dispensing, destruction, recalls, and a
// share of deliberately invalid transactions (wrong custodian, unknown codes,
// bad bodies, replayed nonces, wrong chain, ...). Used by the determinism test
// and tools/bench_contracts.
//
// The stream depends only on the seed and the genesis: it never looks at
// execution results, so two runs of the same seed see identical input.
//
// Thread-safety: a Workload is single-threaded.
#ifndef TRACELEDGER_CONTRACTS_WORKLOAD_H_
#define TRACELEDGER_CONTRACTS_WORKLOAD_H_

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "genesis/genesis.h"
#include "ledger/envelope.h"

namespace traceledger {

struct WorkloadOptions {
  uint64_t seed = 1;
  int makers = 12;           // manufacturers, producers, importers
  int middles = 12;          // distributors, warehouses
  int ends = 16;             // retailers, pharmacies, vaccination sites, caterers
  int invalid_percent = 10;  // share of deliberately invalid transactions
};

class Workload {
 public:
  // `regulator_key` must be a regulator in `genesis` (33 raw bytes).
  Workload(const Genesis& genesis, std::string regulator_key, WorkloadOptions options);

  // Enrolment and product registration: run these first, in one or more blocks.
  std::vector<Envelope> Setup();
  // The next `n` transactions, stamped with `time_ms` (the block time to be).
  std::vector<Envelope> Next(size_t n, int64_t time_ms);

  // The fake 33-byte key used for enterprise `i` (never a real curve point).
  static std::string EnterpriseKey(int i);

 private:
  struct Ent {
    std::string key, uscc;
    int kind;  // 0 maker, 1 middle, 2 end, 3 lab, 4 carrier
    std::string role;
    std::string product;  // makers
    std::string category;
    std::vector<std::string> held;
  };
  struct Pending {
    std::string id;
    int from, to;
    std::vector<std::string> codes;
  };

  Envelope Make(const Ent* signer, const std::string& type, const nlohmann::json& body);
  Envelope MakeWith(const std::string& key, const std::string& type, const nlohmann::json& body);
  void Invalid(std::vector<Envelope>* out);
  int Pick(int kind);
  uint64_t Rand(uint64_t n) { return n ? rng_() % n : 0; }
  std::vector<std::string> Take(std::vector<std::string>* held, size_t n);

  const Genesis& genesis_;
  std::string regulator_;
  WorkloadOptions opt_;
  std::mt19937_64 rng_;
  std::vector<Ent> ents_;
  std::deque<Pending> pending_;
  std::vector<Envelope> recent_;  // for replays
  uint64_t seq_ = 0, nonce_ = 0;
  int64_t time_ms_ = 0;
};

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_WORKLOAD_H_
