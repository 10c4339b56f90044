// Blocks (DESIGN.md §5): the header hash, the transaction and receipt roots,
// and the consistency checks every stored block satisfies.
//
//   block_hash    = H(EncodeHeader(header))
//   tx_id         = H(signer_33_bytes || payload_bytes)        (DESIGN.md §3)
//   tx_root       = MTH over the tx ids (leaf = H(0x00 || tx_id))
//   receipts_root = MTH over H(EncodeReceipt(receipt)) (leaf = H(0x00 || that))
//
// Encodings are deterministic protobuf (fields in field-number order, default
// values omitted, no unknown fields): the bytes are part of the chain's
// identity and tests pin them (tests/ledger/block_test.cc).
//
// The protobuf classes are only forward-declared here; include
// "ledger.pb.h" in the .cc files that build or read them.
//
// Thread-safety: pure functions; safe from many threads.
#ifndef TRACELEDGER_LEDGER_BLOCK_H_
#define TRACELEDGER_LEDGER_BLOCK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace traceledger {
namespace pb {
class Block;
class BlockHeader;
class HeaderRecord;
class Receipt;
class Transaction;
class TxRecord;
}  // namespace pb

// Deterministic encodings.
std::string EncodeHeader(const pb::BlockHeader& header);
std::string EncodeReceipt(const pb::Receipt& receipt);
std::string EncodeBlock(const pb::Block& block);
std::string EncodeHeaderRecord(const pb::HeaderRecord& record);
std::string EncodeTxRecord(const pb::TxRecord& record);

// H(EncodeHeader(header)).
std::string BlockHash(HashAlg alg, const pb::BlockHeader& header);

// H(signer || payload) of a stored transaction.
std::string TransactionId(HashAlg alg, const pb::Transaction& tx);
// The tx ids of the block's transactions, in order.
std::vector<std::string> BlockTxIds(HashAlg alg, const pb::Block& block);

// Roots. `tx_ids` are 32-byte ids, used as leaf data.
std::string TxRoot(HashAlg alg, const std::vector<std::string>& tx_ids);
std::string ComputeTxRoot(HashAlg alg, const pb::Block& block);
std::string ComputeReceiptsRoot(HashAlg alg, const pb::Block& block);

// Leaf hashes of the two trees, for inclusion proofs:
// H(0x00 || tx_id) and H(0x00 || H(EncodeReceipt(receipt))).
std::vector<std::string> TxLeafHashes(HashAlg alg, const pb::Block& block);
std::vector<std::string> ReceiptLeafHashes(HashAlg alg, const pb::Block& block);

// Inclusion proofs of transaction / receipt `index` against the block's
// tx_root / receipts_root (RFC 9162 audit paths; verify with
// VerifyMerkleInclusion and the leaf hashes above). Error
// MERKLE_INDEX_OUT_OF_RANGE if there is no such transaction.
Result<std::vector<std::string>> TxInclusionProof(HashAlg alg, const pb::Block& block,
                                                  uint64_t index);
Result<std::vector<std::string>> ReceiptInclusionProof(HashAlg alg, const pb::Block& block,
                                                       uint64_t index);

// The per-block and per-transaction records the block store keeps beside the
// block (docs/storage.md, format 2), derived from a block that passes
// CheckBlock: its header and hash, and for every transaction i its envelope,
// id, receipt and both audit paths (tree size = tx_count). One pass: each tree
// is built once (about 2n hashes), each path is O(log n).
void BlockRecords(HashAlg alg, const pb::Block& block, pb::HeaderRecord* header,
                  std::vector<pb::TxRecord>* txs);

// Sets header.tx_count, header.tx_root and header.receipts_root from the
// block's transactions and receipts. Returns the block hash.
std::string SealBlock(HashAlg alg, pb::Block* block);

// Checks that the block is internally consistent. Errors, each distinct:
//   TX_COUNT_MISMATCH       header.tx_count != number of transactions
//   RECEIPT_COUNT_MISMATCH  number of receipts != number of transactions
//   RECEIPT_MISMATCH        receipt i does not name tx i, this height and index i
//   TX_ROOT_MISMATCH        header.tx_root is not the root of the tx ids
//   RECEIPTS_ROOT_MISMATCH  header.receipts_root is not the root of the receipts
//   BAD_HASH_LENGTH         prev_hash is not 32 bytes
// Signatures are not checked here (see chain_verify.h).
Status CheckBlock(HashAlg alg, const pb::Block& block);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_BLOCK_H_
