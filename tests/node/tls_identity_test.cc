// TLS identities of validators (node/tls_identity.h): generation, files,
// permissions, pins.
#include "node/tls_identity.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "ledger/hex.h"

namespace traceledger::node {
namespace {

// A PEM key and self-signed certificate of another key type, made with
// OpenSSL the way a bureau's own tools would.
std::pair<std::string, std::string> OtherIdentity(EVP_PKEY* key) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_sign(cert, key, EVP_sha256());
  BIO* kb = BIO_new(BIO_s_mem());
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(cb, cert);
  char* d = nullptr;
  long n = BIO_get_mem_data(kb, &d);
  std::string k(d, n);
  n = BIO_get_mem_data(cb, &d);
  std::string c(d, n);
  BIO_free(kb);
  BIO_free(cb);
  X509_free(cert);
  EVP_PKEY_free(key);
  return {k, c};
}

// Ed25519 (what tracectl makes) and P-256 are accepted; other key types not.
TEST(TlsIdentity, AcceptsP256AndRefusesOtherKeyTypes) {
  auto [pk, pc] = OtherIdentity(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  auto p256 = ParseTlsIdentity(pk, pc);
  ASSERT_TRUE(p256.ok()) << p256.status().ToString();
  EXPECT_EQ(p256->spki_sha256, *CertificatePin(pc));
  auto [rk, rc] = OtherIdentity(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  auto rsa = ParseTlsIdentity(rk, rc);
  EXPECT_EQ(rsa.status().code(), "TLS_INVALID");
  EXPECT_NE(rsa.status().message().find("Ed25519 or P-256"), std::string::npos)
      << rsa.status().message();
  auto [sk, sc] = OtherIdentity(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  EXPECT_EQ(ParseTlsIdentity(sk, sc).status().code(), "TLS_INVALID");
}

TEST(TlsIdentity, GeneratesLoadsAndChecksFiles) {
  char tmpl[] = "/tmp/tl-tls-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  auto id = GenerateTlsIdentity("n1");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->spki_sha256.size(), kTlsPinBytes);
  EXPECT_EQ(*CertificatePin(id->cert_pem), id->spki_sha256);
  ASSERT_TRUE(WriteTlsIdentity(*id, dir + "/k.pem", dir + "/c.pem").ok());
  EXPECT_FALSE(WriteTlsIdentity(*id, dir + "/k.pem", dir + "/c.pem").ok());  // no overwrite
  auto back = LoadTlsIdentity(dir + "/k.pem", dir + "/c.pem");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->spki_sha256, id->spki_sha256);
  EXPECT_EQ(LoadTlsIdentity(dir + "/none.pem", dir + "/c.pem").status().code(), "TLS_KEY_MISSING");
  ::chmod((dir + "/k.pem").c_str(), 0640);
  auto loose = LoadTlsIdentity(dir + "/k.pem", dir + "/c.pem");
  EXPECT_EQ(loose.status().code(), "TLS_KEY_PERMISSIONS");
  EXPECT_NE(loose.status().message().find("chmod 600"), std::string::npos);
  auto other = GenerateTlsIdentity("n2");
  EXPECT_EQ(ParseTlsIdentity(id->key_pem, other->cert_pem).status().code(), "TLS_INVALID");
  EXPECT_EQ(ParseTlsIdentity("junk", id->cert_pem).status().code(), "TLS_INVALID");
  EXPECT_EQ(CertificatePin("junk").status().code(), "TLS_INVALID");
  std::string cmd = "rm -rf " + dir;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
}

// genesis/examples/zhejiang-dev.json pins the Ed25519 keys whose seeds are the
// numbers 1, 2, 3 (32 bytes, big-endian) — well-known, for local testing only,
// like its validator keys.
TEST(TlsIdentity, ExampleGenesisPinsAreThoseOfSeeds1To3) {
  const char* pins[] = {"1300ab5783848215efd5623772c6750e429f26a6f9f0388b3cad7eb67976f774",
                        "fa73bae67df5a2864e8be94f872ac282e522f5b44d4b656c6e7867cd77323998",
                        "3fcd025c4a2ddb4ac6485ff698e29ce11d77e7b60699ab71edbf12e409c56397"};
  for (int k = 1; k <= 3; ++k) {
    std::string seed(32, '\0');
    seed[31] = static_cast<char>(k);
    auto id = GenerateTlsIdentity("example", seed);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(ToHex(id->spki_sha256), pins[k - 1]);
  }
}

}  // namespace
}  // namespace traceledger::node
