#include "ledger/merkle.h"

#include <cryptopp/sha.h>
#include <cryptopp/sm3.h>

#include <array>
#include <cassert>
#include <cstring>

namespace traceledger {
namespace {

using Digest = std::array<uint8_t, kHashSize>;

// Computes node hashes into fixed buffers with one reusable hash object, so
// the root of a large tree costs no allocation per node. Not thread-safe.
class NodeHasher {
 public:
  explicit NodeHasher(HashAlg alg)
      : h_(alg == HashAlg::kSm3 ? static_cast<CryptoPP::HashTransformation*>(&sm3_)
                                : static_cast<CryptoPP::HashTransformation*>(&sha256_)) {}

  // out = H(0x01 || left || right). `out` may alias `left` or `right`: the
  // inputs are consumed before the digest is written.
  void Node(const uint8_t* left, const uint8_t* right, uint8_t* out) {
    static const uint8_t kNodePrefix = 0x01;
    h_->Update(&kNodePrefix, 1);
    h_->Update(left, kHashSize);
    h_->Update(right, kHashSize);
    h_->Final(out);
  }

 private:
  CryptoPP::SHA256 sha256_;
  CryptoPP::SM3 sm3_;
  CryptoPP::HashTransformation* h_;
};

// Largest power of two strictly less than n (n >= 2).
uint64_t SplitPoint(uint64_t n) {
  assert(n >= 2);
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH over leaf_hashes[lo, hi), hi > lo. Pairing neighbours level by level and
// promoting an unpaired last node unchanged yields exactly the RFC 6962 tree
// (the left subtree is always the complete one of 2^k leaves).
std::string RangeRoot(NodeHasher& hasher, const std::vector<std::string>& leaf_hashes, uint64_t lo,
                      uint64_t hi) {
  assert(hi > lo);
  std::vector<Digest> level(hi - lo);
  for (uint64_t i = lo; i < hi; ++i) {
    assert(leaf_hashes[i].size() == kHashSize);
    std::memcpy(level[i - lo].data(), leaf_hashes[i].data(), kHashSize);
  }
  size_t n = level.size();
  while (n > 1) {
    size_t out = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
      hasher.Node(level[i].data(), level[i + 1].data(), level[out++].data());
    }
    if (n % 2 == 1) level[out++] = level[n - 1];
    n = out;
  }
  return std::string(reinterpret_cast<const char*>(level[0].data()), kHashSize);
}

void InclusionPath(NodeHasher& hasher, const std::vector<std::string>& leaves, uint64_t m,
                   uint64_t lo, uint64_t hi, std::vector<std::string>* path) {
  uint64_t n = hi - lo;
  if (n <= 1) return;
  uint64_t k = SplitPoint(n);
  if (m < k) {
    InclusionPath(hasher, leaves, m, lo, lo + k, path);
    path->push_back(RangeRoot(hasher, leaves, lo + k, hi));
  } else {
    InclusionPath(hasher, leaves, m - k, lo + k, hi, path);
    path->push_back(RangeRoot(hasher, leaves, lo, lo + k));
  }
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b).
void SubProof(NodeHasher& hasher, const std::vector<std::string>& leaves, uint64_t m, uint64_t lo,
              uint64_t hi, bool b, std::vector<std::string>* proof) {
  uint64_t n = hi - lo;
  if (m == n) {
    if (!b) proof->push_back(RangeRoot(hasher, leaves, lo, hi));
    return;
  }
  uint64_t k = SplitPoint(n);
  if (m <= k) {
    SubProof(hasher, leaves, m, lo, lo + k, b, proof);
    proof->push_back(RangeRoot(hasher, leaves, lo + k, hi));
  } else {
    SubProof(hasher, leaves, m - k, lo + k, hi, false, proof);
    proof->push_back(RangeRoot(hasher, leaves, lo, lo + k));
  }
}

Status CheckHashes(const std::vector<std::string>& hashes, const char* what) {
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (hashes[i].size() != kHashSize) {
      return Status::Error("MERKLE_HASH_LENGTH", std::string(what) + "[" + std::to_string(i) +
                                                     "] is " + std::to_string(hashes[i].size()) +
                                                     " bytes, want 32");
    }
  }
  return Status::OK();
}

Status CheckHash(std::string_view hash, const char* what) {
  if (hash.size() != kHashSize) {
    return Status::Error("MERKLE_HASH_LENGTH", std::string(what) + " is " +
                                                   std::to_string(hash.size()) + " bytes, want 32");
  }
  return Status::OK();
}

Status RootMismatch(const char* what) {
  return Status::Error("MERKLE_ROOT_MISMATCH", std::string("proof does not lead to the ") + what);
}

}  // namespace

