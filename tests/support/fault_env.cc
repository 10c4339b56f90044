#include "fault_env.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace traceledger::testing {
namespace {

// TigerBeetle-style: the model's own invariants, on in every build.
#define FAULT_ENV_ASSERT(cond, what)                                                            \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "%s:%d: FaultEnv invariant failed: %s\n", __FILE__, __LINE__, what); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

constexpr size_t kLogBlock = 32768;  // LevelDB's log format (db/log_format.h)
constexpr size_t kLogHeader = 7;     // crc32c (4) | length (2) | type (1)

std::string Basename(const std::string& name) {
  auto s = name.rfind('/');
  return s == std::string::npos ? name : name.substr(s + 1);
}

std::string Dirname(const std::string& name) {
  auto s = name.rfind('/');
  return s == std::string::npos ? "" : name.substr(0, s);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool IsWriteAheadLog(const std::string& name) { return EndsWith(name, ".log"); }

// Files in LevelDB's log format: write-ahead logs and MANIFESTs.
bool IsLogFormat(const std::string& name) {
  return IsWriteAheadLog(name) || Basename(name).rfind("MANIFEST-", 0) == 0;
}

// Database files bit rot may hit: not the lock file nor the info log, which
// LevelDB never reads back.
bool IsDatabaseFile(const std::string& name) {
  std::string b = Basename(name);
  return b != "LOCK" && b != "LOG" && b != "LOG.old";
}

leveldb::Status NoSuchFile(const std::string& name) {
  return leveldb::Status::NotFound(name, "No such file or directory");
}

class NullLogger final : public leveldb::Logger {
 public:
  void Logv(const char*, std::va_list) override {}
};

class MemLock final : public leveldb::FileLock {
 public:
  explicit MemLock(std::string name) : name(std::move(name)) {}
  const std::string name;
};

class SeqFile final : public leveldb::SequentialFile {
 public:
  SeqFile(FaultEnv* env, std::string name, FaultEnv::InodePtr f)
      : env_(env), name_(std::move(name)), f_(std::move(f)) {}
  leveldb::Status Read(size_t n, leveldb::Slice* result, char* scratch) override {
    leveldb::Status s = env_->Read(name_, f_, pos_, n, result, scratch);
    if (s.ok()) pos_ += result->size();
    return s;
  }
  leveldb::Status Skip(uint64_t n) override {
    pos_ += n;
    return leveldb::Status::OK();
  }

 private:
  FaultEnv* env_;
  std::string name_;
  FaultEnv::InodePtr f_;
  uint64_t pos_ = 0;
};

class RandomFile final : public leveldb::RandomAccessFile {
 public:
  RandomFile(FaultEnv* env, std::string name, FaultEnv::InodePtr f)
      : env_(env), name_(std::move(name)), f_(std::move(f)) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    return env_->Read(name_, f_, offset, n, result, scratch);
  }

 private:
  FaultEnv* env_;
  std::string name_;
  FaultEnv::InodePtr f_;
};

class WriteFile final : public leveldb::WritableFile {
 public:
  WriteFile(FaultEnv* env, std::string name, FaultEnv::InodePtr f)
      : env_(env), name_(std::move(name)), f_(std::move(f)) {}
  ~WriteFile() override { env_->Closed(); }
  leveldb::Status Append(const leveldb::Slice& data) override {
    return env_->Append(name_, f_, data);
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }  // writes are not buffered
  leveldb::Status Sync() override { return env_->Sync(name_, f_); }

 private:
  FaultEnv* env_;
  std::string name_;
  FaultEnv::InodePtr f_;
};

}  // namespace

FaultEnv::FaultEnv(uint64_t seed, size_t memtable_bytes)
    : memtable_bytes_(memtable_bytes), rng_(seed ^ 0x6a09e667f3bcc908ull) {}

FaultEnv::~FaultEnv() { FAULT_ENV_ASSERT(open_writers_ == 0, "a file is still open for writing"); }

