#include "ledger/chain_link.h"

#include <algorithm>

#include "ledger/merkle.h"

namespace traceledger {
namespace {

void PutU32be(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}
void PutU64be(std::string* out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out->push_back(static_cast<char>(v >> s));
}

}  // namespace

std::string EncodeChainLink(const ChainLink& link) {
  std::string out;
  out.reserve(1 + 4 + link.code.size() + 4 + link.lot.size() + 8 + link.head.size());
  out.push_back(static_cast<char>(link.kind));
  PutU32be(&out, static_cast<uint32_t>(link.code.size()));
  out += link.code;
  PutU32be(&out, static_cast<uint32_t>(link.lot.size()));
  out += link.lot;
  PutU64be(&out, link.seq);
  out += link.head;
  return out;
}

std::string ChainLinkLeafHash(HashAlg alg, const ChainLink& link) {
  return MerkleLeafHash(alg, EncodeChainLink(link));
}

std::string HeadsRoot(HashAlg alg, const std::vector<ChainLink>& links) {
  if (links.empty()) return "";
  std::vector<std::string> leaves;
  leaves.reserve(links.size());
  for (const ChainLink& l : links) leaves.push_back(ChainLinkLeafHash(alg, l));
  return MerkleRootFromLeafHashes(alg, leaves);
}

std::vector<std::string> HeadsChunkRoots(HashAlg alg, const std::vector<std::string>& leaf_hashes) {
  std::vector<std::string> roots;
  for (size_t at = 0; at < leaf_hashes.size(); at += kLinksPerChunk) {
    size_t end = std::min(leaf_hashes.size(), at + kLinksPerChunk);
    if (at == 0 && end == leaf_hashes.size()) {
      roots.push_back(MerkleRootFromLeafHashes(alg, leaf_hashes));
    } else {
      roots.push_back(MerkleRootFromLeafHashes(
          alg, std::vector<std::string>(leaf_hashes.begin() + at, leaf_hashes.begin() + end)));
    }
  }
  return roots;
}

Result<std::vector<std::string>> ChunkedHeadsProof(HashAlg alg, uint64_t index, uint64_t total,
                                                   const std::vector<std::string>& chunk,
                                                   const std::vector<std::string>& chunk_roots) {
  if (index >= total)
    return Status::Error("MERKLE_INDEX_OUT_OF_RANGE",
                         "link " + std::to_string(index) + " of " + std::to_string(total));
  const uint64_t chunks = (total + kLinksPerChunk - 1) / kLinksPerChunk;
  const uint64_t c = index / kLinksPerChunk;
  const uint64_t chunk_size = std::min<uint64_t>(kLinksPerChunk, total - c * kLinksPerChunk);
  if (chunk.size() != chunk_size || (chunks > 1 && chunk_roots.size() != chunks))
    return Status::Error("HEADS_CHUNK_MISMATCH",
                         "chunk " + std::to_string(c) + " of a transaction's " +
                             std::to_string(total) + " chain links holds " +
                             std::to_string(chunk.size()) + " links and " +
                             std::to_string(chunk_roots.size()) + " chunk roots");
  auto path = MerkleInclusionProof(alg, chunk, index % kLinksPerChunk);
  if (!path.ok() || chunks == 1) return path;
  // Above the chunk: its path among the chunk roots (node hashes, as the
  // roots of perfect subtrees are in the tree over all links).
  auto upper = MerkleInclusionProof(alg, chunk_roots, c);
  if (!upper.ok()) return upper.status();
  path->insert(path->end(), upper->begin(), upper->end());
  return path;
}

}  // namespace traceledger
