#include "genesis/genesis.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "ledger/hex.h"
#include "ledger/json_file.h"
#include "ledger/json_parse.h"
#include "ledger/keys.h"
#include "ledger/time_util.h"

namespace traceledger {

std::optional<TempRange> ChainParams::CategoryRange(std::string_view category) const {
  auto it = category_profiles.find(std::string(category));
  if (it == category_profiles.end()) return std::nullopt;
  auto p = temperature_profiles.find(it->second);
  if (p == temperature_profiles.end()) return std::nullopt;
  return p->second;
}

ChainParams DefaultChainParams() {
  ChainParams p;
  p.temperature_profiles["vaccine"] = TempRange{2.0, 8.0};
  p.temperature_profiles["frozen"] = TempRange{std::nullopt, -18.0};
  p.temperature_profiles["chilled"] = TempRange{0.0, 4.0};
  p.category_profiles["vaccine"] = "vaccine";
  p.category_profiles["cold_chain_food"] = "frozen";
  p.import_documents = {"customs_declaration", "quarantine_certificate", "nucleic_acid_test",
                        "disinfection_certificate"};
  return p;
}

namespace {

using json = nlohmann::json;

class Checker {
 public:
  explicit Checker(std::vector<GenesisError>* errors) : errors_(errors) {}
  void Error(const std::string& path, const std::string& msg) { errors_->push_back({path, msg}); }

  // Reports members of `obj` not in `allowed`.
  void NoUnknown(const json& obj, const std::string& path, std::set<std::string> allowed) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (!allowed.count(it.key())) Error(JsonPathMember(path, it.key()), "unknown member");
    }
  }
  const json* Member(const json& obj, const std::string& path, const char* name, bool required) {
    auto it = obj.find(name);
    if (it == obj.end()) {
      if (required) Error(path + "." + name, "missing");
      return nullptr;
    }
    return &*it;
  }
  std::optional<std::string> String(const json& obj, const std::string& path, const char* name,
                                    size_t min_len, size_t max_len, bool required = true) {
    const json* v = Member(obj, path, name, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      Error(path + "." + name, "must be a string");
      return std::nullopt;
    }
    const std::string& s = v->get_ref<const std::string&>();
    if (s.size() < min_len || s.size() > max_len) {
      Error(path + "." + name, "length must be " + std::to_string(min_len) + ".." +
                                   std::to_string(max_len) + " bytes");
      return std::nullopt;
    }
    for (unsigned char ch : s) {
      // Names reach receipts and pages; no control character (a \u0000) belongs.
      if (ch < 0x20 || ch == 0x7f) {
        Error(path + "." + name, "must not contain control characters");
        return std::nullopt;
      }
    }
    return s;
  }
  std::optional<int64_t> Integer(const json& obj, const std::string& path, const char* name,
                                 int64_t min, int64_t max) {
    const json* v = Member(obj, path, name, false);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) {
      Error(path + "." + name, "must be an integer");
      return std::nullopt;
    }
    int64_t x = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)
                    ? INT64_MAX
                    : v->get<int64_t>();
    if (x < min || x > max) {
      Error(path + "." + name, "must be in " + std::to_string(min) + ".." + std::to_string(max));
      return std::nullopt;
    }
    return x;
  }

 private:
  std::vector<GenesisError>* errors_;
};

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool ValidId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!IsIdChar(c)) return false;
  return true;
}

bool ValidHostPort(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size() || s.size() > 255)
    return false;
  int port = 0;
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    port = port * 10 + (s[i] - '0');
    if (port > 65535) return false;
  }
  if (port == 0) return false;
  for (size_t i = 0; i < colon; ++i)
    if (s[i] <= ' ' || s[i] == '/' || static_cast<unsigned char>(s[i]) >= 0x7f) return false;
  return true;
}

// 66 lowercase hex of a compressed point on secp256k1 (ledger/keys.h): a
// key nobody can sign for would make a validator or regulator that can never
// act.
std::optional<std::string> PublicKey(Checker& c, const json& obj, const std::string& path) {
  auto s = c.String(obj, path, "public_key", 0, 1000);
  if (!s) return std::nullopt;
  auto raw = FromHex(*s);
  if (s->size() != 66 || !raw || ((*raw)[0] != 2 && (*raw)[0] != 3)) {
    c.Error(path + ".public_key",
            "must be 66 lowercase hex characters of a compressed key (02.. or 03..)");
    return std::nullopt;
  }
  if (!CheckPublicKey(*raw).ok()) {
    c.Error(path + ".public_key", "is not a point on secp256k1 (no one can sign for it)");
    return std::nullopt;
  }
  return raw;
}

