// The chains a committed transaction extended, and the root its receipt
// commits to (docs/api.md, "What is proved").
//
// Every traced item (a code) and every lot has a hash chain of its events:
// head_n = H(head_{n-1} || tx_id_n), from 32 zero bytes. A transaction lists,
// in the order it extended them, one link per chain it extended: which chain,
// the event's number in it (seq, from 0) and the chain's head after it. Its
// receipt's heads_root is the RFC 9162 Merkle tree hash over the links:
//
//   leaf       = H(0x00 || EncodeChainLink(link))
//   EncodeChainLink(link) = u8 kind (1 item, 2 lot)
//                           || u32be len(code) || code   (a lot's: its product code)
//                           || u32be len(lot)  || lot    (empty for an item)
//                           || u64be seq || head (the hash size, 32 bytes)
//   heads_root = MTH over the leaves; empty (absent) when there is no link
//
// The receipt is a leaf of the block's receipts_root, which the validators
// attest, so an answer can prove for each event it shows which chain it is
// event `seq` of and the head after it.
//
// For storage a transaction's leaf hashes are kept in chunks of kLinksPerChunk
// (a recall may extend 100,000 chains): because RFC 9162 splits a tree at the
// largest power of two below its size, every full chunk is a perfect subtree,
// and a leaf's audit path is its path inside its chunk followed by its chunk's
// path among the chunk roots (ChunkedHeadsProof).
//
// Thread-safety: pure functions.
#ifndef TRACELEDGER_LEDGER_CHAIN_LINK_H_
#define TRACELEDGER_LEDGER_CHAIN_LINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace traceledger {

enum class ChainKind : uint8_t { kItem = 1, kLot = 2 };

struct ChainLink {
  ChainKind kind = ChainKind::kItem;
  std::string code;  // the item's code, or the lot's product code
  std::string lot;   // the lot; empty for an item
  uint64_t seq = 0;  // the event's number in the chain, from 0
  std::string head;  // the chain head after the event (kHashSize bytes)
  bool operator==(const ChainLink&) const = default;
};

inline constexpr size_t kLinksPerChunk = 256;  // a power of two (see above)

std::string EncodeChainLink(const ChainLink& link);
// H(0x00 || EncodeChainLink(link)).
std::string ChainLinkLeafHash(HashAlg alg, const ChainLink& link);
// The MTH over the links' leaves; "" when there are none.
std::string HeadsRoot(HashAlg alg, const std::vector<ChainLink>& links);
// The root of each chunk of kLinksPerChunk leaf hashes (the last may be
// shorter); the MTH of all the leaves is the MTH over these roots.
std::vector<std::string> HeadsChunkRoots(HashAlg alg, const std::vector<std::string>& leaf_hashes);

// The audit path of leaf `index` of `total`, from the leaf hashes of its chunk
// (chunk index / kLinksPerChunk) and, when there is more than one chunk, the
// roots of all chunks. MERKLE_INDEX_OUT_OF_RANGE or HEADS_CHUNK_MISMATCH when
// the pieces do not fit together.
Result<std::vector<std::string>> ChunkedHeadsProof(HashAlg alg, uint64_t index, uint64_t total,
                                                   const std::vector<std::string>& chunk,
                                                   const std::vector<std::string>& chunk_roots);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_CHAIN_LINK_H_
