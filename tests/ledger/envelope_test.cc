#include "ledger/envelope.h"

#include <gtest/gtest.h>

#include "ledger/hex.h"
#include "ledger/keys.h"

namespace traceledger {
namespace {

using nlohmann::json;

class EnvelopeTest : public ::testing::Test {
 protected:
  void SetUp() override { key_ = *GenerateKeyPair(); }

  static std::string Payload(const std::string& extra_body = "") {
    return R"({"chain_id":"zj-test","type":"trace.ship","nonce":"n-1",)"
           R"("time":"2026-11-30T08:00:00Z","body":{"shipment_id":"S1")" +
           extra_body + "}}";
  }
  std::string Sign(const std::string& payload, HashAlg alg = HashAlg::kSha256) {
    return *SignEnvelope(key_.private_key, payload, alg);
  }
  // An envelope JSON with the given members (raw JSON values).
  static std::string Raw(const std::string& payload_json, const std::string& signer_json,
                         const std::string& sig_json) {
    return R"({"payload":)" + payload_json + R"(,"signer":)" + signer_json + R"(,"signature":)" +
           sig_json + "}";
  }
  std::string Code(const std::string& env) {
    return ParseEnvelope(env, HashAlg::kSha256).status().code();
  }
  std::string CodeOfPayload(const std::string& payload) { return Code(Sign(payload)); }

  KeyPair key_;
};

TEST_F(EnvelopeTest, ParsesAndKeepsExactBytes) {
  // Unusual but valid spacing and member order must be kept byte for byte.
  std::string payload =
      "{ \"body\" : {\"x\":[1,2]}, \"type\":\"trace.ship\",\"nonce\":\"a\",\"time\":"
      "\"2026-11-30T08:00:00.250Z\",\"chain_id\":\"zj-test\"}";
  auto env = ParseEnvelope(Sign(payload), HashAlg::kSha256);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->payload, payload);
  EXPECT_EQ(env->signer, key_.public_key);
  EXPECT_EQ(env->chain_id, "zj-test");
  EXPECT_EQ(env->type, "trace.ship");
  EXPECT_EQ(env->nonce, "a");
  EXPECT_EQ(env->time_ms % 1000, 250);
  EXPECT_EQ(env->body["x"][1], 2);
  EXPECT_EQ(env->tx_id, Hash(HashAlg::kSha256, key_.public_key + payload));
  EXPECT_TRUE(CheckChainId(*env, "zj-test").ok());
  EXPECT_EQ(CheckChainId(*env, "other").code(), "WRONG_CHAIN");
}

TEST_F(EnvelopeTest, Sm3ChainsUseSm3ForIdsAndSignatures) {
  std::string env_text = Sign(Payload(), HashAlg::kSm3);
  auto env = ParseEnvelope(env_text, HashAlg::kSm3);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->tx_id, Hash(HashAlg::kSm3, key_.public_key + Payload()));
  // Signed over the SM3 digest, so it does not verify as a SHA-256 chain envelope.
  EXPECT_EQ(ParseEnvelope(env_text, HashAlg::kSha256).status().code(), "SIGNATURE_INVALID");
}

