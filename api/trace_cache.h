// The trace lookup's caches (GET /v1/trace/..., /01/..., /00/...): whole
// rendered answers (TraceAnswerCache) and the rendered blocks of their proofs
// (BlockProofCache).
//
// TraceAnswerCache:
// Exactness: an answer is a function of the request and of what it read from
// the node's stores. Committed transactions and headers never change; what
// can is recorded while the answer is built, in its AnswerDeps: the state keys
// it read, the state prefixes it scanned, the blocks whose attestations it
// read from the store (BlockProofCache holds only fully attested ones), and
// the block time from which it would say "expired". The cache follows the node's writes through
// StoreChanges (the state keys each block wrote, the blocks attested since)
// and drops exactly the answers that depended on something written: a new
// event for a code drops that code's answers (and its lot's, if the lot's
// record changed), not the other codes'. An answer is kept only if the cache
// has not yet looked past the state writes after the point its reads started
// from (so every one of them is checked against it), and the block-store
// writes it has looked at since attested none of the blocks it shows. When the node no longer
// remembers the writes since the cache last looked (a reader-free stretch of more than
// StateStore::kKeyLogApplies blocks), everything is dropped.
//
// Looking at the changes: the HTTP I/O threads (Get with may_look = false)
// look only at up to kMaxDoorWrites block-store writes (attestations,
// appends: a lookup each); while a block's state writes have not been
// looked at they miss. Those are looked at by the trace worker that builds
// the answer or, in the node, by a thread of the cache's own ("trace-look",
// woken by the lookup that found them; the trace workers run at a low
// priority and wait for it up to kMaxLookWait). A look hashes the written
// keys without the cache's lock and matches the hashes under it, against the
// kinds of key (first segments) the answers held then depend on; every
// lookup misses while a look is unfinished. Answers a look drops are freed by
// the looker or the next Put, never by the I/O threads.
//
// Limits: at most `max_bytes` of keys, bodies and dependencies (LRU); an
// answer larger than max_bytes / 8 is not kept.
//
// Admission: while the cache has room every answer is kept; once keeping one
// would push others out, it is kept only if its key has missed `admit_after`
// times (2 in the node) among the last kDoorkeeperKeys keys that missed, so
// codes scanned once — most of a large ledger's — do not push out the ones
// people keep scanning (a "doorkeeper", as in TinyLFU).
//
// BlockProofCache: the proof's entry for one block — every header member plus
// the validators' attestations, as the answer prints them — and the block's
// time (an event's recorded_at). It needs no generation: a committed header
// never changes, and an entry is kept only once every validator of genesis
// has attested the block, after which its attestations cannot change either.
// Limits: at most `max_bytes` of entries (LRU).
//
// FragmentCache: small rendered pieces that depend on the state alone — an
// enterprise shown as a party, a signer shown as an actor — exact by the
// node's read point (one point at a time: any write drops them all). Each keeps the state keys it
// was rendered from, which an answer that uses it adds to its own dependencies. Limits: at most
// kMaxFragments entries; when full it starts over.
//
// Thread-safety: all methods of all three may be called from many threads at
// once; answers are copied and freed outside the answer cache's lock.
#ifndef TRACELEDGER_API_TRACE_CACHE_H_
#define TRACELEDGER_API_TRACE_CACHE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "api/http_server.h"
#include "api/json_writer.h"
#include "contracts/store.h"
#include "node/node.h"

namespace traceledger::api {

inline constexpr size_t kTraceAnswerCacheBytes = 128 << 20;
inline constexpr size_t kBlockProofCacheBytes = 16 << 20;  // ~15,000 blocks of 3 validators

// What a trace answer depends on that can change (see TraceAnswerCache).
struct AnswerDeps {
  std::vector<std::string> keys;      // state keys read
  std::vector<std::string> prefixes;  // state prefixes scanned
  std::vector<uint64_t> attested;     // blocks shown with attestations still missing
  // The answer changes once the latest block's time reaches this (an item
  // becomes expired); INT64_MAX if never.
  int64_t valid_before_time = INT64_MAX;

  // Sorts and removes repeated keys, prefixes and heights.
  void Normalize();
  size_t bytes() const;
};

// A StateReader that notes what it reads in an AnswerDeps. Not thread-safe
// (one answer's reads).
class RecordingStateReader : public StateReader {
 public:
  RecordingStateReader(const StateReader& inner, AnswerDeps* deps) : inner_(inner), deps_(deps) {}
  std::optional<std::string> Get(std::string_view key) const override;
  bool Read(std::string_view key, std::string* scratch, std::string_view* value) const override;
  void Scan(std::string_view prefix, const ScanFn& fn) const override;
  Status read_status() const override { return inner_.read_status(); }