std::string MerkleLeafHash(HashAlg alg, std::string_view data) {
  static const char kLeafPrefix = 0x00;
  return Hash2(alg, std::string_view(&kLeafPrefix, 1), data);
}

std::string MerkleNodeHash(HashAlg alg, std::string_view left, std::string_view right) {
  Hasher h(alg);
  static const char kNodePrefix = 0x01;
  h.Update(std::string_view(&kNodePrefix, 1));
  h.Update(left);
  h.Update(right);
  return h.Final();
}

std::string MerkleEmptyRoot(HashAlg alg) { return Hash(alg, ""); }

std::string MerkleRootFromLeafHashes(HashAlg alg, const std::vector<std::string>& leaf_hashes) {
  if (leaf_hashes.empty()) return MerkleEmptyRoot(alg);
  NodeHasher hasher(alg);
  return RangeRoot(hasher, leaf_hashes, 0, leaf_hashes.size());
}

std::string MerkleRoot(HashAlg alg, const std::vector<std::string>& leaves) {
  std::vector<std::string> hashes;
  hashes.reserve(leaves.size());
  for (const std::string& leaf : leaves) hashes.push_back(MerkleLeafHash(alg, leaf));
  return MerkleRootFromLeafHashes(alg, hashes);
}

Result<std::vector<std::string>> MerkleInclusionProof(HashAlg alg,
                                                      const std::vector<std::string>& leaf_hashes,
                                                      uint64_t index) {
  if (index >= leaf_hashes.size()) {
    return Status::Error("MERKLE_INDEX_OUT_OF_RANGE", "leaf index " + std::to_string(index) +
                                                          " is not below the tree size " +
                                                          std::to_string(leaf_hashes.size()));
  }
  TL_RETURN_IF_ERROR(CheckHashes(leaf_hashes, "leaf_hashes"));
  NodeHasher hasher(alg);
  std::vector<std::string> path;
  InclusionPath(hasher, leaf_hashes, index, 0, leaf_hashes.size(), &path);
  return path;
}

MerkleTree::MerkleTree(HashAlg alg, const std::vector<std::string>& leaf_hashes) : alg_(alg) {
  if (leaf_hashes.empty()) return;
  std::string level;
  level.reserve(leaf_hashes.size() * kHashSize);
  for (const auto& h : leaf_hashes) {
    assert(h.size() == kHashSize);
    level += h;
  }
  levels_.push_back(std::move(level));
  NodeHasher hasher(alg);
  // The same pairing as RangeRoot: neighbours pair up, an unpaired last node
  // is promoted unchanged.
  while (levels_.back().size() > kHashSize) {
    const std::string& below = levels_.back();
    size_t n = below.size() / kHashSize;
    std::string up((n + 1) / 2 * kHashSize, '\0');
    const auto* in = reinterpret_cast<const uint8_t*>(below.data());
    auto* out = reinterpret_cast<uint8_t*>(up.data());
    for (size_t i = 0; i + 1 < n; i += 2) {
      hasher.Node(in + i * kHashSize, in + (i + 1) * kHashSize, out + i / 2 * kHashSize);
    }
    if (n % 2 == 1) std::memcpy(out + n / 2 * kHashSize, in + (n - 1) * kHashSize, kHashSize);
    levels_.push_back(std::move(up));
  }
}

Result<std::vector<std::string>> MerkleTree::InclusionProof(uint64_t index) const {
  if (index >= size()) {
    return Status::Error("MERKLE_INDEX_OUT_OF_RANGE", "leaf index " + std::to_string(index) +
                                                          " is not below the tree size " +
                                                          std::to_string(size()));
  }
  // Bottom up: the sibling at each level, when there is one (a promoted node
  // has none at that level), which is RFC 9162's PATH order.
  std::vector<std::string> path;
  for (size_t l = 0; l + 1 < levels_.size(); ++l) {
    uint64_t sibling = index ^ 1;
    if (sibling < levels_[l].size() / kHashSize)
      path.push_back(levels_[l].substr(sibling * kHashSize, kHashSize));
    index >>= 1;
  }
  return path;
}

std::string MerkleTree::Root() const {
  return levels_.empty() ? MerkleEmptyRoot(alg_) : levels_.back();
}

