#include "genesis/genesis_writer.h"

#include <nlohmann/json.hpp>

#include "ledger/hex.h"

namespace traceledger {

std::string BuildGenesisJson(const GenesisSpec& spec) {
  using nlohmann::ordered_json;
  ordered_json g;
  g["chain_id"] = spec.chain_id;
  g["hash"] = HashAlgName(spec.hash_alg);
  g["genesis_time"] = spec.genesis_time;
  g["validators"] = ordered_json::array();
  for (const auto& v : spec.validators) {
    ordered_json jv = {
        {"id", v.id}, {"public_key", ToHex(v.public_key)}, {"p2p", v.p2p}, {"http", v.http}};
    if (v.tls_spki_sha256.size() == 1) {
      jv["tls_spki_sha256"] = ToHex(v.tls_spki_sha256[0]);
    } else if (!v.tls_spki_sha256.empty()) {
      jv["tls_spki_sha256"] = ordered_json::array();
      for (const auto& pin : v.tls_spki_sha256) jv["tls_spki_sha256"].push_back(ToHex(pin));
    }
    g["validators"].push_back(std::move(jv));
  }
  g["regulators"] = ordered_json::array();
  for (const auto& r : spec.regulators) {
    g["regulators"].push_back({{"name", r.name}, {"public_key", ToHex(r.public_key)}});
  }
  g["params"] = {{"temperature_profiles",
                  {{"vaccine", {{"min_c", 2}, {"max_c", 8}}},
                   {"frozen", {{"max_c", -18}}},
                   {"chilled", {{"min_c", 0}, {"max_c", 4}}}}},
                 {"category_profiles", {{"vaccine", "vaccine"}, {"cold_chain_food", "frozen"}}},
                 {"import_documents",
                  {"customs_declaration", "quarantine_certificate", "nucleic_acid_test",
                   "disinfection_certificate"}},
                 {"default_shipment_deadline_hours", 72},
                 {"max_future_skew_seconds", 300},
                 {"block",
                  {{"max_txs", spec.block_max_txs},
                   {"max_bytes", 4194304},
                   {"max_interval_ms", spec.block_max_interval_ms}}}};
  return g.dump(2) + "\n";
}

}  // namespace traceledger