// tls_spki_sha256: one pin (64 lowercase hex) or an array of 1..4 distinct
// pins; no pin may belong to two validators. Required when the chain has
// peers (two or more validators): every peer link is mutually authenticated
// TLS, and there is no plaintext mode to fall back to.
std::vector<std::string> TlsPins(Checker& c, const json& obj, const std::string& path,
                                 bool required, std::set<std::string>* seen) {
  std::string p = path + ".tls_spki_sha256";
  const json* v = c.Member(obj, path, "tls_spki_sha256", false);
  if (!v) {
    if (required) {
      c.Error(p,
              "missing: every validator of a network needs the pin of its TLS identity "
              "(tracectl tls-keygen prints it)");
    }
    return {};
  }
  constexpr const char* kForm =
      "must be 64 lowercase hex characters (SHA-256 of the certificate's SubjectPublicKeyInfo)";
  std::vector<const json*> items;
  if (v->is_string()) {
    items.push_back(v);
  } else if (v->is_array() && !v->empty() && v->size() <= kMaxTlsPinsPerValidator) {
    for (const auto& e : *v) items.push_back(&e);
  } else {
    c.Error(p, std::string(kForm) + ", or an array of 1.." +
                   std::to_string(kMaxTlsPinsPerValidator) + " of them");
    return {};
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string ip = v->is_array() ? p + "[" + std::to_string(i) + "]" : p;
    const json& e = *items[i];
    std::optional<std::string> raw;
    if (e.is_string() && e.get_ref<const std::string&>().size() == 64) {
      raw = FromHex(e.get_ref<const std::string&>());
    }
    if (!raw) {
      c.Error(ip, kForm);
      continue;
    }
    if (!seen->insert(*raw).second) {
      c.Error(ip, "pin used twice (each TLS identity belongs to one validator)");
      continue;
    }
    out.push_back(*raw);
  }
  return out;
}

std::optional<double> Celsius(Checker& c, const json& obj, const std::string& path,
                              const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < -100 ||
      it->get<double>() > 100) {
    c.Error(path + "." + name, "must be a number of degrees Celsius in -100..100");
    return std::nullopt;
  }
  return it->get<double>();
}

bool ValidDocType(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  return true;
}

