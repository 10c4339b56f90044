// VerifyChain: re-checks every block of a block store from scratch, for
// `tracectl verify-chain --data DIR`.
//
// For each height 0..latest, in order, it checks:
//   - the record exists (BLOCK_MISSING), its CRC-32C, that it parses and is in
//     canonical encoding and names its own height (CORRUPTION);
//   - CheckBlock: tx_count, receipts naming their transactions, tx_root,
//     receipts_root (the CheckBlock codes);
//   - the hash index maps the block's header hash to this height
//     (HASH_INDEX_MISMATCH), so a changed header is caught at its own height;
//   - prev_hash is the genesis hash (block 0) or the previous block's header
//     hash (BAD_PREV_HASH); chain_id is constant (CHAIN_ID_MISMATCH); block
//     time never decreases (TIME_DECREASED);
//   - every transaction's tx index entry points to its first occurrence
//     (TX_INDEX_MISMATCH);
//   - every envelope: payload shape and signature, via ParseEnvelopeParts (its
//     error codes, e.g. SIGNATURE_INVALID);
//   - at heights >= records_from() (format 2): the header record and every
//     transaction record read back (their checks: CORRUPTION, also when one is
//     missing) and equal what the block implies (HEADER_RECORD_MISMATCH,
//     TX_RECORD_MISMATCH); each stored audit path leads to the header's
//     tx_root / receipts_root; no transaction record past the last index;
//   - every stored attestation's checksum and that it names this block's hash
//     (ATTESTATION_HASH_MISMATCH). Attestation signatures need the validator
//     set from genesis and are left to the caller.
// Finally the latest pointer must name the last block's hash
// (LATEST_MISMATCH) and nothing may follow it (EXTRA_BLOCK).
//
// The store must not be open elsewhere (LevelDB locks the directory): run it
// on a stopped node or a copy.
//
// Thread-safety: VerifyChain is reentrant; the callback runs on the caller's thread.
#ifndef TRACELEDGER_LEDGER_CHAIN_VERIFY_H_
#define TRACELEDGER_LEDGER_CHAIN_VERIFY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace traceledger {

class BlockStore;

struct ChainVerifyReport {
  // OK, or the first failure: a machine-readable code and what is wrong.
  Status status;
  // The height of the failing block; nullopt when the failure is not tied to
  // one block (the store cannot be opened, its meta or latest pointer is bad).
  std::optional<uint64_t> failed_height;
  HashAlg alg = HashAlg::kSha256;  // the store's hash
  uint64_t blocks = 0;             // blocks fully checked
  uint64_t transactions = 0;       // transactions (and signatures) checked
  uint64_t attestations = 0;       // attestations checked
  double seconds = 0;              // wall time spent

  bool ok() const { return status.ok(); }
};

// Called after each checked block with (blocks checked so far, total blocks).
using ChainVerifyProgress = std::function<void(uint64_t done, uint64_t total)>;

// Verifies the block store in `dir`. `alg`, if set, must be the store's hash
// (else STORE_MISMATCH); nullopt uses the store's own.
ChainVerifyReport VerifyChain(const std::string& dir, std::optional<HashAlg> alg,
                              const ChainVerifyProgress& progress = {});

// The same over an open store (e.g. a running node's), up to the latest block
// at the time of the call. Safe while another thread appends.
ChainVerifyReport VerifyChain(const BlockStore& store, const ChainVerifyProgress& progress = {});

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_CHAIN_VERIFY_H_
