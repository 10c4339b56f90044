#include "ledger/chain_verify.h"

#include <chrono>
#include <memory>
#include <vector>

#include "ledger.pb.h"
#include "ledger/block.h"
#include "ledger/block_store.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/merkle.h"

namespace traceledger {
namespace {

Status Fail(const char* code, const std::string& message) { return Status::Error(code, message); }

// Checks one block against the store and its predecessor. `prev` is null for
// block 0. On success `*hash` is the block's header hash.
class ChainChecker {
 public:
  ChainChecker(const BlockStore& store, ChainVerifyReport* report)
      : store_(store), alg_(store.alg()), report_(report) {}

  Status CheckBlockAt(uint64_t height, pb::Block* block, std::string* hash) {
    Status s = store_.GetBlock(height, block);
    if (s.Is("NOT_FOUND")) return Fail("BLOCK_MISSING", "no block record at this height");
    TL_RETURN_IF_ERROR(s);
    const pb::BlockHeader& header = block->header();
    TL_RETURN_IF_ERROR(CheckBlock(alg_, *block));

    *hash = BlockHash(alg_, header);
    Result<uint64_t> indexed = store_.HeightOfHash(*hash);
    if (!indexed.ok() && !indexed.status().Is("NOT_FOUND")) return indexed.status();
    if (!indexed.ok() || *indexed != height) {
      return Fail("HASH_INDEX_MISMATCH", "the hash index does not map header hash " + ToHex(*hash) +
                                             " to this height (was the header changed?)");
    }

    if (height == 0) {
      if (header.prev_hash() != store_.genesis_hash()) {
        return Fail("BAD_PREV_HASH",
                    "block 0's prev_hash is not the genesis hash " + ToHex(store_.genesis_hash()));
      }
      chain_id_ = header.chain_id();
    } else {
      if (header.prev_hash() != prev_hash_) {
        return Fail("BAD_PREV_HASH", "prev_hash " + ToHex(header.prev_hash()) +
                                         " is not the hash of block " + std::to_string(height - 1) +
                                         " " + ToHex(prev_hash_));
      }
      if (header.chain_id() != chain_id_) {
        return Fail("CHAIN_ID_MISMATCH",
                    "chain_id '" + header.chain_id() + "' differs from '" + chain_id_ + "'");
      }
      if (header.time() < prev_time_) {
        return Fail("TIME_DECREASED", "block time " + std::to_string(header.time()) +
                                          " is before the previous block's " +
                                          std::to_string(prev_time_));
      }
    }

    TL_RETURN_IF_ERROR(CheckTransactions(height, *block));
    if (height >= store_.records_from()) TL_RETURN_IF_ERROR(CheckRecords(height, *block));
    TL_RETURN_IF_ERROR(CheckAttestations(height, *hash));
    prev_hash_ = *hash;
    prev_time_ = header.time();
    return Status::OK();
  }

 private:
  Status CheckTransactions(uint64_t height, const pb::Block& block) {
    for (int i = 0; i < block.transactions_size(); ++i) {
      const pb::Transaction& tx = block.transactions(i);
      const std::string where = "transaction " + std::to_string(i) + ": ";
      const std::string id = TransactionId(alg_, tx);
      Result<TxLocation> loc = store_.FindTransaction(id);
      if (!loc.ok() && !loc.status().Is("NOT_FOUND")) return loc.status();
      const TxLocation here{height, static_cast<uint32_t>(i)};
      if (!loc.ok()) return Fail("TX_INDEX_MISMATCH", where + "not in the tx index");
      if (!(*loc == here)) {
        // Only an earlier occurrence of the same transaction may own the entry.
        TL_RETURN_IF_ERROR(CheckEarlierOccurrence(*loc, here, id, where));
      }
      Result<Envelope> env = ParseEnvelopeParts(tx.payload(), tx.signer(), tx.signature(), alg_);
      if (!env.ok()) {
        return Status::Error(env.status().code(),
                             where + ToHex(id) + ": " + env.status().message());
      }
      ++report_->transactions;
    }
    return Status::OK();
  }

  // The header and transaction records (format 2) must be exactly what the
  // block implies, and each stored audit path must lead to the header's roots.
  // A record that fails its own checks (checksum, key) is the store's
  // CORRUPTION; one that reads fine but differs is *_RECORD_MISMATCH.
  Status CheckRecords(uint64_t height, const pb::Block& block) {
    pb::HeaderRecord want_header;
    std::vector<pb::TxRecord> want;
    BlockRecords(alg_, block, &want_header, &want);
    pb::HeaderRecord header;
    TL_RETURN_IF_ERROR(store_.GetHeader(height, &header));
    if (EncodeHeaderRecord(header) != EncodeHeaderRecord(want_header)) {
      return Fail("HEADER_RECORD_MISMATCH", "the header record differs from the block's header");
    }
    const pb::BlockHeader& h = block.header();
    for (const pb::TxRecord& w : want) {
      const std::string where = "transaction record " + std::to_string(w.index()) + ": ";
      pb::TxRecord got;
      TL_RETURN_IF_ERROR(store_.GetTxRecord(height, w.index(), &got));
      if (EncodeTxRecord(got) != EncodeTxRecord(w)) {
        return Fail("TX_RECORD_MISMATCH", where + "differs from what the block implies");
      }
      std::vector<std::string> tx_path(got.tx_path().begin(), got.tx_path().end());
      std::vector<std::string> rc_path(got.receipt_path().begin(), got.receipt_path().end());
      Status p = VerifyMerkleInclusion(alg_, got.index(), got.tree_size(),
                                       MerkleLeafHash(alg_, got.tx_id()), tx_path, h.tx_root());
      if (p.ok()) {
        p = VerifyMerkleInclusion(alg_, got.index(), got.tree_size(),
                                  MerkleLeafHash(alg_, Hash(alg_, EncodeReceipt(got.receipt()))),
                                  rc_path, h.receipts_root());
      }
      if (!p.ok()) return Fail("TX_RECORD_MISMATCH", where + "its path: " + p.ToString());
    }
    pb::TxRecord extra;
    Status s = store_.GetTxRecord(height, static_cast<uint32_t>(want.size()), &extra);
    if (!s.Is("NOT_FOUND")) {
      TL_RETURN_IF_ERROR(s);
      return Fail("TX_RECORD_MISMATCH", "a transaction record exists past the block's last");
    }
    return Status::OK();
  }

