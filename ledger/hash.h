// The chain hash H: SHA-256 (default) or SM3 (GB/T 32905), chosen per chain in
// genesis. Both produce 32-byte digests.
//
// Thread-safety: the free functions are thread-safe; a Hasher is not.
#ifndef TRACELEDGER_LEDGER_HASH_H_
#define TRACELEDGER_LEDGER_HASH_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace traceledger {

enum class HashAlg { kSha256, kSm3 };

inline constexpr size_t kHashSize = 32;

// "sha256" / "sm3".
const char* HashAlgName(HashAlg alg);
std::optional<HashAlg> ParseHashAlg(std::string_view name);

// Returns the 32-byte digest of `data`.
std::string Hash(HashAlg alg, std::string_view data);
// Digest of a || b without copying.
std::string Hash2(HashAlg alg, std::string_view a, std::string_view b);

// Incremental hashing.
class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(std::string_view data);
  // Returns the digest and resets the hasher.
  std::string Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_HASH_H_