size_t MerkleTree::bytes() const {
  size_t b = sizeof(*this);
  for (const auto& l : levels_) b += l.size() + sizeof(l);
  return b;
}

Result<std::string> MerkleRootFromInclusionProof(HashAlg alg, uint64_t index, uint64_t tree_size,
                                                 std::string_view leaf_hash,
                                                 const std::vector<std::string>& proof) {
  if (index >= tree_size) {
    return Status::Error("MERKLE_INDEX_OUT_OF_RANGE", "leaf index " + std::to_string(index) +
                                                          " is not below the tree size " +
                                                          std::to_string(tree_size));
  }
  TL_RETURN_IF_ERROR(CheckHash(leaf_hash, "leaf hash"));
  TL_RETURN_IF_ERROR(CheckHashes(proof, "proof"));
  // RFC 9162 §2.1.3.2.
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) {
      return Status::Error("MERKLE_PROOF_LENGTH", "inclusion proof has too many elements");
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = MerkleNodeHash(alg, p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = MerkleNodeHash(alg, r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::Error("MERKLE_PROOF_LENGTH", "inclusion proof is too short");
  return r;
}

Status VerifyMerkleInclusion(HashAlg alg, uint64_t index, uint64_t tree_size,
                             std::string_view leaf_hash, const std::vector<std::string>& proof,
                             std::string_view root) {
  TL_RETURN_IF_ERROR(CheckHash(root, "root"));
  Result<std::string> computed =
      MerkleRootFromInclusionProof(alg, index, tree_size, leaf_hash, proof);
  if (!computed.ok()) return computed.status();
  if (*computed != root) return RootMismatch("root");
  return Status::OK();
}

Result<std::vector<std::string>> MerkleConsistencyProof(HashAlg alg,
                                                        const std::vector<std::string>& leaf_hashes,
                                                        uint64_t old_size) {
  if (old_size > leaf_hashes.size()) {
    return Status::Error("MERKLE_INDEX_OUT_OF_RANGE", "old size " + std::to_string(old_size) +
                                                          " exceeds the tree size " +
                                                          std::to_string(leaf_hashes.size()));
  }
  TL_RETURN_IF_ERROR(CheckHashes(leaf_hashes, "leaf_hashes"));
  std::vector<std::string> proof;
  if (old_size == 0 || old_size == leaf_hashes.size()) return proof;
  NodeHasher hasher(alg);
  SubProof(hasher, leaf_hashes, old_size, 0, leaf_hashes.size(), true, &proof);
  return proof;
}

Status VerifyMerkleConsistency(HashAlg alg, uint64_t old_size, uint64_t new_size,
                               std::string_view old_root, std::string_view new_root,
                               const std::vector<std::string>& proof) {
  TL_RETURN_IF_ERROR(CheckHash(old_root, "old root"));
  TL_RETURN_IF_ERROR(CheckHash(new_root, "new root"));
  TL_RETURN_IF_ERROR(CheckHashes(proof, "proof"));
  if (old_size > new_size) {
    return Status::Error(
        "MERKLE_INDEX_OUT_OF_RANGE",
        "old size " + std::to_string(old_size) + " exceeds new size " + std::to_string(new_size));
  }
  if (old_size == 0 || old_size == new_size) {
    if (!proof.empty()) {
      return Status::Error("MERKLE_PROOF_LENGTH", "a trivial consistency proof must be empty");
    }
    if (old_size == 0) {
      return old_root == MerkleEmptyRoot(alg) ? Status::OK() : RootMismatch("empty old root");
    }
    return old_root == new_root ? Status::OK() : RootMismatch("same root for equal sizes");
  }
  // RFC 9162 §2.1.4.2.
  if (proof.empty()) return Status::Error("MERKLE_PROOF_LENGTH", "consistency proof is empty");
  std::vector<std::string> path;
  path.reserve(proof.size() + 1);
  if ((old_size & (old_size - 1)) == 0) path.emplace_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1;
  uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0];
  std::string sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) {
      return Status::Error("MERKLE_PROOF_LENGTH", "consistency proof has too many elements");
    }
    if ((fn & 1) == 1 || fn == sn) {
      fr = MerkleNodeHash(alg, c, fr);
      sr = MerkleNodeHash(alg, c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = MerkleNodeHash(alg, sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::Error("MERKLE_PROOF_LENGTH", "consistency proof is too short");
  if (fr != old_root) return RootMismatch("old root");
  if (sr != new_root) return RootMismatch("new root");
  return Status::OK();
}

}  // namespace traceledger
