#include "contracts/store.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "ledger/db_options.h"

namespace traceledger {

bool StateReader::Read(std::string_view key, std::string* scratch, std::string_view* value) const {
  auto v = Get(key);
  if (!v) return false;
  *scratch = std::move(*v);
  *value = *scratch;
  return true;
}

bool MemState::Read(std::string_view key, std::string*, std::string_view* value) const {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  *value = it->second;
  return true;
}

std::optional<std::string> MemState::Get(std::string_view key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void MemState::Scan(std::string_view prefix, const ScanFn& fn) const {
  for (auto it = map_.lower_bound(prefix); it != map_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (!fn(it->first, it->second)) break;
  }
}

void MemState::Apply(const std::vector<WriteOp>& writes) {
  for (const auto& w : writes) {
    if (w.value) {
      map_.insert_or_assign(w.key, *w.value);
    } else {
      auto it = map_.find(w.key);
      if (it != map_.end()) map_.erase(it);
    }
  }
}

void MemState::Apply(std::vector<WriteOp>&& writes) {
  for (auto& w : writes) {
    if (w.value) {
      auto it = map_.lower_bound(w.key);
      if (it != map_.end() && it->first == w.key)
        it->second = std::move(*w.value);
      else
        map_.emplace_hint(it, std::move(w.key), std::move(*w.value));
    } else {
      auto it = map_.find(w.key);
      if (it != map_.end()) map_.erase(it);
    }
  }
  writes.clear();
}

StateStore::~StateStore() {
  // LevelDB's destructor waits for scheduled compactions; an Env that queues
  // them (a deterministic test's) runs them now.
  if (db_ != nullptr) storage::RunQueuedWork(env_);
  delete db_;
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path, leveldb::Env* env) {
  std::unique_ptr<StateStore> store(new StateStore());
  store->settings_ = std::make_unique<storage::DbSettings>(storage::StateStoreLimits());
  store->env_ = storage::EnvOrDefault(env);
  leveldb::Options options;
  store->settings_->Apply(&options, store->env_);
  options.create_if_missing = true;
  // Damage is reported, never skipped: without this, LevelDB drops a damaged
  // record of its log when it opens (silently losing a synced write), and
  // its compactions do not verify the blocks they copy into new tables.
  options.paranoid_checks = true;
  leveldb::Status s = leveldb::DB::Open(options, path, &store->db_);
  if (!s.ok()) {
    // Damage is CORRUPTION (the node then refuses to start on it), not an I/O error.
    std::string what = "open state store " + path + ": " + s.ToString();
    return s.IsCorruption() ? Status::Corruption(what) : Status::IOError(what);
  }
  return store;
}

namespace {
leveldb::ReadOptions Checked() {
  leveldb::ReadOptions o;
  o.verify_checksums = true;  // corrupt data is reported, never served
  return o;
}
}  // namespace

namespace {
thread_local uint64_t tl_read_failures = 0;
thread_local std::string tl_last_read_failure;
}  // namespace

uint64_t StateReadFailuresOnThisThread() { return tl_read_failures; }
const std::string& LastStateReadFailureOnThisThread() { return tl_last_read_failure; }

void StateStore::NoteReadError(const leveldb::Status& s) const {
  // Whoever reads on this thread sees its own failure (the engine fails the
  // block, an API answer is not served); a transient I/O error on an API
  // thread does not touch the engine's. Damaged data is the store's state:
  // sticky for every reader.
  ++tl_read_failures;
  tl_last_read_failure = "state store read failed: " + s.ToString();
  if (!s.IsCorruption()) return;
  std::lock_guard<std::mutex> l(err_mu_);
  if (read_status_.ok()) read_status_ = Status::Corruption(tl_last_read_failure);
}

uint64_t StateStore::ApproximateMemoryUsage() const { return storage::ApproximateMemoryUsage(db_); }

Status StateStore::read_status() const {
  std::lock_guard<std::mutex> l(err_mu_);
  return read_status_;
}

std::optional<std::string> StateStore::Get(std::string_view key) const {
  std::string value;
  leveldb::Status s = db_->Get(Checked(), leveldb::Slice(key.data(), key.size()), &value);
  if (!s.ok()) {
    if (!s.IsNotFound()) NoteReadError(s);
    return std::nullopt;
  }
  return value;
}

bool StateStore::Read(std::string_view key, std::string* scratch, std::string_view* value) const {
  leveldb::Status s = db_->Get(Checked(), leveldb::Slice(key.data(), key.size()), scratch);
  if (!s.ok()) {
    if (!s.IsNotFound()) NoteReadError(s);
    return false;
  }
  *value = *scratch;
  return true;
}

void StateStore::Scan(std::string_view prefix, const ScanFn& fn) const {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Checked()));
  leveldb::Slice p(prefix.data(), prefix.size());
  for (it->Seek(p); it->Valid() && it->key().starts_with(p); it->Next()) {
    // break, not return: LevelDB's iterator steps over a damaged table block
    // and keeps the error in status(), so it must be looked at however the
    // scan ends.
    if (!fn(std::string_view(it->key().data(), it->key().size()),
            std::string_view(it->value().data(), it->value().size())))
      break;
  }
  if (!it->status().ok()) NoteReadError(it->status());
}

