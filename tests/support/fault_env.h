// FaultEnv: an in-memory leveldb::Env that models what a disk keeps across a
// crash and injects disk faults, for the deterministic node simulation
// (tests/node/node_sim.*, `tracesim --node [--disk-faults]`) and store tests.
// docs/storage.md, "Failing disks", describes the model and what the node
// guarantees under it.
//
// The model, per file (an inode, shared by every name and handle of it):
//   - `data` is what a reader sees now (the page cache); `synced` bytes of it
//     are on the platter. Append grows `data`; a successful Sync makes all of
//     it durable.
//   - Names (create, rename, remove) are journaled in order, as ext4 does: a
//     successful Sync of any file commits every earlier name change; a crash
//     keeps a prefix of the uncommitted ones. (LevelDB makes CURRENT point to
//     a new MANIFEST by syncing a temporary file and renaming it, and removes
//     the old MANIFEST only later: a crash leaves the old CURRENT or the new.)
//   - Crash() is a power cut: every file keeps its synced bytes and, chosen by
//     the RNG, none, all or a prefix of its unsynced tail (a torn write).
// Faults, each drawn from the Env's own RNG (seeded at construction), so that
// a seed replays exactly:
//   - FailSyncs(n): the next n Syncs fail (EIO). As Linux does after a failed
//     fsync, the bytes that sync should have made durable are dropped from
//     the platter (a later Sync that succeeds does not bring them back: a
//     crash reads them as zeros), though readers still see them now.
//   - SetSpaceLeft(bytes): a full disk. An Append that does not fit writes a
//     prefix of what fits and fails (ENOSPC), as write(2) does; creating a
//     file on a full disk fails.
//   - SetReadErrorRate(ppm): each Read fails (EIO) with that probability.
//   - FlipRandomBit(): bit rot at rest in a stored file. LevelDB's log format
//     cannot tell a flipped length or type field of a record in a log's last
//     block from a torn write (both look like a record cut by the end of the
//     file), so such bits are never chosen; every other byte of every
//     database file can be.
//
// Background work: LevelDB schedules compactions through Env::Schedule; this
// Env queues them and runs them on the calling thread, in a fixed order, at
// points where LevelDB holds none of its locks: in RunQueuedWork() (the driver
// calls it between its calls into the node; a store calls it before closing
// its database), before each append to a write-ahead log (LevelDB writes its
// log with its mutex released, as a background compaction may run meanwhile)
// and when LevelDB sleeps. So a memtable is always compacted before the next
// one fills up, and a writer never waits for work that only it could run.
//
// Thread-safety: any thread may call any method (an internal mutex guards the
// files), but determinism needs one thread. Files and handles must not outlive
// the Env; Crash() requires that no file is open for writing (close the
// databases first).
#ifndef TRACELEDGER_TESTS_SUPPORT_FAULT_ENV_H_
#define TRACELEDGER_TESTS_SUPPORT_FAULT_ENV_H_

#include <leveldb/env.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ledger/db_options.h"

namespace traceledger::testing {

struct FaultEnvCounters {
  uint64_t syncs = 0;             // successful Syncs
  uint64_t failed_syncs = 0;      // Syncs failed on purpose
  uint64_t full_disk_writes = 0;  // Appends or creations refused for want of space
  uint64_t read_errors = 0;       // Reads failed on purpose
  uint64_t flipped_bits = 0;
  uint64_t crashes = 0;
  uint64_t torn_files = 0;         // files a crash cut inside their unsynced tail
  uint64_t lost_tails = 0;         // files a crash cut at their synced length
  uint64_t lost_name_changes = 0;  // uncommitted creates/renames/removes a crash undid
  // Appends or Syncs of a write-ahead log (a LevelDB "*.log" file) that failed:
  // after one, the node using this Env must stop writing (fail-stop).
  uint64_t failed_log_writes = 0;
  uint64_t background_jobs = 0;  // LevelDB compactions run from the queue
};

class FaultEnv final : public leveldb::Env, public storage::QueuedWorkEnv {
 public:
  // `memtable_bytes`: see storage::QueuedWorkEnv::MemtableBytes (0: the
  // databases' own; LevelDB's least is 64 KiB).
  explicit FaultEnv(uint64_t seed, size_t memtable_bytes = 0);
  ~FaultEnv() override;
  FaultEnv(const FaultEnv&) = delete;
  FaultEnv& operator=(const FaultEnv&) = delete;

