#include "api/trace_cache.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

namespace traceledger::api {

std::string TraceAnswerCache::KeyOf(const HttpRequest& req) {
  // Length-prefixed parts (decoded text may hold any byte) over the ordered
  // query map: equal keys mean equal (path, query) pairs.
  std::string k;
  auto add = [&k](const std::string& part) {
    k += std::to_string(part.size());
    k += ':';
    k += part;
  };
  add(req.path);
  for (const auto& [name, value] : req.query) {
    add(name);
    add(value);
  }
  return k;
}

void AnswerDeps::Normalize() {
  auto unique = [](auto& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  unique(keys);
  unique(prefixes);
  unique(attested);
}

size_t AnswerDeps::bytes() const {
  size_t n = sizeof(AnswerDeps) + attested.size() * 8;
  for (const auto& k : keys) n += k.size() + 48;  // a string, and its index entry
  for (const auto& p : prefixes) n += p.size() + 48;
  return n;
}

std::optional<std::string> RecordingStateReader::Get(std::string_view key) const {
  deps_->keys.emplace_back(key);
  return inner_.Get(key);
}

bool RecordingStateReader::Read(std::string_view key, std::string* scratch,
                                std::string_view* value) const {
  deps_->keys.emplace_back(key);
  return inner_.Read(key, scratch, value);
}

void RecordingStateReader::Scan(std::string_view prefix, const ScanFn& fn) const {
  deps_->prefixes.emplace_back(prefix);
  inner_.Scan(prefix, fn);
}

namespace {
uint64_t HashOf(std::string_view s) { return std::hash<std::string_view>()(s); }
}  // namespace

TraceAnswerCache::TraceAnswerCache(const StoreChanges* changes, size_t max_bytes, int admit_after,
                                   bool looker)
    : changes_(changes),
      max_bytes_(max_bytes),
      admit_after_(admit_after),
      synced_(changes->read_point()),
      latest_time_(changes->latest_block_time()) {
  if (!looker) return;
  looker_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "trace-look");
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      look_wanted_cv_.wait(l, [this] { return stopping_ || look_wanted_; });
      if (stopping_) return;
      look_wanted_ = false;
      CatchUp(l, /*may_look_at_state=*/true);
      // A block applied during the look: look again at once (a waiting
      // worker would otherwise wait its whole kMaxLookWait).
      if (changes_->read_point().state != synced_.state) look_wanted_ = true;
      caught_up_cv_.notify_all();
      // What the look dropped is freed here, outside the lock.
      std::vector<std::shared_ptr<const Stored>> to_free;
      std::vector<std::unique_ptr<Held>> to_free_all;
      to_free.swap(dropped_);
      to_free_all.swap(dropped_all_);
      l.unlock();
      to_free.clear();
      to_free_all.clear();
      l.lock();
    }
  });
}

TraceAnswerCache::~TraceAnswerCache() {
  if (!looker_.joinable()) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  look_wanted_cv_.notify_one();
  caught_up_cv_.notify_all();
  looker_.join();
}

