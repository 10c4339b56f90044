#include "ledger/keys.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "ledger/hash.h"
#include "ledger/hex.h"

// The independent implementation here is OpenSSL's (deprecated but complete)
// low-level EC API.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace traceledger {
namespace {

std::string Digest(std::string_view msg) { return Hash(HashAlg::kSha256, msg); }

// Verifies with OpenSSL: returns 1 valid, 0 invalid, -1 error.
int OpenSslVerify(const std::string& pub33, const std::string& digest, const std::string& sig64) {
  EC_KEY* key = EC_KEY_new_by_curve_name(NID_secp256k1);
  EC_POINT* pt = EC_POINT_new(EC_KEY_get0_group(key));
  int rc = -1;
  if (EC_POINT_oct2point(EC_KEY_get0_group(key), pt,
                         reinterpret_cast<const unsigned char*>(pub33.data()), pub33.size(),
                         nullptr) == 1 &&
      EC_KEY_set_public_key(key, pt) == 1) {
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig64.data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig64.data()) + 32, 32, nullptr);
    ECDSA_SIG_set0(sig, r, s);
    rc = ECDSA_do_verify(reinterpret_cast<const unsigned char*>(digest.data()), 32, sig, key);
    ECDSA_SIG_free(sig);
  }
  EC_POINT_free(pt);
  EC_KEY_free(key);
  return rc;
}

// Signs with OpenSSL using our private key; returns compact r||s (possibly high-S).
std::string OpenSslSign(const std::string& priv32, const std::string& digest) {
  EC_KEY* key = EC_KEY_new_by_curve_name(NID_secp256k1);
  BIGNUM* d = BN_bin2bn(reinterpret_cast<const unsigned char*>(priv32.data()), 32, nullptr);
  EC_KEY_set_private_key(key, d);
  ECDSA_SIG* sig = ECDSA_do_sign(reinterpret_cast<const unsigned char*>(digest.data()), 32, key);
  std::string out(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  BN_free(d);
  EC_KEY_free(key);
  return out;
}

// Replaces s with n - s (the malleated twin of a signature).
std::string Malleate(const std::string& sig64) {
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_secp256k1);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig64.data()) + 32, 32, nullptr);
  BIGNUM* ns = BN_new();
  BN_sub(ns, EC_GROUP_get0_order(group), s);
  std::string out = sig64;
  BN_bn2binpad(ns, reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  BN_free(s);
  BN_free(ns);
  EC_GROUP_free(group);
  return out;
}

TEST(Keys, GenerateIsRandomAndDerivesSamePublicKey) {
  auto a = GenerateKeyPair();
  auto b = GenerateKeyPair();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->private_key, b->private_key);
  EXPECT_EQ(a->public_key.size(), 33u);
  auto again = KeyPairFromPrivate(a->private_key);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key, a->public_key);
}

