#include "ledger/block_store.h"

#include <cryptopp/crc.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/write_batch.h>

#include <set>

#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/db_options.h"
#include "ledger/hex.h"

namespace traceledger {

namespace storage {
namespace {

constexpr char kRecordVersion = 0x01;
constexpr size_t kRecordHeader = 5;  // version + crc

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutBigEndian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint64_t GetBigEndian(std::string_view in) {
  uint64_t v = 0;
  for (char c : in) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

}  // namespace

std::string MetaKey() { return "m"; }
std::string LatestKey() { return "l"; }

std::string BlockKey(uint64_t height) {
  std::string key = "b";
  PutBigEndian64(&key, height);
  return key;
}

std::string HashKey(std::string_view hash) {
  std::string key = "h";
  key.append(hash);
  return key;
}

std::string TxKey(std::string_view tx_id) {
  std::string key = "t";
  key.append(tx_id);
  return key;
}

std::string AttestationKey(uint64_t height, std::string_view node_id) {
  std::string key = "a";
  PutBigEndian64(&key, height);
  key.append(node_id);
  return key;
}

std::string HeaderKey(uint64_t height) {
  std::string key = "H";
  PutBigEndian64(&key, height);
  return key;
}

std::string TxRecordKey(uint64_t height, uint32_t index) {
  std::string key = "T";
  PutBigEndian64(&key, height);
  PutBigEndian32(&key, index);
  return key;
}

uint32_t Crc32c(std::string_view a, std::string_view b, std::string_view c) {
  CryptoPP::CRC32C crc;
  for (std::string_view part : {a, b, c}) {
    crc.Update(reinterpret_cast<const CryptoPP::byte*>(part.data()), part.size());
  }
  CryptoPP::byte digest[4];
  crc.Final(digest);  // Crypto++ emits the CRC value little-endian.
  return static_cast<uint32_t>(digest[0]) | static_cast<uint32_t>(digest[1]) << 8 |
         static_cast<uint32_t>(digest[2]) << 16 | static_cast<uint32_t>(digest[3]) << 24;
}

std::string EncodeRecord(std::string_view key, std::string_view payload) {
  const char version = kRecordVersion;
  uint32_t crc = Crc32c(key, std::string_view(&version, 1), payload);
  std::string record;
  record.reserve(kRecordHeader + payload.size());
  record.push_back(version);
  for (int i = 0; i < 4; ++i) record.push_back(static_cast<char>(crc >> (8 * i)));
  record.append(payload);
  return record;
}

Status DecodeRecord(std::string_view key, std::string_view record, std::string* payload) {
  if (record.size() < kRecordHeader) {
    return Status::Corruption("record under key " + ToHex(key) + " is truncated (" +
                              std::to_string(record.size()) + " bytes)");
  }
  if (record[0] != kRecordVersion) {
    return Status::Corruption("record under key " + ToHex(key) + " has unknown format version " +
                              std::to_string(static_cast<uint8_t>(record[0])));
  }
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i)
    stored |= static_cast<uint32_t>(static_cast<uint8_t>(record[1 + i])) << (8 * i);
  std::string_view body = record.substr(kRecordHeader);
  if (Crc32c(key, record.substr(0, 1), body) != stored) {
    return Status::Corruption("checksum mismatch in record under key " + ToHex(key));
  }
  payload->assign(body);
  return Status::OK();
}

}  // namespace storage

namespace {

using storage::GetBigEndian;

Status FromLevelDb(const leveldb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(s.ToString());
  return Status::IOError(s.ToString());
}

leveldb::ReadOptions Reading() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  return ro;
}

leveldb::Slice AsSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

std::string EncodeLatest(uint64_t height, std::string_view hash) {
  std::string v;
  storage::PutBigEndian64(&v, height);
  v.append(hash);
  return v;
}

std::string EncodeTxLocation(uint64_t height, uint32_t index) {
  std::string v;
  storage::PutBigEndian64(&v, height);
  storage::PutBigEndian32(&v, index);
  return v;
}

// Parses a stored block and insists on the canonical form, so that a stored
// record has exactly one valid byte string.
Status ParseCanonicalBlock(std::string_view payload, uint64_t height, pb::Block* block) {
  if (!block->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Status::Corruption("block " + std::to_string(height) + " does not parse");
  }
  block->DiscardUnknownFields();
  if (EncodeBlock(*block) != payload) {
    return Status::Corruption("block " + std::to_string(height) + " is not canonically encoded");
  }
  if (block->header().height() != height) {
    return Status::Corruption("block stored at height " + std::to_string(height) + " says height " +
                              std::to_string(block->header().height()));
  }
  return Status::OK();
}

}  // namespace

