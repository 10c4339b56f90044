// Transaction envelopes (DESIGN.md §3): strict parsing and verification.
//
//   {"payload": "<exact JSON text signed>", "signer": "<66 hex>", "signature": "<128 hex>"}
//
// The payload must be a JSON object with exactly the members chain_id, type,
// nonce, time (RFC 3339 UTC) and body (an object). The exact payload bytes are
// kept; nothing is re-serialised. tx_id = H(signer_33_bytes || payload_bytes).
//
// Every way an envelope can be wrong has its own error code (see
// docs/envelopes.md for the list and what to fix).
//
// Thread-safety: pure functions; safe from many threads.
#ifndef TRACELEDGER_LEDGER_ENVELOPE_H_
#define TRACELEDGER_LEDGER_ENVELOPE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace traceledger {

// Limits on everything.
inline constexpr size_t kMaxEnvelopeBytes = 96 * 1024;  // the envelope JSON text
inline constexpr size_t kMaxPayloadBytes = 64 * 1024;   // the payload text
inline constexpr size_t kMaxChainIdLength = 64;
inline constexpr size_t kMaxTypeLength = 64;
inline constexpr size_t kMaxNonceLength = 64;
inline constexpr int kMaxJsonDepth = 16;

// A parsed envelope whose signature has been verified.
struct Envelope {
  std::string payload;    // exact bytes as signed
  std::string signer;     // 33 raw bytes
  std::string signature;  // 64 raw bytes
  std::string tx_id;      // 32 raw bytes: H(signer || payload)

  // Decoded payload members.
  std::string chain_id;
  std::string type;
  std::string nonce;
  std::string time;     // as written
  int64_t time_ms = 0;  // parsed, milliseconds since epoch
  nlohmann::json body;  // always an object
};

// Parses the envelope JSON text, checks the payload's shape and verifies the
// signature with hash `alg`. Does not check chain_id against a chain: callers
// that know their chain call CheckChainId.
Result<Envelope> ParseEnvelope(std::string_view envelope_json, HashAlg alg);

// The same from already-separated fields (the block store keeps raw bytes).
Result<Envelope> ParseEnvelopeParts(std::string_view payload, std::string_view signer,
                                    std::string_view signature, HashAlg alg);

// Error WRONG_CHAIN if the envelope is for another chain.
Status CheckChainId(const Envelope& env, std::string_view chain_id);

// tx_id = H(signer || payload).
std::string TxId(HashAlg alg, std::string_view signer, std::string_view payload);

// Builds and signs an envelope for `payload` (no shape checks: tracectl sign
// checks by parsing the result). Returns the envelope JSON text.
Result<std::string> SignEnvelope(std::string_view private_key, std::string_view payload,
                                 HashAlg alg);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_ENVELOPE_H_