bool TraceAnswerCache::Get(const std::string& key, HttpResponse* out, bool count_miss,
                           bool may_look) {
  std::shared_ptr<const Stored> found;
  {
    std::unique_lock<std::mutex> l(mu_);
    // With a looker, only it looks at state writes (at its normal priority;
    // a trace worker may be preempted midway, and every lookup misses
    // while a look is unfinished); a trace worker waits for it a little
    // rather than build an answer the look may well leave in place.
    bool caught_up = CatchUp(l, may_look && !looker_.joinable());
    if (!caught_up && looker_.joinable()) {  // a block's state writes are not looked at yet
      look_wanted_ = true;
      look_wanted_cv_.notify_one();
      if (may_look) {
        caught_up = caught_up_cv_.wait_for(l, kMaxLookWait, [&] {
          return stopping_ || CatchUp(l, /*may_look_at_state=*/false);
        }) && !stopping_;
      }
    }
    if (!caught_up) {
      if (count_miss) CountMissLocked(key);
      return false;
    }
    auto& map = held_->map;
    auto it = map.find(key);
    if (it != map.end() && it->second.stored->deps.valid_before_time <= latest_time_) {
      // The item became expired since: the answer would say so now.
      DropLocked(&it->second);
      invalidated_.fetch_add(1, std::memory_order_relaxed);
      it = map.end();
    }
    if (it == map.end()) {
      if (count_miss) CountMissLocked(key);
      return false;
    }
    held_->lru.splice(held_->lru.begin(), held_->lru, it->second.pos);
    found = it->second.stored;
  }
  *out = found->answer;  // the copy outside the lock
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

std::string_view TraceAnswerCache::SegmentOf(std::string_view key) {
  size_t bar = key.find('|');
  return bar == std::string_view::npos ? key : key.substr(0, bar + 1);
}

bool TraceAnswerCache::CatchUp(std::unique_lock<std::mutex>& l, bool may_look_at_state) {
  const node::ReadPoint now = changes_->read_point();
  const node::ReadPoint to{std::max(now.blocks, synced_.blocks),
                           std::max(now.state, synced_.state)};
  if (to == synced_) return true;
  if (held_->map.empty() && !looking_) {  // nothing to drop: no need to look
    synced_ = to;
    latest_time_ = changes_->latest_block_time();
    return true;
  }
  if (to.state != synced_.state && (!may_look_at_state || looking_)) return false;
  // A long stretch of block-store writes alone (late attestations) is left
  // to a thread that may look at length.
  if (!may_look_at_state && to.blocks - synced_.blocks > kMaxDoorWrites) return false;
  const auto look_start = std::chrono::steady_clock::now();
  const node::ReadPoint from = synced_;
  // The written keys as hashes to match, computed outside the lock: per key
  // the hash of its first segment, of itself, how many cuts (after each '|')
  // and theirs; and of its cuts at the odd prefix lengths in use.
  std::vector<uint64_t> written, odd_hashes, heights;
  uint64_t looked = 0;
  std::vector<size_t> odd_lengths;
  for (const auto& [len, n] : odd_prefix_lengths_) odd_lengths.push_back(len);
  auto on_key = [&](std::string_view k) {
    ++looked;
    written.push_back(HashOf(SegmentOf(k)));
    written.push_back(HashOf(k));
    const size_t count_at = written.size();
    written.push_back(0);
    for (size_t at = k.find('|'); at != std::string_view::npos; at = k.find('|', at + 1)) {
      written.push_back(HashOf(k.substr(0, at + 1)));
      ++written[count_at];
    }
    for (size_t len : odd_lengths) {
      if (len > k.size()) break;
      odd_hashes.push_back(HashOf(k.substr(0, len)));
    }
  };
  auto on_attested = [&](uint64_t h) { heights.push_back(h); };
  bool ok;
  if (to.state != from.state) {
    // Hashing without the lock: entries Put meanwhile have start >= from
    // (synced_ stays `from`), so the matching below checks them too; every
    // Get misses until it is done (looking_).
    looking_ = true;
    l.unlock();
    ok = changes_->Between(from, to, on_key, on_attested);
    l.lock();
    looking_ = false;
    // Nothing else moves synced_ while looking_ (every other look sees the
    // state ahead of it and gives up); checked all the same.
    if (!(synced_ == from)) ok = false;
    // An entry Put meanwhile that scanned a new odd prefix length: the
    // written keys were not cut at it. Rare (no answer scans such a prefix
    // today): drop everything rather than miss one.
    for (const auto& [len, n] : odd_prefix_lengths_) {
      if (!std::binary_search(odd_lengths.begin(), odd_lengths.end(), len)) ok = false;
    }
  } else {  // block-store writes only: a lookup per attestation
    ok = changes_->Between(from, to, on_key, on_attested);
  }
  if (!ok) {
    if (!held_->map.empty()) cleared_.fetch_add(1, std::memory_order_relaxed);
    DropAllLocked();
  } else {
    // segments_ as it is now, entries Put during the look included: a key
    // of a kind no entry depends on cannot concern any.
    for (size_t i = 0; i < written.size();) {
      const bool relevant = segments_.count(written[i]) > 0;
      const uint64_t cuts = written[i + 2];
      if (relevant) {
        DropMatchesLocked(held_->by_key, written[i + 1]);
        for (uint64_t c = 0; c < cuts; ++c) DropMatchesLocked(held_->by_prefix, written[i + 3 + c]);
      }
      i += 3 + cuts;
    }
    for (uint64_t h : odd_hashes) DropMatchesLocked(held_->by_prefix, h);
    for (uint64_t h : heights) DropMatchesLocked(held_->by_height, h);
  }
  synced_ = to;
  latest_time_ = changes_->latest_block_time();
  keys_looked_at_.fetch_add(looked, std::memory_order_relaxed);
  look_nanos_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - look_start)
                            .count(),
                        std::memory_order_relaxed);
  return true;
}

void TraceAnswerCache::DropMatchesLocked(Index& index, uint64_t hash) {
  auto found = index.find(hash);
  if (found == index.end()) return;
  // Copied: dropping an entry removes it from this set too.
  std::vector<Entry*> hit(found->second.begin(), found->second.end());
  for (Entry* x : hit) DropLocked(x);
  invalidated_.fetch_add(hit.size(), std::memory_order_relaxed);
}