BlockStore::~BlockStore() {
  // LevelDB's destructor waits for scheduled compactions; an Env that queues
  // them (a deterministic test's) runs them now.
  if (db_) storage::RunQueuedWork(env_);
}

Result<std::unique_ptr<BlockStore>> BlockStore::Open(const std::string& dir,
                                                     const BlockStoreOptions& options) {
  // LevelDB would create the directory (and its LOCK file) even when asked not
  // to create a database; a reader such as verify-chain must leave no trace.
  leveldb::Env* env = storage::EnvOrDefault(options.env);
  if (!options.create_if_missing && !env->FileExists(dir + "/CURRENT")) {
    return Status::NotFound("no block store in " + dir + " (no LevelDB CURRENT file)");
  }
  std::unique_ptr<BlockStore> store(new BlockStore());
  store->settings_ = std::make_unique<storage::DbSettings>(storage::BlockStoreLimits());
  store->env_ = env;
  leveldb::Options lo;
  store->settings_->Apply(&lo, env);
  lo.create_if_missing = options.create_if_missing;
  lo.paranoid_checks = true;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(lo, dir, &db);
  if (!s.ok()) {
    if (s.IsInvalidArgument() && !options.create_if_missing) {
      return Status::NotFound("no block store in " + dir + ": " + s.ToString());
    }
    return FromLevelDb(s);
  }
  store->db_.reset(db);
  TL_RETURN_IF_ERROR(store->Init(options));
  return store;
}

uint64_t BlockStore::ApproximateMemoryUsage() const {
  return storage::ApproximateMemoryUsage(db_.get());
}

Status BlockStore::ReadRecord(const std::string& key, std::string* payload) const {
  std::string record;
  TL_RETURN_IF_ERROR(FromLevelDb(db_->Get(Reading(), key, &record)));
  return storage::DecodeRecord(key, record, payload);
}

