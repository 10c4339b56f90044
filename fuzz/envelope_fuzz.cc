// Fuzz target: envelope parsing (ledger/envelope.h, docs/envelopes.md).
//
// Input: one mode byte, then
//   mode % 3 == 0: an envelope text for ParseEnvelope;
//   mode % 3 == 1: a payload text, signed here with a fixed key, so the
//                  payload checks behind the signature are reached;
//   mode % 3 == 2: payload, signer and signature as raw parts
//                  (ParseEnvelopeParts): 33 signer bytes, 64 signature bytes,
//                  then the payload.
// (mode / 3) % 2 picks SHA-256 or SM3.
//
// Oracle: nothing throws; an error has one of the documented codes and a
// message that is valid UTF-8 (it is sent in JSON answers); an accepted
// envelope satisfies every rule of docs/envelopes.md, its tx id is
// H(signer || payload), and parsing its parts again gives the same envelope. A
// payload signed here is never refused for its signature.
#include <set>

#include "fuzz.h"
#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/json_parse.h"
#include "ledger/keys.h"
#include "ledger/time_util.h"
#include "ledger/utf8.h"

namespace traceledger::fuzz {
namespace {

const std::set<std::string>& DocumentedCodes() {
  static const std::set<std::string> codes = {"ENVELOPE_TOO_LARGE",     "ENVELOPE_MALFORMED_JSON",
                                              "ENVELOPE_NOT_OBJECT",    "ENVELOPE_DUPLICATE_KEY",
                                              "ENVELOPE_TOO_DEEP",      "ENVELOPE_MISSING_FIELD",
                                              "ENVELOPE_UNKNOWN_FIELD", "ENVELOPE_FIELD_TYPE",
                                              "SIGNER_ENCODING",        "SIGNER_INVALID",
                                              "SIGNATURE_ENCODING",     "SIGNATURE_MALFORMED",
                                              "SIGNATURE_HIGH_S",       "SIGNATURE_INVALID",
                                              "PAYLOAD_TOO_LARGE",      "PAYLOAD_MALFORMED_JSON",
                                              "PAYLOAD_NOT_OBJECT",     "PAYLOAD_DUPLICATE_KEY",
                                              "PAYLOAD_TOO_DEEP",       "PAYLOAD_MISSING_FIELD",
                                              "PAYLOAD_UNKNOWN_FIELD",  "CHAIN_ID_INVALID",
                                              "TYPE_INVALID",           "NONCE_INVALID",
                                              "TIME_INVALID",           "BODY_NOT_OBJECT"};
  return codes;
}

bool AllOf(const std::string& s, bool (*ok)(char)) {
  for (char c : s)
    if (!ok(c)) return false;
  return true;
}

void CheckError(const Status& s) {
  FUZZ_CHECK(DocumentedCodes().count(s.code()), "undocumented error code " + s.code());
  FUZZ_CHECK(IsValidUtf8(s.message()),
             "the message of " + s.code() + " is not valid UTF-8: " + SanitizeUtf8(s.message()));
}

void CheckAccepted(const Envelope& e, HashAlg alg) {
  FUZZ_CHECK(e.payload.size() >= 1 && e.payload.size() <= kMaxPayloadBytes, "payload size");
  FUZZ_CHECK(IsValidUtf8(e.payload), "accepted a payload that is not UTF-8");
  FUZZ_CHECK(e.signer.size() == kPublicKeySize && e.signature.size() == kSignatureSize,
             "signer/signature sizes");
  FUZZ_CHECK(e.tx_id == TxId(alg, e.signer, e.payload), "tx_id is not H(signer || payload)");
  FUZZ_CHECK(VerifyDigest(e.signer, Hash(alg, e.payload), e.signature).ok(),
             "accepted a signature that does not verify");
  FUZZ_CHECK(!e.chain_id.empty() && e.chain_id.size() <= kMaxChainIdLength &&
                 AllOf(e.chain_id,
                       [](char c) {
                         return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
                       }),
             "chain_id rule");
  FUZZ_CHECK(
      !e.type.empty() && e.type.size() <= kMaxTypeLength &&
          AllOf(e.type, [](char c) { return (c >= 'a' && c <= 'z') || c == '.' || c == '_'; }),
      "type rule");
  FUZZ_CHECK(!e.nonce.empty() && e.nonce.size() <= kMaxNonceLength &&
                 AllOf(e.nonce, [](char c) { return c >= 0x21 && c <= 0x7e; }),
             "nonce rule");
  auto ms = ParseRfc3339Millis(e.time);
  FUZZ_CHECK(ms && *ms == e.time_ms, "time_ms is not the parsed time");
  FUZZ_CHECK(e.body.is_object(), "body is not an object");
  // The payload is strict JSON (one meaning).
  nlohmann::json doc;
  Status ps =
      ParseJson(e.payload, JsonLimits{kMaxPayloadBytes, kMaxJsonDepth}, "payload", "PAYLOAD", &doc);
  FUZZ_CHECK(ps.ok(), "accepted a payload the strict parser refuses: " + ps.ToString());
  FUZZ_CHECK(doc["body"] == e.body, "body differs from the payload's");
  // Both entry points agree.
  auto again = ParseEnvelopeParts(e.payload, e.signer, e.signature, alg);
  FUZZ_CHECK(again.ok(),
             "the parts of an accepted envelope are refused: " + again.status().ToString());
  FUZZ_CHECK(again->tx_id == e.tx_id && again->chain_id == e.chain_id && again->type == e.type &&
                 again->nonce == e.nonce && again->time_ms == e.time_ms && again->body == e.body,
             "ParseEnvelopeParts decodes differently");
}

const std::string& FixedKey() {
  static const std::string key = Hash(HashAlg::kSha256, "traceledger envelope fuzz key");
  return key;
}

}  // namespace
}  // namespace traceledger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  using namespace traceledger::fuzz;
  Input in(data, size);
  uint8_t mode = in.Byte();
  HashAlg alg = (mode / 3) % 2 ? HashAlg::kSm3 : HashAlg::kSha256;
  std::string_view rest;
  Result<Envelope> env = Status::Error("UNSET", "");
  switch (mode % 3) {
    case 0:
      env = ParseEnvelope(in.Rest(), alg);
      break;
    case 1: {
      rest = in.Rest();
      auto text = SignEnvelope(FixedKey(), rest, alg);
      if (!text.ok()) {
        // Only a payload that cannot be put in JSON text is refused here.
        FUZZ_CHECK(!IsValidUtf8(rest),
                   "SignEnvelope refused valid UTF-8: " + text.status().ToString());
        return 0;
      }
      env = ParseEnvelope(*text, alg);
      if (!env.ok()) {
        const std::string& c = env.status().code();
        FUZZ_CHECK(c.rfind("SIGNATURE_", 0) != 0 && c.rfind("SIGNER_", 0) != 0 &&
                       c.rfind("ENVELOPE_", 0) != 0,
                   "a correctly signed envelope was refused with " + env.status().ToString());
      }
      break;
    }
    default: {
      std::string_view all = in.Rest();
      if (all.size() < kPublicKeySize + kSignatureSize) return 0;
      env = ParseEnvelopeParts(all.substr(kPublicKeySize + kSignatureSize),
                               all.substr(0, kPublicKeySize),
                               all.substr(kPublicKeySize, kSignatureSize), alg);
      break;
    }
  }
  if (env.ok()) {
    CheckAccepted(*env, alg);
  } else {
    CheckError(env.status());
  }
  return 0;
}