  Status CheckEarlierOccurrence(const TxLocation& loc, const TxLocation& here,
                                const std::string& id, const std::string& where) {
    const bool earlier =
        loc.height < here.height || (loc.height == here.height && loc.index < here.index);
    if (!earlier) {
      return Fail("TX_INDEX_MISMATCH", where + "the tx index points to a later position " +
                                           std::to_string(loc.height) + ":" +
                                           std::to_string(loc.index));
    }
    pb::Block other;
    TL_RETURN_IF_ERROR(store_.GetBlock(loc.height, &other));
    if (loc.index >= static_cast<uint32_t>(other.transactions_size()) ||
        TransactionId(alg_, other.transactions(static_cast<int>(loc.index))) != id) {
      return Fail("TX_INDEX_MISMATCH",
                  where + "the tx index points to " + std::to_string(loc.height) + ":" +
                      std::to_string(loc.index) + ", which holds another transaction");
    }
    return Status::OK();
  }

  Status CheckAttestations(uint64_t height, const std::string& hash) {
    std::vector<pb::Attestation> attestations;
    TL_RETURN_IF_ERROR(store_.GetAttestations(height, &attestations));
    for (const pb::Attestation& a : attestations) {
      if (a.block_hash() != hash) {
        return Fail("ATTESTATION_HASH_MISMATCH",
                    "attestation by " + a.node_id() + " names another block hash");
      }
      ++report_->attestations;
    }
    return Status::OK();
  }

  const BlockStore& store_;
  const HashAlg alg_;
  ChainVerifyReport* report_;
  std::string prev_hash_;
  std::string chain_id_;
  int64_t prev_time_ = 0;
};

}  // namespace

namespace {

using Clock = std::chrono::steady_clock;

ChainVerifyReport Finish(ChainVerifyReport report, Clock::time_point start, Status status,
                         std::optional<uint64_t> height) {
  report.status = std::move(status);
  report.failed_height = report.status.ok() ? std::nullopt : height;
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

ChainVerifyReport VerifyOpenStore(const BlockStore& store, const ChainVerifyProgress& progress,
                                  Clock::time_point start) {
  ChainVerifyReport report;
  report.alg = store.alg();
  // Snapshot the tip first: blocks appended meanwhile are not checked.
  const auto [total, latest_hash] = store.tip();
  ChainChecker checker(store, &report);
  std::string hash;
  for (uint64_t height = 0; height < total; ++height) {
    pb::Block block;
    Status s = checker.CheckBlockAt(height, &block, &hash);
    if (!s.ok()) return Finish(report, start, s, height);
    ++report.blocks;
    if (progress) progress(height + 1, total);
  }
  if (total > 0 && latest_hash != hash) {
    return Finish(report, start,
                  Fail("LATEST_MISMATCH", "the latest pointer names hash " + ToHex(latest_hash) +
                                              ", not block " + std::to_string(total - 1) + "'s " +
                                              ToHex(hash)),
                  total - 1);
  }
  return Finish(report, start, Status::OK(), std::nullopt);
}

}  // namespace

ChainVerifyReport VerifyChain(const BlockStore& store, const ChainVerifyProgress& progress) {
  return VerifyOpenStore(store, progress, Clock::now());
}

ChainVerifyReport VerifyChain(const std::string& dir, std::optional<HashAlg> alg,
                              const ChainVerifyProgress& progress) {
  const Clock::time_point start = Clock::now();
  BlockStoreOptions options;
  options.alg = alg;
  options.create_if_missing = false;
  options.check_latest_on_open = false;  // every block is checked below, with its height
  Result<std::unique_ptr<BlockStore>> opened = BlockStore::Open(dir, options);
  if (!opened.ok()) return Finish(ChainVerifyReport(), start, opened.status(), std::nullopt);
  const BlockStore& store = **opened;
  ChainVerifyReport report = VerifyOpenStore(store, progress, start);
  if (!report.ok()) return report;
  // Offline, nothing may follow the latest block.
  const uint64_t total = store.block_count();
  pb::Block extra;
  if (!store.GetBlock(total, &extra).Is("NOT_FOUND")) {
    return Finish(report, start,
                  Fail("EXTRA_BLOCK", "a block record exists after the latest pointer"), total);
  }
  return report;
}

}  // namespace traceledger