Status BlockStore::Init(const BlockStoreOptions& options) {
  sync_ = options.sync;
  std::string payload;
  Status s = ReadRecord(storage::MetaKey(), &payload);
  if (s.Is("NOT_FOUND")) {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Reading()));
    it->SeekToFirst();
    if (it->Valid()) return Status::Corruption("store has data but no meta record");
    TL_RETURN_IF_ERROR(FromLevelDb(it->status()));
    if (!options.alg.has_value()) {
      return Status::InvalidArgument("creating a block store needs the chain's hash algorithm");
    }
    if (options.genesis_hash.size() != kHashSize) {
      return Status::InvalidArgument("creating a block store needs the 32-byte genesis hash");
    }
    alg_ = *options.alg;
    genesis_hash_ = options.genesis_hash;
    pb::StoreMeta meta;
    meta.set_format_version(2);
    meta.set_records_from(0);
    meta.set_hash_alg(HashAlgName(alg_));
    meta.set_genesis_hash(genesis_hash_);
    leveldb::WriteOptions wo;
    wo.sync = true;
    TL_RETURN_IF_ERROR(
        FromLevelDb(db_->Put(wo, storage::MetaKey(),
                             storage::EncodeRecord(storage::MetaKey(), meta.SerializeAsString()))));
  } else {
    TL_RETURN_IF_ERROR(s);
    pb::StoreMeta meta;
    if (!meta.ParseFromString(payload)) return Status::Corruption("meta record does not parse");
    std::optional<HashAlg> alg = ParseHashAlg(meta.hash_alg());
    const uint32_t format = meta.format_version();
    if ((format != 1 && format != 2) || !alg.has_value() ||
        meta.genesis_hash().size() != kHashSize) {
      return Status::Corruption("meta record is invalid (format " +
                                std::to_string(meta.format_version()) + ", hash '" +
                                meta.hash_alg() + "')");
    }
    if (options.alg.has_value() && *options.alg != *alg) {
      return Status::Error("STORE_MISMATCH", std::string("store uses ") + HashAlgName(*alg) +
                                                 ", not " + HashAlgName(*options.alg));
    }
    if (!options.genesis_hash.empty() && options.genesis_hash != meta.genesis_hash()) {
      return Status::Error("STORE_MISMATCH", "store belongs to genesis " +
                                                 ToHex(meta.genesis_hash()) + ", not " +
                                                 ToHex(options.genesis_hash));
    }
    alg_ = *alg;
    genesis_hash_ = meta.genesis_hash();
    format_ = format;
    records_from_ = meta.records_from();
  }

  latest_hash_ = genesis_hash_;
  s = ReadRecord(storage::LatestKey(), &payload);
  if (s.Is("NOT_FOUND")) {
    pb::Block first;
    Status b0 = GetBlock(0, &first);
    if (!b0.Is("NOT_FOUND")) {
      return Status::Corruption("store has blocks but no latest pointer");
    }
    return Status::OK();
  }
  TL_RETURN_IF_ERROR(s);
  if (payload.size() != 8 + kHashSize) {
    return Status::Corruption("latest pointer has " + std::to_string(payload.size()) + " bytes");
  }
  count_ = GetBigEndian(std::string_view(payload).substr(0, 8)) + 1;
  latest_hash_ = payload.substr(8);
  // A format 1 store has no records yet; the first Append writes them from
  // its height on and upgrades the meta record in the same batch.
  if (format_ == 1) records_from_ = count_;
  if (records_from_ > count_) {
    return Status::Corruption("meta record says records from height " +
                              std::to_string(records_from_) + ", past the latest block");
  }
  if (options.check_latest_on_open) TL_RETURN_IF_ERROR(CheckLatest());
  pb::Block latest;
  // The chain id and time of the latest block guard the next Append.
  Status read = GetBlock(count_ - 1, &latest);
  if (read.ok()) {
    chain_id_ = latest.header().chain_id();
    latest_time_ = latest.header().time();
    latest_time_seen_.store(latest_time_, std::memory_order_release);
  } else if (options.check_latest_on_open) {
    return read;
  }
  return Status::OK();
}

Status BlockStore::CheckLatest() {
  const uint64_t height = count_ - 1;
  const std::string where = "latest block " + std::to_string(height) + ": ";
  pb::Block block;
  Status s = GetBlock(height, &block);
  if (s.Is("NOT_FOUND")) return Status::Corruption(where + "missing");
  TL_RETURN_IF_ERROR(s);
  if (BlockHash(alg_, block.header()) != latest_hash_) {
    return Status::Corruption(where + "header hash differs from the latest pointer");
  }
  Result<uint64_t> indexed = HeightOfHash(latest_hash_);
  if (!indexed.ok() || *indexed != height) {
    return Status::Corruption(where + "hash index does not point to it");
  }
  if (height == 0) {
    if (block.header().prev_hash() != genesis_hash_) {
      return Status::Corruption(where + "prev_hash is not the genesis hash");
    }
  } else {
    Result<uint64_t> parent = HeightOfHash(block.header().prev_hash());
    if (!parent.ok() || *parent != height - 1) {
      return Status::Corruption(where + "prev_hash is not the hash of block " +
                                std::to_string(height - 1));
    }
  }
  Status check = CheckBlock(alg_, block);
  if (!check.ok()) return Status::Corruption(where + check.ToString());
  if (height >= records_from_) {
    // Written in the block's batch: their absence or damage is damage.
    pb::HeaderRecord header;
    Status hs = GetHeader(height, &header);
    if (!hs.ok()) return Status::Corruption(where + hs.ToString());
    if (EncodeHeader(header.header()) != EncodeHeader(block.header())) {
      return Status::Corruption(where + "header record differs from the block's header");
    }
    if (block.transactions_size() > 0) {
      pb::TxRecord last;
      const uint32_t index = static_cast<uint32_t>(block.transactions_size() - 1);
      Status ts = GetTxRecord(height, index, &last);
      if (!ts.ok()) return Status::Corruption(where + ts.ToString());
    }
  }
  pb::Block next;
  if (!GetBlock(height + 1, &next).Is("NOT_FOUND")) {
    return Status::Corruption(where + "a block exists after the latest pointer");
  }
  return Status::OK();
}

