// secp256k1 keys and compact ECDSA signatures (libsecp256k1).
//
// Signatures are over a 32-byte digest (the caller hashes with the chain's H),
// 64 bytes compact r||s, low-S, with RFC 6979 deterministic nonces.
// Written forms: public key 66 lowercase hex (33-byte compressed), private key
// 64 lowercase hex, signature 128 lowercase hex.
//
// Thread-safety: one process-wide libsecp256k1 context is created on first use
// and only read afterwards; every function here is safe to call from many
// threads at once.
#ifndef TRACELEDGER_LEDGER_KEYS_H_
#define TRACELEDGER_LEDGER_KEYS_H_

#include <string>
#include <string_view>

#include "ledger/status.h"

namespace traceledger {

inline constexpr size_t kPublicKeySize = 33;
inline constexpr size_t kPrivateKeySize = 32;
inline constexpr size_t kSignatureSize = 64;

struct KeyPair {
  std::string private_key;  // 32 raw bytes
  std::string public_key;   // 33 raw bytes, compressed
};

// A new key pair from the OS random source (getrandom). Error IO_ERROR if the
// OS cannot provide randomness.
Result<KeyPair> GenerateKeyPair();

// Derives the key pair of a 32-byte private key. Error PRIVATE_KEY_INVALID if
// it is zero or not below the curve order.
Result<KeyPair> KeyPairFromPrivate(std::string_view private_key);

// Parses written forms. Errors: PUBLIC_KEY_ENCODING (not 66 lowercase hex),
// PUBLIC_KEY_INVALID (not a compressed point on the curve);
// PRIVATE_KEY_ENCODING, PRIVATE_KEY_INVALID.
Result<std::string> ParsePublicKeyHex(std::string_view hex);
Result<KeyPair> ParsePrivateKeyHex(std::string_view hex);

// Validates a raw 33-byte compressed public key.
// Errors: PUBLIC_KEY_LENGTH, PUBLIC_KEY_INVALID.
Status CheckPublicKey(std::string_view public_key);

// Signs a 32-byte digest. Returns the 64-byte low-S compact signature.
Result<std::string> SignDigest(std::string_view private_key, std::string_view digest32);

// Verifies a 64-byte compact signature over a 32-byte digest. Errors, each
// distinct: PUBLIC_KEY_LENGTH, PUBLIC_KEY_INVALID (off curve / bad prefix),
// SIGNATURE_LENGTH, SIGNATURE_MALFORMED (r or s zero or not below the order),
// SIGNATURE_HIGH_S (valid only in its malleated form), SIGNATURE_INVALID.
Status VerifyDigest(std::string_view public_key, std::string_view digest32,
                    std::string_view signature);

}  // namespace traceledger

#endif  // TRACELEDGER_LEDGER_KEYS_H_
