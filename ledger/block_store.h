// The block store: an append-only chain of blocks on LevelDB, with a
// transaction index, a hash index and per-height attestations. The key layout
// and record format are in docs/storage.md.
//
// Invariants (hold after every successful Append, checked by Open for the
// latest block and by VerifyChain for all of them):
//   - blocks 0..latest exist, each under its height, and nothing after latest;
//   - block 0's prev_hash is the genesis hash; block h's prev_hash is the hash
//     of block h-1; the latest pointer names the latest height and its hash;
//   - every block passes CheckBlock (tx_count, receipts, tx_root, receipts_root);
//   - every stored value is a record carrying a CRC-32C over its key and bytes,
//     and is stored in canonical (deterministic) protobuf form.
//   - (format 2) every block at height >= records_from() has a header record
//     and one transaction record per transaction, each equal to what the block
//     implies (VerifyChain checks all; Open checks the latest block's header
//     record and last transaction record); heights below records_from() (written by
//     format 1) have none and are read from their blocks.
// A block, its header record, its transaction records, its index entries and
// the latest pointer are written in one synced LevelDB WriteBatch, so a crash
// leaves either all or none of them.
//
// Damage is reported, never served: reads verify LevelDB's block checksums
// (paranoid_checks, verify_checksums) and the record's own checksum, and
// return CORRUPTION on any mismatch.
//
// Fail-stop: once a write fails (a full disk, a failed fsync), every later
// write fails with the same error until the store is reopened. A failed write
// can leave part of its record in LevelDB's log, and LevelDB would append the
// next one after it, so that the log no longer reads back at the next open;
// after a failed fsync the kernel may have dropped what it could not write,
// and a retried fsync would report success for data that is gone.
//
// Thread-safety: a BlockStore may be shared by many threads. Writes (Append,
// PutAttestation) are serialized internally; reads run concurrently with each
// other and with a write and see the chain either before or after it.
// LevelDB locks the directory: one process at a time.
#ifndef TRACELEDGER_LEDGER_BLOCK_STORE_H_
#define TRACELEDGER_LEDGER_BLOCK_STORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace leveldb {
class DB;
class Env;
class WriteBatch;
}  // namespace leveldb

namespace traceledger {
namespace storage {
class DbSettings;
}
namespace pb {
class Attestation;
class Block;
class HeaderRecord;
class TxRecord;
}  // namespace pb

struct BlockStoreOptions {
  // The chain's hash. Required to create a store; when set for an existing
  // store it must match (STORE_MISMATCH). nullopt: use the stored one.
  std::optional<HashAlg> alg;
  // Block 0's prev_hash (32 bytes). Required to create a store; when set for
  // an existing store it must match (STORE_MISMATCH). Empty: use the stored one.
  std::string genesis_hash;
  bool create_if_missing = true;
  // Open re-checks the latest block (checksum, hash index, header hash, link
  // to its parent, roots). Only VerifyChain turns this off, to report the
  // failing height itself.
  bool check_latest_on_open = true;
  // fsync every write. Tests of logic may turn it off; nodes never do.
  bool sync = true;
  // Where the files are read and written (ledger/db_options.h, "the storage
  // seam"). Null: storage::TableReadEnv(), the production Env. Must outlive
  // the store.
  leveldb::Env* env = nullptr;
};

// Where a transaction sits in the chain.
struct TxLocation {
  uint64_t height = 0;
  uint32_t index = 0;
  bool operator==(const TxLocation&) const = default;
};

class BlockStore {
 public:
  // Opens (or creates) the store in `dir`. Errors: INVALID_ARGUMENT (missing
  // alg/genesis for a new store), STORE_MISMATCH, CORRUPTION, IO_ERROR,
  // NOT_FOUND (no store and !create_if_missing).
  static Result<std::unique_ptr<BlockStore>> Open(const std::string& dir,
                                                  const BlockStoreOptions& options);
  ~BlockStore();
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  HashAlg alg() const { return alg_; }
  const std::string& genesis_hash() const { return genesis_hash_; }

  // Number of blocks (latest height + 1; 0 when empty).
  uint64_t block_count() const;
  // Height and hash of the latest block; nullopt when empty.
  std::optional<uint64_t> latest_height() const;
  std::string latest_hash() const;  // genesis hash when empty
  // block_count() and latest_hash() read together.
  std::pair<uint64_t, std::string> tip() const;