uint64_t BlockStore::block_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

std::optional<uint64_t> BlockStore::latest_height() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (count_ == 0) return std::nullopt;
  return count_ - 1;
}

std::string BlockStore::latest_hash() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_hash_;
}

std::pair<uint64_t, std::string> BlockStore::tip() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {count_, latest_hash_};
}

Status BlockStore::WriteBatchLocked(leveldb::WriteBatch* batch, bool sync) {
  if (!write_failed_.ok()) return write_failed_;
  leveldb::WriteOptions wo;
  wo.sync = sync;
  Status s = FromLevelDb(db_->Write(wo, batch));
  if (!s.ok()) {
    write_failed_ = Status::Error(
        s.code(), "an earlier write to the block store failed; reopen it: " + s.message());
  }
  return s;
}

Status BlockStore::Append(const pb::Block& block) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!write_failed_.ok()) return write_failed_;
  const pb::BlockHeader& header = block.header();
  if (header.height() != count_) {
    return Status::Error("OUT_OF_ORDER", "expected height " + std::to_string(count_) + ", got " +
                                             std::to_string(header.height()));
  }
  if (header.prev_hash() != latest_hash_) {
    return Status::Error("BAD_PREV_HASH", "block " + std::to_string(count_) + " prev_hash " +
                                              ToHex(header.prev_hash()) + " is not " +
                                              ToHex(latest_hash_));
  }
  if (count_ > 0 && header.chain_id() != chain_id_) {
    return Status::Error("CHAIN_ID_MISMATCH", "block chain_id '" + header.chain_id() +
                                                  "' differs from '" + chain_id_ + "'");
  }
  if (count_ > 0 && header.time() < latest_time_) {
    return Status::Error("TIME_DECREASED", "block time " + std::to_string(header.time()) +
                                               " is before the previous block's " +
                                               std::to_string(latest_time_));
  }
  TL_RETURN_IF_ERROR(CheckBlock(alg_, block));

  const uint64_t height = count_;
  const std::string hash = BlockHash(alg_, header);
  leveldb::WriteBatch batch;
  const std::string block_key = storage::BlockKey(height);
  batch.Put(block_key, storage::EncodeRecord(block_key, EncodeBlock(block)));
  std::string height_bytes;
  storage::PutBigEndian64(&height_bytes, height);
  const std::string hash_key = storage::HashKey(hash);
  batch.Put(hash_key, storage::EncodeRecord(hash_key, height_bytes));
  std::set<std::string> seen;
  std::vector<std::string> ids = BlockTxIds(alg_, block);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!seen.insert(ids[i]).second) continue;
    const std::string tx_key = storage::TxKey(ids[i]);
    std::string existing;
    leveldb::Status s = db_->Get(Reading(), tx_key, &existing);
    if (s.ok()) continue;  // first occurrence wins
    if (!s.IsNotFound()) return FromLevelDb(s);
    batch.Put(tx_key,
              storage::EncodeRecord(tx_key, EncodeTxLocation(height, static_cast<uint32_t>(i))));
  }
  pb::HeaderRecord header_record;
  std::vector<pb::TxRecord> tx_records;
  BlockRecords(alg_, block, &header_record, &tx_records);
  const std::string header_key = storage::HeaderKey(height);
  batch.Put(header_key, storage::EncodeRecord(header_key, EncodeHeaderRecord(header_record)));
  for (const pb::TxRecord& r : tx_records) {
    const std::string key = storage::TxRecordKey(height, r.index());
    batch.Put(key, storage::EncodeRecord(key, EncodeTxRecord(r)));
  }
  if (format_ == 1) {  // upgrade: records from this height on
    pb::StoreMeta meta;
    meta.set_format_version(2);
    meta.set_hash_alg(HashAlgName(alg_));
    meta.set_genesis_hash(genesis_hash_);
    meta.set_records_from(height);
    batch.Put(storage::MetaKey(),
              storage::EncodeRecord(storage::MetaKey(), meta.SerializeAsString()));
  }
  const std::string latest_key = storage::LatestKey();
  batch.Put(latest_key, storage::EncodeRecord(latest_key, EncodeLatest(height, hash)));
  TL_RETURN_IF_ERROR(WriteBatchLocked(&batch, sync_));
  format_ = 2;
  count_ = height + 1;
  latest_hash_ = hash;
  chain_id_ = header.chain_id();
  latest_time_ = header.time();
  if (sync_) unsynced_ = false;  // the synced batch carried earlier writes too
  latest_time_seen_.store(latest_time_, std::memory_order_release);
  LogWrite(kAppendedBlock);
  generation_.fetch_add(1, std::memory_order_release);
  return Status::OK();
}

