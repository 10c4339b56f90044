#include "ledger/hash.h"

#include <gtest/gtest.h>

#include "ledger/hex.h"

namespace traceledger {
namespace {

std::string HexHash(HashAlg alg, std::string_view data) { return ToHex(Hash(alg, data)); }

// NIST FIPS 180-2 / CSRC example values for SHA-256.
TEST(Sha256, NistVectors) {
  EXPECT_EQ(HexHash(HashAlg::kSha256, ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexHash(HashAlg::kSha256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexHash(HashAlg::kSha256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(HexHash(HashAlg::kSha256, std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// GB/T 32905-2016 Appendix A examples.
TEST(Sm3, GbtVectors) {
  EXPECT_EQ(HexHash(HashAlg::kSm3, "abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  std::string abcd16;
  for (int i = 0; i < 16; ++i) abcd16 += "abcd";
  EXPECT_EQ(HexHash(HashAlg::kSm3, abcd16),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

TEST(Hasher, IncrementalEqualsOneShot) {
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    Hasher h(alg);
    h.Update("ab");
    h.Update("");
    h.Update("c");
    EXPECT_EQ(h.Final(), Hash(alg, "abc"));
    // Final resets.
    h.Update("abc");
    EXPECT_EQ(h.Final(), Hash(alg, "abc"));
    EXPECT_EQ(Hash2(alg, "a", "bc"), Hash(alg, "abc"));
  }
}

TEST(HashAlgNames, RoundTrip) {
  EXPECT_EQ(ParseHashAlg("sha256"), HashAlg::kSha256);
  EXPECT_EQ(ParseHashAlg("sm3"), HashAlg::kSm3);
  EXPECT_FALSE(ParseHashAlg("SHA256").has_value());
  EXPECT_STREQ(HashAlgName(HashAlg::kSm3), "sm3");
}

TEST(Hex, RoundTripAndStrictness) {
  EXPECT_EQ(ToHex(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(FromHex("00ff10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(FromHex("0").has_value());
  EXPECT_FALSE(FromHex("0G").has_value());
  EXPECT_FALSE(FromHex("FF").has_value());  // uppercase is not the canonical form
}

}  // namespace
}  // namespace traceledger
