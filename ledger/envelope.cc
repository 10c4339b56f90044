#include "ledger/envelope.h"

#include <algorithm>
#include <array>
#include <vector>

#include "ledger/hex.h"
#include "ledger/json_parse.h"
#include "ledger/json_string.h"
#include "ledger/keys.h"
#include "ledger/time_util.h"
#include "ledger/utf8.h"

namespace traceledger {
namespace {

using nlohmann::json;

// Parses JSON strictly (ledger/json_parse.h): a duplicate member name
// anywhere, or nesting deeper than kMaxJsonDepth, is an error (the signed text
// must have one meaning). `what` names the document in messages ("envelope" /
// "payload"); `prefix` its error-code prefix ("ENVELOPE" / "PAYLOAD"). Sizes
// are checked by the callers, with their own codes.
Status StrictParse(std::string_view text, const char* what, const std::string& prefix, json* out) {
  TL_RETURN_IF_ERROR(ParseJson(text, JsonLimits{text.size(), kMaxJsonDepth}, what, prefix, out));
  if (!out->is_object()) {
    return Status::Error(prefix + "_NOT_OBJECT", std::string(what) + " must be a JSON object");
  }
  return Status::OK();
}

// Requires exactly the members `names` in `obj`.
template <size_t N>
Status ExactMembers(const json& obj, const std::array<const char*, N>& names, const char* what,
                    const std::string& prefix) {
  for (const char* n : names) {
    if (!obj.contains(n)) {
      return Status::Error(prefix + "_MISSING_FIELD",
                           std::string(what) + " is missing the member \"" + n + "\"");
    }
  }
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find_if(names.begin(), names.end(), [&](const char* n) { return it.key() == n; }) ==
        names.end()) {
      return Status::Error(prefix + "_UNKNOWN_FIELD",
                           std::string(what) + " has an unknown member \"" +
                               std::string(Utf8Prefix(it.key(), 64)) + "\"");
    }
  }
  return Status::OK();
}

bool AllChars(std::string_view s, bool (*ok)(char)) { return std::all_of(s.begin(), s.end(), ok); }

bool ChainIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}
bool TypeChar(char c) { return (c >= 'a' && c <= 'z') || c == '.' || c == '_'; }
bool NonceChar(char c) { return c >= 0x21 && c <= 0x7e; }  // printable ASCII, no space

Status CheckPayload(std::string_view payload, Envelope* env) {
  if (payload.empty() || payload.size() > kMaxPayloadBytes) {
    return Status::Error("PAYLOAD_TOO_LARGE", "payload must be 1.." +
                                                  std::to_string(kMaxPayloadBytes) +
                                                  " bytes, got " + std::to_string(payload.size()));
  }
  json doc;
  TL_RETURN_IF_ERROR(StrictParse(payload, "payload", "PAYLOAD", &doc));
  static constexpr std::array<const char*, 5> kMembers = {"chain_id", "type", "nonce", "time",
                                                          "body"};
  TL_RETURN_IF_ERROR(ExactMembers(doc, kMembers, "payload", "PAYLOAD"));

  const json& chain_id = doc["chain_id"];
  if (!chain_id.is_string() || chain_id.get_ref<const std::string&>().empty() ||
      chain_id.get_ref<const std::string&>().size() > kMaxChainIdLength ||
      !AllChars(chain_id.get_ref<const std::string&>(), ChainIdChar)) {
    return Status::Error("CHAIN_ID_INVALID",
                         "payload.chain_id must be a string of 1..64 characters [A-Za-z0-9._-]");
  }
  const json& type = doc["type"];
  if (!type.is_string() || type.get_ref<const std::string&>().empty() ||
      type.get_ref<const std::string&>().size() > kMaxTypeLength ||
      !AllChars(type.get_ref<const std::string&>(), TypeChar)) {
    return Status::Error("TYPE_INVALID",
                         "payload.type must be a transaction type such as \"trace.ship\"");
  }
  const json& nonce = doc["nonce"];
  if (!nonce.is_string() || nonce.get_ref<const std::string&>().empty() ||
      nonce.get_ref<const std::string&>().size() > kMaxNonceLength ||
      !AllChars(nonce.get_ref<const std::string&>(), NonceChar)) {
    return Status::Error("NONCE_INVALID",
                         "payload.nonce must be a string of 1..64 printable ASCII characters "
                         "without spaces, unique per signer");
  }
  const json& time = doc["time"];
  std::optional<int64_t> ms;
  if (time.is_string()) ms = ParseRfc3339Millis(time.get_ref<const std::string&>());
  if (!ms) {
    return Status::Error("TIME_INVALID",
                         "payload.time must be an RFC 3339 UTC time such as "
                         "\"2026-11-30T08:00:00Z\"");
  }
  if (!doc["body"].is_object()) {
    return Status::Error("BODY_NOT_OBJECT", "payload.body must be a JSON object");
  }
  env->chain_id = chain_id.get<std::string>();
  env->type = type.get<std::string>();
  env->nonce = nonce.get<std::string>();
  env->time = time.get<std::string>();
  env->time_ms = *ms;
  env->body = std::move(doc["body"]);
  return Status::OK();
}

// Maps key-module codes to the envelope's own names.
Status SignerError(const Status& s) {
  if (s.Is("PUBLIC_KEY_LENGTH") || s.Is("PUBLIC_KEY_ENCODING")) {
    return Status::Error("SIGNER_ENCODING",
                         "signer must be 66 lowercase hex characters: a compressed public key");
  }
  return Status::Error("SIGNER_INVALID", "signer is not a valid compressed secp256k1 public key");
}

}  // namespace