  // Appends `block` as height block_count(). The block must be complete:
  // header fields set, tx_count/tx_root/receipts_root matching (see SealBlock).
  // Errors, each distinct: OUT_OF_ORDER (height is not latest + 1),
  // BAD_PREV_HASH, CHAIN_ID_MISMATCH (differs from the previous block's),
  // TIME_DECREASED, the CheckBlock codes (TX_COUNT_MISMATCH,
  // RECEIPT_COUNT_MISMATCH, RECEIPT_MISMATCH, TX_ROOT_MISMATCH,
  // RECEIPTS_ROOT_MISMATCH, BAD_HASH_LENGTH), IO_ERROR. Signatures are not
  // re-verified here: the node admits only verified envelopes, and
  // VerifyChain re-checks them. On error nothing is written. After a failed
  // write (IO_ERROR), this and every other write fail the same way.
  // If a tx id already occurs earlier in the chain, the index keeps the first
  // occurrence.
  Status Append(const pb::Block& block);

  // Reads a block. Errors: NOT_FOUND, CORRUPTION.
  Status GetBlock(uint64_t height, pb::Block* block) const;
  // Format 2 records. The first height that has header and transaction
  // records: 0 for a store created as format 2, the block count at upgrade
  // for a format 1 store (constant after Open).
  uint64_t records_from() const { return records_from_; }
  // The header of block `height` and its hash, from the header record (the
  // record's checksum, its height and the hash of its header are checked);
  // below records_from(), from the block. Errors: NOT_FOUND, CORRUPTION
  // (including a missing record at or above records_from()).
  Status GetHeader(uint64_t height, pb::HeaderRecord* out) const;
  // Transaction `index` of block `height` with its id, receipt and both audit
  // paths, from its transaction record (checked: checksum; height, index and
  // tx id match the key and the envelope; the receipt names them; path hashes
  // are 32 bytes); below records_from(), built from the block (slow: the
  // block is loaded and its trees hashed). The paths are verified against the
  // header by VerifyChain, not here. Errors: NOT_FOUND, CORRUPTION.
  Status GetTxRecord(uint64_t height, uint32_t index, pb::TxRecord* out) const;
  // The same for the first occurrence of a tx id (FindTransaction).
  Status GetTxRecordById(std::string_view tx_id, pb::TxRecord* out) const;

  // Reads a block by its hash; `height` may be null. Errors: NOT_FOUND, CORRUPTION.
  Status GetBlockByHash(std::string_view hash, pb::Block* block, uint64_t* height) const;
  // The height of the block with this hash. Errors: NOT_FOUND, CORRUPTION.
  Result<uint64_t> HeightOfHash(std::string_view hash) const;
  // Where the transaction with this 32-byte id is (its first occurrence).
  // Errors: NOT_FOUND, CORRUPTION.
  Result<TxLocation> FindTransaction(std::string_view tx_id) const;

  // Calls fn for blocks from..latest in order (latest as of the call) until fn
  // returns false. Returns the first read error.
  Status ForEach(uint64_t from,
                 const std::function<bool(uint64_t height, const pb::Block& block)>& fn) const;

  // Stores node_id's attestation for an existing block; replaces that node's
  // earlier one. The signature is the caller's to check (it knows the
  // validators). Errors: INVALID_ARGUMENT (empty node_id), NOT_FOUND (no such
  // height), ATTESTATION_HASH_MISMATCH (block_hash is not that block's hash).
  // The write is not synced by itself: the next Append or Flush makes it
  // durable (a process crash loses nothing; a power cut before then may).
  Status PutAttestation(const pb::Attestation& attestation);
  // Makes every earlier write durable (one fsync; nothing when there is nothing
  // unsynced). The node calls it on its clock tick.
  Status Flush();
  // Whether a write since the latest synced one awaits Flush.
  bool has_unsynced_writes() const;
  // The attestations of block `height`, ordered by node id.
  Status GetAttestations(uint64_t height, std::vector<pb::Attestation>* out) const;