 private:
  const StateReader& inner_;
  AnswerDeps* deps_;
};

// Where the node's stores stand and what the writes between two points
// changed: NodeStoreChanges in the node, a fake in tests.
class StoreChanges {
 public:
  virtual ~StoreChanges() = default;
  virtual node::ReadPoint read_point() const = 0;
  // As node::Node::ChangesBetween.
  virtual bool Between(const node::ReadPoint& from, const node::ReadPoint& to,
                       const std::function<void(std::string_view key)>& on_key,
                       const std::function<void(uint64_t height)>& on_attested) const = 0;
  virtual int64_t latest_block_time() const = 0;
};

class NodeStoreChanges : public StoreChanges {
 public:
  explicit NodeStoreChanges(const node::Node* node) : node_(node) {}
  node::ReadPoint read_point() const override { return node_->read_point(); }
  bool Between(const node::ReadPoint& from, const node::ReadPoint& to,
               const std::function<void(std::string_view key)>& on_key,
               const std::function<void(uint64_t height)>& on_attested) const override {
    return node_->ChangesBetween(from, to, on_key, on_attested);
  }
  int64_t latest_block_time() const override { return node_->latest_block_time(); }

 private:
  const node::Node* node_;
};

class TraceAnswerCache {
 public:
  static constexpr size_t kDoorkeeperKeys = 1 << 16;

  // The longest a Get with may_look waits for the looker thread.
  static constexpr std::chrono::milliseconds kMaxLookWait{100};
  // The most block-store writes a Get with may_look = false looks at.
  static constexpr uint64_t kMaxDoorWrites = 256;

  // `changes` must outlive the cache. With `looker`, a thread of the cache's
  // own ("trace-look") looks at a block's state writes as soon as a door
  // lookup finds them (else the next trace worker to look does).
  explicit TraceAnswerCache(const StoreChanges* changes, size_t max_bytes = kTraceAnswerCacheBytes,
                            int admit_after = 2, bool looker = false);
  ~TraceAnswerCache();
  TraceAnswerCache(const TraceAnswerCache&) = delete;
  TraceAnswerCache& operator=(const TraceAnswerCache&) = delete;

  // The key of a request: its decoded path and its decoded query parameters.
  static std::string KeyOf(const HttpRequest& req);

  // Fills *out with the answer kept for `key`, exact for the stores as they
  // are now; false if there is none. A second look for the same request
  // passes count_miss = false (misses counted once, also for admission). The
  // HTTP I/O threads pass may_look = false (see above); with a looker thread
  // no Get looks at state writes, and one with may_look waits up to
  // kMaxLookWait for the looker instead.
  bool Get(const std::string& key, HttpResponse* out, bool count_miss = true, bool may_look = true);
  // Keeps `answer`, built from reads that started at read point `start`
  // (read before the first of them) and depend on `deps`, if there is room
  // or its key has missed admit_after times; then looks at the writes since
  // the cache last looked. Frees what earlier looks dropped.
  void Put(const node::ReadPoint& start, const std::string& key, const HttpResponse& answer,
           AnswerDeps deps);

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }
  // Answers dropped because something they depend on was written (each
  // counted once), and times the cache had to drop everything.
  uint64_t invalidated() const { return invalidated_.load(std::memory_order_relaxed); }
  uint64_t cleared() const { return cleared_.load(std::memory_order_relaxed); }
  // Written keys looked at, and the wall time spent looking (nanoseconds).
  uint64_t keys_looked_at() const { return keys_looked_at_.load(std::memory_order_relaxed); }
  uint64_t look_nanos() const { return look_nanos_.load(std::memory_order_relaxed); }
  size_t bytes() const;
  size_t entries() const;

