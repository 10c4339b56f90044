#include "ledger/db_options.h"

#include <errno.h>
#include <fcntl.h>
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>

namespace traceledger::storage {

namespace {

constexpr uint64_t kTableIndexAndFilterBytes = 16 << 10;  // per open 2 MiB table, estimated

leveldb::Status PosixError(const std::string& what, int err) {
  if (err == ENOENT) return leveldb::Status::NotFound(what, std::strerror(err));
  return leveldb::Status::IOError(what, std::strerror(err));
}

// Caps the descriptors held by open tables: a quarter of RLIMIT_NOFILE (the
// rest is for sockets, logs and LevelDB's own files), at least 64.
class FdBudget {
 public:
  FdBudget() {
    rlimit r{};
    uint64_t cap = 256;
    if (::getrlimit(RLIMIT_NOFILE, &r) == 0) {
      cap = r.rlim_cur == RLIM_INFINITY ? (1 << 16) : r.rlim_cur / 4;
    }
    cap_ = static_cast<int>(cap < 64 ? 64 : cap > (1 << 16) ? (1 << 16) : cap);
  }
  bool Acquire() {
    int n = held_.fetch_add(1, std::memory_order_relaxed);
    if (n < cap_) return true;
    held_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void Release() { held_.fetch_sub(1, std::memory_order_relaxed); }
  int held() const { return held_.load(std::memory_order_relaxed); }

 private:
  int cap_ = 64;
  std::atomic<int> held_{0};
};

FdBudget& Fds() {
  static FdBudget* b = new FdBudget();  // never destroyed: tables may close at exit
  return *b;
}

// A table file read with pread(2). Holds its descriptor when the budget allows,
// else opens the file for each read (as LevelDB's own PosixEnv does).
class PreadFile final : public leveldb::RandomAccessFile {
 public:
  PreadFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PreadFile() override {
    if (fd_ >= 0) {
      ::close(fd_);
      Fds().Release();
    }
  }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    int fd = fd_;
    if (fd < 0) {
      fd = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        *result = leveldb::Slice(scratch, 0);
        return PosixError(name_, errno);
      }
    }
    // One call, as LevelDB's PosixRandomAccessFile: a short read is the end
    // of the file, and the table reader checks the length it got.
    ssize_t r;
    do {
      r = ::pread(fd, scratch, n, static_cast<off_t>(offset));
    } while (r < 0 && errno == EINTR);
    int err = errno;
    if (fd != fd_) ::close(fd);
    *result = leveldb::Slice(scratch, r < 0 ? 0 : static_cast<size_t>(r));
    if (r < 0) return PosixError(name_, err);
    return leveldb::Status::OK();
  }

 private:
  const std::string name_;
  const int fd_;  // -1: opened per read
};

class PreadEnv final : public leveldb::EnvWrapper {
 public:
  PreadEnv() : EnvWrapper(leveldb::Env::Default()) {}
  leveldb::Status NewRandomAccessFile(const std::string& fname,
                                      leveldb::RandomAccessFile** result) override {
    *result = nullptr;
    int fd = ::open(fname.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(fname, errno);
    if (!Fds().Acquire()) {
      ::close(fd);
      fd = -1;
    }
    *result = new PreadFile(fname, fd);
    return leveldb::Status::OK();
  }
};

}  // namespace

uint64_t DbLimits::BudgetBytes() const {
  return block_cache_bytes + 2 * uint64_t{write_buffer_bytes} +
         static_cast<uint64_t>(max_open_files) * kTableIndexAndFilterBytes;
}

// The trace answer reads ~6 transaction records (~1.2 KB each, in blocks that
// barely compress: two audit paths of hashes) and ~6 header records per code,
// at random heights: a uniform read of a large chain misses any cache, so the
// block store's cache mostly keeps the small hot parts (headers, attestations,
// the tip, recent blocks' records).
DbLimits BlockStoreLimits() {
  DbLimits l;
  l.block_cache_bytes = 32 << 20;
  l.max_open_files = 1000;
  l.write_buffer_bytes = 8 << 20;  // a block and its records are ~3 MB at 2,000 transactions
  return l;
}

// The state store: small records read by key or by a short prefix scan (a
// code's item, events, alerts, children, documents; enterprises, signers).
DbLimits StateStoreLimits() {
  DbLimits l;
  l.block_cache_bytes = 64 << 20;
  l.max_open_files = 1000;
  l.write_buffer_bytes = 8 << 20;
  return l;
}

// The Raft log: entries written once per block and deleted at each snapshot;
// read only at start.
DbLimits RaftLogLimits() {
  DbLimits l;
  l.block_cache_bytes = 1 << 20;
  l.max_open_files = 64;
  l.write_buffer_bytes = 4 << 20;
  l.bloom_bits_per_key = 0;  // keys are read in order at start, never probed
  return l;
}

DbSettings::DbSettings(const DbLimits& limits)
    : limits_(limits),
      cache_(leveldb::NewLRUCache(limits.block_cache_bytes)),
      filter_(limits.bloom_bits_per_key > 0
                  ? leveldb::NewBloomFilterPolicy(limits.bloom_bits_per_key)
                  : nullptr) {}

DbSettings::~DbSettings() = default;

void DbSettings::Apply(leveldb::Options* o, leveldb::Env* env) const {
  o->block_cache = cache_.get();
  o->filter_policy = filter_.get();
  o->max_open_files = limits_.max_open_files;
  o->write_buffer_size = limits_.write_buffer_bytes;
  o->block_size = limits_.block_bytes;
  o->env = EnvOrDefault(env);
  if (auto* q = dynamic_cast<QueuedWorkEnv*>(o->env); q != nullptr && q->MemtableBytes() > 0) {
    o->write_buffer_size = q->MemtableBytes();
  }
}

size_t DbSettings::block_cache_usage() const { return cache_->TotalCharge(); }

uint64_t ApproximateMemoryUsage(leveldb::DB* db) {
  std::string v;
  if (db == nullptr || !db->GetProperty("leveldb.approximate-memory-usage", &v)) return 0;
  return std::strtoull(v.c_str(), nullptr, 10);
}

leveldb::Env* TableReadEnv() {
  static leveldb::Env* env = new PreadEnv();  // never destroyed, as Env::Default()
  return env;
}

int TableReadEnvOpenFiles() { return Fds().held(); }

leveldb::Env* EnvOrDefault(leveldb::Env* env) { return env != nullptr ? env : TableReadEnv(); }

void RunQueuedWork(leveldb::Env* env) {
  if (auto* q = dynamic_cast<QueuedWorkEnv*>(env)) q->RunQueuedWork();
}

}  // namespace traceledger::storage
