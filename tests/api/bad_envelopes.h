// Envelopes that are wrong in every way docs/envelopes.md lists, each with
// the code the node must answer: a table shared by the API tests (each code
// the same alone and in a batch) and the hostile-input suite
// (tests/multiprocess/hostile_test.cc).
#ifndef TRACELEDGER_TESTS_API_BAD_ENVELOPES_H_
#define TRACELEDGER_TESTS_API_BAD_ENVELOPES_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ledger/envelope.h"
#include "ledger/hex.h"
#include "ledger/keys.h"

namespace traceledger::testing {

struct BadEnvelope {
  std::string what;  // a short description
  std::string code;  // what ParseEnvelope (or CheckChainId) says
  std::string text;  // the envelope text as posted
};

// n - s for a 32-byte big-endian s (n: the secp256k1 order): the high-S twin
// of a low-S signature's s.
inline std::string NegateS(const std::string& s) {
  static const unsigned char kN[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
                                       0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B,
                                       0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
  std::string out(32, '\0');
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = kN[i] - static_cast<unsigned char>(s[i]) - borrow;
    borrow = d < 0;
    out[i] = static_cast<char>(d < 0 ? d + 256 : d);
  }
  return out;
}

// The table, for a chain `chain_id` with hash `alg`, signed with `key` where
// a signature is needed. Every code of docs/envelopes.md appears at least once;
// no text has whitespace around it, and every text is one complete JSON value
// as far as strings and brackets go unless `what` says "cut" (so it can be an
// element of a batch).
inline std::vector<BadEnvelope> BadEnvelopes(const KeyPair& key, const std::string& chain_id,
                                             HashAlg alg) {
  using nlohmann::json;
  std::vector<BadEnvelope> v;
  const std::string signer = ToHex(key.public_key);
  auto payload = [&](const std::string& type, const std::string& nonce) {
    return json{{"chain_id", chain_id},
                {"type", type},
                {"nonce", nonce},
                {"time", "2026-11-30T08:00:00Z"},
                {"body", json::object()}};
  };
  auto set = [](json j, const char* member, const json& value) {
    j[member] = value;
    return j;
  };
  auto sign = [&](const std::string& p) { return *SignEnvelope(key.private_key, p, alg); };
  // An envelope of `p` signed as it is, with its members in the order given.
  auto env3 = [&](const std::string& p, const std::string& sg, const std::string& sig) {
    return json{{"payload", p}, {"signer", sg}, {"signature", sig}}.dump();
  };
  std::string good_payload = payload("registry.enroll", "bad-1").dump();
  json good = json::parse(sign(good_payload));
  const std::string good_sig = good["signature"];
  auto with_payload = [&](const std::string& what, const std::string& code, const json& p) {
    v.push_back({what, code, sign(p.dump())});
  };
  auto with_payload_text = [&](const std::string& what, const std::string& code,
                               const std::string& p) {
    v.push_back({what, code, sign(p)});
  };

  // The envelope's own shape.
  v.push_back({"96 KiB + 1 of envelope", "ENVELOPE_TOO_LARGE",
               "{\"payload\":\"" + std::string(96 * 1024, 'a') + "\"}"});
  v.push_back({"a nesting bomb of 80,000 levels (160 KB)", "ENVELOPE_TOO_LARGE",
               std::string(80000, '[') + std::string(80000, ']')});
  v.push_back({"not JSON", "ENVELOPE_MALFORMED_JSON", "{not json}"});
  v.push_back(
      {"cut: an object that does not end", "ENVELOPE_MALFORMED_JSON", "{\"payload\":\"x\""});
  v.push_back({"a bare word", "ENVELOPE_MALFORMED_JSON", "nope"});
  v.push_back({"text after the object", "ENVELOPE_MALFORMED_JSON",
               "{\"payload\":\"x\",\"signer\":\"y\",\"signature\":\"z\"}{}"});
  v.push_back(
      {"a raw 0xff in a string", "ENVELOPE_MALFORMED_JSON",
       "{\"payload\":\"\xff\",\"signer\":\"" + signer + "\",\"signature\":\"" + good_sig + "\"}"});
  v.push_back({"an overlong UTF-8 form", "ENVELOPE_MALFORMED_JSON",
               "{\"payload\":\"\xc0\xaf\",\"signer\":\"a\",\"signature\":\"b\"}"});
  v.push_back({"a UTF-16 surrogate escape alone", "ENVELOPE_MALFORMED_JSON",
               "{\"payload\":\"\\ud800\",\"signer\":\"a\",\"signature\":\"b\"}"});
  v.push_back({"a bad escape", "ENVELOPE_MALFORMED_JSON",
               "{\"payload\":\"\\q\",\"signer\":\"a\",\"signature\":\"b\"}"});
  v.push_back({"a control character in a string", "ENVELOPE_MALFORMED_JSON",
               "{\"payload\":\"a\x01\",\"signer\":\"a\",\"signature\":\"b\"}"});
  v.push_back({"a trailing comma", "ENVELOPE_MALFORMED_JSON",
               "{\"payload\":\"x\",\"signer\":\"y\",\"signature\":\"z\",}"});
  v.push_back({"NaN", "ENVELOPE_MALFORMED_JSON", "{\"payload\":NaN}"});
  v.push_back({"an array", "ENVELOPE_NOT_OBJECT", "[]"});
  v.push_back({"an envelope in an array", "ENVELOPE_NOT_OBJECT", "[" + good.dump() + "]"});
  v.push_back({"a string", "ENVELOPE_NOT_OBJECT", "\"x\""});
  v.push_back({"a number", "ENVELOPE_NOT_OBJECT", "12"});
  v.push_back(
      {"a number too large for a double", "ENVELOPE_MALFORMED_JSON", "1" + std::string(400, '0')});
  v.push_back({"null", "ENVELOPE_NOT_OBJECT", "null"});
  v.push_back({"payload twice, the second signed", "ENVELOPE_DUPLICATE_KEY",
               "{\"payload\":\"x\",\"payload\":" + good["payload"].dump() + ",\"signer\":\"" +
                   signer + "\",\"signature\":\"" + good_sig + "\"}"});
  v.push_back({"signer twice", "ENVELOPE_DUPLICATE_KEY",
               "{\"payload\":" + good["payload"].dump() + ",\"signer\":\"" + signer +
                   "\",\"signer\":\"" + signer + "\",\"signature\":\"" + good_sig + "\"}"});
  v.push_back({"a member twice in a nested object", "ENVELOPE_DUPLICATE_KEY",
               "{\"x\":{\"a\":1,\"a\":2},\"payload\":\"p\",\"signer\":\"s\",\"signature\":\"t\"}"});
  v.push_back({"17 levels", "ENVELOPE_TOO_DEEP",
               "{\"x\":" + std::string(16, '[') + std::string(16, ']') + "}"});
  v.push_back({"a nesting bomb of 40,000 levels (80 KB)", "ENVELOPE_TOO_DEEP",
               std::string(40000, '[') + std::string(40000, ']')});
  v.push_back({"an object bomb", "ENVELOPE_TOO_DEEP", [] {
                 std::string s;
                 for (int i = 0; i < 5000; ++i) s += "{\"a\":";
                 s += "1";
                 for (int i = 0; i < 5000; ++i) s += "}";
                 return s;
               }()});
  v.push_back({"an empty object", "ENVELOPE_MISSING_FIELD", "{}"});
  v.push_back({"no signature", "ENVELOPE_MISSING_FIELD",
               "{\"payload\":" + good["payload"].dump() + ",\"signer\":\"" + signer + "\"}"});
  v.push_back({"a fourth member", "ENVELOPE_UNKNOWN_FIELD",
               "{\"payload\":" + good["payload"].dump() + ",\"signer\":\"" + signer +
                   "\",\"signature\":\"" + good_sig + "\",\"extra\":1}"});
  v.push_back({"a member named in CJK", "ENVELOPE_UNKNOWN_FIELD",
               "{\"payload\":\"p\",\"signer\":\"s\",\"signature\":\"t\",\"签名\":\"x\"}"});
  v.push_back({"a number payload", "ENVELOPE_FIELD_TYPE",
               "{\"payload\":1,\"signer\":\"" + signer + "\",\"signature\":\"" + good_sig + "\"}"});
  v.push_back({"a null signer", "ENVELOPE_FIELD_TYPE",
               "{\"payload\":\"p\",\"signer\":null,\"signature\":\"" + good_sig + "\"}"});
  v.push_back({"an array signature", "ENVELOPE_FIELD_TYPE",
               "{\"payload\":\"p\",\"signer\":\"" + signer + "\",\"signature\":[]}"});

  // Signer and signature encodings.
  const std::string p = good["payload"];
  v.push_back({"signer not hex", "SIGNER_ENCODING", env3(p, std::string(66, 'z'), good_sig)});
  v.push_back({"signer 64 hex", "SIGNER_ENCODING", env3(p, signer.substr(2), good_sig)});
  std::string upper = signer;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  v.push_back({"signer in upper case", "SIGNER_ENCODING", env3(p, upper, good_sig)});
  v.push_back(
      {"signer off the curve", "SIGNER_INVALID", env3(p, "02" + std::string(64, 'f'), good_sig)});
  v.push_back(
      {"signer with prefix 05", "SIGNER_INVALID", env3(p, "05" + signer.substr(2), good_sig)});
  v.push_back({"signature 127 hex", "SIGNATURE_ENCODING", env3(p, signer, good_sig.substr(1))});
  v.push_back({"signature not hex", "SIGNATURE_ENCODING", env3(p, signer, std::string(128, 'g'))});
  v.push_back({"r = 0", "SIGNATURE_MALFORMED",
               env3(p, signer, std::string(64, '0') + good_sig.substr(64))});
  v.push_back({"s >= n", "SIGNATURE_MALFORMED",
               env3(p, signer, good_sig.substr(0, 64) + std::string(64, 'f'))});
  std::string raw_sig = *FromHex(good_sig);
  v.push_back({"high S", "SIGNATURE_HIGH_S",
               env3(p, signer, ToHex(raw_sig.substr(0, 32) + NegateS(raw_sig.substr(32))))});
  std::string other_payload = payload("registry.enroll", "bad-2").dump();
  v.push_back(
      {"a signature over other bytes", "SIGNATURE_INVALID", env3(other_payload, signer, good_sig)});
  auto other_key = GenerateKeyPair();
  v.push_back(
      {"another signer", "SIGNATURE_INVALID", env3(p, ToHex(other_key->public_key), good_sig)});

  // The payload's shape (signed, so only the payload is wrong).
  v.push_back({"an empty payload", "PAYLOAD_TOO_LARGE", env3("", signer, good_sig)});
  with_payload_text("64 KiB + 1 of payload", "PAYLOAD_TOO_LARGE",
                    "{\"x\":\"" + std::string(64 * 1024, 'a') + "\"}");
  with_payload_text("a payload that is not JSON", "PAYLOAD_MALFORMED_JSON", "{chain_id}");
  with_payload_text("a payload cut short", "PAYLOAD_MALFORMED_JSON",
                    good_payload.substr(0, good_payload.size() - 1));
  with_payload_text("a payload with text after it", "PAYLOAD_MALFORMED_JSON", good_payload + "x");
  with_payload_text("a payload that is an array", "PAYLOAD_NOT_OBJECT", "[" + good_payload + "]");
  with_payload_text("a payload that is a number", "PAYLOAD_NOT_OBJECT", "7");
  with_payload_text("chain_id twice", "PAYLOAD_DUPLICATE_KEY",
                    "{\"chain_id\":\"x\"," + good_payload.substr(1));
  with_payload_text("a member twice in the body", "PAYLOAD_DUPLICATE_KEY",
                    "{\"body\":{\"a\":1,\"a\":1},\"chain_id\":\"" + chain_id +
                        "\",\"nonce\":\"n\",\"time\":\"2026-11-30T08:00:00Z\",\"type\":\"t\"}");
  with_payload_text("a body 17 levels deep", "PAYLOAD_TOO_DEEP",
                    "{\"body\":{\"a\":" + std::string(15, '[') + std::string(15, ']') + "}}");
  json missing = payload("registry.enroll", "bad-3");
  missing.erase("body");
  with_payload("no body", "PAYLOAD_MISSING_FIELD", missing);
  json extra = payload("registry.enroll", "bad-4");
  extra["memo"] = "x";
  with_payload("a sixth member", "PAYLOAD_UNKNOWN_FIELD", extra);
  for (const json& bad_chain : {json(""), json("zj trace"), json(std::string(65, 'a')), json(1)}) {
    json q = payload("registry.enroll", "bad-5");
    q["chain_id"] = bad_chain;
    with_payload("chain_id " + bad_chain.dump().substr(0, 20), "CHAIN_ID_INVALID", q);
  }
  for (const json& bad_type :
       {json(""), json("Trace.Ship"), json(std::string(65, 'a')), json(true)}) {
    with_payload("type " + bad_type.dump().substr(0, 20), "TYPE_INVALID",
                 set(payload("x", "bad-6"), "type", bad_type));
  }
  for (const json& bad_nonce :
       {json(""), json("a b"), json(std::string(65, 'n')), json(5), json("\xe4\xb8\x80")}) {
    with_payload("nonce " + bad_nonce.dump().substr(0, 20), "NONCE_INVALID",
                 set(payload("registry.enroll", "x"), "nonce", bad_nonce));
  }
  for (const json& bad_time :
       {json("2026-13-01T00:00:00Z"), json("2026-02-30T00:00:00Z"), json("2026-11-30T08:00:00"),
        json("2026-11-30T08:00:00+08:00"), json("yesterday"), json(1796025600000),
        json("2026-11-30T24:00:00Z"), json("2026-11-30T08:00:00." + std::string(40, '1') + "Z")}) {
    with_payload("time " + bad_time.dump().substr(0, 24), "TIME_INVALID",
                 set(payload("registry.enroll", "bad-7"), "time", bad_time));
  }
  for (const json& bad_body : {json::array(), json("x"), json(nullptr)}) {
    with_payload("body " + bad_body.dump(), "BODY_NOT_OBJECT",
                 set(payload("registry.enroll", "bad-8"), "body", bad_body));
  }
  with_payload("another chain", "WRONG_CHAIN",
               set(payload("registry.enroll", "bad-9"), "chain_id", chain_id + "-other"));
  return v;
}

}  // namespace traceledger::testing

#endif  // TRACELEDGER_TESTS_API_BAD_ENVELOPES_H_