Status StateStore::Apply(const std::vector<WriteOp>& writes, bool sync) {
  {
    std::lock_guard<std::mutex> l(err_mu_);
    if (!write_failed_.ok()) return write_failed_;
  }
  leveldb::WriteBatch batch;
  auto applied = std::make_shared<AppliedKeys>();
  applied->ends.reserve(writes.size());
  for (const auto& w : writes) {
    if (w.value)
      batch.Put(w.key, *w.value);
    else
      batch.Delete(w.key);
    applied->keys += w.key;
    applied->ends.push_back(static_cast<uint32_t>(applied->keys.size()));
  }
  leveldb::WriteOptions options;
  options.sync = sync;
  leveldb::Status s = db_->Write(options, &batch);
  if (!s.ok()) {
    Status failed = Status::IOError("apply state writes: " + s.ToString());
    std::lock_guard<std::mutex> l(err_mu_);
    write_failed_ = Status::IOError("an earlier write to the state store failed; reopen it: " +
                                    failed.message());
    return failed;
  }
  {
    // Logged before the generation moves: a reader that sees generation g
    // finds every Apply up to g in the log (or learns it was dropped).
    std::lock_guard<std::mutex> l(log_mu_);
    applied->generation = generation_.load(std::memory_order_relaxed) + 1;
    key_log_bytes_ += applied->keys.size();
    key_log_.push_back(std::move(applied));
    while (key_log_.size() > kKeyLogApplies ||
           (key_log_bytes_ > kKeyLogBytes && key_log_.size() > 1)) {
      key_log_from_ = key_log_.front()->generation;
      key_log_bytes_ -= key_log_.front()->keys.size();
      key_log_.pop_front();
    }
  }
  generation_.fetch_add(1, std::memory_order_release);
  return Status::OK();
}

bool StateStore::KeysWrittenBetween(uint64_t from, uint64_t to,
                                    const std::function<void(std::string_view key)>& fn) const {
  if (from >= to) return true;
  std::vector<std::shared_ptr<const AppliedKeys>> applies;
  {
    std::lock_guard<std::mutex> l(log_mu_);
    if (from < key_log_from_) return false;
    // Generations in the log are consecutive: the Apply that made g sits at
    // index g - (key_log_from_ + 1).
    for (uint64_t g = from + 1; g <= to; ++g) {
      const uint64_t at = g - (key_log_from_ + 1);
      if (at >= key_log_.size()) return false;  // `to` is not a generation yet
      applies.push_back(key_log_[at]);
    }
  }
  for (const auto& a : applies) {
    uint32_t begin = 0;
    for (uint32_t end : a->ends) {
      fn(std::string_view(a->keys).substr(begin, end - begin));
      begin = end;
    }
  }
  return true;
}

}  // namespace traceledger