uint64_t FaultEnv::Next() {
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t FaultEnv::Uniform(uint64_t n) { return n == 0 ? 0 : Next() % n; }

uint64_t FaultEnv::StoredLocked() const {
  std::set<const Inode*> seen;
  uint64_t total = 0;
  for (const auto& [name, f] : live_) {
    if (seen.insert(f.get()).second) total += f->data.size();
  }
  return total;
}

void FaultEnv::SetName(const std::string& name, InodePtr inode) {
  live_[name] = inode;
  uncommitted_.push_back(NameOp{NameOp::kSet, name, std::move(inode)});
}

void FaultEnv::RemoveName(const std::string& name) {
  live_.erase(name);
  uncommitted_.push_back(NameOp{NameOp::kRemove, name, nullptr});
}

void FaultEnv::CommitNames() {
  for (auto& op : uncommitted_) {
    if (op.kind == NameOp::kSet)
      durable_[op.name] = op.inode;
    else
      durable_.erase(op.name);
  }
  uncommitted_.clear();
}

// ---------------- faults ----------------

void FaultEnv::FailSyncs(int n) {
  std::lock_guard<std::mutex> l(mu_);
  syncs_to_fail_ = n;
}

void FaultEnv::SetSpaceLeft(uint64_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  if (bytes == kUnlimited) {
    capacity_ = kUnlimited;
    return;
  }
  uint64_t stored = StoredLocked();
  capacity_ = bytes > kUnlimited - stored ? kUnlimited : stored + bytes;
}

void FaultEnv::SetReadErrorRate(uint32_t per_million) {
  std::lock_guard<std::mutex> l(mu_);
  read_error_ppm_ = per_million;
}

void FaultEnv::ClearTransientFaults() {
  std::lock_guard<std::mutex> l(mu_);
  syncs_to_fail_ = 0;
  capacity_ = kUnlimited;
  read_error_ppm_ = 0;
}

bool FaultEnv::transient_faults_active() const {
  std::lock_guard<std::mutex> l(mu_);
  return syncs_to_fail_ > 0 || capacity_ != kUnlimited || read_error_ppm_ > 0;
}

uint64_t FaultEnv::bytes_stored() const {
  std::lock_guard<std::mutex> l(mu_);
  return StoredLocked();
}

FaultEnvCounters FaultEnv::counters() const {
  std::lock_guard<std::mutex> l(mu_);
  return counters_;
}

std::vector<std::string> FaultEnv::flips() const {
  std::lock_guard<std::mutex> l(mu_);
  return flips_;
}

std::string FaultEnv::FlipRandomBit(const std::string& under, const std::string& suffix) {
  std::lock_guard<std::mutex> l(mu_);
  // Candidates: every byte of every database file, except the length and type
  // of records in a log-format file's last block (see the header).
  struct Candidate {
    std::string name;
    Inode* f;
    std::vector<std::pair<uint64_t, uint64_t>> excluded;  // sorted, disjoint
    uint64_t bytes;                                       // eligible bytes
  };
  std::vector<Candidate> cands;
  std::set<const Inode*> seen;
  uint64_t total = 0;
  for (const auto& [name, f] : live_) {
    if (f->data.empty() || !IsDatabaseFile(name) || name.rfind(under, 0) != 0 ||
        !EndsWith(name, suffix))
      continue;
    if (!seen.insert(f.get()).second) continue;
    Candidate c{name, f.get(), {}, 0};
    const std::string& d = f->data;
    if (IsLogFormat(name)) {
      uint64_t last_block = (d.size() - 1) / kLogBlock * kLogBlock;
      uint64_t off = last_block;
      while (off + kLogHeader <= d.size()) {
        uint64_t in_block = off % kLogBlock;
        if (kLogBlock - in_block < kLogHeader) break;  // the block's zero trailer
        c.excluded.push_back({off + 4, off + kLogHeader});
        uint64_t len = static_cast<uint8_t>(d[off + 4]) | (static_cast<uint8_t>(d[off + 5]) << 8);
        off += kLogHeader + len;
      }
    }
    uint64_t excluded = 0;
    for (auto [a, b] : c.excluded) excluded += std::min<uint64_t>(b, d.size()) - a;
    c.bytes = d.size() - excluded;
    if (c.bytes == 0) continue;
    total += c.bytes;
    cands.push_back(std::move(c));
  }
  if (total == 0) return "";
  uint64_t pick = Uniform(total);
  for (auto& c : cands) {
    if (pick >= c.bytes) {
      pick -= c.bytes;
      continue;
    }
    // The pick-th eligible byte of this file.
    uint64_t off = pick;
    for (auto [a, b] : c.excluded) {
      if (off >= a) off += b - a;
    }
    FAULT_ENV_ASSERT(off < c.f->data.size(), "flip outside the file");
    c.f->data[off] = static_cast<char>(c.f->data[off] ^ (1 << Uniform(8)));
    ++counters_.flipped_bits;
    std::string where = c.name + "@" + std::to_string(off);
    flips_.push_back(where);
    return where;
  }
  FAULT_ENV_ASSERT(false, "no flip chosen");
  return "";
}

void FaultEnv::Crash() {
  std::lock_guard<std::mutex> l(mu_);
  FAULT_ENV_ASSERT(open_writers_ == 0, "crash with a file open for writing: close the databases");
  // Name changes: a prefix of the uncommitted ones reached the journal.
  size_t keep_ops = static_cast<size_t>(Uniform(uncommitted_.size() + 1));
  counters_.lost_name_changes += uncommitted_.size() - keep_ops;
  uncommitted_.resize(keep_ops);
  CommitNames();
  live_ = durable_;
  locks_.clear();
  // Data: the synced bytes, and none, all or a prefix of the rest.
  std::set<Inode*> seen;
  for (auto& [name, f] : live_) {
    if (!seen.insert(f.get()).second) continue;
    uint64_t unsynced = f->data.size() - f->synced;
    uint64_t keep = f->synced;
    if (unsynced > 0) {
      switch (Uniform(3)) {
        case 0:
          ++counters_.lost_tails;
          break;
        case 1:
          keep += unsynced;
          break;
        default:
          keep += Uniform(unsynced + 1);
          ++counters_.torn_files;
      }
    }
    f->data.resize(keep);
    for (auto [a, b] : f->lost) {
      for (uint64_t i = a; i < std::min(b, keep); ++i) f->data[i] = '\0';
    }
    f->lost.clear();
    f->synced = keep;
  }
  ++counters_.crashes;
}

void FaultEnv::SyncAll() {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [name, f] : live_) {
    if (f->lost.empty()) f->synced = f->data.size();
  }
  CommitNames();
}