TEST_F(EnvelopeTest, EnvelopeShapeErrors) {
  json good = json::parse(Sign(Payload()));
  std::string p = good["payload"].dump(), s = good["signer"].dump(), g = good["signature"].dump();
  EXPECT_EQ(Code(Raw(p, s, g)), "");
  EXPECT_EQ(Code("not json"), "ENVELOPE_MALFORMED_JSON");
  EXPECT_EQ(Code("[1,2]"), "ENVELOPE_NOT_OBJECT");
  EXPECT_EQ(Code(R"({"payload":)" + p + R"(,"signer":)" + s + "}"), "ENVELOPE_MISSING_FIELD");
  EXPECT_EQ(Code(Raw(p, s, g).insert(1, R"("extra":1,)")), "ENVELOPE_UNKNOWN_FIELD");
  EXPECT_EQ(Code(Raw(p, s, g).insert(1, R"("signer":"00",)")), "ENVELOPE_DUPLICATE_KEY");
  EXPECT_EQ(Code(Raw("{}", s, g)), "ENVELOPE_FIELD_TYPE");
  EXPECT_EQ(Code(std::string(kMaxEnvelopeBytes + 1, ' ')), "ENVELOPE_TOO_LARGE");
  EXPECT_EQ(Code(Raw(p, "\"02\"", g)), "SIGNER_ENCODING");
  std::string upper = s;
  for (auto& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_EQ(Code(Raw(p, upper, g)), "SIGNER_ENCODING");
  EXPECT_EQ(
      Code(Raw(p, "\"020000000000000000000000000000000000000000000000000000000000000005\"", g)),
      "SIGNER_INVALID");
  EXPECT_EQ(Code(Raw(p, s, "\"abcd\"")), "SIGNATURE_ENCODING");
  EXPECT_EQ(Code(Raw(p, s, "\"" + std::string(128, 'f') + "\"")), "SIGNATURE_MALFORMED");
}

TEST_F(EnvelopeTest, SignatureErrors) {
  json env = json::parse(Sign(Payload()));
  // A changed payload byte breaks the signature.
  std::string tampered = env["payload"];
  tampered.replace(tampered.find("n-1"), 3, "n-2");
  EXPECT_EQ(Code(Raw(json(tampered).dump(), env["signer"].dump(), env["signature"].dump())),
            "SIGNATURE_INVALID");
  // Someone else's key.
  KeyPair other = *GenerateKeyPair();
  EXPECT_EQ(Code(Raw(env["payload"].dump(), json(ToHex(other.public_key)).dump(),
                     env["signature"].dump())),
            "SIGNATURE_INVALID");
}

TEST_F(EnvelopeTest, PayloadErrorsEachHaveTheirCode) {
  const std::string t = R"("time":"2026-11-30T08:00:00Z")";
  EXPECT_EQ(CodeOfPayload("{"), "PAYLOAD_MALFORMED_JSON");
  EXPECT_EQ(CodeOfPayload("[]"), "PAYLOAD_NOT_OBJECT");
  EXPECT_EQ(CodeOfPayload(R"({"chain_id":"c","type":"t","nonce":"n",)" + t + "}"),
            "PAYLOAD_MISSING_FIELD");
  EXPECT_EQ(
      CodeOfPayload(R"({"chain_id":"c","type":"t","nonce":"n",)" + t + R"(,"body":{},"x":1})"),
      "PAYLOAD_UNKNOWN_FIELD");
  EXPECT_EQ(CodeOfPayload(R"({"chain_id":"c","chain_id":"d","type":"t","nonce":"n",)" + t +
                          R"(,"body":{}})"),
            "PAYLOAD_DUPLICATE_KEY");
  // Duplicate keys nested in the body are refused too.
  EXPECT_EQ(CodeOfPayload(Payload(R"(,"shipment_id":"S2")")), "PAYLOAD_DUPLICATE_KEY");
  std::string deep = "1";
  for (int i = 0; i < 20; ++i) deep = "[" + deep + "]";
  EXPECT_EQ(CodeOfPayload(Payload(",\"d\":" + deep)), "PAYLOAD_TOO_DEEP");
  EXPECT_EQ(CodeOfPayload(Payload(",\"big\":\"" + std::string(kMaxPayloadBytes, 'x') + "\"")),
            "PAYLOAD_TOO_LARGE");
  auto with = [&](const std::string& chain, const std::string& type, const std::string& nonce,
                  const std::string& time, const std::string& body) {
    return CodeOfPayload(R"({"chain_id":)" + chain + R"(,"type":)" + type + R"(,"nonce":)" + nonce +
                         R"(,"time":)" + time + R"(,"body":)" + body + "}");
  };
  const std::string ok_time = "\"2026-11-30T08:00:00Z\"";
  EXPECT_EQ(with("\"c\"", "\"trace.ship\"", "\"n\"", ok_time, "{}"), "");
  EXPECT_EQ(with("\"\"", "\"trace.ship\"", "\"n\"", ok_time, "{}"), "CHAIN_ID_INVALID");
  EXPECT_EQ(with("7", "\"trace.ship\"", "\"n\"", ok_time, "{}"), "CHAIN_ID_INVALID");
  EXPECT_EQ(with("\"c\"", "\"Trace Ship\"", "\"n\"", ok_time, "{}"), "TYPE_INVALID");
  EXPECT_EQ(with("\"c\"", "\"trace.ship\"", "\"\"", ok_time, "{}"), "NONCE_INVALID");
  EXPECT_EQ(with("\"c\"", "\"trace.ship\"", "\"" + std::string(65, 'n') + "\"", ok_time, "{}"),
            "NONCE_INVALID");
  EXPECT_EQ(with("\"c\"", "\"trace.ship\"", "\"a b\"", ok_time, "{}"), "NONCE_INVALID");
  EXPECT_EQ(with("\"c\"", "\"trace.ship\"", "\"n\"", "\"2026-11-30 08:00:00\"", "{}"),
            "TIME_INVALID");
  EXPECT_EQ(with("\"c\"", "\"trace.ship\"", "\"n\"", "1796025600", "{}"), "TIME_INVALID");
  EXPECT_EQ(with("\"c\"", "\"trace.ship\"", "\"n\"", ok_time, "[]"), "BODY_NOT_OBJECT");
}

TEST_F(EnvelopeTest, InvalidUtf8IsRefused) {
  std::string payload = Payload(",\"n\":\"\xff\xfe\"");
  // The envelope cannot even be produced as JSON text...
  EXPECT_FALSE(SignEnvelope(key_.private_key, payload, HashAlg::kSha256).ok());
  // ...and separated parts with such a payload are refused.
  auto sig = *SignDigest(key_.private_key, Hash(HashAlg::kSha256, payload));
  EXPECT_EQ(ParseEnvelopeParts(payload, key_.public_key, sig, HashAlg::kSha256).status().code(),
            "PAYLOAD_MALFORMED_JSON");
}

}  // namespace
}  // namespace traceledger
