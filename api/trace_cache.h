// The trace lookup's caches (GET /v1/trace/..., /01/..., /00/...): whole
// rendered answers (TraceAnswerCache) and the rendered blocks of their proofs
// (BlockProofCache).
//
// TraceAnswerCache:
// Exactness: an answer is a function of the node's stores (state, blocks,
// attestations) and of the request. Every entry is tagged with the node's
// read generation (Node::read_generation) read *before* the answer was built;
// an entry is served only while the generation is still the same, so any
// write the answer could depend on — a new event for the code, an attestation
// of one of its blocks, a recall or quarantine of its lot, a newer block that
// makes it expired — makes it unservable. The cache holds one generation at a
// time: when the generation moves on, every older entry is dropped at once.
//
// Limits: at most `max_bytes` of keys and bodies (LRU); an answer larger than
// max_bytes / 8 is not kept.
//
// Admission: while the cache has room every answer is kept; once keeping one
// would push others out, it is kept only if its key has missed `admit_after`
// times (2 in the node) among the last kDoorkeeperKeys keys that missed, so
// codes scanned once — most of a large ledger's — do not push out the ones
// people keep scanning (a "doorkeeper", as in TinyLFU). The counts survive
// generations: they are about demand, not content.
//
// BlockProofCache: the proof's entry for one block — every header member plus
// the validators' attestations, as the answer prints them — and the block's
// time (an event's recorded_at). It needs no generation: a committed header
// never changes, and an entry is kept only once every validator of genesis
// has attested the block, after which its attestations cannot change either.
// Limits: at most `max_bytes` of entries (LRU).
//
// FragmentCache: small rendered pieces that depend on the state alone — an
// enterprise shown as a party, a signer shown as an actor — exact by read
// generation like TraceAnswerCache (one generation at a time). Limits: at most
// kMaxFragments entries; when full it starts over.
//
// Thread-safety: all methods of all three may be called from many threads at
// once; answers are copied and freed outside the answer cache's lock.
#ifndef TRACELEDGER_API_TRACE_CACHE_H_
#define TRACELEDGER_API_TRACE_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "api/http_server.h"
#include "api/json_writer.h"

namespace traceledger::api {

inline constexpr size_t kTraceAnswerCacheBytes = 128 << 20;
inline constexpr size_t kBlockProofCacheBytes = 16 << 20;  // ~15,000 blocks of 3 validators

class TraceAnswerCache {
 public:
  static constexpr size_t kDoorkeeperKeys = 1 << 16;

  explicit TraceAnswerCache(size_t max_bytes = kTraceAnswerCacheBytes, int admit_after = 2)
      : max_bytes_(max_bytes), admit_after_(admit_after) {}
  TraceAnswerCache(const TraceAnswerCache&) = delete;
  TraceAnswerCache& operator=(const TraceAnswerCache&) = delete;

  // The key of a request: its decoded path and its decoded query parameters.
  static std::string KeyOf(const HttpRequest& req);

  // Fills *out with the answer stored for `key` at generation `gen`; false if
  // there is none (or it belongs to another generation). A second look for
  // the same request passes count_miss = false (misses counted once, also
  // for admission).
  bool Get(uint64_t gen, const std::string& key, HttpResponse* out, bool count_miss = true);
  // Keeps `answer`, built from reads that started at generation `gen`, if
  // there is room or its key has missed admit_after times.
  void Put(uint64_t gen, const std::string& key, const HttpResponse& answer);

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  size_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    std::shared_ptr<const HttpResponse> answer;  // copied out of the lock by Get
    size_t bytes;
    std::list<std::string>::iterator pos;
  };
  // Empties the cache; returns the entries and keys, to be freed after the lock.
  using Dropped = std::pair<std::unordered_map<std::string, Entry>, std::list<std::string>>;
  Dropped ClearLocked();
  void CountMissLocked(const std::string& key);
  bool AdmitsLocked(uint64_t gen, const std::string& key, size_t bytes) const;

  const size_t max_bytes_;
  const int admit_after_;
  mutable std::mutex mu_;
  std::unordered_map<size_t, uint8_t> missed_;  // key hash -> misses (saturating)
  uint64_t gen_ = 0;                            // the generation of every entry
  std::list<std::string> lru_;                  // keys, most recent first
  std::unordered_map<std::string, Entry> map_;
  size_t bytes_ = 0;
  std::atomic<uint64_t> hits_{0}, misses_{0};
};

class BlockProofCache {
 public:
  explicit BlockProofCache(size_t max_bytes = kBlockProofCacheBytes) : max_bytes_(max_bytes) {}
  BlockProofCache(const BlockProofCache&) = delete;
  BlockProofCache& operator=(const BlockProofCache&) = delete;

  // The time of block `height` if its entry is kept.
  bool Time(uint64_t height, int64_t* time_ms);
  // Writes the entry of block `height` (a JSON object) to *w if kept.
  bool WriteEntry(uint64_t height, JsonWriter* w);
  // Keeps the entry of a block every validator has attested.
  void Put(uint64_t height, int64_t time_ms, std::string json);

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  size_t entries() const;

 private:
  struct Entry {
    int64_t time_ms;
    std::string json;
    std::list<uint64_t>::iterator pos;
  };
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::list<uint64_t> lru_;  // heights, most recent first
  std::unordered_map<uint64_t, Entry> map_;
  size_t bytes_ = 0;
  std::atomic<uint64_t> hits_{0}, misses_{0};
};

class FragmentCache {
 public:
  static constexpr size_t kMaxFragments = 16384;

  FragmentCache() = default;
  FragmentCache(const FragmentCache&) = delete;
  FragmentCache& operator=(const FragmentCache&) = delete;

  // Writes the fragment kept for `key` at generation `gen` to *w, if any.
  bool Write(uint64_t gen, const std::string& key, JsonWriter* w);
  // Keeps `json` (one JSON value), rendered from reads that started at `gen`.
  void Put(uint64_t gen, const std::string& key, std::string json);
  size_t entries() const;

 private:
  mutable std::mutex mu_;
  uint64_t gen_ = 0;
  std::unordered_map<std::string, std::string> map_;
};

// The caches of one node's trace lookups.
struct TraceCaches {
  TraceAnswerCache answers;
  BlockProofCache blocks;
  FragmentCache fragments;
};

// Prometheus text for /metrics: traceledger_trace_answer_cache_{hits,misses}_total,
// _bytes, _entries and traceledger_trace_block_cache_{hits,misses}_total, _entries.
std::string TraceCacheMetrics(const TraceCaches& c);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_TRACE_CACHE_H_