  // ---- faults ----
  void FailSyncs(int n);
  static constexpr uint64_t kUnlimited = ~uint64_t{0};
  void SetSpaceLeft(uint64_t bytes);  // kUnlimited: no limit
  void SetReadErrorRate(uint32_t per_million);
  // Flips one bit of one stored file, chosen by the RNG among the database
  // files whose names start with `under` and end with `suffix` ("" for any).
  // Returns "file@offset" of the flip, or "" if no byte could be chosen.
  std::string FlipRandomBit(const std::string& under = "", const std::string& suffix = "");
  // Repairs what an operator can: the disk gets room again, reads and syncs
  // stop failing. Flipped bits stay.
  void ClearTransientFaults();
  // A power cut (see the model above). Locks are released (the process died).
  void Crash();
  // sync(1): every file's data and every name change become durable (what an
  // operator runs after repairing a data directory by hand).
  void SyncAll();

  bool transient_faults_active() const;
  uint64_t bytes_stored() const;  // live files' bytes (what SetSpaceLeft counts against)
  FaultEnvCounters counters() const;
  // Every "file@offset" FlipRandomBit chose, in order.
  std::vector<std::string> flips() const;

  // storage::QueuedWorkEnv.
  void RunQueuedWork() override;
  size_t MemtableBytes() const override { return memtable_bytes_; }

  // ---- leveldb::Env ----
  leveldb::Status NewSequentialFile(const std::string& f, leveldb::SequentialFile** r) override;
  leveldb::Status NewRandomAccessFile(const std::string& f, leveldb::RandomAccessFile** r) override;
  leveldb::Status NewWritableFile(const std::string& f, leveldb::WritableFile** r) override;
  leveldb::Status NewAppendableFile(const std::string& f, leveldb::WritableFile** r) override;
  bool FileExists(const std::string& f) override;
  leveldb::Status GetChildren(const std::string& dir, std::vector<std::string>* r) override;
  leveldb::Status RemoveFile(const std::string& f) override;
  leveldb::Status CreateDir(const std::string& d) override;
  leveldb::Status RemoveDir(const std::string& d) override;
  leveldb::Status GetFileSize(const std::string& f, uint64_t* size) override;
  leveldb::Status RenameFile(const std::string& src, const std::string& target) override;
  leveldb::Status LockFile(const std::string& f, leveldb::FileLock** lock) override;
  leveldb::Status UnlockFile(leveldb::FileLock* lock) override;
  void Schedule(void (*function)(void*), void* arg) override;
  void StartThread(void (*function)(void*), void* arg) override;
  leveldb::Status GetTestDirectory(std::string* path) override;
  leveldb::Status NewLogger(const std::string& f, leveldb::Logger** r) override;
  uint64_t NowMicros() override;
  void SleepForMicroseconds(int micros) override;

  struct Inode {
    std::string data;     // what readers see
    uint64_t synced = 0;  // data[0, synced) is durable
    // Byte ranges a failed Sync dropped from the platter: zeros after a crash.
    std::vector<std::pair<uint64_t, uint64_t>> lost;
  };
  using InodePtr = std::shared_ptr<Inode>;

  // Used by the file handles (fault_env.cc).
  leveldb::Status Append(const std::string& name, const InodePtr& f, const leveldb::Slice& data);
  leveldb::Status Sync(const std::string& name, const InodePtr& f);
  leveldb::Status Read(const std::string& name, const InodePtr& f, uint64_t offset, size_t n,
                       leveldb::Slice* result, char* scratch);
  void Closed();  // a writable handle was destroyed

 private:
  struct NameOp {
    enum Kind { kSet, kRemove } kind;  // a rename is a kSet of the target and a kRemove
    std::string name;
    InodePtr inode;  // kSet
  };

  uint64_t Next();                                        // the RNG (splitmix64); mu_ held
  uint64_t Uniform(uint64_t n);                           // [0, n); mu_ held
  void SetName(const std::string& name, InodePtr inode);  // mu_ held
  void RemoveName(const std::string& name);               // mu_ held
  void CommitNames();                                     // mu_ held

  const size_t memtable_bytes_;
  mutable std::mutex mu_;
  uint64_t rng_;
  std::map<std::string, InodePtr> live_;     // names as the process sees them
  std::map<std::string, InodePtr> durable_;  // names as a crash would leave them
  std::vector<NameOp> uncommitted_;          // name changes since the last Sync
  std::set<std::string> dirs_;
  std::set<std::string> locks_;
  int open_writers_ = 0;
  int syncs_to_fail_ = 0;
  uint64_t capacity_ = kUnlimited;  // most bytes the live files may hold
  uint64_t StoredLocked() const;    // mu_ held
  uint32_t read_error_ppm_ = 0;
  FaultEnvCounters counters_;
  std::vector<std::string> flips_;
  std::mutex work_mu_;  // guards queue_; never held while a job runs
  std::deque<std::pair<void (*)(void*), void*>> queue_;
  bool running_work_ = false;  // guarded by work_mu_
  uint64_t now_micros_ = 1;
};

}  // namespace traceledger::testing

#endif  // TRACELEDGER_TESTS_SUPPORT_FAULT_ENV_H_