void ParseParams(Checker& c, const json& p, ChainParams* out) {
  const std::string path = "$.params";
  if (!p.is_object()) {
    c.Error(path, "must be an object");
    return;
  }
  c.NoUnknown(p, path,
              {"temperature_profiles", "category_profiles", "import_documents",
               "default_shipment_deadline_hours", "max_future_skew_seconds", "block"});
  if (auto it = p.find("temperature_profiles"); it != p.end()) {
    std::string tp = path + ".temperature_profiles";
    if (!it->is_object()) {
      c.Error(tp, "must be an object of name -> {min_c, max_c}");
    } else {
      out->temperature_profiles.clear();
      for (auto e = it->begin(); e != it->end(); ++e) {
        std::string ep = JsonPathMember(tp, e.key());
        if (!ValidDocType(e.key())) c.Error(ep, "profile name must be 1..64 of [a-z0-9_]");
        if (!e->is_object()) {
          c.Error(ep, "must be an object {min_c, max_c}");
          continue;
        }
        c.NoUnknown(*e, ep, {"min_c", "max_c"});
        TempRange r{Celsius(c, *e, ep, "min_c"), Celsius(c, *e, ep, "max_c")};
        if (!r.min_c && !r.max_c) c.Error(ep, "needs min_c, max_c or both");
        if (r.min_c && r.max_c && *r.min_c > *r.max_c) c.Error(ep, "min_c is above max_c");
        out->temperature_profiles[e.key()] = r;
      }
    }
  }
  if (auto it = p.find("category_profiles"); it != p.end()) {
    std::string cp = path + ".category_profiles";
    if (!it->is_object()) {
      c.Error(cp, "must be an object of category -> profile name");
    } else {
      out->category_profiles.clear();
      static const std::set<std::string> kCategories = {"vaccine", "drug", "cold_chain_food",
                                                        "food"};
      for (auto e = it->begin(); e != it->end(); ++e) {
        std::string ep = JsonPathMember(cp, e.key());
        if (!kCategories.count(e.key()))
          c.Error(ep, "unknown category (vaccine, drug, cold_chain_food, food)");
        if (!e->is_string()) {
          c.Error(ep, "must be a profile name");
          continue;
        }
        if (!out->temperature_profiles.count(e->get<std::string>()))
          c.Error(ep, "names no profile in temperature_profiles");
        out->category_profiles[e.key()] = e->get<std::string>();
      }
    }
  }
  if (auto it = p.find("import_documents"); it != p.end()) {
    std::string ip = path + ".import_documents";
    if (!it->is_array() || it->size() > 16) {
      c.Error(ip, "must be an array of at most 16 document types");
    } else {
      out->import_documents.clear();
      std::set<std::string> seen;
      for (size_t i = 0; i < it->size(); ++i) {
        std::string ep = ip + "[" + std::to_string(i) + "]";
        const json& d = (*it)[i];
        if (!d.is_string() || !ValidDocType(d.get<std::string>())) {
          c.Error(ep, "must be a document type of 1..64 [a-z0-9_]");
          continue;
        }
        if (!seen.insert(d.get<std::string>()).second) c.Error(ep, "duplicate document type");
        out->import_documents.push_back(d.get<std::string>());
      }
    }
  }
  if (auto h = c.Integer(p, path, "default_shipment_deadline_hours", 1, 24 * 365))
    out->default_shipment_deadline_ms = *h * 3600 * 1000;
  if (auto s = c.Integer(p, path, "max_future_skew_seconds", 0, 24 * 3600))
    out->max_future_skew_ms = *s * 1000;
  if (auto it = p.find("block"); it != p.end()) {
    std::string bp = path + ".block";
    if (!it->is_object()) {
      c.Error(bp, "must be an object {max_txs, max_bytes, max_interval_ms}");
    } else {
      c.NoUnknown(*it, bp, {"max_txs", "max_bytes", "max_interval_ms"});
      if (auto v = c.Integer(*it, bp, "max_txs", 1, 100000)) out->block.max_txs = *v;
      if (auto v = c.Integer(*it, bp, "max_bytes", 1024, 256LL << 20)) out->block.max_bytes = *v;
      if (auto v = c.Integer(*it, bp, "max_interval_ms", 1, 60000)) out->block.max_interval_ms = *v;
    }
  }
}

}  // namespace