  // Bumped after every successful write (Append, PutAttestation), once the
  // write is visible to readers. A reader that reads generation() = g, then
  // reads the store, saw everything written before g; if generation() is
  // still g afterwards, nothing was written since (answer caches, api/).
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // What the latest writes were, kept for readers that keep answers derived
  // from the store (the API's trace answer cache): one entry per generation,
  // at most kWriteLogEntries, oldest dropped first.
  static constexpr size_t kWriteLogEntries = 1 << 16;
  // Calls fn(height) for the block of every attestation stored by the writes
  // that took the generation from `from` to `to` (from < g <= to, both read
  // from generation()); Appends call nothing. False, calling nothing, if the
  // log no longer holds all of them. Never waits for a write in progress.
  bool AttestedBetween(uint64_t from, uint64_t to,
                       const std::function<void(uint64_t height)>& fn) const;
  // The time of the latest block (0 if there is none). Never waits for a
  // write in progress.
  int64_t latest_time() const { return latest_time_seen_.load(std::memory_order_acquire); }

  // Heap bytes LevelDB holds for this store now (memtables and block cache,
  // "leveldb.approximate-memory-usage"); its limits are storage::BlockStoreLimits()
  // (ledger/db_options.h).
  uint64_t ApproximateMemoryUsage() const;

  // Test hooks: raw access to the LevelDB keyspace and a full compaction (so
  // tests can corrupt table files).
  Status TEST_PutRaw(std::string_view key, std::string_view value);
  Status TEST_DeleteRaw(std::string_view key);
  Result<std::string> TEST_GetRaw(std::string_view key) const;
  void TEST_CompactAll();

 private:
  BlockStore() = default;
  Status Init(const BlockStoreOptions& options);
  Status CheckLatest();
  Status ReadRecord(const std::string& key, std::string* payload) const;
  // Writes `batch`; the first failure is kept in write_failed_ (mu_ held).
  Status WriteBatchLocked(leveldb::WriteBatch* batch, bool sync);

  // Declared before db_ so that it outlives the database.
  std::unique_ptr<storage::DbSettings> settings_;
  leveldb::Env* env_ = nullptr;  // what db_ was opened with
  std::unique_ptr<leveldb::DB> db_;
  HashAlg alg_ = HashAlg::kSha256;
  std::string genesis_hash_;
  bool sync_ = true;
  uint64_t records_from_ = 0;  // set by Init, constant afterwards (read without mu_)

  mutable std::mutex mu_;  // serializes writers; guards the fields below
  uint32_t format_ = 2;    // meta format_version; Append upgrades 1 to 2
  uint64_t count_ = 0;     // latest + 1
  std::string latest_hash_;
  std::string chain_id_;
  int64_t latest_time_ = 0;
  bool unsynced_ = false;  // an attestation was written after the latest synced write
  Status write_failed_;    // the first failed write (fail-stop: see above)
  // latest_time_ for readers that must not wait for mu_ (held across a
  // synced write).
  std::atomic<int64_t> latest_time_seen_{0};
  // Per generation after write_log_from_: the attested height, or
  // kAppendedBlock for an Append. Under its own mutex, for the same reason.
  static constexpr uint64_t kAppendedBlock = ~uint64_t{0};
  mutable std::mutex log_mu_;  // guards the two below; taken after mu_
  std::deque<uint64_t> write_log_;
  uint64_t write_log_from_ = 0;
  void LogWrite(uint64_t attested_height);
  std::atomic<uint64_t> generation_{0};
};

// Key layout and record format (docs/storage.md), exposed for VerifyChain and tests.
namespace storage {
std::string MetaKey();                                                  // "m"
std::string LatestKey();                                                // "l"
std::string BlockKey(uint64_t height);                                  // "b" + big-endian u64
std::string HashKey(std::string_view hash);                             // "h" + 32-byte block hash
std::string TxKey(std::string_view tx_id);                              // "t" + 32-byte tx id
std::string AttestationKey(uint64_t height, std::string_view node_id);  // "a" + u64 + id
std::string HeaderKey(uint64_t height);                                 // "H" + u64
std::string TxRecordKey(uint64_t height, uint32_t index);               // "T" + u64 + u32

// record = 0x01 || crc32c(key || 0x01 || payload) as 4 bytes, little-endian || payload
std::string EncodeRecord(std::string_view key, std::string_view payload);
// Error CORRUPTION (with what is wrong) if the record is malformed or its
// checksum does not match.
Status DecodeRecord(std::string_view key, std::string_view record, std::string* payload);
// CRC-32C (Castagnoli), as stored.
uint32_t Crc32c(std::string_view a, std::string_view b = {}, std::string_view c = {});
}  // namespace storage

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_BLOCK_STORE_H_