void TraceAnswerCache::DropLocked(Entry* e) {
  auto unindex = [e](Index& index, uint64_t hash) {
    auto it = index.find(hash);
    if (it == index.end()) return;
    it->second.erase(e);
    if (it->second.empty()) index.erase(it);
  };
  const AnswerDeps& d = e->stored->deps;
  for (const auto& k : d.keys) unindex(held_->by_key, HashOf(k));
  for (const auto& p : d.prefixes) {
    unindex(held_->by_prefix, HashOf(p));
    if (p.empty() || p.back() != '|') {
      auto n = odd_prefix_lengths_.find(p.size());
      if (n != odd_prefix_lengths_.end() && --n->second == 0) odd_prefix_lengths_.erase(n);
    }
  }
  for (uint64_t h : d.attested) unindex(held_->by_height, h);
  bytes_ -= e->bytes;
  dropped_.push_back(std::move(e->stored));
  auto pos = e->pos;
  held_->map.erase(*pos);  // e is gone from here on
  held_->lru.erase(pos);
}

void TraceAnswerCache::DropAllLocked() {
  // Handed whole to the next Put, which frees it outside the lock.
  dropped_all_.push_back(std::move(held_));
  held_ = std::make_unique<Held>();
  odd_prefix_lengths_.clear();
  segments_.clear();
  bytes_ = 0;
}

bool TraceAnswerCache::KeepableLocked(const node::ReadPoint& start, const AnswerDeps& deps) const {
  // No write after `start` looked at yet: the next look checks them all
  // against this answer.
  if (Covers(start, synced_)) return true;
  // State writes after `start` were looked at without it: not kept.
  if (start.state < synced_.state) return false;
  // Only block-store writes were (the door looks at each attestation at
  // once): kept unless one attested a block the answer shows.
  bool clash = false;
  const bool ok = changes_->Between(
      start, node::ReadPoint{synced_.blocks, start.state}, [](std::string_view) {},
      [&](uint64_t h) {
        clash = clash || std::binary_search(deps.attested.begin(), deps.attested.end(), h);
      });
  return ok && !clash;
}

void TraceAnswerCache::CountMissLocked(const std::string& key) {
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (admit_after_ <= 1) return;
  if (missed_.size() >= kDoorkeeperKeys) missed_.clear();  // a new window of demand
  uint8_t& n = missed_[std::hash<std::string>()(key)];
  if (n < 255) ++n;
}

bool TraceAnswerCache::AdmitsLocked(const std::string& key, size_t bytes) const {
  if (held_->map.count(key)) return false;
  if (admit_after_ <= 1) return true;
  // While there is room nothing is pushed out: keep it.
  if (bytes_ + bytes <= max_bytes_) return true;
  auto seen = missed_.find(std::hash<std::string>()(key));
  return seen != missed_.end() && seen->second >= admit_after_;  // asked for enough
}

void TraceAnswerCache::Put(const node::ReadPoint& start, const std::string& key,
                           const HttpResponse& answer, AnswerDeps deps) {
  std::vector<std::shared_ptr<const Stored>> to_free;
  std::vector<std::unique_ptr<Held>> to_free_all;
  {
    std::lock_guard<std::mutex> l(mu_);
    to_free.swap(dropped_);
    to_free_all.swap(dropped_all_);
  }
  // Dropped answers freed, and this one copied, outside the lock: the I/O
  // threads' Get takes it, and the trace workers that Put run at a lower
  // priority.
  to_free.clear();
  to_free_all.clear();
  deps.Normalize();
  size_t bytes = 2 * key.size() + answer.body.size() + answer.content_type.size() + 128;
  for (const auto& [k, v] : answer.headers) bytes += k.size() + v.size() + 64;
  bytes += deps.bytes();
  if (bytes > max_bytes_ / 8) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!KeepableLocked(start, deps) || !AdmitsLocked(key, bytes)) return;
  }
  auto stored = std::make_shared<const Stored>(Stored{answer, std::move(deps)});
  std::unique_lock<std::mutex> l(mu_);
  // Checked again: the lock was let go.
  if (!KeepableLocked(start, stored->deps) || !AdmitsLocked(key, bytes)) return;
  Held& h = *held_;
  h.lru.push_front(key);
  Entry* e = &h.map.emplace(key, Entry{stored, bytes, h.lru.begin()}).first->second;
  const AnswerDeps& d = stored->deps;
  for (const auto& k : d.keys) {
    h.by_key[HashOf(k)].insert(e);
    segments_.insert(HashOf(SegmentOf(k)));
  }
  for (const auto& p : d.prefixes) {
    h.by_prefix[HashOf(p)].insert(e);
    if (p.empty() || p.back() != '|') {
      ++odd_prefix_lengths_[p.size()];
    } else {
      segments_.insert(HashOf(SegmentOf(p)));
    }
  }
  for (uint64_t height : d.attested) h.by_height[height].insert(e);
  bytes_ += bytes;
  while (bytes_ > max_bytes_ && h.lru.size() > 1) DropLocked(&h.map.find(h.lru.back())->second);
  if (!CatchUp(l, /*may_look_at_state=*/!looker_.joinable()) && looker_.joinable()) {
    look_wanted_ = true;  // catches up for the door (and checks this answer)
    look_wanted_cv_.notify_one();
  }
}

