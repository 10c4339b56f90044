#include "ledger/block.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "ledger.pb.h"
#include "ledger/hex.h"
#include "ledger/merkle.h"

namespace traceledger {
namespace {

template <typename Message>
std::string Deterministic(const Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace

std::string EncodeHeader(const pb::BlockHeader& header) { return Deterministic(header); }
std::string EncodeReceipt(const pb::Receipt& receipt) { return Deterministic(receipt); }
std::string EncodeBlock(const pb::Block& block) { return Deterministic(block); }
std::string EncodeHeaderRecord(const pb::HeaderRecord& record) { return Deterministic(record); }
std::string EncodeTxRecord(const pb::TxRecord& record) { return Deterministic(record); }

void BlockRecords(HashAlg alg, const pb::Block& block, pb::HeaderRecord* header,
                  std::vector<pb::TxRecord>* txs) {
  *header->mutable_header() = block.header();
  header->set_block_hash(BlockHash(alg, block.header()));
  txs->clear();
  const int n = block.transactions_size();
  if (n == 0 || block.receipts_size() != n) return;
  txs->resize(n);
  std::vector<std::string> tx_leaves;
  tx_leaves.reserve(n);
  for (int i = 0; i < n; ++i) {
    pb::TxRecord& r = (*txs)[i];
    r.set_height(block.header().height());
    r.set_index(static_cast<uint32_t>(i));
    r.set_tx_id(TransactionId(alg, block.transactions(i)));
    *r.mutable_tx() = block.transactions(i);
    *r.mutable_receipt() = block.receipts(i);
    r.set_tree_size(static_cast<uint32_t>(n));
    tx_leaves.push_back(MerkleLeafHash(alg, r.tx_id()));
  }
  const MerkleTree tx_tree(alg, tx_leaves);
  const MerkleTree receipt_tree(alg, ReceiptLeafHashes(alg, block));
  for (int i = 0; i < n; ++i) {
    pb::TxRecord& r = (*txs)[i];
    // In range by construction: both trees have n leaves.
    Result<std::vector<std::string>> tx_path = tx_tree.InclusionProof(i);
    Result<std::vector<std::string>> receipt_path = receipt_tree.InclusionProof(i);
    for (std::string& h : tx_path.value()) r.add_tx_path(std::move(h));
    for (std::string& h : receipt_path.value()) r.add_receipt_path(std::move(h));
  }
}

std::string BlockHash(HashAlg alg, const pb::BlockHeader& header) {
  return Hash(alg, EncodeHeader(header));
}

std::string TransactionId(HashAlg alg, const pb::Transaction& tx) {
  // Must equal TxId() in ledger/envelope.h (tested there and in block_test).
  return Hash2(alg, tx.signer(), tx.payload());
}

std::vector<std::string> BlockTxIds(HashAlg alg, const pb::Block& block) {
  std::vector<std::string> ids;
  ids.reserve(block.transactions_size());
  for (const pb::Transaction& tx : block.transactions()) ids.push_back(TransactionId(alg, tx));
  return ids;
}

std::string TxRoot(HashAlg alg, const std::vector<std::string>& tx_ids) {
  return MerkleRoot(alg, tx_ids);
}

std::vector<std::string> TxLeafHashes(HashAlg alg, const pb::Block& block) {
  std::vector<std::string> leaves;
  leaves.reserve(block.transactions_size());
  for (const pb::Transaction& tx : block.transactions()) {
    leaves.push_back(MerkleLeafHash(alg, TransactionId(alg, tx)));
  }
  return leaves;
}

std::vector<std::string> ReceiptLeafHashes(HashAlg alg, const pb::Block& block) {
  std::vector<std::string> leaves;
  leaves.reserve(block.receipts_size());
  for (const pb::Receipt& receipt : block.receipts()) {
    leaves.push_back(MerkleLeafHash(alg, Hash(alg, EncodeReceipt(receipt))));
  }
  return leaves;
}

std::string ComputeTxRoot(HashAlg alg, const pb::Block& block) {
  return MerkleRootFromLeafHashes(alg, TxLeafHashes(alg, block));
}

std::string ComputeReceiptsRoot(HashAlg alg, const pb::Block& block) {
  return MerkleRootFromLeafHashes(alg, ReceiptLeafHashes(alg, block));
}

Result<std::vector<std::string>> TxInclusionProof(HashAlg alg, const pb::Block& block,
                                                  uint64_t index) {
  return MerkleInclusionProof(alg, TxLeafHashes(alg, block), index);
}

Result<std::vector<std::string>> ReceiptInclusionProof(HashAlg alg, const pb::Block& block,
                                                       uint64_t index) {
  return MerkleInclusionProof(alg, ReceiptLeafHashes(alg, block), index);
}

std::string SealBlock(HashAlg alg, pb::Block* block) {
  pb::BlockHeader* header = block->mutable_header();
  header->set_tx_count(static_cast<uint32_t>(block->transactions_size()));
  header->set_tx_root(ComputeTxRoot(alg, *block));
  header->set_receipts_root(ComputeReceiptsRoot(alg, *block));
  return BlockHash(alg, *header);
}

Status CheckBlock(HashAlg alg, const pb::Block& block) {
  const pb::BlockHeader& header = block.header();
  const uint64_t n = static_cast<uint64_t>(block.transactions_size());
  if (header.prev_hash().size() != kHashSize) {
    return Status::Error(
        "BAD_HASH_LENGTH",
        "prev_hash is " + std::to_string(header.prev_hash().size()) + " bytes, want 32");
  }
  if (header.tx_count() != n) {
    return Status::Error("TX_COUNT_MISMATCH", "header says " + std::to_string(header.tx_count()) +
                                                  " transactions, block has " + std::to_string(n));
  }
  if (static_cast<uint64_t>(block.receipts_size()) != n) {
    return Status::Error("RECEIPT_COUNT_MISMATCH",
                         "block has " + std::to_string(block.receipts_size()) + " receipts for " +
                             std::to_string(n) + " transactions");
  }
  std::vector<std::string> ids = BlockTxIds(alg, block);
  for (uint64_t i = 0; i < n; ++i) {
    const pb::Receipt& receipt = block.receipts(static_cast<int>(i));
    if (receipt.tx_id() != ids[i] || receipt.height() != header.height() || receipt.index() != i) {
      return Status::Error("RECEIPT_MISMATCH", "receipt " + std::to_string(i) +
                                                   " does not name transaction " + ToHex(ids[i]) +
                                                   " at height " + std::to_string(header.height()) +
                                                   " index " + std::to_string(i));
    }
  }
  if (header.tx_root() != TxRoot(alg, ids)) {
    return Status::Error("TX_ROOT_MISMATCH", "header tx_root is not the Merkle root of the tx ids");
  }
  if (header.receipts_root() != ComputeReceiptsRoot(alg, block)) {
    return Status::Error("RECEIPTS_ROOT_MISMATCH",
                         "header receipts_root is not the Merkle root of the receipts");
  }
  return Status::OK();
}

}  // namespace traceledger
