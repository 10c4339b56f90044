// State storage for the contracts: the read interface the engine executes
// against, an in-memory implementation (tests, benchmarks) and a LevelDB-backed
// StateStore that applies a block's write set atomically.
//
// Thread-safety: MemState is not thread-safe. StateStore allows concurrent Get
// and Scan (LevelDB reads are thread-safe) but Apply must not run concurrently
// with the engine reading the same store for another block. A read error met
// by any reader of a StateStore (an API read included) is sticky for all: the
// store is damaged, and the node must stop applying blocks on it.
#ifndef TRACELEDGER_CONTRACTS_STORE_H_
#define TRACELEDGER_CONTRACTS_STORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace leveldb {
class DB;
class Env;
class Status;
}  // namespace leveldb

namespace traceledger {
namespace storage {
class DbSettings;
}

// One state write: a put (value set) or a delete (value empty optional).
struct WriteOp {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const WriteOp&) const = default;
};

using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<std::string> Get(std::string_view key) const = 0;
  // Point read without a copy where the store can: on success *value views the
  // value, valid until the store changes or *scratch is next used. The default
  // reads through Get into *scratch.
  virtual bool Read(std::string_view key, std::string* scratch, std::string_view* value) const;
  // Calls fn(key, value) for every key that starts with `prefix`, in ascending
  // byte order, until fn returns false.
  virtual void Scan(std::string_view prefix, const ScanFn& fn) const = 0;
  // The first read that found damaged data (a checksum mismatch), sticky: the
  // store cannot be trusted any more. OK if none did. The engine refuses to
  // execute on such a store; failed reads of the engine's own thread are seen
  // through StateReadFailuresOnThisThread() below.
  virtual Status read_status() const { return Status::OK(); }
};

// Reads of any StateStore that failed on the calling thread (an I/O error or
// damaged data: that Get answered "absent", that Scan stopped early), counting
// up from 0. A computation compares the count before and after itself: a change
// means its result may be wrong. Per thread, so that an API thread's failed
// read never fails the engine's block, nor the other way round.
uint64_t StateReadFailuresOnThisThread();
// The message of the latest of those failures ("" if none).
const std::string& LastStateReadFailureOnThisThread();

class MemState : public StateReader {
 public:
  std::optional<std::string> Get(std::string_view key) const override;
  bool Read(std::string_view key, std::string* scratch, std::string_view* value) const override;
  void Scan(std::string_view prefix, const ScanFn& fn) const override;
  void Apply(const std::vector<WriteOp>& writes);
  void Apply(std::vector<WriteOp>&& writes);  // moves keys and values in
  size_t size() const { return map_.size(); }
  const std::map<std::string, std::string, std::less<>>& map() const { return map_; }

 private:
  std::map<std::string, std::string, std::less<>> map_;
};

class StateStore : public StateReader {
 public:
  ~StateStore() override;
  // Opens (creating if missing) the LevelDB database at `path`, with
  // paranoid_checks (a damaged log record or table block is CORRUPTION, at
  // open or when read, never skipped) and the limits of
  // storage::StateStoreLimits() (ledger/db_options.h): a Bloom filter (10
  // bits per key) so that reads of absent keys (new codes, unused nonces: most
  // of the engine's point reads) rarely touch a table block, and a bounded
  // block cache. Files go through `env` (ledger/db_options.h, "the storage
  // seam"; null: storage::TableReadEnv()), which must outlive the store.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path,
                                                  leveldb::Env* env = nullptr);
  std::optional<std::string> Get(std::string_view key) const override;
  bool Read(std::string_view key, std::string* scratch, std::string_view* value) const override;
  void Scan(std::string_view prefix, const ScanFn& fn) const override;
  // Applies every write in one WriteBatch: all or nothing. Fail-stop: after
  // one Apply fails (IO_ERROR: a full disk, a failed fsync), every later one
  // fails too until the store is reopened (a failed write may leave part of
  // its record in LevelDB's log, and one written after it would make the log
  // unreadable at the next open; ledger/block_store.h says the same).
  Status Apply(const std::vector<WriteOp>& writes, bool sync);
  // Bumped after every successful Apply, once its writes are visible: equal
  // generations before and after a read mean no Apply happened in between.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // The keys of the latest Applies, kept for readers that keep answers
  // derived from the state (the API's trace answer cache): at most
  // kKeyLogApplies Applies and kKeyLogBytes of keys, oldest dropped first.
  static constexpr size_t kKeyLogApplies = 4096;
  static constexpr size_t kKeyLogBytes = 16 << 20;
  // Calls fn(key) for every key written (put or deleted) by the Applies that
  // took the generation from `from` to `to` (from < g <= to, both read from
  // generation()), possibly more than once; false, calling nothing, if the
  // log no longer holds all of them. Never blocks Apply for longer than a
  // few pointer copies.
  bool KeysWrittenBetween(uint64_t from, uint64_t to,
                          const std::function<void(std::string_view key)>& fn) const;
  // Reads verify LevelDB's block checksums; a failed read is remembered here.
  Status read_status() const override;
  // Heap bytes LevelDB holds for this store now (memtables and block cache).
  uint64_t ApproximateMemoryUsage() const;

 private:
  StateStore() = default;
  // Declared before db_ so that it outlives the database.
  std::unique_ptr<storage::DbSettings> settings_;
  leveldb::Env* env_ = nullptr;  // what db_ was opened with
  leveldb::DB* db_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  // The keys of one Apply, packed: key i is keys[ends[i-1], ends[i]).
  struct AppliedKeys {
    uint64_t generation;  // the generation this Apply made
    std::string keys;
    std::vector<uint32_t> ends;
  };
  mutable std::mutex log_mu_;                               // guards the three below
  std::deque<std::shared_ptr<const AppliedKeys>> key_log_;  // oldest first
  size_t key_log_bytes_ = 0;
  uint64_t key_log_from_ = 0;  // the log holds every Apply after this generation
  void NoteReadError(const leveldb::Status& s) const;
  mutable std::mutex err_mu_;
  mutable Status read_status_;  // guarded by err_mu_
  Status write_failed_;         // guarded by err_mu_: the first failed Apply
};

}  // namespace traceledger

#endif  // TRACELEDGER_CONTRACTS_STORE_H_
