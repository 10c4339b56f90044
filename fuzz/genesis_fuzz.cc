// Fuzz target: genesis files (genesis/genesis.h, docs/genesis.md).
//
// Input: the bytes of a genesis file.
//
// Oracle: nothing throws or overflows the stack; a refusal is GENESIS_INVALID
// with at least one error, every path and message valid UTF-8 (they are shown
// to an operator and logged); an accepted genesis obeys docs/genesis.md:
// 1..64 validators with valid ids, keys on the curve and host:port addresses,
// all distinct; 1..256 regulators with names of 1..128 bytes of UTF-8 and
// distinct keys; the hash is H(exact bytes); temperature ranges are ordered
// and finite; parsing is deterministic.
#include <cmath>
#include <set>

#include "fuzz.h"
#include "genesis/genesis.h"
#include "ledger/hex.h"
#include "ledger/keys.h"
#include "ledger/utf8.h"

namespace {

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool ValidId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!IdChar(c)) return false;
  return true;
}

// A compressed point on secp256k1.
bool KeyOk(const std::string& k) { return traceledger::CheckPublicKey(k).ok(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace traceledger;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<GenesisError> errors;
  auto g = ParseGenesis(bytes, &errors);
  if (!g.ok()) {
    FUZZ_CHECK(g.status().Is("GENESIS_INVALID"), "unexpected code " + g.status().code());
    FUZZ_CHECK(!errors.empty(), "refused without an error");
    FUZZ_CHECK(IsValidUtf8(g.status().message()),
               "the message is not valid UTF-8: " + SanitizeUtf8(g.status().message()));
    for (const auto& e : errors)
      FUZZ_CHECK(IsValidUtf8(e.path) && IsValidUtf8(e.message), "an error is not valid UTF-8");
    return 0;
  }
  FUZZ_CHECK(errors.empty(), "accepted with errors");
  FUZZ_CHECK(ValidId(g->chain_id), "chain_id " + g->chain_id);
  FUZZ_CHECK(g->hash == Hash(g->hash_alg, bytes), "the genesis hash is not H(file bytes)");
  FUZZ_CHECK(!g->validators.empty() && g->validators.size() <= kMaxValidators, "validators");
  std::set<std::string> ids, keys, addrs;
  for (const auto& v : g->validators) {
    FUZZ_CHECK(ValidId(v.id) && ids.insert(v.id).second, "validator id " + v.id);
    FUZZ_CHECK(KeyOk(v.public_key), "validator key " + ToHex(v.public_key));
    FUZZ_CHECK(keys.insert(v.public_key).second, "a validator key twice");
    for (const std::string* a : {&v.p2p, &v.http}) {
      size_t colon = a->rfind(':');
      FUZZ_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < a->size(),
                 "address " + SanitizeUtf8(*a) + " is not host:port");
      FUZZ_CHECK(IsValidUtf8(*a) && addrs.insert(*a).second, "address");
    }
  }
  FUZZ_CHECK(!g->regulators.empty() && g->regulators.size() <= kMaxGenesisRegulators, "regulators");
  std::set<std::string> rkeys;
  for (const auto& r : g->regulators) {
    FUZZ_CHECK(!r.name.empty() && r.name.size() <= 128 && IsValidUtf8(r.name), "regulator name");
    FUZZ_CHECK(KeyOk(r.public_key), "regulator key " + ToHex(r.public_key));
    FUZZ_CHECK(rkeys.insert(r.public_key).second, "a regulator key twice");
  }
  for (const auto& [name, range] : g->params.temperature_profiles) {
    FUZZ_CHECK(range.min_c || range.max_c, "an unbounded profile " + name);
    if (range.min_c) FUZZ_CHECK(std::isfinite(*range.min_c), "min_c is not finite");
    if (range.max_c) FUZZ_CHECK(std::isfinite(*range.max_c), "max_c is not finite");
    if (range.min_c && range.max_c) FUZZ_CHECK(*range.min_c <= *range.max_c, "min_c > max_c");
  }
  for (const auto& [cat, profile] : g->params.category_profiles)
    FUZZ_CHECK(g->params.temperature_profiles.count(profile), "a category names no profile");
  FUZZ_CHECK(g->params.block.max_txs > 0 && g->params.block.max_bytes > 0 &&
                 g->params.block.max_interval_ms > 0,
             "block limits must be positive");
  auto again = ParseGenesis(bytes);
  FUZZ_CHECK(again.ok() && again->hash == g->hash && again->chain_id == g->chain_id &&
                 again->validators.size() == g->validators.size(),
             "parsing is not deterministic");
  return 0;
}