size_t TraceAnswerCache::bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_;
}

size_t TraceAnswerCache::entries() const {
  std::lock_guard<std::mutex> l(mu_);
  return held_->map.size();
}

bool BlockProofCache::Time(uint64_t height, int64_t* time_ms) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = map_.find(height);
  if (it == map_.end()) return false;
  *time_ms = it->second.time_ms;
  return true;
}

bool BlockProofCache::WriteEntry(uint64_t height, JsonWriter* w) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = map_.find(height);
  if (it == map_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  lru_.splice(lru_.begin(), lru_, it->second.pos);
  w->Raw(it->second.json);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void BlockProofCache::Put(uint64_t height, int64_t time_ms, std::string json) {
  const size_t bytes = json.size() + 96;
  std::lock_guard<std::mutex> l(mu_);
  if (map_.count(height) || bytes > max_bytes_) return;
  lru_.push_front(height);
  map_.emplace(height, Entry{time_ms, std::move(json), lru_.begin()});
  bytes_ += bytes;
  while (bytes_ > max_bytes_) {
    auto victim = map_.find(lru_.back());
    bytes_ -= victim->second.json.size() + 96;
    map_.erase(victim);
    lru_.pop_back();
  }
}

size_t BlockProofCache::entries() const {
  std::lock_guard<std::mutex> l(mu_);
  return map_.size();
}

std::string TraceCacheMetrics(const TraceCaches& c) {
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help, auto v) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(v) + "\n";
  };
  metric("traceledger_trace_answer_cache_hits_total", "counter",
         "Trace answers served from the answer cache.", c.answers.hits());
  metric("traceledger_trace_answer_cache_misses_total", "counter",
         "Trace lookups the answer cache could not serve.", c.answers.misses());
  metric("traceledger_trace_answer_cache_invalidated_total", "counter",
         "Cached trace answers dropped because a block wrote something they depend on.",
         c.answers.invalidated());
  metric("traceledger_trace_answer_cache_cleared_total", "counter",
         "Times the answer cache dropped every answer (the node no longer remembered the "
         "writes since it last looked).",
         c.answers.cleared());
  metric("traceledger_trace_answer_cache_written_keys_total", "counter",
         "State keys written by blocks that the answer cache looked at.",
         c.answers.keys_looked_at());
  metric("traceledger_trace_answer_cache_look_seconds_total", "counter",
         "Wall time the answer cache spent looking at written keys.",
         static_cast<double>(c.answers.look_nanos()) / 1e9);
  metric("traceledger_trace_answer_cache_bytes", "gauge", "Bytes held by the trace answer cache.",
         c.answers.bytes());
  metric("traceledger_trace_answer_cache_entries", "gauge", "Answers held by the answer cache.",
         c.answers.entries());
  metric("traceledger_trace_block_cache_hits_total", "counter",
         "Proof blocks written from the block proof cache.", c.blocks.hits());
  metric("traceledger_trace_block_cache_misses_total", "counter",
         "Proof blocks read and rendered from the stores.", c.blocks.misses());
  metric("traceledger_trace_block_cache_entries", "gauge", "Blocks held by the block proof cache.",
         c.blocks.entries());
  return out;
}

bool FragmentCache::Write(const node::ReadPoint& at, const std::string& key, JsonWriter* w,
                          AnswerDeps* deps) {
  std::lock_guard<std::mutex> l(mu_);
  if (!(at == at_)) return false;
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  w->Raw(it->second.json);
  deps->keys.insert(deps->keys.end(), it->second.keys.begin(), it->second.keys.end());
  return true;
}

void FragmentCache::Put(const node::ReadPoint& at, const std::string& key, std::string json,
                        std::vector<std::string> keys) {
  std::lock_guard<std::mutex> l(mu_);
  if (!(at == at_)) {
    // Only a point at or after the one held replaces it; an older one (or
    // one read across another's write) is not kept.
    if (at.blocks < at_.blocks || at.state < at_.state) return;
    map_.clear();
    at_ = at;
  }
  if (map_.size() >= kMaxFragments) map_.clear();
  map_.emplace(key, Fragment{std::move(json), std::move(keys)});
}

size_t FragmentCache::entries() const {
  std::lock_guard<std::mutex> l(mu_);
  return map_.size();
}

}  // namespace traceledger::api
