#include "ledger/keys.h"

#include <secp256k1.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "ledger/hex.h"

namespace traceledger {
namespace {

// The process-wide context: created and randomized once (C++ guarantees the
// static initialization is thread-safe), only read afterwards. libsecp256k1
// documents that a context may be used concurrently for every operation that
// takes it as const (signing and verification do).
const secp256k1_context* Context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    unsigned char seed[32];
    if (getrandom(seed, sizeof seed, 0) == static_cast<ssize_t>(sizeof seed)) {
      // Blinding against side channels; failure leaves the context usable.
      if (!secp256k1_context_randomize(c, seed)) {
      }
    }
    return c;
  }();
  return ctx;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Result<KeyPair> FromValidPrivate(std::string_view private_key) {
  if (private_key.size() != kPrivateKeySize ||
      !secp256k1_ec_seckey_verify(Context(), U(private_key))) {
    return Status::Error("PRIVATE_KEY_INVALID",
                         "private key must be 32 bytes, non-zero and below the curve order");
  }
  secp256k1_pubkey pub;
  if (!secp256k1_ec_pubkey_create(Context(), &pub, U(private_key))) {
    return Status::Error("PRIVATE_KEY_INVALID", "cannot derive a public key");
  }
  unsigned char out[kPublicKeySize];
  size_t len = sizeof out;
  secp256k1_ec_pubkey_serialize(Context(), out, &len, &pub, SECP256K1_EC_COMPRESSED);
  KeyPair kp;
  kp.private_key.assign(private_key);
  kp.public_key.assign(reinterpret_cast<char*>(out), len);
  return kp;
}

// Parsing a compressed key costs a field square root (~8% of a verification).
// Signers repeat (an enterprise signs many events), so parsed keys are cached.
// The cache only ever holds keys that parsed successfully, so a hit is exactly
// what a parse would return. Cleared when full: simple, bounded, no ordering.
class PubkeyCache {
 public:
  static constexpr size_t kCapacity = 4096;
  bool Get(std::string_view key, secp256k1_pubkey* out) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = map_.find(std::string(key));
    if (it == map_.end()) return false;
    *out = it->second;
    return true;
  }
  void Put(std::string_view key, const secp256k1_pubkey& pub) {
    std::lock_guard<std::mutex> l(mu_);
    if (map_.size() >= kCapacity) map_.clear();
    map_.emplace(std::string(key), pub);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, secp256k1_pubkey> map_;  // guarded by mu_
};

PubkeyCache& Cache() {
  static PubkeyCache* cache = new PubkeyCache();
  return *cache;
}

Status ParsePub(std::string_view public_key, secp256k1_pubkey* pub) {
  if (public_key.size() == kPublicKeySize && Cache().Get(public_key, pub)) return Status::OK();
  if (public_key.size() != kPublicKeySize) {
    return Status::Error("PUBLIC_KEY_LENGTH", "public key must be 33 bytes (compressed), got " +
                                                  std::to_string(public_key.size()));
  }
  if ((public_key[0] != 0x02 && public_key[0] != 0x03) ||
      !secp256k1_ec_pubkey_parse(Context(), pub, U(public_key), public_key.size())) {
    return Status::Error("PUBLIC_KEY_INVALID",
                         "public key is not a compressed point on secp256k1 (prefix 02/03)");
  }
  Cache().Put(public_key, *pub);
  return Status::OK();
}

}  // namespace

Result<KeyPair> GenerateKeyPair() {
  // Rejection sampling: a uniformly random 32-byte string is a valid key with
  // overwhelming probability; loop on the rare miss.
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::string sk(kPrivateKeySize, '\0');
    if (getrandom(sk.data(), sk.size(), 0) != static_cast<ssize_t>(sk.size())) {
      return Status::IOError(std::string("getrandom failed: ") + std::strerror(errno));
    }
    if (secp256k1_ec_seckey_verify(Context(), U(sk))) return FromValidPrivate(sk);
  }
  return Status::IOError("the OS random source returned no usable key in 64 attempts");
}

Result<KeyPair> KeyPairFromPrivate(std::string_view private_key) {
  return FromValidPrivate(private_key);
}

Result<std::string> ParsePublicKeyHex(std::string_view hex) {
  auto raw = FromHex(hex);
  if (hex.size() != 2 * kPublicKeySize || !raw) {
    return Status::Error("PUBLIC_KEY_ENCODING",
                         "public key must be 66 lowercase hex characters (33-byte compressed)");
  }
  secp256k1_pubkey pub;
  TL_RETURN_IF_ERROR(ParsePub(*raw, &pub));
  return *raw;
}

Result<KeyPair> ParsePrivateKeyHex(std::string_view hex) {
  auto raw = FromHex(hex);
  if (hex.size() != 2 * kPrivateKeySize || !raw) {
    return Status::Error("PRIVATE_KEY_ENCODING", "private key must be 64 lowercase hex characters");
  }
  return FromValidPrivate(*raw);
}

Status CheckPublicKey(std::string_view public_key) {
  secp256k1_pubkey pub;
  return ParsePub(public_key, &pub);
}

Result<std::string> SignDigest(std::string_view private_key, std::string_view digest32) {
  if (digest32.size() != 32) return Status::InvalidArgument("digest must be 32 bytes");
  if (private_key.size() != kPrivateKeySize) {
    return Status::Error("PRIVATE_KEY_INVALID", "private key must be 32 bytes");
  }
  secp256k1_ecdsa_signature sig;
  // nullptr nonce function: RFC 6979. libsecp256k1 always produces low-S.
  if (!secp256k1_ecdsa_sign(Context(), &sig, U(digest32), U(private_key), nullptr, nullptr)) {
    return Status::Error("PRIVATE_KEY_INVALID", "signing failed: invalid private key");
  }
  unsigned char out[kSignatureSize];
  secp256k1_ecdsa_signature_serialize_compact(Context(), out, &sig);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

Status VerifyDigest(std::string_view public_key, std::string_view digest32,
                    std::string_view signature) {
  if (digest32.size() != 32) return Status::InvalidArgument("digest must be 32 bytes");
  secp256k1_pubkey pub;
  TL_RETURN_IF_ERROR(ParsePub(public_key, &pub));
  if (signature.size() != kSignatureSize) {
    return Status::Error("SIGNATURE_LENGTH", "signature must be 64 bytes (compact r||s), got " +
                                                 std::to_string(signature.size()));
  }
  secp256k1_ecdsa_signature sig;
  // Parsing fails when r or s is not below the group order.
  if (!secp256k1_ecdsa_signature_parse_compact(Context(), &sig, U(signature))) {
    return Status::Error("SIGNATURE_MALFORMED", "signature r or s is not below the curve order");
  }
  // A zero r or s parses but can never verify; name it.
  static const char kZero[32] = {0};
  if (std::memcmp(signature.data(), kZero, 32) == 0 ||
      std::memcmp(signature.data() + 32, kZero, 32) == 0) {
    return Status::Error("SIGNATURE_MALFORMED", "signature r or s is zero");
  }
  secp256k1_ecdsa_signature normalized;
  if (secp256k1_ecdsa_signature_normalize(Context(), &normalized, &sig)) {
    return Status::Error("SIGNATURE_HIGH_S",
                         "signature has a high S value; sign with low-S (s <= n/2)");
  }
  if (!secp256k1_ecdsa_verify(Context(), &sig, U(digest32), &pub)) {
    return Status::Error("SIGNATURE_INVALID", "signature does not match the payload and signer");
  }
  return Status::OK();
}

}  // namespace traceledger