// ---------------- file handles ----------------

leveldb::Status FaultEnv::Append(const std::string& name, const InodePtr& f,
                                 const leveldb::Slice& data) {
  // LevelDB appends to its write-ahead log with no lock held: compactions
  // queued so far run now, as they might on LevelDB's own thread.
  if (IsWriteAheadLog(name)) RunQueuedWork();
  std::lock_guard<std::mutex> l(mu_);
  uint64_t stored = StoredLocked();
  if (capacity_ != kUnlimited && stored + data.size() > capacity_) {
    // write(2) on a filling disk writes what fits, then fails.
    uint64_t room = capacity_ > stored ? capacity_ - stored : 0;
    uint64_t n = Uniform(std::min<uint64_t>(room, data.size()) + 1);
    f->data.append(data.data(), n);
    ++counters_.full_disk_writes;
    if (IsWriteAheadLog(name)) ++counters_.failed_log_writes;
    return leveldb::Status::IOError(name, "No space left on device");
  }
  f->data.append(data.data(), data.size());
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::Sync(const std::string& name, const InodePtr& f) {
  std::lock_guard<std::mutex> l(mu_);
  if (syncs_to_fail_ > 0) {
    --syncs_to_fail_;
    // The kernel drops the dirty pages it could not write and forgets the
    // error: those bytes never reach the platter.
    if (f->data.size() > f->synced) f->lost.push_back({f->synced, f->data.size()});
    ++counters_.failed_syncs;
    if (IsWriteAheadLog(name)) ++counters_.failed_log_writes;
    return leveldb::Status::IOError(name, "Input/output error (fsync)");
  }
  f->synced = f->data.size();
  CommitNames();  // a journal commit carries every earlier name change
  ++counters_.syncs;
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::Read(const std::string& name, const InodePtr& f, uint64_t offset,
                               size_t n, leveldb::Slice* result, char* scratch) {
  std::lock_guard<std::mutex> l(mu_);
  if (read_error_ppm_ > 0 && Uniform(1000000) < read_error_ppm_) {
    ++counters_.read_errors;
    *result = leveldb::Slice(scratch, 0);
    return leveldb::Status::IOError(name, "Input/output error (read)");
  }
  if (offset >= f->data.size()) {
    *result = leveldb::Slice(scratch, 0);
    return leveldb::Status::OK();
  }
  size_t got = std::min<uint64_t>(n, f->data.size() - offset);
  std::memcpy(scratch, f->data.data() + offset, got);
  *result = leveldb::Slice(scratch, got);
  return leveldb::Status::OK();
}

void FaultEnv::Closed() {
  std::lock_guard<std::mutex> l(mu_);
  FAULT_ENV_ASSERT(open_writers_ > 0, "more closes than opens");
  --open_writers_;
}

// ---------------- leveldb::Env ----------------

leveldb::Status FaultEnv::NewSequentialFile(const std::string& fname,
                                            leveldb::SequentialFile** result) {
  std::lock_guard<std::mutex> l(mu_);
  *result = nullptr;
  auto it = live_.find(fname);
  if (it == live_.end()) return NoSuchFile(fname);
  *result = new SeqFile(this, fname, it->second);
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::NewRandomAccessFile(const std::string& fname,
                                              leveldb::RandomAccessFile** result) {
  std::lock_guard<std::mutex> l(mu_);
  *result = nullptr;
  auto it = live_.find(fname);
  if (it == live_.end()) return NoSuchFile(fname);
  *result = new RandomFile(this, fname, it->second);
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::NewWritableFile(const std::string& fname,
                                          leveldb::WritableFile** result) {
  std::lock_guard<std::mutex> l(mu_);
  *result = nullptr;
  if (!dirs_.count(Dirname(fname))) return NoSuchFile(fname);
  if (capacity_ != kUnlimited && StoredLocked() >= capacity_) {
    ++counters_.full_disk_writes;
    return leveldb::Status::IOError(fname, "No space left on device");
  }
  auto f = std::make_shared<Inode>();  // O_TRUNC: a fresh file under this name
  SetName(fname, f);
  ++open_writers_;
  *result = new WriteFile(this, fname, std::move(f));
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::NewAppendableFile(const std::string& fname,
                                            leveldb::WritableFile** result) {
  std::lock_guard<std::mutex> l(mu_);
  *result = nullptr;
  auto it = live_.find(fname);
  InodePtr f;
  if (it != live_.end()) {
    f = it->second;
  } else {
    if (!dirs_.count(Dirname(fname))) return NoSuchFile(fname);
    f = std::make_shared<Inode>();
    SetName(fname, f);
  }
  ++open_writers_;
  *result = new WriteFile(this, fname, std::move(f));
  return leveldb::Status::OK();
}

bool FaultEnv::FileExists(const std::string& fname) {
  std::lock_guard<std::mutex> l(mu_);
  return live_.count(fname) > 0 || dirs_.count(fname) > 0;
}

leveldb::Status FaultEnv::GetChildren(const std::string& dir, std::vector<std::string>* result) {
  std::lock_guard<std::mutex> l(mu_);
  result->clear();
  if (!dirs_.count(dir)) return NoSuchFile(dir);
  const std::string prefix = dir + "/";
  for (auto it = live_.lower_bound(prefix); it != live_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    std::string rest = it->first.substr(prefix.size());
    if (rest.find('/') == std::string::npos) result->push_back(rest);
  }
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::RemoveFile(const std::string& fname) {
  std::lock_guard<std::mutex> l(mu_);
  if (!live_.count(fname)) return NoSuchFile(fname);
  RemoveName(fname);
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::CreateDir(const std::string& dirname) {
  std::lock_guard<std::mutex> l(mu_);
  // Directories are made once per database, before its files, and never
  // removed by LevelDB: they are durable at once (a simplification).
  std::string d = dirname;
  while (!d.empty()) {
    dirs_.insert(d);
    d = Dirname(d);
  }
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::RemoveDir(const std::string& dirname) {
  std::lock_guard<std::mutex> l(mu_);
  dirs_.erase(dirname);
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::GetFileSize(const std::string& fname, uint64_t* size) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = live_.find(fname);
  if (it == live_.end()) return NoSuchFile(fname);
  *size = it->second->data.size();
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::RenameFile(const std::string& src, const std::string& target) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = live_.find(src);
  if (it == live_.end()) return NoSuchFile(src);
  InodePtr f = it->second;
  SetName(target, std::move(f));
  RemoveName(src);
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::LockFile(const std::string& fname, leveldb::FileLock** lock) {
  std::lock_guard<std::mutex> l(mu_);
  *lock = nullptr;
  if (!locks_.insert(fname).second) {
    return leveldb::Status::IOError("lock " + fname, "already held by process");
  }
  if (!live_.count(fname) && dirs_.count(Dirname(fname))) SetName(fname, std::make_shared<Inode>());
  *lock = new MemLock(fname);
  return leveldb::Status::OK();
}

leveldb::Status FaultEnv::UnlockFile(leveldb::FileLock* lock) {
  std::unique_ptr<MemLock> l(static_cast<MemLock*>(lock));
  std::lock_guard<std::mutex> g(mu_);
  locks_.erase(l->name);
  return leveldb::Status::OK();
}

void FaultEnv::Schedule(void (*function)(void*), void* arg) {
  std::lock_guard<std::mutex> l(work_mu_);
  queue_.emplace_back(function, arg);
}

void FaultEnv::RunQueuedWork() {
  {
    std::lock_guard<std::mutex> l(work_mu_);
    if (running_work_) return;  // a job slept and LevelDB called back: the outer loop runs the rest
    running_work_ = true;
  }
  while (true) {
    std::pair<void (*)(void*), void*> job;
    {
      std::lock_guard<std::mutex> l(work_mu_);
      if (queue_.empty()) {
        running_work_ = false;
        return;
      }
      job = queue_.front();
      queue_.pop_front();
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      ++counters_.background_jobs;
    }
    job.first(job.second);
  }
}

void FaultEnv::StartThread(void (*function)(void*), void* arg) {
  // LevelDB's database does not start threads; a caller that does gets a real one.
  std::thread(function, arg).detach();
}

leveldb::Status FaultEnv::GetTestDirectory(std::string* path) {
  *path = "/faultenv-test";
  return CreateDir(*path);
}

leveldb::Status FaultEnv::NewLogger(const std::string&, leveldb::Logger** result) {
  *result = new NullLogger();
  return leveldb::Status::OK();
}

uint64_t FaultEnv::NowMicros() {
  // Only LevelDB's statistics read it: a counter keeps runs identical.
  std::lock_guard<std::mutex> l(mu_);
  return ++now_micros_;
}

void FaultEnv::SleepForMicroseconds(int) {
  // LevelDB sleeps (with its mutex released) to let compactions catch up.
  RunQueuedWork();
}

}  // namespace traceledger::testing