Result<Genesis> ParseGenesis(std::string_view bytes, std::vector<GenesisError>* errors_out) {
  std::vector<GenesisError> errors;
  Checker c(&errors);
  Genesis g;
  g.params = DefaultChainParams();
  json doc;
  // The one strict parser: size, depth, a member twice, UTF-8 (a member given
  // twice would otherwise keep its last value silently).
  Status parsed = ParseJson(bytes, JsonLimits{kMaxGenesisBytes, kMaxGenesisDepth},
                            "the genesis file", "GENESIS", &doc);
  if (!parsed.ok()) {
    c.Error("$", parsed.message());
  } else if (!doc.is_object()) {
    c.Error("$", "must be a JSON object");
  }
  if (errors.empty()) {
    c.NoUnknown(doc, "$",
                {"chain_id", "hash", "genesis_time", "validators", "regulators", "params"});
    if (auto id = c.String(doc, "$", "chain_id", 1, 64)) {
      if (!ValidId(*id)) c.Error("$.chain_id", "must be 1..64 of [A-Za-z0-9._-]");
      g.chain_id = *id;
    }
    if (auto h = c.String(doc, "$", "hash", 1, 16, /*required=*/false)) {
      auto alg = ParseHashAlg(*h);
      if (!alg)
        c.Error("$.hash", "must be \"sha256\" or \"sm3\"");
      else
        g.hash_alg = *alg;
    }
    if (auto t = c.String(doc, "$", "genesis_time", 1, 40, /*required=*/false)) {
      auto ms = ParseRfc3339Millis(*t);
      if (!ms)
        c.Error("$.genesis_time", "must be an RFC 3339 UTC time like 2026-11-30T00:00:00Z");
      else
        g.genesis_time_ms = *ms;
    }
    const json* vals = c.Member(doc, "$", "validators", true);
    if (vals && (!vals->is_array() || vals->empty() || vals->size() > kMaxValidators)) {
      c.Error("$.validators",
              "must be an array of 1.." + std::to_string(kMaxValidators) + " validators");
    } else if (vals) {
      std::set<std::string> ids, keys, addrs, pins;
      for (size_t i = 0; i < vals->size(); ++i) {
        std::string vp = "$.validators[" + std::to_string(i) + "]";
        const json& v = (*vals)[i];
        if (!v.is_object()) {
          c.Error(vp, "must be an object {id, public_key, p2p, http, tls_spki_sha256}");
          continue;
        }
        c.NoUnknown(v, vp, {"id", "public_key", "p2p", "http", "tls_spki_sha256"});
        ValidatorInfo info;
        if (auto id = c.String(v, vp, "id", 1, 64)) {
          if (!ValidId(*id))
            c.Error(vp + ".id", "must be 1..64 of [A-Za-z0-9._-]");
          else if (!ids.insert(*id).second)
            c.Error(vp + ".id", "duplicate validator id");
          info.id = *id;
        }
        if (auto k = PublicKey(c, v, vp)) {
          if (!keys.insert(*k).second) c.Error(vp + ".public_key", "duplicate validator key");
          info.public_key = *k;
        }
        for (const char* name : {"p2p", "http"}) {
          if (auto a = c.String(v, vp, name, 1, 255)) {
            if (!ValidHostPort(*a))
              c.Error(vp + "." + name, "must be host:port");
            else if (!addrs.insert(*a).second)
              c.Error(vp + "." + name, "address used twice");
            (std::string(name) == "p2p" ? info.p2p : info.http) = *a;
          }
        }
        info.tls_spki_sha256 = TlsPins(c, v, vp, /*required=*/vals->size() > 1, &pins);
        g.validators.push_back(std::move(info));
      }
    }
    const json* regs = c.Member(doc, "$", "regulators", true);
    if (regs && (!regs->is_array() || regs->empty() || regs->size() > kMaxGenesisRegulators)) {
      c.Error("$.regulators",
              "must be an array of 1.." + std::to_string(kMaxGenesisRegulators) + " regulators");
    } else if (regs) {
      std::set<std::string> keys;
      for (size_t i = 0; i < regs->size(); ++i) {
        std::string rp = "$.regulators[" + std::to_string(i) + "]";
        const json& r = (*regs)[i];
        if (!r.is_object()) {
          c.Error(rp, "must be an object {name, public_key}");
          continue;
        }
        c.NoUnknown(r, rp, {"name", "public_key"});
        RegulatorInfo info;
        if (auto n = c.String(r, rp, "name", 1, 128)) info.name = *n;
        if (auto k = PublicKey(c, r, rp)) {
          if (!keys.insert(*k).second) c.Error(rp + ".public_key", "duplicate regulator key");
          info.public_key = *k;
        }
        g.regulators.push_back(std::move(info));
      }
    }
    if (auto it = doc.find("params"); it != doc.end()) ParseParams(c, *it, &g.params);
  }
  if (!errors.empty()) {
    std::string msg;
    for (const auto& e : errors) msg += e.path + ": " + e.message + "\n";
    msg.pop_back();
    if (errors_out) *errors_out = std::move(errors);
    return Status::Error("GENESIS_INVALID", msg);
  }
  g.hash = Hash(g.hash_alg, bytes);
  return g;
}

Result<Genesis> LoadGenesisFile(const std::string& path, std::vector<GenesisError>* errors) {
  // The size is checked before the file is read.
  auto bytes = ReadFileLimited(path, kMaxGenesisBytes, "GENESIS_INVALID");
  if (!bytes.ok()) {
    return Status::Error(bytes.status().code(), "genesis file: " + bytes.status().message());
  }
  auto g = ParseGenesis(*bytes, errors);
  if (!g.ok()) {
    return Status::Error(g.status().code(), PrintablePath(path) + ": " + g.status().message());
  }
  return g;
}

}  // namespace traceledger