TEST(Keys, HexForms) {
  auto kp = ParsePrivateKeyHex("0000000000000000000000000000000000000000000000000000000000000001");
  ASSERT_TRUE(kp.ok());
  // The generator point G, compressed.
  EXPECT_EQ(ToHex(kp->public_key),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  EXPECT_TRUE(ParsePublicKeyHex(ToHex(kp->public_key)).ok());
  EXPECT_EQ(ParsePublicKeyHex("02").status().code(), "PUBLIC_KEY_ENCODING");
  EXPECT_EQ(ParsePublicKeyHex("0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798")
                .status()
                .code(),
            "PUBLIC_KEY_ENCODING");
  // x = 5 is not the x coordinate of any curve point (5^3 + 7 = 132 is a non-residue).
  EXPECT_EQ(ParsePublicKeyHex("020000000000000000000000000000000000000000000000000000000000000005")
                .status()
                .code(),
            "PUBLIC_KEY_INVALID");
  EXPECT_EQ(ParsePublicKeyHex("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
                .status()
                .code(),
            "PUBLIC_KEY_INVALID");
  EXPECT_EQ(ParsePrivateKeyHex(std::string(64, '0')).status().code(), "PRIVATE_KEY_INVALID");
  EXPECT_EQ(ParsePrivateKeyHex(std::string(64, 'f')).status().code(), "PRIVATE_KEY_INVALID");
  EXPECT_EQ(ParsePrivateKeyHex("xyz").status().code(), "PRIVATE_KEY_ENCODING");
}

// RFC 6979 deterministic nonces: the widely published secp256k1/SHA-256 vector
// (private key 1, message "Satoshi Nakamoto"), in its low-S form.
TEST(Keys, Rfc6979KnownAnswer) {
  auto kp = ParsePrivateKeyHex("0000000000000000000000000000000000000000000000000000000000000001");
  ASSERT_TRUE(kp.ok());
  auto sig = SignDigest(kp->private_key, Digest("Satoshi Nakamoto"));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(ToHex(*sig),
            "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
            "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5");
  // Deterministic: the same digest gives the same signature.
  EXPECT_EQ(*SignDigest(kp->private_key, Digest("Satoshi Nakamoto")), *sig);
}

TEST(Keys, CrossCheckWithOpenSsl) {
  for (int i = 0; i < 50; ++i) {
    auto kp = GenerateKeyPair();
    ASSERT_TRUE(kp.ok());
    std::string digest = Digest("payload " + std::to_string(i));
    auto sig = SignDigest(kp->private_key, digest);
    ASSERT_TRUE(sig.ok());
    // Ours verifies under OpenSSL.
    EXPECT_EQ(OpenSslVerify(kp->public_key, digest, *sig), 1);
    EXPECT_TRUE(VerifyDigest(kp->public_key, digest, *sig).ok());
    // OpenSSL's verifies under ours once in low-S form; its high-S form is refused.
    std::string theirs = OpenSslSign(kp->private_key, digest);
    Status s = VerifyDigest(kp->public_key, digest, theirs);
    if (s.ok()) {
      EXPECT_EQ(VerifyDigest(kp->public_key, digest, Malleate(theirs)).code(), "SIGNATURE_HIGH_S");
    } else {
      EXPECT_EQ(s.code(), "SIGNATURE_HIGH_S");
      EXPECT_TRUE(VerifyDigest(kp->public_key, digest, Malleate(theirs)).ok());
    }
  }
}

TEST(Keys, RejectionsAreDistinct) {
  auto kp = GenerateKeyPair();
  ASSERT_TRUE(kp.ok());
  std::string digest = Digest("x");
  std::string sig = *SignDigest(kp->private_key, digest);
  EXPECT_EQ(VerifyDigest(kp->public_key, Digest("y"), sig).code(), "SIGNATURE_INVALID");
  EXPECT_EQ(VerifyDigest(kp->public_key, digest, Malleate(sig)).code(), "SIGNATURE_HIGH_S");
  EXPECT_EQ(VerifyDigest(kp->public_key, digest, sig.substr(0, 63)).code(), "SIGNATURE_LENGTH");
  EXPECT_EQ(VerifyDigest(kp->public_key, digest, std::string(64, '\xff')).code(),
            "SIGNATURE_MALFORMED");
  EXPECT_EQ(VerifyDigest(kp->public_key, digest, std::string(64, '\0')).code(),
            "SIGNATURE_MALFORMED");
  EXPECT_EQ(VerifyDigest(kp->public_key.substr(1), digest, sig).code(), "PUBLIC_KEY_LENGTH");
  std::string off_curve =
      *FromHex("020000000000000000000000000000000000000000000000000000000000000005");
  EXPECT_EQ(VerifyDigest(off_curve, digest, sig).code(), "PUBLIC_KEY_INVALID");
  auto other = GenerateKeyPair();
  EXPECT_EQ(VerifyDigest(other->public_key, digest, sig).code(), "SIGNATURE_INVALID");
}

TEST(Keys, VerifyFromManyThreads) {
  auto kp = GenerateKeyPair();
  ASSERT_TRUE(kp.ok());
  std::vector<std::string> digests, sigs;
  for (int i = 0; i < 64; ++i) {
    digests.push_back(Digest(std::to_string(i)));
    sigs.push_back(*SignDigest(kp->private_key, digests.back()));
  }
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 64; ++i) ok += VerifyDigest(kp->public_key, digests[i], sigs[i]).ok();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4 * 64);
}

}  // namespace
}  // namespace traceledger
