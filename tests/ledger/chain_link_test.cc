// The chain links a receipt commits to (ledger/chain_link.h): the encoding a
// verifier in another language rebuilds, and the chunked audit paths, which
// must be the plain RFC 9162 paths over all links whatever their number.
#include "ledger/chain_link.h"

#include <gtest/gtest.h>

#include "ledger/hex.h"
#include "ledger/merkle.h"

namespace traceledger {
namespace {

std::vector<ChainLink> Links(size_t n) {
  std::vector<ChainLink> links;
  for (size_t i = 0; i < n; ++i) {
    ChainLink l;
    l.kind = i % 7 == 3 ? ChainKind::kLot : ChainKind::kItem;
    l.code = "(01)06901234567892(21)S" + std::to_string(i);
    if (l.kind == ChainKind::kLot) l.lot = "L" + std::to_string(i);
    l.seq = i * 3;
    l.head = Hash(HashAlg::kSha256, "head " + std::to_string(i));
    links.push_back(l);
  }
  return links;
}

TEST(ChainLink, EncodingIsTheDocumentedBytes) {
  ChainLink l{ChainKind::kLot, "06901234567892", "B1", 258, std::string(32, '\x11')};
  EXPECT_EQ(ToHex(EncodeChainLink(l)),
            "02"  // kind: lot
            "0000000e"
            "3036393031323334353637383932"  // u32be 14, the product code
            "00000002"
            "4231"              // u32be 2, "B1"
            "0000000000000102"  // u64be 258
                + ToHex(std::string(32, '\x11')));
  ChainLink item{ChainKind::kItem, "X", "", 0, std::string(32, '\0')};
  EXPECT_EQ(ToHex(EncodeChainLink(item)).substr(0, 2 + 8 + 2 + 8),
            "010000000158"
            "00000000");
  EXPECT_EQ(HeadsRoot(HashAlg::kSha256, {}), "");
  EXPECT_EQ(HeadsRoot(HashAlg::kSha256, {l}), ChainLinkLeafHash(HashAlg::kSha256, l));
}

// For every size across the chunk boundaries, the chunk roots combine to the
// root over all links, and every link's chunked path verifies against it as
// an ordinary inclusion proof.
TEST(ChainLink, ChunkedProofsAreInclusionProofsOverAllLinks) {
  const HashAlg alg = HashAlg::kSha256;
  for (size_t n : {1, 2, 3, 255, 256, 257, 511, 512, 513, 700, 1024, 1025, 3000}) {
    std::vector<ChainLink> links = Links(n);
    const std::string root = HeadsRoot(alg, links);
    std::vector<std::string> leaves;
    for (const auto& l : links) leaves.push_back(ChainLinkLeafHash(alg, l));
    std::vector<std::string> roots = HeadsChunkRoots(alg, leaves);
    ASSERT_EQ(roots.size(), (n + kLinksPerChunk - 1) / kLinksPerChunk);
    EXPECT_EQ(roots.size() == 1 ? roots[0] : MerkleRootFromLeafHashes(alg, roots), root) << n;
    for (size_t i = 0; i < n; i += (n > 600 ? 37 : 1)) {
      size_t c = i / kLinksPerChunk;
      std::vector<std::string> chunk(leaves.begin() + c * kLinksPerChunk,
                                     leaves.begin() + std::min(n, (c + 1) * kLinksPerChunk));
      auto path = ChunkedHeadsProof(alg, i, n, chunk, roots);
      ASSERT_TRUE(path.ok()) << n << " " << i << ": " << path.status().ToString();
      EXPECT_TRUE(
          VerifyMerkleInclusion(alg, i, n, ChainLinkLeafHash(alg, links[i]), *path, root).ok())
          << n << " " << i;
      // Another link's leaf, or another position, does not verify.
      ChainLink other = links[i];
      other.seq += 1;
      EXPECT_FALSE(
          VerifyMerkleInclusion(alg, i, n, ChainLinkLeafHash(alg, other), *path, root).ok());
    }
  }
}

TEST(ChainLink, PiecesThatDoNotFitAreRefused) {
  const HashAlg alg = HashAlg::kSha256;
  std::vector<std::string> leaves;
  for (const auto& l : Links(300)) leaves.push_back(ChainLinkLeafHash(alg, l));
  std::vector<std::string> roots = HeadsChunkRoots(alg, leaves);
  std::vector<std::string> first(leaves.begin(), leaves.begin() + 256);
  EXPECT_EQ(ChunkedHeadsProof(alg, 300, 300, first, roots).status().code(),
            "MERKLE_INDEX_OUT_OF_RANGE");
  EXPECT_EQ(ChunkedHeadsProof(alg, 10, 300, first, {}).status().code(), "HEADS_CHUNK_MISMATCH");
  EXPECT_EQ(ChunkedHeadsProof(alg, 290, 300, first, roots).status().code(), "HEADS_CHUNK_MISMATCH");
}

}  // namespace
}  // namespace traceledger