void BlockStore::LogWrite(uint64_t attested_height) {
  std::lock_guard<std::mutex> lock(log_mu_);
  write_log_.push_back(attested_height);
  if (write_log_.size() > kWriteLogEntries) {
    write_log_.pop_front();
    ++write_log_from_;
  }
}

bool BlockStore::AttestedBetween(uint64_t from, uint64_t to,
                                 const std::function<void(uint64_t height)>& fn) const {
  if (from >= to) return true;
  std::vector<uint64_t> heights;
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    if (from < write_log_from_ || to - write_log_from_ > write_log_.size()) return false;
    for (uint64_t g = from + 1; g <= to; ++g) {
      uint64_t h = write_log_[g - (write_log_from_ + 1)];
      if (h != kAppendedBlock) heights.push_back(h);
    }
  }
  for (uint64_t h : heights) fn(h);
  return true;
}

Status BlockStore::GetBlock(uint64_t height, pb::Block* block) const {
  std::string payload;
  Status s = ReadRecord(storage::BlockKey(height), &payload);
  if (s.Is("NOT_FOUND")) return Status::NotFound("no block at height " + std::to_string(height));
  TL_RETURN_IF_ERROR(s);
  return ParseCanonicalBlock(payload, height, block);
}

Status BlockStore::GetHeader(uint64_t height, pb::HeaderRecord* out) const {
  if (height < records_from_) {
    pb::Block block;
    TL_RETURN_IF_ERROR(GetBlock(height, &block));
    *out->mutable_header() = block.header();
    out->set_block_hash(BlockHash(alg_, block.header()));
    return Status::OK();
  }
  const std::string where = "header record of block " + std::to_string(height);
  std::string payload;
  Status s = ReadRecord(storage::HeaderKey(height), &payload);
  if (s.Is("NOT_FOUND")) {
    if (height >= block_count())
      return Status::NotFound("no block at height " + std::to_string(height));
    return Status::Corruption(where + " is missing");
  }
  TL_RETURN_IF_ERROR(s);
  out->Clear();
  if (!out->ParseFromString(payload)) return Status::Corruption(where + " does not parse");
  if (out->header().height() != height) {
    return Status::Corruption(where + " names height " + std::to_string(out->header().height()));
  }
  if (BlockHash(alg_, out->header()) != out->block_hash()) {
    return Status::Corruption(where + ": the stored hash is not its header's");
  }
  return Status::OK();
}

