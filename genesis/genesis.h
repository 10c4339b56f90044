// The genesis file (docs/genesis.md): the chain id, the hash function, the
// validators, the first regulators and the chain parameters the contracts
// enforce (temperature ranges, import documents, deadlines, skew, block limits).
//
// The genesis hash is H(exact file bytes) with the chain's own hash function:
// the file is never re-serialised, so every node that holds the same file
// agrees on the hash, and block 0 carries it.
//
// Thread-safety: a Genesis is an immutable value once loaded; the functions are
// pure (LoadGenesisFile reads one file).
#ifndef TRACELEDGER_GENESIS_GENESIS_H_
#define TRACELEDGER_GENESIS_GENESIS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace traceledger {

inline constexpr size_t kMaxGenesisBytes = 1 << 20;
inline constexpr int kMaxGenesisDepth = 8;  // containers; the format needs 4
inline constexpr size_t kMaxValidators = 64;
inline constexpr size_t kMaxGenesisRegulators = 256;

// A temperature range in degrees Celsius; a missing bound is unbounded.
struct TempRange {
  std::optional<double> min_c;
  std::optional<double> max_c;
  bool Contains(double c) const { return (!min_c || c >= *min_c) && (!max_c || c <= *max_c); }
};

struct ValidatorInfo {
  std::string id;          // 1..64 of [A-Za-z0-9._-]
  std::string public_key;  // 33 raw bytes (compressed secp256k1)
  std::string p2p;         // host:port
  std::string http;        // host:port
  // The pins of its TLS identities (node/tls_identity.h): SHA-256 of the DER
  // SubjectPublicKeyInfo of its certificate, 32 raw bytes each, 1..4 distinct
  // (a second one is a backup key for rotation). Required for every validator
  // of a genesis with two or more; a one-validator chain has no peer links
  // and may leave it empty.
  std::vector<std::string> tls_spki_sha256;
};

inline constexpr size_t kMaxTlsPinsPerValidator = 4;

struct RegulatorInfo {
  std::string name;        // 1..128 bytes of UTF-8
  std::string public_key;  // 33 raw bytes
};

struct BlockLimits {
  uint32_t max_txs = 2000;
  uint64_t max_bytes = 4 << 20;
  uint32_t max_interval_ms = 500;
};

struct ChainParams {
  // Named temperature profiles ("vaccine", "frozen", "chilled", ...).
  std::map<std::string, TempRange> temperature_profiles;
  // Product category -> default profile name (categories without an entry have
  // no default range).
  std::map<std::string, std::string> category_profiles;
  // Document types imported cold-chain food needs before it may move on from its
  // first warehouse or be sold.
  std::vector<std::string> import_documents;
  int64_t default_shipment_deadline_ms = 72LL * 3600 * 1000;
  int64_t max_future_skew_ms = 300LL * 1000;
  BlockLimits block;

  // The default range of a product category, if any.
  std::optional<TempRange> CategoryRange(std::string_view category) const;
};

struct Genesis {
  std::string chain_id;
  HashAlg hash_alg = HashAlg::kSha256;
  int64_t genesis_time_ms = 0;
  std::vector<ValidatorInfo> validators;
  std::vector<RegulatorInfo> regulators;
  ChainParams params;
  std::string hash;  // 32 raw bytes: H(exact file bytes)
};

// One mistake in a genesis file, with the JSON path of the offending member
// ("$.validators[1].public_key").
struct GenesisError {
  std::string path;
  std::string message;
};

// Parses (ledger/json_parse.h: at most kMaxGenesisBytes and kMaxGenesisDepth,
// UTF-8, no member twice) and validates. On failure `errors` (if given)
// receives every mistake found and the returned Status is GENESIS_INVALID with
// all of them, one per line, in the message. Never throws.
Result<Genesis> ParseGenesis(std::string_view bytes, std::vector<GenesisError>* errors = nullptr);

// Reads the file (at most kMaxGenesisBytes, checked before reading) and parses
// it. IO_ERROR if it cannot be read or is a directory; GENESIS_INVALID (the
// message starts with the path) if it is too large or wrong.
Result<Genesis> LoadGenesisFile(const std::string& path,
                                std::vector<GenesisError>* errors = nullptr);

// The defaults the loader uses for absent parameters.
ChainParams DefaultChainParams();

}  // namespace traceledger

#endif  // TRACELEDGER_GENESIS_GENESIS_H_
