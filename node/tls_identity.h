// TLS identities of validators (docs/node.md, "Peer transport"; docs/operations.md,
// "TLS keys and certificates").
//
// A validator proves who it is on the peer port with a TLS 1.3 key and a
// self-signed X.509 certificate. No certificate authority is involved: genesis
// pins each validator's identity as the SHA-256 of its certificate's DER
// SubjectPublicKeyInfo (the "pin", 32 bytes, written as 64 lowercase hex in
// genesis `tls_spki_sha256`). The pin depends on the public key only, so a
// certificate can be re-issued for the same key without touching genesis;
// its validity dates are not checked (the pin is the trust anchor).
//
// Keys: tracectl makes Ed25519 keys (deterministic signatures, no parameters,
// fast; TLS 1.3 does not allow the validators' secp256k1 for signatures, so
// the TLS key is a separate key). A P-256 (prime256v1) key made by other tools
// is accepted as well. Files are PEM: the key PKCS#8 ("BEGIN PRIVATE KEY",
// unencrypted, mode 0600, never readable by group or others), the certificate
// "BEGIN CERTIFICATE".
//
// This translation unit is the only one besides node/transport.cc that
// includes OpenSSL. Thread-safety: pure functions.
#ifndef TRACELEDGER_NODE_TLS_IDENTITY_H_
#define TRACELEDGER_NODE_TLS_IDENTITY_H_

#include <string>
#include <string_view>

#include "ledger/status.h"

namespace traceledger::node {

inline constexpr size_t kTlsPinBytes = 32;
inline constexpr size_t kMaxTlsFileBytes = 64 << 10;

struct TlsIdentity {
  std::string key_pem;      // PKCS#8 PEM of the private key
  std::string cert_pem;     // PEM of the self-signed certificate
  std::string spki_sha256;  // the pin: 32 raw bytes
};

// A fresh Ed25519 key and a self-signed certificate for it (subject CN
// "traceledger validator <name>", valid from an hour ago to 9999-12-31). `seed`
// (32 bytes) makes the key deterministic, for tests and the example genesis
// only; empty: a random key.
Result<TlsIdentity> GenerateTlsIdentity(std::string_view name, std::string_view seed = {});

// The pin of a PEM certificate. TLS_INVALID if it does not parse.
Result<std::string> CertificatePin(std::string_view cert_pem);

// Parses the key and the certificate, checks the key is Ed25519 or P-256 and
// belongs to the certificate; returns the identity with its pin. `where` names
// the files in messages. TLS_INVALID.
Result<TlsIdentity> ParseTlsIdentity(std::string key_pem, std::string cert_pem,
                                     const std::string& where = "");

// Reads and parses the two files (ParseTlsIdentity). Errors: TLS_KEY_MISSING
// (a file does not exist), TLS_KEY_PERMISSIONS (the key file is readable or
// writable by group or others: chmod 600 it), IO_ERROR, TLS_INVALID.
Result<TlsIdentity> LoadTlsIdentity(const std::string& key_path, const std::string& cert_path);

// Writes the key (mode 0600) and the certificate (mode 0644), synced, refusing
// to replace existing files (IO_ERROR).
Status WriteTlsIdentity(const TlsIdentity& id, const std::string& key_path,
                        const std::string& cert_path);

}  // namespace traceledger::node

#endif  // TRACELEDGER_NODE_TLS_IDENTITY_H_