Status BlockStore::GetTxRecord(uint64_t height, uint32_t index, pb::TxRecord* out) const {
  const std::string where =
      "transaction record " + std::to_string(height) + ":" + std::to_string(index);
  if (height < records_from_) {
    pb::Block block;
    TL_RETURN_IF_ERROR(GetBlock(height, &block));
    if (index >= static_cast<uint32_t>(block.transactions_size())) {
      return Status::NotFound("no " + where);
    }
    pb::HeaderRecord header;
    std::vector<pb::TxRecord> records;
    BlockRecords(alg_, block, &header, &records);
    if (index >= records.size()) return Status::Corruption(where + ": block has no receipts");
    *out = std::move(records[index]);
    return Status::OK();
  }
  std::string payload;
  Status s = ReadRecord(storage::TxRecordKey(height, index), &payload);
  if (s.Is("NOT_FOUND")) {
    // Missing under an existing block is damage unless the block is shorter.
    if (height >= block_count()) return Status::NotFound("no " + where);
    pb::HeaderRecord header;
    TL_RETURN_IF_ERROR(GetHeader(height, &header));
    if (index >= header.header().tx_count()) return Status::NotFound("no " + where);
    return Status::Corruption(where + " is missing");
  }
  TL_RETURN_IF_ERROR(s);
  out->Clear();
  if (!out->ParseFromString(payload)) return Status::Corruption(where + " does not parse");
  if (out->height() != height || out->index() != index) {
    return Status::Corruption(where + " names " + std::to_string(out->height()) + ":" +
                              std::to_string(out->index()));
  }
  if (out->tx_id() != TransactionId(alg_, out->tx())) {
    return Status::Corruption(where + ": tx id is not its envelope's");
  }
  const pb::Receipt& rc = out->receipt();
  if (rc.tx_id() != out->tx_id() || rc.height() != height || rc.index() != index) {
    return Status::Corruption(where + ": the receipt names another transaction");
  }
  if (index >= out->tree_size()) {
    return Status::Corruption(where + ": tree size " + std::to_string(out->tree_size()));
  }
  for (const auto* path : {&out->tx_path(), &out->receipt_path()}) {
    for (const std::string& h : *path) {
      if (h.size() != kHashSize) return Status::Corruption(where + ": a path hash is not 32 bytes");
    }
  }
  return Status::OK();
}

Status BlockStore::GetTxRecordById(std::string_view tx_id, pb::TxRecord* out) const {
  Result<TxLocation> loc = FindTransaction(tx_id);
  if (!loc.ok()) return loc.status();
  TL_RETURN_IF_ERROR(GetTxRecord(loc->height, loc->index, out));
  if (out->tx_id() != tx_id) {
    return Status::Corruption("tx index points " + ToHex(tx_id) + " at " +
                              std::to_string(loc->height) + ":" + std::to_string(loc->index) +
                              ", which holds another transaction");
  }
  return Status::OK();
}

Result<uint64_t> BlockStore::HeightOfHash(std::string_view hash) const {
  std::string payload;
  Status s = ReadRecord(storage::HashKey(hash), &payload);
  if (s.Is("NOT_FOUND")) return Status::NotFound("no block with hash " + ToHex(hash));
  if (!s.ok()) return s;
  if (payload.size() != 8) return Status::Corruption("hash index entry of " + ToHex(hash));
  return GetBigEndian(payload);
}

Status BlockStore::GetBlockByHash(std::string_view hash, pb::Block* block, uint64_t* height) const {
  Result<uint64_t> h = HeightOfHash(hash);
  if (!h.ok()) return h.status();
  TL_RETURN_IF_ERROR(GetBlock(*h, block));
  if (BlockHash(alg_, block->header()) != hash) {
    return Status::Corruption("hash index points " + ToHex(hash) + " at block " +
                              std::to_string(*h) + ", which has another hash");
  }
  if (height != nullptr) *height = *h;
  return Status::OK();
}

Result<TxLocation> BlockStore::FindTransaction(std::string_view tx_id) const {
  std::string payload;
  Status s = ReadRecord(storage::TxKey(tx_id), &payload);
  if (s.Is("NOT_FOUND")) return Status::NotFound("no transaction " + ToHex(tx_id));
  if (!s.ok()) return s;
  if (payload.size() != 12) return Status::Corruption("tx index entry of " + ToHex(tx_id));
  TxLocation loc;
  loc.height = GetBigEndian(std::string_view(payload).substr(0, 8));
  loc.index = static_cast<uint32_t>(GetBigEndian(std::string_view(payload).substr(8, 4)));
  return loc;
}

Status BlockStore::ForEach(
    uint64_t from, const std::function<bool(uint64_t height, const pb::Block& block)>& fn) const {
  const uint64_t end = block_count();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Reading()));
  uint64_t height = from;
  for (it->Seek(storage::BlockKey(from)); height < end; it->Next(), ++height) {
    const std::string key = storage::BlockKey(height);
    if (!it->Valid() || it->key() != leveldb::Slice(key)) {
      TL_RETURN_IF_ERROR(FromLevelDb(it->status()));
      return Status::Corruption("block " + std::to_string(height) + " is missing");
    }
    std::string payload;
    TL_RETURN_IF_ERROR(storage::DecodeRecord(
        key, std::string_view(it->value().data(), it->value().size()), &payload));
    pb::Block block;
    TL_RETURN_IF_ERROR(ParseCanonicalBlock(payload, height, &block));
    if (!fn(height, block)) break;
  }
  return FromLevelDb(it->status());
}

