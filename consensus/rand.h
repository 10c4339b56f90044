// Injected randomness for the consensus layer. Raft draws its randomised election
// timeouts from a Rand supplied by the caller, so a simulation with a seeded Rand
// replays exactly.
//
// Thread-safety: a Rand is used by one Raft instance at a time; not thread-safe.
#ifndef TRACELEDGER_CONSENSUS_RAND_H_
#define TRACELEDGER_CONSENSUS_RAND_H_

#include <cstdint>

namespace traceledger::raft {

class Rand {
 public:
  virtual ~Rand() = default;
  // A value uniformly distributed in [0, n). Requires n > 0.
  virtual uint64_t Uniform(uint64_t n) = 0;
};

// SplitMix64: small, fast, deterministic for a given seed. Not cryptographic.
class SeededRand : public Rand {
 public:
  explicit SeededRand(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Uniform(uint64_t n) override { return Next() % n; }

 private:
  uint64_t state_;
};

}  // namespace traceledger::raft

#endif  // TRACELEDGER_CONSENSUS_RAND_H_
