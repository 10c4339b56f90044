#include "api/trace_cache.h"

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

bool TraceAnswerCache::Get(uint64_t gen, const std::string& key, HttpResponse* out,
                           bool count_miss) {
  std::shared_ptr<const HttpResponse> found;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (gen != gen_) {
      // The stores moved on (or this look is older): nothing held can be
      // served. The next Put, on a trace worker, drops the old entries; the
      // I/O threads that call Get never free them.
      if (count_miss) CountMissLocked(key);
      return false;
    }
    auto it = map_.find(key);
    if (it == map_.end()) {
      if (count_miss) CountMissLocked(key);
      return false;
    }
    lru_.splice(lru_.begin(), lru_, it->second.pos);
    found = it->second.answer;
  }
  *out = *found;  // the copy outside the lock
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void TraceAnswerCache::CountMissLocked(const std::string& key) {
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (admit_after_ <= 1) return;
  if (missed_.size() >= kDoorkeeperKeys) missed_.clear();  // a new window of demand
  uint8_t& n = missed_[std::hash<std::string>()(key)];
  if (n < 255) ++n;
}

bool TraceAnswerCache::AdmitsLocked(uint64_t gen, const std::string& key, size_t bytes) const {
  if (gen < gen_) return false;  // built from reads older than what the cache holds
  if (gen == gen_ && map_.count(key)) return false;
  if (admit_after_ <= 1) return true;
  // While there is room (or the entries held are about to be dropped for a
  // newer generation) nothing is pushed out: keep it.
  if (gen > gen_ || bytes_ + bytes <= max_bytes_) return true;
  auto seen = missed_.find(std::hash<std::string>()(key));
  return seen != missed_.end() && seen->second >= admit_after_;  // asked for enough
}

void TraceAnswerCache::Put(uint64_t gen, const std::string& key, const HttpResponse& answer) {
  size_t bytes = 2 * key.size() + answer.body.size() + answer.content_type.size() + 128;
  for (const auto& [k, v] : answer.headers) bytes += k.size() + v.size() + 64;
  if (bytes > max_bytes_ / 8) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!AdmitsLocked(gen, key, bytes)) return;
  }
  // Copied, and evicted entries freed, outside the lock: the I/O threads'
  // Get takes it, and the trace workers that Put run at a lower priority.
  auto copy = std::make_shared<const HttpResponse>(answer);
  Dropped dropped;
  std::vector<std::shared_ptr<const HttpResponse>> evicted;
  std::lock_guard<std::mutex> l(mu_);
  if (!AdmitsLocked(gen, key, bytes)) return;  // checked again: the lock was let go
  if (gen > gen_) {
    dropped = ClearLocked();
    gen_ = gen;
  }
  lru_.push_front(key);
  map_.emplace(key, Entry{std::move(copy), bytes, lru_.begin()});
  bytes_ += bytes;
  while (bytes_ > max_bytes_ && !lru_.empty()) {
    auto victim = map_.find(lru_.back());
    bytes_ -= victim->second.bytes;
    evicted.push_back(std::move(victim->second.answer));
    map_.erase(victim);
    lru_.pop_back();
  }
}

TraceAnswerCache::Dropped TraceAnswerCache::ClearLocked() {
  Dropped old;
  old.first.swap(map_);
  old.second.swap(lru_);
  bytes_ = 0;
  return old;
}

size_t TraceAnswerCache::bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_;
}

size_t TraceAnswerCache::entries() const {
  std::lock_guard<std::mutex> l(mu_);
  return map_.size();
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

bool FragmentCache::Write(uint64_t gen, const std::string& key, JsonWriter* w) {
  std::lock_guard<std::mutex> l(mu_);
  if (gen != gen_) return false;
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  w->Raw(it->second);
  return true;
}

void FragmentCache::Put(uint64_t gen, const std::string& key, std::string json) {
  std::lock_guard<std::mutex> l(mu_);
  if (gen < gen_) return;  // rendered from older reads
  if (gen > gen_ || map_.size() >= kMaxFragments) {
    map_.clear();
    gen_ = gen;
  }
  map_.emplace(key, std::move(json));
}

size_t FragmentCache::entries() const {
  std::lock_guard<std::mutex> l(mu_);
  return map_.size();
}

}  // namespace traceledger::api