std::string TxId(HashAlg alg, std::string_view signer, std::string_view payload) {
  return Hash2(alg, signer, payload);
}

Result<Envelope> ParseEnvelopeParts(std::string_view payload, std::string_view signer,
                                    std::string_view signature, HashAlg alg) {
  Envelope env;
  if (signer.size() != kPublicKeySize) return SignerError(Status::Error("PUBLIC_KEY_LENGTH", ""));
  if (signature.size() != kSignatureSize) {
    return Status::Error("SIGNATURE_ENCODING",
                         "signature must be 128 lowercase hex characters (64-byte r||s)");
  }
  TL_RETURN_IF_ERROR(CheckPayload(payload, &env));
  // VerifyDigest parses the signer (a point decompression) once; its key
  // errors become the envelope's SIGNER_* codes.
  Status s = VerifyDigest(signer, Hash(alg, payload), signature);
  if (!s.ok()) {
    if (s.Is("PUBLIC_KEY_LENGTH") || s.Is("PUBLIC_KEY_INVALID")) return SignerError(s);
    return s;  // SIGNATURE_MALFORMED, SIGNATURE_HIGH_S, SIGNATURE_INVALID
  }
  env.payload.assign(payload);
  env.signer.assign(signer);
  env.signature.assign(signature);
  env.tx_id = TxId(alg, signer, payload);
  return env;
}

namespace {

// Checks the decoded envelope members and continues with the parts.
Result<Envelope> ParseMembers(const std::string& payload, const std::string& signer_hex,
                              const std::string& sig_hex, HashAlg alg) {
  auto signer = FromHex(signer_hex);
  if (!signer || signer->size() != kPublicKeySize) {
    return Status::Error("SIGNER_ENCODING",
                         "signer must be 66 lowercase hex characters: a compressed public key");
  }
  auto signature = FromHex(sig_hex);
  if (!signature || signature->size() != kSignatureSize) {
    return Status::Error("SIGNATURE_ENCODING",
                         "signature must be 128 lowercase hex characters (64-byte r||s)");
  }
  return ParseEnvelopeParts(payload, *signer, *signature, alg);
}

// The general (slow) path: full JSON parse, used for anything the flat
// scanner did not accept, so that every mistake gets its precise code.
Result<Envelope> ParseEnvelopeSlow(std::string_view envelope_json, HashAlg alg) {
  json doc;
  TL_RETURN_IF_ERROR(StrictParse(envelope_json, "envelope", "ENVELOPE", &doc));
  static constexpr std::array<const char*, 3> kMembers = {"payload", "signer", "signature"};
  TL_RETURN_IF_ERROR(ExactMembers(doc, kMembers, "envelope", "ENVELOPE"));
  for (const char* m : kMembers) {
    if (!doc[m].is_string()) {
      return Status::Error("ENVELOPE_FIELD_TYPE",
                           std::string("envelope member \"") + m + "\" must be a string");
    }
  }
  return ParseMembers(doc["payload"].get_ref<const std::string&>(),
                      doc["signer"].get_ref<const std::string&>(),
                      doc["signature"].get_ref<const std::string&>(), alg);
}

}  // namespace

Result<Envelope> ParseEnvelope(std::string_view envelope_json, HashAlg alg) {
  if (envelope_json.size() > kMaxEnvelopeBytes) {
    return Status::Error("ENVELOPE_TOO_LARGE",
                         "envelope is " + std::to_string(envelope_json.size()) +
                             " bytes; the limit is " + std::to_string(kMaxEnvelopeBytes));
  }
  // Fast path: a flat object of exactly the three string members.
  std::vector<std::pair<std::string, std::string>> members;
  if (ParseFlatStringObject(envelope_json, &members) == FlatObjectError::kNone &&
      members.size() == 3) {
    const std::string* found[3] = {nullptr, nullptr, nullptr};
    static const char* kNames[3] = {"payload", "signer", "signature"};
    bool exact = true;
    for (const auto& [name, value] : members) {
      int k = name == kNames[0] ? 0 : name == kNames[1] ? 1 : name == kNames[2] ? 2 : -1;
      if (k < 0 || found[k] != nullptr) {
        exact = false;
        break;
      }
      found[k] = &value;
    }
    if (exact) return ParseMembers(*found[0], *found[1], *found[2], alg);
  }
  return ParseEnvelopeSlow(envelope_json, alg);
}

Status CheckChainId(const Envelope& env, std::string_view chain_id) {
  if (env.chain_id != chain_id) {
    return Status::Error("WRONG_CHAIN", "payload.chain_id is \"" + env.chain_id +
                                            "\" but this chain is \"" + std::string(chain_id) +
                                            "\"");
  }
  return Status::OK();
}

Result<std::string> SignEnvelope(std::string_view private_key, std::string_view payload,
                                 HashAlg alg) {
  auto kp = KeyPairFromPrivate(private_key);
  if (!kp.ok()) return kp.status();
  auto sig = SignDigest(private_key, Hash(alg, payload));
  if (!sig.ok()) return sig.status();
  json env = json::object();
  env["payload"] = std::string(payload);
  env["signer"] = ToHex(kp->public_key);
  env["signature"] = ToHex(*sig);
  try {
    return env.dump();
  } catch (const json::exception& e) {
    return Status::Error("PAYLOAD_MALFORMED_JSON",
                         std::string("payload is not valid UTF-8 text (") + e.what() + ")");
  }
}

}  // namespace traceledger
