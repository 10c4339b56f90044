// The LevelDB settings of the node's databases (block store, state store, Raft
// log) and what each may hold in memory: docs/operations.md, "Memory".
//
// LevelDB's defaults leave a database's memory to chance: an 8 MiB block cache
// made per database, up to 1,000 table files kept open, and table files read
// through mmap, so that every page of a table a reader ever touched counts in
// the process's resident memory (~820 MB per node after reading a million-event
// chain). A DbLimits states the budget instead, and DbSettings holds what the
// leveldb::Options point to.
//
// Thread-safety: DbSettings is immutable after construction; the cache and the
// filter policy it owns are thread-safe (LevelDB's). TableReadEnv() is a
// process-wide Env, safe to use from any thread.
#ifndef TRACELEDGER_LEDGER_DB_OPTIONS_H_
#define TRACELEDGER_LEDGER_DB_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace leveldb {
class Cache;
class DB;
class Env;
class FilterPolicy;
struct Options;
}  // namespace leveldb

namespace traceledger::storage {

struct DbLimits {
  // Uncompressed table blocks kept in an LRU cache (hits cost no read, no
  // checksum and no decompression).
  size_t block_cache_bytes = 8 << 20;
  // Table files kept open, each with its index and Bloom filter blocks in
  // memory and one file descriptor. Tables beyond this are reopened on use
  // (reading their footer, index and filter again), so a database should stay
  // below it: ~2 MiB per table, so 1,000 tables is ~2 GB of data.
  int max_open_files = 1000;
  // One memtable; a second one exists while the first is written to a table.
  size_t write_buffer_bytes = 4 << 20;
  // LevelDB's table block size (uncompressed bytes per block; the unit of a
  // read, a checksum and a cache entry). Applies to tables written from now on.
  size_t block_bytes = 4 << 10;
  // Bits per key of the Bloom filter written into new tables (0: no filter).
  // Point reads of absent keys then rarely touch a data block.
  int bloom_bits_per_key = 10;

  // The most this database's LevelDB holds on the heap, roughly: the block
  // cache, two memtables, and per open table its index and filter blocks
  // (estimated at 1/128 of a 2 MiB table: 16 KiB).
  uint64_t BudgetBytes() const;
};

// The node's three databases. The block store and state store serve the trace
// reads; the Raft log is written and read back only at start.
DbLimits BlockStoreLimits();
DbLimits StateStoreLimits();
DbLimits RaftLogLimits();

// Owns the block cache and filter policy that leveldb::Options point to; must
// outlive the database opened with Apply's options.
class DbSettings {
 public:
  explicit DbSettings(const DbLimits& limits);
  ~DbSettings();
  DbSettings(const DbSettings&) = delete;
  DbSettings& operator=(const DbSettings&) = delete;

  // Sets the cache, filter, sizes, open-file limit and Env on `o` (`env`, or
  // TableReadEnv() when null); leaves the other fields (create_if_missing,
  // paranoid_checks, ...) to the caller.
  void Apply(leveldb::Options* o, leveldb::Env* env = nullptr) const;
  const DbLimits& limits() const { return limits_; }
  // Bytes the block cache holds now.
  size_t block_cache_usage() const;

 private:
  DbLimits limits_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
};

// LevelDB's "leveldb.approximate-memory-usage" of `db`: its memtables and block
// cache (not the open tables' index and filter blocks). 0 if not available.
uint64_t ApproximateMemoryUsage(leveldb::DB* db);

// The Env every database of the node uses: LevelDB's default, except that
// table files are read with pread(2) into LevelDB's buffers (then the block
// cache) instead of being mapped. Data read from disk then sits in the
// kernel's page cache, shared and reclaimable, and not in the process's
// resident memory. File descriptors: each open table holds one while fewer
// than a quarter of RLIMIT_NOFILE are held this way; beyond that a read opens
// and closes the file itself. Cost: a system call, a copy and an allocation
// per block read that misses the block cache (~7 % of the CPU of an uncached
// trace answer against mmap; docs/performance.md, "Memory").
leveldb::Env* TableReadEnv();
// Table files currently held open by TableReadEnv (for tests and metrics).
int TableReadEnvOpenFiles();

// The storage seam (DESIGN.md §1). Every database of the node reads and writes
// its files through a leveldb::Env given in the store's options (null: the
// production TableReadEnv()). A deterministic test passes an in-memory Env
// that injects faults (tests/node/fault_env.h).
//
// LevelDB runs compactions through Env::Schedule, on a thread of its own in
// the default Env. An Env meant for a single-threaded simulation instead
// queues that work and runs it when its driver says so; it implements
// QueuedWorkEnv. Because LevelDB's DB destructor waits until scheduled work
// has run, a store closing its database first calls RunQueuedWork(env) below.
class QueuedWorkEnv {
 public:
  virtual ~QueuedWorkEnv() = default;
  // Runs every queued background job (and the jobs they queue) to completion,
  // on the calling thread. Must not be called from inside LevelDB.
  virtual void RunQueuedWork() = 0;
  // Memtable size for databases on this Env (0: the DbLimits' own). A
  // simulation writes far less than a node under load; smaller memtables make
  // its databases write, compact and read back table files as a node's do.
  virtual size_t MemtableBytes() const { return 0; }
};

// `env`, or TableReadEnv() when it is null.
leveldb::Env* EnvOrDefault(leveldb::Env* env);
// Calls RunQueuedWork() if `env` is a QueuedWorkEnv; does nothing otherwise
// (the default Env runs its work on its own thread).
void RunQueuedWork(leveldb::Env* env);

}  // namespace traceledger::storage

#endif  // TRACELEDGER_LEDGER_DB_OPTIONS_H_
