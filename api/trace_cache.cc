#include "api/trace_cache.h"

#include <algorithm>

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

bool TraceAnswerCache::Get(const std::string& key, HttpResponse* out, bool count_miss,
                           bool may_catch_up) {
  std::shared_ptr<const Stored> found;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!SyncLocked(may_catch_up ? UINT64_MAX : kMaxWritesOnDoor)) {
      if (count_miss) CountMissLocked(key);
      return false;  // too far behind for this thread: a trace worker catches up
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

bool TraceAnswerCache::SyncLocked(uint64_t max_writes) {
  const node::ReadPoint now = changes_->read_point();
  const node::ReadPoint to{std::max(now.blocks, synced_.blocks),
                           std::max(now.state, synced_.state)};
  if (to == synced_) return true;
  if (held_->map.empty()) {  // nothing to drop: no need to look
    synced_ = to;
    latest_time_ = changes_->latest_block_time();
    return true;
  }
  if ((to.blocks - synced_.blocks) + (to.state - synced_.state) > max_writes) return false;
  // Drops only remove lengths: those of now are enough for the whole look.
  std::vector<size_t> odd_lengths;
  for (const auto& [len, n] : odd_prefix_lengths_) odd_lengths.push_back(len);
  const bool ok = changes_->Between(
      synced_, to,
      [this, &odd_lengths](std::string_view k) {
        if (held_->map.empty()) return;
        DropMatchesLocked(held_->by_key, HashOf(k));
        // The prefixes this key falls under: its cuts after each '|', and
        // the odd lengths some entry scanned.
        for (size_t at = k.find('|'); at != std::string_view::npos; at = k.find('|', at + 1)) {
          DropMatchesLocked(held_->by_prefix, HashOf(k.substr(0, at + 1)));
        }
        for (size_t len : odd_lengths) {
          if (len > k.size()) break;
          DropMatchesLocked(held_->by_prefix, HashOf(k.substr(0, len)));
        }
      },
      [this](uint64_t height) {
        if (!held_->map.empty()) DropMatchesLocked(held_->by_height, height);
      });
  if (!ok) {
    if (!held_->map.empty()) cleared_.fetch_add(1, std::memory_order_relaxed);
    DropAllLocked();
  }
  synced_ = to;
  latest_time_ = changes_->latest_block_time();
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
  bytes_ = 0;
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
    // Kept only if no write after `start` has been looked at yet (then the
    // next look checks them all against this answer).
    if (!Covers(start, synced_) || !AdmitsLocked(key, bytes)) return;
  }
  auto stored = std::make_shared<const Stored>(Stored{answer, std::move(deps)});
  std::lock_guard<std::mutex> l(mu_);
  // Checked again: the lock was let go.
  if (!Covers(start, synced_) || !AdmitsLocked(key, bytes)) return;
  Held& h = *held_;
  h.lru.push_front(key);
  Entry* e = &h.map.emplace(key, Entry{stored, bytes, h.lru.begin()}).first->second;
  const AnswerDeps& d = stored->deps;
  for (const auto& k : d.keys) h.by_key[HashOf(k)].insert(e);
  for (const auto& p : d.prefixes) {
    h.by_prefix[HashOf(p)].insert(e);
    if (p.empty() || p.back() != '|') ++odd_prefix_lengths_[p.size()];
  }
  for (uint64_t height : d.attested) h.by_height[height].insert(e);
  bytes_ += bytes;
  while (bytes_ > max_bytes_ && h.lru.size() > 1) DropLocked(&h.map.find(h.lru.back())->second);
  SyncLocked();  // this worker catches up for the door (and checks this answer)
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
  auto metric = [&out](const char* name, const char* type, const char* help, uint64_t v) {
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
