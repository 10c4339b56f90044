#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <random>

#include "ledger/hex.h"

namespace traceledger {
namespace {

constexpr HashAlg kSha = HashAlg::kSha256;

std::string Unhex(std::string_view hex) {
  std::optional<std::string> bytes = FromHex(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or("");
}

std::vector<std::string> UnhexAll(const std::vector<std::string>& hexes) {
  std::vector<std::string> out;
  for (const std::string& h : hexes) out.push_back(Unhex(h));
  return out;
}

// The Certificate Transparency reference tree (RFC 6962 test data, as used by
// CT's merkle_tree_test and transparency-dev/merkle proof/verify_test.go). Each
// value below was re-derived independently with python3 hashlib.
const std::vector<std::string>& CtLeaves() {
  static const std::vector<std::string> leaves = UnhexAll({
      "",
      "00",
      "10",
      "2021",
      "3031",
      "40414243",
      "5051525354555657",
      "606162636465666768696a6b6c6d6e6f",
  });
  return leaves;
}

// ctRoots[n] = MTH of the first n leaves.
const char* const kCtRoots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// The same tree under SM3 (no published vectors exist; computed with python3
// hashlib.new("sm3") from the RFC definitions, independently of this code).
const char* const kSm3Roots[] = {
    "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b",
    "2daef60e7a0b8f5e024c81cd2ab3109f2b4f155cf83adeb2ae5532f74a157fdf",
    "0b990fe0c7ad70f1bf1a1262f2c7908ea48146b14253a6db99f2917ab1f5cc4d",
    "209ec96a210d662a964772680e8544d18cab7b88ffec3e00962220349b56ea56",
    "28e4e307ef6d2d0c62d84b11ef96e835efe490f35b93c8f024ecfe38c8dd4377",
    "bb10c996aeebbcdc69be3715fc847344de77442d37a5ab8213da9f41785b103b",
    "8723c1ab1f82ddfba4a3733ac0c80d936d9f4c208c7dbc8cc81ca9fff8584f66",
    "bd36c22a1ac6ff4308e0c3cc1a85bf0ffa30538ec60a55c70413ab15d45db4d2",
    "bc48ba7a709184b5f2a631e1adeb8dc2a0d4c018c1d6cc89b5664fe154c93b38",
};

struct ProofVector {
  uint64_t a;  // leaf index (inclusion) or old size (consistency)
  uint64_t size;
  std::vector<std::string> proof_hex;
};

// Inclusion vectors: {leaf index (0-based), tree size, path}.
const std::vector<ProofVector>& CtInclusion() {
  static const std::vector<ProofVector> v = {
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  return v;
}

// Consistency vectors: {old size, new size, proof}.
const std::vector<ProofVector>& CtConsistency() {
  static const std::vector<ProofVector> v = {
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
      {6,
       7,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
  };
  return v;
}

std::vector<std::string> LeafHashes(HashAlg alg, const std::vector<std::string>& leaves, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(MerkleLeafHash(alg, leaves[i]));
  return out;
}

// The RFC 6962 §2.1 definition, written recursively and independently of the
// iterative implementation under test.
std::string ReferenceRoot(HashAlg alg, const std::vector<std::string>& lh, size_t lo, size_t hi) {
  size_t n = hi - lo;
  if (n == 0) return Hash(alg, "");
  if (n == 1) return lh[lo];
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return Hash(alg, std::string(1, '\x01') + ReferenceRoot(alg, lh, lo, lo + k) +
                       ReferenceRoot(alg, lh, lo + k, hi));
}

std::vector<std::string> RandomLeafHashes(HashAlg alg, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string data(rng() % 40, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    out.push_back(MerkleLeafHash(alg, data));
  }
  return out;
}

TEST(Merkle, PrefixesAndEmptyRoot) {
  EXPECT_EQ(ToHex(MerkleEmptyRoot(kSha)), kCtRoots[0]);
  EXPECT_EQ(MerkleLeafHash(kSha, "x"), Hash(kSha, std::string("\x00x", 2)));
  EXPECT_EQ(MerkleNodeHash(kSha, "l", "r"), Hash(kSha, "\x01lr"));
  EXPECT_EQ(ToHex(MerkleEmptyRoot(HashAlg::kSm3)), kSm3Roots[0]);
}

TEST(Merkle, CtRootsSha256) {
  for (size_t n = 0; n <= 8; ++n) {
    std::vector<std::string> data(CtLeaves().begin(), CtLeaves().begin() + n);
    EXPECT_EQ(ToHex(MerkleRoot(kSha, data)), kCtRoots[n]) << "size " << n;
    EXPECT_EQ(ToHex(MerkleRootFromLeafHashes(kSha, LeafHashes(kSha, CtLeaves(), n))), kCtRoots[n]);
  }
}

TEST(Merkle, CtRootsSm3) {
  for (size_t n = 0; n <= 8; ++n) {
    std::vector<std::string> data(CtLeaves().begin(), CtLeaves().begin() + n);
    EXPECT_EQ(ToHex(MerkleRoot(HashAlg::kSm3, data)), kSm3Roots[n]) << "size " << n;
  }
}

TEST(Merkle, CtInclusionProofs) {
  for (const ProofVector& v : CtInclusion()) {
    std::vector<std::string> lh = LeafHashes(kSha, CtLeaves(), v.size);
    std::vector<std::string> want = UnhexAll(v.proof_hex);
    Result<std::vector<std::string>> got = MerkleInclusionProof(kSha, lh, v.a);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, want) << "leaf " << v.a << " size " << v.size;
    Status s = VerifyMerkleInclusion(kSha, v.a, v.size, lh[v.a], want, Unhex(kCtRoots[v.size]));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

TEST(Merkle, CtConsistencyProofs) {
  for (const ProofVector& v : CtConsistency()) {
    std::vector<std::string> lh = LeafHashes(kSha, CtLeaves(), v.size);
    std::vector<std::string> want = UnhexAll(v.proof_hex);
    Result<std::vector<std::string>> got = MerkleConsistencyProof(kSha, lh, v.a);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, want) << v.a << " -> " << v.size;
    Status s = VerifyMerkleConsistency(kSha, v.a, v.size, Unhex(kCtRoots[v.a]),
                                       Unhex(kCtRoots[v.size]), want);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

TEST(Merkle, IterativeRootMatchesRecursiveDefinition) {
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    for (size_t n = 0; n <= 70; ++n) {
      std::vector<std::string> lh = RandomLeafHashes(alg, n, static_cast<uint32_t>(n));
      EXPECT_EQ(MerkleRootFromLeafHashes(alg, lh), ReferenceRoot(alg, lh, 0, n)) << n;
    }
  }
}

// Every corruption of a valid inclusion proof is rejected.
void ExpectInclusionTampersRejected(HashAlg alg, uint64_t index, uint64_t size,
                                    const std::string& leaf, const std::vector<std::string>& proof,
                                    const std::string& root) {
  const std::string other = Hash(alg, "some other hash");
  auto rejected = [&](uint64_t i, uint64_t n, const std::string& l,
                      const std::vector<std::string>& p, const std::string& r, const char* what) {
    EXPECT_FALSE(VerifyMerkleInclusion(alg, i, n, l, p, r).ok())
        << what << " index " << index << " size " << size;
  };
  if (index > 0) rejected(index - 1, size, leaf, proof, root, "index-1");
  if (index + 1 < size) rejected(index + 1, size, leaf, proof, root, "index+1");
  if ((index ^ 2) != index) rejected(index ^ 2, size, leaf, proof, root, "index^2");
  rejected(index, size * 2, leaf, proof, root, "size*2");
  rejected(index, size / 2, leaf, proof, root, "size/2");
  rejected(index, size, other, proof, root, "wrong leaf");
  rejected(index, size, "WrongLeaf", proof, root, "short leaf");
  rejected(index, size, leaf, proof, other, "wrong root");
  rejected(index, size, leaf, proof, MerkleEmptyRoot(alg), "empty root");
  std::vector<std::string> p = proof;
  p.push_back(root);
  rejected(index, size, leaf, p, root, "trailing root");
  p = proof;
  p.push_back("");
  rejected(index, size, leaf, p, root, "trailing garbage");
  p = proof;
  p.insert(p.begin(), root);
  rejected(index, size, leaf, p, root, "preceding root");
  for (size_t i = 0; i < proof.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      p = proof;
      p[i][i % kHashSize] ^= static_cast<char>(1 << bit);
      rejected(index, size, leaf, p, root, "bit flip");
    }
  }
  if (!proof.empty()) {
    p = proof;
    p.pop_back();
    rejected(index, size, leaf, p, root, "removed element");
  }
  if (proof.size() > 1) {
    p = proof;
    p.insert(p.begin() + 1, other);
    rejected(index, size, leaf, p, root, "inserted element");
    p = proof;
    std::swap(p[0], p[1]);
    rejected(index, size, leaf, p, root, "swapped elements");
  }
}

TEST(Merkle, TamperedInclusionProofsRejected) {
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    for (uint64_t n = 1; n <= 33; ++n) {
      std::vector<std::string> lh = RandomLeafHashes(alg, n, 1000 + static_cast<uint32_t>(n));
      std::string root = MerkleRootFromLeafHashes(alg, lh);
      for (uint64_t i = 0; i < n; ++i) {
        Result<std::vector<std::string>> proof = MerkleInclusionProof(alg, lh, i);
        ASSERT_TRUE(proof.ok());
        ASSERT_TRUE(VerifyMerkleInclusion(alg, i, n, lh[i], *proof, root).ok()) << i << "/" << n;
        ExpectInclusionTampersRejected(alg, i, n, lh[i], *proof, root);
      }
    }
  }
}

TEST(Merkle, TamperedConsistencyProofsRejected) {
  const HashAlg alg = kSha;
  const std::string other = Hash(alg, "some other hash");
  for (uint64_t n = 1; n <= 33; ++n) {
    std::vector<std::string> lh = RandomLeafHashes(alg, n, 2000 + static_cast<uint32_t>(n));
    std::string new_root = MerkleRootFromLeafHashes(alg, lh);
    for (uint64_t m = 0; m <= n; ++m) {
      std::string old_root = ReferenceRoot(alg, lh, 0, m);
      Result<std::vector<std::string>> proof = MerkleConsistencyProof(alg, lh, m);
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyMerkleConsistency(alg, m, n, old_root, new_root, *proof).ok())
          << m << " -> " << n;
      if (proof->empty()) continue;
      auto rejected = [&](uint64_t a, uint64_t b, const std::string& r1, const std::string& r2,
                          const std::vector<std::string>& p, const char* what) {
        EXPECT_FALSE(VerifyMerkleConsistency(alg, a, b, r1, r2, p).ok())
            << what << " " << m << " -> " << n;
      };
      const std::vector<std::string>& pr = *proof;
      rejected(m - 1, n, old_root, new_root, pr, "m-1");
      rejected(m + 1, n, old_root, new_root, pr, "m+1");
      if ((m ^ 2) != m) rejected(m ^ 2, n, old_root, new_root, pr, "m^2");
      rejected(m, n * 2, old_root, new_root, pr, "n*2");
      rejected(m, n / 2, old_root, new_root, pr, "n/2");
      rejected(m, n, other, new_root, pr, "wrong old root");
      rejected(m, n, old_root, other, pr, "wrong new root");
      rejected(m, n, new_root, old_root, pr, "swapped roots");
      rejected(m, n, old_root, new_root, {}, "empty proof");
      std::vector<std::string> p = pr;
      p.push_back(old_root);
      rejected(m, n, old_root, new_root, p, "trailing root");
      p = pr;
      p.insert(p.begin(), pr[0]);
      rejected(m, n, old_root, new_root, p, "preceding proof[0]");
      p = pr;
      p.insert(p.begin(), new_root);
      rejected(m, n, old_root, new_root, p, "preceding new root");
      p = pr;
      p.pop_back();
      rejected(m, n, old_root, new_root, p, "truncated");
      for (size_t i = 0; i < pr.size(); ++i) {
        p = pr;
        p[i][0] ^= 16;
        rejected(m, n, old_root, new_root, p, "bit flip");
      }
    }
  }
}

TEST(Merkle, TrivialConsistencyConventions) {
  const std::string a = Hash(kSha, "a");
  const std::string b = Hash(kSha, "b");
  EXPECT_TRUE(
      VerifyMerkleConsistency(kSha, 0, 0, MerkleEmptyRoot(kSha), MerkleEmptyRoot(kSha), {}).ok());
  EXPECT_TRUE(VerifyMerkleConsistency(kSha, 0, 5, MerkleEmptyRoot(kSha), b, {}).ok());
  EXPECT_FALSE(VerifyMerkleConsistency(kSha, 0, 5, a, b, {}).ok());
  EXPECT_TRUE(VerifyMerkleConsistency(kSha, 3, 3, a, a, {}).ok());
  EXPECT_EQ(VerifyMerkleConsistency(kSha, 3, 3, a, b, {}).code(), "MERKLE_ROOT_MISMATCH");
  EXPECT_EQ(VerifyMerkleConsistency(kSha, 3, 3, a, a, {a}).code(), "MERKLE_PROOF_LENGTH");
  EXPECT_EQ(VerifyMerkleConsistency(kSha, 4, 3, a, b, {a}).code(), "MERKLE_INDEX_OUT_OF_RANGE");
  EXPECT_EQ(VerifyMerkleConsistency(kSha, 1, 2, a, b, {}).code(), "MERKLE_PROOF_LENGTH");
  EXPECT_EQ(VerifyMerkleConsistency(kSha, 1, 2, "short", b, {a}).code(), "MERKLE_HASH_LENGTH");
}

TEST(Merkle, InclusionErrorCodes) {
  const std::string a = Hash(kSha, "a");
  EXPECT_EQ(VerifyMerkleInclusion(kSha, 0, 0, a, {}, a).code(), "MERKLE_INDEX_OUT_OF_RANGE");
  EXPECT_EQ(VerifyMerkleInclusion(kSha, 2, 1, a, {}, a).code(), "MERKLE_INDEX_OUT_OF_RANGE");
  EXPECT_TRUE(VerifyMerkleInclusion(kSha, 0, 1, a, {}, a).ok());
  EXPECT_EQ(VerifyMerkleInclusion(kSha, 0, 1, a, {a}, a).code(), "MERKLE_PROOF_LENGTH");
  EXPECT_EQ(VerifyMerkleInclusion(kSha, 0, 2, a, {}, a).code(), "MERKLE_PROOF_LENGTH");
  EXPECT_EQ(VerifyMerkleInclusion(kSha, 0, 2, a, {a}, a).code(), "MERKLE_ROOT_MISMATCH");
  EXPECT_EQ(VerifyMerkleInclusion(kSha, 0, 1, "", {}, a).code(), "MERKLE_HASH_LENGTH");
  EXPECT_EQ(VerifyMerkleInclusion(kSha, 0, 1, a, {}, "").code(), "MERKLE_HASH_LENGTH");
  EXPECT_EQ(MerkleInclusionProof(kSha, {a}, 1).status().code(), "MERKLE_INDEX_OUT_OF_RANGE");
  EXPECT_EQ(MerkleConsistencyProof(kSha, {a}, 2).status().code(), "MERKLE_INDEX_OUT_OF_RANGE");
}

// Large random trees: every sampled proof leads to the independently computed
// root, and proofs between random sizes are consistent.
TEST(Merkle, LargeRandomTreesCrossChecked) {
  std::mt19937 rng(42);
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    for (uint64_t n : {255u, 256u, 257u, 1000u, 1025u, 3001u}) {
      std::vector<std::string> lh = RandomLeafHashes(alg, n, static_cast<uint32_t>(n) * 7);
      std::string root = MerkleRootFromLeafHashes(alg, lh);
      ASSERT_EQ(root, ReferenceRoot(alg, lh, 0, n));
      for (int trial = 0; trial < 20; ++trial) {
        uint64_t i = rng() % n;
        Result<std::vector<std::string>> proof = MerkleInclusionProof(alg, lh, i);
        ASSERT_TRUE(proof.ok());
        Result<std::string> r = MerkleRootFromInclusionProof(alg, i, n, lh[i], *proof);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(*r, root);
        uint64_t m = 1 + rng() % n;
        std::vector<std::string> prefix(lh.begin(), lh.begin() + m);
        Result<std::vector<std::string>> cp = MerkleConsistencyProof(alg, lh, m);
        ASSERT_TRUE(cp.ok());
        EXPECT_TRUE(
            VerifyMerkleConsistency(alg, m, n, MerkleRootFromLeafHashes(alg, prefix), root, *cp)
                .ok())
            << m << " -> " << n;
      }
    }
  }
}

TEST(Merkle, TenThousandLeavesRoot) {
  std::vector<std::string> lh = RandomLeafHashes(kSha, 10000, 7);
  EXPECT_EQ(MerkleRootFromLeafHashes(kSha, lh), ReferenceRoot(kSha, lh, 0, lh.size()));
}

}  // namespace
}  // namespace traceledger