 private:
  struct Stored {
    HttpResponse answer;
    AnswerDeps deps;
  };
  struct Entry {
    std::shared_ptr<const Stored> stored;  // copied out of the lock by Get
    size_t bytes;
    std::list<std::string>::iterator pos;  // in lru_; *pos is the key
  };
  // Entries by the hash of what they depend on: dropping one is O(1) per
  // dependency however many share it (a lot's record, a product, a maker).
  using Index = std::unordered_map<uint64_t, std::unordered_set<Entry*>>;
  // Everything held, as DropAllLocked hands it to the next Put to free.
  struct Held {
    std::list<std::string> lru;  // keys, most recent first
    std::unordered_map<std::string, Entry> map;
    Index by_key, by_prefix, by_height;
  };
  // Brings the entries up to date with the stores (now); `l` holds mu_ and
  // may be let go meanwhile (a state look). False if the state moved and
  // this thread may not look (or another is looking): nothing may be served.
  bool CatchUp(std::unique_lock<std::mutex>& l, bool may_look_at_state);
  // The first segment of a key (up to and with its first '|', or all of it).
  static std::string_view SegmentOf(std::string_view key);
  void DropLocked(Entry* e);
  void DropAllLocked();
  void DropMatchesLocked(Index& index, uint64_t hash);
  void CountMissLocked(const std::string& key);
  bool AdmitsLocked(const std::string& key, size_t bytes) const;
  // Whether an answer built from reads that started at `start`, with `deps`
  // (normalized), is exact for every write the cache has looked at.
  bool KeepableLocked(const node::ReadPoint& start, const AnswerDeps& deps) const;
  static bool Covers(const node::ReadPoint& a, const node::ReadPoint& b) {
    return a.blocks >= b.blocks && a.state >= b.state;
  }

  const StoreChanges* const changes_;
  const size_t max_bytes_;
  const int admit_after_;
  mutable std::mutex mu_;
  std::unordered_map<size_t, uint8_t> missed_;  // key hash -> misses (saturating)
  node::ReadPoint synced_;                      // every write up to here has been checked
  int64_t latest_time_;                         // the latest block's time as of synced_ (or later)
  std::unique_ptr<Held> held_ = std::make_unique<Held>();
  // Hashes: a collision only drops more.
  // Lengths of the scanned prefixes that do not end in '|' (the separator of
  // the contracts' keys), with how many entries scanned each: a written key
  // is matched against its cuts after each '|' and at these lengths.
  std::map<size_t, size_t> odd_prefix_lengths_;
  // Hashes of the first segments of every key and prefix an entry held
  // depends on (grows until DropAllLocked): a written key of another kind
  // cannot concern any answer.
  std::unordered_set<uint64_t> segments_;
  bool looking_ = false;  // a worker is hashing written keys without the lock
  // The looker thread (if any) and what wakes it.
  std::condition_variable look_wanted_cv_, caught_up_cv_;
  bool look_wanted_ = false;
  bool stopping_ = false;
  std::thread looker_;
  // Freed by the next Put, outside the lock: up to a whole cache's worth
  // (DropAllLocked), so memory may briefly reach twice max_bytes.
  std::vector<std::shared_ptr<const Stored>> dropped_;
  std::vector<std::unique_ptr<Held>> dropped_all_;
  size_t bytes_ = 0;
  std::atomic<uint64_t> hits_{0}, misses_{0}, invalidated_{0}, cleared_{0};
  std::atomic<uint64_t> keys_looked_at_{0}, look_nanos_{0};
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

  // Writes the fragment kept for `key` at read point `at` to *w, if any, and
  // adds the state keys it was rendered from to *deps.
  bool Write(const node::ReadPoint& at, const std::string& key, JsonWriter* w, AnswerDeps* deps);
  // Keeps `json` (one JSON value), rendered from reads of the state `keys`
  // that started at `at`.
  void Put(const node::ReadPoint& at, const std::string& key, std::string json,
           std::vector<std::string> keys);
  size_t entries() const;

 private:
  struct Fragment {
    std::string json;
    std::vector<std::string> keys;
  };
  mutable std::mutex mu_;
  node::ReadPoint at_;  // the read point of every fragment held
  std::unordered_map<std::string, Fragment> map_;
};

// The caches of one node's trace lookups.
struct TraceCaches {
  explicit TraceCaches(const node::Node* node)
      : changes(node),
        answers(&changes, kTraceAnswerCacheBytes, /*admit_after=*/2, /*looker=*/true) {}
  NodeStoreChanges changes;
  TraceAnswerCache answers;
  BlockProofCache blocks;
  FragmentCache fragments;
};

// Prometheus text for /metrics: traceledger_trace_answer_cache_{hits,misses,
// invalidated,cleared}_total, _bytes, _entries and
// traceledger_trace_block_cache_{hits,misses}_total, _entries.
std::string TraceCacheMetrics(const TraceCaches& c);

}  // namespace traceledger::api

#endif  // TRACELEDGER_API_TRACE_CACHE_H_
