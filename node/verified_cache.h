// VerifiedCache: envelopes this node has verified at its door (its API, or
// forwarded to it as the leader), so that applying the block that carries the
// same bytes needs no second signature check: each node checks each signature
// once.
//
// Invariant: Take returns an envelope only for byte-identical (payload, signer,
// signature); an entry can never vouch for other bytes.
// Bounded by entries and by payload bytes (the parsed body costs a few times
// its payload); when over either bound the oldest entries are evicted first.
// An evicted envelope is simply verified again at apply.
//
// Thread-safety: all methods may be called from any thread.
#ifndef TRACELEDGER_NODE_VERIFIED_CACHE_H_
#define TRACELEDGER_NODE_VERIFIED_CACHE_H_

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/envelope.h"

namespace traceledger::node {

class VerifiedCache {
 public:
  VerifiedCache(size_t max_entries, size_t max_payload_bytes)
      : max_entries_(max_entries), max_bytes_(max_payload_bytes) {}

  // Remembers a verified envelope (replacing one with the same tx id).
  void Put(const Envelope& e);
  // Forgets the envelope with this tx id, if any.
  void Erase(const std::string& tx_id);
  // The remembered envelope with this tx id if its bytes equal the given ones;
  // removes the entry either way.
  std::optional<Envelope> Take(const std::string& tx_id, std::string_view payload,
                               std::string_view signer, std::string_view signature);

  size_t size() const;
  size_t payload_bytes() const;

 private:
  struct Entry {
    Envelope env;
    uint64_t seq;
  };
  void EraseLocked(std::unordered_map<std::string, Entry>::iterator it);

  const size_t max_entries_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;      // guarded by mu_
  std::deque<std::pair<uint64_t, std::string>> order_;  // (seq, tx id), oldest first; guarded
  size_t bytes_ = 0;                                    // payload bytes held; guarded
  uint64_t next_seq_ = 0;                               // guarded
};

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_VERIFIED_CACHE_H_