namespace traceledger {
namespace {

// MerkleTree keeps every level; its proofs and root must be exactly those of
// the recursive RFC 9162 functions, for every size and index (odd sizes
// promote nodes at several levels).
TEST(Merkle, TreeLevelsGiveTheSameProofsAndRoot) {
  std::mt19937_64 rng(7);
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    for (size_t n = 0; n <= 70; ++n) {
      std::vector<std::string> leaves;
      for (size_t i = 0; i < n; ++i) leaves.push_back(MerkleLeafHash(alg, std::to_string(rng())));
      MerkleTree tree(alg, leaves);
      ASSERT_EQ(tree.size(), n);
      EXPECT_EQ(tree.Root(), n == 0 ? MerkleEmptyRoot(alg) : MerkleRootFromLeafHashes(alg, leaves));
      for (size_t i = 0; i < n; ++i) {
        auto want = MerkleInclusionProof(alg, leaves, i);
        auto got = tree.InclusionProof(i);
        ASSERT_TRUE(want.ok() && got.ok());
        ASSERT_EQ(*got, *want) << "n=" << n << " i=" << i;
      }
      EXPECT_EQ(tree.InclusionProof(n).status().code(), "MERKLE_INDEX_OUT_OF_RANGE");
    }
  }
}

}  // namespace
}  // namespace traceledger