Status BlockStore::PutAttestation(const pb::Attestation& attestation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!write_failed_.ok()) return write_failed_;
  if (attestation.node_id().empty()) {
    return Status::InvalidArgument("attestation has no node_id");
  }
  if (attestation.height() >= count_) {
    return Status::NotFound("no block at height " + std::to_string(attestation.height()));
  }
  // The latest block's hash is at hand; an older one is found through the
  // hash index (hash -> height) rather than by reading and hashing the block.
  bool matches = attestation.block_hash() == latest_hash_;
  if (attestation.height() + 1 != count_) {
    Result<uint64_t> h = HeightOfHash(attestation.block_hash());
    if (!h.ok() && !h.status().Is("NOT_FOUND")) return h.status();
    matches = h.ok() && *h == attestation.height();
  }
  if (!matches) {
    return Status::Error("ATTESTATION_HASH_MISMATCH",
                         "attestation by " + attestation.node_id() + " names block hash " +
                             ToHex(attestation.block_hash()) + ", not block " +
                             std::to_string(attestation.height()) + "'s");
  }
  const std::string key = storage::AttestationKey(attestation.height(), attestation.node_id());
  std::string encoded;
  attestation.SerializeToString(&encoded);
  // Not synced here (attestations arrive one by one, three fsyncs per block
  // would stall the apply loop): the next synced Append or Flush persists it,
  // LevelDB's log being one file. A process crash loses none.
  leveldb::WriteBatch batch;
  batch.Put(key, storage::EncodeRecord(key, encoded));
  Status s = WriteBatchLocked(&batch, /*sync=*/false);
  if (!s.ok()) return s;
  if (sync_) unsynced_ = true;
  LogWrite(attestation.height());
  generation_.fetch_add(1, std::memory_order_release);
  return Status::OK();
}

Status BlockStore::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!write_failed_.ok()) return write_failed_;
  if (!unsynced_) return Status::OK();
  leveldb::WriteBatch empty;  // a synced write of nothing syncs the log
  Status s = WriteBatchLocked(&empty, /*sync=*/true);
  if (s.ok()) unsynced_ = false;
  return s;
}

bool BlockStore::has_unsynced_writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unsynced_;
}

Status BlockStore::GetAttestations(uint64_t height, std::vector<pb::Attestation>* out) const {
  out->clear();
  const std::string prefix = storage::AttestationKey(height, "");
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Reading()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string payload;
    TL_RETURN_IF_ERROR(
        storage::DecodeRecord(std::string_view(it->key().data(), it->key().size()),
                              std::string_view(it->value().data(), it->value().size()), &payload));
    pb::Attestation att;
    if (!att.ParseFromString(payload) || att.height() != height) {
      return Status::Corruption("attestation record at height " + std::to_string(height));
    }
    out->push_back(std::move(att));
  }
  return FromLevelDb(it->status());
}

Status BlockStore::TEST_PutRaw(std::string_view key, std::string_view value) {
  leveldb::WriteOptions wo;
  wo.sync = sync_;
  return FromLevelDb(db_->Put(wo, AsSlice(key), AsSlice(value)));
}

Status BlockStore::TEST_DeleteRaw(std::string_view key) {
  leveldb::WriteOptions wo;
  wo.sync = sync_;
  return FromLevelDb(db_->Delete(wo, AsSlice(key)));
}

Result<std::string> BlockStore::TEST_GetRaw(std::string_view key) const {
  std::string value;
  Status s = FromLevelDb(db_->Get(Reading(), AsSlice(key), &value));
  if (!s.ok()) return s;
  return value;
}

void BlockStore::TEST_CompactAll() { db_->CompactRange(nullptr, nullptr); }

}  // namespace traceledger
