// Durable Raft state on LevelDB: hard state, log entries and the latest
// snapshot, in the node's data directory (docs/node.md).
//
// Persistence contract (consensus/raft.h): Save() of a Ready returns only after
// its hard state, entries and snapshot are synced, in one WriteBatch — one
// fsync covers every entry of the Ready (group commit). Messages of that Ready
// may be sent only afterwards.
//
// LevelDB is opened with paranoid_checks and reads verify checksums, so damage
// is reported (CORRUPTION) instead of silently skipped.
//
// Fail-stop: after a write fails, every later Save and SaveSnapshot fails the
// same way until the log is reopened (never retry a failed fsync and go on;
// ledger/block_store.h says why).
//
// Thread-safety: one thread (the node's Raft loop) uses a RaftStorage.
#ifndef TRACELEDGER_NODE_RAFT_STORAGE_H_
#define TRACELEDGER_NODE_RAFT_STORAGE_H_

#include <memory>
#include <string>

#include "consensus/raft.h"
#include "ledger/status.h"

namespace leveldb {
class DB;
class Env;
class WriteBatch;
}  // namespace leveldb
namespace traceledger::storage {
class DbSettings;
}

namespace traceledger::node {

class RaftStorage {
 public:
  // Files go through `env` (ledger/db_options.h, "the storage seam"; null:
  // storage::TableReadEnv()), which must outlive the storage.
  static Result<std::unique_ptr<RaftStorage>> Open(const std::string& dir, bool sync = true,
                                                   leveldb::Env* env = nullptr);
  ~RaftStorage();

  // Everything needed to restart the Raft instance.
  Result<raft::RestartState> Load();
  // Persists the durable parts of `rd` (no-op when !rd.MustSync()).
  Status Save(const raft::Ready& rd);
  // Stores `snap` as the latest snapshot and drops the entries it covers, in
  // one synced batch (before the application calls Raft::Compact).
  Status SaveSnapshot(const raft::Snapshot& snap);

  uint64_t last_index() const { return last_index_; }
  uint64_t syncs() const { return syncs_; }
  // Heap bytes LevelDB holds for the log now (memtables and block cache). The
  // one method any thread may call (LevelDB's properties are thread-safe).
  uint64_t ApproximateMemoryUsage() const;

 private:
  RaftStorage() = default;
  // Writes `batch` (synced unless !sync_); the first failure is kept.
  Status Write(leveldb::WriteBatch* batch, const char* what);
  // Declared before db_ so that it outlives the database.
  std::unique_ptr<storage::DbSettings> settings_;
  leveldb::Env* env_ = nullptr;  // what db_ was opened with
  std::unique_ptr<leveldb::DB> db_;
  uint64_t first_index_ = 1;  // first stored entry index
  uint64_t last_index_ = 0;   // last stored entry index (0: none)
  uint64_t syncs_ = 0;
  bool sync_ = true;
  Status write_failed_;  // the first failed write (fail-stop)
};

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_RAFT_STORAGE_H_
