#include "node/raft_storage.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "consensus/codec.h"
#include "ledger/db_options.h"

namespace traceledger::node {
namespace {

const char kHardStateKey[] = "h";
const char kSnapshotKey[] = "s";

std::string EntryKey(uint64_t index) {
  std::string k = "e";
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((index >> (8 * i)) & 0xff));
  return k;
}

uint64_t IndexOfKey(const leveldb::Slice& k) {
  uint64_t v = 0;
  for (size_t i = 1; i < 9 && i < k.size(); ++i) v = (v << 8) | static_cast<unsigned char>(k[i]);
  return v;
}

Status FromLevelDb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  if (s.IsCorruption()) return Status::Corruption("raft log " + what + ": " + s.ToString());
  return Status::IOError("raft log " + what + ": " + s.ToString());
}

}  // namespace

RaftStorage::~RaftStorage() {
  // LevelDB's destructor waits for scheduled compactions; an Env that queues
  // them (a deterministic test's) runs them now.
  if (db_) storage::RunQueuedWork(env_);
}

uint64_t RaftStorage::ApproximateMemoryUsage() const {
  return storage::ApproximateMemoryUsage(db_.get());
}

Result<std::unique_ptr<RaftStorage>> RaftStorage::Open(const std::string& dir, bool sync,
                                                       leveldb::Env* env) {
  std::unique_ptr<RaftStorage> s(new RaftStorage());
  s->settings_ = std::make_unique<storage::DbSettings>(storage::RaftLogLimits());
  s->env_ = storage::EnvOrDefault(env);
  leveldb::Options o;
  s->settings_->Apply(&o, s->env_);
  o.create_if_missing = true;
  o.paranoid_checks = true;
  leveldb::DB* db = nullptr;
  TL_RETURN_IF_ERROR(FromLevelDb(leveldb::DB::Open(o, dir, &db), "open " + dir));
  s->db_.reset(db);
  s->sync_ = sync;
  return s;
}

Result<raft::RestartState> RaftStorage::Load() {
  raft::RestartState st;
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  std::string v;
  leveldb::Status s = db_->Get(ro, kHardStateKey, &v);
  if (s.ok()) {
    auto hs = raft::DecodeHardState(v);
    if (!hs.ok()) return Status::Corruption("raft hard state: " + hs.status().message());
    st.hard_state = *hs;
  } else if (!s.IsNotFound()) {
    return FromLevelDb(s, "read hard state");
  }
  s = db_->Get(ro, kSnapshotKey, &v);
  if (s.ok()) {
    auto snap = raft::DecodeSnapshot(v);
    if (!snap.ok()) return Status::Corruption("raft snapshot: " + snap.status().message());
    st.snapshot = std::make_shared<raft::Snapshot>(std::move(snap).value());
  } else if (!s.IsNotFound()) {
    return FromLevelDb(s, "read snapshot");
  }
  uint64_t after = st.snapshot ? st.snapshot->meta.index : 0;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  first_index_ = after + 1;
  last_index_ = after;
  for (it->Seek(EntryKey(after + 1)); it->Valid() && it->key().starts_with("e"); it->Next()) {
    uint64_t idx = IndexOfKey(it->key());
    auto e = raft::DecodeEntry(it->value().ToString());
    if (!e.ok() || e->index != idx) {
      return Status::Corruption("raft entry " + std::to_string(idx) + " is damaged");
    }
    if (idx != last_index_ + 1) {
      return Status::Corruption("raft log has a gap before entry " + std::to_string(idx));
    }
    last_index_ = idx;
    st.entries.push_back(std::move(e).value());
  }
  TL_RETURN_IF_ERROR(FromLevelDb(it->status(), "scan entries"));
  return st;
}

Status RaftStorage::Write(leveldb::WriteBatch* batch, const char* what) {
  if (!write_failed_.ok()) return write_failed_;
  leveldb::WriteOptions wo;
  wo.sync = sync_;
  Status s = FromLevelDb(db_->Write(wo, batch), what);
  if (!s.ok()) {
    write_failed_ = Status::Error(
        s.code(), "an earlier write to the raft log failed; reopen it: " + s.message());
    return s;
  }
  ++syncs_;
  return Status::OK();
}

Status RaftStorage::Save(const raft::Ready& rd) {
  if (!rd.MustSync()) return Status::OK();
  if (!write_failed_.ok()) return write_failed_;
  leveldb::WriteBatch batch;
  uint64_t new_first = first_index_, new_last = last_index_;
  if (rd.snapshot) {
    batch.Put(kSnapshotKey, raft::EncodeSnapshot(*rd.snapshot));
    // Raft installs a snapshot only when its log disagrees with it: the whole
    // stored log is obsolete, including entries after the snapshot's index.
    for (uint64_t i = first_index_; i <= last_index_; ++i) batch.Delete(EntryKey(i));
    new_first = rd.snapshot->meta.index + 1;
    new_last = rd.snapshot->meta.index;
  }
  if (!rd.entries.empty()) {
    uint64_t from = rd.entries.front().index;
    // Entries at and after `from` are replaced.
    for (uint64_t i = std::max(from, new_first); i <= new_last; ++i) batch.Delete(EntryKey(i));
    for (const auto& e : rd.entries) batch.Put(EntryKey(e.index), raft::EncodeEntry(e));
    new_last = rd.entries.back().index;
  }
  if (rd.hard_state) batch.Put(kHardStateKey, raft::EncodeHardState(*rd.hard_state));
  TL_RETURN_IF_ERROR(Write(&batch, "write"));
  first_index_ = new_first;
  last_index_ = new_last;
  return Status::OK();
}

Status RaftStorage::SaveSnapshot(const raft::Snapshot& snap) {
  if (!write_failed_.ok()) return write_failed_;
  leveldb::WriteBatch batch;
  batch.Put(kSnapshotKey, raft::EncodeSnapshot(snap));
  uint64_t through = std::min(snap.meta.index, last_index_);
  for (uint64_t i = first_index_; i <= through; ++i) batch.Delete(EntryKey(i));
  TL_RETURN_IF_ERROR(Write(&batch, "save snapshot"));
  first_index_ = std::max(first_index_, snap.meta.index + 1);
  if (last_index_ < snap.meta.index) last_index_ = snap.meta.index;
  return Status::OK();
}

}  // namespace traceledger::node
