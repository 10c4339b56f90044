// RFC 6962 / RFC 9162 Merkle trees over the chain hash H (DESIGN.md §5).
//
//   MTH({})      = H("")
//   leaf hash    = H(0x00 || data)
//   node hash    = H(0x01 || left || right)
//   MTH(D[0:n])  = node(MTH(D[0:k]), MTH(D[k:n])), k = largest power of two < n
//
// Functions named *FromLeafHashes take leaf hashes (already H(0x00 || data)),
// so callers that keep leaf hashes (blocks, proofs) never hash twice. All hashes
// are 32 raw bytes. Proof verification follows RFC 9162 §2.1.3.2 and §2.1.4.2
// and rejects every malformed input with a distinct error code:
//   MERKLE_INDEX_OUT_OF_RANGE  leaf index >= tree size, or sizes out of order
//   MERKLE_HASH_LENGTH         a hash that is not kHashSize bytes
//   MERKLE_PROOF_LENGTH        the proof has the wrong number of elements
//   MERKLE_ROOT_MISMATCH       the proof does not lead to the given root(s)
//
// Thread-safety: pure functions; safe from many threads.
#ifndef TRACELEDGER_LEDGER_MERKLE_H_
#define TRACELEDGER_LEDGER_MERKLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace traceledger {

// H(0x00 || data).
std::string MerkleLeafHash(HashAlg alg, std::string_view data);
// H(0x01 || left || right).
std::string MerkleNodeHash(HashAlg alg, std::string_view left, std::string_view right);
// H(""): the root of the empty tree.
std::string MerkleEmptyRoot(HashAlg alg);

// Root of the tree whose leaves are `leaf_hashes`. Iterative and allocation-light:
// about n hash computations of 65 bytes each. Every element must be kHashSize
// bytes (asserted; the hot path does not re-check).
std::string MerkleRootFromLeafHashes(HashAlg alg, const std::vector<std::string>& leaf_hashes);
// Root of the tree over raw leaf data (hashes each leaf first).
std::string MerkleRoot(HashAlg alg, const std::vector<std::string>& leaves);

// RFC 9162 §2.1.3.1 PATH(index, D[0:n]): the audit path of leaf `index`, ordered
// from the leaf's sibling up to the root's child. Error MERKLE_INDEX_OUT_OF_RANGE
// if index >= leaf_hashes.size().
Result<std::vector<std::string>> MerkleInclusionProof(HashAlg alg,
                                                      const std::vector<std::string>& leaf_hashes,
                                                      uint64_t index);

// Every level of the tree over a fixed list of leaf hashes (level 0 the
// leaves), built once with about n node hashes, so that each inclusion proof
// afterwards is O(log n) copies instead of O(n) hashing. Proofs and root equal
// MerkleInclusionProof's and MerkleRootFromLeafHashes'. About 64 bytes per leaf.
// Thread-safety: immutable after construction; const methods are safe from
// many threads.
class MerkleTree {
 public:
  // Every element of leaf_hashes must be kHashSize bytes (asserted).
  MerkleTree(HashAlg alg, const std::vector<std::string>& leaf_hashes);
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size() / kHashSize; }
  // MERKLE_INDEX_OUT_OF_RANGE if index >= size().
  Result<std::vector<std::string>> InclusionProof(uint64_t index) const;
  std::string Root() const;
  size_t bytes() const;

 private:
  HashAlg alg_;
  std::vector<std::string> levels_;  // level i: its node hashes, concatenated
};

// Recomputes the root from an inclusion proof (RFC 9162 §2.1.3.2 steps 1-5
// without the final comparison).
Result<std::string> MerkleRootFromInclusionProof(HashAlg alg, uint64_t index, uint64_t tree_size,
                                                 std::string_view leaf_hash,
                                                 const std::vector<std::string>& proof);

// OK iff `proof` proves that `leaf_hash` is leaf `index` of the tree of
// `tree_size` leaves with root `root`.
Status VerifyMerkleInclusion(HashAlg alg, uint64_t index, uint64_t tree_size,
                             std::string_view leaf_hash, const std::vector<std::string>& proof,
                             std::string_view root);

// RFC 9162 §2.1.4.1 PROOF(old_size, D[0:n]) with n = leaf_hashes.size(): proves
// that the first `old_size` leaves are a prefix of the tree. Empty when
// old_size is 0 or n. Error MERKLE_INDEX_OUT_OF_RANGE if old_size > n.
Result<std::vector<std::string>> MerkleConsistencyProof(HashAlg alg,
                                                        const std::vector<std::string>& leaf_hashes,
                                                        uint64_t old_size);

// OK iff `proof` proves that the tree (old_size, old_root) is a prefix of the
// tree (new_size, new_root). Conventions for the trivial cases: old_size == 0
// needs an empty proof and old_root == H(""); old_size == new_size needs an
// empty proof and old_root == new_root.
Status VerifyMerkleConsistency(HashAlg alg, uint64_t old_size, uint64_t new_size,
                               std::string_view old_root, std::string_view new_root,
                               const std::vector<std::string>& proof);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_MERKLE_H_
